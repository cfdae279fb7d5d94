#!/usr/bin/env bash
# Build qemu-system-x86_64 with virtio-simple from the distro's QEMU source.
# The build directory is cached, keyed by the QEMU version, the build flavour
# and a hash of the overlay wiring; edits to device/ sources rebuild
# incrementally.  Prints the path of the built binary.
#   FLAVOUR=plain (default) | asan   (AddressSanitizer + UBSan, for qtests)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

flavour=${FLAVOUR:-plain}
src=$("$here/fetch-qemu.sh")
"$VS_TOP/device/wire-into-qemu.sh" "$src"

conf=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-kvm --enable-tcg
	--disable-docs --disable-werror
	--enable-trace-backends=log
)
case "$flavour" in
plain) ;;
asan)
	conf+=(--cc=clang --cxx=clang++ --enable-sanitizers --disable-fuzzing)
	;;
*) vs_die "unknown FLAVOUR=$flavour" ;;
esac

ver=$(basename "$src")
key=$( { cat "$VS_TOP/device/wire-into-qemu.sh"; echo "${conf[*]}"; } | sha256sum | cut -c1-12)
build="$VS_CACHE/qemu-build/$ver-$flavour-$key"
mkdir -p "$build"
if [ ! -f "$build/build.ninja" ]; then
	vs_say "configuring QEMU $ver ($flavour) in $build"
	(cd "$build" && "$src/configure" "${conf[@]}" >configure.log 2>&1) ||
		{ tail -n 30 "$build/configure.log" >&2; vs_die "QEMU configure failed (log: $build/configure.log)"; }
fi
vs_say "building qemu-system-x86_64 ($flavour)"
ninja -C "$build" -j "$(nproc)" qemu-system-x86_64 >"$build/ninja.log" 2>&1 ||
	{ tail -n 40 "$build/ninja.log" >&2; vs_die "QEMU build failed (log: $build/ninja.log)"; }
echo "$build/qemu-system-x86_64"
