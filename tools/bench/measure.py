#!/usr/bin/env python3
"""Runs a command with its standard output sent to /dev/null (or --stdout FILE) and prints
`seconds S` and `max_rss_kb K` (the child's peak resident set, from getrusage)."""
import resource
import subprocess
import sys
import time

args = sys.argv[1:]
out = subprocess.DEVNULL
if args[:1] == ["--stdout"]:
    out = open(args[1], "wb")
    args = args[2:]
start = time.monotonic()
status = subprocess.run(args, stdout=out).returncode
seconds = time.monotonic() - start
if status != 0:
    sys.exit(f"measure: {args[0]} exited {status}")
print(f"seconds {seconds:.3f}")
print(f"max_rss_kb {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
