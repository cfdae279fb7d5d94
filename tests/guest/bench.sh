#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make bench`, guest side: virtio-simple, virtio-serial and
# vhost-user-simple (virtio-simple served by the backend process, the device
# labelled "vhost-user") side by side in one boot (vm/targets/bench.sh sets
# up the devices, the host echo and the backend).  For each payload size:
# the in-guest memcpy limit, then ECHO at depth 1, 16 and 64 on each device,
# with the interrupts of that device's lines counted around each run.  A
# point's SECONDS are split in ROUNDS that alternate between the devices in
# ABBA order (forward in odd rounds, backward in even ones), so a burst of
# host noise or a drift hits all, not one, and the report pairs the rounds.
# Every round also measures the floors: the in-guest memcpy limit, a pipe
# ping-pong between two processes (bench_pipe) and a 0-byte ECHO on
# virtio-simple.  The bench processes and every interrupt vector of the
# three devices are pinned to one vCPU (BENCH_CPU, default 0), recorded as
# a BENCH-PLACEMENT line.  Each run is one
# line "BENCH-RESULT {json}" for vm/targets/bench-report.sh; a failed run (a
# wrong echoed byte) ends the job.
# virtio-simple also runs through the driver's io_uring path (vsimple bench
# --engine uring: payloads sent from registered buffers, a batch per
# io_uring_enter()), as the device "virtio-simple+uring".
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
rounds=${5:-10}
poll_us=${6:-0}
poll_param=/sys/module/virtio_simple/parameters/busy_poll_us
cpu=${BENCH_CPU:-0}
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

# Pin every vector of the three devices to $cpu, and the bench processes
# (taskset below): a run then does not depend on where the scheduler or
# the interrupt balancing put things.  x86 moves a vector when it next
# fires, so the placement the kernel reports is printed again at the end
# (the report keeps the last): a vector that never fired (config, a queue
# whose interrupt the driver keeps off) may still show its old CPU.
irqs_of_devices=$(awk -v pat="virtio($simple|$serial|$vu)-" '$NF ~ pat { sub(":", "", $1); print $1 }' /proc/interrupts)
for irq in $irqs_of_devices; do
	echo "$cpu" >/proc/irq/"$irq"/smp_affinity_list 2>/dev/null ||
		fail "cannot pin IRQ $irq to CPU $cpu"
done
placement() {
	p=
	for irq in $irqs_of_devices; do
		eff=$(cat /proc/irq/"$irq"/effective_affinity_list 2>/dev/null ||
			cat /proc/irq/"$irq"/smp_affinity_list)
		name=$(awk -v n="$irq:" '$1 == n { print $NF }' /proc/interrupts)
		p="$p${p:+, }\"$name\": \"$eff\""
	done
	echo "BENCH-PLACEMENT {\"bench_cpu\": $cpu, \"cpus\": $(nproc), \"irqs\": {$p}}"
}
placement
pin() { taskset -c "$cpu" "$@"; }

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
	[ -n "$kick_prop" ] || return 0
	case $2 in virtio-simple|virtio-simple+uring) ;; *) return 0 ;; esac
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
		engine=rw
		case $1 in *+uring) engine=uring ;; esac
		before=$(irqs $idx)
		out=$(pin vsimple -d "$node" bench --op echo --size "$2" --depth "$3" \
			--engine $engine --seconds "$slice" --json) || fail "$1 size $2 depth $3"
		echo 0 >$poll_param
	else
		idx=$serial
		before=$(irqs $idx)
		out=$(pin bench_serial "$port" "$2" "$3" "$slice") ||
			fail "$1 size $2 depth $3"
	fi
	after=$(irqs $idx)
	kick_mark "run$run-after" "$1"
	echo "BENCH-RESULT {\"kind\": \"echo\", \"device\": \"$1\", \"run\": $run, \"round\": $4, \"interrupts\": $((after - before)), \"result\": $out}"
}

# floors ROUND SIZE: what a round trip and a copy cost with no device
# work in them, measured in every round like the devices
floors() {
	out=$(pin bench_memcpy "$2" "$slice") || fail "memcpy $2"
	echo "BENCH-RESULT {\"kind\": \"memcpy\", \"round\": $1, \"result\": $out}"
	out=$(pin bench_pipe "$2" "$slice") || fail "pipe $2"
	echo "BENCH-RESULT {\"kind\": \"floor\", \"device\": \"pipe\", \"round\": $1, \"result\": $out}"
	out=$(pin vsimple -d "$simple_node" bench --op echo --size 0 --depth 1 \
		--seconds "$slice" --json) || fail "0-byte ECHO"
	echo "BENCH-RESULT {\"kind\": \"floor\", \"device\": \"virtio-simple 0 B\", \"round\": $1, \"result\": $out}"
}

devices="virtio-simple virtio-simple+uring virtio-serial vhost-user-simple"
[ "$poll_us" = 0 ] || devices="$devices virtio-simple+poll vhost-user-simple+poll"
backward=$(echo "$devices" | tr ' ' '\n' | sed -n '1!G;h;$p' | tr '\n' ' ')
for size in $sizes; do
	for round in $(seq "$rounds"); do
		floors "$round" "$size"
	done
	for depth in $depths; do
		for round in $(seq "$rounds"); do
			order=$devices
			[ $((round % 2)) -eq 0 ] && order=$backward
			for dev in $order; do
				case $dev in *+poll) [ "$depth" = 1 ] || continue ;; esac
				run "$dev" "$size" "$depth" "$round"
			done
		done
	done
done
placement
echo "BENCH-DONE"
