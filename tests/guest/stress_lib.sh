# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest halves of make stress and make soak (busybox sh;
# vm/targets/stress.sh adds this file to /job).  Source after tap.sh.
node=/dev/virtio-simple0
# the bounds (SLAB_MAX_KIB, AVAIL_MAX_KIB) vm/targets/stress.sh chose
. /job/stress.env
totals=/tmp/stress-totals

# The guest's memory, after dropping what the kernel can drop, as KiB;
# VSIMPLE-RSS asks the host (vm/targets/stress.sh) to read QEMU's RSS now.
mem_snapshot() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	slab=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
	avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	eval "slab_$1=$slab avail_$1=$avail"
	echo "# memory $1: Slab $slab KiB, MemAvailable $avail KiB"
	echo "VSIMPLE-RSS $1"
}

# load NAME ARGS...: run stress_load ARGS in the background, return once
# every worker has its file open
load() {
	load_name=$1
	shift
	load_t0=$(date +%s)
	stress_load "$@" > /tmp/load.out 2>&1 &
	load_pid=$!
	wait_until 130 grep -q '^stress_load: started' /tmp/load.out
}

# load_end [stop]: wait for it (with stop: stop it first), then report its
# numbers as one check
load_end() {
	[ "${1:-}" = stop ] && kill -USR1 "$load_pid"
	wait "$load_pid"
	rc=$?
	line=$(grep '^STRESS-LOAD' /tmp/load.out)
	echo "# $load_name, $(($(date +%s) - load_t0)) s: ${line#STRESS-LOAD }"
	echo "$line" >> $totals
	tap_result "$rc" "$load_name: every request answered or failed with an error (lost 0, bad 0, hung 0)" \
		"$(cat /tmp/load.out)"
}

# wait_until SECONDS CMD...: poll CMD (a marker) until it succeeds
wait_until() {
	t=$(($1 * 10))
	shift
	until "$@"; do
		[ "$t" -gt 0 ] || return 1
		t=$((t - 1))
		sleep 0.1
	done
}

gone() { [ ! -e "$1" ]; }
no_vsimple_pci() { ! grep -qx 0x107f /sys/bus/pci/devices/*/device 2>/dev/null; }

# criterion STATUS TEXT: one pass criterion, as a check saying PASS or FAIL
criterion() {
	if [ "$1" -eq 0 ]; then tap_result 0 "PASS: $2"; else tap_result 1 "FAIL: $2"; fi
}

# The totals over every load, then the criteria that need no host.
report() {
	awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2] } }
	     END { printf "STRESS-TOTAL"; for (k in sum) printf " %s=%d", k, sum[k]; print "" }' $totals |
		tee /tmp/total
	lost=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' /tmp/total)
	hung=$(sed -n 's/.* hung=\([0-9]*\).*/\1/p' /tmp/total)
	[ "${lost:-1}" -eq 0 ] && [ "${hung:-1}" -eq 0 ]
	criterion $? "lost = 0 and hung = 0 over all loads (lost ${lost:-?}, hung ${hung:-?})"
	growth=$((slab_after - slab_before))
	[ "$growth" -lt "$SLAB_MAX_KIB" ]
	criterion $? "guest Slab growth < $SLAB_MAX_KIB KiB (${slab_before} -> ${slab_after} KiB: $growth KiB)"
	drop=$((avail_before - avail_after))
	[ "$drop" -lt "$AVAIL_MAX_KIB" ]
	criterion $? "guest MemAvailable drop < $AVAIL_MAX_KIB KiB (${avail_before} -> ${avail_after} KiB: $drop KiB)"
}
