#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: virtio-simple, virtio-serial and virtio-simple served by
# the vhost-user backend (build/backend/plain) side by side in ONE guest
# boot.  The serial port's host end is build/tools/serial-echo, connected to
# QEMU's socket chardev, so serial's answers and the backend's both travel
# through a host process; the guest side is tests/guest/bench.sh.  Writes
# build/bench/{guest.log,qmp.log,results.json,table.txt,throughput.png}
# (vm/targets/bench-report.sh) and prints the table; `make bench-docs`
# publishes it in docs/benchmarks/.
#   VSIMPLE_BENCH_SECONDS   seconds per point and device (default 5), in
#   VSIMPLE_BENCH_ROUNDS    rounds, the devices in ABBA order (default 10)
#   VSIMPLE_BENCH_SIZES, VSIMPLE_BENCH_DEPTHS, VSIMPLE_BENCH_SMP
#                           (defaults "64 4096 65536", "1 16 64", 2)
#   VSIMPLE_BENCH_POLL_US   the driver's busy_poll_us for the extra depth-1
#                           runs with busy polling on (default 200; 0: none)
#   VSIMPLE_BENCH_KICK_PROP virtio-simple's QOM counter of notifications
#                           received, read with qom-get (default
#                           "notifications"; kicks show n/a without it)
# Needs `make guest tools backend` (the Makefile's bench target builds them).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"

out=$VS_TOP/build/bench
seconds=${VSIMPLE_BENCH_SECONDS:-5}
rounds=${VSIMPLE_BENCH_ROUNDS:-10}
sizes=${VSIMPLE_BENCH_SIZES:-64 4096 65536}
depths=${VSIMPLE_BENCH_DEPTHS:-1 16 64}
smp=${VSIMPLE_BENCH_SMP:-2}
kick_prop=${VSIMPLE_BENCH_KICK_PROP:-notifications}
poll_us=${VSIMPLE_BENCH_POLL_US:-200}
echo_bin=$VS_TOP/build/tools/serial-echo
[ -x "$echo_bin" ] || vs_die "$echo_bin not built (make bench builds it)"

mkdir -p "$out"
rm -f "$out"/{guest.log,qmp.log,results.json,table.txt,throughput.dat,throughput.png,gnuplot.log}
tmp=$(mktemp -d)
echo_pid=
cleanup() {
	[ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
sock=$tmp/serial.sock

# QEMU is the chardev's server; the echo connects once QEMU has made it
"$echo_bin" "$sock" 60 2>"$out/serial-echo.log" &
echo_pid=$!

vs_say "one guest ($smp vCPUs), virtio-simple, virtio-serial and vhost-user-simple; $seconds s per run"
rc=0
"$VS_TOP/vm/boot/run-guest.py" --timeout 1200 --smp "$smp" \
	--device virtio-simple-pci,id=vs0 \
	--backend-bin "$VS_TOP/build/backend/plain/vhost-user-simple" \
	--device vhost-user-simple-pci,id=vs1,label=vhost-user \
	--device virtio-serial-pci,id=vser0,max_ports=2,vectors=7 \
	--qemu-arg=-chardev --qemu-arg="socket,id=benchport,path=$sock,server=on,wait=off" \
	--device virtserialport,bus=vser0.0,chardev=benchport,name=vsimple.bench \
	--qmp-log "$out/qmp.log" \
	"$VS_TOP/tests/guest/bench.sh" "$seconds" "$sizes" "$depths" "$kick_prop" "$rounds" "$poll_us" \
	2>&1 | tee "$out/guest.log" || rc=$?
wait "$echo_pid" || vs_say "serial-echo: exit $? (see $out/serial-echo.log)"
echo_pid=
[ "$rc" -eq 0 ] || vs_die "the guest side failed (exit $rc): see $out/guest.log"
grep -q '^BENCH-DONE' "$out/guest.log" || vs_die "the guest side did not finish: see $out/guest.log"

BENCH_SMP=$smp BENCH_POLL_US=$poll_us "$VS_TOP/vm/targets/bench-report.sh" "$out" "$kick_prop"
