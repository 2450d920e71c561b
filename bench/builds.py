#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""builds.py - acore's C workloads in two builds, alternated rep by rep.

Each rep runs every workload of both builds, each in a process of its own
with 2 rounds (the warm second counts), the order of the two swapped every
rep; the ratio B / A of the CPU time per operation is taken within the rep.
Prints, per workload, the median CPU ns/op of each build and the median
ratio with its range, and the 1-minute load before and after. Used to
show what a compile-time option costs (docs/PERFORMANCE.md: the trace
hooks unset against a build with -DACORE_NO_TRACE_HOOKS -DACORE_NO_PROBES).

    bench/builds.py A_BUILD B_BUILD [--only W1_batched,W2] [--reps 9]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# workload -> (program, its --once name, N)
WORKLOADS = {
    "W1_batched": ("bench_core", "W1_batched", 1_000_000),
    "W1_single": ("bench_core", "W1_single", 200_000),
    "W2a": ("bench_core", "W2a", 100_000),
    "W2": ("bench_combinators", "W2", 100_000),
    "W3": ("bench_sync", "W3", 10_000),
    "W4": ("bench_executor", "W4", 100_000),
    "W4_loaded": ("bench_executor", "W4_loaded", 100_000),
}


def cpu_per_op(build, workload):
    prog, name, n = WORKLOADS[workload]
    cmd = [os.path.join(build, "bench", prog), "--once", name, "--n", str(n),
           "--rounds", "2"]
    out = subprocess.run(cmd, text=True, capture_output=True,
                         check=True).stdout
    reps = [json.loads(x[4:]) for x in out.splitlines() if x.startswith("REP ")]
    if len(reps) != 2:
        sys.exit(f"builds.py: {' '.join(cmd)}: {len(reps)} REP lines")
    return reps[-1]["cpu"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--only", default="W1_batched,W2")
    ap.add_argument("--reps", type=int, default=9)
    args = ap.parse_args()
    only = [w for w in args.only.split(",") if w]
    bad = [w for w in only if w not in WORKLOADS]
    if bad or args.reps < 1:
        ap.error(f"unknown workload {bad[0]}" if bad else "--reps must be >= 1")
    builds = [os.path.abspath(args.a), os.path.abspath(args.b)]
    load0 = os.getloadavg()[0]
    res = {w: {"a": [], "b": [], "ratio": []} for w in only}
    for rep in range(args.reps):
        for w in only:
            order = [0, 1] if rep % 2 == 0 else [1, 0]
            got = {}
            for i in order:
                got[i] = cpu_per_op(builds[i], w)
            res[w]["a"].append(got[0])
            res[w]["b"].append(got[1])
            res[w]["ratio"].append(got[1] / got[0])
        print(f"# rep {rep + 1}/{args.reps} (load {os.getloadavg()[0]:.2f})",
              file=sys.stderr, flush=True)
    print(f"A: {builds[0]}\nB: {builds[1]}\n{args.reps} reps, load "
          f"{load0:.2f} before, {os.getloadavg()[0]:.2f} after\n")
    print("| workload | A CPU ns/op | B CPU ns/op | B / A, median [min-max] |")
    print("|---|---|---|---|")
    for w in only:
        r = res[w]
        print(f"| {w} | {statistics.median(r['a']):.1f} | "
              f"{statistics.median(r['b']):.1f} | "
              f"{statistics.median(r['ratio']):.3f} "
              f"[{min(r['ratio']):.3f}-{max(r['ratio']):.3f}] |")


if __name__ == "__main__":
    main()
