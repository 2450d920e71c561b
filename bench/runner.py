#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""runner.py - acore and its peers, alternated rep by rep (bench/run.sh).

For each workload, each rep runs every system once, one after the other
(C: acore, libuv; Python: acore-py, uvloop, asyncio), each in a process of
its own started with `--once` (see bench/bench_util.h, py_peers.py). So
the systems of one rep see about the same machine, and the ratio between
them is taken within the rep; report.py gives the median ratio over the
reps and its spread.

A timed workload runs two rounds in its process: round 1 in a fresh
process ("first round"), round 2 on a warm one (the steady state, the
figure of record). A memory workload runs one round: the growth of the
process's resident memory per pending task. Every record has the wall and
CPU time (user + sys, all threads) per operation and the 1-minute load
average read just before its process started.

Instruction counts (callgrind), the figures a busy machine does not move:
each program runs under callgrind with 1 and 2 rounds at N and at 2N
operations; ((I(2 rounds, 2N) - I(1, 2N)) - (I(2, N) - I(1, N))) / N is
the steady-state count per operation (start-up, imports and per-round
set-up cancel out), (I(1, 2N) - I(1, N)) / N the first round's.

Writes every record to a JSON file (--out) and prints report.py's tables.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402  (the tables, shared with report.py)

PY = "/usr/bin/python3"

C_SYSTEMS = ["acore", "libuv"]
PY_SYSTEMS = ["acore-py", "uvloop", "asyncio"]
# W5 (group "io"): each system is a server and a client process
# (bench/peers/echo_util.h); acore's pair is bench/bench_io.
IO_SYSTEMS = ["acore", "libuv", "uvloop", "asyncio"]
IO_SERVER = {"W5": "echo", "W5_stream": "sink"}


def W(group, name, n, progs, title, mem=False):
    """A workload: `progs` maps each system to (program, its workload)."""
    return {"group": group, "name": name, "n": n, "progs": progs,
            "title": title, "mem": mem}


def c_pair(core, workload, peer_workload=None):
    return {"acore": (core, workload),
            "libuv": ("uv_peers", peer_workload or workload)}


def py_all(workload):
    return {s: (s, workload) for s in PY_SYSTEMS}


def io_all(workload):
    return {"acore": ("bench_io", workload), "libuv": ("uv_echo", workload),
            "uvloop": ("py_echo", workload), "asyncio": ("py_echo", workload)}


WORKLOADS = [
    W("c", "W1_batched", 1_000_000, c_pair("bench_core", "W1_batched"),
      "W1 batched: future + done callback + result, 1,000 per iteration"),
    W("c", "W1_batched_rec", 1_000_000,
      c_pair("bench_core", "W1_batched", "W1_batched_rec"),
      "W1 batched against the floor with a record per callback"),
    W("c", "W1_single", 200_000, c_pair("bench_core", "W1_single"),
      "W1 single: one future per loop iteration"),
    W("c", "W2a", 100_000, c_pair("bench_core", "W2a"),
      "W2a: tasks awaiting a future completed by call_soon"),
    W("c", "W2", 100_000, c_pair("bench_combinators", "W2"),
      "W2: spawn, sleep(0) (a yield), gather"),
    W("c", "W2_sleepfuture", 100_000,
      c_pair("bench_combinators", "W2_sleepfuture", "W2"),
      "W2 with the sleep(0) future"),
    W("c", "W3", 10_000, c_pair("bench_sync", "W3"),
      "W3: jobs under a semaphore of 100"),
    W("c", "W3_map", 10_000, c_pair("bench_sync", "W3_map", "W3"),
      "W3 through acore_map"),
    W("c", "W4", 100_000, c_pair("bench_executor", "W4"),
      "W4: tiny jobs on 4 workers, all submitted at once"),
    W("c", "W4_loaded", 100_000, c_pair("bench_executor", "W4_loaded"),
      "W4 while 2 processes the benchmark starts spin (a load of 2)"),
    W("c", "LAT_same_p50", 20_000, c_pair("bench_executor", "LAT_same_p50"),
      "wake-up latency, worker and loop on one CPU, p50 (ns; libuv: a bare "
      "uv_async_send)"),
    W("c", "LAT_same_p99", 20_000, c_pair("bench_executor", "LAT_same_p99"),
      "the same, p99 (ns)"),
    W("c", "LAT_cross_p50", 20_000,
      c_pair("bench_executor", "LAT_cross_p50"),
      "wake-up latency, worker on CPU 1, loop on CPU 0, p50 (ns)"),
    W("c", "LAT_cross_p99", 20_000,
      c_pair("bench_executor", "LAT_cross_p99"), "the same, p99 (ns)"),
    W("c", "W2_10k", 10_000, c_pair("bench_combinators", "W2"),
      "scale: W2 at 10,000 tasks"),
    W("c", "W2_1M", 1_000_000, c_pair("bench_combinators", "W2"),
      "scale: W2 at 1,000,000 tasks (flat: as W2_10k)"),
    W("c", "SEMQ_10", 100_000, {"acore": ("bench_sync", "SEMQ_10")},
      "semaphore release + re-acquire, 10 waiters queued"),
    W("c", "SEMQ_1k", 100_000, {"acore": ("bench_sync", "SEMQ_1k")},
      "semaphore release + re-acquire, 1,000 waiters queued"),
    W("c", "SEMQ_100k", 100_000, {"acore": ("bench_sync", "SEMQ_100k")},
      "the same, 100,000 waiters queued (flat: as SEMQ_10)"),
    W("c", "W6", 100_000, c_pair("bench_core", "W6_held", "W6"),
      "W6: memory per pending task (tasks held in an array)", mem=True),
    W("py", "W1_batched", 1_000_000, py_all("W1_batched"),
      "W1 batched"),
    W("py", "W1_single", 200_000, py_all("W1_single"), "W1 single"),
    W("py", "W2a", 100_000, py_all("W2a"), "W2a: tasks awaiting a future"),
    W("py", "W2", 100_000, py_all("W2"), "W2: spawn, sleep(0), gather"),
    W("py", "W3", 10_000, py_all("W3"), "W3: semaphore of 100"),
    W("py", "W4", 20_000, py_all("W4"),
      "W4: tiny jobs on 4 worker threads"),
    W("py", "W6", 100_000, py_all("W6"),
      "W6: memory per pending task", mem=True),
    W("io", "W5", 10_000, io_all("W5"),
      "W5: 100 TCP connections x 100 round trips of 64 bytes, echo over "
      "loopback (ns per round trip; CPU of client + server)"),
    W("io", "W5_stream", 1024, io_all("W5_stream"),
      "W5 stream: one TCP connection sending 1 GiB to a sink (ns per MiB; "
      "CPU of client + server)"),
]

# Instruction counts: (group, workload, N) - W1, W2, W3.
INSTR = [
    ("c", "W1_batched", 100_000), ("c", "W2", 20_000), ("c", "W3", 10_000),
    # scale: the cost per operation at 10k and 1M tasks, 10 and 100k waiters
    ("c", "W2_10k", 10_000), ("c", "W2_1M", 200_000),
    ("c", "SEMQ_10", 100_000), ("c", "SEMQ_100k", 100_000),
    ("py", "W1_batched", 10_000), ("py", "W2", 5_000), ("py", "W3", 5_000),
    ("io", "W5", 2_000),
]
# Systems whose W5 instructions are counted (the Python pairs would take
# long under callgrind and are not a goal's figure).
IO_INSTR_SYSTEMS = ["acore", "libuv"]


class Runner:
    def __init__(self, build, skip):
        self.build = os.path.abspath(build)
        self.skip = set(skip)
        pkg = os.path.join(self.build, "bindings", "python", "pkg")
        self.env = dict(os.environ, PYTHONPATH=pkg)

    def missing_systems(self, workloads):
        """The selected systems this machine cannot run."""
        wanted = {s for w in workloads for s in systems_of(w, self.skip)}
        checks = {"uvloop": "import uvloop", "acore-py": "import acore"}
        missing = [s for s, code in checks.items() if s in wanted and
                   subprocess.run([PY, "-c", code], env=self.env,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode]
        io = [w for w in workloads if w["group"] == "io"]
        if io and "acore" in systems_of(io[0], self.skip) and not \
                os.path.exists(os.path.join(self.build, "bench", "bench_io")):
            missing.append("acore")  # W5: bench_io needs acore's streams
        return sorted(missing)

    def io_command(self, system, prog):
        if prog == "py_echo":
            return [PY, os.path.join(HERE, "peers", "py_echo.py"),
                    "--impl", system]
        return [os.path.join(self.build, "bench", prog)]

    def io_reps(self, w, system, n, rounds):
        """One rep of a W5 workload: the system's server, then its client,
        which prints the REP lines (the pair's CPU); the server is then
        stopped."""
        prog, workload = w["progs"][system]
        base = self.io_command(system, prog)
        srv = subprocess.Popen(base + ["--server", IO_SERVER[workload],
                                       "--port", "0"], env=self.env,
                               text=True, stdout=subprocess.PIPE)
        try:
            line = srv.stdout.readline()
            if not line.startswith("PORT "):
                sys.exit(f"runner: {prog} server said {line!r}")
            cmd = base + ["--once", workload, "--n", str(n), "--rounds",
                          str(rounds), "--port", line.split()[1],
                          "--server-pid", str(srv.pid)]
            p = self.run(cmd)
        finally:
            srv.terminate()
            srv.wait()
        return p

    def io_instructions(self, w, system, n, rounds):
        """Instructions of a W5 pair under callgrind: the server (which
        exits after this run's connections) plus the client."""
        prog, workload = w["progs"][system]
        base = self.io_command(system, prog)
        conns = rounds * (100 if workload == "W5" else 1)
        srv = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
            + base + ["--server", IO_SERVER[workload], "--port", "0",
                      "--exit-after", str(conns)],
            env=self.env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        try:
            line = srv.stdout.readline()
            if not line.startswith("PORT "):
                sys.exit(f"runner: callgrind {prog} server said {line!r}")
            client = self.instructions(
                base + ["--once", workload, "--n", str(n), "--rounds",
                        str(rounds), "--port", line.split()[1],
                        "--server-pid", str(srv.pid)])
            _, err = srv.communicate(timeout=900)
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
        m = re.search(r"Collected : (\d+)", err)
        if srv.returncode != 0 or not m:
            sys.exit(f"runner: callgrind {prog} server failed:\n{err[-2000:]}")
        return client + int(m.group(1))

    def command(self, system, prog, workload, n, rounds):
        once = ["--once", workload, "--n", str(n), "--rounds", str(rounds)]
        if system in C_SYSTEMS:
            return [os.path.join(self.build, "bench", prog)] + once
        if system == "acore-py":
            return [PY, os.path.join(HERE, "python",
                                     "acore_py_bench.py")] + once
        return [PY, os.path.join(HERE, "peers", "py_peers.py"),
                "--impl", system] + once

    def run(self, cmd, prefix=()):
        p = subprocess.run(list(prefix) + cmd, env=self.env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            sys.exit(f"runner: {' '.join(cmd)} failed ({p.returncode}):\n"
                     f"{p.stderr}")
        return p

    def reps(self, w, system, n, rounds):
        prog, workload = w["progs"][system]
        if w["group"] == "io":
            p = self.io_reps(w, system, n, rounds)
        else:
            p = self.run(self.command(system, prog, workload, n, rounds))
        lines = [json.loads(line[4:]) for line in p.stdout.splitlines()
                 if line.startswith("REP ")]
        if len(lines) != rounds:
            sys.exit(f"runner: {prog} {workload}: {len(lines)} REP lines, "
                     f"expected {rounds}:\n{p.stdout}")
        return lines

    def instructions(self, cmd):
        env = dict(self.env, PYTHONHASHSEED="0")
        p = subprocess.run(["valgrind", "--tool=callgrind",
                            "--callgrind-out-file=/dev/null"] + cmd,
                           env=env, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        m = re.search(r"Collected : (\d+)", p.stderr)
        if p.returncode != 0 or not m:
            sys.exit(f"runner: callgrind {' '.join(cmd)} failed:\n"
                     f"{p.stderr[-2000:]}")
        return int(m.group(1))


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def systems_of(w, skip):
    group = {"c": C_SYSTEMS, "py": PY_SYSTEMS, "io": IO_SYSTEMS}[w["group"]]
    return [s for s in group if s in w["progs"] and s not in skip]


def size_of(w, scale):
    """The workload's N at `scale` (W5: whole round trips for each of its
    100 connections)."""
    n = max(1, int(w["n"] * scale))
    if w["name"] == "W5":
        n = max(100, n // 100 * 100)
    return n


def timed(runner, workloads, reps, scale, log):
    """Every rep of every workload, the systems alternating; the records."""
    records = []
    for w in workloads:
        n = size_of(w, scale)
        rounds = 1 if w["mem"] else 2
        for rep in range(1, reps + 1):
            for system in systems_of(w, runner.skip):
                load = load1()
                for line in runner.reps(w, system, n, rounds):
                    records.append({
                        "group": w["group"], "workload": w["name"],
                        "system": system, "rep": rep,
                        "round": line["round"], "n": n, "unit": line["unit"],
                        "value": line["value"], "cpu": line["cpu"],
                        "heap": line.get("heap"), "load1": load,
                        "cpu_client": line.get("cpu_client"),
                        "cpu_server": line.get("cpu_server")})
            log(f"# {w['group']} {w['name']} rep {rep}/{reps} "
                f"(load {load:.2f})")
    return records


def instruction_counts(runner, which, scale, log):
    counts = []
    for group, name, n0 in INSTR:
        if group not in which:
            continue
        w = next(x for x in WORKLOADS
                 if x["group"] == group and x["name"] == name)
        n = max(1, int(n0 * scale))
        if group == "io":
            n = max(100, n // 100 * 100)
        for system in systems_of(w, runner.skip):
            if group == "io" and system not in IO_INSTR_SYSTEMS:
                continue
            prog, workload = w["progs"][system]
            if group == "io":
                i = {(r, k): runner.io_instructions(w, system, k, r)
                     for r in (1, 2) for k in (n, 2 * n)}
            else:
                i = {(r, k): runner.instructions(
                        runner.command(system, prog, workload, k, r))
                     for r in (1, 2) for k in (n, 2 * n)}
            steady = ((i[2, 2 * n] - i[1, 2 * n]) - (i[2, n] - i[1, n])) / n
            first = (i[1, 2 * n] - i[1, n]) / n
            counts.append({"group": group, "workload": name,
                           "system": system, "n": n,
                           "steady": round(steady, 1),
                           "first": round(first, 1)})
            log(f"# instructions {group} {name} {system}: "
                f"{steady:.0f} per op")
    return counts


def versions(runner):
    out = {"python": sys.version.split()[0]}
    if "uvloop" not in runner.skip:
        p = subprocess.run(
            [PY, "-c", "import uvloop; print(uvloop.__version__)"],
            text=True, stdout=subprocess.PIPE)
        out["uvloop"] = p.stdout.strip()
    p = subprocess.run(["pkg-config", "--modversion", "libuv"], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out["libuv"] = p.stdout.strip()
    p = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                       text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    out["commit"] = p.stdout.strip()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", help="build folder (RelWithDebInfo or Release)")
    ap.add_argument("--out", default="bench-results.json",
                    help="results file (default: bench-results.json)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every workload's size (and the "
                         "instruction counts' sizes) by this")
    ap.add_argument("--only", default="",
                    help="comma-separated workload names (both groups)")
    ap.add_argument("--groups", default="c,py",
                    help="comma-separated: c, py, io (W5, TCP echo: "
                         "opt-in) - default c,py")
    ap.add_argument("--skip", action="append", default=[],
                    metavar="SYSTEM", help="leave a system out")
    ap.add_argument("--instructions", default="c,py",
                    help="groups to count instructions for: c, py, io, "
                         "comma-separated (default c,py) or none")
    ap.add_argument("--instr-only", default="",
                    help="comma-separated workloads to count instructions "
                         "for (default: all: W1_batched, W2, W3, and "
                         "W2_10k, W2_1M, SEMQ_10, SEMQ_100k for scale)")
    ap.add_argument("--busy", type=float, default=0.75 * os.cpu_count(),
                    help="1-minute load above which a run is busy "
                         "(default: 0.75 x cores)")
    args = ap.parse_args()
    if args.reps < 1:
        ap.error(f"--reps {args.reps}: at least 1 rep is needed (every "
                 f"figure is a median over the reps)")
    if not args.scale > 0:
        ap.error(f"--scale {args.scale:g}: must be above 0")
    groups = set(args.groups.split(","))
    only = set(filter(None, args.only.split(",")))
    workloads = [w for w in WORKLOADS if w["group"] in groups and
                 (not only or w["name"] in only)]
    if not workloads:
        ap.error("no workload selected")
    runner = Runner(args.build, args.skip)
    missing = runner.missing_systems(workloads)
    if missing:
        ap.error(f"{', '.join(missing)}: not found (uvloop: apt-get install "
                 f"python3-uvloop; acore-py: the build folder's Python "
                 f"binding); or leave out with --skip")
    which = set() if args.instructions == "none" else \
        set(args.instructions.split(","))
    if which and shutil.which("valgrind") is None:
        ap.error("valgrind not found: pass --instructions none")
    instr_only = set(filter(None, args.instr_only.split(",")))
    if instr_only:
        global INSTR
        INSTR = [x for x in INSTR if x[1] in instr_only]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {
        "command": " ".join(["bench/run.sh"] + sys.argv[1:]),
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "reps": args.reps, "scale": args.scale,
        "busy_load": args.busy, "skipped": sorted(runner.skip),
        "sizes": {f"{w['group']}:{w['name']}": size_of(w, args.scale)
                  for w in workloads},
        "titles": {f"{w['group']}:{w['name']}": w["title"]
                   for w in workloads},
        "load_start": load1(),
    }
    meta.update(versions(runner))
    t0 = time.monotonic()
    records = timed(runner, workloads, args.reps, args.scale, log)
    counts = instruction_counts(runner, which, args.scale, log)
    meta["load_end"] = load1()
    meta["seconds"] = round(time.monotonic() - t0, 1)
    results = {"meta": meta, "records": records, "instructions": counts}
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print(report.markdown(results))
    log(f"# results in {args.out}")


if __name__ == "__main__":
    main()
