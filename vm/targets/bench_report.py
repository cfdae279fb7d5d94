#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make bench`'s numbers, in two steps (vm/targets/bench-report.sh runs both).

  bench_report.py collect DIR [KICK_PROPERTY]
      DIR/guest.log and DIR/qmp.log -> DIR/results.json: every round of
      every run as measured, the floors, the placement and the machine.
  bench_report.py report RESULTS.json OUTDIR
      -> OUTDIR/table.txt (printed too) and OUTDIR/throughput.dat (gnuplot's).
      Depends only on RESULTS.json, so `make bench-docs` redraws the
      committed docs/benchmarks/ from the committed results.json, and a test
      checks the committed table is what they give.

Method (docs/benchmarks.md): a ratio is taken per round, virtio-simple's
round against virtio-serial's round of the same number (the devices ran
next to each other, in ABBA order); the point is the median of those
paired ratios and its 95% interval a percentile bootstrap over the rounds
(2000 resamples, a fixed seed: the same results.json gives the same table).
"""
import json
import os
import random
import re
import sys

SIZES = (64, 4096, 65536)
DEPTHS = (1, 16, 64)
SERIAL = "virtio-serial"
# the third is virtio-simple served by the vhost-user backend process
DEVS = ("virtio-simple", SERIAL, "vhost-user-simple")
# the same two at depth 1 with the driver's busy polling on (busy_poll_us)
POLL_DEVS = ("virtio-simple+poll", "vhost-user-simple+poll")
# virtio-simple through the driver's io_uring path (vsimple bench --engine uring)
URING = "virtio-simple+uring"
RESAMPLES = 2000


def collect(d, kick_prop):
    runs, memcpy, floors, placement = [], [], [], None
    with open(os.path.join(d, "guest.log"), errors="replace") as f:
        for line in f:
            m = re.search(r"BENCH-(RESULT|PLACEMENT) (\{.*\})", line)
            if not m:
                continue
            r = json.loads(m.group(2))
            if m.group(1) == "PLACEMENT":
                placement = r
            elif r["kind"] == "memcpy":
                memcpy.append(dict(r["result"], round=r.get("round", 1)))
            elif r["kind"] == "floor":
                floors.append(dict(r["result"], device=r["device"],
                                   round=r["round"]))
            else:
                runs.append(dict(r["result"], device=r["device"],
                                 round=r["round"], run=r["run"],
                                 interrupts=r["interrupts"]))

    # kicks: qom-get replies tagged runN-before / runN-after
    counter, errors = {}, []
    qmp_log = os.path.join(d, "qmp.log")
    kick_note = "no counter asked for"
    if kick_prop and os.path.exists(qmp_log):
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
    for r in runs:
        before = counter.get("run%d-before" % r["run"])
        after = counter.get("run%d-after" % r["run"])
        r["kicks"] = (after - before if r["device"] in ("virtio-simple", URING)
                      and None not in (before, after) else None)

    env = {}
    guest_env = os.environ.get("BENCH_GUEST_ENV", "")
    if os.path.exists(guest_env):
        with open(guest_env) as f:
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
        "commit": os.environ.get("BENCH_COMMIT", "?"),
        "date": os.environ.get("BENCH_DATE", "?"),
        "kicks": kick_note,
        "placement": placement,
    }
    results = {"machine": machine,
               "busy_poll_us": int(os.environ.get("BENCH_POLL_US", "0")),
               "runs": runs, "memcpy": memcpy, "floors": floors}
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")


def median(v):
    v = sorted(v)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def interval(values, rng):
    """The median of @values and its 95% percentile-bootstrap interval."""
    if not values:
        return None
    meds = sorted(median([rng.choice(values) for _ in values])
                  for _ in range(RESAMPLES))
    return (median(values), meds[int(0.025 * RESAMPLES)],
            meds[int(0.975 * RESAMPLES) - 1])


def size_name(s):
    return "%d B" % s if s < 1024 else "%d KiB" % (s // 1024)


class Report:
    def __init__(self, res):
        self.res = res
        self.rng = random.Random(20261204)
        self.by = {}
        for r in res["runs"]:
            self.by.setdefault((r["device"], r["size"], r["depth"]), {})[r["round"]] = r
        self.memcpy = {}
        for r in res["memcpy"]:
            self.memcpy.setdefault(r["size"], {})[r["round"]] = r["mb_per_s"]

    def metric(self, r, key):
        if key in ("p50", "p99"):
            return r["latency_us"][key]
        if key == "memcpy":
            m = self.memcpy.get(r["size"], {}).get(r["round"])
            return r["mb_per_s"] / m if m else None
        return r[key]

    def point(self, dev, size, depth, key):
        """Median over the rounds and its interval (no pairing)."""
        rs = self.by.get((dev, size, depth), {})
        v = [self.metric(r, key) for r in rs.values()]
        return interval([x for x in v if x is not None], self.rng)

    def ratio(self, dev, size, depth, key, against=SERIAL):
        """Paired per-round ratios dev / against: median and interval."""
        a = self.by.get((dev, size, depth), {})
        b = self.by.get((against, size, depth), {})
        v = []
        for rnd in sorted(set(a) & set(b)):
            x, y = self.metric(a[rnd], key), self.metric(b[rnd], key)
            if x is not None and y:
                v.append(x / y)
        return interval(v, self.rng)

    def total(self, dev, size, depth, key):
        rs = list(self.by.get((dev, size, depth), {}).values())
        if not rs:
            return None
        n = sum(r["requests"] for r in rs)
        if key == "reached":
            return max(r["max_in_flight"] for r in rs)
        if key == "irq":
            return sum(r["interrupts"] for r in rs) / max(n, 1)
        if key == "kicks":
            k = [r.get("kicks") for r in rs]
            return None if None in k else sum(k) / max(n, 1)
        if key == "req/wr":
            return n / max(sum(r["writes"] for r in rs), 1)
        raise KeyError(key)


def fmt_ci(c, spec="%.2f", suffix="x"):
    if c is None:
        return "n/a"
    return (spec + "%s [" + spec + "-" + spec + "]") % (c[0], suffix, c[1], c[2])


def report(res, outdir):
    R = Report(res)
    m = res["machine"]
    rounds = max((len(v) for v in R.by.values()), default=0)
    L = ["%s, %s (%s, %s, %s), commit %s, %s" % (
        m.get("host_cpu"), "%s host cores" % m.get("host_cores"),
        m.get("accel", "?").upper(), m.get("qemu"), m.get("guest_kernel"),
        m.get("commit"), m.get("date"))]
    pl = m.get("placement")
    L.append("placement: " + ("bench processes on CPU %d of %d, every vector of the devices "
                              "pinned there; where the kernel had them at the end: %s"
                              % (pl["bench_cpu"], pl["cpus"], ", ".join(
                                  "%s->%s" % kv for kv in sorted(pl["irqs"].items())))
                              if pl else "not pinned"))
    L.append("%d rounds per point, the devices in ABBA order; a ratio is the median "
             "of the paired per-round ratios [95%% bootstrap interval]" % rounds)
    L.append("")
    for dev in (DEVS[0], URING, DEVS[2]):
        if not any((dev, s, q) in R.by for s in SIZES for q in DEPTHS):
            continue
        L.append("%s / virtio-serial, ECHO" % dev)
        L.append("%-7s %-20s %-20s %-20s %-20s" % (
            "size", "p50 d1", "MB/s d1", "MB/s d16", "MB/s d64"))
        for s in SIZES:
            L.append("%-7s %-20s %-20s %-20s %-20s" % (
                size_name(s), fmt_ci(R.ratio(dev, s, 1, "p50")),
                *[fmt_ci(R.ratio(dev, s, q, "mb_per_s")) for q in DEPTHS]))
        L.append("")
    if any((d, s, 1) in R.by for d in POLL_DEVS for s in SIZES):
        L.append("with busy polling (busy_poll_us=%d), depth 1, / virtio-serial"
                 % res.get("busy_poll_us", 0))
        L.append("%-24s %-7s %-20s %-20s" % ("device", "size", "p50 d1", "MB/s d1"))
        for dev in POLL_DEVS:
            for s in SIZES:
                L.append("%-24s %-7s %-20s %-20s" % (
                    dev, size_name(s), fmt_ci(R.ratio(dev, s, 1, "p50")),
                    fmt_ci(R.ratio(dev, s, 1, "mb_per_s"))))
        L.append("")
    L.append("(latency: below 1x is better; MB/s: above 1x is better; "
             "vhost-user-simple's answers and serial's both leave QEMU for a host process)")
    L.append("")

    # floors, measured in the same rounds
    fl = {}
    for r in res.get("floors", []):
        fl.setdefault((r["device"], r["size"]), []).append(r["latency_us"]["p50"])
    if fl:
        zero = [v for (d, s), vs in fl.items() if d != "pipe" for v in vs]
        L.append("floors, p50 of a depth-1 round trip (median of the rounds): "
                 "0-byte ECHO on virtio-simple %.1f us; pipe ping-pong %s"
                 % (median(zero), ", ".join("%s %.1f us" % (size_name(s), median(fl[("pipe", s)]))
                                            for s in SIZES if ("pipe", s) in fl)))
        for dev in (DEVS[0], SERIAL):
            p = R.point(dev, 64, 1, "p50")
            if p:
                L.append("  %s 64 B p50 %.1f us: %+.1f us against the 0-byte ECHO, %.1fx the pipe's"
                         % (dev, p[0], p[0] - median(zero),
                            p[0] / median(fl[("pipe", 64)]) if ("pipe", 64) in fl else 0))
        L.append("")

    L.append("raw numbers (median of the rounds [95% interval]; depth: asked/reached)")
    L.append("kicks: " + m.get("kicks", "?"))
    L.append("%-22s %-7s %-6s %-22s %-22s %7s %8s %8s %-18s" % (
        "device", "size", "depth", "p50 us", "MB/s", "req/wr", "irq/req",
        "kick/req", "% of memcpy"))
    for s in SIZES:
        for q in DEPTHS:
            for dev in DEVS + (URING,) + POLL_DEVS:
                if (dev, s, q) not in R.by:
                    continue
                kk = R.total(dev, s, q, "kicks")
                L.append("%-22s %-7s %-6s %-22s %-22s %7.1f %8.3f %8s %-18s" % (
                    dev, size_name(s), "%d/%d" % (q, R.total(dev, s, q, "reached")),
                    fmt_ci(R.point(dev, s, q, "p50"), "%.1f", ""),
                    fmt_ci(R.point(dev, s, q, "mb_per_s"), "%.2f", ""),
                    R.total(dev, s, q, "req/wr"), R.total(dev, s, q, "irq"),
                    "n/a" if kk is None else "%.3f" % kk,
                    fmt_ci(tuple(100 * x for x in R.point(dev, s, q, "memcpy") or ()) or None,
                           "%.1f", "%")))
    L.append("in-guest memcpy of the same blocks (median of the rounds): " + ", ".join(
        "%s %.0f MB/s" % (size_name(s), median(list(R.memcpy[s].values())))
        for s in SIZES if s in R.memcpy))
    L.append("")

    goals = []

    def goal(name, c, target, better):
        if c is None:
            state = "not measured"
        else:
            ok = (lambda x: x <= target) if better == "below" else (lambda x: x >= target)
            state = ("met" if ok(c[1]) and ok(c[2]) else
                     "missed" if not ok(c[1]) and not ok(c[2]) else
                     "undecided (the interval holds the target)")
        goals.append({"goal": name, "value": c and c[0], "interval": c and [c[1], c[2]],
                      "target": target, "state": state})

    goal("64 B ECHO p50 at most 0.5x virtio-serial's (rw)",
         R.ratio(DEVS[0], 64, 1, "p50"), 0.5, "below")
    goal("64 KiB ECHO depth 1 at least 3x virtio-serial's MB/s (rw)",
         R.ratio(DEVS[0], 65536, 1, "mb_per_s"), 3.0, "above")
    best = max(DEPTHS, key=lambda q: (R.point(DEVS[0], 65536, q, "memcpy") or (0,))[0])
    goal("64 KiB pipelined (depth %d) at least 25%% of memcpy (rw)" % best,
         R.point(DEVS[0], 65536, best, "memcpy"), 0.25, "above")
    best_u = max(DEPTHS, key=lambda q: (R.point(URING, 65536, q, "memcpy") or (0,))[0])
    goal("64 KiB ECHO depth 1 at least 5x virtio-serial's MB/s (uring)",
         R.ratio(URING, 65536, 1, "mb_per_s"), 5.0, "above")
    goal("64 KiB pipelined (depth %d) at least 50%% of memcpy (uring)" % best_u,
         R.point(URING, 65536, best_u, "memcpy"), 0.5, "above")
    goal("64 B depth 64 at least virtio-serial's MB/s (rw)",
         R.ratio(DEVS[0], 64, 64, "mb_per_s"), 1.0, "above")
    goal("64 B depth 64 at least virtio-serial's MB/s (uring)",
         R.ratio(URING, 64, 64, "mb_per_s"), 1.0, "above")
    for dev, tag in ((DEVS[0], ""), (URING, " (uring)")):
        for s in SIZES:
            for what, key in (("interrupts", "irq"), ("kicks", "kicks")):
                v = R.total(dev, s, 64, key)
                goal("%s depth 64: at most 0.05 %s per request%s" % (size_name(s), what, tag),
                     None if v is None else (v, v, v), 0.05, "below")
    goal("vhost-user: 64 B ECHO p50 at most 0.5x virtio-serial's",
         R.ratio(DEVS[2], 64, 1, "p50"), 0.5, "below")
    goal("vhost-user: 64 KiB ECHO depth 1 at least 3x serial's MB/s",
         R.ratio(DEVS[2], 65536, 1, "mb_per_s"), 3.0, "above")
    goal("vhost-user+poll: 64 B ECHO p50 at most 0.5x serial's",
         R.ratio(POLL_DEVS[1], 64, 1, "p50"), 0.5, "below")
    L.append("goals (virtio-simple unless named; counts per request are totals, no interval)")
    for g in goals:
        v = g["value"]
        shown = ("n/a" if v is None else
                 "%.3f [%.3f-%.3f]" % (v, *g["interval"]) if g["interval"][0] != g["interval"][1]
                 else "%.3f" % v)
        L.append("  %-62s %-22s %s" % (g["goal"], shown, g["state"]))

    table = "\n".join(L) + "\n"
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(table)
    print(table, end="")

    # gnuplot data: one block per size; columns depth, then for each of
    # simple, serial, vhost-user: median MB/s, interval low, high; memcpy
    with open(os.path.join(outdir, "throughput.dat"), "w") as f:
        for s in SIZES:
            f.write("# %s\n" % size_name(s))
            mc = median(list(R.memcpy.get(s, {}).values()))
            for q in DEPTHS:
                cols = []
                for dev in DEVS:
                    c = R.point(dev, s, q, "mb_per_s")
                    cols += ["%.3f" % x for x in c] if c else ["NaN"] * 3
                f.write("%d %s %s\n" % (q, " ".join(cols),
                                        "NaN" if mc is None else "%.3f" % mc))
            f.write("\n\n")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "collect":
        collect(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        with open(sys.argv[2]) as f:
            report(json.load(f), sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
