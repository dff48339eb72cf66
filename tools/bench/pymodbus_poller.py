#!/usr/bin/env python3
"""The pymodbus side of tools/bench/poller.sh: asyncio clients written the way plant scripts are.

    pymodbus_poller.py rps  --host H --port P --unit U --registers 100 --duration 5
        One connection, read_holding_registers back-to-back; prints `poll_rps N`.

    pymodbus_poller.py poll --host H --port P --units 200 --tags 20 --period 0.1 --duration 20
        One connection and one task per device (units 1..N on one port), each reading its
        2*tags holding registers every period to absolute deadlines (spread evenly over the
        period), decoding every float32 and building a sample tuple per tag, as Kiln does.
        Prints `pymodbus poll: N devices, R requests, F failed, O overruns` on standard error.
"""

import argparse
import asyncio
import logging
import sys
import time

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


async def connect(host, port, timeout):
    client = AsyncModbusTcpClient(host, port=port, timeout=timeout, retries=0, reconnect_delay=0.1)
    if not await client.connect():
        raise SystemExit(f"pymodbus: cannot connect to {host}:{port}")
    return client


async def rps(args):
    client = await connect(args.host, args.port, 0.5)
    rr = await client.read_holding_registers(0, count=args.registers, device_id=args.unit)
    if rr.isError():
        raise SystemExit(f"pymodbus: first read failed: {rr}")
    loop = asyncio.get_running_loop()
    requests = failures = 0
    start = loop.time()
    end = start + args.duration
    now = start
    while now < end:
        rr = await client.read_holding_registers(0, count=args.registers, device_id=args.unit)
        if rr.isError():
            failures += 1
        requests += 1
        now = loop.time()
    client.close()
    elapsed = now - start
    print(f"pymodbus rps: {requests} requests, {failures} failed in {elapsed:.3f} s", file=sys.stderr)
    print(f"poll_rps {requests / elapsed:.0f}")
    return 2 if failures else 0


class Stats:
    def __init__(self):
        self.requests = 0
        self.failures = 0
        self.overruns = 0
        self.samples = 0


async def device_loop(client, unit, tags, period, first, end, stats, sink):
    loop = asyncio.get_running_loop()
    float32 = client.DATATYPE.FLOAT32
    deadline = first
    while deadline < end:
        delay = deadline - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        stats.requests += 1
        try:
            rr = await client.read_holding_registers(0, count=2 * tags, device_id=unit)
        except ModbusException:
            stats.failures += 1
            rr = None
        if rr is not None and not rr.isError():
            regs = rr.registers
            ts = time.time()
            batch = [
                (unit, i, client.convert_from_registers(regs[2 * i : 2 * i + 2], float32), ts)
                for i in range(tags)
            ]
            sink.append(batch)
            stats.samples += len(batch)
        elif rr is not None:
            stats.failures += 1
        deadline += period
        now = loop.time()
        if deadline <= now:  # overran: skip missed deadlines, as Kiln does
            missed = int((now - deadline) / period) + 1
            deadline += missed * period
            stats.overruns += missed


async def poll(args):
    clients = [await connect(args.host, args.port, 0.5) for _ in range(args.units)]
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + args.duration
    stats = Stats()
    sink = []

    async def drain():
        # The consumer side: take the batches as Kiln's run loop takes its queue.
        while loop.time() < end:
            sink.clear()
            await asyncio.sleep(0.02)

    tasks = [
        device_loop(c, u + 1, args.tags, args.period, start + args.period * u / args.units, end, stats, sink)
        for u, c in enumerate(clients)
    ]
    await asyncio.gather(drain(), *tasks)
    for c in clients:
        c.close()
    print(
        f"pymodbus poll: {args.units} devices, {stats.requests} requests, {stats.failures} failed, "
        f"{stats.overruns} overruns, {stats.samples} samples in {loop.time() - start:.3f} s",
        file=sys.stderr,
    )
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("rps")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--unit", type=int, default=1)
    p.add_argument("--registers", type=int, default=100)
    p.add_argument("--duration", type=float, default=5)
    p = sub.add_parser("poll")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--tags", type=int, default=20)
    p.add_argument("--period", type=float, default=0.1)
    p.add_argument("--duration", type=float, default=20)
    args = parser.parse_args()
    sys.exit(asyncio.run(rps(args) if args.mode == "rps" else poll(args)))


if __name__ == "__main__":
    main()
