#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench`, guest side: virtio-simple, virtio-serial and
# vhost-user-simple (virtio-simple served by the backend process, the device
# labelled "vhost-user") side by side in one boot (vm/targets/bench.sh sets
# up the devices, the host echo and the backend).  For each payload size:
# the in-guest memcpy limit, then ECHO at depth 1, 16 and 64 on each device,
# with the interrupts of that device's lines counted around each run.  A
# point's SECONDS are split in ROUNDS that alternate between the devices, so
# a burst of host noise hits all, not one.  Each run is one
# line "BENCH-RESULT {json}" for vm/targets/bench-report.sh; a failed run (a
# wrong echoed byte) ends the job.
# At depth 1, virtio-simple and vhost-user-simple also run with the
# driver's busy polling on (busy_poll_us=POLL_US; 0: not measured), as the
# devices "virtio-simple+poll" and "vhost-user-simple+poll".
#   bench.sh [SECONDS] [SIZES] [DEPTHS] [KICK_PROPERTY] [ROUNDS] [POLL_US]
# Under TCG the numbers measure the emulator as much as the design: compare
# devices within a run, and runs on the same machine, not absolute values.
. /opt/vsimple/bin/tap.sh	# for wait_for
seconds=${1:-3}
sizes=${2:-64 4096 65536}
depths=${3:-1 16 64}
port_name=vsimple.bench
# QOM path of virtio-simple's virtio device, and a counter of the
# notifications it received, read with qom-get around each run
# (vm/targets/bench.sh passes the name; empty when the device has none)
qom_dev=/machine/peripheral/vs0/virtio-backend
kick_prop=${4:-}
rounds=${5:-3}
poll_us=${6:-0}
poll_param=/sys/module/virtio_simple/parameters/busy_poll_us
slice=$(awk -v s="$seconds" -v r="$rounds" 'BEGIN { printf "%.3f", s / r }')

fail() { echo "BENCH-FAILED $*"; exit 1; }

wait_for /dev/virtio-simple0 30 || fail "no /dev/virtio-simple0"

# the virtio index (virtioN) of the device with virtio ID $1
virtio_index() {
	for d in /sys/bus/virtio/devices/virtio*; do
		[ "$(cat "$d/device")" = "$1" ] && { echo "${d##*virtio}"; return 0; }
	done
	return 1
}

# the serial port's node, found by its name (mdev makes no by-name link)
port=
for i in $(seq 50); do
	for n in /sys/class/virtio-ports/*/name; do
		[ -e "$n" ] && [ "$(cat "$n")" = "$port_name" ] || continue
		d=${n%/name}
		port=/dev/${d##*/}
	done
	[ -n "$port" ] && [ -c "$port" ] && break
	port=
	sleep 0.1
done
[ -n "$port" ] || fail "no virtio-serial port named $port_name"
# the two virtio-simple devices, told apart by the backend's label
simple= vu= vu_node=
wait_for /dev/virtio-simple1 30 || fail "no /dev/virtio-simple1 (the vhost-user device)"
for n in 0 1; do
	c=/sys/class/virtio-simple/virtio-simple$n
	v=$(basename "$(readlink -f "$c/device")")
	if [ "$(cat "$c/label")" = vhost-user ]; then
		vu=${v#virtio} vu_node=/dev/virtio-simple$n
	else
		simple=${v#virtio} simple_node=/dev/virtio-simple$n
	fi
done
[ -n "$simple" ] && [ -n "$vu" ] || fail "no virtio-simple and vhost-user-simple pair"
serial=$(virtio_index 0x0003) || fail "no virtio-serial device"
echo "bench: virtio-simple is virtio$simple ($simple_node), vhost-user-simple is virtio$vu ($vu_node), virtio-serial is virtio$serial (port $port)"
grep -E "virtio($simple|$serial|$vu)-" /proc/interrupts

# interrupts so far on the lines of virtioN (all CPUs, all its queues)
irqs() {
	awk -v pat="virtio$1-" 'NR == 1 { ncpu = NF; next }
		index($NF, pat) == 1 { for (i = 2; i <= ncpu + 1; i++) s += $i }
		END { print s + 0 }' /proc/interrupts
}

# kick_mark ID DEVICE: ask the host for virtio-simple's notification
# counter (virtio-serial has none); the reply goes to the QMP log with this
# id.  The pause lets the host read it before the run.
kick_mark() {
	[ -n "$kick_prop" ] && [ "$2" = virtio-simple ] || return 0
	echo "VSIMPLE-QMP {\"execute\": \"qom-get\", \"id\": \"$1\", \"arguments\": {\"path\": \"$qom_dev\", \"property\": \"$kick_prop\"}}"
	sleep 0.3
}

# run DEVICE SIZE DEPTH ROUND: one ECHO run of a slice, its interrupts, one
# BENCH-RESULT line
run=0
run() {
	run=$((run + 1))
	kick_mark "run$run-before" "$1"
	if [ "$1" != virtio-serial ]; then
		node=$simple_node idx=$simple
		case $1 in vhost-user-simple*) node=$vu_node idx=$vu ;; esac
		case $1 in *+poll) echo "$poll_us" >$poll_param ;; esac
		before=$(irqs $idx)
		out=$(vsimple -d "$node" bench --op echo --size "$2" --depth "$3" \
			--seconds "$slice" --json) || fail "$1 size $2 depth $3"
		echo 0 >$poll_param
	else
		idx=$serial
		before=$(irqs $idx)
		out=$(bench_serial "$port" "$2" "$3" "$slice") ||
			fail "$1 size $2 depth $3"
	fi
	after=$(irqs $idx)
	kick_mark "run$run-after" "$1"
	echo "BENCH-RESULT {\"kind\": \"echo\", \"device\": \"$1\", \"run\": $run, \"round\": $4, \"interrupts\": $((after - before)), \"result\": $out}"
}

for size in $sizes; do
	out=$(bench_memcpy "$size" 1) || fail "memcpy $size"
	echo "BENCH-RESULT {\"kind\": \"memcpy\", \"result\": $out}"
	for depth in $depths; do
		for round in $(seq "$rounds"); do
			run virtio-simple "$size" "$depth" "$round"
			run virtio-serial "$size" "$depth" "$round"
			run vhost-user-simple "$size" "$depth" "$round"
			[ "$depth" = 1 ] && [ "$poll_us" != 0 ] || continue
			run virtio-simple+poll "$size" "$depth" "$round"
			run vhost-user-simple+poll "$size" "$depth" "$round"
		done
	done
done
echo "BENCH-DONE"
