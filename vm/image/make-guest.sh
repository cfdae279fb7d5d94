#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the guest's initramfs: busybox, kmod, the distro kernel's virtio
# modules and virtio-simple.ko installed the way a user installs a module
# (lib/modules/$KVER/extra, compressed as the kernel's config asks, depmod),
# so the driver is loaded by modalias, never by name.  Programs in
# GUEST_BIN (default build/guest-bin) go to /opt/vsimple/bin.
#   make-guest.sh OUT.cpio
# Another kernel (the debug one): GUEST_KVER (its release), GUEST_KDIR (a
# tree laid out like the unpacked image package: boot/config-$KVER,
# lib/modules/$KVER) and GUEST_KO (the module built against it).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

out=${1:?usage: make-guest.sh OUT.cpio}
kver=${GUEST_KVER:-$(vs_kernel_version)}
kdir=${GUEST_KDIR:-$("$VS_TOP/vm/fetch/fetch-kernel.sh")}
ko=${GUEST_KO:-$VS_TOP/driver/virtio-simple.ko}
bins=${GUEST_BIN:-$VS_TOP/build/guest-bin}
[ -f "$ko" ] || vs_die "$ko not built (run make)"
vermagic=$(modinfo -F vermagic "$ko")
[ "${vermagic%% *}" = "$kver" ] ||
	vs_die "$ko was built for ${vermagic%% *}, the guest runs $kver (make clean, then make)"
# and with its symbols: a module it depends on that this kernel has built in
# means modpost used another kernel's symbol table (a stale .mod.c)
for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
	! grep -q "/${dep//_/[_-]}\.ko\$" "$kdir/lib/modules/$kver/modules.builtin" ||
		vs_die "$ko depends on module $dep, which $kver has built in: its symbols are another kernel's (make clean, then make)"
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib64,job,opt/vsimple/bin} \
	"$root/usr/lib/x86_64-linux-gnu"

# busybox for the shell and core tools (statically linked)
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	case $applet in busybox|modprobe|insmod|rmmod|lsmod|depmod|modinfo) continue ;; esac
	ln -sf busybox "$root/bin/$applet"
done

# kmod, the real module tools, with the shared libraries it needs
copy_with_libs() {
	cp "$1" "$root$2"
	ldd "$1" | awk '/=> \// {print $3} /^\t\/lib64/ {print $1}' | while read -r lib; do
		[ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
	done
}
copy_with_libs /usr/bin/kmod /sbin/kmod
for t in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf kmod "$root/sbin/$t"; done

# the distro kernel's virtio modules, virtio_console (virtio-serial, which
# `make bench` compares against) and module metadata
mdir="lib/modules/$kver"
mkdir -p "$root/$mdir/kernel/drivers/char"
cp -a "$kdir/$mdir/kernel/drivers/virtio" "$root/$mdir/kernel/drivers/"
# (built in on 6.12: then only modules.builtin names it)
cp -a "$kdir/$mdir"/kernel/drivers/char/virtio_console.ko* "$root/$mdir/kernel/drivers/char/" 2>/dev/null ||
	grep -q '/virtio_console.ko$' "$kdir/$mdir/modules.builtin" ||
	vs_die "virtio_console is neither a module nor built into $kver"
cp "$kdir/$mdir"/modules.{builtin,builtin.modinfo,order} "$root/$mdir/"

# our module, installed as `make install` does (driver/Makefile's
# modules_install: Kbuild compresses it as this kernel's config says, then
# depmod), into the initramfs root; GUEST_KBUILD is the kernel build tree
# (default GUEST_KDIR/build if there is one, else the target's headers,
# vm/fetch/fetch-headers.sh)
if [ -n "${GUEST_KBUILD:-}" ]; then kbuild=$GUEST_KBUILD
elif [ -n "${GUEST_KDIR:-}" ] && [ -d "$GUEST_KDIR/build" ]; then kbuild=$GUEST_KDIR/build
else kbuild=$(VSIMPLE_KVER=$kver "$VS_TOP/vm/fetch/fetch-headers.sh"); fi
make -s -C "$(dirname "$ko")" -f "$VS_TOP/driver/Makefile" KVER="$kver" KDIR="$kbuild" \
	INSTALL_MOD_PATH="$root" modules_install >&2
grep -q '^alias virtio:d0000003Fv\* virtio_simple$' "$root/$mdir/modules.alias" ||
	vs_die "depmod did not record virtio-simple's modalias"

# init, uevent rules, our programs
cp "$VS_TOP/vm/image/guest/init" "$root/init"
cp "$VS_TOP/vm/image/guest/mdev.conf" "$root/etc/mdev.conf"
chmod 755 "$root/init"
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
[ -d "$bins" ] && cp -a "$bins"/. "$root/opt/vsimple/bin/"

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
vs_say "guest initramfs: $out ($(du -h "$out" | cut -f1), kernel $kver)"
