#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_tooling.py - the benchmark tooling end to end, as a test (ctest
label "bench"): bench/runner.py at tiny sizes, every system, then
bench/report.py on its results, into a copy of docs/PERFORMANCE.md.

    test_tooling.py BUILD WORKDIR [runner options...]

Asserts that the tooling works - every process answered, every record is
complete, the page's prose is kept and its generated region replaced, a
busy run is refused for the page - and nothing about speed.
"""

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def fail(msg):
    sys.exit(f"test_tooling: {msg}")


def run(args, ok=True):
    p = subprocess.run([PY] + args, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if (p.returncode == 0) != ok:
        fail(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p.stdout


def check_records(results, skipped):
    import runner
    meta, recs = results["meta"], results["records"]
    seen = {(r["group"], r["workload"], r["system"], r["rep"], r["round"])
            for r in recs}
    for w in runner.WORKLOADS:
        if f"{w['group']}:{w['name']}" not in meta["sizes"]:
            continue  # a group the run left out (W5's io is opt-in)
        rounds = 1 if w["mem"] else 2
        for system in w["progs"]:
            for rep in range(1, meta["reps"] + 1):
                for rnd in range(1, rounds + 1):
                    key = (w["group"], w["name"], system, rep, rnd)
                    if key not in seen and system not in skipped:
                        fail(f"no record {key}")
    for r in recs:
        if not r["value"] > 0 or r["load1"] < 0:
            fail(f"bad record {r}")
        if r["unit"].startswith("bytes/") != (r["cpu"] is None):
            fail(f"CPU time where none belongs or missing: {r}")
    for c in results["instructions"]:
        if not c["steady"] > 0 or not c["first"] > 0:
            fail(f"bad instruction count {c}")


def check_doc(doc, copy, text):
    import report
    with open(doc) as f:
        before = f.read()
    with open(copy) as f:
        after = f.read()
    head, rest = before.split(report.BEGIN)
    tail = rest.split(report.END)[1]
    if not (after.startswith(head + report.BEGIN) and
            after.endswith(report.END + tail)):
        fail("the page's prose outside the generated region changed")
    if text not in after:
        fail("the generated region does not hold the tables")


def check_refused(build, work):
    """Sizes that give no figure are refused with a message, not a
    traceback (--reps 0 once crashed in min() of no records)."""
    for opt in (["--reps", "0"], ["--reps", "-1"], ["--scale", "0"]):
        p = subprocess.run([PY, os.path.join(HERE, "runner.py"), build,
                            "--out", os.path.join(work, "none.json")] + opt,
                           text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode != 2 or "Traceback" in p.stderr or \
                opt[0] not in p.stderr:
            fail(f"runner.py {' '.join(opt)}: exit {p.returncode}, "
                 f"expected a usage error naming {opt[0]}:\n{p.stderr}")
    empty = os.path.join(work, "empty.json")
    with open(empty, "w") as f:
        json.dump({"meta": {}, "records": [], "instructions": []}, f)
    p = subprocess.run([PY, os.path.join(HERE, "report.py"), empty,
                        "--print"], text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode == 0 or "Traceback" in p.stderr or \
            "no timed record" not in p.stderr:
        fail(f"report.py on a run without records: exit {p.returncode}:\n"
             f"{p.stderr}")


def main():
    build, work = sys.argv[1], sys.argv[2]
    extra = sys.argv[3:]
    sys.path.insert(0, HERE)
    os.makedirs(work, exist_ok=True)
    check_refused(build, work)
    out = os.path.join(work, "results.json")
    run([os.path.join(HERE, "runner.py"), build, "--out", out,
         "--reps", "2", "--scale", "0.005"] + extra)
    with open(out) as f:
        results = json.load(f)
    skipped = set(results["meta"]["skipped"])
    check_records(results, skipped)

    report = os.path.join(HERE, "report.py")
    text = run([report, out, "--print"])
    for system in ("acore", "libuv", "acore-py", "uvloop", "asyncio"):
        if system in skipped:
            continue
        if f"| {system} ns/op |" not in text or f"| {system} |" not in text:
            fail(f"{system} missing from the time or the memory table")
    doc = os.path.join(HERE, "..", "docs", "PERFORMANCE.md")
    copy = os.path.join(work, "PERFORMANCE.md")
    shutil.copyfile(doc, copy)
    run([report, out, "--doc", copy, "--allow-busy"])
    check_doc(doc, copy, text)
    run([report, out, "--doc", copy, "--allow-busy"])  # again: same page
    check_doc(doc, copy, text)

    for r in results["records"]:  # the same run on a busy machine
        r["load1"] = results["meta"]["busy_load"] + 1
    busy = os.path.join(work, "busy.json")
    with open(busy, "w") as f:
        json.dump(results, f)
    run([report, busy, "--doc", copy], ok=False)
    check_doc(doc, copy, text)  # refused: the page is as it was

    # builds.py: the same build as A and B, one rep: a row per workload
    table = run([os.path.join(HERE, "builds.py"), build, build,
                 "--reps", "1", "--only", "W1_batched,W2"])
    for w in ("W1_batched", "W2"):
        if f"| {w} |" not in table:
            fail(f"builds.py: no row for {w}:\n{table}")
    run([os.path.join(HERE, "builds.py"), build, build, "--only", "W9"],
        ok=False)
    print("test_tooling: ok")


if __name__ == "__main__":
    main()
