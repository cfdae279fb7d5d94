#!/usr/bin/env bash
# Device properties: realize rejects bad values with a clear error, and good
# ones start.  Runs the plain QEMU build with no guest (-S, quit at once).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qemu="$("$top/vm/build-qemu.sh")/qemu-system-x86_64"
n=0
failed=0

# try DEVICE_OPTS EXPECT_RC PATTERN
try() {
	n=$((n + 1))
	out=$(echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
		timeout 30 "$qemu" -M pc -nodefaults -display none -S -qmp stdio \
		-device "virtio-simple-pci,$1" 2>&1)
	rc=$?
	if { [ "$2" -eq 0 ] && [ "$rc" -eq 0 ]; } ||
	   { [ "$2" -ne 0 ] && [ "$rc" -ne 0 ] && grep -q "$3" <<<"$out"; }; then
		echo "ok $n - -device virtio-simple-pci,$1: ${3:-starts}"
	else
		echo "not ok $n - -device virtio-simple-pci,$1: expected ${3:-a start}, got rc $rc"
		printf '%s\n' "$out" | tail -n 3 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

try "max-payload=0" 1 "max-payload must be between 1 and 1048576, got 0"
try "max-payload=1048577" 1 "max-payload must be between 1 and 1048576"
try "max-payload=1048576" 0 ""
try "queue-size=100" 1 "queue-size must be a power of 2"
try "queue-size=2048" 1 "queue-size must be a power of 2"
try "label=0123456789012345678901234567890123" 1 "label must be shorter than 32 bytes"
try "label=fine,vectors=3,ioeventfd=off,packed=on" 0 ""
echo "1..$n"
[ "$failed" -eq 0 ]
