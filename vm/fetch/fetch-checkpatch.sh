#!/usr/bin/env bash
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
	vs_say "fetching checkpatch.pl from linux-source-$series (not installed)"
	rm -rf "$dest" "$dest.deb" && mkdir -p "$dest.deb" "$dest"
	(cd "$dest.deb" && apt-get download -q "linux-source-$series" >&2)
	dpkg -x "$dest.deb"/linux-source-*.deb "$dest.deb/x"
	tar -xaf "$dest.deb"/x/usr/src/linux-source-"$series".tar.* -C "$dest" \
		--strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$dest.deb"
	touch "$dest/.unpacked"
fi
echo "$dest"
