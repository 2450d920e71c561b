#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""w5_loops.py - W5 echo RPC (100 connections x 100 round trips of 64
bytes, on 127.0.0.1) with protocols and with streams, plus an aiohttp
request loop (1,000 GETs, 50 in flight), on acore's loop, uvloop and
asyncio: server and client in one process on the loop under test.

Alternated as bench/runner.py does: each rep runs every system once, one
after the other (acore, uvloop, asyncio, acore, ...), each in a fresh
interpreter, so the systems of one rep see about the same machine; the
ratios acore/uvloop and acore/asyncio are taken within each rep and
reported as their median over the reps with the spread [min-max]. Each
system's wall and CPU time (user + sys, all threads, of the process) per
operation are medians over the reps; the 1-minute load average is read
at each rep's start.

    PYTHONPATH=<build>/bindings/python/pkg /usr/bin/python3 w5_loops.py
        [--reps 5] [--scale 1] [--skip SYSTEM] [--json FILE]
        [workload...]     (W5_proto W5_stream HTTP)

--scale multiplies the round trips per connection and the HTTP requests
(the tests run it tiny: it asserts the tooling, never a speed).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CONNS, MSG = 100, 64
HTTP_FLIGHT = 50
ROUNDS = int(os.environ.get("W5_ROUNDS", "100"))  # set by --scale
HTTP_N = int(os.environ.get("W5_HTTP_N", "1000"))
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
    t0, c0 = time.perf_counter(), time.process_time()
    for _, p in pairs:
        p.t.write(b"")
    await asyncio.gather(*(p.done for _, p in pairs))
    dt = time.perf_counter() - t0, time.process_time() - c0
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

    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(r, w) for r, w in conns))
    dt = time.perf_counter() - t0, time.process_time() - c0
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
        t0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(get() for _ in range(HTTP_N)))
        dt = time.perf_counter() - t0, time.process_time() - c0
    await runner.cleanup()
    return dt


WORKLOADS = {"W5_proto": (w5_proto, "us/roundtrip"),
             "W5_stream": (w5_stream, "us/roundtrip"),
             "HTTP": (http, "us/request")}


def ops(workload):
    return HTTP_N if workload == "HTTP" else CONNS * ROUNDS


def once(system, workload):
    """One run in this process: a JSON line, wall and CPU (user + sys, all
    threads) us per op of the timed part."""
    loop = loop_for(system)
    import asyncio
    asyncio.set_event_loop(loop)
    fn, unit = WORKLOADS[workload]
    wall, cpu = loop.run_until_complete(fn(loop))
    loop.close()
    n = ops(workload)
    print(json.dumps({"value": wall / n * 1e6, "cpu": cpu / n * 1e6,
                      "unit": unit}))


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run_once(system, workload, env):
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--once",
                        system, workload], capture_output=True, text=True,
                       env=env)
    if p.returncode != 0:
        sys.exit(f"w5_loops: {system} {workload} failed "
                 f"({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout.splitlines()[-1])


def spread(vals):
    return (f"{statistics.median(vals):.2f} "
            f"[{min(vals):.2f}-{max(vals):.2f}]")


def measure(workload, systems, reps, env, log):
    """Every rep: each system once, in order; the records."""
    recs = []
    for rep in range(1, reps + 1):
        load = load1()
        for s in systems:
            r = run_once(s, workload, env)
            recs.append({"workload": workload, "system": s, "rep": rep,
                         "load1": load, **r})
        log(f"# {workload} rep {rep}/{reps} (load {load:.2f})")
    return recs


def summary(workload, systems, recs):
    """The workload's line: medians per system, ratios within reps."""
    by = {(r["system"], r["rep"]): r for r in recs}
    reps = sorted({r["rep"] for r in recs})
    out = {"workload": workload, "unit": recs[0]["unit"], "reps": len(reps),
           "loads": [by[systems[0], k]["load1"] for k in reps]}
    for s in systems:
        out[s] = {f: statistics.median(by[s, k][f] for k in reps)
                  for f in ("value", "cpu")}
    for peer in ("uvloop", "asyncio"):
        if "acore" in systems and peer in systems:
            out[f"acore/{peer}"] = [by["acore", k]["value"] /
                                    by[peer, k]["value"] for k in reps]
    return out


def line(sm, systems):
    text = f"{sm['workload']:10} " + "  ".join(
        f"{s} {sm[s]['value']:7.1f} (cpu {sm[s]['cpu']:.1f})"
        for s in systems)
    text += f"  {sm['unit']}, medians of {sm['reps']}"
    for k in ("acore/uvloop", "acore/asyncio"):
        if k in sm:
            text += f";  {k} {spread(sm[k])}"
    loads = sm["loads"]
    return text + (f";  load {min(loads):.2f}-{max(loads):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--skip", action="append", default=[],
                    metavar="SYSTEM", help="leave a system out")
    ap.add_argument("--json", help="write every record and summary here")
    ap.add_argument("--once", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    a = ap.parse_args()
    if a.once:
        once(*a.once)
        return
    if a.reps < 1:
        ap.error(f"--reps {a.reps}: at least 1 rep is needed")
    if not a.scale > 0:
        ap.error(f"--scale {a.scale:g}: must be above 0")
    bad = [w for w in a.workloads if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload {', '.join(bad)} "
                 f"(known: {', '.join(WORKLOADS)})")
    systems = [s for s in SYSTEMS if s not in a.skip]
    env = dict(os.environ, W5_ROUNDS=str(max(1, round(ROUNDS * a.scale))),
               W5_HTTP_N=str(max(1, round(HTTP_N * a.scale))))

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    results = {"command": " ".join(["w5_loops.py"] + sys.argv[1:]),
               "systems": systems, "records": [], "summaries": []}
    for w in a.workloads:
        recs = measure(w, systems, a.reps, env, log)
        sm = summary(w, systems, recs)
        results["records"] += recs
        results["summaries"].append(sm)
        print(line(sm, systems), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
