#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""py_echo.py - W5 on asyncio streams, run by asyncio's loop or uvloop's.

The same command line and REP lines as bench/peers/echo_util.h (read it
for W5 and W5_stream), with --impl asyncio|uvloop first:

    py_echo.py --impl I --server echo|sink [--port P]
    py_echo.py --impl I --once W5|W5_stream --port P --server-pid PID
               [--n N] [--rounds R]

Streams (asyncio.start_server / open_connection, StreamReader and
StreamWriter) are what an asyncio user writes; both sides set TCP_NODELAY
(asyncio does by default for TCP since 3.7; uvloop too). The server's CPU
time is read through its process CPU clock: Linux's clock id for a pid is
((~pid) << 3) | 2 (CPUCLOCK_SCHED of MAKE_PROCESS_CPUCLOCK), which Python
has no wrapper for.
"""

import argparse
import asyncio
import json
import struct
import sys
import time

CONNS = 100
MSG = 64
CHUNK = 256 * 1024
REQUEST = (b"0123456789abcdef" * 4)[:MSG]


def server_cpu(pid):
    return time.clock_gettime_ns(((~pid) << 3) | 2)


class Clock:
    def start(self, pid):
        self.scpu0 = server_cpu(pid)
        self.cpu0 = time.process_time_ns()
        self.wall0 = time.perf_counter_ns()

    def stop(self, pid):
        self.wall1 = time.perf_counter_ns()
        self.cpu1 = time.process_time_ns()
        self.scpu1 = server_cpu(pid)


def rep_line(impl, args, rnd, c):
    n = args.n
    cl = (c.cpu1 - c.cpu0) / n
    sv = (c.scpu1 - c.scpu0) / n
    rec = {"system": impl, "workload": args.once, "round": rnd, "n": n,
           "unit": "ns/MiB" if args.once == "W5_stream" else "ns/roundtrip",
           "value": round((c.wall1 - c.wall0) / n, 2),
           "cpu": round(cl + sv, 2), "cpu_client": round(cl, 2),
           "cpu_server": round(sv, 2)}
    print("REP " + json.dumps(rec), flush=True)


# ---- server ----------------------------------------------------------------

async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def sink(reader, writer):
    count = 0
    while True:
        data = await reader.read(65536)
        if not data:
            break
        count += len(data)
    writer.write(struct.pack("<Q", count))
    await writer.drain()
    writer.close()


async def serve(args):
    srv = await asyncio.start_server(sink if args.server == "sink" else echo,
                                     "127.0.0.1", args.port, backlog=1024)
    print(f"PORT {srv.sockets[0].getsockname()[1]}", flush=True)
    async with srv:
        await srv.serve_forever()


# ---- client ------------------------------------------------------------------

async def trips(reader, writer, n):
    for _ in range(n):
        writer.write(REQUEST)
        await writer.drain()
        await reader.readexactly(MSG)


async def w5_round(args, clock):
    conns = await asyncio.gather(*[asyncio.open_connection(
        "127.0.0.1", args.port) for _ in range(CONNS)])
    clock.start(args.server_pid)
    await asyncio.gather(*[trips(r, w, args.n // CONNS) for r, w in conns])
    clock.stop(args.server_pid)
    for _, w in conns:
        w.close()
    await asyncio.gather(*[w.wait_closed() for _, w in conns])


async def stream_round(args, clock):
    reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    chunk = bytes(CHUNK)
    clock.start(args.server_pid)
    for _ in range(args.n * (1024 * 1024 // CHUNK)):
        writer.write(chunk)
        await writer.drain()
    writer.write_eof()
    count = struct.unpack("<Q", await reader.readexactly(8))[0]
    clock.stop(args.server_pid)
    if count != args.n * 1024 * 1024:
        sys.exit(f"py_echo: the sink counted {count} bytes")
    writer.close()
    await writer.wait_closed()


async def client(impl, args):
    for rnd in range(1, args.rounds + 1):
        clock = Clock()
        if args.once == "W5_stream":
            await stream_round(args, clock)
        else:
            await w5_round(args, clock)
        rep_line(impl, args, rnd, clock)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", choices=["asyncio", "uvloop"], required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--server", choices=["echo", "sink"])
    mode.add_argument("--once", choices=["W5", "W5_stream"])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if args.once:
        if not args.n:
            args.n = 1024 if args.once == "W5_stream" else 10000
        if args.port <= 0 or args.server_pid <= 0 or (
                args.once == "W5" and args.n % CONNS):
            ap.error("--port, --server-pid and whole trips per connection")
    if args.impl == "uvloop":
        import uvloop
        run = uvloop.run if hasattr(uvloop, "run") else None
        if run is None:
            uvloop.install()
    else:
        run = None
    coro = serve(args) if args.server else client(args.impl, args)
    try:
        (run or asyncio.run)(coro)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
