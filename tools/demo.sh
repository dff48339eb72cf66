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

if [[ -n "${1:-}" ]]; then
    $kiln run config/kiln.yaml --duration "$1"
else
    $kiln run config/kiln.yaml
fi
