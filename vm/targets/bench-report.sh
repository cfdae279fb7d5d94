#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`'s report (vm/targets/bench_report.py has the method):
#   bench-report.sh DIR [KICK_PROPERTY]
#       DIR/guest.log and qmp.log -> DIR/results.json, then the report
#   bench-report.sh --from RESULTS.json OUTDIR
#       the report alone, from a results.json (make bench-docs: the
#       committed docs/benchmarks/ redrawn from its own results.json)
# The report: OUTDIR/table.txt (printed), throughput.dat and throughput.png
# (gnuplot: median MB/s with the 95% interval as error bars).
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
py=$VS_TOP/vm/targets/bench_report.py
if [ "${1:-}" = --from ]; then
	results=${2:?usage: bench-report.sh --from RESULTS.json OUTDIR}
	dir=${3:?usage: bench-report.sh --from RESULTS.json OUTDIR}
else
	dir=${1:?usage: bench-report.sh DIR [KICK_PROPERTY]}
	results=$dir/results.json
	BENCH_GUEST_ENV=$VS_TOP/build/guest.env \
	BENCH_COMMIT=$(git -C "$VS_TOP" rev-parse --short HEAD 2>/dev/null || echo "?") \
	BENCH_DATE=$(date -u +%F) \
		python3 "$py" collect "$dir" "${2:-}"
fi
python3 "$py" report "$results" "$dir"

plot=$dir/throughput.png
accel=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["machine"]["accel"].upper())' "$results")
# a panel with no data (a run with other sizes or depths) stops gnuplot:
# say so, the table and results.json stand without the plot
if ! command -v gnuplot >/dev/null; then
	vs_say "no gnuplot: no plot (vm/builders/install-bench-deps.sh installs it)"
elif gnuplot 2>"$dir/gnuplot.log" <<EOF
set terminal pngcairo size 1200,420 font ",10"
set output "$plot"
set multiplot layout 1,3 title "ECHO throughput, median of the rounds and 95% interval, one guest ($accel; compare, do not quote)"
set logscale xy
set xtics ("1" 1, "16" 16, "64" 64)
set xrange [0.8:80]
set xlabel "depth asked (requests in flight)"
set ylabel "MB/s of payload"
set key bottom right
set grid
array T[3] = ["64 B", "4 KiB", "64 KiB"]
do for [i=0:2] {
	set title T[i + 1]
	plot "$dir/throughput.dat" index i using 1:2:3:4 with yerrorlines lw 2 title "virtio-simple", \
	     "" index i using 1:5:6:7 with yerrorlines lw 2 title "virtio-serial", \
	     "" index i using 1:8:9:10 with yerrorlines lw 2 title "vhost-user-simple", \
	     "" index i using 1:11 with lines dt 2 title "memcpy"
}
unset multiplot
EOF
then
	vs_say "plot: $plot"
else
	vs_say "gnuplot failed, plot incomplete (a partial run?): see $dir/gnuplot.log"
fi
vs_say "results: $results, table: $dir/table.txt"
