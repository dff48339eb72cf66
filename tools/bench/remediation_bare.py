#!/usr/bin/env python3
"""The bare-ssh reference of tools/bench/remediation-latency.sh: runs the exact ssh command line
Kiln would run (as `kiln remediation run RULE --dry-run` prints it), RUNS times, and prints one
`latency_us` line per run: stamp time - the CLOCK_REALTIME taken just before posix_spawn.

Usage: remediation_bare.py fresh|mux RUNS 'SSH COMMAND LINE' STAMP_DIR TAG

The command line must end in `... -- '<stamp>' '<STAMP_DIR>/<TAG>-N'` (the rule's command with
the literal file name `<TAG>-N`): N is replaced per run, and so is the `-E` log (`run-N.log`,
deleted after each run, as Kiln does).

Both start with one warm-up run, not reported (as Kiln's first run of a series is not).
fresh: before each run, wait until the previous run's master has gone (its control socket is
removed when ControlPersist runs out), so every run makes a new connection, as Kiln's runs do
when episodes are further apart than control_persist.
mux:   the warm-up run starts the master; the runs then reuse it, one every
SPACING seconds (env REM_BARE_SPACING, default 1.0). The master is closed at the end."""
import os
import shlex
import subprocess
import sys
import time

mode, runs, line, stamp_dir, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
argv = shlex.split(line)
control = next(a.split("=", 1)[1] for a in argv if a.startswith("ControlPath="))
# In the printed command line, % is doubled for ssh (ControlPath=...%%...): ssh undoes that itself.
control_file = control.replace("%%", "%")
env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
spacing = float(os.environ.get("REM_BARE_SPACING", "1.0"))
log_dir = os.path.dirname(control_file)


def run(n):
    args = [a.replace(f"{tag}-N", f"{tag}-{n}").replace("run-N.log", f"bare-{n}.log") for a in argv]
    out = os.path.join(stamp_dir, f"{tag}-{n}")
    fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
          (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)]
    t0 = time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000
    pid = os.posix_spawn(args[0], args, env, file_actions=fa)
    _, status = os.waitpid(pid, 0)
    try:
        os.unlink(os.path.join(log_dir, f"bare-{n}.log"))
    except FileNotFoundError:
        pass
    code = os.waitstatus_to_exitcode(status)
    try:
        stamp = int(open(out).read())
    except (OSError, ValueError):
        print(f"remediation_bare.py: run {n}: ssh exited {code} and the stamp {out} was not written",
              file=sys.stderr)
        return None
    return stamp - t0


def wait_master_gone(limit=30.0):
    end = time.monotonic() + limit
    while os.path.exists(control_file):
        if time.monotonic() > end:
            sys.exit(f"remediation_bare.py: the master on {control_file} did not exit within {limit} s")
        time.sleep(0.05)


# A warm-up run, not reported (as Kiln's first run of a series is not): for mux it starts the master.
if run(0) is None:
    sys.exit(1)
if mode == "mux":
    if not os.path.exists(control_file):
        sys.exit(f"remediation_bare.py: the warm-up run left no master on {control_file}")
failed = 0
for n in range(1, runs + 1):
    if mode == "fresh":
        wait_master_gone()
        time.sleep(0.2)
    else:
        time.sleep(spacing)
    latency = run(n)
    if latency is None:
        failed += 1
    else:
        print(f"latency_us {latency}")
if os.path.exists(control_file):
    # `ssh -O exit`: the master closes its connection and removes its socket.
    dash = argv.index("--")
    port, user, address = argv[argv.index("-p") + 1], argv[argv.index("-l") + 1], argv[dash - 1]
    subprocess.run([argv[0], "-F", "/dev/null", "-o", f"ControlPath={control}", "-O", "exit", "-p", port, "-l",
                    user, address], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
print(f"failed {failed}")
