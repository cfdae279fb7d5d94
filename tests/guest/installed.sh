#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a booted systemd guest whose disk got `make install` (run by
# tests/install-guest.sh as a systemd service, as root): systemd-udevd
# loaded virtio_simple by its modalias from lib/modules/KVER/extra, the
# node has the installed rule's mode and group, an unprivileged `vsimple
# echo` works, user networking reaches the host (ARGS: PORT TOKEN of the
# host's HTTP server); then `make uninstall` from the project's tree leaves the
# install locations exactly as before the install (/job/before.manifest).
# HOW (the third argument) is dkms when DKMS built and installed the module
# (in updates/dkms, as Debian's dkms puts it; uninstalled with
# `make uninstall-dkms`).
. /job/tap.sh
kver=$(uname -r)
port=$1 token=$2 how=${3:-make}
rules=/etc/udev/rules.d/99-virtio-simple.rules
export PATH=/usr/local/bin:$PATH

check "systemd is PID 1" test "$(cat /proc/1/comm)" = systemd
check "systemd-udevd is running" systemctl -q is-active systemd-udevd
check "/dev/virtio-simple0 appears" wait_for /dev/virtio-simple0 60

vdev=""
for d in /sys/bus/virtio/devices/*; do
	[ "$(cat "$d/device")" = 0x003f ] && vdev=$d
done
check "udev has the device's modalias" sh -c \
	"udevadm info -q property '$vdev' | grep -qx 'MODALIAS=virtio:d0000003Fv00001AF4'"
check "virtio_simple is bound to it" \
	test "$(basename "$(readlink "$vdev/driver")")" = virtio_simple
if [ "$how" = dkms ]; then
	dir=updates/dkms
	check "dkms status: virtio-simple installed for $kver" sh -c \
		"dkms status -k '$kver' virtio-simple | grep -q ': installed'"
else
	dir=extra
fi
check "the module came from lib/modules/$kver/$dir" test \
	"$(modinfo -n virtio_simple)" = "/lib/modules/$kver/$dir/virtio-simple.ko"
# nothing loads it by name: only udev's modalias lookup can have
check "no modules-load.d or /etc/modules entry names it" sh -c \
	'! grep -rqs virtio.simple /etc/modules /etc/modules-load.d /usr/lib/modules-load.d /run/modules-load.d'

# the rule's MODE and GROUP (root when it names none); the kernel's own
# default would be 0600 root
mode=$(sed -n '/^[^#]/s/.*MODE="0*\([0-7]*\)".*/\1/p' "$rules")
group=$(sed -n '/^[^#]/s/.*GROUP="\([^"]*\)".*/\1/p' "$rules")
check "the node has the rule's mode and group ($mode ${group:-root})" test \
	"$(stat -c '%a %G' /dev/virtio-simple0)" = "$mode ${group:-root}"
echo_as_nobody() {
	out=$(runuser -u nobody -- /usr/local/bin/vsimple echo "hello from nobody") &&
	[ "$out" = "hello from nobody" ]
}
check "vsimple echo works for an unprivileged user" echo_as_nobody
check "vsimple info" vsimple info
check "man vsimple's page is installed" test -s /usr/local/share/man/man1/vsimple.1

# user networking: slirp's DHCP lease, then a file from the host's
# loopback (10.0.2.2) over TCP, fetched with bash's /dev/tcp
check "a DHCP lease from QEMU's user networking" \
	/lib/systemd/systemd-networkd-wait-online --any --timeout=60
# (no D-Bus in this root for networkctl; the kernel lists local addresses)
check "the guest has 10.0.2.15" grep -q '10\.0\.2\.15' /proc/net/fib_trie
fetch() {
	bash -c 'exec 3<>/dev/tcp/10.0.2.2/$0 && printf "GET /token HTTP/1.0\r\n\r\n" >&3 && cat <&3' "$port" |
		tail -n 1 | grep -qx "$token"
}
check "a file fetched from the host through it" fetch

if [ "$how" = dkms ]; then
	check "make uninstall-dkms uninstall-udev uninstall-lib uninstall-cli" \
		make -s -C /root/virtio-simple uninstall-dkms uninstall-udev \
		uninstall-lib uninstall-cli
else
	check "make uninstall" make -s -C /root/virtio-simple uninstall
fi
/job/manifest.sh / "$kver" > /tmp/after.manifest
check "it leaves the install locations as they were (depmod's index too)" \
	diff /job/before.manifest /tmp/after.manifest
check "modprobe cannot find virtio_simple any more" sh -c '! modinfo virtio_simple'
check "rmmod virtio_simple" rmmod virtio_simple
tap_done
