#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""py_peers.py - the acore benchmark workloads on CPython asyncio and uvloop.

The same workloads as uv_peers.c, written the way a Python user would.
The workload functions take the asyncio-like module to call (`aio`:
asyncio by default; bench/python/acore_py_bench.py passes acore).
Prints one line per figure, the median of REPS repetitions:

    RESULT <asyncio|uvloop> <workload> <value> <unit>

Usage: /usr/bin/python3 py_peers.py --impl asyncio|uvloop [workload...]
A name selects itself and the workloads named "<name>_*" (W1 = both W1
runs); no name runs them all.  Run it with Debian's /usr/bin/python3, which
has python3-uvloop.  Each repetition gets a fresh event loop; a full
collection runs before each so one repetition's garbage is not billed to
the next.

One rep, for bench/runner.py:

    py_peers.py --impl IMPL --once WORKLOAD [--n N] [--rounds R]

runs R rounds (default 2) of one workload with N operations (default: its
own size) and prints one line per round, as the C programs do:

    REP {"system": ..., "workload": ..., "round": r, "n": N, "unit": ...,
         "value": V, "cpu": C}

V is the workload's figure (wall ns per operation; for W6 the growth of the
process's resident memory per task) and C the process's CPU time (user +
sys, all threads) per operation over the same timed region (null for W6).
"""

import argparse
import asyncio
import collections
import gc
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

REPS = 5

# The process CPU time (user + sys, all threads) at the last two now_ns()
# calls: a rep's t0 and t1, so its CPU time comes with its wall time.
_cpu_marks = collections.deque([0, 0], maxlen=2)


def now_ns():
    """The wall clock (perf_counter_ns); notes the CPU time beside it."""
    _cpu_marks.append(time.process_time_ns())
    return time.perf_counter_ns()


def rss_bytes():
    """The process's resident memory in bytes (/proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --once: (rounds, n) when set; run_reps then prints REP lines.
ONCE = None


def report(impl, workload, value, unit):
    print(f"RESULT {impl} {workload} {value:.1f} {unit}", flush=True)


def new_loop(impl):
    if impl == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def rep_line(impl, workload, unit, rnd, value, n):
    """Prints the REP line of one round (see the top of this file)."""
    cpu = None
    if not unit.startswith("bytes/"):
        cpu = (_cpu_marks[1] - _cpu_marks[0]) / n
    print("REP " + json.dumps({
        "system": impl, "workload": workload, "round": rnd, "n": n,
        "unit": unit, "value": round(value, 2),
        "cpu": None if cpu is None else round(cpu, 2)}), flush=True)


def run_reps(impl, workload, unit, rep, make_loop=new_loop):
    """Runs rep(loop) REPS times, each on a fresh loop (make_loop(impl));
    reports the median. With --once: ONCE's rounds, one REP line each."""
    values = []
    for rnd in range(1, (ONCE[0] if ONCE else REPS) + 1):
        gc.collect()
        loop = make_loop(impl)
        try:
            values.append(rep(loop))
        finally:
            loop.close()
        if ONCE:
            rep_line(impl, workload, unit, rnd, values[-1], ONCE[1])
    if not ONCE:
        report(impl, workload, statistics.median(values), unit)


# ---- W1: future churn ----
# ns per future: create it, add one done callback, set its result, run the
# callback.
# W1_batched: a call_soon callback creates 1000 futures, arms and completes
# each, then re-schedules itself; the loop runs the 1000 done callbacks on
# its next turn.
# W1_single: a chain, one future per loop turn: each done callback creates,
# arms and completes the next future.

W1_BATCHED_N = 1_000_000
W1_BATCH = 1000
W1_SINGLE_N = 200_000


def w1_batched_rep(loop):
    finished = loop.create_future()
    state = {"done": 0, "remaining": W1_BATCHED_N}

    def on_done(_fut):
        state["done"] += 1
        if state["done"] == W1_BATCHED_N:
            finished.set_result(None)

    def produce():
        n = min(W1_BATCH, state["remaining"])
        create = loop.create_future
        for i in range(n):
            fut = create()
            fut.add_done_callback(on_done)
            fut.set_result(i)
        state["remaining"] -= n
        if state["remaining"]:
            loop.call_soon(produce)

    t0 = now_ns()
    loop.call_soon(produce)
    loop.run_until_complete(finished)
    t1 = now_ns()
    assert state["done"] == W1_BATCHED_N
    return (t1 - t0) / W1_BATCHED_N


def w1_single_rep(loop):
    finished = loop.create_future()
    state = {"done": 0}

    def arm():
        fut = loop.create_future()
        fut.add_done_callback(on_done)
        fut.set_result(1)

    def on_done(_fut):
        state["done"] += 1
        if state["done"] < W1_SINGLE_N:
            arm()
        else:
            finished.set_result(None)

    t0 = now_ns()
    arm()
    loop.run_until_complete(finished)
    t1 = now_ns()
    assert state["done"] == W1_SINGLE_N
    return (t1 - t0) / W1_SINGLE_N


def run_w1_batched(impl):
    run_reps(impl, "W1_batched", "ns/future", w1_batched_rep)


def run_w1_single(impl):
    run_reps(impl, "W1_single", "ns/future", w1_single_rep)


# ---- W2a: tasks awaiting a future ----
# 100,000 tasks; each creates a future, has call_soon complete it, awaits
# it and finishes; all gathered.  ns per task.

W2A_N = 100_000


async def w2a_task(loop):
    fut = loop.create_future()
    loop.call_soon(fut.set_result, 1)
    return await fut


async def w2a_main(loop, aio=asyncio):
    t0 = now_ns()
    tasks = [loop.create_task(w2a_task(loop)) for _ in range(W2A_N)]
    results = await aio.gather(*tasks)
    t1 = now_ns()
    assert sum(results) == W2A_N
    return (t1 - t0) / W2A_N


def run_w2a(impl):
    run_reps(impl, "W2a", "ns/task",
             lambda loop: loop.run_until_complete(w2a_main(loop)))


# ---- W2: spawn, sleep(0), gather ----
# 100,000 tasks; each does sleep(0) once and returns its index; the
# gathered sum is checked.  ns per task.

W2_N = 100_000


async def w2_task(i, aio):
    await aio.sleep(0)
    return i


async def w2_main(loop, aio=asyncio):
    t0 = now_ns()
    tasks = [loop.create_task(w2_task(i, aio)) for i in range(W2_N)]
    results = await aio.gather(*tasks)
    t1 = now_ns()
    assert sum(results) == W2_N * (W2_N - 1) // 2
    return (t1 - t0) / W2_N


def run_w2(impl):
    run_reps(impl, "W2", "ns/task",
             lambda loop: loop.run_until_complete(w2_main(loop)))


# ---- W3: semaphore-bounded remote calls ----
# 10,000 jobs under Semaphore(100); each awaits a future completed by
# call_soon (the simulated remote call).  ns per job.

W3_N = 10_000
W3_SLOTS = 100


async def w3_job(loop, sem, gauge):
    async with sem:
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 1)
        await fut
        gauge[0] -= 1


async def w3_main(loop, aio=asyncio):
    gauge = [0, 0]  # in flight, max in flight
    t0 = now_ns()
    sem = aio.Semaphore(W3_SLOTS)
    tasks = [loop.create_task(w3_job(loop, sem, gauge)) for _ in range(W3_N)]
    await aio.gather(*tasks)
    t1 = now_ns()
    assert gauge == [0, min(W3_N, W3_SLOTS)]
    return (t1 - t0) / W3_N


def run_w3(impl):
    run_reps(impl, "W3", "ns/job",
             lambda loop: loop.run_until_complete(w3_main(loop)))


# ---- W4: tiny jobs on 4 worker threads ----
# 20,000 jobs (C: 100,000; fewer here to keep the run short), each summing
# 100 ints, via run_in_executor on a 4-thread pool; all gathered.
# Wall ns per job.  The pool outlives the repetitions, so only the first
# one starts its threads (the median hides it), as libuv's pool does.

W4_N = 20_000
W4_DATA = list(range(100))


def w4_job(data):
    return sum(data)


async def w4_main(loop, pool, aio=asyncio):
    t0 = now_ns()
    futs = [loop.run_in_executor(pool, w4_job, W4_DATA) for _ in range(W4_N)]
    results = await aio.gather(*futs)
    t1 = now_ns()
    assert results == [sum(W4_DATA)] * W4_N
    return (t1 - t0) / W4_N


def run_w4(impl):
    print(f"# {impl} W4: N={W4_N} jobs (C uses 100000)", flush=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        run_reps(impl, "W4", "ns/job",
                 lambda loop: loop.run_until_complete(w4_main(loop, pool)))


# ---- W6: memory per pending task ----
# 100,000 tasks each awaiting a future that never completes; the growth of
# the process's resident memory, divided by N (includes the list holding
# the tasks; unlike tracemalloc, it sees memory that C code allocates, such
# as acore's tasks).  Then all are cancelled and reaped.

W6_N = 100_000


async def w6_task(loop):
    await loop.create_future()


async def w6_main(loop, aio=asyncio):
    before = rss_bytes()
    tasks = [loop.create_task(w6_task(loop)) for _ in range(W6_N)]
    await aio.sleep(0)  # every task now awaits its future
    after = rss_bytes()
    assert not any(t.done() for t in tasks)
    for t in tasks:
        t.cancel()
    results = await aio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, aio.CancelledError) for r in results)
    return (after - before) / W6_N


def run_w6(impl):
    run_reps(impl, "W6", "bytes/task",
             lambda loop: loop.run_until_complete(w6_main(loop)))


# ---- main: workload selection ----

# The module variable that holds each workload's size (--n sets it).
SIZES = {
    "W1_batched": "W1_BATCHED_N",
    "W1_single": "W1_SINGLE_N",
    "W2a": "W2A_N",
    "W2": "W2_N",
    "W3": "W3_N",
    "W4": "W4_N",
    "W6": "W6_N",
}

WORKLOADS = {
    "W1_batched": run_w1_batched,
    "W1_single": run_w1_single,
    "W2a": run_w2a,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W6": run_w6,
}


def selects(arg, name):
    """`arg` selects `name` if equal to it or to its part before a '_'."""
    return name == arg or name.startswith(arg + "_")


def add_once_args(parser):
    """The --once, --n and --rounds options (see the top of this file)."""
    parser.add_argument("--once", metavar="WORKLOAD",
                        help="one rep of one workload, REP lines")
    parser.add_argument("--n", type=int, default=0,
                        help="with --once: operations per round")
    parser.add_argument("--rounds", type=int, default=2,
                        help="with --once: rounds (default 2)")


def start_once(parser, args, sizes=None, namespace=None):
    """With --once: checks it, sets ONCE and the workload's size (the
    variable sizes[workload] of `namespace`, or a fixed size when that is an
    int); returns the workload's name (None without --once)."""
    global ONCE
    if not args.once:
        return None
    sizes = SIZES if sizes is None else sizes
    namespace = globals() if namespace is None else namespace
    if args.once not in sizes or args.n < 0 or args.rounds < 1:
        parser.error(f"--once: unknown workload {args.once!r} or bad --n/"
                     f"--rounds (workloads: {' '.join(sizes)})")
    size = sizes[args.once]
    if isinstance(size, int):
        n = size
    else:
        if args.n:
            namespace[size] = args.n
        n = namespace[size]
    ONCE = (args.rounds, n)
    return args.once


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["asyncio", "uvloop"],
                        required=True)
    parser.add_argument("workloads", nargs="*", metavar="workload",
                        help="any of: " + " ".join(WORKLOADS))
    add_once_args(parser)
    args = parser.parse_args()
    once = start_once(parser, args)
    if once:
        WORKLOADS[once](args.impl)
        return
    for arg in args.workloads:
        if not any(selects(arg, name) for name in WORKLOADS):
            parser.error(f"unknown workload {arg!r}")
    version = sys.version.split()[0]
    if args.impl == "uvloop":
        import uvloop
        version += f", uvloop {uvloop.__version__}"
    print(f"# CPython {version}, median of {REPS} runs", flush=True)
    for name, run in WORKLOADS.items():
        if not args.workloads or any(selects(a, name) for a in args.workloads):
            run(args.impl)


if __name__ == "__main__":
    main()
