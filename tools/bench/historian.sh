#!/usr/bin/env bash
# The historian benchmark, side by side in one run (see tools/bench/README-historian.md):
#   ingest points/s through Kiln's real writer vs a plain C loop of batched prepared inserts,
#   export rows/s vs `sqlite3 -csv` on the same 10 million rows, peak RSS of that export and of
#   `--every 1us` over an hour of 200 tags,
#   bytes per point raw and compacted on the demo plant's signals.
# Prints each figure as `NAME VALUE`. Usage: tools/bench/historian.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=false
[[ "${1:-}" == "--quick" ]] && quick=true
for tool in cc sqlite3 python3 pkg-config; do
    command -v "$tool" >/dev/null || { echo "historian.sh: $tool is missing (tools/setup.sh --tests installs it)" >&2; exit 1; }
done

out=tools/bench/out
mkdir -p "$out" tools/bench/bin
rm -f "$out"/hist-*.db*
if [[ -z "${KILN_BIN:-}" ]]; then
    swift build -c release --product kiln >&2
    swift build -c release --product kiln-bench >&2
    KILN_BIN=.build/release/kiln
fi
# The drivers (ingest, init, plant) live outside the product, in kiln-bench beside kiln.
BENCH_BIN=${BENCH_BIN:-$(dirname "$KILN_BIN")/kiln-bench}
[[ -x "$BENCH_BIN" ]] || { echo "historian.sh: no $BENCH_BIN (swift build -c release --product kiln-bench)" >&2; exit 1; }
cc -O2 -o tools/bench/bin/c_ingest tools/bench/c_ingest.c $(pkg-config --cflags --libs sqlite3)
measure=tools/bench/measure.py

tags=1000
ingest_points=$($quick && echo 2000000 || echo 5000000)
export_points=$($quick && echo 2000000 || echo 10000000)
batch=262144
start=1767225600000000   # 2026-01-01T00:00:00Z
period=1000000

value() { awk -v n="$1" '$1 == n { print $2 }'; }

# ── Ingest: Kiln's writer and the C loop, alternating, best of three each (the machine is shared).
best_kiln=0
best_c=0
for round in 1 2 3; do
    rm -f "$out"/hist-kiln.db* "$out"/hist-c.db*
    k=$("$BENCH_BIN" historian ingest --db "$out/hist-kiln.db" --tags $tags --points $ingest_points \
        --batch-rows $batch --start $start 2>/dev/null | value ingest_points_per_s)
    "$BENCH_BIN" historian init --db "$out/hist-c.db" --tags $tags
    c=$(tools/bench/bin/c_ingest "$out/hist-c.db" $tags $ingest_points $batch $start $period | value c_ingest_points_per_s)
    echo "round $round: kiln $k points/s, c $c points/s" >&2
    ((k > best_kiln)) && best_kiln=$k
    ((c > best_c)) && best_c=$c
done
echo "ingest_points_per_s $best_kiln"
echo "c_ingest_points_per_s $best_c"
python3 -c "print('ingest_ratio_vs_c %.3f' % ($best_kiln / $best_c))"
rows_kiln=$(sqlite3 "$out/hist-kiln.db" "SELECT count(*) FROM samples")
rows_c=$(sqlite3 "$out/hist-c.db" "SELECT count(*) FROM samples")
[[ "$rows_kiln" == "$ingest_points" && "$rows_c" == "$ingest_points" ]] ||
    { echo "historian.sh: row counts differ: kiln $rows_kiln, c $rows_c, wanted $ingest_points" >&2; exit 1; }

# ── Export: the same raw rows through `kiln export` and `sqlite3 -csv`.
db="$out/hist-export.db"
"$BENCH_BIN" historian ingest --db "$db" --tags $tags --points $export_points --start $start >/dev/null 2>&1
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
from=2026-01-01T00:00:00Z
to=2027-01-01T00:00:00Z
# Warm the page cache once so that neither side pays for the first read.
cat "$db" >/dev/null
k=$(python3 $measure "$KILN_BIN" export --db "$db" --from $from --to $to --format csv)
s=$(python3 $measure sqlite3 -csv -header "$db" \
    "SELECT t.device, t.tag, s.time, s.value, s.raw, s.status FROM samples s JOIN tags t ON t.id = s.tag ORDER BY s.tag, s.time")
k_seconds=$(echo "$k" | value seconds)
s_seconds=$(echo "$s" | value seconds)
python3 - "$export_points" "$k_seconds" "$s_seconds" "$(echo "$k" | value max_rss_kb)" <<'PY'
import sys
n, k, s, rss = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
print(f"export_points {n}")
print(f"export_rows_per_s {n / k:.0f}")
print(f"sqlite3_csv_rows_per_s {n / s:.0f}")
print(f"export_ratio_vs_sqlite3 {s / k:.3f}")
print(f"export_peak_rss_mb {rss / 1024:.1f}")
PY
# The same export in the other formats and from aggregates, for the record.
for format in jsonl influx; do
    f=$(python3 $measure "$KILN_BIN" export --db "$db" --from $from --to $to --format $format | value seconds)
    python3 -c "print('export_${format}_rows_per_s %.0f' % ($export_points / $f))"
done

# ── Export memory with --every 1us over an hour of a 200-tag historian (3.6 billion intervals a
#    tag: it cannot finish, so it runs for a bounded time while its peak RSS is taken), beside the
#    raw export and `sqlite3 -csv` of the same hour.
rss_db="$out/hist-rss.db"
rss_seconds=$($quick && echo 10 || echo 30)
"$BENCH_BIN" historian ingest --db "$rss_db" --tags 200 --points 720000 --start $start >/dev/null 2>&1
sqlite3 "$rss_db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
hour_to=2026-01-01T01:00:00Z
bounded=tools/bench/bounded_rss.py
e=$(python3 $bounded $rss_seconds "$KILN_BIN" export --db "$rss_db" --from $from --to $hour_to --every 1us --agg last,twa)
r=$(python3 $bounded 600 "$KILN_BIN" export --db "$rss_db" --from $from --to $hour_to)
q=$(python3 $bounded 600 sqlite3 -csv -header "$rss_db" \
    "SELECT t.device, t.tag, s.time, s.value, s.raw, s.status FROM samples s JOIN tags t ON t.id = s.tag WHERE s.time < 1767229200000000 ORDER BY s.tag, s.time")
echo "export_every_1us_seconds $(echo "$e" | value seconds)"
echo "export_every_1us_rows $(echo "$e" | value lines)"
echo "export_every_1us_peak_rss_mb $(echo "$e" | value max_rss_kb | awk '{ printf "%.1f", $1 / 1024 }')"
echo "export_hour_raw_rows $(echo "$r" | value lines)"
echo "export_hour_raw_peak_rss_mb $(echo "$r" | value max_rss_kb | awk '{ printf "%.1f", $1 / 1024 }')"
echo "sqlite3_csv_hour_peak_rss_mb $(echo "$q" | value max_rss_kb | awk '{ printf "%.1f", $1 / 1024 }')"

# ── kill -9 in the middle of heavy ingest (200,000 points/s, flush 1s): integrity and loss.
rm -f "$out"/hist-crash.db*
"$BENCH_BIN" historian ingest --db "$out/hist-crash.db" --tags 100 --points 0 --rate 200000 \
    --period 0.5ms --flush 1s > "$out/hist-crash.log" 2>/dev/null &
crash_pid=$!
sleep 5
kill -9 $crash_pid
wait $crash_pid 2>/dev/null || true
echo "crash_integrity_check $(sqlite3 "$out/hist-crash.db" 'PRAGMA integrity_check')"
python3 - "$out/hist-crash.log" "$(sqlite3 "$out/hist-crash.db" 'SELECT max(time) FROM samples')" <<'PY'
import sys
submitted = [int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("ingest_submitted_through_us ")]
stored = int(sys.argv[2])
print("crash_flush_seconds 1")
print(f"crash_loss_seconds {max(0, submitted[-1] - stored) / 1e6:.3f}")
PY

# ── Bytes per point: the demo plant's signals, raw and compacted.
"$BENCH_BIN" historian plant --db "$out/hist-plant.db" --config devices/plant.yaml \
    --hours $($quick && echo 3 || echo 12) 2>/dev/null
