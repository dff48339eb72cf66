#!/usr/bin/env python3
"""Statistics and the final report of tools/bench/poller.sh.

    bench_stats.py median X...
        The median of the numbers.
    bench_stats.py jitter LOG [--period-ms 100] [--skip-s 2]
        From a server timing log (`conn_id unit monotonic_ns` per request), |interval - period|
        between consecutive requests of each connection, after the first skip-s seconds of the
        log. Prints `jitter_p50_us`, `jitter_p99_us`, `jitter_max_us`, `jitter_intervals`,
        `jitter_connections`, and the median and worst of the per-second p99s.
    bench_stats.py jitter LOG --windows FILE [--period-ms 100]
        The same figures for each window of FILE (`LABEL FROM_NS TO_NS` a line, CLOCK_MONOTONIC
        like the log): the intervals that start and end inside the window, each figure's name
        prefixed with `LABEL_` (`tags1_jitter_p99_us`). One pass over the log for all windows.
    bench_stats.py cyclictest FILE
        p50/p99/max wake-up latency in microseconds from `cyclictest -h N -q` histogram output
        (every thread's column summed; overflows count as beyond the histogram).
    bench_stats.py summary TEXT
        Requests and failures from a `kiln run` or `pymodbus poll` summary line.
    bench_stats.py report RESULTS REPORT
        Prints the figures in RESULTS (`NAME VALUE` lines) followed by each ratio against the
        issue's target with PASS or FAIL, and writes the same block to REPORT.
"""

import re
import statistics
import sys
from collections import defaultdict


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-p * len(sorted_values) // 100)))  # ceil(p/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def median(args):
    values = [float(a) for a in args]
    print(f"{statistics.median(values):.6g}")


def jitter(args):
    path = args[0]
    period_ms, skip_s, windows_path = 100.0, 2.0, None
    rest = args[1:]
    while rest:
        if rest[0] == "--period-ms":
            period_ms = float(rest[1])
        elif rest[0] == "--skip-s":
            skip_s = float(rest[1])
        elif rest[0] == "--windows":
            windows_path = rest[1]
        else:
            sys.exit(f"unknown option {rest[0]}")
        rest = rest[2:]
    by_conn = defaultdict(list)
    first = None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            ns = int(parts[2])
            by_conn[parts[0]].append(ns)
            first = ns if first is None else min(first, ns)
    if first is None:
        sys.exit(f"{path}: no requests logged")
    for stamps in by_conn.values():
        stamps.sort()
    period = period_ms * 1e6
    if windows_path is None:
        figures = jitter_window(by_conn, period, first + skip_s * 1e9, None)
        if figures is None:
            sys.exit(f"{path}: no intervals after the first {skip_s} s")
        for name, value in figures:
            print(f"{name} {value}")
        return
    with open(windows_path) as f:
        windows = [line.split() for line in f if line.strip()]
    for label, start, stop in windows:
        figures = jitter_window(by_conn, period, int(start), int(stop))
        if figures is None:
            sys.exit(f"{path}: no intervals in window {label}")
        for name, value in figures:
            print(f"{label}_{name} {value}")


def jitter_window(by_conn, period, start, stop):
    """The jitter figures of the intervals that start at or after `start` and (unless `stop` is
    None) end by `stop`, as (name, text) pairs; None when there are none."""
    deviations = []
    per_second = defaultdict(list)
    for stamps in by_conn.values():
        for a, b in zip(stamps, stamps[1:]):
            if a >= start and (stop is None or b <= stop):
                d = abs((b - a) - period) / 1000.0
                deviations.append(d)
                per_second[int((a - start) // 1e9)].append(d)
    if not deviations:
        return None
    deviations.sort()
    # p99 of each second, then their median and worst: a shared machine has bursts, and these
    # tell a burst (one bad second) from a poller that is jittery throughout.
    second_p99 = sorted(percentile(sorted(v), 99) for v in per_second.values())
    return [
        ("jitter_p50_us", f"{percentile(deviations, 50):.1f}"),
        ("jitter_p99_us", f"{percentile(deviations, 99):.1f}"),
        ("jitter_max_us", f"{deviations[-1]:.1f}"),
        ("jitter_p99_median_second_us", f"{statistics.median(second_p99):.1f}"),
        ("jitter_p99_worst_second_us", f"{second_p99[-1]:.1f}"),
        ("jitter_intervals", str(len(deviations))),
        ("jitter_connections", str(len(by_conn))),
    ]


def cyclictest(args):
    counts = defaultdict(int)
    overflows = 0
    maximum = 0
    with open(args[0]) as f:
        for line in f:
            if line.startswith("# Histogram Overflows:"):
                overflows = sum(int(x) for x in line.split(":")[1].split())
            elif line.startswith("# Max Latencies:"):
                maximum = max(int(x) for x in line.split(":")[1].split())
            elif line[:1].isdigit():
                fields = line.split()
                counts[int(fields[0])] += sum(int(x) for x in fields[1:])
    total = sum(counts.values()) + overflows
    if total == 0:
        sys.exit(f"{args[0]}: no histogram")

    def at(p):
        need = -(-p * total // 100)
        seen = 0
        for us in sorted(counts):
            seen += counts[us]
            if seen >= need:
                return us
        return maximum  # in the overflow: the best bound known is the maximum

    print(f"cyclictest_p50_us {at(50)}")
    print(f"cyclictest_p99_us {at(99)}")
    print(f"cyclictest_max_us {maximum}")
    print(f"cyclictest_samples {total}")


def summary(args):
    text = " ".join(args)
    m = re.search(r"(\d+) requests, (\d+) failed", text)
    if not m:
        sys.exit(f"no summary in: {text!r}")
    print(m.group(1), m.group(2))


# (ratio name, numerator, denominator, comparison, target, what it checks)
TARGETS = [
    ("ratio_kiln_vs_c", "poll_rps_kiln", "poll_rps_c", ">=", 0.90),
    ("ratio_cpu_kiln_vs_pymodbus", "cpu_per_request_kiln_us", "cpu_per_request_pymodbus_us", "<=", 0.20),
    ("jitter_p99_kiln_us", "jitter_p99_kiln_us", None, "<=", 1000.0),
    ("ratio_jitter_vs_cyclictest", "jitter_p99_kiln_us", "cyclictest_p99_us", "<=", 2.0),
    ("rss_kiln_1000x20_mb", "rss_hwm_kiln_1000x20_mb", None, "<=", 40.0),
]


# Ratios printed for context, without a target.
INFO = [
    ("ratio_pymodbus_vs_c", "poll_rps_pymodbus", "poll_rps_c"),
    ("ratio_cpu_c_threads_vs_pymodbus", "cpu_per_request_c_threads_us", "cpu_per_request_pymodbus_us"),
    ("ratio_cpu_kiln_vs_c_threads", "cpu_per_request_kiln_us", "cpu_per_request_c_threads_us"),
]
INFO_NOTES = {
    "ratio_pymodbus_vs_c": "pymodbus request rate against the C loop",
    "ratio_cpu_c_threads_vs_pymodbus": "Kiln's design in plain C: the floor of the CPU ratio",
    "ratio_cpu_kiln_vs_c_threads": "Kiln's own overhead over that floor",
}


def fmt(value):
    if isinstance(value, str):
        return value
    if value == int(value) and abs(value) >= 100:
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def report(args):
    results_path, report_path = args
    figures = {}
    order = []
    with open(results_path) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) != 2:
                continue
            name, value = parts[0], parts[1].strip()
            if name not in figures:
                order.append(name)
            try:
                figures[name] = float(value)
            except ValueError:
                figures[name] = value
    lines = [f"{name} {fmt(figures[name])}" for name in order]
    verdicts = []
    for name, num, den, op, target in TARGETS:
        a = figures.get(num)
        b = figures.get(den) if den else 1.0
        if not isinstance(a, float) or not isinstance(b, float) or b == 0:
            lines.append(f"{name:<28} n/a    target {op} {target:g}  SKIP (not measured)")
            continue
        ratio = a / b
        ok = ratio >= target if op == ">=" else ratio <= target
        verdicts.append(ok)
        shown = f"{ratio:.2f}" if den else fmt(ratio)
        if den and shown == f"{target:.2f}" and ratio != target:
            shown = f"{ratio:.3f}"  # 0.898 is not 0.90: show why a ratio that reads as the target fails
        lines.append(f"{name:<28} {shown:<6} target {op} {target:g}  {'PASS' if ok else 'FAIL'}")
    steady = {}
    for who in ("kiln", "pymodbus"):
        total, start = figures.get(f"cpu_seconds_{who}"), figures.get(f"cpu_startup_{who}_s")
        requests = figures.get(f"requests_{who}_200x10hz")
        if all(isinstance(v, float) for v in (total, start, requests)) and requests:
            steady[who] = max(total - start, 0) / requests
    if len(steady) == 2 and steady["pymodbus"]:
        lines.append(
            f"{'ratio_cpu_steady_kiln_vs_pymodbus':<32} {steady['kiln'] / steady['pymodbus']:.2f}  "
            "(no target: the CPU ratio with each side's start-up subtracted)"
        )
    for name, num, den in INFO:
        a, b = figures.get(num), figures.get(den)
        if isinstance(a, float) and isinstance(b, float) and b:
            lines.append(f"{name:<32} {a / b:.2f}  (no target: {INFO_NOTES[name]})")
    lines.append(f"targets_passed {sum(verdicts)}/{len(verdicts)}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(report_path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    commands = {"median": median, "jitter": jitter, "cyclictest": cyclictest, "summary": summary, "report": report}
    if command not in commands:
        sys.exit(__doc__)
    commands[command](args)


if __name__ == "__main__":
    main()
