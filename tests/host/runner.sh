#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/lib/runner.sh on fake suites in a temporary directory: the counts
# and the exit status, the time lines, the versions header, the time budget
# (a hanging suite stopped with its children), the stop after suites that
# time out in a row, VSIMPLE_SUITES, invalid TAP (read by TAP::Parser:
# several plans, a plan its checks do not meet, numbers out of order, no
# plan), a guest's console with a skip, and suites that embed another TAP
# producer (tap_embed) in bash, dash and busybox sh.  TAP output.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the run around this one (and make) may have set these
unset VSIMPLE_SUITES VSIMPLE_BUDGET VSIMPLE_DEADLINE VSIMPLE_MAX_TIMEOUTS \
	VSIMPLE_SUITE_CHECK VSIMPLE_TEST_LOGS VSIMPLE_KVER VSIMPLE_KERNEL VSIMPLE_QEMU \
	VSIMPLE_JOBS

# fake NAME SH: an executable $tmp/NAME that runs SH
fake() {
	printf '#!/bin/sh\n%s\n' "$2" > "$tmp/$1" && chmod +x "$tmp/$1"
}
fake pass 'echo "ok 1 - one"; echo "ok 2 - two # SKIP not here"; echo "1..2"'
fake fail 'echo "ok 1 - one"; echo "not ok 2 - two"; echo "1..2"; exit 1'
fake short 'echo "ok 1 - one"; echo "1..3"'
fake guest-timeout 'echo "guest timed out"; exit 124'
# a child that outlives its shell unless the suite's whole group is
# stopped; its marker names it for pgrep (a symbolic link to sleep)
marker=vsimple-runner-hang-$$
ln -s "$(command -v sleep)" "$tmp/$marker"
fake hang "\"$tmp/$marker\" 600 & wait"

# script < SUITE-LINES: $tmp/run.sh, those lines between runner.sh's start
# and summary
script() {
	{
		echo ". '$top/tests/lib/runner.sh'"
		echo 'runner_start'
		echo 'runner_versions'
		cat
		echo 'runner_summary'
	} > "$tmp/run.sh"
}

# runner OUT [VAR=VALUE...] < SUITE-LINES: a run.sh of those lines between
# runner.sh's start and summary, run in $tmp with VARs (one suite at a
# time unless they set VSIMPLE_JOBS); the output in $tmp/OUT.out, the
# status returned
runner() {
	local out=$tmp/$1.out
	shift
	script
	# --foreground: in this script's process group, so stopping this script
	# (a budget around it) stops the fake run, which stops its suite
	(cd "$tmp" && env VSIMPLE_JOBS=1 "$@" timeout --foreground 120 bash run.sh) > "$out" 2>&1
}

# has OUT REGEX: a line of OUT's output matches REGEX (else shows it all)
has() {
	grep -qE -- "$2" "$tmp/$1.out" || { cat "$tmp/$1.out"; return 1; }
}

# last OUT LINE: OUT's output ends with LINE
last() {
	[ "$(tail -n 1 "$tmp/$1.out")" = "$2" ] || { cat "$tmp/$1.out"; return 1; }
}

# (a), (b): counts, status, time lines, versions header
runner ok <<< 'suite pass ./pass'
check "a passing suite: exit status 0" test $? -eq 0
check "a passing suite: the summary" last ok "1 passed, 0 failed, 1 skipped"
runner mixed <<'EOF'
suite pass ./pass
suite fail ./fail
EOF
check "a failing suite: exit status non-zero" test $? -ne 0
check "a failing suite: the summary" last mixed "2 passed, 1 failed, 1 skipped"
check "a time line per suite (pass)" has mixed '^# pass: 1 passed, 0 failed, 1 skipped in [0-9]+ s$'
check "a time line per suite (fail)" has mixed '^# fail: 1 passed, 1 failed, 0 skipped in [0-9]+ s$'
check "the total time line" has mixed '^# total: [0-9]+ s for 2 suites, 1 at a time$'
check "versions header: five lines" test "$(grep -c '^# versions: ' "$tmp/mixed.out")" -eq 5
check "versions header: no guest.env, unknown QEMU" has mixed '^# versions: QEMU: unknown$'

# the checks below look for processes with procps's tools: without them
# they would find none and pass
procps() { command -v pgrep && command -v pidwait; }
check "procps's pgrep and pidwait are installed (make deps)" procps

# no_hang_left: no process of a ./hang suite is left (their TERM is sent:
# wait for the exit, at most 10 s, not a fixed time; the [h] keeps
# pidwait's own timeout out of the match; zombies are dead); any left are
# killed, for the next checks
no_hang_left() {
	local left
	timeout 10 pidwait -f "${marker/hang/[h]ang}"
	left=$(pgrep -f -r D,R,S,T "${marker/hang/[h]ang}")
	# shellcheck disable=SC2086 # pids, one a word
	[ -z "$left" ] || { kill $left; return 1; }
}

# (c) the budget: the hanging suite and its child stopped, the rest not
# run; the first suite, a function, runs through timeout too
t0=$EPOCHSECONDS
runner budget VSIMPLE_BUDGET=3 <<'EOF'
pass_fn() { ./pass; }
suite pass pass_fn
suite hang ./hang
suite fail ./fail
suite pass2 ./pass
EOF
rc=$? took=$((EPOCHSECONDS - t0))
check "budget: stopped in $took s (budget 3 s)" test "$took" -le 15
check "budget: exit status non-zero" test "$rc" -ne 0
check "budget: a function suite runs under timeout" has budget '^# pass: 1 passed, 0 failed, 1 skipped in'
check "budget: the hanging suite stopped" has budget '^ *not ok - hang stopped: the time budget ran out'
check "budget: the next suites not run" has budget '^not ok - fail not run: the time budget ran out$'
check "budget: the last suite not run" has budget '^not ok - pass2 not run: the time budget ran out$'
check "budget: the summary, last" last budget "1 passed, 3 failed, 1 skipped"
check "budget: no process of the hanging suite left" no_hang_left

# (d) guest timeouts (124) in a row stop the run, with or without a budget
runner timeouts <<'EOF'
suite guest-a ./guest-timeout
suite guest-b ./guest-timeout
suite pass ./pass
suite fail ./fail
EOF
check "timeouts in a row: exit status non-zero" test $? -ne 0
check "timeouts in a row: the next suite not run" has timeouts '^not ok - pass not run: 2 suites timed out in a row$'
check "timeouts in a row: the last suite not run" has timeouts '^not ok - fail not run: 2 suites timed out in a row$'
check "timeouts in a row: the summary" last timeouts "0 passed, 4 failed, 0 skipped"
runner apart VSIMPLE_BUDGET=100 <<'EOF'
suite guest-a ./guest-timeout
suite pass ./pass
suite guest-b ./guest-timeout
suite pass2 ./pass
EOF
check "timeouts apart, under a budget: every suite runs" has apart '^# total: [0-9]+ s for 4 suites, 1 at a time$'
check "timeouts apart: the summary" last apart "2 passed, 2 failed, 2 skipped"

# (e) VSIMPLE_SUITES: the others neither run nor counted; matching none fails
runner picked 'VSIMPLE_SUITES=x* fa*' <<'EOF'
suite pass ./pass
suite fail ./fail
EOF
check "VSIMPLE_SUITES: only the suites it names" last picked "1 passed, 1 failed, 0 skipped"
runner none 'VSIMPLE_SUITES=nomatch*' <<< 'suite pass ./pass'
check "VSIMPLE_SUITES matching nothing: exit status non-zero" test $? -ne 0
check "VSIMPLE_SUITES matching nothing: reported" has none "^not ok - VSIMPLE_SUITES='nomatch\\*' matched no suite$"
check "VSIMPLE_SUITES matching nothing: the summary" last none "0 passed, 1 failed, 0 skipped"

# (f) invalid TAP, as TAP::Parser (prove's parser) reads it: one failure
# more, with the parser's reason
runner short <<< 'suite short ./short'
check "a short plan: exit status non-zero" test $? -ne 0
check "a short plan: reported" has short \
	'^ *not ok - short printed invalid TAP: Bad plan\. You planned 3 tests but ran 1\.'
check "a short plan: the summary" last short "1 passed, 1 failed, 0 skipped"
fake over 'echo "ok 1 - one"; echo "ok 2 - two"; echo "1..1"'
runner over <<< 'suite over ./over'
check "more checks than the plan: reported" has over \
	'^ *not ok - over printed invalid TAP: Bad plan\. You planned 1 tests but ran 2\.'
check "more checks than the plan: the summary" last over "2 passed, 1 failed, 0 skipped"
# a wrapper's plan, then a program's own: numbering starts again at 1
fake two-plans 'echo "ok 1 - one"; echo "1..1"; echo "ok 1 - again"; echo "ok 2 - more"; echo "1..2"'
runner two-plans <<< 'suite two-plans ./two-plans'
check "two plans: exit status non-zero" test $? -ne 0
check "two plans: reported" has two-plans '^ *not ok - two-plans printed invalid TAP: 2 plans, TAP allows one'
check "two plans: the summary (checks past the first plan fail)" last two-plans "1 passed, 3 failed, 0 skipped"
fake unordered 'echo "ok 1 - one"; echo "ok 3 - three"; echo "1..2"'
runner unordered <<< 'suite unordered ./unordered'
check "numbers out of order: reported" has unordered \
	'^ *not ok - unordered printed invalid TAP: Tests out of sequence\. Found \(3\) but expected \(2\)'
check "numbers out of order: the summary" last unordered "2 passed, 1 failed, 0 skipped"
fake unplanned 'echo "ok 1 - one"; echo "ok 2 - two"'
runner unplanned <<< 'suite unplanned ./unplanned'
check "no plan (cut short): reported" has unplanned \
	'^ *not ok - unplanned printed invalid TAP: No plan found in TAP output'
check "no plan: the summary" last unplanned "2 passed, 1 failed, 0 skipped"
# nothing, or one line with no newline: TAP::Parser must not take it for a
# file or program name
fake silent 'exit 0'
fake one-word 'printf true'
runner silent <<'EOF'
suite silent ./silent
suite one-word ./one-word
EOF
check "no output at all: reported no check" has silent '^ *not ok - silent reported no check'
check "one word, no newline: reported no check" has silent '^ *not ok - one-word reported no check'

# a guest's console: CR LF, the plan first, kernel lines between the
# checks, a skip; valid, counted right
fake console "printf '[run-guest] booting\\r\\n1..3\\r\\nok 1 - a\\r\\n[    2.5] virtio: probe\\r\\nok 2 - b # SKIP not here\\r\\nok 3 - c\\r\\nVSIMPLE-EXIT=0\\r\\n'"
runner console <<< 'suite console ./console'
check "a guest's console with a skip: exit status 0" test $? -eq 0
check "a guest's console with a skip: its time line" has console \
	'^# console: 2 passed, 0 failed, 1 skipped in [0-9]+ s$'
check "a guest's console with a skip: the summary" last console "2 passed, 0 failed, 1 skipped"

# tap_embed: a program's TAP inside a script's, one plan; a program cut
# short (no plan) is one more failed check.  The guest's scripts run in
# busybox sh, the host's in bash.
fake embed ". '$top/tests/lib/tap.sh'
check 'first' true
tap_embed -p '[pass] ' ./pass
tap_embed sh -c 'echo \"ok 1 - cut\"; exit 3'
check 'last' true
tap_done"
runner embed <<'EOF'
suite embed-dash ./embed
suite embed-bash bash ./embed
suite embed-busybox /bin/busybox sh ./embed
EOF
for sh in dash bash busybox; do
	check "tap_embed ($sh): valid TAP, counted" has embed \
		"^# embed-$sh: 4 passed, 1 failed, 1 skipped in [0-9]+ s\$"
done
check "tap_embed: the embedded checks renumbered and labelled" has embed '^  ok 3 - \[pass\] two # SKIP not here$'
check "tap_embed: a program with no plan, one failure" has embed \
	'^  not ok 5 - the TAP of sh -c .*cut.* \(one plan, its checks in order\)$'
check "tap_embed: no invalid TAP reported" test "$(grep -c 'invalid TAP' "$tmp/embed.out")" -eq 0
check "tap_embed: the summary" last embed "12 passed, 3 failed, 3 skipped"

# (g) the expected counts: a suite that shrinks, skips what it should not,
# or has no line there fails; one that meets them passes
cat > "$tmp/expected" <<'EOF2'
# suite checks skips
pass 2 1
fail 3 0
short 1 0
EOF2
runner expect VSIMPLE_EXPECTED="$tmp/expected" <<< 'suite pass ./pass'
check "expected counts met: exit status 0" test $? -eq 0
runner shrunk VSIMPLE_EXPECTED="$tmp/expected" <<< 'suite fail ./fail'
check "expected counts: a suite with fewer checks fails" has shrunk \
	"^ *not ok - fail reported 2 checks, $tmp/expected expects at least 3"
sed -i 's/^pass 2 1$/pass 2 0/' "$tmp/expected"
runner skipped VSIMPLE_EXPECTED="$tmp/expected" <<< 'suite pass ./pass'
check "expected counts: an unexpected skip fails" has skipped \
	"^ *not ok - pass skipped 1 checks, $tmp/expected allows 0"
check "expected counts: an unexpected skip, the summary" last skipped "1 passed, 1 failed, 1 skipped"
fake other 'echo "ok 1 - one"; echo "1..1"'
runner unlisted VSIMPLE_EXPECTED="$tmp/expected" <<< 'suite other ./other'
check "expected counts: a suite with no line fails" has unlisted \
	"^ *not ok - other has no expected counts in $tmp/expected"
check "expected counts: no line, exit status non-zero" last unlisted "1 passed, 1 failed, 0 skipped"

# (h) VSIMPLE_JOBS: suites side by side, each one's lines shown together;
# suites that share a lock never side by side; the budget and a TERM stop
# every suite running.  meet ME OTHER passes only when OTHER starts while
# it runs (it waits 10 s at most; its marker stays); apart ME OTHER only
# when OTHER does not run in its second.
fake meet 'touch "on-$1"; n=0
while [ ! -e "on-$2" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
if [ -e "on-$2" ]; then echo "ok 1 - $2 beside $1"; else echo "not ok 1 - $2 never beside $1"; fi
echo 1..1'
fake apart 'touch "on-$1"; n=0
while [ ! -e "on-$2" ] && [ $n -lt 10 ]; do sleep 0.1; n=$((n + 1)); done
if [ -e "on-$2" ]; then echo "not ok 1 - $2 beside $1"; else echo "ok 1 - $2 not beside $1"; fi
echo 1..1; rm -f "on-$1"'
runner jobs VSIMPLE_JOBS=2 <<'EOF'
suite meet-a ./meet a b
suite meet-b ./meet b a
EOF
check "VSIMPLE_JOBS=2: two suites side by side" last jobs "2 passed, 0 failed, 0 skipped"
check "VSIMPLE_JOBS=2: said in the total line" has jobs '^# total: [0-9]+ s for 2 suites, 2 at a time$'
# together OUT NAME: NAME's header, its check and its time line in a row
together() {
	grep -A2 -x "=== $2" "$tmp/$1.out" | sed -n 2,3p | tr '\n' '|' |
		grep -Eq "^  ok 1 - [ab] beside [ab]\|# $2: 1 passed, 0 failed, 0 skipped in [0-9]+ s\|$" ||
		{ cat "$tmp/$1.out"; return 1; }
}
check "VSIMPLE_JOBS=2: each suite's lines together (a)" together jobs meet-a
check "VSIMPLE_JOBS=2: each suite's lines together (b)" together jobs meet-b
runner locks VSIMPLE_JOBS=2 <<'EOF'
suite --lock x apart-c ./apart c d
suite --lock x apart-d ./apart d c
suite --lock x meet-e ./meet e f
suite --lock y meet-f ./meet f e
EOF
check "VSIMPLE_JOBS=2: suites with a lock in common one at a time, others beside them" \
	last locks "4 passed, 0 failed, 0 skipped"
t0=$EPOCHSECONDS
runner budget2 VSIMPLE_JOBS=2 VSIMPLE_BUDGET=3 <<'EOF'
suite hang ./hang
suite hang2 ./hang
suite pass ./pass
EOF
took=$((EPOCHSECONDS - t0))
check "VSIMPLE_JOBS=2, budget: stopped in $took s (budget 3 s)" test "$took" -le 15
stopped() { [ "$(grep -Ec '^ *not ok - hang2? stopped: the time budget ran out' "$tmp/budget2.out")" -eq 2 ]; }
check "VSIMPLE_JOBS=2, budget: both hanging suites stopped" stopped
check "VSIMPLE_JOBS=2, budget: the rest not run" has budget2 '^not ok - pass not run: the time budget ran out$'
check "VSIMPLE_JOBS=2, budget: the summary" last budget2 "0 passed, 3 failed, 0 skipped"
check "VSIMPLE_JOBS=2, budget: no process of the hanging suites left" no_hang_left
# TERM to the runner (no budget): the suites run in process groups of
# their own, which it must stop itself
script <<'EOF'
suite hang ./hang
suite hang2 ./hang
EOF
(cd "$tmp" && VSIMPLE_JOBS=2 exec timeout --foreground 120 bash run.sh > term.out 2>&1) &
rp=$! n=0
while [ "$(pgrep -fc "${marker/hang/[h]ang}")" -lt 2 ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
check "TERM: both suites started" test "$(pgrep -fc "${marker/hang/[h]ang}")" -eq 2
kill -TERM "$rp"
wait "$rp"
check "TERM: the runner ends as TERM ends it (143)" test $? -eq 143
check "TERM: no process of either suite left" no_hang_left

# the versions header from build/guest.env, as vm/boot/run-guest.py reads it
fake qemu 'echo "QEMU emulator version 9.9.9"; echo "Copyright"'
mkdir -p "$tmp/build"
printf '%s\n' "VSIMPLE_QEMU=$tmp/qemu" "VSIMPLE_KERNEL=/k/boot/vmlinuz-6.1.0-test" > "$tmp/build/guest.env"
runner versions <<< 'suite pass ./pass'
check "versions header: QEMU from guest.env" has versions '^# versions: QEMU: QEMU emulator version 9\.9\.9$'
check "versions header: guest kernel from guest.env" has versions '^# versions: guest kernel: 6\.1\.0-test$'
# make check-debug's kernel, in the environment, over the version the
# Makefile exports for the build
runner versions-env VSIMPLE_KVER=6.1.0-57-amd64 VSIMPLE_KERNEL=/d/boot/vmlinuz-6.1.192-debug <<< 'suite pass ./pass'
check "versions header: the guests' kernel from the environment, not VSIMPLE_KVER" \
	has versions-env '^# versions: guest kernel: 6\.1\.192-debug$'

# vm/boot/run-guest.py boots again, once, a guest whose console showed
# only kernel lines within VSIMPLE_BOOT_TIMEOUT; twice is a failure.  The
# fake QEMU prints a kernel line and hangs until its count of boots
# reaches $tmp/ok-at; a job whose userspace speaks late is left alone.
fake hang-qemu '[ "$1" != -version ] || exit 0
n=$(($(cat "'"$tmp"'/boots" 2>/dev/null || echo 0) + 1)); echo $n > "'"$tmp"'/boots"
[ "$n" -ge "$(cat "'"$tmp"'/ok-at")" ] || { printf "[    1.000000] kernel line\\r\\n"; exec sleep 60; }
printf "VSIMPLE-READY fake\r\nVSIMPLE-EXIT=0\r\n"'
: > "$tmp/kernel"; : > "$tmp/initrd"; echo 'exit 0' > "$tmp/job.sh"
boot_twice() {	# boot_twice OK-AT: run-guest's output, then its exit status
	echo "$1" > "$tmp/ok-at"; rm -f "$tmp/boots"
	VSIMPLE_BOOT_TIMEOUT=2 timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/hang-qemu" \
		--kernel "$tmp/kernel" --initrd "$tmp/initrd" --accel tcg --timeout 30 \
		"$tmp/job.sh" 2>&1
	echo "exit $?"
}
out=$(boot_twice 2)
check "run-guest: a guest that never reached its init is booted again, once, and passes" \
	bash -c 'grep -q "booting again, once" <<<"$1" && grep -q "^exit 0$" <<<"$1"' _ "$out"
out=$(boot_twice 3)
check "run-guest: hung twice, it fails as a timeout (124)" \
	bash -c 'grep -q "hung before its init twice" <<<"$1" && grep -q "^exit 124$" <<<"$1"' _ "$out"
fake slow-qemu '[ "$1" != -version ] || exit 0
printf "[    1.000000] kernel line\r\nok 1 - userspace, no VSIMPLE-READY\r\n"; sleep 4; printf "VSIMPLE-EXIT=0\r\n"'
out=$(VSIMPLE_BOOT_TIMEOUT=2 timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/slow-qemu" \
	--kernel "$tmp/kernel" --initrd "$tmp/initrd" --accel tcg --timeout 30 "$tmp/job.sh" 2>&1; echo "exit $?")
check "run-guest: a userspace that speaks (a systemd root, no VSIMPLE-READY) is not killed" \
	bash -c '! grep -q "booting again" <<<"$1" && grep -q "^exit 0$" <<<"$1"' _ "$out"

# QEMU's stderr never lands inside a console line: a TAP line cut by
# "fault injection: needs reset" was a lost check
fake err-qemu '[ "$1" != -version ] || exit 0
printf "VSIMPLE-READY fake\r\nok 1 - the first half"; sleep 0.5
echo "a QEMU warning" >&2; sleep 0.5
printf " and the second\r\nVSIMPLE-EXIT=0\r\n"'
out=$(timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/err-qemu" --kernel "$tmp/kernel" \
	--initrd "$tmp/initrd" --accel tcg --timeout 30 "$tmp/job.sh" 2>&1; echo "exit $?")
check "run-guest: QEMU's stderr waits for the console's line to end" \
	bash -c 'tr -d "\r" <<<"$1" | grep -qx "ok 1 - the first half and the second" &&
		grep -qx "qemu: a QEMU warning" <<<"$1" && grep -q "^exit 0$" <<<"$1"' _ "$out"

# a kernel's stall report asks QMP for the vCPUs' state: a QEMU whose QMP
# does not answer costs the report, not the run; a test that prints such
# a line itself asks nothing
fake stall-qemu '[ "$1" != -version ] || exit 0
printf "VSIMPLE-READY fake\r\nBUG: soft lockup - printed by a test\r\n"
printf "[   30.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 22s!\r\n"
printf "VSIMPLE-EXIT=0\r\n"'
out=$(timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/stall-qemu" --kernel "$tmp/kernel" \
	--initrd "$tmp/initrd" --accel tcg --timeout 40 "$tmp/job.sh" 2>&1; echo "exit $?")
check "run-guest: a stall report without QMP says so and the run ends as the guest said" \
	bash -c 'grep -q "no vCPU state" <<<"$1" && grep -q "^exit 0$" <<<"$1" &&
		[ "$(grep -c "no vCPU state" <<<"$1")" -eq 1 ]' _ "$out"

# a CPU stuck past VSIMPLE_LOCKUP_KILL ends the run then, as a timeout,
# not at the job's timeout
fake wedge-qemu '[ "$1" != -version ] || exit 0
printf "VSIMPLE-READY fake\r\n[   50.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 45s!\r\n"
printf "[   80.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 130s!\r\n"
exec sleep 60'
out=$(SECONDS=0; VSIMPLE_LOCKUP_KILL=100 timeout 90 "$top/vm/boot/run-guest.py" --qemu "$tmp/wedge-qemu" \
	--kernel "$tmp/kernel" --initrd "$tmp/initrd" --accel tcg --timeout 50 "$tmp/job.sh" 2>&1
	echo "exit $? after $SECONDS s")
check "run-guest: a CPU stuck 130 s (limit 100) stops QEMU at once, as a timeout (124)" \
	bash -c 'grep -q "stuck for 130s (VSIMPLE_LOCKUP_KILL 100s)" <<<"$1" &&
		grep -Eq "^exit 124 after ([0-9]|[1-3][0-9]) s$" <<<"$1"' _ "$out"

# TCG's vCPU threads: one under QEMU 7.2 (its multi-threaded TCG wedges on
# cross-vCPU code patching: tests/guest/text_poke.sh), several from 10
accel_for() {	# accel_for VERSION: the -accel run-guest gives that QEMU
	fake ver-qemu '[ "$1" != -version ] || { echo "QEMU emulator version '"$1"'"; exit 0; }
while [ $# -gt 0 ]; do [ "$1" = -accel ] && echo "accel=$2" >&2; shift; done
printf "VSIMPLE-READY fake\r\nVSIMPLE-EXIT=0\r\n"'
	timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/ver-qemu" --kernel "$tmp/kernel" \
		--initrd "$tmp/initrd" --accel tcg --timeout 30 "$tmp/job.sh" 2>&1 | sed -n 's/^qemu: accel=//p'
}
check "run-guest: QEMU 7.2 runs TCG's vCPUs in one thread" test "$(accel_for 7.2.22)" = tcg,thread=single
check "run-guest: QEMU 10.0 runs them in a thread each" test "$(accel_for 10.0.2)" = tcg,thread=multi
check "run-guest: VSIMPLE_TCG_THREAD overrides" test "$(VSIMPLE_TCG_THREAD=multi accel_for 7.2.22)" = tcg,thread=multi
out=$(VSIMPLE_TCG_THREAD=many timeout 60 "$top/vm/boot/run-guest.py" --qemu "$tmp/ver-qemu" \
	--kernel "$tmp/kernel" --initrd "$tmp/initrd" --accel tcg --timeout 30 "$tmp/job.sh" 2>&1; echo "exit $?")
check "run-guest: a VSIMPLE_TCG_THREAD that is neither is an error that says so (125)" \
	bash -c 'grep -q "VSIMPLE_TCG_THREAD must be single or multi" <<<"$1" && grep -q "^exit 125$" <<<"$1"' _ "$out"
tap_done
