#!/usr/bin/env python3
"""Writes a recorded-style trace (CSV `ts,value`) for `kiln replay` / `kiln tune` benchmarks.

A first-order sensor (time constant --tau) following a square-wave heat input between --low and
--high every --period seconds, Gaussian noise --noise, polled every --interval seconds, with
--missed of the polls empty, and, with --spikes N, N one-sample spikes of --spike-size.

    tools/bench/gen_trace.py --rows 1000000 > trace.csv
"""
import argparse
import math
import random
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100000)
    p.add_argument("--tau", type=float, default=90)
    p.add_argument("--interval", type=float, default=1)
    p.add_argument("--low", type=float, default=20)
    p.add_argument("--high", type=float, default=82)
    p.add_argument("--period", type=float, default=600)
    p.add_argument("--noise", type=float, default=0.15)
    p.add_argument("--missed", type=float, default=0.01)
    p.add_argument("--spikes", type=int, default=0)
    p.add_argument("--spike-size", type=float, default=40)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    spikes = set(rng.sample(range(10, a.rows), min(a.spikes, max(a.rows - 10, 0))))
    out = sys.stdout
    out.write("ts,value\n")
    x = a.low
    start = 1_718_000_000
    decay = math.exp(-a.interval / a.tau)
    for i in range(a.rows):
        t = i * a.interval
        u = a.high if int(t // a.period) % 2 == 1 else a.low
        x = u + (x - u) * decay
        if rng.random() < a.missed:
            out.write(f"{start + t:.3f},\n")
            continue
        v = x + rng.gauss(0, a.noise) + (a.spike_size if i in spikes else 0)
        out.write(f"{start + t:.3f},{v:.4f}\n")


if __name__ == "__main__":
    main()
