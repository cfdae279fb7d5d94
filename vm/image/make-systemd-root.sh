#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A Debian root file system with systemd and systemd-udevd, for testing
# `make install` in a real guest (tests/install-guest.sh).  Made once by
# mmdebstrap (minbase plus the packages below; it writes the tarball
# itself, in half of debootstrap's time: 26 s against 50 s here) from the
# mirror the host's apt configuration names (vm/fetch/apt-src-entry.py; no address in the tree),
# and cached as a tarball, keyed by the package list.  Needs root.
#   vm/image/make-systemd-root.sh [PACKAGE...]   more packages (the DKMS guest's
#                                          dkms and kernel headers)
# Prints the tarball's path.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

# make: the guest runs `make uninstall` from a copy of the tree
pkgs=systemd,systemd-sysv,udev,kmod,make
for p in "$@"; do pkgs=$pkgs,$p; done
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
key=$(echo "$codename $pkgs" | sha256sum | cut -c1-12)
tar="$VS_CACHE/systemd-root/$codename-$key.tar"
if [ -f "$tar" ]; then
	echo "$tar"
	exit 0
fi

# this entry's own lock: a long bootstrap must not hold up QEMU builds
mkdir -p "$(dirname "$tar")"
exec 8>>"$tar.lock"
flock 8
[ -f "$tar" ] && { echo "$tar"; exit 0; }
[ "$(id -u)" -eq 0 ] || vs_die "making the systemd root needs root (mmdebstrap)"
vs_need_tool mmdebstrap mmdebstrap	# make deps installs it
log="$VS_CACHE/systemd-root/mmdebstrap.log"
vs_say "mmdebstrap $codename (minbase + $pkgs), cached in $tar"
# the release's own entry from the host's sources (no address in the
# tree); mmdebstrap writes the tarball itself.  No sources in the root:
# the guest has no use for the archive.
# Built in the cache, not in /tmp (a small tmpfs, or sudo's reset TMPDIR).
mkdir -p "$VS_CACHE/systemd-root/tmp"
"$VS_TOP/vm/fetch/apt-src-entry.py" --type deb --format one-line --release-only |
	TMPDIR=$VS_CACHE/systemd-root/tmp timeout --foreground 1800 mmdebstrap --variant=minbase --format=tar --include="$pkgs" \
		--customize-hook='rm -f "$1/etc/apt/sources.list"' \
		"$codename" "$tar.tmp" - > "$log" 2>&1 ||
	{ rm -f "$tar.tmp"; tail -n 20 "$log" >&2; vs_die "mmdebstrap failed (log $log)"; }
mv "$tar.tmp" "$tar"
echo "$tar"
