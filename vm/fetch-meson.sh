#!/usr/bin/env bash
# QEMU 10.0 wants meson >= 1.5, Debian 12 has 1.0.  Unpack the backports
# suite's meson package into the cache (apt-get download + dpkg -x, never
# installed) and print its Python module directory, for PYTHONPATH: QEMU's
# configure (mkvenv, --system-site-packages) then finds it there instead of
# fetching one.  Keyed by version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vs_lock_cache
VSIMPLE_TARGET=backports vs_apt_private
ver=$(apt-cache "${vs_apt[@]}" policy meson | awk '/Candidate:/ {print $2}')
[ -n "$ver" ] && [ "$ver" != "(none)" ] || vs_die "no meson in the backports suite"
dest="$VS_CACHE/tools/meson-$ver"
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching meson $ver (unpacked into the cache, not installed)"
	rm -rf "$dest" "$dest.deb" && mkdir -p "$dest.deb"
	(cd "$dest.deb" && apt-get "${vs_apt[@]}" download -q "meson=$ver" >&2)
	dpkg -x "$dest.deb"/meson_*.deb "$dest"
	rm -rf "$dest.deb"
	[ -d "$dest/usr/lib/python3/dist-packages/mesonbuild" ] || vs_die "no mesonbuild in meson $ver"
	touch "$dest/.unpacked"
fi
echo "$dest/usr/lib/python3/dist-packages"
