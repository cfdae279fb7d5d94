#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make fresh-check: the README's promise, proven on a pristine Debian root.
#
# A minimal root (debootstrap --variant=minbase, from the distro's packages)
# is built once and cached as a tarball.  Each variant unpacks a fresh copy,
# gives it apt sources (one-line: the release suite alone, as debootstrap
# leaves it; deb822: the host's release, -updates and -security suites, as
# an installed system has), clones the project into it (git is not
# installed there, so nothing may need it), binds /proc, /sys and /dev, and
# runs `.ci/run` exactly as CI does.  The root has its own cache: nothing is
# shared with the host's.  A variant passes when .ci/run exits 0 and its
# last line is "N passed, 0 failed".
#
# The mirror is the one the host's apt configuration names
# (vm/fetch/apt-src-entry.py); no address is written into the tree.
#
# Usage: vm/targets/fresh-check.sh [VARIANT...]   (one-line, deb822;
#        default both; "prepare" only builds the cached root)
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
[ "$(id -u)" -eq 0 ] || vs_die "fresh-check needs root (debootstrap, chroot, bind mounts)"

variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(one-line deb822)
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=$("$VS_TOP/vm/fetch/apt-src-entry.py" --mirror)
logs="$VS_TOP/build/fresh-check"
mkdir -p "$logs"

base="$VS_CACHE/fresh-root/$codename-minbase.tar"
if [ ! -f "$base" ]; then
	command -v debootstrap >/dev/null || {
		vs_apt_update
		vs_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends debootstrap
	}
	vs_say "debootstrap $codename (minbase) for the pristine root; cached in $base"
	tmp="$VS_CACHE/fresh-root/build.$$"
	rm -rf "$tmp" && mkdir -p "$tmp"
	debootstrap --variant=minbase "$codename" "$tmp" "$mirror" > "$logs/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$logs/debootstrap.log" >&2; vs_die "debootstrap failed (log $logs/debootstrap.log)"; }
	rm -f "$tmp/etc/apt/sources.list"	# each variant writes its own
	tar -C "$tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$tmp"
fi

root=""
unmount_root() {
	[ -n "$root" ] || return 0
	for m in dev sys proc; do
		umount -R "$root/$m" 2>/dev/null || umount -lR "$root/$m" 2>/dev/null || true
	done
}
trap unmount_root EXIT

# run_variant NAME: one pristine root with sources in format NAME.
run_variant() {
	local name=$1 log="$logs/$1.log" start rc last
	root="$VS_CACHE/fresh-root/run-$name"
	vs_say "fresh-check $name: a fresh root in $root"
	unmount_root
	rm -rf "$root" && mkdir -p "$root"
	tar -C "$root" -xf "$base"
	case $name in
	# the release suite alone, as debootstrap writes it: what a minimal
	# root or a container has (no -updates, no -security)
	one-line)
		"$VS_TOP/vm/fetch/apt-src-entry.py" --type deb --format one-line --release-only \
			> "$root/etc/apt/sources.list" ;;
	deb822)
		"$VS_TOP/vm/fetch/apt-src-entry.py" --type deb --format deb822 \
			> "$root/etc/apt/sources.list.d/debian.sources" ;;
	*)	vs_die "unknown variant $name (one-line, deb822)" ;;
	esac
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# a clone of what is committed, as CI's; git itself stays outside
	git clone -q --no-hardlinks "$VS_TOP" "$root/root/virtio-simple"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
	mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"

	start=$(date +%s)
	set +e
	chroot "$root" /usr/bin/env -i HOME=/root CI=true LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c 'cd /root/virtio-simple && bash .ci/run' < /dev/null > "$log" 2>&1
	rc=$?
	set -e
	times+=("$name $(( $(date +%s) - start ))")
	unmount_root
	last=$(tail -n 1 "$log")
	if [ "$rc" -eq 0 ] && [[ $last =~ ^[0-9]+\ passed,\ 0\ failed(,\ [0-9]+\ skipped)?$ ]]; then
		echo "ok - fresh-check $name: $last in $(( $(date +%s) - start )) s"
		rm -rf "$root"		# several GB; kept only when it failed
	else
		echo "not ok - fresh-check $name: .ci/run exited $rc, last line '$last' (log $log, root kept in $root)"
		tail -n 25 "$log" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
	root=""
}

failed=0
times=()
for v in "${variants[@]}"; do
	[ "$v" = prepare ] || run_variant "$v"
done
[ ${#times[@]} -eq 0 ] || printf 'fresh-check time: %s s\n' "${times[@]}"
[ "$failed" -eq 0 ]
