#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Judge a suite's guest consoles from the debug kernel (make check-debug;
# tests/run.sh runs it as VSIMPLE_SUITE_CHECK):
#   scan-debug-reports.sh NAME CONSOLE-LOG
# Fails, printing an excerpt of each, on any checker's report: KASAN, UBSAN,
# lockdep, might_sleep, list debugging, hung tasks, oopses ("BUG:",
# "WARNING:", "INFO: ... blocked", ...) and kmemleak's unreferenced objects;
# and when a boot that finished its job did not print a kmemleak scan and a
# taint value (vm/image/guest/init does, under vsimple.debug=1), or left the
# kernel tainted by anything but loading an out-of-tree module.
set -euo pipefail
name=$1 log=$2
[ -s "$log" ] || { echo "$name: no guest console recorded ($log)"; exit 1; }
# QEMU's ASan build (the fault-injection suites) notes on its stderr, which
# the console log holds too, that its coroutines switch stacks: not a report
txt=$(tr -d '\r' < "$log" |
	grep -vE "^==[0-9]+==WARNING: ASan doesn't fully support makecontext/swapcontext" || true)

# Accepted taint: O (4096), our module is out of tree.  Not E (8192): the
# debug kernel has no module signing, so nothing can be "unsigned".
accept=4096

reports='BUG:|WARNING:|INFO: task .* blocked|INFO: (possible|trying|lockdep|rcu)|UBSAN:|KASAN|Kernel panic|kernel BUG at|general protection fault|Oops|list_(add|del) corruption|unreferenced object 0x'
bad=0
if grep -qE "$reports" <<<"$txt"; then
	echo "$name: debug reports in the guest console:"
	# each report with the lines that follow it (its call trace, the
	# kmemleak backtrace), at most 60 lines in all
	grep -nE -A 14 "$reports" <<<"$txt" | head -n 60
	bad=1
fi

boots=$(grep -c 'VSIMPLE-EXIT=' <<<"$txt" || true)
scans=$(grep -c 'VSIMPLE-KMEMLEAK-END' <<<"$txt" || true)
taints=$(grep -o 'VSIMPLE-TAINTED=[0-9]*' <<<"$txt" | cut -d= -f2 || true)
if [ "$boots" -eq 0 ]; then
	echo "$name: no guest boot finished its job"; bad=1
fi
if [ "$scans" -ne "$boots" ]; then
	echo "$name: $boots boots finished, $scans kmemleak scans (kmemleak off?)"; bad=1
fi
if [ "$(wc -w <<<"$taints")" -ne "$boots" ]; then
	echo "$name: $boots boots finished, $(wc -w <<<"$taints") taint values"; bad=1
fi
for t in $taints; do
	if [ $(( t & ~accept )) -ne 0 ]; then
		echo "$name: kernel tainted $t (accepted: $accept, O = out-of-tree module)"; bad=1
	fi
done
exit "$bad"
