#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""w5_loops.py - W5 echo RPC (100 connections x 100 round trips of 64
bytes, on 127.0.0.1) with protocols and with streams, plus an aiohttp
request loop (1,000 GETs, 50 in flight), on acore's loop, uvloop and
asyncio: server and client in one process on the loop under test, each
rep in a fresh interpreter, systems alternated rep by rep; prints the
median per system and workload.

    PYTHONPATH=<build>/bindings/python/pkg /usr/bin/python3 w5_loops.py
        [--reps 5] [workload...]     (W5_proto W5_stream HTTP)
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

CONNS, ROUNDS, MSG = 100, 100, 64
HTTP_N, HTTP_FLIGHT = 1000, 50
SYSTEMS = ["acore", "uvloop", "asyncio"]


def loop_for(system):
    import asyncio
    if system == "acore":
        import acore
        return acore.Loop()
    if system == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def w5_proto(loop):
    import asyncio

    class Echo(asyncio.Protocol):
        def connection_made(self, t):
            self.t = t

        def data_received(self, data):
            self.t.write(data)

    class Client(asyncio.Protocol):
        def __init__(self):
            self.left = ROUNDS
            self.got = 0
            self.done = loop.create_future()

        def connection_made(self, t):
            self.t = t
            t.write(b"x" * MSG)

        def data_received(self, data):
            self.got += len(data)
            if self.got < MSG:
                return
            self.got -= MSG
            self.left -= 1
            if self.left:
                self.t.write(b"x" * MSG)
            else:
                self.done.set_result(None)

    srv = await loop.create_server(Echo, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    pairs = [await loop.create_connection(Client, "127.0.0.1", port)
             for _ in range(CONNS)]
    t0 = time.perf_counter()
    for _, p in pairs:
        p.t.write(b"")
    await asyncio.gather(*(p.done for _, p in pairs))
    dt = time.perf_counter() - t0
    for t, _ in pairs:
        t.close()
    srv.close()
    return dt


async def w5_stream(loop):
    import asyncio

    async def handle(r, w):
        try:
            while True:
                data = await r.readexactly(MSG)
                w.write(data)
                await w.drain()
        except asyncio.IncompleteReadError:
            w.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    conns = [await asyncio.open_connection("127.0.0.1", port)
             for _ in range(CONNS)]

    async def client(r, w):
        for _ in range(ROUNDS):
            w.write(b"x" * MSG)
            await w.drain()
            await r.readexactly(MSG)

    t0 = time.perf_counter()
    await asyncio.gather(*(client(r, w) for r, w in conns))
    dt = time.perf_counter() - t0
    for _, w in conns:
        w.close()
    srv.close()
    return dt


async def http(loop):
    import asyncio
    import aiohttp
    from aiohttp import web

    async def handle(request):
        return web.Response(text="ok")
    app = web.Application()
    app.router.add_get("/", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=HTTP_FLIGHT)) as s:
        async def get():
            async with s.get(url) as r:
                await r.read()
        await asyncio.gather(*(get() for _ in range(HTTP_FLIGHT)))  # warm
        t0 = time.perf_counter()
        await asyncio.gather(*(get() for _ in range(HTTP_N)))
        dt = time.perf_counter() - t0
    await runner.cleanup()
    return dt


WORKLOADS = {"W5_proto": (w5_proto, CONNS * ROUNDS, "us/roundtrip"),
             "W5_stream": (w5_stream, CONNS * ROUNDS, "us/roundtrip"),
             "HTTP": (http, HTTP_N, "us/request")}


def once(system, workload):
    loop = loop_for(system)
    import asyncio
    asyncio.set_event_loop(loop)
    fn, n, unit = WORKLOADS[workload]
    dt = loop.run_until_complete(fn(loop))
    loop.close()
    print(json.dumps({"value": dt / n * 1e6}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--once", nargs=2)
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    a = ap.parse_args()
    if a.once:
        once(*a.once)
        return
    for w in a.workloads:
        vals = {s: [] for s in SYSTEMS}
        for _ in range(a.reps):
            for s in SYSTEMS:
                out = subprocess.run(
                    [sys.executable, __file__, "--once", s, w],
                    capture_output=True, text=True, check=True).stdout
                vals[s].append(json.loads(out.splitlines()[-1])["value"])
        unit = WORKLOADS[w][2]
        med = {s: statistics.median(v) for s, v in vals.items()}
        print(f"{w:10} " + "  ".join(f"{s} {med[s]:7.1f}" for s in SYSTEMS)
              + f"  {unit} (median of {a.reps});  acore/uvloop "
              f"{med['acore'] / med['uvloop']:.2f}  acore/asyncio "
              f"{med['acore'] / med['asyncio']:.2f}", flush=True)


if __name__ == "__main__":
    main()
