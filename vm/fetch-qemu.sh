#!/usr/bin/env bash
# Fetch and unpack the distro's QEMU source package into the cache, using a
# private apt state whose only entries are deb-src lines derived from the
# host's configuration (vm/apt-src-entry.py).  The system's apt setup is not
# changed.  Prints the unpacked source directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vs_lock_cache

if [ -n "${QEMU_SRC:-}" ]; then
	[ -f "$QEMU_SRC/VERSION" ] || vs_die "QEMU_SRC=$QEMU_SRC is not a QEMU source tree"
	cd "$QEMU_SRC" && pwd
	exit 0
fi

apt_dir="$VS_CACHE/apt"
src_root="$VS_CACHE/qemu-src"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src_root"
"$here/apt-src-entry.py" > "$apt_dir/sources.list.d/derived.sources" ||
	vs_die "cannot derive deb-src entries from the host's apt sources (see above)"
[ -s "$apt_dir/sources.list.d/derived.sources" ] || vs_die "no Debian apt source found to derive a deb-src entry from"

apt_opts=(
	-o "Dir::Etc::SourceList=/dev/null"
	-o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Debug::NoLocking=true"
	-o "APT::Sandbox::User=$(id -un)"
)

# Refresh the private lists at most once a day.
if [ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*Sources*' -mtime -1 2>/dev/null)" ]; then
	vs_say "apt-get update (deb-src lists, private to the cache)"
	apt-get "${apt_opts[@]}" update -q >&2
fi

ver=$(apt-cache "${apt_opts[@]}" showsrc qemu 2>/dev/null |
	awk '/^Version:/ {print $2}' | sort -V | tail -n 1)
[ -n "$ver" ] || vs_die "no qemu source package found in the derived deb-src entries"

dest="$src_root/${ver#*:}"	# configure refuses a colon in the path
if [ ! -f "$dest/.unpacked" ]; then
	vs_say "fetching qemu source $ver"
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
	(cd "$dest.tmp" && apt-get "${apt_opts[@]}" source -q "qemu=$ver" >&2)
	tree=$(find "$dest.tmp" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
	[ -n "$tree" ] || vs_die "apt-get source did not unpack a qemu tree"
	rm -rf "$dest" && mv "$tree" "$dest" && rm -rf "$dest.tmp"
	touch "$dest/.unpacked"
fi
echo "$dest"
