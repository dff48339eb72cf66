#!/usr/bin/env bash
# The hooks' outbox throughput, side by side in one run (see tools/bench/README-outbox.md):
#   outbox_events_per_s: a pre-filled outbox of EVENTS webhook events delivered by Kiln's real
#     HookDeliveryService (SQLite reads, signing, marking delivered) to a loopback receiver that
#     answers at once;
#   raw_requests_per_s: the same signed requests, same client (async-http-client), same
#     receiver, without the outbox (the reference);
# interleaved over RUNS rounds, each with a fresh receiver and database; medians, min and max.
# Prints `NAME VALUE` lines. Usage: tools/bench/outbox.sh [--quick] [--receiver c|python]
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=5
events=20000
receiver=c
while [[ $# -gt 0 ]]; do
    case "$1" in
    --quick) runs=3; events=5000 ;;
    --receiver) receiver=$2; shift ;;
    *) echo "outbox.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
for tool in cc python3; do
    command -v "$tool" >/dev/null || { echo "outbox.sh: $tool is missing (tools/setup.sh --tests installs it)" >&2; exit 1; }
done

out=tools/bench/out
mkdir -p "$out" tools/bench/bin
if [[ -z "${BENCH_BIN:-}" ]]; then
    swift build -c release --product kiln-bench >&2
    BENCH_BIN=.build/release/kiln-bench
fi
[[ -x "$BENCH_BIN" ]] || { echo "outbox.sh: no $BENCH_BIN" >&2; exit 1; }
cc -O2 -Wall -o tools/bench/bin/http_sink tools/bench/http_sink.c

value() { awk -v n="$1" '$1 == n { print $2 }'; }

sink_pid=
stop_sink() {
    if [[ -n "$sink_pid" ]]; then
        exec 3>&-
        kill "$sink_pid" 2>/dev/null || true
        wait "$sink_pid" 2>/dev/null || true
        sink_pid=
    fi
}
trap stop_sink EXIT

start_sink() {
    local port=$1
    local fifo="$out/outbox-sink.in"
    rm -f "$fifo"
    mkfifo "$fifo"
    if [[ "$receiver" == c ]]; then
        tools/bench/bin/http_sink "$port" <"$fifo" >"$out/outbox-sink.out" &
    else
        python3 tools/testpeers/hook_receiver.py --port "$port" --mode fast <"$fifo" >"$out/outbox-sink.out" &
    fi
    sink_pid=$!
    exec 3>"$fifo"   # holds the sink's stdin open; closing it stops the sink
    for _ in $(seq 100); do
        grep -q READY "$out/outbox-sink.out" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "outbox.sh: the receiver did not start" >&2
    exit 1
}

outbox_runs=()
raw_runs=()
for round in $(seq "$runs"); do
    port=$(python3 tools/bench/free_ports.py 1)
    start_sink "$port"
    rm -f "$out"/outbox-bench.db*
    if ((round % 2)); then
        r=$("$BENCH_BIN" hooks-throughput --mode raw --url "http://127.0.0.1:$port/kiln" --events "$events" | value raw_requests_per_s)
        o=$("$BENCH_BIN" hooks-throughput --mode outbox --db "$out/outbox-bench.db" --url "http://127.0.0.1:$port/kiln" --events "$events" | value outbox_events_per_s)
    else
        o=$("$BENCH_BIN" hooks-throughput --mode outbox --db "$out/outbox-bench.db" --url "http://127.0.0.1:$port/kiln" --events "$events" | value outbox_events_per_s)
        r=$("$BENCH_BIN" hooks-throughput --mode raw --url "http://127.0.0.1:$port/kiln" --events "$events" | value raw_requests_per_s)
    fi
    stop_sink
    echo "round $round: outbox $o events/s, raw $r requests/s" >&2
    outbox_runs+=("$o")
    raw_runs+=("$r")
done
rm -f "$out"/outbox-bench.db* "$out/outbox-sink.in"

python3 - "$events" "$receiver" "${outbox_runs[*]}" "${raw_runs[*]}" <<'PY'
import statistics, sys
events, receiver = int(sys.argv[1]), sys.argv[2]
o = [int(x) for x in sys.argv[3].split()]
r = [int(x) for x in sys.argv[4].split()]
print(f"outbox_events {events}")
print(f"outbox_receiver {receiver}")
print(f"outbox_events_per_s {statistics.median(o):.0f}")
print(f"outbox_events_per_s_runs {','.join(map(str, o))} (min {min(o)}, max {max(o)})")
print(f"raw_requests_per_s {statistics.median(r):.0f}")
print(f"raw_requests_per_s_runs {','.join(map(str, r))} (min {min(r)}, max {max(r)})")
print(f"outbox_ratio_vs_raw {statistics.median(o) / statistics.median(r):.3f}")
target = 2000
m = statistics.median(o)
print(f"target outbox_events_per_s {m:.0f} >= {target} {'PASS' if m >= target else 'FAIL'}")
PY
