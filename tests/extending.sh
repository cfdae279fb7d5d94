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
patches="xor-op serial-feature ctrl-queue"
out=$(diff <(printf '%s\n' "$quoted") <(for p in $patches; do cat "docs/extending/$p.patch"; done))
tap_result $? "docs/extending.md quotes its patches ($patches) whole, in order" "$out"

out=$(grep -rn 'VIRTIO_SIMPLE_OP_' driver/ --include='*.[ch]')
tap_result "$([ -z "$out" ]; echo $?)" "the driver names no op (why it needs no change)" "$out"

tests/scratch-trees.sh > "$log" 2>&1
tap_result $? "the patches apply to a copy of the tree, which builds (QEMU, driver, CLI, host tests, initramfs)" \
	"$(tail -n 25 "$log")" || { tap_done; exit 1; }

# the patched device keeps QEMU's style
qemu_src=$(vm/fetch/fetch-qemu.sh)
out=$(cd "$tree/device" && for f in hw/virtio/virtio-simple.c hw/virtio/virtio-simple-pci.c \
		include/hw/virtio/virtio-simple.h tests/qtest/virtio-simple-test.c; do
	perl "$qemu_src/scripts/checkpatch.pl" --no-tree -q -f "$f" 2>&1
done)
tap_result "$([ -z "$out" ]; echo $?)" "QEMU checkpatch: the patched device and qtest" "$out"

# and the patched driver and header the kernel's, run as tests/lint.sh
# runs it: where no git and no include/ give it a CamelCase cache to write
kscripts=$(vm/fetch/fetch-checkpatch.sh)
kdir=$(mktemp -d)
mkdir -p "$kdir/empty-root/include" "$kdir/include"
ln -s "$top/$tree/driver" "$kdir/driver"
ln -s "$top/$tree/include/uapi" "$kdir/include/uapi"
out=$(cd "$kdir" && for f in driver/vsimple.h driver/vsimple_main.c driver/vsimple_sysfs.c \
		"--ignore LINUX_VERSION_CODE driver/vsimple_compat.h" \
		"--ignore CAMELCASE include/uapi/virtio_simple.h"; do
	# shellcheck disable=SC2086 # the header's waiver is two words
	GIT_DIR="$kdir/no-git" perl "$kscripts/scripts/checkpatch.pl" --no-tree \
		--root="$kdir/empty-root" --strict --quiet --show-types -f $f 2>&1
done)
tap_result "$([ -z "$out" ]; echo $?)" "kernel checkpatch --strict: the patched driver and header" "$out"
rm -rf "$kdir"

# the header test, against the patched header
out=$("$tree/build/host-tests/test_header" 2>&1)
tap_result $? "the header test: the new field's offset and the new size" "$out"

# the new qtest, against the QEMU built with the patch
qemu=$(cat build/scratch/qemu-build)
export QTEST_QEMU_BINARY=./qemu-system-x86_64	# qos-test -l asks it too
path=$(cd "$qemu" && ./tests/qtest/qos-test -l | grep '/virtio-simple-tests/xor$')
out=$(cd "$qemu" && [ -n "$path" ] && timeout 300 ./tests/qtest/qos-test -p "$path" 2>&1)
tap_result $? "qtest xor (${path:-not registered})" "$out"
for t in serial serial-absent ctrl-set-label; do
	path=$(cd "$qemu" && ./tests/qtest/qos-test -l | grep "/virtio-simple-tests/$t\$")
	out=$(cd "$qemu" && [ -n "$path" ] && timeout 300 ./tests/qtest/qos-test -p "$path" 2>&1)
	tap_result $? "qtest $t (${path:-not registered})" "$out"
done

# the new guest test, through the unchanged driver; its checks numbered on
# from ours (one TAP stream, one plan)
mapfile -t settings < build/scratch/xor.env
tap_embed env "${settings[@]}" "$tree/vm/boot/run-guest.py" --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" \
	--device virtio-simple-pci "$tree/tests/guest/xor.sh"
tap_result $? "guest test tests/guest/xor.sh ran to its end and passed"
tap_embed env "${settings[@]}" "$tree/vm/boot/run-guest.py" --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" \
	--device virtio-simple-pci,serial=0x1234abcd5678 --device virtio-simple-pci \
	"$tree/tests/guest/serial.sh"
tap_result $? "guest test tests/guest/serial.sh ran to its end and passed"
tap_embed env "${settings[@]}" "$tree/vm/boot/run-guest.py" --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" \
	--device virtio-simple-pci,ctrl-vq=on,label=alpha --device virtio-simple-pci,label=plain \
	"$tree/tests/guest/ctrlq.sh"
tap_result $? "guest test tests/guest/ctrlq.sh ran to its end and passed"
tap_done
