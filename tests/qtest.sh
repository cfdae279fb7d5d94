#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the virtio-simple qtests (device/tests/qtest) against QEMU built with
# AddressSanitizer and UndefinedBehaviorSanitizer, and those that hold for
# both against vhost-user-simple-pci with the backend process (its ASan +
# UBSan build; its reports and exit status count too).  One QEMU per test case,
# so a failure does not hide the cases after it; any sanitizer report in a
# case's output fails that case.  TAP output; logs in build/test-logs/qtest.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# VSIMPLE_QTEST_FLAVOUR=plain: the same cases without the sanitizers, on
# the plain build (make matrix, when a sanitizer build costs too much)
flavour=${VSIMPLE_QTEST_FLAVOUR:-asan}
build=$(FLAVOUR=$flavour VSIMPLE_QOS_TEST=1 "$top/vm/builders/build-qemu.sh") ||
	{ echo "not ok 1 - $flavour QEMU build"; echo "1..1"; exit 1; }
# the vhost-user cases run the backend's ASan + UBSan build, one per case
backend=$("$top/vm/builders/build-backend.sh" asan) ||
	{ echo "not ok 1 - the vhost-user backend's build"; echo "1..1"; exit 1; }
export VSIMPLE_VHOST_USER_BACKEND=$backend/vhost-user-simple
logs="${VSIMPLE_TEST_LOGS:-build/test-logs}/qtest"	# make matrix moves it
[[ $logs == /* ]] || logs="$top/$logs"
mkdir -p "$logs"
cd "$build"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Leaks are checked in QEMU, the program under test, not in the qos-test
# harness; qtest finds the target from the "-system-x86_64" in the command.
export ASAN_OPTIONS=detect_leaks=0
export QTEST_QEMU_BINARY="env ASAN_OPTIONS=detect_leaks=1 ./qemu-system-x86_64"

cases=$(./tests/qtest/qos-test -l | grep -E '/(virtio|vhost-user)-simple-tests/')
[ -n "$cases" ] || { echo "not ok 1 - no virtio-simple qtests registered"; echo "1..1"; exit 1; }
n=0
failed=0
for path in $cases; do
	n=$((n + 1))
	name=${path##*/}
	case $path in */vhost-user-simple-tests/*) name=vhost-user-$name ;; esac
	log="$logs/$name.log"
	timeout 300 ./tests/qtest/qos-test -p "$path" > "$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -qE 'runtime error|ERROR: (Address|Leak)Sanitizer' "$log"; then
		echo "ok $n - qtest $name"
	else
		echo "not ok $n - qtest $name (exit $rc, log $log)"
		grep -E 'runtime error|Sanitizer|ERROR|assert|failed' "$log" | head -n 8 | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
