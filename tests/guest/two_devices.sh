#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test with two virtio-simple devices (labels alpha and beta): each
# gets its own node, and both run the whole char device test at once.
. /opt/vsimple/bin/tap.sh
check "/dev/virtio-simple0 appears" wait_for /dev/virtio-simple0 30
check "/dev/virtio-simple1 appears" wait_for /dev/virtio-simple1 30
check "vsimple list shows both, with their labels" \
	sh -c 'vsimple list | grep -q "label=alpha" && vsimple list | grep -q "label=beta" &&
	       [ "$(vsimple list | wc -l)" -eq 2 ]'
chardev_test 0 > /tmp/t0 2>&1 &
p0=$!
chardev_test 1 > /tmp/t1 2>&1 &
p1=$!
wait $p0; r0=$?
wait $p1; r1=$?
# each run's checks numbered on from ours, named by device: one plan
tap_embed -p "[dev 0] " cat /tmp/t0
tap_embed -p "[dev 1] " cat /tmp/t1
check "both devices pass at the same time (exit $r0 and $r1)" [ "$r0$r1" = 00 ]
tap_done
