#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`'s report, from one run's build/bench/guest.log and qmp.log:
# results.json, table.txt (ratios virtio-simple / virtio-serial and
# vhost-user-simple / virtio-serial first, then the raw numbers and the
# goals) and throughput.png (gnuplot).
#   bench-report.sh DIR [KICK_PROPERTY]
set -euo pipefail
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
dir=${1:?usage: bench-report.sh DIR [KICK_PROPERTY]}
export BENCH_DIR=$dir BENCH_KICK_PROP=${2:-} BENCH_GUEST_ENV=$VS_TOP/build/guest.env

python3 - <<'EOF'
import json
import os
import re

d = os.environ["BENCH_DIR"]
kick_prop = os.environ["BENCH_KICK_PROP"]
SIZES = (64, 4096, 65536)
DEPTHS = (1, 16, 64)
# the third is virtio-simple served by the vhost-user backend process
DEVS = ("virtio-simple", "virtio-serial", "vhost-user-simple")
# the same two at depth 1 with the driver's busy polling on (busy_poll_us)
POLL_DEVS = ("virtio-simple+poll", "vhost-user-simple+poll")
POLL_US = int(os.environ.get("BENCH_POLL_US", "0"))

rounds, memcpy = {}, {}
with open(os.path.join(d, "guest.log"), errors="replace") as f:
    for line in f:
        m = re.search(r"BENCH-RESULT (\{.*\})", line)
        if not m:
            continue
        r = json.loads(m.group(1))
        if r["kind"] == "memcpy":
            memcpy[r["result"]["size"]] = r["result"]["mb_per_s"]
        else:
            res = r["result"]
            rounds.setdefault((r["device"], res["size"], res["depth"]), []).append(
                dict(res, interrupts=r["interrupts"], run=r["run"]))

# kicks: qom-get replies tagged runN-before / runN-after
counter = {}
qmp_log = os.path.join(d, "qmp.log")
kick_note = "no counter asked for"
if kick_prop and os.path.exists(qmp_log):
    errors = []
    with open(qmp_log) as f:
        for line in f:
            reply = json.loads(line)
            tag = reply.get("id", "")
            if "return" in reply and isinstance(reply["return"], int):
                counter[tag] = reply["return"]
            elif "error" in reply:
                errors.append(reply["error"].get("desc", ""))
    kick_note = ("virtio-simple has no QOM counter '%s' (%s)"
                 % (kick_prop, errors[0]) if errors and not counter else
                 "QOM counter '%s' of virtio-simple (qom-get)" % kick_prop)


def kicks(dev, r):
    before = counter.get("run%d-before" % r["run"])
    after = counter.get("run%d-after" % r["run"])
    if dev != "virtio-simple" or None in (before, after):
        return None
    return after - before


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


# a point is its rounds together: sums for counts and rates, the median of
# the rounds' percentiles for latency
echo = {}
for (dev, size, depth), rs in rounds.items():
    n = sum(r["requests"] for r in rs)
    secs = sum(r["seconds"] for r in rs)
    k = [kicks(dev, r) for r in rs]
    echo[(dev, size, depth)] = {
        "size": size, "depth": depth, "rounds": len(rs), "seconds": secs,
        "requests": n, "errors": sum(r["errors"] for r in rs),
        "checked_bytes": sum(r["checked_bytes"] for r in rs),
        "writes": sum(r["writes"] for r in rs),
        "max_in_flight": max(r["max_in_flight"] for r in rs),
        "requests_per_s": n / secs, "mb_per_s": n * size / secs / 1e6,
        "latency_us": {q: median([r["latency_us"][q] for r in rs])
                       for q in ("p50", "p90", "p99")},
        "interrupts": sum(r["interrupts"] for r in rs),
        "interrupts_per_request": sum(r["interrupts"] for r in rs) / max(n, 1),
        "kicks_per_request": None if None in k else sum(k) / max(n, 1),
        "per_round": rs,
    }
def get(dev, size, depth, key):
    r = echo.get((dev, size, depth))
    if r is None:
        return None
    return r["latency_us"][key] if key in ("p50", "p99") else r.get(key)


def ratio(size, depth, key, dev=DEVS[0]):
    a, b = get(dev, size, depth, key), get(DEVS[1], size, depth, key)
    return a / b if a is not None and b else None


def size_name(s):
    return "%d B" % s if s < 1024 else "%d KiB" % (s // 1024)


def fmt(v, spec="%.2f", none="n/a"):
    return none if v is None else spec % v


env = {}
if os.path.exists(os.environ["BENCH_GUEST_ENV"]):
    with open(os.environ["BENCH_GUEST_ENV"]) as f:
        env = dict(l.strip().split("=", 1) for l in f if "=" in l)
cpu = "?"
with open("/proc/cpuinfo") as f:
    for l in f:
        if l.startswith("model name"):
            cpu = l.split(":", 1)[1].strip()
            break
machine = {
    "host_cpu": cpu, "host_cores": os.cpu_count(),
    "accel": os.environ.get("VSIMPLE_ACCEL") or env.get("VSIMPLE_ACCEL", "?"),
    "qemu": os.path.basename(os.path.dirname(env.get("VSIMPLE_QEMU", "?"))),
    "guest_kernel": os.path.basename(env.get("VSIMPLE_KERNEL", "?")),
    "guest": "%s vCPUs, 512 MiB" % os.environ.get("BENCH_SMP", "2"),
    "kicks": kick_note,
}

L = []
for dev in (DEVS[0], DEVS[2]):
    L.append("%s / virtio-serial, ECHO, one guest (%s, %s)"
             % (dev, machine["accel"].upper(), machine["guest"]))
    L.append("%-8s %8s %8s %9s %9s %9s %12s" % ("size", "p50 d1", "p99 d1",
             "MB/s d1", "MB/s d16", "MB/s d64", "irq/req d64"))
    for s in SIZES:
        L.append("%-8s %8s %8s %9s %9s %9s %12s" % (
            size_name(s), fmt(ratio(s, 1, "p50", dev), "%.2fx"),
            fmt(ratio(s, 1, "p99", dev), "%.2fx"),
            *[fmt(ratio(s, q, "mb_per_s", dev), "%.2fx") for q in DEPTHS],
            fmt(ratio(s, 64, "interrupts_per_request", dev), "%.2fx")))
    L.append("")
if any(get(dev, s, 1, "p50") is not None for dev in POLL_DEVS for s in SIZES):
    L.append("with busy polling (busy_poll_us=%d), depth 1, / virtio-serial"
             % POLL_US)
    L.append("%-24s %-8s %8s %8s %9s %9s" % ("device", "size", "p50 d1",
             "p99 d1", "MB/s d1", "irq/req"))
    for dev in POLL_DEVS:
        for s in SIZES:
            L.append("%-24s %-8s %8s %8s %9s %9s" % (
                dev, size_name(s), fmt(ratio(s, 1, "p50", dev), "%.2fx"),
                fmt(ratio(s, 1, "p99", dev), "%.2fx"),
                fmt(ratio(s, 1, "mb_per_s", dev), "%.2fx"),
                fmt(get(dev, s, 1, "interrupts_per_request"), "%.3f")))
    L.append("")
L.append("(latency: below 1x is better; MB/s: above 1x is better;"
         " vhost-user-simple's answers and serial's both leave QEMU"
         " for a host process)")
L.append("")
L.append("raw numbers (%d rounds per point, the devices alternating; latency: "
         "median of the rounds' percentiles)"
         % max((r["rounds"] for r in echo.values()), default=0))
L.append("kicks: " + kick_note)
L.append("%-22s %-7s %5s %9s %9s %9s %9s %5s %7s %8s %8s %8s" % (
    "device", "size", "depth", "p50 us", "p99 us", "req/s", "MB/s",
    "out", "req/wr", "irq/req", "kick/req", "memcpy%"))
for s in SIZES:
    for q in DEPTHS:
        for dev in DEVS + POLL_DEVS:
            r = echo.get((dev, s, q))
            if not r:
                continue
            L.append("%-22s %-7s %5d %9.1f %9.1f %9.1f %9.2f %5d %7.1f %8.3f %8s %7.1f%%" % (
                dev, size_name(s), q, r["latency_us"]["p50"],
                r["latency_us"]["p99"], r["requests_per_s"], r["mb_per_s"],
                r["max_in_flight"], r["requests"] / max(r["writes"], 1),
                r["interrupts_per_request"],
                fmt(r["kicks_per_request"], "%.3f"),
                100 * r["mb_per_s"] / memcpy[s] if memcpy.get(s) else 0))
L.append("in-guest memcpy of the same blocks: " + ", ".join(
    "%s %.0f MB/s" % (size_name(s), memcpy[s]) for s in SIZES if s in memcpy))
L.append("out: most requests written and not yet answered; req/wr: requests "
         "per write()")

# issue 10's goals
goals = []


def goal(name, value, target, better, unit="x"):
    if value is None:
        goals.append({"goal": name, "value": None, "target": target,
                      "met": None, "distance": None})
        return
    met = value <= target if better == "below" else value >= target
    goals.append({"goal": name, "value": value, "target": target, "met": met,
                  "distance": value - target})


goal("64 B ECHO p50 at most 0.5x virtio-serial's", ratio(64, 1, "p50"), 0.5, "below")
goal("64 KiB ECHO depth 1 at least 2x virtio-serial's MB/s",
     ratio(65536, 1, "mb_per_s"), 2.0, "above")
best = max((get(DEVS[0], 65536, q, "mb_per_s") or 0) for q in DEPTHS)
goal("64 KiB pipelined (best depth) at least 50% of memcpy",
     best / memcpy[65536] if memcpy.get(65536) else None, 0.5, "above")
for s in SIZES:
    goal("%s depth 64: at most 0.05 interrupts per request" % size_name(s),
         get(DEVS[0], s, 64, "interrupts_per_request"), 0.05, "below")
for s in SIZES:
    goal("%s depth 64: at most 0.05 kicks per request" % size_name(s),
         get(DEVS[0], s, 64, "kicks_per_request"), 0.05, "below")
# issue 23's: the same work as serial's, through a host process
goal("vhost-user: 64 B ECHO p50 at most 0.5x virtio-serial's",
     ratio(64, 1, "p50", DEVS[2]), 0.5, "below")
goal("vhost-user: 64 KiB ECHO depth 1 at least 3x serial's MB/s",
     ratio(65536, 1, "mb_per_s", DEVS[2]), 3.0, "above")
goal("vhost-user+poll: 64 B ECHO p50 at most 0.5x serial's",
     ratio(64, 1, "p50", POLL_DEVS[1]), 0.5, "below")
goal("vhost-user+poll: 64 KiB d1 at least 3x serial's MB/s",
     ratio(65536, 1, "mb_per_s", POLL_DEVS[1]), 3.0, "above")
L.append("")
L.append("goals (virtio-simple; vhost-user: the backend's)")
for g in goals:
    if g["value"] is None:
        state, val = "not measured", "n/a"
    else:
        val = ("%.1f%%" % (100 * g["value"]) if "memcpy" in g["goal"]
               else "%.3f" % g["value"])
        state = "met" if g["met"] else "missed by %s" % (
            "%.1f points" % abs(100 * g["distance"]) if "memcpy" in g["goal"]
            else "%.3f" % abs(g["distance"]))
    L.append("  %-55s %8s  %s" % (g["goal"], val, state))

table = "\n".join(L) + "\n"
with open(os.path.join(d, "table.txt"), "w") as f:
    f.write(table)
print(table, end="")

results = {
    "machine": machine,
    "memcpy_mb_per_s": {str(s): v for s, v in memcpy.items()},
    "points": [dict(r, device=dev) for (dev, s, q), r in sorted(echo.items(),
             key=lambda kv: (kv[0][1], kv[0][2], kv[0][0]))],
    "ratios": {dev: {size_name(s): {
        "p50_d1": ratio(s, 1, "p50", dev), "p99_d1": ratio(s, 1, "p99", dev),
        **{"mb_per_s_d%d" % q: ratio(s, q, "mb_per_s", dev) for q in DEPTHS},
        "interrupts_per_request_d64": ratio(s, 64, "interrupts_per_request",
                                            dev),
    } for s in SIZES} for dev in (DEVS[0], DEVS[2]) + POLL_DEVS},
    "busy_poll_us": POLL_US,
    "goals": goals,
}
with open(os.path.join(d, "results.json"), "w") as f:
    json.dump(results, f, indent=1)
    f.write("\n")

# gnuplot data: one block per size, columns depth, simple, serial,
# vhost-user, memcpy
with open(os.path.join(d, "throughput.dat"), "w") as f:
    for s in SIZES:
        f.write("# %s\n" % size_name(s))
        for q in DEPTHS:
            f.write("%d %s %s %s %s\n" % (q, *[fmt(get(dev, s, q, "mb_per_s"), "%.3f", "NaN")
                                          for dev in DEVS],
                                       fmt(memcpy.get(s), "%.3f", "NaN")))
        f.write("\n\n")
EOF

plot=$dir/throughput.png
# a panel with no data (a run with other sizes or depths) stops gnuplot:
# say so, the table and results.json stand without the plot
if ! command -v gnuplot >/dev/null; then
	vs_say "no gnuplot: no plot (vm/builders/install-bench-deps.sh installs it)"
elif gnuplot 2>"$dir/gnuplot.log" <<EOF
set terminal pngcairo size 1200,420 font ",10"
set output "$plot"
set multiplot layout 1,3 title "ECHO throughput, virtio-simple, virtio-serial and vhost-user-simple, one guest ($(sed -n 's/^VSIMPLE_ACCEL=//p' "$BENCH_GUEST_ENV" | tr a-z A-Z); compare, do not quote)"
set logscale xy
set xtics ("1" 1, "16" 16, "64" 64)
set xrange [0.8:80]
set xlabel "depth (requests in flight)"
set ylabel "MB/s of payload"
set key bottom right
set grid
array T[3] = ["64 B", "4 KiB", "64 KiB"]
do for [i=0:2] {
	set title T[i + 1]
	plot "$dir/throughput.dat" index i using 1:2 with linespoints lw 2 title "virtio-simple", \
	     "" index i using 1:3 with linespoints lw 2 title "virtio-serial", \
	     "" index i using 1:4 with linespoints lw 2 title "vhost-user-simple", \
	     "" index i using 1:5 with lines dt 2 title "memcpy"
}
unset multiplot
EOF
then
	vs_say "plot: $plot"
else
	vs_say "gnuplot failed, plot incomplete (a partial run?): see $dir/gnuplot.log"
fi
vs_say "results: $dir/results.json, table: $dir/table.txt"
