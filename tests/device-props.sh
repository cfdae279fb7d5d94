#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Device properties: realize rejects bad values with a clear error, and good
# ones start; each limit is tried on both sides.  Runs the plain QEMU build
# with no guest (-S, quit at once).  TAP through tests/lib/tap.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/tap.sh"
qemu="$("$top/vm/builders/build-qemu.sh")/qemu-system-x86_64"

# start DEVICE_OPTS: realize the device, quit at once; prints QEMU's output.
start() {
	echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
		timeout 30 "$qemu" -M pc -nodefaults -display none -S -qmp stdio \
		-device "virtio-simple-pci,$1" 2>&1
}

# accepted DEVICE_OPTS: the device starts.
accepted() {
	local out rc
	out=$(start "$1")
	rc=$?
	tap_result "$rc" "-device virtio-simple-pci,$1 starts" \
		"expected a start, got rc $rc: $(tail -n 3 <<<"$out")"
}

# refused DEVICE_OPTS MESSAGE: realize fails, saying MESSAGE.
refused() {
	local out rc ok=1
	out=$(start "$1")
	rc=$?
	[ "$rc" -ne 0 ] && grep -qF "$2" <<<"$out" && ok=0
	tap_result "$ok" "-device virtio-simple-pci,$1 refused: $2" \
		"expected rc != 0 and '$2', got rc $rc: $(tail -n 3 <<<"$out")"
}

label31=$(printf 'a%.0s' $(seq 31))
label32=$(printf 'a%.0s' $(seq 32))

refused "max-payload=0" "max-payload must be between 4 and 1048576, got 0"
refused "max-payload=3" "max-payload must be between 4 and 1048576, got 3"
accepted "max-payload=4"
accepted "max-payload=1048576"
refused "max-payload=1048577" "max-payload must be between 4 and 1048576, got 1048577"
refused "queue-size=1" "queue-size must be a power of 2 between 2 and 1024, got 1"
accepted "queue-size=2"
accepted "queue-size=1024"
refused "queue-size=100" "queue-size must be a power of 2 between 2 and 1024, got 100"
refused "queue-size=2048" "queue-size must be a power of 2 between 2 and 1024, got 2048"
accepted "label=$label31"
refused "label=$label32" "label must be shorter than 32 bytes"
accepted "label=fine,vectors=3,ioeventfd=off,packed=on"
accepted "answer-in-place=off"

# Fault injection exists in the test (ASan) builds alone: in this build,
# the one users run, neither -device nor -global can turn it on
refused "x-fault-injection=on" "Property 'virtio-simple-pci.x-fault-injection' not found"
out=$(echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
	timeout 30 "$qemu" -M pc -nodefaults -display none -S -qmp stdio \
	-global virtio-simple-pci.x-fault-injection=on -device virtio-simple-pci 2>&1)
rc=$?
[ "$rc" -ne 0 ] && grep -qF "x-fault-injection" <<<"$out" && ok=0 || ok=1
tap_result "$ok" "-global virtio-simple-pci.x-fault-injection=on refused" \
	"expected rc != 0 naming the property, got rc $rc: $(tail -n 3 <<<"$out")"
asan="$(FLAVOUR=asan "$top/vm/builders/build-qemu.sh" 2>/dev/null)/qemu-system-x86_64"
out=$(echo '{"execute":"qmp_capabilities"}{"execute":"quit"}' |
	timeout 60 "$asan" -M pc -nodefaults -display none -S -qmp stdio \
	-device virtio-simple-pci,x-fault-injection=on 2>&1)
tap_result $? "the ASan build (the tests') has it" "$(tail -n 3 <<<"$out")"
out=$("$top/build/backend/plain/vhost-user-simple" --socket-path /nonexistent/vs.sock \
	--x-fault-injection 2>&1)
rc=$?
[ "$rc" -eq 2 ] && grep -qF "only the ASan build" <<<"$out" && ok=0 || ok=1
tap_result "$ok" "the backend's plain build refuses --x-fault-injection" \
	"expected rc 2 and 'only the ASan build', got rc $rc: $out"
tap_done
