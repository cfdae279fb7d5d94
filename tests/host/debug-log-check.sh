#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/debug/scan-debug-reports.sh (make check-debug's judge of guest
# consoles) on fixture consoles: a clean boot passes; each kind of report, a
# missing scan or taint line and a taint other than O fail.  TAP output.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
judge="$top/tests/debug/scan-debug-reports.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot [EXTRA-LINES] [TAINT]: one guest boot's console as init prints it
boot() {
	printf 'VSIMPLE-READY 6.1.192-vsimple-debug\r\nok 1 - x\r\n%s' "${1:-}"
	printf 'VSIMPLE-KMEMLEAK-BEGIN\r\nVSIMPLE-KMEMLEAK-END\r\n'
	printf 'VSIMPLE-TAINTED=%s\r\nVSIMPLE-EXIT=0\r\n' "${2:-4096}"
}
passes() { boot "$@" > "$tmp/c"; "$judge" t "$tmp/c"; }
fails() {	# fails PATTERN-IN-OUTPUT CONSOLE-TEXT
	printf '%s' "$2" > "$tmp/c"
	local out
	if out=$("$judge" t "$tmp/c" 2>&1); then echo "passed: $out"; return 1; fi
	grep -qF -- "$1" <<<"$out" || { echo "no '$1' in: $out"; return 1; }
}

check "a clean boot, taint O only, passes" passes
check "two clean boots pass" bash -c "$(declare -f boot); { boot; boot; } > '$tmp/c2'; '$judge' t '$tmp/c2'"
check "KASAN report fails, with its excerpt" fails "BUG: KASAN: slab-use-after-free" \
	"$(boot $'BUG: KASAN: slab-use-after-free in vsimple_read+0x1/0x2\nRead of size 8\n')"
check "UBSAN report fails" fails "UBSAN: shift-out-of-bounds" \
	"$(boot $'UBSAN: shift-out-of-bounds in driver/x.c:1:2\n')"
check "lockdep report fails" fails "possible circular locking" \
	"$(boot $'WARNING: possible circular locking dependency detected\n')"
check "sleep in atomic fails" fails "sleeping function" \
	"$(boot $'BUG: sleeping function called from invalid context at mm/slab.h:1\n')"
check "hung task fails" fails "blocked for more than" \
	"$(boot $'INFO: task chardev_test:77 blocked for more than 120 seconds.\n')"
check "kmemleak object fails" fails "unreferenced object" \
	"$(boot $'unreferenced object 0xffff888004b1c000 (size 64):\n  backtrace:\n')"
check "taint W fails" fails "tainted 4608" "$(boot '' 4608)"
check "a boot without taint line fails" fails "1 boots finished, 0 taint values" \
	"$(printf 'VSIMPLE-KMEMLEAK-END\nVSIMPLE-EXIT=0\n')"
check "a boot without kmemleak scan fails" fails "0 kmemleak scans" \
	"$(printf 'VSIMPLE-TAINTED=4096\nVSIMPLE-EXIT=0\n')"
asan_note=$'==11799==WARNING: ASan doesn\'t fully support makecontext/swapcontext functions and may produce false positives in some cases!\r\n'
check "QEMU's ASan note on its coroutines passes" passes "$asan_note"
check "a kernel WARNING next to it still fails" fails "WARNING: CPU: 0 PID: 1" \
	"$(boot "$asan_note"$'WARNING: CPU: 0 PID: 1 at x\r\n')"
check "no finished boot fails" fails "no guest boot finished" "VSIMPLE-READY x"
check "an empty console fails" fails "no guest console" ""
tap_done
