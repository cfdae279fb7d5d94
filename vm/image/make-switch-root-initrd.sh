#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A tiny initramfs for a disk-image guest: busybox, the modules that mount
# an ext4 /dev/vda (virtio_pci, virtio_blk, ext4 and what they need, in the
# order modprobe gives) and vm/image/guest/switch-root-init, which switches to
# the disk's /sbin/init.
#   make-switch-root-initrd.sh ROOT KVER OUT.cpio
# ROOT holds lib/modules/KVER with depmod's index.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
root=${1:?usage: make-switch-root-initrd.sh ROOT KVER OUT.cpio}
kver=${2:?} out=${3:?}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,proc,sys,dev,modules}
cp /bin/busybox "$dir/bin/busybox"
cp "$VS_TOP/vm/image/guest/switch-root-init" "$dir/init"
chmod 755 "$dir/init"
# crc32c: ext4's checksums (a soft dependency, loaded at mount time)
modprobe -d "$root" -S "$kver" --show-depends -a virtio_pci virtio_blk crc32c_generic ext4 |
	awk '$1 == "insmod" { print $2 }' | while read -r ko; do
	name=$(basename "$ko")
	[ -e "$dir/modules/$name" ] && continue
	cp "$ko" "$dir/modules/$name"
	echo "$name" >> "$dir/modules/order"
done
[ -s "$dir/modules/order" ] || vs_die "no modules for the switch-root initramfs"
(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
