#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make stress / make soak: boot the guest with its half
# (tests/guest/stress.sh or soak.sh), read QEMU's RSS from the host each
# time the guest prints "VSIMPLE-RSS TAG", and judge its growth.
#   vm/targets/stress.sh stress    STRESS_CYCLES (100), STRESS_NOHOTPLUG=1
#   vm/targets/stress.sh soak      SOAK_SECONDS (600)
# Bounds: SLAB_MAX_KIB (1024), AVAIL_MAX_KIB (4096), RSS_MAX_MIB (32).
# Under vm/targets/check-debug.sh (the debug kernel) the console is also
# judged by its VSIMPLE_SUITE_CHECK.  Logs: build/stress/
# (build/debug/stress/).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
mode=${1:-}
rss_max_mib=${RSS_MAX_MIB:-32}
out="$VS_TOP/build${VSIMPLE_SUITE_CHECK:+/debug}/stress"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $mode in
stress)
	cycles=${STRESS_CYCLES:-100}
	# x-fault-injection is in QEMU's ASan build alone; its quarantine
	# kept small, so QEMU's RSS still shows growth
	export ASAN_OPTIONS=quarantine_size_mb=4
	job=(--qemu "$(FLAVOUR=asan "$VS_TOP/vm/builders/build-qemu.sh")/qemu-system-x86_64"
	     --device virtio-simple-pci,id=vs0,x-fault-injection=on
	     "$VS_TOP/tests/guest/stress.sh" "$cycles" ${STRESS_NOHOTPLUG:+nohotplug})
	timeout=$((600 + cycles * 30)) ;;
soak)
	secs=${SOAK_SECONDS:-600}
	job=(--device virtio-simple-pci,label=alpha --device virtio-simple-pci,label=beta
	     "$VS_TOP/tests/guest/soak.sh" "$secs")
	timeout=$((600 + secs * 2)) ;;
*)
	vs_die "usage: vm/targets/stress.sh stress|soak" ;;
esac

# The guest's bounds, handed to stress_lib.sh.  On the debug kernel KASAN's
# quarantine keeps freed objects in Slab (up to 1/32 of RAM), so Slab
# cannot show a leak there; kmemleak judges leaks instead.
if [ -n "${VSIMPLE_SUITE_CHECK:-}" ]; then slab=65536 avail=65536; else slab=1024 avail=4096; fi
printf 'SLAB_MAX_KIB=%s\nAVAIL_MAX_KIB=%s\n' "${SLAB_MAX_KIB:-$slab}" \
	"${AVAIL_MAX_KIB:-$avail}" > "$tmp/stress.env"

log="$out/$mode.log"
rm -f "$log.console"
export VSIMPLE_CONSOLE_LOG="$log.console"
start=$(date +%s)
set +e
"$VS_TOP/vm/boot/run-guest.py" --timeout "$timeout" --add "$VS_TOP/tests/guest/stress_lib.sh" --add "$tmp/stress.env" \
	--qemu-arg=-pidfile --qemu-arg="$tmp/qemu.pid" "${job[@]}" 2>&1 |
while IFS= read -r line; do
	line=${line%$'\r'}
	printf '%s\n' "$line"
	case $line in
	VSIMPLE-RSS\ *)
		tag=${line#VSIMPLE-RSS }
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$tmp/qemu.pid")/status")
		echo "# QEMU RSS $tag: $rss KiB"
		echo "$tag $rss" >> "$tmp/rss" ;;
	esac
done | tee "$log"
rc=${PIPESTATUS[0]}
set -e

fail=0
verdict() {	# verdict STATUS TEXT
	if [ "$1" -eq 0 ]; then echo "PASS: $2"; else echo "FAIL: $2"; fail=1; fi
}
before=$(awk '$1 == "before" { print $2 }' "$tmp/rss" 2>/dev/null)
after=$(awk '$1 == "after" { print $2 }' "$tmp/rss" 2>/dev/null)
if [ -n "$before" ] && [ -n "$after" ]; then
	growth=$(( (after - before) / 1024 ))
	verdict "$([ "$growth" -lt "$rss_max_mib" ]; echo $?)" \
		"QEMU RSS growth after warm-up < $rss_max_mib MiB ($before -> $after KiB: $growth MiB)"
else
	verdict 1 "QEMU RSS read before and after (the guest never asked)"
fi
p=$(grep -c '^ok [0-9]*' "$log" || true)
f=$(grep -c '^not ok [0-9]*' "$log" || true)
verdict "$([ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; echo $?)" \
	"the guest's checks: $p passed, $f failed, exit status $rc"
if [ -n "${VSIMPLE_SUITE_CHECK:-}" ]; then
	why=$("$VSIMPLE_SUITE_CHECK" "$mode" "$log.console" 2>&1) && st=0 || st=$?
	verdict "$st" "no debug report in the guest console ($log.console)${why:+: $why}"
fi
echo "$mode: $(( $(date +%s) - start )) s, $([ "$fail" -eq 0 ] && echo PASS || echo FAIL)"
exit "$fail"
