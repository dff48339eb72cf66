#!/usr/bin/env bash
# Issue 13's remediation latency: from the moment an alarm has persisted for `persists` to the
# remote command starting, on a fresh ssh connection and on a multiplexed one (targets: p99 <=
# 300 ms fresh, <= 30 ms multiplexed). See tools/bench/README-remediation.md.
#
# A real sshd on a free loopback port (generated host key, pinned), a temporary remote user
# `kilnbench` (shell /bin/sh), and a real gateway as users run it (`kiln run`, realtime fifo 80 as
# root, historian on, default flags) polling a `kiln simulate` device whose tag square-waves
# across its alarm limit. A rule (persists 300ms, cooldown 0, mode enforce) runs `stamp`, a static
# C program that writes CLOCK_REALTIME µs into a file named after the episode. Latency per run =
# stamp time - remediation_runs.persisted_at. Side by side, in the same repeat: the bare ssh
# command Kiln would run (the same argv, `kiln remediation run --dry-run`), spawn -> stamp.
#
#   sudo tools/bench/remediation-latency.sh [--no-build] [--runs N] [--repeats R]
#                                           [--persists 300ms] [--scenarios "fresh mux"]
#                                           [--no-realtime] [--label NAME]
#
# --no-realtime drops the gateway's `realtime:` block (its pollers then run SCHED_OTHER): for
# comparing the multiplexed tail with and without SCHED_FIFO pollers on a loaded machine.
#
# Progress and each repeat's figures on standard error; the report on standard output and in
# tools/bench/out/remediation-report[-NAME].txt (every run's facts in remediation-results[-NAME].txt;
# NAME is --label, by default none, or no-realtime with --no-realtime).
set -euo pipefail
cd "$(dirname "$0")/../.."

build=true
runs=20
repeats=3
persists=300ms
scenarios="fresh mux"
realtime=true
label=""
while (($#)); do
    case "$1" in
        --no-build) build=false ;;
        --runs) runs="$2"; shift ;;
        --repeats) repeats="$2"; shift ;;
        --persists) persists="$2"; shift ;;
        --scenarios) scenarios="$2"; shift ;;
        --no-realtime) realtime=false; label=${label:-no-realtime} ;;
        --label) label="$2"; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "remediation-latency.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
die() { echo "remediation-latency.sh: $*" >&2; exit 1; }
[[ $runs =~ ^[1-9][0-9]*$ && $repeats =~ ^[1-9][0-9]*$ ]] || die "--runs and --repeats take a positive number"
[[ $persists =~ ^[0-9]+ms$ ]] || die "--persists takes milliseconds, e.g. 300ms"
[[ -z $label || $label =~ ^[A-Za-z0-9_.-]+$ ]] || die "--label takes letters, digits, ., _ and -"
for s in $scenarios; do [[ $s == fresh || $s == mux ]] || die "--scenarios takes fresh and/or mux, not $s"; done
[[ $(id -u) == 0 ]] || die "run as root (the gateway polls under SCHED_FIFO as plants run it; sshd and useradd need root)"
for tool in cc python3 sqlite3 /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen useradd userdel; do
    command -v "$tool" >/dev/null || die "$tool is missing (tools/setup.sh --tests installs openssh-server, sqlite3, gcc)"
done

out=tools/bench/out
mkdir -p "$out"
if $build; then
    echo "remediation-latency.sh: building (release)" >&2
    swift build -c release --product kiln >&2
fi
bin=$(swift build -c release --show-bin-path)
kiln="$bin/kiln"
[[ -x $kiln ]] || die "no release kiln in $bin (run without --no-build)"

user=kilnbench
marker="kiln remediation benchmark"
if id "$user" >/dev/null 2>&1; then
    # Left by an earlier run killed with -9: ours only if it carries our comment.
    [[ $(getent passwd "$user" | cut -d: -f5) == "$marker" ]] \
        || die "a user $user exists and is not this benchmark's; remove it or rename the benchmark's user"
    ps -o pid= -u "$user" | xargs -r kill -9 2>/dev/null || true
    userdel "$user" 2>/dev/null || true
fi

tmp=$(mktemp -d /tmp/kiln-rembench.XXXXXX)
chmod 755 "$tmp"
sshd_pid="" gateway_pid="" sim_pid=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $gateway_pid ]] && { kill -TERM "$gateway_pid" 2>/dev/null; wait "$gateway_pid" 2>/dev/null; } || true
    [[ -n $sim_pid ]] && { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; } || true
    # ssh masters left in our control folders: ask them to exit, then kill any ssh still naming
    # our folder (ours alone: the folder's name is random).
    for sock in "$tmp"/ctl-*/* "$tmp"/bare-*/*; do
        [[ -S $sock ]] && /usr/bin/ssh -F /dev/null -o ControlPath="$sock" -O exit -p 1 -l "$user" 127.0.0.1 >/dev/null 2>&1 || true
    done
    for p in /proc/[0-9]*; do
        grep -qaF -- "$tmp/" "$p/cmdline" 2>/dev/null && kill "${p#/proc/}" 2>/dev/null || true
    done
    [[ -n $sshd_pid ]] && { kill "$sshd_pid" 2>/dev/null; wait "$sshd_pid" 2>/dev/null; } || true
    if id "$user" >/dev/null 2>&1 && [[ $(getent passwd "$user" | cut -d: -f5) == "$marker" ]]; then
        ps -o pid= -u "$user" | xargs -r kill -9 2>/dev/null || true
        sleep 0.2
        userdel "$user" 2>/dev/null || echo "remediation-latency.sh: could not remove user $user" >&2
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The remote user: /bin/sh, no password (`*`: not locked, so sshd without PAM lets it in by key).
useradd -M -d "$tmp/home" -s /bin/sh -c "$marker" "$user"
usermod -p '*' "$user"
mkdir -p "$tmp/home" "$tmp/stamps"
chown "$user" "$tmp/home" "$tmp/stamps"

cc -O2 -Wall -static -o "$tmp/stamp" tools/bench/stamp.c
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -C kiln-bench -f "$tmp/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C kiln-bench -f "$tmp/client_ed25519"
chmod 600 "$tmp/client_ed25519"
cp "$tmp/client_ed25519.pub" "$tmp/authorized_keys"
chmod 644 "$tmp/authorized_keys"

ports=$(python3 tools/bench/free_ports.py 2) || die "no free loopback ports"
ssh_port=$ports sim_port=$((ports + 1))
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1-2 "$tmp/host_ed25519.pub")" >"$tmp/known_hosts"
cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $tmp/host_ed25519
PidFile $tmp/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxSessions 64
MaxStartups 64
LogLevel INFO
EOF
/usr/sbin/sshd -D -e -f "$tmp/sshd_config" -p "$ssh_port" 2>"$tmp/sshd.log" &
sshd_pid=$!
for _ in $(seq 100); do
    banner=$(timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ssh_port && head -c 8 <&3" 2>/dev/null || true)
    [[ $banner == SSH-2.0- ]] && break
    kill -0 "$sshd_pid" 2>/dev/null || die "sshd exited at once: $(cat "$tmp/sshd.log")"
    sleep 0.1
done
[[ $banner == SSH-2.0- ]] || die "sshd did not answer on 127.0.0.1:$ssh_port"
accepted() { grep -c "Accepted publickey for $user" "$tmp/sshd.log" || true; }

# The device: two tags square-waving 0 <-> 100 across `high: 50` (tau 1 ms: a step). `slow`
# stays above and below for 1.6 s each (runs 3.2 s apart: the master of the last run has gone,
# control_persist being 1 s), `fast` for 0.8 s (runs 1.6 s apart, over one master).
cat >"$tmp/plant.yaml" <<EOF
devices:
  - name: remdev
    host: 127.0.0.1
    port: $sim_port
    unit: 1
    timeout: 500ms
    poll: 100ms
    tags:
      - { name: slow, register: holding, address: 0, type: float32, simulate: { value: 0, target: 100, tau: 1ms, period: 1600ms }, alarms: [ { name: high, above: 50, deadband: 1, severity: major } ] }
      - { name: fast, register: holding, address: 2, type: float32, simulate: { value: 0, target: 100, tau: 1ms, period: 800ms }, alarms: [ { name: high, above: 50, deadband: 1, severity: major } ] }
EOF
gateway_config() {  # SCENARIO HISTORIAN CONTROL_DIR OUTPUT_NAME
    local tag=fast persist=600s
    [[ $1 == fresh ]] && tag=slow persist=1s
    cat <<EOF
devices:
  - $tmp/plant.yaml
$($realtime && echo "realtime: { policy: fifo, priority: 80, lock_memory: false }")
historian:
  path: $2
remediation:
  mode: enforce
  max_per_hour: 10000
  control_dir: $3
  control_persist: $persist
  hosts:
    - name: bench
      address: 127.0.0.1
      port: $ssh_port
      user: $user
      identity_file: $tmp/client_ed25519
      known_hosts: $tmp/known_hosts
      max_concurrent: 1
      connect_timeout: 5s
  rules:
    - name: stamp
      when: { alarm: remdev/$tag/high, persists: $persists }
      host: bench
      command: ["$tmp/stamp", "$tmp/stamps/$4"]
      timeout: 10s
      cooldown: 0s
      max_attempts: 1
EOF
}

"$kiln" simulate "$tmp/plant.yaml" >"$tmp/simulate.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do grep -q serving "$tmp/simulate.log" && break; sleep 0.1; done
grep -q serving "$tmp/simulate.log" || die "kiln simulate did not start: $(cat "$tmp/simulate.log")"

results="$out/remediation-results${label:+-$label}.txt"
: >"$results"
sql() { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }

kiln_series() {  # REPEAT SCENARIO
    local r=$1 s=$2 db="$tmp/kiln-$1-$2.sqlite" ctl="$tmp/ctl-$1-$2"
    gateway_config "$s" "$db" "$ctl" "kiln-$r-$s-{episode}" >"$tmp/gw-$s.yaml"
    "$kiln" check "$tmp/gw-$s.yaml" >"$tmp/check-$s.log" 2>&1 || die "kiln check refused the config: $(cat "$tmp/check-$s.log")"
    local before limit finished=0 cycle=4
    before=$(accepted)
    # Each run waits for an episode: slow every 3.2 s, fast every 1.6 s; about twice that, plus start.
    [[ $s == fresh ]] && cycle=7
    limit=$(((runs + 1) * cycle + 30))
    "$kiln" run "$tmp/gw-$s.yaml" >"$tmp/gateway-$r-$s.log" 2>&1 &
    gateway_pid=$!
    for _ in $(seq $((limit * 2))); do
        sleep 0.5
        kill -0 "$gateway_pid" 2>/dev/null || die "kiln run exited: $(tail -20 "$tmp/gateway-$r-$s.log")"
        [[ -f $db ]] || continue
        finished=$(sql "$db" "SELECT count(*) FROM remediation_runs WHERE state = 'done'" 2>/dev/null || echo 0)
        ((finished >= runs + 1)) && break
    done
    # The scheduling policy of the ssh processes Kiln started that are still there (the master;
    # ssh inherits it from the thread that spawned it), and of the gateway's threads.
    local p
    for p in /proc/[0-9]*; do
        grep -qaF -- "$ctl/" "$p/cmdline" 2>/dev/null || continue
        echo "$r sched kiln-$s ssh pid ${p#/proc/}: $(chrt -p "${p#/proc/}" 2>/dev/null | sed -n 's/.*scheduling policy: //p' | head -1)" >>"$results"
    done
    echo "$r sched kiln-$s gateway threads: $(ps -L -o cls= -p "$gateway_pid" | sort | uniq -c | tr -s ' \n' ' ')" >>"$results"
    kill -TERM "$gateway_pid"
    wait "$gateway_pid" || true
    gateway_pid=""
    ((finished >= runs + 1)) || die "only $finished of $((runs + 1)) runs done within ${limit}s: see $tmp/gateway-$r-$s.log"
    # The first run (the gateway's first connection, caches cold) is a warm-up, not reported.
    local failed=0
    while IFS='|' read -r id episode persisted started audit_started outcome; do
        local f="$tmp/stamps/kiln-$r-$s-$episode"
        if [[ $outcome != succeeded || ! -f $f ]]; then
            failed=$((failed + 1))
            echo "remediation-latency.sh: run $id ($episode): outcome $outcome, stamp ${f##*/} $([[ -f $f ]] && echo found || echo missing)" >&2
            continue
        fi
        echo "$r kiln-$s latency_us $(($(cat "$f") - persisted))"
        echo "$r engine-$s latency_us $((started - persisted))"
        echo "$r spawn-$s latency_us $((audit_started - persisted))"
    done < <(sql "$db" "SELECT r.id, r.episode, r.persisted_at, r.started, a.started, r.outcome
                         FROM remediation_runs r JOIN remediation_audit a ON a.run = r.id
                         WHERE r.state = 'done' ORDER BY r.id LIMIT $runs OFFSET 1") >>"$results"
    echo "$r kiln-$s failed $failed" >>"$results"
    echo "$r kiln-$s connections $(($(accepted) - before))" >>"$results"
}

bare_series() {  # REPEAT SCENARIO
    # The Kiln series' file (done with): `kiln remediation run --dry-run` needs one, and adds its entry.
    local r=$1 s=$2 db="$tmp/kiln-$1-$2.sqlite" ctl="$tmp/bare-$1-$2" before line
    gateway_config "$s" "$db" "$ctl" "bare-$r-$s-N" >"$tmp/bare-$s.yaml"
    # The exact ssh command Kiln would run for this rule.
    local dry
    dry=$("$kiln" remediation run stamp --dry-run "$tmp/bare-$s.yaml" 2>&1) || die "kiln remediation run --dry-run failed: $dry"
    line=$(sed -n 's/^ssh command: //p' <<<"$dry")
    [[ -n $line ]] || die "kiln remediation run --dry-run printed no ssh command: $dry"
    mkdir -m 700 -p "$ctl"
    before=$(accepted)
    python3 tools/bench/remediation_bare.py "$s" "$runs" "$line" "$tmp/stamps" "bare-$r-$s" \
        | sed "s/^/$r bare-$s /" >>"$results"
    echo "$r bare-$s connections $(($(accepted) - before))" >>"$results"
}

echo "remediation-latency.sh: $repeats repeat(s) x $runs runs, scenarios: $scenarios, persists $persists, realtime $realtime, sshd 127.0.0.1:$ssh_port" >&2
echo "0 settings - gateway realtime: $($realtime && echo 'fifo 80' || echo off), persists $persists, runs $runs" >>"$results"
for r in $(seq "$repeats"); do
    echo "$r load start $(uptime)" >>"$results"
    for s in $scenarios; do
        echo "remediation-latency.sh: repeat $r/$repeats: Kiln, $s" >&2
        kiln_series "$r" "$s"
        echo "remediation-latency.sh: repeat $r/$repeats: bare ssh, $s" >&2
        bare_series "$r" "$s"
    done
    echo "$r load end $(uptime)" >>"$results"
    python3 tools/bench/remediation_stats.py repeat "$results" "$r" >&2
done

python3 tools/bench/remediation_stats.py report "$results" | tee "$out/remediation-report${label:+-$label}.txt"
