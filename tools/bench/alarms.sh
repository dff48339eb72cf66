#!/usr/bin/env bash
# The alarm engine's share of issue 12's sample → webhook latency (target p99 <= 25 ms end to
# end) and outbox rate (>= 2,000 events/s): from a sample's timestamp to the commit of its
# event's outbox row (the doorbell the hooks' senders wait on), one sample in flight; and events
# per second with every alarm of 200 tags flipping in each batch. Side by side in the same run,
# the floor: one INSERT + COMMIT per event into the same outbox table of a WAL file. And the
# engine alone judging samples that change no alarm (samples/s): its cost on the sink's thread.
#
#   tools/bench/alarms.sh [--no-build] [--runs N] [--samples N]
#
# Runs alternate (engine, floor, engine, ...); the report gives every run, then the median and
# spread (min-max) of each figure. Output: standard output and tools/bench/out/alarms-report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

build=true
runs=3
samples=2000
while (($#)); do
    case "$1" in
        --no-build) build=false ;;
        --runs) runs="$2"; shift ;;
        --samples) samples="$2"; shift ;;
        *) echo "alarms.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

out=tools/bench/out
mkdir -p "$out"
if $build; then
    echo "alarms.sh: building (release)" >&2
    swift build -c release --product kiln-bench >&2
fi
bin=$(swift build -c release --show-bin-path)
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((i = 1; i <= runs; i++)); do
    for mode in engine sqlite-floor; do
        "$bin/kiln-bench" alarms --mode "$mode" --samples "$samples" | tee -a "$results"
    done
    "$bin/kiln-bench" alarms --mode observe --rounds 500 | tee -a "$results"
done
python3 - "$results" <<'PY' | tee "$out/alarms-report.txt"
import re, statistics, sys
figures = {}
for line in open(sys.argv[1]):
    words = line.split()
    name = " ".join(words[:2])
    for key, value in zip(words[2::2], words[3::2]):
        if key in ("p50_us", "p99_us", "max_us", "events_per_s", "samples_per_s"):
            figures.setdefault(f"{name} {key}", []).append(int(value))
for name, values in figures.items():
    print(f"{name}: median {statistics.median(values):.0f} (min {min(values)}, max {max(values)}, runs {len(values)})")
PY
