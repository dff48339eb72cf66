#!/usr/bin/env python3
"""The report of tools/bench/http.sh.

    http_stats.py report RUNS RESULTS REPORT

RUNS holds one figure of one repetition a line, `PHASE RUN NAME VALUE` (`tags 2 rps 5234.1`,
`tags 2 jitter_p99_us 41.3`); RESULTS the figures measured once, `NAME VALUE`. Prints the figures
of RESULTS, then each figure of RUNS as `PHASE_NAME MEDIAN [MIN-MAX] runs A,B,C`, then the
targets of issue 14 (judged on the medians) with PASS or FAIL and ratios for context, and writes
the same block to REPORT.
"""

import statistics
import sys
from collections import defaultdict

# (line, figure, comparison, target, or a denominator figure and the target of the ratio)
TARGETS = [
    ("tags_rps", "tags_rps", ">=", 5000.0, None),
    ("tags_p99_ms", "tags_p99_us", "<=", 10.0, 1000.0),
    ("tags_gzip_rps", "tags_gzip_rps", ">=", 5000.0, None),
    ("tags_gzip_p99_ms", "tags_gzip_p99_us", "<=", 10.0, 1000.0),
    ("jitter_p99_under_tags_us", "tags_jitter_p99_us", "<=", 1000.0, None),
    ("jitter_p99_under_tags_gzip_us", "tags_gzip_jitter_p99_us", "<=", 1000.0, None),
    ("jitter_p99_under_metrics_us", "metrics_jitter_p99_us", "<=", 1000.0, None),
]

# (line, numerator, denominator, comparison, target)
RATIO_TARGETS = [
    ("ratio_jitter_tags_vs_cyclictest", "tags_jitter_p99_us", "cyclictest_load_p99_us", "<=", 2.0),
    ("ratio_jitter_tags_gzip_vs_cyclictest", "tags_gzip_jitter_p99_us", "cyclictest_load_p99_us", "<=", 2.0),
    ("ratio_jitter_metrics_vs_cyclictest", "metrics_jitter_p99_us", "cyclictest_load_p99_us", "<=", 2.0),
]

# (line, numerator, denominator, what it tells)
INFO = [
    ("ratio_rps_tags_vs_static", "tags_rps", "static_rps", "Kiln's /api/v1/tags against nginx serving the same bytes"),
    (
        "ratio_rps_tags_gzip_vs_static_gzip",
        "tags_gzip_rps",
        "static_gzip_rps",
        "the same, gzip, against nginx serving the saved gzip body",
    ),
    ("ratio_p99_tags_vs_static", "tags_p99_us", "static_p99_us", "latency p99 against nginx"),
    ("ratio_p99_tags_gzip_vs_static_gzip", "tags_gzip_p99_us", "static_gzip_p99_us", "latency p99 against nginx, gzip"),
    (
        "ratio_jitter_baseline_vs_cyclictest_idle",
        "baseline_jitter_p99_us",
        "cyclictest_idle_p99_us",
        "no HTTP load, against cyclictest on the idle machine",
    ),
    (
        "ratio_jitter_static_vs_cyclictest",
        "static_jitter_p99_us",
        "cyclictest_load_p99_us",
        "nginx under wrk beside the gateway: what any HTTP load costs the poller",
    ),
]


def fmt(value):
    if isinstance(value, str):
        return value
    if value == int(value) and abs(value) >= 100:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def number(text):
    try:
        return float(text)
    except ValueError:
        return text


def report(args):
    runs_path, results_path, report_path = args
    lines = []
    figures = {}
    with open(results_path) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2:
                figures[parts[0]] = number(parts[1].strip())
                lines.append(f"{parts[0]} {fmt(figures[parts[0]])}")
    by_figure = defaultdict(list)
    phases = {}  # phase -> its figures' keys, both in the order first seen
    with open(runs_path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue
            phase, _run, name, value = parts
            key = f"{phase}_{name}"
            if key not in by_figure:
                phases.setdefault(phase, []).append(key)
            by_figure[key].append(float(value))
    for key in (key for keys in phases.values() for key in keys):
        values = by_figure[key]
        figures[key] = statistics.median(values)
        spread = f"[{fmt(min(values))}-{fmt(max(values))}]"
        lines.append(f"{key} {fmt(figures[key])}  {spread}  runs {','.join(fmt(v) for v in values)}")

    verdicts = []

    def verdict(name, value, op, target, shown):
        ok = value >= target if op == ">=" else value <= target
        verdicts.append(ok)
        lines.append(f"{name:<40} {shown:<8} target {op} {target:g}  {'PASS' if ok else 'FAIL'}")

    for name, key, op, target, divisor in TARGETS:
        value = figures.get(key)
        if not isinstance(value, float):
            lines.append(f"{name:<40} n/a      target {op} {target:g}  SKIP (not measured)")
            continue
        value = value / divisor if divisor else value
        verdict(name, value, op, target, fmt(value))
    for name, num, den, op, target in RATIO_TARGETS:
        a, b = figures.get(num), figures.get(den)
        if not isinstance(a, float) or not isinstance(b, float) or b == 0:
            lines.append(f"{name:<40} n/a      target {op} {target:g}  SKIP (not measured)")
            continue
        verdict(name, a / b, op, target, f"{a / b:.2f}")
    for name, num, den, note in INFO:
        a, b = figures.get(num), figures.get(den)
        if isinstance(a, float) and isinstance(b, float) and b:
            lines.append(f"{name:<40} {a / b:.2f}  (no target: {note})")
    lines.append(f"targets_passed {sum(verdicts)}/{len(verdicts)}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(report_path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) < 2 or sys.argv[1] != "report" or len(sys.argv) != 5:
        sys.exit(__doc__)
    report(sys.argv[2:])


if __name__ == "__main__":
    main()
