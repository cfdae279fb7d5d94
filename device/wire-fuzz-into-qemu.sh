#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Overlay the virtio-simple fuzz target onto a QEMU 7.2 source tree that
# wire-into-qemu.sh has already prepared: copy the target into
# tests/qtest/fuzz/ and list it in that folder's meson.build.  Only the
# fuzz build (FLAVOUR=fuzz) runs it; other builds skip the folder
# (meson's `if not get_option('fuzzing')`), so their cache keys stay.
set -euo pipefail
src=${1:?usage: wire-fuzz-into-qemu.sh QEMU_SOURCE_DIR}
dev=$(cd "$(dirname "$0")" && pwd)
f=tests/qtest/fuzz/virtio_simple_fuzz.c
[ -f "$src/tests/qtest/fuzz/meson.build" ] || { echo "not a QEMU tree: $src" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmp -s "$dev/$f" "$src/$f" 2>/dev/null || cp "$dev/$f" "$src/$f"

# One marked line after virtio-blk's, replaced on every run.
mark='# virtio-simple'
line="specific_fuzz_ss.add(when: 'CONFIG_VIRTIO_SIMPLE', if_true: files('virtio_simple_fuzz.c')) $mark"
sed "/ $mark\$/d" "$src/tests/qtest/fuzz/meson.build" |
	awk -v l="$line" '{ print } /^specific_fuzz_ss.add\(when: .CONFIG_VIRTIO_BLK./ { print l; found = 1 }
		END { if (!found) exit 1 }' > "$tmp/meson.build" ||
	{ echo "tests/qtest/fuzz/meson.build: anchor not found" >&2; exit 1; }
cmp -s "$tmp/meson.build" "$src/tests/qtest/fuzz/meson.build" ||
	cp "$tmp/meson.build" "$src/tests/qtest/fuzz/meson.build"
