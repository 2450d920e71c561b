# SPDX-License-Identifier: MIT
"""cpython_asyncio.py - run CPython's own asyncio tests on an event loop
policy and print, per module, how many tests ran, passed, failed, erred and
were skipped.

    python3 cpython_asyncio.py [--policy acore|uvloop|asyncio]
                               [--expect FILE] [--timeout S] [MODULE...]

The tests come from Debian's libpython3.11-testsuite (`test.test_asyncio`)
and are run unchanged: the policy is installed before each module is
imported, nothing is skipped or patched. Each module runs in its own
interpreter (a hang or a crash costs that module only). The I/O modules'
epoll test classes (and test_server's selector one) also run as
<class>OnPolicy with their loop factory returning the policy's loop (their
own classes test asyncio's selector loops whatever the policy), so their
tests reach the loop under test.

--expect FILE lists, one per line, the tests (unittest ids) that are known
to fail on this policy, each with its reason after a `#`; the run fails
when a test not listed fails, or when a listed test passes (the list must
shrink as the loop improves). Without --expect, the exit status is 0 when
every test passed.
"""

import argparse
import json
import os
import subprocess
import sys
import time

MODULES = ["test_locks", "test_queues", "test_timeouts", "test_waitfor",
           "test_taskgroups", "test_runners", "test_pep492", "test_context",
           "test_tasks", "test_streams", "test_server", "test_sock_lowlevel",
           "test_sendfile", "test_subprocess", "test_events"]

CHILD = r"""
import asyncio, json, sys, unittest
policy = sys.argv[1]
if policy == "acore":
    import acore
    acore.install()
elif policy == "uvloop":
    import uvloop
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
mod = __import__("test.test_asyncio." + sys.argv[2], fromlist=["x"])
suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
# The I/O modules test loops made by create_event_loop() (asyncio's own
# selector loops, whatever the policy): each epoll test class also runs as
# <class>OnPolicy, unchanged but for create_event_loop() returning the
# policy's new loop, so its tests run on the loop under test.
new_loop = asyncio.get_event_loop_policy().new_event_loop  # a test may
# reset the policy: the variants keep the one installed here
FACTORIES = {"EPollEventLoopTests": "create_event_loop",
             "SelectorStartServerTests": "new_loop"}
for name, cls in sorted(vars(mod).items()):
    if name in FACTORIES and isinstance(cls, type) and \
            issubclass(cls, unittest.TestCase):
        variant = type(name + "OnPolicy", (cls,), {
            FACTORIES[name]: lambda self: new_loop(),
            "__module__": mod.__name__, "__qualname__": name + "OnPolicy"})
        suite.addTests(
            unittest.defaultTestLoader.loadTestsFromTestCase(variant))

class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = []
    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed.append(test.id())

runner = unittest.TextTestRunner(stream=sys.stderr, verbosity=0,
                                 resultclass=Result)
res = runner.run(suite)
out = {"ran": res.testsRun, "passed": res.passed,
       "failed": [t.id() for t, _ in res.failures] +
                 [t.id() for t in res.unexpectedSuccesses],
       "errors": [t.id() for t, _ in res.errors],
       "skipped": [t.id() for t, _ in res.skipped]}
print("@@RESULT@@" + json.dumps(out))
"""


def run_module(python, policy, module, timeout, env):
    t0 = time.monotonic()
    try:
        p = subprocess.run([python, "-c", CHILD, policy, module],
                           capture_output=True, text=True, timeout=timeout,
                           env=env)
    except subprocess.TimeoutExpired as e:
        err = e.stderr or ""
        if isinstance(err, bytes):  # TimeoutExpired keeps bytes
            err = err.decode(errors="replace")
        return None, f"timed out after {timeout} s", time.monotonic() - t0, \
            err
    for line in p.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            return json.loads(line[10:]), None, time.monotonic() - t0, p.stderr
    return None, f"exit status {p.returncode}", time.monotonic() - t0, \
        p.stderr


def read_expect(path):
    known = {}
    with open(path) as f:
        for line in f:
            test, _, why = line.partition("#")
            test = test.strip()
            if test:
                known[test] = why.strip()
    return known


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policy", default="acore",
                    choices=["acore", "uvloop", "asyncio"])
    ap.add_argument("--expect")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("modules", nargs="*", default=MODULES)
    a = ap.parse_args()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    known = read_expect(a.expect) if a.expect else None
    bad = []
    totals = [0, 0, 0, 0, 0]
    print(f"CPython test_asyncio on the {a.policy} policy "
          f"({a.python}):")
    print(f"{'module':18} {'ran':>5} {'passed':>6} {'failed':>6} "
          f"{'errors':>6} {'skipped':>7}  time")
    for m in a.modules:
        res, why, secs, err = run_module(a.python, a.policy, m, a.timeout, env)
        if res is None:
            print(f"{m:18} {why}")
            bad.append(f"{m}: {why}")
            sys.stdout.write(err[-3000:])
            continue
        row = [res["ran"], len(res["passed"]), len(res["failed"]),
               len(res["errors"]), len(res["skipped"])]
        totals = [x + y for x, y in zip(totals, row)]
        print(f"{m:18} {row[0]:5} {row[1]:6} {row[2]:6} {row[3]:6} "
              f"{row[4]:7}  {secs:.1f} s")
        failing = res["failed"] + res["errors"]
        if a.verbose and failing:
            sys.stdout.write(err[-20000:])
        if known is not None:
            for t in failing:
                if t not in known:
                    bad.append(f"{t}: fails and is not in {a.expect}")
            for t in res["passed"]:
                if t in known:
                    bad.append(f"{t}: passes but {a.expect} lists it "
                               "(remove the line)")
        else:
            bad += [f"{t}: fails" for t in failing]
    print(f"{'total':18} {totals[0]:5} {totals[1]:6} {totals[2]:6} "
          f"{totals[3]:6} {totals[4]:7}")
    for b in bad:
        print("  " + b)
    print(f"cpython_asyncio: {totals[1]} of {totals[0]} passed, "
          f"{len(bad)} unexpected")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
