#!/usr/bin/env bash
# Style and static checks, as TAP: the kernel's checkpatch.pl --strict and
# sparse (endian checks) and W=1 on the driver, QEMU's checkpatch.pl on the
# device.  Each tool comes from the distro's own sources (vm/fetch-*.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=0
failed=0
result() {	# result DESCRIPTION STATUS OUTPUT
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

kscripts=$(vm/fetch-checkpatch.sh)
kcp() { perl "$kscripts/scripts/checkpatch.pl" --no-tree --strict --quiet --show-types -f "$@" 2>&1; }
qemu_src=$(vm/fetch-qemu.sh)

out=$(for f in driver/vsimple*.c driver/vsimple*.h; do kcp "$f"; done)
result "kernel checkpatch --strict: driver/" "$([ -z "$out" ]; echo $?)" "$out"

# _Static_assert is a C11 keyword, not CamelCase: the one check we waive.
out=$(kcp --ignore CAMELCASE include/uapi/virtio_simple.h)
result "kernel checkpatch --strict: include/uapi/virtio_simple.h" "$([ -z "$out" ]; echo $?)" "$out"

out=$(make -s -C driver clean >/dev/null 2>&1; make -C driver sparse 2>&1 | grep -E 'warning|error')
result "sparse with endian checks: driver/" "$([ -z "$out" ]; echo $?)" "$out"

out=$(make -s -C driver clean >/dev/null 2>&1; make -C driver W=1 2>&1 | grep -E 'warning|error')
result "no W=1 warnings: driver/" "$([ -z "$out" ]; echo $?)" "$out"
make -s -C driver >/dev/null 2>&1

# from device/, so paths read as in QEMU's tree (tests/ has its own rules)
out=$(cd device && for f in hw/virtio/*.c include/hw/virtio/*.h \
		tests/qtest/*.c tests/qtest/libqos/*.[ch]; do
	perl "$qemu_src/scripts/checkpatch.pl" --no-tree -q -f "$f" 2>&1
done)
result "QEMU checkpatch: device/" "$([ -z "$out" ]; echo $?)" "$out"

echo "1..$n"
[ "$failed" -eq 0 ]
