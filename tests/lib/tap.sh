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

# tap_embed [-p LABEL] COMMAND...: COMMAND's TAP (its stdout) as part of
# this stream, which may have one plan only: its checks renumbered after
# ours, LABEL put before their descriptions, its plan dropped.  A plan
# that is missing (a crash half-way), repeated or short of its checks is
# one more failed check.  Returns COMMAND's status.
tap_embed() {
	te_label=""
	if [ "$1" = -p ]; then te_label=$2; shift 2; fi
	te_tmp=$(mktemp) || return 1
	echo 125 > "$te_tmp"
	{ "$@"; echo "$?" > "$te_tmp"; } | tap_renumber "$tap_n" "$te_label" "$te_tmp.res"
	te_c=0 te_f=0 te_why="its output was cut"
	[ ! -r "$te_tmp.res" ] || { read -r te_c te_f; read -r te_why; } < "$te_tmp.res"
	te_rc=$(cat "$te_tmp")
	rm -f "$te_tmp" "$te_tmp.res"
	tap_n=$((tap_n + ${te_c:-0}))
	tap_failed=$((tap_failed + ${te_f:-0}))
	[ -z "$te_why" ] ||
		tap_result 1 "the TAP of $* (one plan, its checks in order)" "$te_why; exit status $te_rc"
	return "$te_rc"
}

# tap_renumber N LABEL RESULT: tap_embed's filter, stdin to stdout, line by
# line (a guest's output reaches the host as it comes; mawk would hold it
# back); writes "CHECKS FAILED" and what is wrong with the plan to RESULT
tap_renumber() {
	tr_cr=$(printf '\r')
	tr_c=0 tr_f=0 tr_plans=0 tr_planned=0 tr_order=""
	while IFS= read -r tr_line || [ -n "$tr_line" ]; do
		tr_l=${tr_line%"$tr_cr"}
		case $tr_l in
		1..*[!0-9]*) ;;
		1..?*)
			tr_plans=$((tr_plans + 1)) tr_planned=${tr_l#1..}
			continue ;;
		"ok "[0-9]*|"not ok "[0-9]*)
			tr_c=$((tr_c + 1))
			tr_not=${tr_l%%ok *}
			tr_rest=${tr_l#"${tr_not}ok "}
			tr_num=${tr_rest%%[!0-9]*}
			tr_rest=${tr_rest#"$tr_num"}
			[ "$tr_num" -eq "$tr_c" ] || [ -n "$tr_order" ] ||
				tr_order="check $tr_num where $tr_c was due"
			if [ -n "$2" ]; then
				tr_rest=" - $2${tr_rest#" - "}"
			fi
			printf '%sok %d%s\n' "$tr_not" $(($1 + tr_c)) "$tr_rest"
			case $tr_not$tr_rest in
			not*"# TODO"*|not*"#TODO"*) ;;
			not*) tr_f=$((tr_f + 1)) ;;
			esac
			continue ;;
		esac
		printf '%s\n' "$tr_line"
	done
	if [ "$tr_plans" -eq 0 ]; then tr_why="no plan"
	elif [ "$tr_plans" -gt 1 ]; then tr_why="$tr_plans plans"
	elif [ "$tr_planned" -ne "$tr_c" ]; then tr_why="a plan of $tr_planned for $tr_c checks"
	else tr_why=$tr_order
	fi
	printf '%s %s\n%s\n' "$tr_c" "$tr_f" "$tr_why" > "$3"
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
