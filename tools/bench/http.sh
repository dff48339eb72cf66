#!/usr/bin/env bash
# Kiln HTTP benchmark (issue 14): /api/v1/tags and /metrics throughput and latency under wrk while
# the gateway polls 10,000 tags, and the poll jitter meanwhile, side by side with a baseline
# without HTTP load, nginx serving the same bytes, and cyclictest. See tools/bench/README-http.md.
# Run as root (SCHED_FIFO for the pollers and the server, cyclictest):
#
#   tools/bench/http.sh [--no-build] [--repeats N] [--seconds S]
#
#   --no-build     use the existing .build/release/kiln (or KILN=PATH)
#   --repeats N    repetitions of every phase (default 3, or REPEATS)
#   --seconds S    length of every phase (default 20, or PHASE_SECONDS)
#
# Environment: KILN=PATH (with --no-build) measures another kiln binary; LOADS="tags tags_gzip
# metrics static static_gzip" picks the load phases; WRK_THREADS (2), WRK_CONNECTIONS (10: wrk's own defaults),
# JITTER_SECONDS (15: each cyclictest), WARMUP_SECONDS (5); LOCK_MEMORY=1 runs the gateway with
# `lock_memory: true` (mlockall) instead of the default false; HTTP_DEVICES (500) is the plant's
# size in devices of 20 tags (200: the runtime issue's plant, whose jitter bound is 2x cyclictest).
#
# Prints `NAME VALUE` per figure (medians of the repetitions with [min-max] and every run), then
# each target of issue 14 with PASS/FAIL, and writes that block to tools/bench/out/http-report.txt.
# Exit status 0 even when a target fails (the report says so); non-zero when the benchmark itself
# could not run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out
KILN=${KILN:-$ROOT/.build/release/kiln}

BUILD=1
REPEATS=${REPEATS:-3}
PHASE_SECONDS=${PHASE_SECONDS:-20}
while (($#)); do
    case $1 in
    --no-build) BUILD=0; shift ;;
    --repeats) REPEATS=${2:?--repeats needs a number}; shift 2 ;;
    --seconds) PHASE_SECONDS=${2:?--seconds needs a number}; shift 2 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "http.sh: --repeats must be a positive whole number" >&2; exit 64; }
[[ $PHASE_SECONDS =~ ^[1-9][0-9]*$ ]] || { echo "http.sh: --seconds must be a positive whole number" >&2; exit 64; }

LOADS=${LOADS:-tags tags_gzip metrics static static_gzip}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-10}
export HTTP_DEVICES=${HTTP_DEVICES:-500}
[[ $HTTP_DEVICES =~ ^[1-9][0-9]*$ ]] || { echo "http.sh: HTTP_DEVICES must be a positive whole number" >&2; exit 64; }
TAGS_EXPECTED=$((HTTP_DEVICES * 20))
JITTER_SECONDS=${JITTER_SECONDS:-15}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
for load in $LOADS; do
    case $load in
    tags | tags_gzip | metrics | static | static_gzip) ;;
    *) echo "http.sh: LOADS: unknown phase '$load' (tags tags_gzip metrics static static_gzip)" >&2; exit 64 ;;
    esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { echo "http.sh: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root: the pollers run under SCHED_FIFO (realtime: fifo), the server under chrt, and cyclictest"

# ── Dependencies ──────────────────────────────────────────────────────────────────────────────
install_dependencies() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || missing+=(nginx-light)
    command -v cyclictest >/dev/null || missing+=(rt-tests)
    command -v chrt >/dev/null || missing+=(util-linux)
    command -v curl >/dev/null || missing+=(curl)
    command -v python3 >/dev/null || missing+=(python3)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# ── Processes we start, stopped on exit ───────────────────────────────────────────────────────
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() {
    local keep=() pid
    for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

# stop PID NAME: SIGTERM, wait; the exit status in STOPPED_RC.
stop() {
    kill -TERM "$1" 2>/dev/null || true
    STOPPED_RC=0
    wait "$1" 2>/dev/null || STOPPED_RC=$?
    forget "$1"
}

wait_ports() {
    local port
    for port in "$@"; do
        for _ in $(seq 200); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
            sleep 0.05
        done
        die "nothing listens on port $port"
    done
}

RESULTS=$OUT/http-results.txt
RUNS=$OUT/http-runs.txt
WINDOWS=$OUT/http-windows.txt
figure() {
    echo "$1 $2" >>"$RESULTS"
    echo "   $1 $2" >&2
}
# run_figure PHASE RUN NAME VALUE
run_figure() { echo "$1 $2 $3 $4" >>"$RUNS"; }
stat() { python3 "$HERE/bench_stats.py" "$@"; }
# CLOCK_MONOTONIC in nanoseconds, the clock of the simulator's timing log.
monotonic_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }
# CPU time (user + system, clock ticks) of a process so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# ── Build ─────────────────────────────────────────────────────────────────────────────────────
install_dependencies
mkdir -p "$OUT"
: >"$RESULTS"
: >"$RUNS"
: >"$WINDOWS"
if ((BUILD)); then
    log "swift build -c release --product kiln"
    (cd "$ROOT" && swift build -c release --product kiln 2>&1 | tail -n 3) >&2
fi
[[ -x $KILN ]] || die "$KILN is missing (build first, or drop --no-build)"

# Ports: gen_maps.py's layout (BASE+7..BASE+9 the 10,000 tags, BASE+10 Kiln's HTTP), BASE+11 nginx.
BASE=$(python3 "$HERE/free_ports.py" 12) || die "no free run of 12 loopback ports"
python3 "$HERE/gen_maps.py" "$OUT" "$BASE"
if [[ ${LOCK_MEMORY:-0} == 1 ]]; then
    sed -i 's/lock_memory: false/lock_memory: true/' "$OUT/gw10k-http.yaml"
fi
SIM_PORTS=()
for ((p = 0; p * 200 < HTTP_DEVICES; p++)); do SIM_PORTS+=($((BASE + 7 + p))); done
HTTP_PORT=$((BASE + 10))
STATIC_PORT=$((BASE + 11))
API=http://127.0.0.1:$HTTP_PORT
STATIC=http://127.0.0.1:$STATIC_PORT

# The token: 32 random bytes as hex, in a file of mode 0600 beside the config (Kiln refuses a
# looser one).
rm -f "$OUT/http-token"
(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$OUT/http-token" && echo >>"$OUT/http-token")
chmod 600 "$OUT/http-token"
TOKEN=$(head -n 1 "$OUT/http-token")
AUTH="Authorization: Bearer $TOKEN"
rm -f "$OUT"/http-history.sqlite* "$OUT"/kiln.pid

figure cpus "$(nproc)"
figure kiln "${KILN#"$ROOT"/}"
figure tree "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
figure lock_memory "$(grep -c 'lock_memory: true' "$OUT/gw10k-http.yaml")"

# ── The plant and the gateway ─────────────────────────────────────────────────────────────────
log "kiln simulate ($HTTP_DEVICES devices x 20 tags, chrt -f 90, timing log), kiln run (SCHED_FIFO 80, historian, http on $HTTP_PORT)"
chrt -f 90 "$KILN" simulate "$OUT/plant10k.yaml" --realtime 90 --timing-log "$OUT/http-timing.log" \
    >"$OUT/http-simulate.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
wait_ports "${SIM_PORTS[@]}"

"$KILN" run "$OUT/gw10k-http.yaml" >"$OUT/http-live.txt" 2>"$OUT/http-run.log" &
KILN_PID=$!
PIDS+=("$KILN_PID")
for _ in $(seq 600); do
    kill -0 "$KILN_PID" 2>/dev/null || die "kiln run exited at start: $(tail -5 "$OUT/http-run.log")"
    curl -fsS -o /dev/null "$API/readyz" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "$API/readyz" || die "kiln run was not ready after 60 s: $(tail -5 "$OUT/http-run.log")"

# Every tag has a value before measuring (the first poll of 500 devices takes a moment).
count_tags() {
    python3 -c '
import json, sys
tags = json.load(sys.stdin)["tags"]
print(len(tags), sum(1 for t in tags if t["status"] == "BadWaitingForInitialData"))'
}
for _ in $(seq 60); do
    read -r ntags waiting < <(curl -fsS -H "$AUTH" "$API/api/v1/tags" | count_tags) ||
        die "GET /api/v1/tags failed or is not the contract's JSON: $(curl -sS -H "$AUTH" "$API/api/v1/tags" | head -c 300)"
    ((waiting == 0)) && break
    sleep 0.5
done
((ntags == TAGS_EXPECTED)) || die "/api/v1/tags has $ntags tags, not $TAGS_EXPECTED"
((waiting == 0)) || die "$waiting tags still wait for their first value after 30 s"
sleep "$WARMUP_SECONDS"

# The bodies as served now: their sizes, and nginx's copies.
mkdir -p "$OUT/static"
curl -fsS -H "$AUTH" -o "$OUT/static/tags.json" "$API/api/v1/tags"
curl -fsS -H "$AUTH" -H 'Accept-Encoding: gzip' -D "$OUT/http-gzip-headers.txt" -o "$OUT/static/tags.json.gz" "$API/api/v1/tags"
curl -fsS -H "$AUTH" -o "$OUT/http-metrics.txt" "$API/metrics"
grep -qi '^content-encoding: *gzip' "$OUT/http-gzip-headers.txt" ||
    die "/api/v1/tags did not answer gzip to 'Accept-Encoding: gzip' (drop tags_gzip and static_gzip from LOADS)"
figure tags "$ntags"
figure tags_body_bytes "$(wc -c <"$OUT/static/tags.json")"
figure tags_gzip_body_bytes "$(wc -c <"$OUT/static/tags.json.gz")"
figure metrics_body_bytes "$(wc -c <"$OUT/http-metrics.txt")"

# ── nginx: the same bytes from a static server ────────────────────────────────────────────────
mkdir -p "$OUT/nginx"
cat >"$OUT/nginx/nginx.conf" <<EOF
# Generated by tools/bench/http.sh: the reference static server.
daemon off;
user root;
worker_processes auto;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$STATIC_PORT;
        root $OUT/static;
        location = /tags.json { default_type application/json; }
        location = /tags.json.gz { default_type application/json; add_header Content-Encoding gzip; }
    }
}
EOF
nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" >"$OUT/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_ports "$STATIC_PORT"
curl -fsS -o /dev/null "$STATIC/tags.json" || die "nginx does not serve tags.json: $(tail -3 "$OUT/nginx/error.log")"
figure reference_server "nginx_$(nginx -v 2>&1 | sed 's/.*nginx\///')"

# ── The phases ────────────────────────────────────────────────────────────────────────────────
url_of() {
    case $1 in
    tags | tags_gzip) echo "$API/api/v1/tags" ;;
    metrics) echo "$API/metrics" ;;
    static) echo "$STATIC/tags.json" ;;
    static_gzip) echo "$STATIC/tags.json.gz" ;;
    esac
}

# phase NAME RUN: one window of the jitter log, with wrk's load unless NAME is baseline; Kiln's
# CPU share over it.
phase() {
    local name=$1 run=$2 from to ticks0 ticks1 headers=(-H "$AUTH") wrk_out
    [[ $name == *gzip ]] && headers+=(-H 'Accept-Encoding: gzip')
    ticks0=$(cpu_ticks "$KILN_PID")
    from=$(monotonic_ns)
    if [[ $name == baseline ]]; then
        sleep "$PHASE_SECONDS"
        printf ' baseline' >&2
    else
        wrk_out=$OUT/http-wrk-$name-$run.txt
        wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${PHASE_SECONDS}s" --latency -s "$HERE/wrk_figures.lua" \
            "${headers[@]}" "$(url_of "$name")" >"$wrk_out" 2>&1 || die "wrk failed: $(tail -3 "$wrk_out")"
        grep -q '^wrk_rps ' "$wrk_out" || die "wrk printed no figures: $(tail -3 "$wrk_out")"
        local rps p50 p99 max bytes errors
        rps=$(awk '$1 == "wrk_rps" { print $2 }' "$wrk_out")
        p50=$(awk '$1 == "wrk_p50_us" { print $2 }' "$wrk_out")
        p99=$(awk '$1 == "wrk_p99_us" { print $2 }' "$wrk_out")
        max=$(awk '$1 == "wrk_max_us" { print $2 }' "$wrk_out")
        bytes=$(awk '$1 == "wrk_bytes_per_request" { print $2 }' "$wrk_out")
        errors=$(awk '$1 ~ /^wrk_errors_/ { n += $2 } END { print n + 0 }' "$wrk_out")
        run_figure "$name" "$run" rps "$rps"
        run_figure "$name" "$run" p50_us "$p50"
        run_figure "$name" "$run" p99_us "$p99"
        run_figure "$name" "$run" max_us "$max"
        run_figure "$name" "$run" bytes_per_response "$bytes"
        run_figure "$name" "$run" errors "$errors"
        printf ' %s %s/s p99 %sus' "$name" "$rps" "$p99" >&2
        ((errors == 0)) || printf ' (%s errors, see %s)' "$errors" "${wrk_out#"$ROOT"/}" >&2
    fi
    to=$(monotonic_ns)
    ticks1=$(cpu_ticks "$KILN_PID")
    echo "$name:$run $from $to" >>"$WINDOWS"
    run_figure "$name" "$run" kiln_cpu_percent \
        "$(awk -v t="$((ticks1 - ticks0))" -v hz="$(getconf CLK_TCK)" -v a="$from" -v b="$to" \
            'BEGIN { printf "%.1f", 100 * t / hz / ((b - a) / 1e9) }')"
    sleep 1
}

log "phases: baseline $LOADS, ${PHASE_SECONDS}s each, ${REPEATS}x interleaved; wrk -t$WRK_THREADS -c$WRK_CONNECTIONS"
for ((run = 1; run <= REPEATS; run++)); do
    printf '   run %d:' "$run" >&2
    phase baseline "$run"
    for load in $LOADS; do
        kill -0 "$KILN_PID" 2>/dev/null || die "kiln run died: $(tail -5 "$OUT/http-run.log")"
        phase "$load" "$run"
    done
    echo >&2
done

# What the load cost the gateway downstream of the poll: samples dropped on the way, cycles late.
curl -fsS -H "$AUTH" -o "$OUT/http-metrics-end.txt" "$API/metrics" || die "GET /metrics failed after the load"
for metric in kiln_poll_cycle_overruns_total kiln_pipeline_input_dropped kiln_sink_dropped_total \
    kiln_historian_dropped_total; do
    figure "$metric" "$(awk -v m="$metric" 'index($1, m) == 1 && (length($1) == length(m) || substr($1, length(m) + 1, 1) == "{") { n += $NF; found = 1 }
        END { if (found) printf "%d", n; else printf "absent" }' "$OUT/http-metrics-end.txt")"
done
stop "$KILN_PID"
((STOPPED_RC == 0)) || die "kiln run exited $STOPPED_RC on SIGTERM: $(tail -5 "$OUT/http-run.log")"
summary=$(grep '^kiln run:' "$OUT/http-run.log") || die "no kiln run summary: $(tail -3 "$OUT/http-run.log")"
echo "   $summary" >&2
read -r kreq kfail < <(stat summary "$summary")
figure poll_requests "$kreq"
figure poll_failed "$kfail"
figure kiln_poller_priority "$(sed -n 's/.*poller threads: //p' <<<"$summary" | tr ' ' '_')"
stop "$SIM_PID"

# ── cyclictest: the machine's own wake-up latency, idle and under the same kind of HTTP load ──
# Not alongside the gateway (the simulator's threads at 90 and the pollers at 80 would delay it
# and flatter the ratio): on its own, then with wrk against nginx saturating both CPUs as the load
# phases do.
loops=$((JITTER_SECONDS * 1000))
log "cyclictest -m -p 80 -i 1000, ${JITTER_SECONDS}s idle, then ${JITTER_SECONDS}s under wrk against nginx"
cyclictest -m -p 80 -i 1000 -l "$loops" -h 2000 -q >"$OUT/http-cyclictest-idle.txt"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$((JITTER_SECONDS + 3))s" -H "$AUTH" "$STATIC/tags.json" \
    >"$OUT/http-wrk-cyclictest.txt" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep 1
cyclictest -m -p 80 -i 1000 -l "$loops" -h 2000 -q >"$OUT/http-cyclictest-load.txt"
wait "$WRK_PID" || die "wrk (cyclictest load) failed: $(tail -3 "$OUT/http-wrk-cyclictest.txt")"
forget "$WRK_PID"
stop "$NGINX_PID"
for which in idle load; do
    stat cyclictest "$OUT/http-cyclictest-$which.txt" | while read -r name value; do
        figure "${name/cyclictest_/cyclictest_${which}_}" "$value"
    done
done

# ── Jitter of every window, from the simulator's timing log ───────────────────────────────────
stat jitter "$OUT/http-timing.log" --period-ms 100 --windows "$WINDOWS" >"$OUT/http-jitter.txt"
sed -nE 's/^([a-z_]+):([0-9]+)_(jitter_(p50|p99|max|p99_worst_second)_us) (.*)$/\1 \2 \3 \5/p' \
    "$OUT/http-jitter.txt" >>"$RUNS"

# ── Report ────────────────────────────────────────────────────────────────────────────────────
log "report (also in ${OUT#"$ROOT"/}/http-report.txt)"
python3 "$HERE/http_stats.py" report "$RUNS" "$RESULTS" "$OUT/http-report.txt"
rm -f "$OUT"/http-history.sqlite*
