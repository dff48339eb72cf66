#!/usr/bin/env bash
# Pipeline latency: from a sample's poll timestamp to its arrival at every sink, at 200 devices
# x 20 tags x 10 Hz against `kiln simulate`, through the gateway (conditioning woken by the
# poller's queue) and, side by side in the same run, through the reference (the drain loop
# with a fixed 20 ms sleep that `kiln run` had before issue 11). Issue 11's target: p99 <= 2 ms.
#
#   tools/bench/pipeline.sh [--no-build] [--runs N] [--seconds S] [--realtime]
#
# --realtime polls under `realtime: { policy: fifo, priority: 80 }` (root), as a plant runs Kiln;
# the conditioning thread then runs at SCHED_FIFO 79.
#
# Runs alternate (gateway, reference, gateway, ...) so both see the same machine; the report
# gives every run, then the median and spread (min-max) of each figure. Output goes to standard
# output and tools/bench/out/pipeline-report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=true
runs=3
seconds=10
config=gw200.yaml
while (($#)); do
    case "$1" in
        --no-build) build=false ;;
        --runs) runs="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        --realtime) config=gw200-rt.yaml ;;
        *) echo "pipeline.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

out=tools/bench/out
mkdir -p "$out"
if $build; then
    echo "pipeline.sh: building (release)" >&2
    swift build -c release --product kiln >&2
    swift build -c release --product kiln-bench >&2
fi
bin=$(swift build -c release --show-bin-path)
[[ -x "$bin/kiln" && -x "$bin/kiln-bench" ]] || { echo "pipeline.sh: no release kiln / kiln-bench in $bin" >&2; exit 1; }

base=$((20000 + RANDOM % 20000))
python3 tools/bench/gen_maps.py "$out" "$base" >&2
"$bin/kiln" simulate "$out/plant200.yaml" >"$out/pipeline-simulate.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "serving" "$out/pipeline-simulate.log" && break; sleep 0.1; done
grep -q "serving" "$out/pipeline-simulate.log" || { cat "$out/pipeline-simulate.log" >&2; exit 1; }

results="$out/pipeline-runs.txt"
: >"$results"
for r in $(seq "$runs"); do
    for mode in gateway sleep-20ms; do
        echo "pipeline.sh: run $r/$runs, $mode, ${seconds}s" >&2
        "$bin/kiln-bench" pipeline "$out/$config" --mode "$mode" --seconds "$seconds" | tee -a "$results" >&2
    done
done

python3 - "$results" <<'PY' | tee "$out/pipeline-report.txt"
import statistics, sys
from collections import defaultdict
figures = defaultdict(list)
for line in open(sys.argv[1]):
    f = line.split()
    name = f[0] + " " + f[1]
    values = dict(zip(f[2::2], f[3::2]))
    for key in ("p50_us", "p99_us", "max_us"):
        figures[(name, key)].append(int(values[key]))
print("figure                         median   min-max        runs")
for (name, key), vals in sorted(figures.items()):
    print(f"{name + ' ' + key:30} {statistics.median(vals):7.0f}   {min(vals)}-{max(vals):<10} {vals}")
p99 = statistics.median(figures[("gateway every-sink", "p99_us")])
print(f"target: gateway every-sink p99 {p99:.0f} us <= 2000 us: {'PASS' if p99 <= 2000 else 'FAIL'}")
PY
