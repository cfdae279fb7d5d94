#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack the source of the guest's distro kernel into the cache, for the
# debug kernel: linux-source-X.Y at exactly the version that built the
# guest's linux-image package (apt-get download + dpkg -x + untar; never
# installed).  Prints the source directory.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

kver=$(vs_kernel_version)
kdir=$("$VS_TOP/vm/fetch/fetch-kernel.sh")
# The image package is built from source package "linux" at some version;
# its signed wrapper's changelog says which ("Sign kernel from linux V").
ver=$(zcat "$kdir/usr/share/doc/linux-image-$kver/changelog.gz" 2>/dev/null |
	sed -n '1,5s/^ *\* Sign kernel from linux \([^ ]*\)$/\1/p' | head -n 1)
[ -n "$ver" ] || ver=$(apt-cache show "linux-image-$kver" | sed -n 's/^Version: //p' | head -n 1)
[ -n "$ver" ] || vs_die "cannot tell which source version built linux-image-$kver"
series=$(echo "$kver" | cut -d. -f1,2)	# 6.1.0-56-amd64 -> 6.1
pkg="linux-source-$series"

dest="$VS_CACHE/kernel-src/$ver"
vs_lock_entry "$dest"
if [ ! -f "$dest/.unpacked" ]; then
	tarball=$(vs_linux_source "$ver")
	vs_say "unpacking $pkg=$ver's source tree"
	rm -rf "$dest" && mkdir -p "$dest"
	tar -xaf "$tarball" -C "$dest" --strip-components=1
	echo "$ver" > "$dest/.debian-version"
	touch "$dest/.unpacked"
fi
# The image says which Debian version it is ("... Debian 6.1.192-2 ..."):
# a second check that source and guest kernel agree.
grep -aq "Debian $ver " "$kdir/boot/vmlinuz-$kver" ||
	strings "$kdir/boot/vmlinuz-$kver" | grep -q "Debian $ver" ||
	vs_say "warning: could not find 'Debian $ver' in vmlinuz-$kver (compressed image)"
echo "$dest"
