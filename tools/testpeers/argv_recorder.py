#!/usr/bin/env python3
"""Writes its own argv (without the program name) as a JSON list to the file named by its first
argument, then exits 0. The SSH tests run it on the far side of ssh to prove that every rendered
element arrives as exactly one literal argument."""
import json
import sys

with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(sys.argv[2:], f)
