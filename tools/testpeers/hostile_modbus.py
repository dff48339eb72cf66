#!/usr/bin/env python3
"""A hostile Modbus/TCP peer for Kiln's tests: standard library only (asyncio).

Usage:
    hostile_modbus.py [--host 127.0.0.1] [--unit 1] [--size 16] [--count 4] [--late-ms 400] MODE...

It listens on one port per MODE (the kernel picks them) and prints one JSON line on standard
output, {"MODE": PORT, ...}, once every listener is up. It exits on SIGTERM/SIGINT, and when its
standard input reaches end of file (so a crashed test never leaves it behind).

The true register image: holding and input registers 0..SIZE-1 hold TRUE(a) = 1000 + 7 * a.
A real reply (function 3 or 4, unit UNIT, addresses inside the image) always carries the true
values. Every forged frame carries 0xDEAD in each register, a value the image never holds, so a
forged value that leaks into a Good sample is seen at once. COUNT is the number of registers the
forged frames guess a request reads (the tests read blocks of that size).

MODE (each connection of a mode behaves the same way):
    honest      a correct server
    early       forged frames right after accept (ids 0..7, before any request), then honest
    between     after each reply, forged frames carrying the next likely ids (last+1, last+2,
                last+3 and a spread) and random ids, unasked, between polls
    wrong-tid   each request gets a forged reply with another transaction id, then (every other
                request) the real reply; the other requests get nothing more
    wrong-unit  the same with a forged reply from another unit
    wrong-fc    the same with a forged reply with another function code
    wrong-count the same with a forged reply holding one register more (consistent MBAP length)
    wrong-len   the same with a forged reply whose MBAP length disagrees with its PDU
    garbage     every other request gets random bytes instead of a reply, the others the real one
    reset       every other request gets half a reply and a connection reset, the others the real one
    late        every other request is answered with forged values after LATE_MS (after Kiln's
                response timeout), the others at once and truly
    duplicate   each reply is sent twice, then once more with forged values under the same id
    ssh         an SSH server: a banner at accept, an error and a close after the first bytes
    http        an HTTP server: "HTTP/1.1 400 Bad Request" and a close after the first bytes
    tls         a TLS server: a TLS alert and a close after the first bytes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys

FORGED = 0xDEAD

MODES = [
    "honest", "early", "between", "wrong-tid", "wrong-unit", "wrong-fc", "wrong-count", "wrong-len",
    "garbage", "reset", "late", "duplicate", "ssh", "http", "tls",
]


def true_value(address: int) -> int:
    return 1000 + 7 * address


def frame(tid: int, unit: int, pdu: bytes, length: int | None = None) -> bytes:
    """An MBAP header and its PDU; `length` overrides the MBAP length field."""
    return struct.pack(">HHHB", tid & 0xFFFF, 0, (len(pdu) + 1) if length is None else length, unit) + pdu


def registers_pdu(function: int, values: list[int]) -> bytes:
    return struct.pack(">BB", function, 2 * len(values)) + b"".join(struct.pack(">H", v) for v in values)


def forged_reply(tid: int, unit: int, function: int, count: int) -> bytes:
    return frame(tid, unit, registers_pdu(function, [FORGED] * count))


class Peer:
    def __init__(self, mode: str, options: argparse.Namespace):
        self.mode = mode
        self.unit = options.unit
        self.size = options.size
        self.count = options.count
        self.late = options.late_ms / 1000
        self.random = random.Random(hash(mode) & 0xFFFF)

    def answer(self, tid: int, unit: int, pdu: bytes) -> tuple[bytes, int, int]:
        """The true reply to one request, and its function and register count."""
        function = pdu[0]
        if unit != self.unit or function not in (3, 4) or len(pdu) != 5:
            return frame(tid, unit, bytes([function | 0x80, 1])), function, 0
        address, count = struct.unpack(">HH", pdu[1:5])
        if count < 1 or count > 125 or address + count > self.size:
            return frame(tid, unit, bytes([function | 0x80, 2])), function, count
        values = [true_value(a) for a in range(address, address + count)]
        return frame(tid, unit, registers_pdu(function, values)), function, count

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.converse(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()

    async def converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        if mode == "ssh":
            writer.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            await writer.drain()
        if mode == "early":
            writer.write(b"".join(forged_reply(tid, self.unit, 3, self.count) for tid in range(8)))
            await writer.drain()
        if mode in ("ssh", "http", "tls"):
            await reader.read(1)
            if mode == "ssh":
                writer.write(b"Invalid SSH identification string.\r\n")
            elif mode == "http":
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            else:
                writer.write(bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x32]))
            await writer.drain()
            return
        served = 0
        while True:
            header = await reader.readexactly(7)
            tid, protocol, length, unit = struct.unpack(">HHHB", header)
            if protocol != 0 or length < 2 or length > 254:
                return
            pdu = await reader.readexactly(length - 1)
            served += 1
            reply, function, count = self.answer(tid, unit, pdu)
            count = count or self.count
            truthful = served % 2 == 1  # "sometimes": odd requests get the real reply too
            if mode in ("honest", "early"):
                writer.write(reply)
            elif mode == "between":
                writer.write(reply)
                await writer.drain()
                asyncio.get_running_loop().call_later(0.03, self.unasked, writer, tid, unit, function, count)
            elif mode.startswith("wrong-"):
                writer.write(self.wrong(mode, tid, unit, function, count))
                if truthful:
                    await writer.drain()
                    await asyncio.sleep(0.005)
                    writer.write(reply)
            elif mode == "garbage":
                writer.write(reply if truthful else bytes(self.random.randrange(256) for _ in range(40)))
            elif mode == "reset":
                if truthful:
                    writer.write(reply)
                else:
                    writer.write(reply[: len(reply) // 2])
                    await writer.drain()
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
            elif mode == "late":
                if truthful:
                    writer.write(reply)
                else:
                    await asyncio.sleep(self.late)
                    writer.write(forged_reply(tid, unit, function, count))
            elif mode == "duplicate":
                writer.write(reply + reply + forged_reply(tid, unit, function, count))
            await writer.drain()

    def wrong(self, mode: str, tid: int, unit: int, function: int, count: int) -> bytes:
        if mode == "wrong-tid":
            return forged_reply(tid + 1, unit, function, count)
        if mode == "wrong-unit":
            return forged_reply(tid, unit + 1, function, count)
        if mode == "wrong-fc":
            return forged_reply(tid, unit, 4 if function == 3 else 3, count)
        if mode == "wrong-count":
            return forged_reply(tid, unit, function, count + 1)
        # wrong-len: the PDU is right for the request, the MBAP length one byte longer.
        pdu = registers_pdu(function, [FORGED] * count)
        return frame(tid, unit, pdu, length=len(pdu) + 2)

    def unasked(self, writer: asyncio.StreamWriter, tid: int, unit: int, function: int, count: int) -> None:
        if writer.is_closing():
            return
        guesses = [tid + 1, tid + 2, tid + 3] + [tid + k for k in range(4, 200, 13)]
        guesses += [self.random.randrange(65536) for _ in range(8)]
        try:
            writer.write(b"".join(forged_reply(g, unit, function, count) for g in guesses))
        except (ConnectionError, OSError):
            pass


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--late-ms", type=int, default=400)
    parser.add_argument("modes", nargs="+", choices=MODES + ["all"])
    options = parser.parse_args()
    modes = MODES if "all" in options.modes else options.modes

    ports = {}
    servers = []
    for mode in modes:
        peer = Peer(mode, options)
        server = await asyncio.start_server(peer.serve, options.host, 0)
        servers.append(server)
        ports[mode] = server.sockets[0].getsockname()[1]
    print(json.dumps(ports), flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, stop.set)
    # End of standard input (the test that started us is gone) stops us too.
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 4096) else None)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
