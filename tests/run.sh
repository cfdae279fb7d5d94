#!/usr/bin/env bash
# The test runner behind `make check`: host tests, then guest tests, each a
# stream of TAP "ok N" / "not ok N" lines.  Ends with "N passed, N failed"
# and exits non-zero when anything failed.  Logs: build/test-logs/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=build/test-logs
mkdir -p "$logs"
passed=0
failed=0

# suite NAME CMD...: run CMD, show and count its checks.  A suite that exits
# non-zero without reporting a failed check counts as one failure.
suite() {
	local name=$1; shift
	local log="$logs/$name.log" rc p f
	echo "=== $name"
	"$@" > "$log" 2>&1
	rc=$?
	grep -E '^(not )?ok [0-9]+|^#' "$log" | sed 's/^/  /'
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  not ok - $name exited with status $rc (see $log)"
		tail -n 15 "$log" | sed 's/^/  # /'
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

guest() {
	vm/run-guest --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" "$@"
}

suite host-header build/host-tests/test_header
suite host-apt-sources tests/host/apt-src-entry.sh
suite lint tests/lint.sh
suite device-props tests/device-props.sh
suite qtest-asan-ubsan tests/qtest.sh
suite guest-skeleton guest --device virtio-simple-pci tests/guest/skeleton.sh
suite guest-driver guest --device virtio-simple-pci,id=vs0 tests/guest/driver.sh
suite guest-unplug guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unplug
suite guest-unbind guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unbind
suite guest-faulty-device guest --device virtio-simple-pci,x-fault-injection=on \
	build/guest-bin/fault_test
suite guest-freeze guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test freeze
suite guest-two-devices guest --device virtio-simple-pci,label=alpha \
	--device virtio-simple-pci,label=beta tests/guest/two_devices.sh
# the seed's probe path, STEP 1..6, from a real trace; the 10f3 device unbound
suite trace-probe-path vm/trace.sh --check
suite guest-packed-ring guest --device virtio-simple-pci,packed=on tests/guest/skeleton.sh packed

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
