#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""w2_builds.py - W2 of two builds of the Lua binding side by side.

Each rep runs, each in a process of its own with 2 rounds (the warm one
counts): the Lua binding of every build given, bench/lua/coroutine_floor.lua
(plain Lua coroutines) and acore's C (bench_combinators of the first
build); the ratio to acore's C is taken within the rep, the table gives
medians (and each rep's ratio: the machine may be shared and noisy).

    bench/lua/w2_builds.py <build> [<build> ...] [--n 100000] [--reps 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_of(cmd, build):
    pkg = os.path.join(build, "bindings", "lua", "pkg")
    env = dict(os.environ, LUA_PATH=f"{pkg}/?.lua;;", LUA_CPATH=f"{pkg}/?.so;;")
    out = subprocess.run(cmd, env=env, text=True, capture_output=True,
                         check=True).stdout
    reps = [json.loads(x[4:]) for x in out.splitlines() if x.startswith("REP ")]
    return reps[-1]["cpu"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("builds", nargs="+")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    once = ["--once", "W2", "--n", str(a.n), "--rounds", "2"]
    builds = [os.path.abspath(b) for b in a.builds]
    systems = {f"acore-lua {b}": (["lua5.4", os.path.join(HERE, "acore_lua_bench.lua")], b)
               for b in builds}
    systems["lua-floor"] = (["lua5.4", os.path.join(HERE, "coroutine_floor.lua")], builds[0])
    systems["acore"] = ([os.path.join(builds[0], "bench", "bench_combinators")], builds[0])
    cpu = {s: [] for s in systems}
    ratio = {s: [] for s in systems}
    for rep in range(a.reps):
        got = {s: cpu_of(cmd + once, b) for s, (cmd, b) in systems.items()}
        for s in systems:
            cpu[s].append(got[s])
            ratio[s].append(got[s] / got["acore"])
        print(f"# rep {rep + 1}/{a.reps}", file=sys.stderr)
    print("| system | CPU ns/task | CPU vs acore C | each rep |")
    print("|---|---|---|---|")
    for s in systems:
        print(f"| {s} | {statistics.median(cpu[s]):.0f} | "
              f"{statistics.median(ratio[s]):.2f}x | "
              + ", ".join(f"{r:.2f}" for r in ratio[s]) + " |")


if __name__ == "__main__":
    main()
