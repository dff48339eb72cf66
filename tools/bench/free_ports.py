#!/usr/bin/env python3
"""Prints the first of COUNT consecutive loopback ports that are free right now (20000-29999).
Usage: free_ports.py COUNT. Prints nothing (exit 1) when 200 tries found none."""
import random
import socket
import sys

count = int(sys.argv[1])
for _ in range(200):
    base = random.randrange(20000, 30000)
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    sys.exit(0)
sys.exit(1)
