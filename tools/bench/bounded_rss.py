#!/usr/bin/env python3
"""Runs a command for at most SECONDS, counting the lines it writes to standard output (read
through a pipe, then dropped), and prints `seconds S`, `lines N`, `finished yes|no` and
`max_rss_kb K`: the child's peak resident set, from os.wait4, whether it finished or was stopped
with SIGTERM at the bound. A command that finishes with a nonzero status is an error.

Usage: bounded_rss.py SECONDS COMMAND [ARG ...]"""
import os
import signal
import subprocess
import sys
import time

bound = float(sys.argv[1])
args = sys.argv[2:]
start = time.monotonic()
child = subprocess.Popen(args, stdout=subprocess.PIPE)
os.set_blocking(child.stdout.fileno(), False)
lines = 0
stopped = False
while True:
    if not stopped and time.monotonic() - start > bound:
        child.send_signal(signal.SIGTERM)
        stopped = True
    try:
        chunk = os.read(child.stdout.fileno(), 1 << 20)
    except BlockingIOError:
        time.sleep(0.001)
        continue
    if not chunk:
        break
    lines += chunk.count(b"\n")
_, status, usage = os.wait4(child.pid, 0)
seconds = time.monotonic() - start
if not stopped and os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"bounded_rss: {args[0]} exited {os.waitstatus_to_exitcode(status)}")
print(f"seconds {seconds:.3f}")
print(f"lines {lines}")
print(f"finished {'no' if stopped else 'yes'}")
print(f"max_rss_kb {usage.ru_maxrss}")
