# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The machinery of tests/run.sh, sourced; functions only.  runner_start,
# runner_versions, one `suite NAME CMD...` per suite (queued), runner_summary
# (runs the queue, VSIMPLE_JOBS at a time; its status is the run's).  Works from any directory: logs go to
# VSIMPLE_TEST_LOGS (default build/test-logs), settings come from
# build/guest.env, both relative to the current directory.

# runner_start: the counters, the log directory and the time budget
runner_start() {
	local v
	logs=${VSIMPLE_TEST_LOGS:-build/test-logs}
	suite_check=${VSIMPLE_SUITE_CHECK:-}
	mkdir -p "$logs"
	passed=0 failed=0 skipped=0
	started=$EPOCHSECONDS ran=0 picked=0 streak=0 stop_why=""
	# the queue (suite) and the suites running (pid -> queue index)
	q_name=() q_lock=() q_cmd=() q_t0=()
	declare -gA job_of=()
	for v in VSIMPLE_BUDGET VSIMPLE_DEADLINE VSIMPLE_MAX_TIMEOUTS VSIMPLE_JOBS; do
		[[ ${!v:-0} =~ ^[0-9]+$ ]] && continue
		echo "$0: $v='${!v}' is not a whole number" >&2
		exit 2
	done
	max_timeouts=$((10#${VSIMPLE_MAX_TIMEOUTS:-2}))
	# suites at a time: a guest under TCG keeps one core busy (QEMU 7.2's
	# single vCPU thread), a build both; at most 4 by default (memory)
	jobs=$((10#${VSIMPLE_JOBS:-0}))
	if [ "$jobs" -eq 0 ]; then
		jobs=$(nproc 2>/dev/null || echo 1)
		[ "$jobs" -le 4 ] || jobs=4
	fi
	# beside this file, wherever the run is
	tap_count=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tap-count.pl
	# what each suite must report (runner_expected); none in a directory
	# without the file (tests/host/runner.sh's fake runs)
	expected=${VSIMPLE_EXPECTED-tests/expected-counts}
	[ -z "$expected" ] || [ -r "$expected" ] || expected=""
	# the earlier of the two; none: no budget
	deadline=${VSIMPLE_DEADLINE:+$((10#$VSIMPLE_DEADLINE))}
	if [ -n "${VSIMPLE_BUDGET:-}" ]; then
		v=$((started + 10#$VSIMPLE_BUDGET))
		if [ -z "$deadline" ] || [ "$v" -lt "$deadline" ]; then
			deadline=$v
		fi
	fi
}

# runner_setting KEY: KEY from the environment, else from build/guest.env
# (as vm/boot/run-guest.py finds it); nothing when neither has it
runner_setting() {
	local line
	if [ -n "${!1:-}" ]; then
		printf '%s\n' "${!1}"
		return
	fi
	[ -r build/guest.env ] || return 0
	while IFS= read -r line; do
		[ "${line%%=*}" = "$1" ] && printf '%s\n' "${line#*=}" && return
	done < build/guest.env
}

# runner_version LABEL CMD...: "# versions: LABEL: " and the first line of
# CMD's output, or unknown; a missing or hanging tool fails nothing
runner_version() {
	local label=$1 v=""
	shift
	[ $# -gt 0 ] && v=$(timeout 10 "$@" 2>/dev/null | head -n 1)
	echo "# versions: $label: ${v:-unknown}"
}

# runner_versions: what the results were measured on
runner_versions() {
	local kernel qemu
	# the kernel the guests boot (make check-debug's own), else the
	# version the build targets (the Makefile exports VSIMPLE_KVER)
	kernel=$(runner_setting VSIMPLE_KERNEL)
	kernel=${kernel:-${VSIMPLE_KVER:-}}
	qemu=$(runner_setting VSIMPLE_QEMU)
	runner_version Debian cat /etc/debian_version
	runner_version "host kernel" uname -r
	runner_version gcc gcc --version
	kernel=${kernel##*/}	# vmlinuz-VERSION from a path
	kernel=${kernel#vmlinuz-}
	echo "# versions: guest kernel: ${kernel:-unknown}"
	if [ -n "$qemu" ]; then
		runner_version QEMU "$qemu" --version
	else
		runner_version QEMU
	fi
}

# runner_expected NAME N S: why NAME's N checks with S skipped fall short
# of the expected counts file (lines "NAME CHECKS SKIPS-ALLOWED"), nothing
# when they do not: a suite that shrinks, skips what it should run, or has
# no line there fails
runner_expected() {
	local want
	[ -n "$expected" ] || return 0
	want=$(awk -v n="$1" '$1 == n { print $2, $3; exit }' "$expected")
	if [ -z "$want" ]; then
		echo "has no expected counts in $expected"
	elif [ "$2" -lt "${want% *}" ]; then
		echo "reported $2 checks, $expected expects at least ${want% *}"
	elif [ "$3" -gt "${want#* }" ]; then
		echo "skipped $3 checks, $expected allows ${want#* }"
	fi
}

# runner_selected NAME: whether VSIMPLE_SUITES="glob ..." (development)
# names suite NAME; every suite is when it is unset.
runner_selected() {
	local pat pats
	[ -n "${VSIMPLE_SUITES:-}" ] || return 0
	read -ra pats <<< "$VSIMPLE_SUITES"
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

# runner_root_up_front NAME...: suites that re-run themselves through sudo.
# Ask for the password now, at the start, not half an hour into a run
# (a suite runs in a process group of its own, where sudo cannot ask);
# without a terminal, say at once that those suites will fail.
runner_root_up_front() {
	local name need=""
	[ "$(id -u)" -ne 0 ] || return 0
	for name in "$@"; do runner_selected "$name" && need="$need $name"; done
	[ -n "$need" ] || return 0
	sudo -n true 2>/dev/null && return 0
	if [ -t 0 ]; then
		echo "#$need: root through sudo; it asks now, before the run"
		sudo -v && return 0
	fi
	echo "#$need: not root and sudo needs a password: they will fail (run as root, or sudo -v first)"
}

# runner_signal SIG: the runner is told to stop.  Each suite runs in a
# process group of its own (timeout's), which a terminal's ^C does not
# reach: stop them all, then stop as SIG would.
runner_signal() {
	local pid
	for pid in "${!job_of[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	wait
	trap - "$1"
	kill -"$1" $$
}

# suite [--lock NAME]... NAME CMD...: queue CMD as suite NAME.  Suites that
# name the same lock never run at the same time (they write the same files:
# the tree's own build outputs, a scratch tree).
suite() {
	local lock=" "
	while [ "$1" = --lock ]; do lock="$lock$2 "; shift 2; done
	local name=$1
	shift
	runner_selected "$name" || return 0
	picked=$((picked + 1))
	q_name+=("$name") q_lock+=("$lock") q_cmd+=("$(printf '%q ' "$@")")
}

# runner_pick: the index of the first queued suite whose locks no running
# suite holds, taken off the queue; fails when there is none
runner_pick() {
	local i j held=" " lock ok
	for j in "${job_of[@]}"; do held="$held${q_lock[j]# }"; done
	for i in "${!pending[@]}"; do
		ok=1
		for lock in ${q_lock[pending[i]]}; do
			[[ $held == *" $lock "* ]] && ok=0
		done
		[ "$ok" -eq 1 ] || continue
		pick=${pending[i]}
		pending=("${pending[@]:0:i}" "${pending[@]:i+1}")
		return 0
	done
	return 1
}

# runner_launch I: start queued suite I in the background, its output to
# its log, through timeout: a process group of its own, stopped as a whole
# (QEMU too) when the budget runs out (no limit without one)
runner_launch() {
	local i=$1 log="$logs/${q_name[$1]}.log" left=0
	eval "set -- ${q_cmd[i]}"
	# timeout runs programs: a function (guest) goes through a child bash
	if declare -F "$1" > /dev/null; then
		export -f "${1?}"
		set -- bash -c '"$@"' "$1" "$@"
	fi
	if [ -n "$deadline" ]; then
		left=$((deadline - EPOCHSECONDS))
		[ "$left" -ge 1 ] || left=1	# 0 would mean no limit at all
	fi
	rm -f "$log.console"
	# one at a time, the header says what runs now
	[ "$jobs" -gt 1 ] || echo "=== ${q_name[i]}"
	VSIMPLE_CONSOLE_LOG=${suite_check:+$log.console} \
		timeout --kill-after=10 "$left" "$@" > "$log" 2>&1 &
	job_of[$!]=$i
	q_t0[i]=$EPOCHSECONDS
	ran=$((ran + 1))
}

# runner_finish I RC: show suite I's checks and count them as prove would
# (tests/lib/tap-count.pl, TAP::Parser).  A suite fails as a whole (one
# failure) when it exits non-zero without a failed check, when it reports
# no check at all, or when its output is no valid TAP (one plan, "1..N",
# that its checks meet, numbered in order): a crash half-way must not
# pass.  "ok N - ... # SKIP why" counts as skipped.  Its lines come
# together, whatever else ran beside it (with its header, "=== NAME",
# unless suites run one at a time: then that came when it started).
runner_finish() {
	local i=$1 rc=$2 name=${q_name[$1]}
	local log="$logs/$name.log" p f s n counts bad uncounted="" why=""
	[ "$jobs" -eq 1 ] || echo "=== $name"
	tr -d '\r' < "$log" | grep -E '^(not )?ok [0-9]+|^#' | sed 's/^/  /'
	# "PASSED FAILED SKIPPED CHECKS", then why the TAP is invalid, if it is
	if ! counts=$(perl "$tap_count" "$log" 2>&1); then
		uncounted=$(tail -n 1 <<< "$counts")
		counts="0 0 0 0"
	fi
	{ read -r p f s n; IFS= read -r bad; } <<< "$counts"
	# timeout's 124 (TERM) or 137 (KILL) past the deadline: the budget's
	# doing; a 124 before it is the suite's own (vm/boot/run-guest.py's
	# timeout)
	if [ -n "$deadline" ] && [ "$EPOCHSECONDS" -ge "$deadline" ] &&
		{ [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; }; then
		why="stopped: the time budget ran out"
		stop_why="the time budget ran out"
	elif [ -n "$uncounted" ]; then
		why="could not be counted: $uncounted"
	elif [ "$n" -eq 0 ]; then
		why="reported no check"
	elif [ -n "$bad" ]; then
		why="printed invalid TAP: $bad"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exited with status $rc"
	else
		why=$(runner_expected "$name" "$n" "$s")
	fi
	if [ -n "$why" ]; then
		echo "  not ok - $name $why (see $log)"
		tail -n 15 "$log" | sed 's/^/  # /'
		f=$((f + 1))
	fi
	if [ -n "$suite_check" ] && ! why=$("$suite_check" "$name" "$log.console" 2>&1); then
		echo "  not ok - $name: $suite_check found reports (see $log.console)"
		printf '%s\n' "$why" | sed 's/^/  # /'
		f=$((f + 1))
	fi
	# guests that keep timing out: the machine is too slow or stuck, and
	# each further suite would only wait out its own timeout
	if [ "$rc" -eq 124 ]; then streak=$((streak + 1)); else streak=0; fi
	if [ -z "$stop_why" ] && [ "$max_timeouts" -gt 0 ] && [ "$streak" -ge "$max_timeouts" ]; then
		stop_why="$streak suites timed out in a row"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	echo "# $name: $p passed, $f failed, $s skipped in $((EPOCHSECONDS - q_t0[i])) s"
}

# runner_run: the queue, in its order, up to $jobs suites at a time, each
# shown when it ends.  Once the budget is out or too many suites timed out
# in a row, the rest are not run, one failure each.
runner_run() {
	local pending=() pick pid rc i
	for i in "${!q_name[@]}"; do pending+=("$i"); done
	trap 'runner_signal INT' INT
	trap 'runner_signal TERM' TERM
	trap 'runner_signal HUP' HUP
	while :; do
		while [ -z "$stop_why" ] && [ "${#job_of[@]}" -lt "$jobs" ] && runner_pick; do
			if [ -n "$deadline" ] && [ "$EPOCHSECONDS" -ge "$deadline" ]; then
				stop_why="the time budget ran out"
				pending=("$pick" "${pending[@]}")
				break
			fi
			runner_launch "$pick"
		done
		[ "${#job_of[@]}" -gt 0 ] || break
		wait -n -p pid "${!job_of[@]}"
		rc=$?
		i=${job_of[$pid]}
		unset "job_of[$pid]"
		runner_finish "$i" "$rc"
	done
	trap - INT TERM HUP
	for i in "${pending[@]}"; do
		echo "not ok - ${q_name[i]} not run: $stop_why"
		failed=$((failed + 1))
	done
}

# runner_summary: runs the queue, then the last line, "N passed, N failed,
# N skipped"; fails when anything failed
runner_summary() {
	runner_run
	if [ -n "${VSIMPLE_SUITES:-}" ] && [ "$picked" -eq 0 ]; then
		echo "not ok - VSIMPLE_SUITES='$VSIMPLE_SUITES' matched no suite"
		failed=$((failed + 1))
	fi
	echo "# total: $((EPOCHSECONDS - started)) s for $ran suites, $jobs at a time"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
