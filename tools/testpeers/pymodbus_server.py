#!/usr/bin/env python3
"""A Modbus/TCP test peer on pymodbus (3.16.x): an independent implementation to read Kiln against.

Usage:
    pymodbus_server.py [--host 127.0.0.1] [--port 0] [--log-requests] SPEC

SPEC is JSON, inline (starting with "{") or the path of a file. When the server listens, its
bound port is printed as the first line on standard output. With --log-requests, every read
request that reaches a unit's registers, and every connection made or lost, is then reported
as one JSON line on standard output.
The server exits on SIGTERM/SIGINT, and when its standard input (a pipe from the test that
started it) reaches end of file, so a crashed test never leaves it behind.

    {"units": {"1": UNIT, ...}}

    UNIT = {
      "holding": TABLE, "input": TABLE, "coil": BITS, "discrete": BITS,
      "busy_first": N,        # answer the first N read requests with exception 6 (busy)
      "busy_always": true,    # answer every read request with exception 6
      "delay_ms": MS,         # answer every request MS late
      "delay_first_ms": MS,   # answer only the first request MS late, the rest at once
      "silent": true          # accept connections and requests, never answer
    }

    TABLE = {
      "size": N,              # addresses 0..N-1 exist and read 0 unless an entry sets them
      "holes": [A, ...],      # these addresses answer exception 2 (illegal data address)
      "entries": [ENTRY, ...] # an entry's addresses exist even beyond "size"
    }
    ENTRY = {"address": A, "registers": [W, ...]}              raw 16-bit words
          | {"address": A, "type": T, "value": V, "order": O}  T in int16 uint16 int32 uint32
                int64 uint64 float32 float64; O is a byte order: ABCD CDAB BADC DCBA, or for
                64-bit values also ABCDEFGH GHEFCDAB BADCFEHG HGFEDCBA (default ABCD)
          | {"address": A, "type": "string", "value": S, "length": L}  L registers, two ASCII
                bytes per register, high byte first, padded with NUL

    BITS = {"size": N, "entries": [{"address": A, "bits": [true, false, ...]}]}
           (pymodbus pads bit tables to whole registers: bits cannot have holes)

Addresses are 0-based protocol addresses. The encodings are computed here with struct.pack,
independently of Kiln's encoder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import struct
import sys

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

STRUCT_CODES = {
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float32": "f",
    "float64": "d",
}

# The contract's 64-bit spellings of the four orders.
WIDE_ORDERS = {"ABCD": "ABCDEFGH", "CDAB": "GHEFCDAB", "BADC": "BADCFEHG", "DCBA": "HGFEDCBA"}


def arrange(big_endian: bytes, order: str) -> list[int]:
    """Lays out a value's big-endian bytes (A B C D ...) as the order names them, two per register."""
    order = order.upper()
    if len(big_endian) == 8 and len(order) == 4:
        order = WIDE_ORDERS[order]
    if len(big_endian) == 2:
        order = "AB"
    if sorted(order) != [chr(ord("A") + i) for i in range(len(big_endian))]:
        raise ValueError(f"byte order {order} does not fit a {len(big_endian)}-byte value")
    arranged = [big_endian[ord(letter) - ord("A")] for letter in order]
    return [arranged[i] << 8 | arranged[i + 1] for i in range(0, len(arranged), 2)]


def entry_registers(entry: dict) -> list[int]:
    """The registers one table entry occupies."""
    if "registers" in entry:
        return [int(w) & 0xFFFF for w in entry["registers"]]
    kind = entry["type"]
    if kind == "string":
        length = int(entry["length"])
        data = entry["value"].encode("ascii")[: 2 * length].ljust(2 * length, b"\0")
        return [data[i] << 8 | data[i + 1] for i in range(0, len(data), 2)]
    code = STRUCT_CODES[kind]
    value = entry["value"]
    value = float(value) if kind.startswith("float") else int(value)
    return arrange(struct.pack(">" + code, value), entry.get("order", "ABCD"))


def register_table(table: dict | None) -> list[SimData]:
    """SimData runs for a holding or input table: defined addresses, holes left undefined."""
    table = table or {}
    words: dict[int, int] = {a: 0 for a in range(int(table.get("size", 0)))}
    for entry in table.get("entries", []):
        for i, word in enumerate(entry_registers(entry)):
            words[int(entry["address"]) + i] = word
    for hole in table.get("holes", []):
        words.pop(int(hole), None)
    runs: list[SimData] = []
    start, values = None, []
    for address in sorted(words):
        if start is not None and address == start + len(values):
            values.append(words[address])
            continue
        if start is not None:
            runs.append(SimData(start, values=values, datatype=DataType.REGISTERS))
        start, values = address, [words[address]]
    if start is not None:
        runs.append(SimData(start, values=values, datatype=DataType.REGISTERS))
    # pymodbus needs at least one run per table: put a lone register far away.
    return runs or [SimData(65534, values=[0], datatype=DataType.REGISTERS)]


def bit_table(table: dict | None) -> list[SimData]:
    """One SimData of bits for a coil or discrete-input table."""
    table = table or {}
    bits = [False] * int(table.get("size", 0))
    for entry in table.get("entries", []):
        address = int(entry["address"])
        values = [bool(b) for b in entry["bits"]]
        if len(bits) < address + len(values):
            bits += [False] * (address + len(values) - len(bits))
        bits[address : address + len(values)] = values
    if not bits:
        return [SimData(65520, values=[False] * 16, datatype=DataType.BITS)]
    return [SimData(0, values=bits, datatype=DataType.BITS)]


class Behaviour:
    """How one unit misbehaves: busy replies, late replies, no replies."""

    def __init__(self, unit: int, spec: dict, log_requests: bool):
        self.unit = unit
        self.busy_first = int(spec.get("busy_first", 0))
        self.busy_always = bool(spec.get("busy_always", False))
        self.delay = float(spec.get("delay_ms", 0)) / 1000
        self.delay_first = float(spec.get("delay_first_ms", 0)) / 1000
        self.silent = bool(spec.get("silent", False))
        self.log_requests = log_requests
        self.requests = 0

    async def action(self, function_code, _start, address, count, _registers, set_values):
        self.requests += 1
        n = self.requests
        if self.silent:
            self.log(n, function_code, address, count, "silent")
            await asyncio.Event().wait()
        if self.delay_first and n == 1:
            self.log(n, function_code, address, count, "late")
            await asyncio.sleep(self.delay_first)
        elif self.delay:
            await asyncio.sleep(self.delay)
        if set_values is None and (self.busy_always or n <= self.busy_first):
            self.log(n, function_code, address, count, "busy")
            return ExcCodes.DEVICE_BUSY
        self.log(n, function_code, address, count, "ok")
        return None

    def log(self, n, function_code, address, count, outcome):
        if self.log_requests:
            line = {"unit": self.unit, "n": n, "fc": function_code, "address": address, "count": count}
            line["outcome"] = outcome
            print(json.dumps(line), flush=True)


def build_devices(spec: dict, log_requests: bool) -> list[SimDevice]:
    devices = []
    for unit_text, unit_spec in spec["units"].items():
        unit = int(unit_text)
        behaviour = Behaviour(unit, unit_spec, log_requests)
        simdata = (
            bit_table(unit_spec.get("coil")),
            bit_table(unit_spec.get("discrete")),
            register_table(unit_spec.get("holding")),
            register_table(unit_spec.get("input")),
        )
        devices.append(SimDevice(unit, simdata=simdata, use_bit_addressing=True, action=behaviour.action))
    return devices


async def serve(host: str, port: int, devices: list[SimDevice], log_requests: bool) -> None:
    def trace_connect(connected: bool) -> None:
        if log_requests:
            print(json.dumps({"event": "connect" if connected else "disconnect"}), flush=True)

    server = ModbusTcpServer(devices, address=(host, port), trace_connect=trace_connect)
    await server.serve_forever(background=True)
    bound = server.transport.sockets[0].getsockname()[1]
    print(bound, flush=True)
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, os._exit, 0)
    if not sys.stdin.isatty():

        def stdin_readable() -> None:
            if not os.read(sys.stdin.fileno(), 4096):
                os._exit(0)  # the test that started us is gone

        loop.add_reader(sys.stdin.fileno(), stdin_readable)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--log-requests", action="store_true")
    parser.add_argument("spec", help="JSON, inline or a file path")
    args = parser.parse_args()
    text = args.spec if args.spec.lstrip().startswith("{") else open(args.spec, encoding="utf-8").read()
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    devices = build_devices(json.loads(text), args.log_requests)
    asyncio.run(serve(args.host, args.port, devices, args.log_requests))


if __name__ == "__main__":
    main()
