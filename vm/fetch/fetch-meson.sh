#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# QEMU 10.0's configure wants meson >= 1.5 and pycotap (its "meson" group
# in pythondeps.toml); Debian 12 has meson 1.0 and no pycotap.  Unpack both
# from the backports suite into the cache (apt-get download + dpkg -x,
# never installed) and print their Python module directory, for
# PYTHONPATH: configure's venv (--system-site-packages) then finds them
# there instead of fetching them.  Keyed by their versions.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
vs_lock_cache
VSIMPLE_TARGET=backports vs_apt_private
pkgs=(meson python3-pycotap)
key="" want=()
for p in "${pkgs[@]}"; do
	v=$(apt-cache "${vs_apt[@]}" policy "$p" | awk '/Candidate:/ {print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] || vs_die "no $p in the backports suite"
	key+="${key:+_}$p-$v" want+=("$p=$v")
done
dest="$VS_CACHE/tools/$key"
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching ${want[*]} (unpacked into the cache, not installed)"
	vs_unpack_debs "$dest" "${want[@]}"
	[ -d "$dest/usr/lib/python3/dist-packages/mesonbuild" ] || vs_die "no mesonbuild in $dest"
	touch "$dest/.unpacked"
fi
echo "$dest/usr/lib/python3/dist-packages"
