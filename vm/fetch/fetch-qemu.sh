#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch and unpack the distro's QEMU source package into the cache, using a
# private apt state whose only entries are derived from the host's
# configuration (vs_apt_private): the release's own QEMU, or with
# VSIMPLE_TARGET=backports the backports suite's.  Entries are keyed by
# version, so both coexist.  Prints the unpacked source directory.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
vs_lock_cache

if [ -n "${QEMU_SRC:-}" ]; then
	[ -f "$QEMU_SRC/VERSION" ] || vs_die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree"
	cd "$QEMU_SRC" && pwd
	exit 0
fi

src_root="$VS_CACHE/qemu-src"
mkdir -p "$src_root"
vs_apt_private
apt_opts=("${vs_apt[@]}")

ver=$(apt-cache "${apt_opts[@]}" showsrc qemu 2>/dev/null |
	awk '/^Version:/ {print $2}' | sort -V | tail -n 1)
[ -n "$ver" ] || vs_die "no qemu source package found in the derived deb-src entries"

dest="$src_root/${ver#*:}"	# configure refuses a colon in the path
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching qemu source $ver"
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	if ! (cd "$dest.tmp" && apt-get "${apt_opts[@]}" source -q "qemu=$ver" >&2); then
		# Seen with backports here: the mirror answers 404 for the .dsc
		# and debian.tar.xz while serving the upstream tarball they share
		# with the next release.  Build that, without Debian's patches.
		orig=$(find "$dest.tmp" -maxdepth 1 -name 'qemu_*.orig.tar.*' | head -n 1)
		[ "$(vs_target)" != stable ] && [ -n "$orig" ] ||
			vs_die "apt-get source qemu=$ver failed"
		vs_say "only ${orig##*/} could be fetched: unpacking it without Debian's patches"
		tar -C "$dest.tmp" -xf "$orig"
		echo "upstream tarball only: ${orig##*/}" > "$dest.tmp/.origin"
	fi
	tree=$(find "$dest.tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
	[ -n "$tree" ] || vs_die "apt-get source did not unpack a qemu tree"
	[ ! -f "$dest.tmp/.origin" ] || mv "$dest.tmp/.origin" "$tree/.origin"
	rm -rf "$dest" && mv "$tree" "$dest" && rm -rf "$dest.tmp"
	touch "$dest/.unpacked"
fi
# Without Debian's packaging the dfsg tarball lacks the edk2 firmware
# images that QEMU 10's meson unpacks whenever it finds bzip2 (Debian builds
# them from source).  The guests boot SeaBIOS: do without them.
if [ -f "$dest/.origin" ] && ! compgen -G "$dest/pc-bios/edk2-*.bz2" >/dev/null; then
	sed -i 's/^\( *unpack_edk2_blobs = \)bzip2.found()$/\1false/' "$dest/meson.build"
fi
echo "$dest"
