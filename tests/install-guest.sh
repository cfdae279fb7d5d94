#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make install` in a real guest: a Debian root with systemd and
# systemd-udevd (vm/image/make-systemd-root.sh, cached), the distro kernel's
# modules and `make install DESTDIR=<root> KVER=<guest kernel>`, written to
# an ext4 disk image and booted under the project's QEMU with the distro
# kernel; a tiny initramfs mounts the disk and switches to systemd, which
# runs tests/guest/installed.sh as a service (udev, the node, vsimple echo,
# user networking, then `make uninstall` in the guest).  TAP output.  Needs root (the root
# file system keeps its owners); re-runs itself through sudo otherwise.
#   tests/install-guest.sh dkms   the module through DKMS instead, as a
#       DKMS user gets it: the root's dkms (and so gcc) is used, the guest
#       kernel's linux-headers packages are installed into it with dpkg (the
#       user's prerequisite; before the manifest is taken), `make
#       install-dkms DESTDIR=<root>` stages the source, and `dkms add` and
#       `dkms install -k KVER` run in a chroot of the root (its own
#       compiler); the rest by `make install-udev install-lib install-cli`;
#       the guest then uninstalls with `make uninstall-dkms ...`
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# -n: the runner asks for the password up front (runner_root_up_front); a
# suite runs in a process group of its own, where sudo could not ask
[ "$(id -u)" -eq 0 ] || exec sudo -n --preserve-env=HOME,VSIMPLE_CACHE,VSIMPLE_KVER "$0" "$@"
. "$top/tests/lib/tap.sh"
. "$top/vm/lib.sh"
kver=$(vs_kernel_version)
how=${1:-make}
case $how in
make|dkms) ;;
*) echo "usage: $0 [make|dkms]" >&2; exit 2 ;;
esac
# One root for both ways, so a cold run bootstraps once: the DKMS way's
# dkms (linux-kbuild's libraries too; the headers come from the release's
# point updates or security suite, which the root is not made from) sits
# unused in the plain `make install` guest.
extra=(dkms libelf1 libssl3)
bail() { echo "not ok $((tap_n + 1)) - $*"; echo "1..$((tap_n + 1))"; exit 1; }

start=$(date +%s)
tar=$("$top/vm/image/make-systemd-root.sh" "${extra[@]}") ||
	bail "the systemd root file system (mmdebstrap${extra[*]:+ with ${extra[*]}})"
kdir=$("$top/vm/fetch/fetch-kernel.sh") || bail "the distro kernel"
# in the cache's file system, so the kernel's modules are hard links
work=$(mktemp -d "$VS_CACHE/install-guest.XXXXXX")
# in_root's mounts, where it could not use a namespace of its own (below)
root_unmount() {
	[ -n "${root:-}" ] || return 0
	! mountpoint -q "$root/dev" || umount -R "$root/dev" || umount -lR "$root/dev"
	! mountpoint -q "$root/proc" || umount "$root/proc" || umount -l "$root/proc"
}
# --one-file-system: never into a /dev or /proc still bound into the root
trap 'root_unmount; rm -rf --one-file-system "$work"' EXIT
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$tar" || bail "unpacking $tar"

# the kernel's modules, indexed, as its package's postinst leaves them
mdir=$root/usr/lib/modules/$kver
mkdir -p "$mdir"
cp -al "$kdir/lib/modules/$kver/." "$mdir/"
depmod -b "$root" "$kver"

# in_root CMD...: CMD chrooted into the root with its /proc and /dev, in a
# mount namespace of its own (they go away with it).  Where / is no mount
# point (a plain chroot, as make fresh-check's), a namespace cannot make
# its mounts private; then they are mounted for CMD's time and undone.
in_root() {
	if unshare --mount --propagation private true 2>/dev/null; then
		unshare --mount --propagation private sh -c 'mount -t proc proc "$0/proc" &&
			mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"' "$root" "$@"
		return
	fi
	local rc=0
	mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
		mount --make-rslave "$root/dev" && chroot "$root" "$@" || rc=$?
	root_unmount
	return "$rc"
}
if [ "$how" = dkms ]; then
	# linux-headers-KVER and what it depends on (apt-get download, cached;
	# under a lock of its own, as two clones may share the cache)
	debs=$VS_CACHE/debs/headers-$kver
	mkdir -p "$(dirname "$debs")"
	(
		flock 8
		[ ! -f "$debs/.done" ] || exit 0
		rm -rf "$debs" && mkdir -p "$debs"
		mapfile -t hp < <(echo "linux-headers-$kver"
			apt-cache depends --important "linux-headers-$kver" |
			sed -n 's/^ *Depends: \(linux-[^ ]*\)$/\1/p')
		cd "$debs" && apt-get download -q "${hp[@]}" >&2 && touch .done
	) 8>>"$debs.lock" || bail "apt-get download linux-headers-$kver and its linux-* dependencies"
	mkdir -p "$root/tmp/debs" && cp "$debs"/*.deb "$root/tmp/debs/"
	check "linux-headers-$kver installed in the root (dpkg -i, in a chroot)" \
		in_root sh -c 'dpkg -i /tmp/debs/*.deb >/dev/null'
	rm -rf "$root/tmp/debs"
fi
"$top/tests/lib/manifest.sh" "$root" "$kver" > "$work/before.manifest"

if [ "$how" = make ]; then
	check "make install DESTDIR=<root> KVER=$kver" \
		make -s -C "$top" install DESTDIR="$root" KVER="$kver"
else
	check "make install-dkms install-udev install-lib install-cli DESTDIR=<root>" \
		make -s -C "$top" install-dkms install-udev install-lib install-cli DESTDIR="$root"
	ver=$(vs_package_version)
	check "dkms add virtio-simple/$ver (in the root)" in_root dkms add "virtio-simple/$ver"
	check "dkms install virtio-simple/$ver -k $kver (in the root, its gcc)" \
		in_root dkms install "virtio-simple/$ver" -k "$kver"
fi
check "the module is installed with its modalias indexed" \
	grep -qx 'alias virtio:d0000003Fv\* virtio_simple' "$mdir/modules.alias"

# the tree the guest's `make uninstall` runs from
src=$root/root/virtio-simple
mkdir -p "$src/driver"
cp "$top"/{Makefile,install.mk,dkms.conf} "$src/"
cp "$top"/driver/{Makefile,Kbuild,99-virtio-simple.rules} "$src/driver/"

# systemd runs the harness's job (carried to /job by the initramfs) on the
# serial console, then powers off; gettys and timers masked (TCG is slow)
cat > "$root/etc/systemd/system/vsimple-job.service" <<'EOF'
[Unit]
Description=virtio-simple test job (/job/run)
# not After=multi-user.target: that target is ordered after what it wants
After=systemd-udev-trigger.service systemd-networkd.service
# systemd itself powers off (systemctl would need D-Bus, absent here)
SuccessAction=poweroff

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/sh -c '/job/run; echo "VSIMPLE-EXIT=$?"'
EOF
ln -s /etc/systemd/system/vsimple-job.service \
	"$root/etc/systemd/system/multi-user.target.wants/vsimple-job.service"
# user networking (slirp): systemd-networkd takes a DHCP lease on the NIC
ln -s /lib/systemd/system/systemd-networkd.service \
	"$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
mkdir -p "$root/etc/systemd/system/sockets.target.wants" "$root/etc/systemd/network"
ln -s /lib/systemd/system/systemd-networkd.socket \
	"$root/etc/systemd/system/sockets.target.wants/systemd-networkd.socket"
printf '[Match]\nType=ether\n\n[Network]\nDHCP=ipv4\n' > "$root/etc/systemd/network/80-dhcp.network"
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
	apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done

img=$work/disk.img
check "an ext4 disk image of the root (mkfs.ext4 -d)" \
	mkfs.ext4 -q -F -L root -d "$root" "$img" 2G
check "the switch-root initramfs" \
	"$top/vm/image/make-switch-root-initrd.sh" "$root" "$kver" "$work/initrd.cpio"
# VSIMPLE_KEEP=DIR: keep the image as it is before its first boot, for
# booting it by hand (docs/usage.md)
if [ -n "${VSIMPLE_KEEP:-}" ]; then
	mkdir -p "$VSIMPLE_KEEP"
	cp --sparse=always "$img" "$work/initrd.cpio" "$VSIMPLE_KEEP/"
	cp "$kdir/boot/vmlinuz-$kver" "$VSIMPLE_KEEP/vmlinuz"
	echo "# kept $VSIMPLE_KEEP/disk.img, initrd.cpio and vmlinuz ($kver)"
fi
prep=$(( $(date +%s) - start ))
[ "$tap_failed" -eq 0 ] || { tap_done; exit 1; }

# a file the guest fetches from the host through slirp (10.0.2.2 is the
# host's loopback); the server picks a free port and writes it down
token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/www" && echo "$token" > "$work/www/token"
vs_http_serve "$work/www" "$work/port"
server=$!
trap 'kill "$server" 2>/dev/null; root_unmount; rm -rf --one-file-system "$work"' EXIT
wait_for "$work/port" 10 >/dev/null || bail "the host's HTTP server for the network check"

boot=$(date +%s)
# the guest's checks numbered on from the host's: one TAP stream, one plan
tap_embed "$top/vm/boot/run-guest.py" --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" --memory 1024 \
	--initrd "$work/initrd.cpio" --append quiet \
	--qemu-arg=-drive --qemu-arg="file=$img,if=virtio,format=raw" \
	--qemu-arg=-netdev --qemu-arg=user,id=n0 \
	--qemu-arg=-device --qemu-arg=virtio-net-pci,netdev=n0 \
	--device virtio-simple-pci \
	--add "$top/tests/lib/tap.sh" --add "$top/tests/lib/manifest.sh" \
	--add "$work/before.manifest" \
	"$top/tests/guest/installed.sh" "$(cat "$work/port")" "$token" "$how"
rc=$?
echo "# host preparation $prep s, guest boot and checks $(( $(date +%s) - boot )) s"
# the guest's status stays ours (124: its timeout, which the runner counts)
tap_done || [ "$rc" -ne 0 ] || rc=1
exit "$rc"
