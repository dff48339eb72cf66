#!/usr/bin/env bash
# The demo: a simulated plant (devices/), and the gateway polling it and printing live values.
# Usage: tools/demo.sh [DURATION]   e.g. tools/demo.sh 30s; without it, runs until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
swift build -c release
kiln=.build/release/kiln

$kiln check config/kiln.yaml
$kiln simulate config/kiln.yaml &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
sleep 1

# Ctrl-C stops the gateway cleanly (it flushes the historian); the script goes on to show it.
trap '' INT
if [[ -n "${1:-}" ]]; then
    $kiln run config/kiln.yaml --duration "$1" || true
else
    $kiln run config/kiln.yaml || true
fi

echo
echo "The historian (config/history.sqlite): boiler-1's supply temperature, 10-second aggregates:"
$kiln export config/kiln.yaml --from -2m --tag boiler-1/supply_temp --every 10s --agg min,avg,max,twa | tail -6
