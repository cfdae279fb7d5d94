#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the two scratch trees that make check tests besides this one:
#   build/scratch/xor         this tree with docs/extending/'s patches
#                             applied in the order of its series file
#   build/scratch/virtio-foo  `vm/targets/new-device.sh foo 62`'s copy of this tree
#                             (bar 61 in a copy that is itself foo or 62)
# Each gets its driver, programs and guest initramfs, and one QEMU holds
# both devices (virtio-simple with XOR, and virtio-foo): a private copy of
# the QEMU source and its own build directory in the cache
# (VSIMPLE_QEMU_SCRATCH), never the shared source this tree builds from.
# Warm runs copy only files that changed, so every build is incremental.
# Writes build/scratch/{xor,virtio-foo}.env for the trees'
# vm/boot/run-guest.py and build/scratch/generated (NAME ID) for
# tests/new-device.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. vm/lib.sh
scratch=$top/build/scratch
mkdir -p "$scratch"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# sync_tree NEW DEST: make DEST's sources NEW's; unchanged files keep their
# mtime, files gone from NEW go, build outputs in DEST stay.
sync_tree() {
	local new=$1 dest=$2 f
	mkdir -p "$dest"
	(cd "$new" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) > "$tmp/manifest"
	if [ -f "$dest/.scratch-manifest" ]; then
		LC_ALL=C comm -23 "$dest/.scratch-manifest" "$tmp/manifest" |
			while read -r f; do rm -f "$dest/$f"; done
	fi
	while read -r f; do
		if ! cmp -s "$new/$f" "$dest/$f"; then
			mkdir -p "$(dirname "$dest/$f")"
			cp -p "$new/$f" "$dest/$f"
		fi
	done < "$tmp/manifest"
	cp "$tmp/manifest" "$dest/.scratch-manifest"
}

# Nothing to do when no source (nor the guest's settings) changed since the
# last run that finished: the second suite of a run, and warm runs.
stamp=$( { vm/tree-files.sh | xargs sha256sum; cat build/guest.env; } | sha256sum | cut -c1-16)
if [ "$(cat "$scratch/stamp" 2>/dev/null)" = "$stamp" ] &&
	[ -x "$(cat "$scratch/qemu-build")/qemu-system-x86_64" ] &&
	read -r gen _ < "$scratch/generated" &&
	[ -f "$scratch/xor/build/guest.cpio" ] && [ -f "$scratch/virtio-$gen/build/guest.cpio" ]; then
	exit 0
fi
rm -f "$scratch/stamp"

# The guide's worked examples, applied as a reader would, in its order.
mkdir -p "$tmp/xor"
vm/tree-files.sh | tar -cf - -T - | tar -C "$tmp/xor" -xf -
(cd "$tmp/xor" && while read -r p; do
	patch -p1 -s --no-backup-if-mismatch < "docs/extending/$p" || exit
done < docs/extending/series)
sync_tree "$tmp/xor" "$scratch/xor"

gen=foo gen_id=62
[ ! -f include/uapi/virtio_foo.h ] && ! grep -qw 62 <(grep 'define VIRTIO_ID_' include/uapi/virtio_simple.h) ||
	gen=bar gen_id=61
vm/targets/new-device.sh "$gen" "$gen_id" "$tmp/virtio-$gen" >/dev/null
sync_tree "$tmp/virtio-$gen" "$scratch/virtio-$gen"
echo "$gen $gen_id" > "$scratch/generated"

qemu=$(VSIMPLE_QEMU_SCRATCH=examples \
	VSIMPLE_QEMU_OVERLAYS="$scratch/xor/device/wire-into-qemu.sh $scratch/virtio-$gen/device/wire-into-qemu.sh" \
	vm/builders/build-qemu.sh)
echo "$qemu" > "$scratch/qemu-build"

# The guest kernel, firmware and accelerator of this tree's guest.env
kver=$(vs_kernel_version)
kernel=$(sed -n 's/^VSIMPLE_KERNEL=//p' build/guest.env)
firmware=$(sed -n 's/^VSIMPLE_FIRMWARE=//p' build/guest.env)
accel=$(sed -n 's/^VSIMPLE_ACCEL=//p' build/guest.env)
[ -n "$kernel" ] || vs_die "build/guest.env has no kernel: run make guest first"

# build_tree DIR PREFIX MAKE_TARGETS...: a tree's own Makefile and
# make-guest.sh, with its own variable names (PREFIX_*); deps (apt) is
# this tree's business, so it is not remade there.
build_tree() {
	local dir=$1 p=$2
	shift 2
	env "${p}_KVER=$kver" "${p}_CACHE=$VS_CACHE" make -s -C "$dir" -o deps "$@" >&2
	env "${p}_KVER=$kver" "${p}_CACHE=$VS_CACHE" GUEST_BIN="$dir/build/guest-bin" \
		"$dir/vm/image/make-guest.sh" "$dir/build/guest.cpio"
	cat > "$dir.env" <<EOT
${p}_QEMU=$qemu/qemu-system-x86_64
${p}_KERNEL=$kernel
${p}_INITRD=$dir/build/guest.cpio
${p}_FIRMWARE=$firmware
${p}_ACCEL=$accel
EOT
}
build_tree "$scratch/xor" VSIMPLE driver build/guest-bin/vsimple build/guest-bin/tap.sh \
	host-tests
# the whole copy must build: driver, host tools and tests, guest programs
build_tree "$scratch/virtio-$gen" "V${gen^^}" driver tools host-tests guest-bin
echo "$stamp" > "$scratch/stamp"
