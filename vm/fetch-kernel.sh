#!/usr/bin/env bash
# Unpack the distro's kernel image package into the cache for the guest.
# It is never installed on the host: apt-get download + dpkg -x only.
# Prints the unpacked directory (boot/vmlinuz-*, lib/modules/*).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vs_lock_cache

kver=$(vs_kernel_version)
dest="$VS_CACHE/kernel/$kver"
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching linux-image-$kver (unpacked into the cache, not installed)"
	rm -rf "$dest" "$dest.deb" && mkdir -p "$dest.deb"
	(cd "$dest.deb" && apt-get download -q "linux-image-$kver" >&2)
	dpkg -x "$dest.deb"/linux-image-*.deb "$dest"
	rm -rf "$dest.deb"
	[ -f "$dest/boot/vmlinuz-$kver" ] || vs_die "no vmlinuz in linux-image-$kver"
	touch "$dest/.unpacked"
fi
echo "$dest"
