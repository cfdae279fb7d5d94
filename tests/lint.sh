#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style and static checks, as TAP: the kernel's checkpatch.pl --strict and
# sparse (endian checks) and W=1 on the driver, QEMU's checkpatch.pl on the
# device.  Each tool comes from the distro's own sources (vm/fetch-*.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lib/tap.sh

# a plan even then: TAP with none is invalid
kscripts=$(vm/fetch/fetch-checkpatch.sh) ||
	{ echo "not ok 1 - fetch the kernel's checkpatch.pl"; echo "1..1"; exit 1; }
qemu_src=$(vm/fetch/fetch-qemu.sh) ||
	{ echo "not ok 1 - fetch QEMU's checkpatch.pl"; echo "1..1"; exit 1; }

# The kernel's checkpatch seeds its CamelCase list from the tree's
# include/, through git when it finds a .git, and caches it in the working
# directory.  Run it where neither exists: no git needed (a release tarball,
# a root without git), no cache file left in the tree.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/empty-root/include" "$scratch/include"
ln -s "$top/driver" "$scratch/driver"
ln -s "$top/tests" "$scratch/tests"
ln -s "$top/include/uapi" "$scratch/include/uapi"
kcp() {
	(cd "$scratch" && GIT_DIR="$scratch/no-git" perl "$kscripts/scripts/checkpatch.pl" \
		--no-tree --root="$scratch/empty-root" --strict --quiet --show-types -f "$@" 2>&1)
}

# LINUX_VERSION_CODE is waived in the one file whose job is the version
# checks of an out-of-tree module built for 6.1 and 6.12 (VSIMPLE_TARGET)
out=$(for f in driver/vsimple*.c driver/vsimple*.h; do
	case $f in
	driver/vsimple_compat.h) kcp --ignore LINUX_VERSION_CODE "$f" ;;
	*) kcp "$f" ;;
	esac
done)
tap_result "$([ -z "$out" ]; echo $?)" "kernel checkpatch --strict: driver/" "$out"

out=$(kcp tests/debug/plant-bugs/vsimple_plant_bugs.c)
tap_result "$([ -z "$out" ]; echo $?)" "kernel checkpatch --strict: tests/debug/plant-bugs/" "$out"

# _Static_assert is a C11 keyword, not CamelCase: the one check we waive.
out=$(kcp --ignore CAMELCASE include/uapi/virtio_simple.h)
tap_result "$([ -z "$out" ]; echo $?)" "kernel checkpatch --strict: include/uapi/virtio_simple.h" "$out"

left=$(find "$top" -maxdepth 3 -name '.checkpatch-camelcase.*' -not -path "$top/build/*")
tap_result "$([ -z "$left" ]; echo $?)" "no checkpatch cache file left in the tree" "$left"

# driver_build NAME ARGS...: a clean build of the driver with ARGS; passes
# only when the build itself succeeds, every source was compiled (and, for
# sparse, checked), and nothing warned.  In a link farm of its own
# (driver/link-sources.sh), never in driver/: make check runs other suites
# beside this one, which copy the tree or use its module.
nsrc=$(ls driver/vsimple*.c | wc -l)
kver=$(vm/fetch/kernel-version.sh)
driver/link-sources.sh "$scratch/build"
driver_build() {
	local name=$1 out rc want=$nsrc
	shift
	make -s -C "$scratch/build/driver" KVER="$kver" clean >/dev/null 2>&1
	out=$(make -C "$scratch/build/driver" KVER="$kver" "$@" 2>&1); rc=$?
	local cc checked warn
	cc=$(grep -cE '^ +CC \[M\] .*/vsimple[a-z_]*\.o$' <<<"$out")
	checked=$(grep -cE '^ +CHECK +.*/vsimple[a-z_]*\.c$' <<<"$out")
	warn=$(grep -E 'warning|error|Error' <<<"$out")
	if [ "$rc" -ne 0 ]; then
		tap_result 1 "$name" "the build failed (status $rc):"$'\n'"$(tail -n 20 <<<"$out")"
	elif [ "$cc" -ne "$want" ] || { [ "$1" = sparse ] && [ "$checked" -ne "$want" ]; }; then
		tap_result 1 "$name" "expected $want sources compiled and checked, saw $cc compiled, $checked checked"
	else
		tap_result "$([ -z "$warn" ]; echo $?)" "$name" "$warn"
	fi
}
driver_build "sparse with endian checks: driver/" sparse
driver_build "no W=1 warnings: driver/" W=1

# from device/, so paths read as in QEMU's tree (tests/ has its own rules)
out=$(cd device && for f in hw/virtio/*.c include/hw/virtio/*.h \
		tests/qtest/*.c tests/qtest/libqos/*.[ch] tests/qtest/fuzz/*.c; do
	perl "$qemu_src/scripts/checkpatch.pl" --no-tree -q -f "$f" 2>&1
done)
tap_result "$([ -z "$out" ]; echo $?)" "QEMU checkpatch: device/" "$out"

# the code shared with the backend is compiled into QEMU: QEMU's style;
# the backend is written in it too
out=$(for f in common/*.[ch] backend/*.[ch] backend/examples/*.c; do
	perl "$qemu_src/scripts/checkpatch.pl" --no-tree -q -f "$f" 2>&1
done)
tap_result "$([ -z "$out" ]; echo $?)" "QEMU checkpatch: common/ and backend/" "$out"

tap_done
