#!/usr/bin/env bash
# The demo: a simulated plant (devices/), and the gateway polling it and printing live values.
# Usage: tools/demo.sh [DURATION]   e.g. tools/demo.sh 30s; without it, runs until Ctrl-C.
#
# The plant's five devices listen on 127.0.0.1 ports 15020-15024. To use other ports, set
# KILN_DEMO_PORT to the first one (KILN_DEMO_PORT=15120 tools/demo.sh 30s uses 15120-15124): the
# demo then runs on a copy of config/ and devices/ in a temporary folder with the ports moved,
# and keeps its historian in config/history-15120.sqlite, so two demos can run side by side.
# The gateway serves the operator's page and the HTTP API on 127.0.0.1:8080 (moved by the same
# offset); the page asks once for the token in config/demo-api.token, which the demo creates (mode
# 0600, never committed) on its first run.
# Exits 1 at once, naming the port, when a port is taken; else with `kiln run`'s status.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "demo: $*" >&2
    exit 1
}

first_port=${KILN_DEMO_PORT:-15020}
[[ "$first_port" =~ ^[0-9]+$ ]] && ((first_port >= 1024 && first_port <= 65531)) ||
    fail "KILN_DEMO_PORT must be a port number from 1024 to 65531, not '$first_port'"
# The map's ports, 15020 upwards, move by the same offset.
offset=$((first_port - 15020))
mapfile -t ports < <(sed -n 's/^ *port: *\([0-9][0-9]*\).*/\1/p' devices/plant.yaml)
((${#ports[@]})) || fail "devices/plant.yaml lists no ports"
for i in "${!ports[@]}"; do ports[i]=$((ports[i] + offset)); done
http_port=$((8080 + offset))
ports+=("$http_port")

# Before the build (which takes minutes): a port something already listens on is taken.
for port in "${ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is taken (another demo or server listens on 127.0.0.1:$port);" \
            "stop it, or use other ports: KILN_DEMO_PORT=$((first_port + 100)) tools/demo.sh ${1:-}"
    fi
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kiln-demo.XXXXXX")
sim=
cleanup() {
    local status=$?
    if [[ -n "$sim" ]] && kill -0 "$sim" 2>/dev/null; then
        kill "$sim" 2>/dev/null || true
        wait "$sim" 2>/dev/null || true
    fi
    rm -rf "$scratch"
    exit "$status"
}
trap cleanup EXIT

# The demo runs on a copy of config/kiln.yaml in the scratch folder: the same plant, alarms and
# historian, plus the `http:` block that serves the page (config/kiln.yaml, the example a plant
# starts from, keeps it commented: a real token file lives under /etc/kiln).
mkdir "$scratch/config"
config=$scratch/config/kiln.yaml
devices_glob=$PWD/devices/*.yaml
history=$PWD/config/history.sqlite
if ((offset != 0)); then
    mkdir "$scratch/devices"
    awk -v offset="$offset" '
        /^ *port: *[0-9]+/ { match($0, /[0-9]+/); $0 = substr($0, 1, RSTART - 1) (substr($0, RSTART, RLENGTH) + offset) substr($0, RSTART + RLENGTH) }
        { print }' devices/plant.yaml >"$scratch/devices/plant.yaml"
    devices_glob=$scratch/devices/*.yaml
    history=$PWD/config/history-$first_port.sqlite
    echo "demo: ports ${ports[0]}-${ports[-2]}, the page on $http_port; config $config; historian config/history-$first_port.sqlite"
fi
sed -e "s|^\( *- *\)\.\./devices/\*\.yaml|\1$devices_glob|" \
    -e "s|^\( *path: *\)history.sqlite|\1$history|" config/kiln.yaml >"$config"
# The API's token: made once, kept between demos, readable only by its owner (kiln refuses a
# looser file).
token_file=$PWD/config/demo-api.token
if [[ ! -s $token_file ]]; then
    (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$token_file" && echo >>"$token_file")
fi
chmod 600 "$token_file"
cat >>"$config" <<EOF_HTTP

http:
  listen: 127.0.0.1:$http_port
  token_file: $token_file
EOF_HTTP

tools/setup.sh
swift build -c release
kiln=.build/release/kiln

$kiln check "$config"
$kiln simulate "$config" >"$scratch/simulate.log" 2>&1 &
sim=$!
# The simulator prints its `serving` lines once every port is bound; it exits 1, naming the port,
# when one is taken. Start the gateway only once it serves.
for ((tries = 0; ; tries++)); do
    if grep -q '^serving ' "$scratch/simulate.log"; then break; fi
    if ! kill -0 "$sim" 2>/dev/null; then
        cat "$scratch/simulate.log" >&2
        sim=
        fail "the simulated plant did not start (above); use other ports with KILN_DEMO_PORT=$((first_port + 100))"
    fi
    ((tries < 300)) || fail "the simulated plant did not start serving within 30 s"
    sleep 0.1
done
cat "$scratch/simulate.log"

echo
echo "demo: the operator's page: http://127.0.0.1:$http_port/  (the token it asks for once: config/demo-api.token)"
echo "demo: the API: curl -H \"Authorization: Bearer \$(cat config/demo-api.token)\" http://127.0.0.1:$http_port/api/v1/tags"
echo

# Ctrl-C stops the gateway cleanly (it flushes the historian); the script goes on to show it.
trap '' INT
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
status=0
if [[ -n "${1:-}" ]]; then
    $kiln run "$config" --duration "$1" || status=$?
else
    $kiln run "$config" || status=$?
fi

echo
echo "The historian: boiler-1's supply temperature since the start of this run, 10-second aggregates:"
$kiln export "$config" --from "$started" --tag boiler-1/supply_temp --every 10s --agg min,avg,max,twa | tail -6
exit "$status"
