#!/usr/bin/env python3
"""An outside look at conditioning: first-order traces made the way a checker who never read
Kiln's code might make them (closed-form step responses, Gaussian noise, jittered polls, missed
polls), replayed through `kiln replay --json`, scored against the noise-free signal.

    tools/bench/blind_check.py [--noise-factor F] [--shapes step,updown] [--top N]

For each trace: the RMS error of the conditioned value over that of the raw reading and of a
per-sample exponential average with alpha = 0.2 (the issue's bar is 0.9 against both), and every
sample classed as a fault. The grid: tau 10 s, 90 s, 10 min, 30 min; 20, 60 and 200 samples per
tau; steps of 5, 20, 100 and 1000 noise floors; max_rate 1.2, 3 and 10 x the steepest slope;
a step at the start or after 2 tau; 10% jitter, 1% missed polls; 576 traces with both shapes.
--noise-factor sets the map's `noise` to F x the real one (0: left out). Needs KILN (default
.build/release/kiln). Prints one line per trace with a fault, then
`cases N misses M faulted K`, then the N worst ratios.
"""
import argparse
import json
import math
import os
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KILN = os.environ.get("KILN", os.path.join(ROOT, ".build/release/kiln"))


def generate(tau, per_tau, amp, noise, taus, pre, jitter, missed, seed, shape):
    """(t, clean, reading or None) rows: a step of `amp` after `pre` tau (`updown`: back down
    halfway), read every tau/per_tau seconds with jitter."""
    rng = random.Random(seed)
    dt = tau / per_tau
    rows, t, x0 = [], 0.0, 20.0
    half = pre * tau + (taus - pre) * tau / 2
    while t < taus * tau:
        if t < pre * tau:
            clean = x0
        elif shape == "step" or t < half:
            clean = x0 + amp * (1 - math.exp(-(t - pre * tau) / tau))
        else:
            top = x0 + amp * (1 - math.exp(-(half - pre * tau) / tau))
            clean = x0 + (top - x0) * math.exp(-(t - half) / tau)
        reading = clean + rng.gauss(0, noise)
        if missed and rows and rows[-1][2] is not None and rng.random() < missed:
            reading = None
        rows.append((t, clean, reading))
        t += dt * (1 + jitter * (2 * rng.random() - 1))
    return rows


def run(case):
    tau, per_tau, amp, noise, taus, pre, seed, rate_factor, noise_config, shape = case
    rows = generate(tau, per_tau, amp, noise, taus, pre, 0.1, 0.01, seed, shape)
    dt = tau / per_tau
    noise_key = f", noise: {noise_config:g}" if noise_config > 0 else ""
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/trace.csv", "w") as f:
            f.write("ts,value\n")
            for t, _, v in rows:
                f.write(f"{1_700_000_000 + t:.3f},{'' if v is None else repr(v)}\n")
        poll = f"{int(dt * 1000)}ms" if dt < 1 else f"{dt:g}s"
        with open(f"{d}/map.yaml", "w") as f:
            f.write(
                "devices:\n  - name: d\n    host: 127.0.0.1\n"
                f"    poll: {poll}\n    tags:\n      - name: t\n        register: holding\n"
                "        address: 0\n        type: float32\n        range: [-1000, 100000]\n"
                f"        thermal: {{ tau: {tau:g}s, max_rate: {rate_factor * amp / tau:.6g}{noise_key} }}\n"
                "        stuck: 10m\n")
        p = subprocess.run(
            [KILN, "replay", f"{d}/map.yaml", "--tag", "d/t", "--input", f"{d}/trace.csv", "--json"],
            capture_output=True, text=True)
    if p.returncode != 0:
        return case, None, p.stderr.strip()[:300]
    out = [json.loads(line) for line in p.stdout.splitlines()]
    faults = {}
    se_c = se_r = se_a = 0.0
    n, ema = 0, None
    for (_, clean, v), o in zip(rows, out):
        if o["fault"] != "none":
            faults[o["fault"]] = faults.get(o["fault"], 0) + 1
        if v is not None:
            ema = v if ema is None else ema + 0.2 * (v - ema)
        if v is None or o["value"] is None:
            continue
        se_c += (o["value"] - clean) ** 2
        se_r += (v - clean) ** 2
        se_a += (ema - clean) ** 2
        n += 1
    rc, rr, ra = (math.sqrt(s / n) for s in (se_c, se_r, se_a))
    return case, (rc / rr, rc / ra, faults), None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--noise-factor", type=float, default=1.0)
    p.add_argument("--shapes", default="step,updown")
    p.add_argument("--top", type=int, default=10)
    a = p.parse_args()
    if not os.access(KILN, os.X_OK):
        raise SystemExit(f"blind_check.py: no kiln binary at {KILN} (swift build -c release, or set KILN)")
    cases, seed, noise = [], 0, 0.1
    for tau in [10, 90, 600, 1800]:
        for per_tau in [20, 60, 200]:
            for amp_n in [5, 20, 100, 1000]:
                for rate_factor in [1.2, 3, 10]:
                    for shape in a.shapes.split(","):
                        for pre in [0, 2]:
                            seed += 1
                            cases.append((tau, per_tau, amp_n * noise, noise, 8, pre, seed, rate_factor,
                                          noise * a.noise_factor, shape))
    with ThreadPoolExecutor(os.cpu_count()) as pool:
        results = list(pool.map(run, cases))
    scored = []
    for case, r, err in results:
        if r is None:
            raise SystemExit(f"blind_check.py: kiln replay failed on {case}: {err}")
        to_raw, to_alpha, faults = r
        scored.append((max(to_raw, to_alpha), case, faults))
        if faults:
            print("faults", case, faults)
    scored.sort(key=lambda s: s[0], reverse=True)
    misses = sum(1 for s in scored if s[0] > 0.9)
    print(f"cases {len(scored)} misses {misses} faulted {sum(1 for s in scored if s[2])}")
    for ratio, case, _ in scored[:a.top]:
        print(f"{ratio:.3f}", case)


if __name__ == "__main__":
    main()
