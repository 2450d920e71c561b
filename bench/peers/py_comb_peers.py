#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""py_comb_peers.py - bench_combinators' gather/wait workloads on CPython
asyncio and uvloop.

    RESULT <asyncio|uvloop> <gather|wait>_<1k|10k|100k> <ns> ns/child

n futures are made outside the timed region; timed: the gather (or wait)
call, completing every future, and running until the gather (wait) is
done - the same as bench/bench_combinators.c. Median of 5 runs, a fresh
loop per run (py_peers.run_reps). W2 is in py_peers.py.
Usage: /usr/bin/python3 py_comb_peers.py --impl asyncio|uvloop
       [--once WORKLOAD [--rounds R]]   (one rep, REP lines: see py_peers.py)
"""

import argparse
import asyncio
import sys

import py_peers
from py_peers import REPS, now_ns, run_reps

SIZES = [("1k", 1_000), ("10k", 10_000), ("100k", 100_000)]
# --once: each workload's (fixed) size.
ONCE_SIZES = {f"{name}_{label}": n for name in ("gather", "wait")
              for label, n in SIZES}


async def one(loop, n, use_wait):
    futs = [loop.create_future() for _ in range(n)]
    t0 = now_ns()
    if use_wait:
        waiter = asyncio.ensure_future(asyncio.wait(futs))
    else:
        waiter = asyncio.gather(*futs)
    for i, f in enumerate(futs):
        f.set_result(i)
    res = await waiter
    t1 = now_ns()
    if use_wait:
        assert len(res[0]) == n
    else:
        assert len(res) == n
    return (t1 - t0) / n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--impl", choices=["asyncio", "uvloop"], required=True)
    py_peers.add_once_args(p)
    args = p.parse_args()
    once = py_peers.start_once(p, args, ONCE_SIZES)
    if once:
        name, n = once.split("_")[0], ONCE_SIZES[once]
        run_reps(args.impl, once, "ns/child",
                 lambda loop: loop.run_until_complete(
                     one(loop, n, name == "wait")))
        return
    print(f"# CPython {sys.version.split()[0]} ({args.impl}), "
          f"median of {REPS} runs", flush=True)
    for use_wait, name in ((False, "gather"), (True, "wait")):
        for label, n in SIZES:
            run_reps(args.impl, f"{name}_{label}", "ns/child",
                     lambda loop: loop.run_until_complete(
                         one(loop, n, use_wait)))


if __name__ == "__main__":
    main()
