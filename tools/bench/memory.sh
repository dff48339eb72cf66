#!/usr/bin/env bash
# Kiln memory benchmark: peak RSS (VmHWM) of `kiln run` with 1,000 devices x 20 tags configured,
# as users run it (the live table kept) and with --quiet, side by side with a reference build in
# the same run. See tools/bench/README.md ("Memory benchmark").
#
#   tools/bench/memory.sh [--no-build] [--baseline REV | --no-baseline]
#
#   --no-build      use the existing .build/release/kiln
#   --baseline REV  the reference: REV (default: the merge base with main) built in a temporary
#                   worktree under tools/bench/out/ (kept there, so only the first run builds it)
#   --no-baseline   no reference build (KILN_REF=PATH names a reference binary instead)
#
# Environment: RUN_SECONDS (20) per run, REPEATS (3) runs of each kind, interleaved; KILN=PATH
# measures another kiln binary (with --no-build).
#
# Prints `NAME VALUE` per figure (MB = MiB), then the issue's target (VmHWM <= 40 MB for the
# plain run) as `value target PASS|FAIL`; the same block goes to tools/bench/out/memory-report.txt.
# Exit status 0 even when the target fails; non-zero when the benchmark could not run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out
KILN=${KILN:-$ROOT/.build/release/kiln}
KILN_REF=${KILN_REF:-}
RUN_SECONDS=${RUN_SECONDS:-20}
REPEATS=${REPEATS:-3}

BUILD=1
BASELINE=auto
while (($#)); do
    case $1 in
    --no-build) BUILD=0; shift ;;
    --baseline) BASELINE=${2:?--baseline needs a revision}; shift 2 ;;
    --no-baseline) BASELINE=none; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "memory.sh: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { echo "memory.sh: $*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is needed (gen_maps.py)"

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT"

# ── Builds ────────────────────────────────────────────────────────────────────────────────────
if ((BUILD)); then
    log "swift build -c release --product kiln"
    (cd "$ROOT" && swift build -c release --product kiln 2>&1 | tail -n 3) >&2
fi
[[ -x $KILN ]] || die "$KILN is missing (build first, or drop --no-build)"

if [[ $BASELINE != none && -z $KILN_REF ]]; then
    [[ $BASELINE == auto ]] && BASELINE=$(git -C "$ROOT" merge-base HEAD main)
    rev=$(git -C "$ROOT" rev-parse --short=12 "$BASELINE^{commit}") || die "unknown revision $BASELINE"
    tree=$OUT/baseline-$rev
    KILN_REF=$tree/.build/release/kiln
    if [[ ! -x $KILN_REF ]]; then
        log "building the reference $rev in ${tree#"$ROOT"/} (once; kept for later runs)"
        if [[ ! -d $tree ]]; then
            git -C "$ROOT" worktree add --detach "$tree" "$rev" >&2
        fi
        (cd "$tree" && swift build -c release --product kiln 2>&1 | tail -n 3) >&2
        [[ -x $KILN_REF ]] || die "the reference build failed"
    fi
fi

# ── Maps and the simulated plant ──────────────────────────────────────────────────────────────
BASE=$(python3 "$HERE/free_ports.py" 7 || true)
[[ -n $BASE ]] || die "no free run of 7 loopback ports"
python3 "$HERE/gen_maps.py" "$OUT" "$BASE"

log "simulated plant: 1,000 devices x 20 float32 tags on 5 ports"
"$KILN" simulate "$OUT/plant1000.yaml" >"$OUT/memory-server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for port in $((BASE + 2)) $((BASE + 3)) $((BASE + 4)) $((BASE + 5)) $((BASE + 6)); do
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue 2; fi
        sleep 0.05
    done
    die "the simulator did not listen on port $port: $(tail -3 "$OUT/memory-server.log")"
done

# measure NAME KILN [ARGS...]: runs `KILN run gw1000.yaml --duration RUN_SECONDS ARGS`, reads
# VmHWM, VmRSS and Threads from /proc/PID/status until it exits (VmHWM only grows, so the last
# reading is the peak), and appends the peak in MB to HWM[NAME].
declare -A HWM RSS
measure() {
    local name=$1 kiln=$2 status hwm=0 rss=0 threads=0 line
    shift 2
    "$kiln" run "$OUT/gw1000.yaml" --duration "${RUN_SECONDS}s" "$@" >/dev/null 2>"$OUT/memory-run-$name.log" &
    local pid=$!
    PIDS+=("$pid")
    while status=$(cat "/proc/$pid/status" 2>/dev/null) && [[ $status != *"State:"*"Z (zombie)"* ]]; do
        line=$(awk '/^VmHWM:/ { h = $2 } /^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 } END { print h + 0, r + 0, t + 0 }' <<<"$status")
        read -r h r t <<<"$line"
        ((h > hwm)) && hwm=$h
        ((h > 0)) && rss=$r && threads=$t
        sleep 0.2
    done
    wait "$pid" || die "kiln run ($name) failed: $(tail -3 "$OUT/memory-run-$name.log")"
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    grep -q '^kiln run:' "$OUT/memory-run-$name.log" || die "kiln run ($name) printed no summary"
    read -r req fail < <(sed -n 's/^kiln run: [0-9]* devices, \([0-9]*\) requests, \([0-9]*\) failed.*/\1 \2/p' \
        "$OUT/memory-run-$name.log")
    ((req > 0)) || die "kiln run ($name) made no requests: $(tail -3 "$OUT/memory-run-$name.log")"
    ((fail == 0)) || echo "   warning: $name: $fail of $req requests failed" >&2
    HWM[$name]+="$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }') "
    RSS[$name]+="$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') "
    printf '   %-14s VmHWM %6.1f MB  VmRSS at end %6.1f MB  threads %4d  requests %d\n' \
        "$name" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
        "$threads" "$req" >&2
}

log "kiln run gw1000.yaml --duration ${RUN_SECONDS}s, plain and --quiet, ${REPEATS}x (interleaved)"
for ((i = 1; i <= REPEATS; i++)); do
    measure plain "$KILN"
    measure quiet "$KILN" --quiet
    if [[ -n $KILN_REF ]]; then
        measure ref_plain "$KILN_REF"
        measure ref_quiet "$KILN_REF" --quiet
    fi
done
# Loading alone: `kiln check` (peak of the configuration load, no polling).
check_hwm() { /usr/bin/time -f '%M' -o "$OUT/memory-check.txt" "$1" check "$OUT/gw1000.yaml" >/dev/null &&
    awk '{ printf "%.1f", $1 / 1024 }' "$OUT/memory-check.txt"; }
HWM[check]=$(check_hwm "$KILN")
[[ -n $KILN_REF ]] && HWM[ref_check]=$(check_hwm "$KILN_REF")

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

REPORT=$OUT/memory-report.txt
{
    echo "kiln $(git -C "$ROOT" rev-parse --short=12 HEAD)$(git -C "$ROOT" diff --quiet HEAD -- Sources || echo '+changes')"
    [[ -n $KILN_REF ]] && echo "reference $KILN_REF"
    echo "devices 1000"
    echo "tags 20000"
    echo "run_seconds $RUN_SECONDS"
    for kind in plain quiet ref_plain ref_quiet; do
        [[ -n ${HWM[$kind]:-} ]] || continue
        echo "vmhwm_${kind}_mb $(median "${HWM[$kind]}")"
        echo "vmhwm_${kind}_runs $(sed 's/ $//; s/ /,/g' <<<"${HWM[$kind]}")"
        echo "vmrss_end_${kind}_mb $(median "${RSS[$kind]}")"
    done
    for kind in check ref_check; do
        [[ -n ${HWM[$kind]:-} ]] && echo "maxrss_${kind}_mb ${HWM[$kind]}"
    done
    plain=$(median "${HWM[plain]}")
    echo "target_vmhwm_plain $plain <=40 $(awk -v v="$plain" 'BEGIN { print (v <= 40) ? "PASS" : "FAIL" }')"
} | tee "$REPORT"
