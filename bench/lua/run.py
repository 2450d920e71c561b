#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""run.py - the Lua binding side by side with luv and acore's C, one run.

For each workload and each rep, every system runs once, one after the
other, each in a process of its own with 2 rounds (the second, warm round
is the figure); the ratio to acore's C is taken within the rep and the
table gives medians over the reps. Instruction counts (callgrind): the
steady-state count per operation, from 1 and 2 rounds at N and 2N.

    bench/lua/run.py <build> [--reps 5] [--scale 1.0] [--instructions]
                     [--workloads W1_batched,W1_single,W2,W3]

W1_single has two luv rows: "luv-timer-chain" (each callback arms a
zero timer, which libuv runs in the same timer pass: no loop iteration,
no poll per callback) and "luv-per-iteration" (each callback starts an
idle handle, which runs in the next iteration, after a poll: the
like-for-like row, as acore runs a done callback; docs/lua.md).
W2 also runs bench/lua/coroutine_floor.lua ("lua-floor": the same
protocol in plain Lua, a coroutine per task and no acore).

<build> needs -DACORE_LUA=ON -DACORE_BENCH=ON; luv is Debian's lua-luv.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = "lua5.4"

# workload: (n, {system: workload name of that system's program})
WORKLOADS = {
    "W1_batched": (1_000_000, ["acore-lua", "luv", "acore", "libuv"]),
    "W1_single": (200_000, ["acore-lua", "luv-timer-chain",
                            "luv-per-iteration", "acore", "libuv"]),
    "W2": (100_000, ["acore-lua", "lua-floor", "acore"]),
    "W3": (10_000, ["acore-lua", "acore"]),
}
C_PROG = {"W1_batched": "bench_core", "W1_single": "bench_core",
          "W2": "bench_combinators", "W3": "bench_sync"}


def command(build, system, workload, n, rounds):
    once = ["--once", workload, "--n", str(n), "--rounds", str(rounds)]
    if system == "acore-lua":
        return [LUA, os.path.join(HERE, "acore_lua_bench.lua")] + once
    if system.startswith("luv"):
        if system == "luv-per-iteration":
            once[1] = "W1_single_idle"
        return [LUA, os.path.join(HERE, "luv_bench.lua")] + once
    if system == "lua-floor":  # plain Lua: a coroutine per task, no acore
        return [LUA, os.path.join(HERE, "coroutine_floor.lua")] + once
    prog = C_PROG[workload] if system == "acore" else "uv_peers"
    return [os.path.join(build, "bench", prog)] + once


def run(cmd, env, prefix=()):
    p = subprocess.run(list(prefix) + cmd, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"run.py: {' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    return p


def reps_of(build, env, system, workload, n):
    p = run(command(build, system, workload, n, 2), env)
    lines = [json.loads(x[4:]) for x in p.stdout.splitlines()
             if x.startswith("REP ")]
    return lines[-1]  # the warm round


def instructions(build, env, system, workload, n):
    def count(rounds, k):
        p = run(command(build, system, workload, k, rounds), env,
                ["valgrind", "--tool=callgrind",
                 "--callgrind-out-file=/dev/null"])
        return int(re.search(r"Collected : (\d+)", p.stderr).group(1))
    i = {(r, k): count(r, k) for r in (1, 2) for k in (n, 2 * n)}
    return ((i[2, 2 * n] - i[1, 2 * n]) - (i[2, n] - i[1, n])) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--instructions", action="store_true")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help="comma-separated, e.g. W2 (default: all)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    pkg = os.path.join(build, "bindings", "lua", "pkg")
    env = dict(os.environ, LUA_PATH=f"{pkg}/?.lua;;",
               LUA_CPATH=f"{pkg}/?.so;;")
    rows = []
    for w in a.workloads.split(","):
        n0, systems = WORKLOADS[w]
        n = max(1, int(n0 * a.scale))
        wall = {s: [] for s in systems}
        cpu = {s: [] for s in systems}
        ratio = {s: [] for s in systems}
        for rep in range(a.reps):
            got = {s: reps_of(build, env, s, w, n) for s in systems}
            for s in systems:
                wall[s].append(got[s]["value"])
                cpu[s].append(got[s]["cpu"])
                ratio[s].append(got[s]["cpu"] / got["acore"]["cpu"])
            print(f"# {w} rep {rep + 1}/{a.reps}", file=sys.stderr)
        for s in systems:
            instr = (instructions(build, env, s, w, max(1, n // 20))
                     if a.instructions else None)
            rows.append((w, s, n, statistics.median(wall[s]),
                         statistics.median(cpu[s]),
                         statistics.median(ratio[s]), instr))
    print("| workload | system | n | wall ns/op | CPU ns/op | CPU vs acore C"
          " | instructions/op |")
    print("|---|---|---|---|---|---|---|")
    for w, s, n, wl, c, r, i in rows:
        ins = f"{i:.0f}" if i is not None else "-"
        print(f"| {w} | {s} | {n} | {wl:.0f} | {c:.0f} | {r:.2f}x | {ins} |")


if __name__ == "__main__":
    main()
