#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build qemu-system-x86_64 with virtio-simple from the distro's QEMU source.
# The build directory is cached, keyed by the QEMU version, the build flavour
# and a hash of the overlay wiring; edits to device/ sources rebuild
# incrementally.  Prints the build directory.
#   FLAVOUR=plain (default): qemu-system-x86_64 for the guest, with slirp
#   FLAVOUR=asan: AddressSanitizer + UBSan build of qemu-system-x86_64 and
#                 the qos-test qtest binary; where the fuzz target builds
#                 (QEMU 7.2: fork-based fuzzing, gone since 8.0) the same
#                 build as FLAVOUR=fuzz, which yields all three binaries
#   VSIMPLE_QEMU_SCRATCH=NAME with VSIMPLE_QEMU_OVERLAYS="WIRE.sh ...": QEMU
#                 for other trees (docs/extending.md's example,
#                 vm/targets/new-device.sh copies), built from a private copy
#                 of the source with those
#                 wire-into-qemu.sh scripts applied, never the shared source
#                 this tree's build uses; qos-test is built too
#   FLAVOUR=fuzz: QEMU's libFuzzer build (clang-14, ASan + UBSan) of
#                 qemu-fuzz-x86_64 with the virtio-simple fuzz target
#                 (device/wire-fuzz-into-qemu.sh; see `make fuzz`), and from
#                 the same fuzzer-instrumented objects qemu-system-x86_64
#                 and qos-test for the qtests
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
vs_lock_cache

flavour=${FLAVOUR:-plain}
src=$("$VS_TOP/vm/fetch/fetch-qemu.sh")
ver=$(basename "$src")
# The sanitizer builds for the qtests and for the fuzzer differ only in
# --enable-fuzzing: build the tree once where our fuzz target can be built
if [ -f "$src/tests/qtest/fuzz/fork_fuzz.h" ]; then
	[ "$flavour" != asan ] || flavour=fuzz
elif [ "$flavour" = fuzz ]; then
	vs_die "QEMU $ver has no fork-based fuzzing (QEMU 7.2's), which the fuzz target needs"
fi
overlays=("$VS_TOP/device/wire-into-qemu.sh")
scratch=${VSIMPLE_QEMU_SCRATCH:-}
if [ -n "$scratch" ]; then
	read -ra overlays <<<"${VSIMPLE_QEMU_OVERLAYS:?VSIMPLE_QEMU_OVERLAYS: no wire-into-qemu.sh given}"
	copy="$VS_CACHE/qemu-src-scratch/$ver-$scratch"
	if [ ! -f "$copy/.copied" ]; then
		vs_say "copying the QEMU source for $scratch"
		rm -rf "$copy" "$copy.tmp" && mkdir -p "$(dirname "$copy")"
		cp -a "$src" "$copy.tmp" && mv "$copy.tmp" "$copy" && touch "$copy/.copied"
	fi
	src=$copy
fi
[ "$flavour" != fuzz ] || overlays+=("$VS_TOP/device/wire-fuzz-into-qemu.sh")
for wire in "${overlays[@]}"; do
	"$wire" "$src"
done

conf=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-kvm --enable-tcg
	--disable-docs --disable-werror
	--enable-trace-backends=log
	# vhost-user-simple-pci, the front-end of backend/ (docs/vhost-user.md)
	--enable-vhost-user
)
targets=(qemu-system-x86_64)
[ -z "$scratch" ] || targets+=(tests/qtest/qos-test)
# VSIMPLE_QOS_TEST=1: qos-test too (make matrix's qtests on a plain build)
[ -z "${VSIMPLE_QOS_TEST:-}" ] || targets+=(tests/qtest/qos-test)
# ASan and UBSan: --enable-sanitizers on older QEMU (7.2), two options on
# newer (10.0)
sanitizers=(--enable-sanitizers)
! grep -q "^option('asan'" "$src/meson_options.txt" || sanitizers=(--enable-asan --enable-ubsan)
case "$flavour" in
# slirp (-netdev user) for a disk-image guest outside the harness
# (docs/usage.md); only here, so the sanitizer build's key stays the same
plain) conf+=(--enable-slirp) ;;
asan)
	conf+=(--cc=clang --cxx=clang++ "${sanitizers[@]}")
	targets+=(tests/qtest/qos-test)
	;;
fuzz)
	"$VS_TOP/vm/builders/install-fuzz-deps.sh"
	conf+=(--cc=clang-14 --cxx=clang++-14 "${sanitizers[@]}" --enable-fuzzing)
	targets+=(tests/qtest/qos-test qemu-fuzz-x86_64)
	;;
*) vs_die "unknown FLAVOUR=$flavour" ;;
esac

# A source that wants a newer meson than Debian 12's (QEMU 10.0): the
# backports one from the cache, and never a download from PyPI.
need=$(sed -n "1,3s/.*meson_version: *'>=\([0-9.]*\)'.*/\1/p" "$src/meson.build")
if [ -n "$need" ] && ! printf '%s\n' "$need" "$(meson --version)" | sort -VC; then
	PYTHONPATH=$("$VS_TOP/vm/fetch/fetch-meson.sh")${PYTHONPATH:+:$PYTHONPATH}
	export PYTHONPATH
	conf+=(--disable-download)
fi
# the upstream tarball alone (fetch-qemu.sh) has no firmware blobs to install
[ ! -f "$src/.origin" ] || conf+=(--disable-install-blobs)

key=$( { cat "${overlays[@]}"; echo "${conf[*]}"; } | sha256sum | cut -c1-12)
build="$VS_CACHE/qemu-build/$ver-$flavour${scratch:+-$scratch}-$key"
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
	vs_say "configuring QEMU $ver ($flavour) in $build"
	(cd "$build" && "$src/configure" "${conf[@]}" >configure.log 2>&1) ||
		{ tail -n 30 "$build/configure.log" >&2; vs_die "QEMU configure failed (log: $build/configure.log)"; }
fi
vs_say "building ${targets[*]} ($flavour)"
ninja -C "$build" -j "$(nproc)" "${targets[@]}" >"$build/ninja.log" 2>&1 ||
	{ tail -n 40 "$build/ninja.log" >&2; vs_die "QEMU build failed (log: $build/ninja.log)"; }
# the build must stay warning-free for our files
if grep -E '(virtio-simple[^ ]*\.[ch]).*warning' "$build/ninja.log" >&2; then
	vs_die "warnings in virtio-simple sources"
fi
# The distro source ships without firmware blobs.  QEMU run from its build
# tree searches qemu-bundle/ (`-L help` lists it): link the distro's SeaBIOS
# and option ROM packages there, so qtests find them too.
fw="$build/qemu-bundle/usr/local/share/qemu-firmware"
mkdir -p "$fw"
for f in /usr/share/seabios/*.bin /usr/share/qemu/*.bin /usr/lib/ipxe/qemu/*.rom; do
	[ -e "$f" ] && ln -sf "$f" "$fw/"
done
echo "$build"
