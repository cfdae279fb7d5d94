#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make fuzz: run the virtio-simple fuzz target (QEMU's libFuzzer build,
# FLAVOUR=fuzz) for FUZZ_SECONDS, one process, from the working corpus in
# the cache plus the seeds in tests/fuzz/corpus.  Prints libFuzzer's final
# numbers and which functions of the device it reached; fails when it
# found a crash, leaving the input in build/fuzz/artifacts/.
#   FUZZ_SECONDS=N     how long (default 60)
#   FUZZ_CORPUS=DIR    where new inputs go (default the cache's, kept)
#   FUZZ_LOG=FILE      libFuzzer's output (default build/fuzz/fuzz.log)
#   FUZZ_ARTIFACTS=DIR where crashes go (default build/fuzz/artifacts)
#   FUZZ_LEAK_EVERY=N  check for leaks in one input in N (default 16; 1 all,
#                      0 none)
#   FUZZ_BUILD=DIR     a fuzz build to use as it is, not rebuilt (a long
#                      run while the device's sources change)
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

seconds=${FUZZ_SECONDS:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || vs_die "FUZZ_SECONDS must be a number of seconds"
# without the symbolizer libFuzzer prints addresses, not function names,
# and the coverage report below (fuzz-smoke's checks) finds nothing
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-14/bin/llvm-symbolizer}
"$VS_TOP/vm/builders/install-fuzz-deps.sh"
vs_need_tool "$ASAN_SYMBOLIZER_PATH" llvm-14
build=${FUZZ_BUILD:-$(FLAVOUR=fuzz "$VS_TOP/vm/builders/build-qemu.sh")}
out="$VS_TOP/build/fuzz"
corpus=${FUZZ_CORPUS:-$VS_CACHE/fuzz/corpus}
log=${FUZZ_LOG:-$out/fuzz.log}
artifacts=${FUZZ_ARTIFACTS:-$out/artifacts}
mkdir -p "$artifacts" "$corpus" "$(dirname "$log")"
before=$(find "$artifacts" -type f | wc -l)

# Leaks are checked in each input's forked child, before it exits (the
# target calls LeakSanitizer itself): not at the fuzzer's exit, whose own
# allocations stay for the process's life, nor by libFuzzer after each
# input (-detect_leaks=0: the parent only forks and waits).  The
# suppressions name allocations made before the fork (tests/fuzz/lsan.supp).
# (Slow unwinding: glib has no frame pointers, and the suppressions need
# the frames above g_malloc; it costs the inputs little.)
# A forked child reopens the sanitizers' copy of stderr (-close_fd_mask)
# as "<log_path>.<pid>", in the working directory when log_path is unset:
# its reports go to $reports/san.<pid>.
reports="$out/reports"
mkdir -p "$reports"
rm -f "$reports"/san.* "$reports"/child.*
# a failed child's own stderr (a failed check's message), kept only then
export VSIMPLE_FUZZ_CHILD_LOGS=$reports
export ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:fast_unwind_on_malloc=0:log_path=$reports/san
export LSAN_OPTIONS=suppressions=$VS_TOP/tests/fuzz/lsan.supp:print_suppressions=0
# a check costs ten inputs' time: one input in FUZZ_LEAK_EVERY (by its hash)
export VSIMPLE_FUZZ_LEAK_EVERY=${FUZZ_LEAK_EVERY:-16}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$reports/san
args=(
	--fuzz-target=virtio-simple-fuzz
	-max_total_time="$seconds"
	-max_len=4096
	-timeout=60
	-detect_leaks=0
	-dict="$VS_TOP/tests/fuzz/virtio-simple.dict"
	-artifact_prefix="$artifacts/"
	-print_final_stats=1
	-print_coverage=1
	# QEMU's error report for every bad ring would drown libFuzzer's
	# (libFuzzer and the sanitizers keep a copy of stderr)
	-close_fd_mask=3
)
vs_say "fuzzing virtio-simple for ${seconds}s (log: $log)"
start=$(date +%s)
rc=0
"$build/qemu-fuzz-x86_64" "${args[@]}" "$corpus" "$VS_TOP/tests/fuzz/corpus" \
	>"$log" 2>&1 || rc=$?
vs_say "ran $(( $(date +%s) - start ))s, libFuzzer exit status $rc"

# The last status line (#runs, cov:, ft:, exec/s) and the final stats.
grep -E '^#[0-9]+' "$log" | tail -n 1 >&2 || true
grep -E '^stat::' "$log" >&2 || true
# -print_coverage's lines for our device's functions.
vs_say "virtio-simple functions reached (COVERED) and not (UNCOVERED):"
grep -E '^ *(UN)?COVERED_FUNC: .*/virtio-simple[^/ ]*\.c:[0-9]+$' "$log" |
	sed -E 's/^ *((UN)?COVERED)_FUNC: hits: ([0-9]+) edges: ([0-9]+\/[0-9]+) ([^ ]+) .*\/([^/]+)$/  \1 \5 (edges \4, \6)/' >&2 || true
# Lines holding a branch never taken, inlined helpers included: most are
# ASan's report paths and trace points (off while fuzzing), the rest show
# where the inputs did not get.
grep -E '^ *UNCOVERED_PC: .*/virtio-simple[^/ ]*\.c:[1-9][0-9]*$' "$log" |
	sed -E 's/.*\/([^/]+):([0-9]+)$/\1 \2/' | sort -u -k1,1 -k2n |
	awk '$1 != f { if (f) print "  " f " lines with a branch never taken:" l; f = $1; l = "" }
		{ l = l " " $2 } END { if (f) print "  " f " lines with a branch never taken:" l }' >&2 || true

# Only warnings is no report: LeakSanitizer's, in every checked child,
# that the parent's threads are not there to stop, and ASan's about
# QEMU's coroutines.
for f in "$reports"/san.*; do
	[ -e "$f" ] || continue
	grep -qvE 'was not suspended\. False leaks are possible|makecontext/swapcontext|^$' "$f" ||
		rm -f "$f"
done

after=$(find "$artifacts" -type f | wc -l)
if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
	grep -E 'ERROR: |runtime error|Test unit written' "$log" "$reports"/san.* 2>/dev/null |
		head -n 10 >&2 || true
	for f in "$reports"/child.*; do
		[ -s "$f" ] || continue
		vs_say "a failed child's stderr ($f):"
		head -n 20 "$f" >&2
	done
	vs_say "the children's sanitizer reports: $reports"
	vs_die "the fuzzer found a problem; minimise it with:
  ASAN_OPTIONS=$ASAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS \\
  $build/qemu-fuzz-x86_64 --fuzz-target=virtio-simple-fuzz -detect_leaks=0 -minimize_crash=1 -max_total_time=120 ARTIFACT"
fi
