#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack the distro's kernel image package into the cache for the guest
# (the target's: VSIMPLE_TARGET, vm/lib.sh), keyed by its version.
# It is never installed on the host: apt-get download + dpkg -x only.
# Prints the unpacked directory (boot/vmlinuz-*, lib/modules/*).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
vs_lock_cache

kver=$(vs_kernel_version)
dest="$VS_CACHE/kernel/$kver"
# backports: downloaded through the private apt state (VSIMPLE_TARGET)
vs_apt=()
[ "$(vs_target)" = stable ] || [ -f "$dest/.unpacked" ] || vs_apt_private
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching linux-image-$kver (unpacked into the cache, not installed)"
	vs_unpack_debs "$dest" "linux-image-$kver"
	[ -f "$dest/boot/vmlinuz-$kver" ] || vs_die "no vmlinuz in linux-image-$kver"
	touch "$dest/.unpacked"
fi
echo "$dest"
