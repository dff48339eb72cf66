#!/usr/bin/env python3
"""Figures of tools/bench/remediation-latency.sh.

  remediation_stats.py repeat RESULTS R   prints repeat R's per-series lines (p50, p99, max)
  remediation_stats.py report RESULTS     the report: medians and spread across repeats, ratios,
                                          targets, load

RESULTS holds one fact a line, written by the script:
  R SERIES latency_us V     one run's latency (µs)
  R SERIES failed N         runs that did not start the remote command
  R SERIES connections C    new ssh connections sshd accepted during the series
  R load start|end TEXT     `uptime` at the start and end of repeat R
  R sched SERIES TEXT       scheduling policies seen (the ssh master, the gateway's threads)
  0 settings - TEXT         the run's settings, printed at the top of the report
Percentiles are nearest-rank: with 20 runs, p99 is the largest of the 20."""
import math
import statistics
import sys
from collections import defaultdict

SERIES = [
    ("kiln-fresh", "Kiln, fresh connection: persisted_at -> remote command start"),
    ("bare-fresh", "bare ssh, fresh connection: spawn -> remote command start"),
    ("kiln-mux", "Kiln, multiplexed: persisted_at -> remote command start"),
    ("bare-mux", "bare ssh, multiplexed: spawn -> remote command start"),
    ("engine-fresh", "engine part (fresh runs): persisted_at -> run marked running"),
    ("engine-mux", "engine part (multiplexed runs): persisted_at -> run marked running"),
    ("spawn-fresh", "persisted_at -> transport started ssh (fresh runs)"),
    ("spawn-mux", "persisted_at -> transport started ssh (multiplexed runs)"),
]
TARGETS = {"kiln-fresh": 300_000, "kiln-mux": 30_000}


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(p * len(xs)) - 1))]


def load(path):
    lat = defaultdict(list)  # (repeat, series) -> [µs]
    facts = defaultdict(dict)  # (repeat, series) -> {failed, connections}
    loads = defaultdict(dict)  # repeat -> {start, end}
    for line in open(path):
        f = line.split(maxsplit=3)
        if len(f) < 3:
            continue
        r, series, key = int(f[0]), f[1], f[2]
        if series in ("load", "sched", "settings"):
            loads[r][(series, key)] = loads[r].get((series, key), []) + [f[3].strip() if len(f) > 3 else ""]
        elif key == "latency_us":
            lat[(r, series)].append(int(f[3]))
        else:
            facts[(r, series)][key] = int(f[3])
    return lat, facts, loads


def ms(us):
    return f"{us / 1000:.1f}" if us < 100_000 else f"{us / 1000:.0f}"


def repeat(path, r):
    lat, facts, loads = load(path)
    for name, _ in SERIES:
        xs = lat.get((r, name))
        extra = " ".join(f"{k} {v}" for k, v in sorted(facts.get((r, name), {}).items()))
        if xs:
            print(f"repeat {r} {name:13} runs {len(xs):3} p50 {ms(pct(xs, .5)):>6} ms  p99 {ms(pct(xs, .99)):>6} ms  "
                  f"min {ms(min(xs))} ms  {extra}")
        elif extra:
            print(f"repeat {r} {name:13} no runs  {extra}")


def report(path):
    lat, facts, loads = load(path)
    repeats = sorted({r for r, _ in lat} | set(loads) - {0})
    print(f"Remediation latency, {len(repeats)} repeat(s); milliseconds; median of the repeats' figure, "
          "then [min-max across repeats]")
    for texts in loads.get(0, {}).values():
        for text in texts:
            print(text)
    print()
    print(f"{'series':13} {'runs':>5}  {'p50':>18}  {'p99':>18}  {'max':>18}  failed  ssh connections")
    med = {}
    for name, _ in SERIES:
        per = [lat[(r, name)] for r in repeats if lat.get((r, name))]
        if not per:
            continue
        row = []
        for key, f in (("p50", lambda xs: pct(xs, .5)), ("p99", lambda xs: pct(xs, .99)), ("max", max)):
            vals = [f(xs) for xs in per]
            med[(name, key)] = statistics.median(vals)
            row.append(f"{ms(med[(name, key)]):>6} [{ms(min(vals))}-{ms(max(vals))}]")
        failed = sum(facts.get((r, name), {}).get("failed", 0) for r in repeats)
        conns = [str(facts[(r, name)]["connections"]) for r in repeats if "connections" in facts.get((r, name), {})]
        print(f"{name:13} {sum(map(len, per)):5}  {row[0]:>18}  {row[1]:>18}  {row[2]:>18}  {failed:6}  "
              f"{'/'.join(conns) or '-'}")
    print()
    for name, what in SERIES:
        print(f"  {name:13} {what}")
    print()
    for kind in ("fresh", "mux"):
        k, b = f"kiln-{kind}", f"bare-{kind}"
        if (k, "p50") in med and (b, "p50") in med:
            print(f"ratio {kind:5} Kiln / bare ssh:  p50 {med[(k, 'p50')] / med[(b, 'p50')]:.2f}  "
                  f"p99 {med[(k, 'p99')] / med[(b, 'p99')]:.2f}")
    for name, limit in TARGETS.items():
        if (name, "p99") in med:
            v = med[(name, "p99")]
            print(f"target {name} p99 {ms(v)} ms <= {limit // 1000} ms {'PASS' if v <= limit else 'FAIL'}")
    print()
    for r in repeats:
        for (what, key), texts in loads[r].items():
            for text in texts:
                print(f"{what} repeat {r} {key}: {text}")


if __name__ == "__main__":
    if sys.argv[1] == "repeat":
        repeat(sys.argv[2], int(sys.argv[3]))
    else:
        report(sys.argv[2])
