#!/usr/bin/env python3
"""A TCP peer that accepts connections and never says a word (no SSH banner): the host that
hangs. Usage: silent_peer.py PORT. Prints "ready" once listening; holds every connection open
until it is killed."""
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(64)
print("ready", flush=True)
held = []
while True:
    connection, _ = server.accept()
    held.append(connection)
