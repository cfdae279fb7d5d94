#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# docs/extending.md cannot rot: its diff blocks are docs/extending/xor-op.patch,
# serial-feature.patch and ctrl-queue.patch, the patches apply to this tree
# and build (tests/scratch-trees.sh), and the new op, feature bit and
# virtqueue pass their qtests and guest tests.  TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib/tap.sh
tree=build/scratch/xor
log=build/test-logs/scratch-trees.log
mkdir -p build/test-logs

# the page's diff blocks, end to end
quoted=$(awk '/^```diff$/ { on = 1; next } /^```$/ { on = 0 } on' docs/extending.md)
# docs/extending/series: the patches in the order they apply (quilt's file)
patches=$(tr '\n' ' ' < docs/extending/series)
out=$(diff <(printf '%s\n' "$quoted") <(for p in $patches; do cat "docs/extending/$p"; done))
tap_result $? "docs/extending.md quotes its patches (${patches% }) whole, in order" "$out"

out=$(grep -rn 'VIRTIO_SIMPLE_OP_' driver/ --include='*.[ch]')
tap_result "$([ -z "$out" ]; echo $?)" "the driver names no op (why it needs no change)" "$out"

tests/scratch-trees.sh > "$log" 2>&1
tap_result $? "the patches apply to a copy of the tree, which builds (QEMU, driver, CLI, host tests, initramfs)" \
	"$(tail -n 25 "$log")" || { tap_done; exit 1; }

# the patched tree's own lint, as tests/new-device.sh runs its copy's:
# kernel checkpatch --strict, sparse and W=1 on the driver and header, QEMU
# checkpatch on the device and qtest; its checks numbered on from ours
tap_embed -p "[examples] " "$tree/tests/lint.sh"

# the header test, against the patched header
out=$("$tree/build/host-tests/test_header" 2>&1)
tap_result $? "the header test: the new field's offset and the new size" "$out"

# the new qtests, against the QEMU built with the patches
qemu=$(cat build/scratch/qemu-build)
export QTEST_QEMU_BINARY=./qemu-system-x86_64	# qos-test -l asks it too
for t in xor serial serial-absent ctrl-set-label; do
	path=$(cd "$qemu" && ./tests/qtest/qos-test -l | grep "/virtio-simple-tests/$t\$")
	out=$(cd "$qemu" && [ -n "$path" ] && timeout 300 ./tests/qtest/qos-test -p "$path" 2>&1)
	tap_result $? "qtest $t (${path:-not registered})" "$out"
done

# the new guest tests, through the patched tree's driver; their checks
# numbered on from ours (one TAP stream, one plan)
mapfile -t settings < build/scratch/xor.env
guest_test() {	# guest_test NAME DEVICE...: tests/guest/NAME in a guest
	local name=$1 dev args=()
	shift
	for dev in "$@"; do args+=(--device "$dev"); done
	tap_embed env "${settings[@]}" "$tree/vm/boot/run-guest.py" \
		--timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" "${args[@]}" "$tree/tests/guest/$name"
	tap_result $? "guest test tests/guest/$name ran to its end and passed"
}
guest_test xor.sh virtio-simple-pci
guest_test serial.sh virtio-simple-pci,serial=0x1234abcd5678 virtio-simple-pci
guest_test ctrlq.sh virtio-simple-pci,ctrl-vq=on,label=alpha virtio-simple-pci,label=plain
tap_done
