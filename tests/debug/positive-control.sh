#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug's positive control, as TAP: boots the debug kernel once
# with tests/debug/plant-bugs loaded (a leak, an out-of-bounds read, a bad
# shift, a lock inversion, a might-sleep under a spinlock) and checks that
# each checker reported its bug and that tests/debug/scan-debug-reports.sh
# rejects that console.  Without this, a suite that "found nothing" could mean
# a checker was off.
#   positive-control.sh KERNEL-BUILD-DIR WORK-DIR
# The guest settings (VSIMPLE_KERNEL, VSIMPLE_INITRD, VSIMPLE_APPEND, ...)
# come from vm/targets/check-debug.sh's environment.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
kbuild=$1 work=$2

# the module, built against the debug tree in WORK-DIR (links, as for the driver)
mkdir -p "$work/plant-bugs"
ln -sf "$top"/tests/debug/plant-bugs/{Kbuild,vsimple_plant_bugs.c} "$work/plant-bugs/"
make -s -C "$kbuild" M="$work/plant-bugs" modules >&2
ko="$work/plant-bugs/vsimple_plant_bugs.ko"

# the job: load it, then let kmemleak age the lost object and scan until it
# is reported (kmemleak ignores objects younger than 5 s), at most 60 s
job="$work/plant-bugs.sh"
cat > "$job" <<'JOB'
#!/bin/sh
insmod /job/vsimple_plant_bugs.ko || exit 1
i=0
while [ $i -lt 30 ]; do
	echo scan > /sys/kernel/debug/kmemleak
	grep -q 'unreferenced object' /sys/kernel/debug/kmemleak && exit 0
	sleep 2
	i=$((i + 1))
done
echo "kmemleak reported nothing in 60 s"
exit 1
JOB
console="$work/plant-bugs.console"
rm -f "$console"
VSIMPLE_CONSOLE_LOG=$console "$top/vm/boot/run-guest.py" --timeout 300 --add "$ko" \
	"$job" > "$work/plant-bugs.log" 2>&1 || true
txt=$(tr -d '\r' < "$console" 2>/dev/null || true)

has() { grep -qE "$1" <<<"$txt" || { echo "not in the console: $1"; return 1; }; }
check "the module loaded and planted its bugs" has 'vsimple_plant_bugs: planted'
check "kmemleak reports the lost object" has 'unreferenced object 0x'
check "KASAN reports the read past the object" has "BUG: KASAN: slab-out-of-bounds"
check "lockdep reports the inversion" has 'possible circular locking dependency detected'
check "DEBUG_ATOMIC_SLEEP reports the might-sleep" has 'BUG: sleeping function called from invalid context'
check "UBSAN reports the shift" has "UBSAN: shift-out-of-bounds"
rejects() { ! "$top/tests/debug/scan-debug-reports.sh" plant-bugs "$console" > /dev/null; }
check "tests/debug/scan-debug-reports.sh rejects that console" rejects
tap_done
