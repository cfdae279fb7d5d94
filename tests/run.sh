#!/usr/bin/env bash
# The test runner behind `make check`: host tests, then guest tests, each a
# stream of TAP "ok N" / "not ok N" lines.  Ends with "N passed, N failed,
# N skipped" and exits non-zero when anything failed.  Logs: build/test-logs/.
# make check-debug reuses it: VSIMPLE_TEST_LOGS moves the logs, and
# VSIMPLE_SUITE_CHECK is a command run on each suite's guest consoles
# (CMD NAME CONSOLE-LOG); when it fails the suite counts one more failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=${VSIMPLE_TEST_LOGS:-build/test-logs}
check=${VSIMPLE_SUITE_CHECK:-}
mkdir -p "$logs"
passed=0
failed=0
skipped=0

# suite NAME CMD...: run CMD, show and count its checks.  A suite fails as
# a whole (one failure) when it exits non-zero without a failed check, when
# it reports no check at all, or when its checks do not add up to its plans
# ("1..N"; a suite made of several programs prints one plan each): a crash
# half-way must not pass.  "ok N - ... # SKIP why" counts as skipped.
suite() {
	local name=$1; shift
	local log="$logs/$name.log" rc p f s n plan why=""
	# VSIMPLE_SUITES="glob ...": run only the suites it names (development)
	if [ -n "${VSIMPLE_SUITES:-}" ]; then
		local pat pick=""
		for pat in $VSIMPLE_SUITES; do
			# shellcheck disable=SC2053
			[[ $name == $pat ]] && pick=1
		done
		[ -n "$pick" ] || return 0
	fi
	echo "=== $name"
	rm -f "$log.console"
	VSIMPLE_CONSOLE_LOG=${check:+$log.console} "$@" > "$log" 2>&1
	rc=$?
	tr -d '\r' < "$log" > "$log.tap"
	grep -E '^(not )?ok [0-9]+|^#' "$log.tap" | sed 's/^/  /'
	n=$(grep -cE '^(not )?ok [0-9]+' "$log.tap")
	s=$(grep -cE '^ok [0-9]+.*# *SKIP' "$log.tap")
	p=$(( $(grep -cE '^ok [0-9]+' "$log.tap") - s ))
	f=$(grep -cE '^not ok [0-9]+' "$log.tap")
	plan=$(awk '/^1\.\.[0-9]+$/ { sum += substr($0, 4) } END { print sum + 0 }' "$log.tap")
	rm -f "$log.tap"
	if [ "$n" -eq 0 ]; then
		why="reported no check"
	elif [ "$plan" -ne "$n" ]; then
		why="reported $n checks, its plans say $plan"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exited with status $rc"
	fi
	if [ -n "$why" ]; then
		echo "  not ok - $name $why (see $log)"
		tail -n 15 "$log" | sed 's/^/  # /'
		f=$((f + 1))
	fi
	if [ -n "$check" ] && ! why=$("$check" "$name" "$log.console" 2>&1); then
		echo "  not ok - $name: $check found reports (see $log.console)"
		printf '%s\n' "$why" | sed 's/^/  # /'
		f=$((f + 1))
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

guest() {
	vm/run-guest --timeout "${VSIMPLE_GUEST_TIMEOUT:-300}" "$@"
}

suite host-header build/host-tests/test_header
suite host-apt-sources tests/host/apt-src-entry.sh
suite host-debug-log-check tests/host/debug-log-check.sh
suite host-vsimple-cli tests/host/vsimple-cli.sh
suite host-install tests/host/install.sh
suite lint tests/lint.sh
suite device-props tests/device-props.sh
suite qtest-asan-ubsan tests/qtest.sh
# 60 s of the device's fuzz target from the seeds (docs/fuzzing.md); its
# QEMU build (libFuzzer, ASan + UBSan) adds about 10 min to a cold check
suite fuzz-smoke tests/fuzz-smoke.sh
suite guest-skeleton guest --device virtio-simple-pci tests/guest/skeleton.sh
suite guest-driver guest --device virtio-simple-pci,id=vs0 tests/guest/driver.sh
suite guest-libvsimple guest --device virtio-simple-pci build/guest-bin/libvsimple_test
suite guest-unplug guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unplug
suite guest-unbind guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test unbind
# init_on_alloc=0: Debian's default of zeroing every allocation would hide
# a driver that hands user space memory the device never wrote
suite guest-faulty-device guest --append init_on_alloc=0 \
	--device virtio-simple-pci,x-fault-injection=on build/guest-bin/fault_test
suite guest-recovery guest --device virtio-simple-pci,x-fault-injection=on \
	build/guest-bin/recovery_test
# failslab/fail_page_alloc (fail-nth) in the system calls, fail_function
# in the driver's refill and probe: the debug kernel (make check-debug);
# skipped on a kernel without fault injection
suite guest-alloc-failure guest --device virtio-simple-pci build/guest-bin/alloc_fail_test
# max-payload 256 KiB, so a file's 8 MiB budget shows after a few answers
suite guest-data-path guest --device virtio-simple-pci,max-payload=262144 \
	build/guest-bin/datapath_test
suite guest-small-rings guest --device virtio-simple-pci,queue-size=2 \
	--device virtio-simple-pci,queue-size=4 --device virtio-simple-pci,queue-size=8 \
	build/guest-bin/small_ring_test 3
suite guest-freeze guest --device virtio-simple-pci,id=vs0 build/guest-bin/lifecycle_test freeze
suite guest-two-devices guest --device virtio-simple-pci,label=alpha \
	--device virtio-simple-pci,label=beta tests/guest/two_devices.sh
# the seed's probe path, STEP 1..6, from a real trace; the 10f3 device unbound
suite trace-probe-path vm/trace.sh --check
suite guest-packed-ring guest --device virtio-simple-pci,packed=on tests/guest/skeleton.sh packed
# make install in a booted Debian guest with systemd (debootstrap root,
# cached; root, through sudo); not guest-*: it brings its own kernel
suite install-guest tests/install-guest.sh
# the same with the module from DKMS: dkms and the kernel's headers in the
# root, `dkms add` and `dkms install` in a chroot of it (its own gcc)
suite install-guest-dkms tests/install-guest.sh dkms
# docs/extending.md's XOR patch applied to a copy of the tree, and the copy
# vm/new-device foo 62 makes: each built (with one QEMU of their own, see
# tests/scratch-trees.sh) and tested, so neither can rot
suite extending-example tests/extending.sh
suite new-device tests/new-device.sh

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
