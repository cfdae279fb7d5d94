# SPDX-License-Identifier: GPL-2.0
# TAP helpers for test scripts, host (bash) and guest (busybox sh): source,
# then call check or tap_result, and tap_done at the end.
tap_n=0
tap_failed=0

# check DESCRIPTION COMMAND...: runs COMMAND, reports ok/not ok.
check() {
	desc=$1; shift
	tap_n=$((tap_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
		tap_failed=$((tap_failed + 1))
	fi
}

# tap_result STATUS DESCRIPTION [DIAGNOSTIC]: report a check already run.
tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'
		tap_failed=$((tap_failed + 1))
	fi
	return "$1"
}

# wait_for PATH SECONDS: poll for PATH to appear, fail after SECONDS.
wait_for() {
	i=0
	while [ ! -e "$1" ]; do
		[ "$i" -ge $(($2 * 10)) ] && { echo "timed out waiting for $1"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# wait_content FILE TEXT SECONDS: poll until FILE reads TEXT.
wait_content() {
	i=0
	while [ "$(cat "$1" 2>/dev/null)" != "$2" ]; do
		[ "$i" -ge $(($3 * 10)) ] && { echo "$1 is '$(cat "$1")', not '$2'"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}
