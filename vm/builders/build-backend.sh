#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the vhost-user backend (backend/) and its host API library on
# libvhost-user, which is built with its own meson.build from the QEMU
# source the project fetches (subprojects/libvhost-user): never copied.
#
# Usage: vm/builders/build-backend.sh [plain|asan]
#   plain: -O2, for make bench and your own use;
#   asan:  ASan + UBSan (libvhost-user too), what the tests run.
# Prints the directory holding vhost-user-simple, the host API example
# vhost-user-simple-kv, libvsimple-host.a and the host API's test.
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
flavour=${1:-plain}
case $flavour in
plain) cflags=(-O2) sanitize=none ;;
# the test build alone has fault injection (common/virtio-simple-ops.h)
asan)  cflags=(-O1 -fsanitize=address,undefined -fno-sanitize-recover=all
	       -fno-omit-frame-pointer -DVSIMPLE_FAULT_INJECTION)
       sanitize=address,undefined ;;
*)     vs_die "unknown flavour $flavour (plain, asan)" ;;
esac
qemu_src=$("$VS_TOP/vm/fetch/fetch-qemu.sh")
lvu=$qemu_src/subprojects/libvhost-user
[ -f "$lvu/meson.build" ] || vs_die "no subprojects/libvhost-user in $qemu_src"
out=$VS_TOP/build/backend/$flavour
mkdir -p "$out"

# libvhost-user: its meson.build, its own build directory per source
lvu_build=$out/libvhost-user-$(basename "$qemu_src")
if [ ! -f "$lvu_build/build.ninja" ]; then
	rm -rf "$lvu_build"
	meson setup --buildtype=plain -Db_sanitize="$sanitize" \
		"$lvu_build" "$lvu" > "$out/meson.log" 2>&1 ||
		{ tail -n 20 "$out/meson.log" >&2; vs_die "meson setup of libvhost-user failed (log $out/meson.log)"; }
fi
ninja -C "$lvu_build" libvhost-user.a > "$out/ninja.log" 2>&1 ||
	{ tail -n 20 "$out/ninja.log" >&2; vs_die "building libvhost-user failed (log $out/ninja.log)"; }

cc=(${CC:-cc} -g -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE
    "${cflags[@]}" -I"$VS_TOP/backend" -I"$VS_TOP/common/compat" -I"$VS_TOP/common"
    -I"$lvu")
# the host API library: ours, the shared protocol code, libvhost-user
objs=()
for f in backend/vsimple-host.c common/virtio-simple-ops.c; do
	o=$out/$(basename "${f%.c}").o
	"${cc[@]}" -c -o "$o" "$VS_TOP/$f"
	objs+=("$o")
done
# Every output is written under a temporary name and renamed into place:
# make check's suites run these programs while tests/qtest.sh calls this
# script again, and a program started as the linker rewrites it fails.
rm -f "$out/.libvsimple-host.a.tmp"
ar rcs "$out/.libvsimple-host.a.tmp" "${objs[@]}"
mv -f "$out/.libvsimple-host.a.tmp" "$out/libvsimple-host.a"
# a host program links both archives: ours, then libvhost-user's
link() {
	"${cc[@]}" -o "$out/.$1.tmp" "$VS_TOP/$2" "$out/libvsimple-host.a" \
		"$lvu_build/libvhost-user.a" -pthread
	mv -f "$out/.$1.tmp" "$out/$1"
}
link vhost-user-simple backend/vhost-user-simple.c
link vhost-user-simple-kv backend/examples/kv-store.c
# the host API's own test (tests/backend/): run by make check's host-backend
link test_host_api tests/backend/test_host_api.c
echo "$out"
