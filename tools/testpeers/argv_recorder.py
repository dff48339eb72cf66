#!/usr/bin/env python3
"""Writes its own argv (without the program name) as a JSON list to the file named by its first
argument, then exits 0. The SSH tests run it on the far side of ssh to prove that every rendered
element arrives as exactly one literal argument.

  argv_recorder.py [--append] [--exit N] [--sleep S] FILE ARG...

--append adds one JSON line per run to FILE instead of replacing it (a test counts the runs by
its lines); --exit N exits N after writing (a remote command that fails); --sleep S waits S
seconds after writing (a run still going when the test acts). Options are read only before
FILE: every argument after it is recorded as it came."""
import json
import sys
import time

args = sys.argv[1:]
append = False
code = 0
sleep = 0.0
while args and args[0] in ("--append", "--exit", "--sleep"):
    if args[0] == "--append":
        append = True
        args = args[1:]
    elif args[0] == "--exit":
        code = int(args[1])
        args = args[2:]
    else:
        sleep = float(args[1])
        args = args[2:]

with open(args[0], "a" if append else "w", encoding="utf-8") as f:
    json.dump(args[1:], f)
    if append:
        f.write("\n")
time.sleep(sleep)
sys.exit(code)
