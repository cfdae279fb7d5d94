#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest test for the walking skeleton, run with one virtio-simple-pci device:
# the PCI identity, the driver loaded by modalias and bound, MSI-X vectors for
# config and both queues, and ECHO round trips.  Argument "packed": the
# device was started with packed=on and must have negotiated it.
. /opt/vsimple/bin/tap.sh

drv=/sys/bus/virtio/drivers/virtio_simple
check "driver bound within 30 s" wait_for "$drv/virtio0" 30
dev=$(basename "$(ls -d "$drv"/virtio* 2>/dev/null | head -n 1)")
pci=$(basename "$(readlink -f "/sys/bus/virtio/devices/$dev/..")")

check "PCI device [1af4:107f] class 0x00ff00 in the kernel log" \
	sh -c "dmesg | grep -q 'pci $pci: \[1af4:107f\] type 00 class 0x00ff00'"
check "$pci is bound to virtio-pci" \
	sh -c "[ \"\$(basename \"\$(readlink /sys/bus/pci/devices/$pci/driver)\")\" = virtio-pci ]"
check "$dev is bound to virtio_simple" \
	sh -c "[ \"\$(basename \"\$(readlink /sys/bus/virtio/devices/$dev/driver)\")\" = virtio_simple ]"
# modinfo -n: the file modprobe resolves the name to, as depmod indexed it
check "module came from extra/ by modalias (modules.alias maps virtio:d0000003F)" \
	sh -c "grep -q '^alias virtio:d0000003Fv\* virtio_simple' /lib/modules/\$(uname -r)/modules.alias &&
		[ -d /sys/module/virtio_simple ] &&
		case \$(modinfo -n virtio_simple) in /lib/modules/\$(uname -r)/extra/virtio-simple.ko*) ;;
		*) echo \"modinfo -n virtio_simple: \$(modinfo -n virtio_simple)\"; false ;; esac"
check "$dev modalias is virtio:d0000003Fv00001AF4" \
	sh -c "grep -qx 'virtio:d0000003Fv00001AF4' /sys/bus/virtio/devices/$dev/modalias"
# features: one character per bit, bit 0 first
bit() { cut -c$(($1 + 1)) "/sys/bus/virtio/devices/$dev/features"; }
check "VIRTIO_F_VERSION_1 negotiated" [ "$(bit 32)" = 1 ]
if [ "${1:-}" = packed ]; then
	check "packed ring negotiated (VIRTIO_F_RING_PACKED)" [ "$(bit 34)" = 1 ]
else
	check "split ring with event idx (VIRTIO_RING_F_EVENT_IDX)" \
		[ "$(bit 34)$(bit 29)" = 01 ]
fi
for v in config requestq responseq; do
	check "MSI-X vector for $dev-$v in /proc/interrupts" \
		sh -c "grep -q 'PCI-MSI.*$dev-$v\$' /proc/interrupts"
done
check "/dev/virtio-simple0 exists" [ -c /dev/virtio-simple0 ]
check "ECHO round trip through the CLI" \
	sh -c '[ "$(vsimple echo "hello, device")" = "hello, device" ]'
tap_done
