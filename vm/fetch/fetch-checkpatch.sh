#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack the kernel's checkpatch.pl (and the data files it reads) from the
# distro's linux-source package into the cache; the package is downloaded,
# not installed.  Prints the directory that holds scripts/checkpatch.pl.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
vs_lock_cache

kver=$(vs_kernel_version)
series=${kver%%-*}; series=${series%.*}	# 6.1.0-56-amd64 -> 6.1
dest="$VS_CACHE/linux-scripts/$series"
if [ ! -f "$dest/.unpacked" ]; then
	ver=$(apt-cache policy "linux-source-$series" | awk '/Candidate:/ {print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || vs_die "no linux-source-$series package"
	tarball=$(vs_linux_source "$ver")
	vs_say "checkpatch.pl from linux-source-$series=$ver"
	rm -rf "$dest" && mkdir -p "$dest"
	tar -xaf "$tarball" -C "$dest" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$dest/.unpacked"
fi
echo "$dest"
