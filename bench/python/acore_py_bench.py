#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""acore_py_bench.py - the Python workloads of bench/peers/py_peers.py on
the acore binding. Same workloads, same sizes, same repetitions (the
definitions are imported from py_peers.py); W2-W4 call acore's gather,
sleep, Semaphore and executor where py_peers calls asyncio's.
Prints one line per figure, the median of REPS runs:

    RESULT acore-py <workload> <value> <unit>

Usage: PYTHONPATH=<build>/bindings/python/pkg /usr/bin/python3
       acore_py_bench.py [workload...]   (W1 W1_batched W1_single W2a W2 W3
       W4 W6; none: all)
"""

import gc
import os
import statistics
import sys
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "peers"))
import py_peers as P  # noqa: E402  (workload definitions and sizes)

import acore  # noqa: E402

IMPL = "acore-py"
now_ns = P.now_ns


def run_reps(workload, unit, rep):
    values = []
    for _ in range(P.REPS):
        gc.collect()
        loop = acore.Loop()
        try:
            values.append(rep(loop))
        finally:
            loop.close()
    P.report(IMPL, workload, statistics.median(values), unit)


# W1: the very functions of py_peers (they only use the loop's API).
def run_w1_batched():
    run_reps("W1_batched", "ns/future", P.w1_batched_rep)


def run_w1_single():
    run_reps("W1_single", "ns/future", P.w1_single_rep)


# W2a: as py_peers.w2a_main, with acore.gather.
async def w2a_main(loop):
    t0 = now_ns()
    tasks = [loop.create_task(P.w2a_task(loop)) for _ in range(P.W2A_N)]
    results = await acore.gather(*tasks)
    t1 = now_ns()
    assert sum(results) == P.W2A_N
    return (t1 - t0) / P.W2A_N


def run_w2a():
    run_reps("W2a", "ns/task", lambda loop: loop.run_until_complete(
        w2a_main(loop)))


# W2: spawn, sleep(0), gather.
async def w2_task(i):
    await acore.sleep(0)
    return i


async def w2_main(loop):
    t0 = now_ns()
    tasks = [loop.create_task(w2_task(i)) for i in range(P.W2_N)]
    results = await acore.gather(*tasks)
    t1 = now_ns()
    assert sum(results) == P.W2_N * (P.W2_N - 1) // 2
    return (t1 - t0) / P.W2_N


def run_w2():
    run_reps("W2", "ns/task", lambda loop: loop.run_until_complete(
        w2_main(loop)))


# W3: semaphore-bounded remote calls.
async def w3_job(loop, sem, gauge):
    async with sem:
        gauge[0] += 1
        gauge[1] = max(gauge[1], gauge[0])
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 1)
        await fut
        gauge[0] -= 1


async def w3_main(loop):
    gauge = [0, 0]
    t0 = now_ns()
    sem = acore.Semaphore(P.W3_SLOTS)
    tasks = [loop.create_task(w3_job(loop, sem, gauge))
             for _ in range(P.W3_N)]
    await acore.gather(*tasks)
    t1 = now_ns()
    assert gauge == [0, P.W3_SLOTS]
    return (t1 - t0) / P.W3_N


def run_w3():
    run_reps("W3", "ns/job", lambda loop: loop.run_until_complete(
        w3_main(loop)))


# W4: tiny jobs on 4 worker threads.
async def w4_main(loop, pool):
    t0 = now_ns()
    futs = [loop.run_in_executor(pool, P.w4_job, P.W4_DATA)
            for _ in range(P.W4_N)]
    results = await acore.gather(*futs)
    t1 = now_ns()
    assert results == [sum(P.W4_DATA)] * P.W4_N
    return (t1 - t0) / P.W4_N


def run_w4():
    print(f"# {IMPL} W4: N={P.W4_N} jobs (C uses 100000)", flush=True)
    with acore.Executor(max_workers=4) as pool:
        run_reps("W4", "ns/job", lambda loop: loop.run_until_complete(
            w4_main(loop, pool)))


# W6: memory per pending task.
async def w6_main(loop):
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tasks = [loop.create_task(P.w6_task(loop)) for _ in range(P.W6_N)]
        await acore.sleep(0)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert not any(t.done() for t in tasks)
    for t in tasks:
        t.cancel()
    results = await acore.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, acore.CancelledError) for r in results)
    return (after - before) / P.W6_N


def run_w6():
    run_reps("W6", "bytes/task", lambda loop: loop.run_until_complete(
        w6_main(loop)))


WORKLOADS = {
    "W1_batched": run_w1_batched,
    "W1_single": run_w1_single,
    "W2a": run_w2a,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W6": run_w6,
}


def main():
    args = sys.argv[1:]
    for a in args:
        if not any(P.selects(a, n) for n in WORKLOADS):
            sys.exit(f"unknown workload {a!r}")
    print(f"# CPython {sys.version.split()[0]}, acore binding, median of "
          f"{P.REPS} runs", flush=True)
    for name, run in WORKLOADS.items():
        if not args or any(P.selects(a, name) for a in args):
            run()


if __name__ == "__main__":
    main()
