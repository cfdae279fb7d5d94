#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A Debian root file system with systemd and systemd-udevd, for testing
# `make install` in a real guest (tests/install-guest.sh).  Made once by
# debootstrap (minbase plus the packages below) from the mirror the host's
# apt configuration names (vm/fetch/apt-src-entry.py; no address in the tree),
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

# this entry's own lock: a long debootstrap must not hold up QEMU builds
mkdir -p "$(dirname "$tar")"
exec 8>>"$tar.lock"
flock 8
[ -f "$tar" ] && { echo "$tar"; exit 0; }
[ "$(id -u)" -eq 0 ] || vs_die "making the systemd root needs root (debootstrap)"
mirror=$("$VS_TOP/vm/fetch/apt-src-entry.py" --mirror)
tmp="$VS_CACHE/systemd-root/build.$$"
log="$VS_CACHE/systemd-root/debootstrap.log"
rm -rf "$tmp" && mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
vs_say "debootstrap $codename (minbase + $pkgs), cached in $tar"
timeout 1800 debootstrap --variant=minbase --include="$pkgs" "$codename" "$tmp" "$mirror" \
	> "$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; vs_die "debootstrap failed (log $log)"; }
rm -f "$tmp/etc/apt/sources.list"	# the guest has no network
tar -C "$tmp" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
echo "$tar"
