#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""acore_py_bench.py - the Python workloads of bench/peers/py_peers.py on
the acore binding. Same workloads, same sizes, same repetitions (the
definitions are imported from py_peers.py); W2a-W6 run py_peers' own
coroutines with acore's gather, sleep, Semaphore and executor in place of
asyncio's.
Prints one line per figure, the median of REPS runs:

    RESULT acore-py <workload> <value> <unit>

Usage: PYTHONPATH=<build>/bindings/python/pkg /usr/bin/python3
       acore_py_bench.py [workload...]   (W1 W1_batched W1_single W2a W2 W3
       W4 W6 Q1 E1 WT AC; none: all). Q1 (queue), E1 (event), WT (wait)
       and AC (as_completed) have no peer in py_peers.py; `--asyncio` runs
       those four on asyncio's loop and classes for comparison.
       acore_py_bench.py --once WORKLOAD [--n N] [--rounds R]: one rep of
       one of py_peers' workloads, REP lines (see py_peers.py).
"""

import argparse

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "peers"))
import py_peers as P  # noqa: E402  (workload definitions and sizes)

import acore  # noqa: E402

IMPL = "acore-py"
now_ns = P.now_ns


_new_loop = acore.Loop


def run_reps(workload, unit, rep):
    P.run_reps(IMPL, workload, unit, rep, make_loop=lambda impl: _new_loop())


# W1: the very functions of py_peers (they only use the loop's API).
def run_w1_batched():
    run_reps("W1_batched", "ns/future", P.w1_batched_rep)


def run_w1_single():
    run_reps("W1_single", "ns/future", P.w1_single_rep)


# W2a, W2, W3, W6: py_peers' coroutines, given acore (gather, sleep,
# Semaphore) in place of asyncio.
def peer_workload(name, unit, main):
    def run():
        run_reps(name, unit, lambda loop: loop.run_until_complete(
            main(loop, acore)))
    return run


run_w2a = peer_workload("W2a", "ns/task", P.w2a_main)
run_w2 = peer_workload("W2", "ns/task", P.w2_main)
run_w3 = peer_workload("W3", "ns/job", P.w3_main)
run_w6 = peer_workload("W6", "bytes/task", P.w6_main)


# W4: tiny jobs on 4 worker threads of an acore.Executor.
def run_w4():
    print(f"# {IMPL} W4: N={P.W4_N} jobs (C uses 100000)", flush=True)
    with acore.Executor(max_workers=4) as pool:
        run_reps("W4", "ns/job", lambda loop: loop.run_until_complete(
            P.w4_main(loop, pool, acore)))


# Q1 (acore-py only): 50,000 items through a Queue(100) from 4 producers
# to 4 consumers (put / get / task_done, then join). Wall ns per item.
Q1_N = 50_000
Q1_PAIRS = 4


async def q1_main(loop):
    q = acore.Queue(100)
    per = Q1_N // Q1_PAIRS

    async def producer():
        for i in range(per):
            await q.put(i)

    async def consumer():
        total = 0
        for _ in range(per):
            total += await q.get()
            q.task_done()
        return total

    t0 = now_ns()
    tasks = [loop.create_task(producer()) for _ in range(Q1_PAIRS)]
    tasks += [loop.create_task(consumer()) for _ in range(Q1_PAIRS)]
    results = await acore.gather(*tasks)
    await q.join()
    t1 = now_ns()
    assert sum(r for r in results if r) == Q1_PAIRS * per * (per - 1) // 2
    return (t1 - t0) / Q1_N


def run_q1():
    run_reps("Q1", "ns/item", lambda loop: loop.run_until_complete(
        q1_main(loop)))


# E1 (acore-py only): 10,000 tasks wait on one Event, which is then set.
# Wall ns per waiter (spawn, wait, wake, gather).
E1_N = 10_000


async def e1_main(loop):
    ev = acore.Event()
    t0 = now_ns()
    tasks = [loop.create_task(ev.wait()) for _ in range(E1_N)]
    await acore.sleep(0)
    ev.set()
    results = await acore.gather(*tasks)
    t1 = now_ns()
    assert all(results)
    return (t1 - t0) / E1_N


def run_e1():
    run_reps("E1", "ns/waiter", lambda loop: loop.run_until_complete(
        e1_main(loop)))


# WT (acore-py only): 2,000 rounds of wait(FIRST_COMPLETED) over 50 tasks
# of which one finishes at once; wall ns per wait.
WT_ROUNDS = 2_000
WT_N = 50


async def wt_main(loop):
    slow = [loop.create_future() for _ in range(WT_N - 1)]
    t0 = now_ns()
    for _ in range(WT_ROUNDS):
        fast = loop.create_future()
        loop.call_soon(fast.set_result, 1)
        done, pending = await acore.wait(
            [fast, *slow], return_when=acore.FIRST_COMPLETED)
        assert done == {fast}
    t1 = now_ns()
    for f in slow:
        f.cancel()
    return (t1 - t0) / WT_ROUNDS


# AC (acore-py only): 10,000 tasks (sleep(0), return i) read back through
# as_completed; wall ns per item.
AC_N = 10_000


async def ac_task(i):
    await acore.sleep(0)
    return i


async def ac_main(loop):
    t0 = now_ns()
    tasks = [loop.create_task(ac_task(i)) for i in range(AC_N)]
    total = 0
    for aw in acore.as_completed(tasks):
        total += await aw
    t1 = now_ns()
    assert total == AC_N * (AC_N - 1) // 2
    return (t1 - t0) / AC_N


def run_ac():
    run_reps("AC", "ns/item", lambda loop: loop.run_until_complete(
        ac_main(loop)))


def run_wt():
    run_reps("WT", "ns/wait", lambda loop: loop.run_until_complete(
        wt_main(loop)))


WORKLOADS = {
    "W1_batched": run_w1_batched,
    "W1_single": run_w1_single,
    "W2a": run_w2a,
    "W2": run_w2,
    "W3": run_w3,
    "W4": run_w4,
    "W6": run_w6,
    "Q1": run_q1,
    "E1": run_e1,
    "WT": run_wt,
    "AC": run_ac,
}


# --asyncio: run Q1, E1, WT and AC (the workloads with no peer in py_peers.py)
# on asyncio's loop with asyncio's Queue / Event / wait, for comparison.
PEERLESS = ("Q1", "E1", "WT", "AC")


def use_asyncio():
    global IMPL, acore, _new_loop
    import asyncio
    IMPL, acore = "asyncio", asyncio

    def new_loop():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop
    _new_loop = new_loop


def once(argv):
    """--once WORKLOAD [--n N] [--rounds R] (py_peers.start_once)."""
    parser = argparse.ArgumentParser(prog="acore_py_bench.py --once")
    P.add_once_args(parser)
    args = parser.parse_args(argv)
    WORKLOADS[P.start_once(parser, args, namespace=vars(P))]()


def main():
    args = sys.argv[1:]
    if args and args[0] == "--once":
        once(args)
        return
    if "--asyncio" in args:
        args = [a for a in args if a != "--asyncio"] or list(PEERLESS)
        if any(a not in PEERLESS for a in args):
            sys.exit("--asyncio runs only " + " ".join(PEERLESS))
        use_asyncio()
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
