#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fuzz-smoke: a short run of the virtio-simple fuzz target (vm/targets/fuzz.sh)
# from the seeds alone, into a throw-away corpus, so the result does not
# depend on earlier runs.  Checks that it found no crash, that every seed
# ran, that the inputs still reach the device's request path, and that
# every seed passes the ending's oracle with a leak check.  TAP.
#   FUZZ_SECONDS: how long (default 60)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/tap.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
log="$top/build/test-logs/fuzz-smoke.fuzz.log"
artifacts="$top/build/test-logs/fuzz-smoke-artifacts"
mkdir -p "$(dirname "$log")"
out=$(FUZZ_SECONDS=${FUZZ_SECONDS:-60} FUZZ_CORPUS="$scratch" FUZZ_LOG="$log" FUZZ_ARTIFACTS="$artifacts" \
	"$top/vm/targets/fuzz.sh" 2>&1)
rc=$?
# a missing tool is one failure that names it, not four that hide it
if missing=$(printf '%s\n' "$out" | grep -m1 'error: missing tool'); then
	echo "not ok 1 - fuzzing needs a tool that is not installed: ${missing#*error: }"
	echo "1..1"
	exit 1
fi
tap_result $rc "fuzzing ${FUZZ_SECONDS:-60}s found no crash (log $log, inputs in $artifacts)" "$out"
echo "$out" | grep -E '^#[0-9]+|^stat::(number_of_executed_units|average_exec_per_sec)' | sed 's/^/# /'

# "#N INITED" comes after libFuzzer ran the initial corpus, N inputs in
# all ("INFO: seed corpus: files:" only says what it found, before)
seeds=$(find "$top/tests/fuzz/corpus" -type f | wc -l)
inited=$(sed -nE 's/^#([0-9]+)[[:space:]]+INITED .*/\1/p' "$log" | head -n 1)
tap_result "$([ "${inited:-0}" -ge "$seeds" ]; echo $?)" \
	"all $seeds seeds ran (libFuzzer's INITED after ${inited:-no} inputs)"

# The seeds alone must get answers, DELAYs, config reads and violations
# (functions not inlined at -O2; answers are written by the shared
# common/virtio-simple-ops.c): a harness that stopped reaching the
# device (wiring, negotiation) would still "find no crash".
for f in vsimple_write_response vsimple_crc32c virtio_simple_delay_expired \
	virtio_simple_get_config virtio_simple_fail; do
	grep -qE "^ *COVERED_FUNC: .* $f " "$log"
	tap_result $? "the inputs reached $f"
done

# Every seed again, each one leak-checked (the run above checks one input
# in 16): the ending's oracle and LeakSanitizer accept them all, so a
# failure above is the fuzzer's finding, not the seeds' or the oracle's.
scratch2=$(mktemp -d)
trap 'rm -rf "$scratch" "$scratch2"' EXIT
log2="$top/build/test-logs/fuzz-smoke-leaks.fuzz.log"
out2=$(FUZZ_SECONDS=1 FUZZ_LEAK_EVERY=1 FUZZ_CORPUS="$scratch2" FUZZ_LOG="$log2" \
	FUZZ_ARTIFACTS="$artifacts" "$top/vm/targets/fuzz.sh" 2>&1)
tap_result $? "every seed passes the oracle and a leak check (log $log2)" "$out2"
inited=$(sed -nE 's/^#([0-9]+)[[:space:]]+INITED .*/\1/p' "$log2" | head -n 1)
tap_result "$([ "${inited:-0}" -ge "$seeds" ]; echo $?)" \
	"all $seeds seeds ran leak-checked (INITED after ${inited:-no} inputs)"
echo "1..$tap_n"
[ "$tap_failed" -eq 0 ]
