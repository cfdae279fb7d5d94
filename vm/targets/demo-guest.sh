#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest for `make demo` (vm/targets/demo.sh boots it with
# this file as its job): shows each layer working.
. /opt/vsimple/bin/tap.sh	# for wait_for
drv=/sys/bus/virtio/drivers/virtio_simple
wait_for "$drv/virtio0" 30
dev=$(basename "$(ls -d "$drv"/virtio* 2>/dev/null | head -n 1)")
[ -n "$dev" ] || { echo "virtio_simple did not bind; dmesg:"; dmesg | tail -n 30; exit 1; }
pci=$(basename "$(readlink -f "/sys/bus/virtio/devices/$dev/..")")

step() { printf '\n== %s\n' "$*"; }

step "1. The kernel found the PCI device (vendor 1af4, device 107f = 0x1040 + 63, class 0x00ff00)"
dmesg | grep "pci $pci: \[1af4:107f\]"

step "2. virtio-pci bound the PCI function, virtio_simple bound the virtio device"
echo "/sys/bus/pci/devices/$pci/driver -> $(basename "$(readlink /sys/bus/pci/devices/$pci/driver)")"
echo "/sys/bus/virtio/devices/$dev/driver -> $(basename "$(readlink /sys/bus/virtio/devices/$dev/driver)")"
echo "modalias $(cat /sys/bus/virtio/devices/$dev/modalias) -> $(grep "virtio:d0000003F" /lib/modules/$(uname -r)/modules.alias)"
echo "loaded by the uevent daemon, no one typed modprobe:"
lsmod | grep -E '^(Module|virtio_simple)'
dmesg | grep virtio_simple

step "3. MSI-X vectors: one for config changes, one per virtqueue"
grep -E "CPU|$dev" /proc/interrupts

step "4. The vsimple CLI talking to /dev/virtio-simple0"
ls -l /dev/virtio-simple*
echo '$ vsimple info'; vsimple info
msg="hello from the guest, $(date -u +%H:%M:%S)"
echo "\$ vsimple echo \"$msg\""; vsimple echo "$msg" || exit 1
echo '$ printf 123456789 | vsimple crc32c -'; printf 123456789 | vsimple crc32c - || exit 1
echo '$ vsimple delay 250000   (the device answers after 250 ms)'; vsimple delay 250000 || exit 1
echo '$ vsimple bench --seconds 1 --size 4096 --depth 8'; vsimple bench --seconds 1 --size 4096 --depth 8
grep -E "$dev-(requestq|responseq)" /proc/interrupts
s=/sys/class/virtio-simple/virtio-simple0
echo "sysfs ($s): requests $(cat $s/requests)," \
	"responses $(cat $s/responses), in_flight $(cat $s/in_flight)"

step "5. Power off"
