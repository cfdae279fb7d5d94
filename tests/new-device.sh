#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vm/targets/new-device.sh: its refusals, and the copy
# `vm/targets/new-device.sh foo 62` makes (build/scratch/virtio-foo, built by
# tests/scratch-trees.sh with a QEMU of its own): nothing left of the old
# name, its own lint, header test and qtests pass, and its skeleton guest test
# boots.  TAP.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. tests/lib/tap.sh
. vm/lib.sh
log=build/test-logs/scratch-trees.log
mkdir -p build/test-logs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

refuses() { ! vm/targets/new-device.sh "$@" "$tmp/refused" && [ ! -e "$tmp/refused/Makefile" ]; }
check "refuses ID 64 (PCI 0x1080 is past virtio-pci's 0x107f)" refuses foo 64
check "refuses an ID Linux has (1, virtio-net)" refuses foo 1
check "refuses the name of a device QEMU has (rng)" refuses rng 60
check "refuses a name that is no C identifier (Foo-2)" refuses Foo-2 60

tests/scratch-trees.sh > "$log" 2>&1
tap_result $? "vm/targets/new-device.sh makes a copy that builds (QEMU, driver, tools, tests, initramfs)" \
	"$(tail -n 25 "$log")" || { tap_done; exit 1; }
read -r gen gen_id < build/scratch/generated
tree=build/scratch/virtio-$gen
P=V${gen^^}

# Only the files the generator wrote (its manifest): Kbuild's .cmd files hold
# the clone's own path, which may say "simple".  QEMU's
# OBJECT_DECLARE_SIMPLE_TYPE and Python's SimpleHTTPRequestHandler stay.
left=$(cd "$tree" && { grep -v -x README.md .scratch-manifest | tr '\n' '\0' |
	xargs -0 grep -IinH simple | grep -vE 'OBJECT_DECLARE_SIMPLE_TYPE|SimpleHTTPRequestHandler'
	grep -i simple .scratch-manifest; })
tap_result "$([ -z "$left" ]; echo $?)" "no file names or holds 'simple' (README's origin note aside)" "$left"

# its own lint: kernel checkpatch --strict, sparse, W=1, QEMU checkpatch;
# its checks numbered on from ours (one TAP stream, one plan)
tap_embed -p "[virtio-$gen] " env "${P}_CACHE=$VS_CACHE" "${P}_KVER=$(vs_kernel_version)" \
	"$tree/tests/lint.sh"

out=$("$tree/build/host-tests/test_header" 2>&1)
tap_result $? "its header test: ID $gen_id, PCI 0x1040 + $gen_id, the layout" "$out"

# two of its qtests, against the QEMU built with it
qemu=$(cat build/scratch/qemu-build)
export QTEST_QEMU_BINARY=./qemu-system-x86_64	# qos-test -l asks it too
for t in config echo; do
	path=$(cd "$qemu" && ./tests/qtest/qos-test -l | grep "/virtio-$gen-tests/$t\$")
	out=$(cd "$qemu" && [ -n "$path" ] && timeout 300 ./tests/qtest/qos-test -p "$path" 2>&1)
	tap_result $? "qtest ${path:-virtio-$gen-tests/$t (not registered)}" "$out"
done

mapfile -t settings < "$tree.env"
tap_embed env "${settings[@]}" "$tree/vm/boot/run-guest.py" --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" \
	--device "virtio-$gen-pci" "$tree/tests/guest/skeleton.sh"
tap_result $? "its skeleton guest test ran to its end and passed"
tap_done
