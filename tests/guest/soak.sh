#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make soak, the guest half (vm/targets/stress.sh boots it with two devices):
#   soak.sh SECONDS
# Mixed load on both devices for SECONDS (stress_load: 2 processes on each,
# blocking in read and write, and 4 threads sharing one file), the guest's
# memory every minute, then the numbers and the pass criteria
# (stress_lib.sh); vm/targets/stress.sh judges QEMU's RSS.
. /opt/vsimple/bin/tap.sh
. /job/stress_lib.sh
secs=${1:-600}
node1=/dev/virtio-simple1

check "$node appears" wait_for $node 60
check "$node1 appears" wait_for $node1 60
load "warm-up (20 s)" -p 4 -t 4 -d 16 -s 20 $node $node1
load_end
mem_snapshot before
load "soak: $secs s on two devices" -p 4 -t 4 -d 16 -s "$secs" $node $node1
m=0
while kill -0 "$load_pid" 2>/dev/null; do
	# a sample a minute, to show a trend (not a synchronisation)
	wait_until 60 sh -c "! kill -0 $load_pid 2>/dev/null" && break
	m=$((m + 1))
	echo "# minute $m: Slab $(awk '/^Slab:/ { print $2 }' /proc/meminfo) KiB, MemAvailable $(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) KiB"
	echo "VSIMPLE-RSS minute-$m"
done
load_end
for i in 0 1; do
	check "device $i still answers an ECHO, nothing left in flight or unread" \
		sh -c "vsimple -d $i echo still-here >/dev/null &&
		       [ \$(cat /sys/class/virtio-simple/virtio-simple$i/in_flight) -eq 0 ] &&
		       [ \$(cat /sys/class/virtio-simple/virtio-simple$i/unread) -eq 0 ]"
done
mem_snapshot after
report
tap_done
