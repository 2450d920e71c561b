#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Mutation run: does the unit suite notice when core/ behaves wrongly?

Each mutant in mutants.txt is an exact-string replacement in one file of
core/, with the behaviour it breaks. For every mutant this script, working
in a private copy of the source tree (the checkout is never modified):
applies it, rebuilds incrementally (one build folder, reused), runs the
fast unit suite (ctest -L unit, no valgrind, short per-test timeouts),
restores the file, and records the outcome:

  killed         the suite failed (or timed out)
  survived       the suite passed: a behaviour no test checks (or an
                 equivalent mutant, explained in the list)
  not-applicable the string is missing or not unique: fix the list
  build-failure  the mutant does not compile

Usage:
  tests/mutation/run.py                  run every mutant
  tests/mutation/run.py --only 3,17      run some (numbers as printed)
  tests/mutation/run.py --check          only validate the list (fast)
See docs/internals/mutation.md.
"""
import argparse
import re
import os
import shutil
import subprocess
import sys
import tempfile
import signal
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# add_test(<name> "<program>" ...) in a CTestTestfile.cmake ([=[name]=] too).
ADD_TEST = r'add_test\((?:\[=\[)?([^\]\s"]+)(?:\]=\])? "([^"]+)"'
DEFAULT_LIST = os.path.join(HERE, "mutants.txt")

# The unit tests most likely to catch a mutant of each file: built and run
# first (a failure there is a kill, found quickly); when they pass, the
# whole unit suite runs. Files not listed use tests/test_<file>.c.
FIRST = {
    "timer": ["test_loop"], "sleep": ["test_gather"],
    "comb": ["test_gather", "test_wait", "test_timeout"],
    "timeout": ["test_timeout"], "waitq": ["test_sem", "test_lock"],
    "report": ["test_error", "test_loop"], "version": ["test_smoke"],
    "waker": ["test_executor"], "work": ["test_executor"],
    "fd": ["test_io_fd"], "signal": ["test_io_signal"],
    "process": ["test_io_process"],
}


class Mutant:
    def __init__(self, number, path, why, line):
        self.number = number
        self.path = path          # relative to the source root
        self.why = why            # the behaviour it breaks
        self.line = line          # where it starts in the list
        self.old = []
        self.new = []
        self.equivalent = None    # the reason it cannot be killed, if any

    @property
    def old_text(self):
        return "\n".join(self.old)

    @property
    def new_text(self):
        return "\n".join(self.new)


def parse(list_path):
    """Read the list. Format (see the header of mutants.txt):
    '@ core/file.c | behaviour broken' starts a mutant, then '- ' lines (the
    exact text, several lines joined by newlines), then '+ ' lines (its
    replacement; none: delete it), then optionally 'equivalent: reason'.
    '#' lines and blank lines are ignored."""
    mutants, errors = [], []
    cur = None
    with open(list_path, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith("@ "):
                head = line[2:].split(" | ", 1)
                if len(head) != 2 or not head[1].strip():
                    errors.append("%s:%d: want '@ path | behaviour'" %
                                  (list_path, n))
                    cur = None
                    continue
                cur = Mutant(len(mutants) + 1, head[0].strip(),
                             head[1].strip(), n)
                mutants.append(cur)
            elif cur is None:
                errors.append("%s:%d: text outside a mutant" % (list_path, n))
            elif line == "-" or line.startswith("- "):
                if cur.new:
                    errors.append("%s:%d: '-' after '+'" % (list_path, n))
                cur.old.append(line[2:])
            elif line == "+" or line.startswith("+ "):
                cur.new.append(line[2:])
            elif line.startswith("equivalent: "):
                cur.equivalent = line[len("equivalent: "):].strip()
            else:
                errors.append("%s:%d: unknown line" % (list_path, n))
    return mutants, errors


def check(mutants, root):
    """Problems with the list against the tree at `root` (empty: fine)."""
    problems = []
    for m in mutants:
        where = "mutant %d (line %d, %s)" % (m.number, m.line, m.path)
        if not m.old:
            problems.append("%s: no '-' text" % where)
            continue
        if m.old_text == m.new_text:
            problems.append("%s: replacement equals the original" % where)
        if not m.path.startswith("core/") or not m.path.endswith(".c"):
            problems.append("%s: not a file of core/" % where)
            continue
        try:
            with open(os.path.join(root, m.path), encoding="utf-8") as fh:
                count = fh.read().count(m.old_text)
        except OSError as e:
            problems.append("%s: %s" % (where, e.strerror))
            continue
        if count != 1:
            problems.append("%s: text found %d times, want exactly once" %
                            (where, count))
    return problems


def coverage(mutants, root):
    """Files of core/ with no mutant."""
    files = sorted(f for f in os.listdir(os.path.join(root, "core"))
                   if f.endswith(".c"))
    have = {os.path.basename(m.path) for m in mutants}
    return [f for f in files if f not in have]


def sh(cmd, cwd, timeout=None):
    """Run `cmd`; (returncode, output). A timeout counts as failure and
    ends the whole process group (a hung test program too)."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         errors="replace", start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except BaseException as e:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        if not isinstance(e, subprocess.TimeoutExpired):
            raise
        return -1, (out or "") + "\n(timed out)"


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = args.workdir or tempfile.mkdtemp(prefix="acore-mutation-")
        self.src = os.path.join(self.work, "src")
        self.build = os.path.join(self.work, "build")
        self.targets = None

    def copy_tree(self):
        """A private copy of the sources (no git data, no build folders)."""
        def ignore(d, names):
            if os.path.abspath(d) == ROOT:
                return [n for n in names if n == ".git" or n.startswith("build")]
            return [n for n in names if n == "__pycache__"]
        if os.path.isdir(self.src):
            shutil.rmtree(self.src)
        shutil.copytree(ROOT, self.src, ignore=ignore, symlinks=True)

    def configure(self):
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        rc, out = sh(["cmake", "-S", self.src, "-B", self.build] + gen + [
                      "-DCMAKE_BUILD_TYPE=Debug", "-DACORE_TESTS=ON",
                      "-DACORE_VALGRIND=OFF", "-DACORE_PYTHON=OFF",
                      "-DACORE_TEST_TIMEOUT=%d" % self.args.timeout,
                      "-DACORE_BENCH=OFF"], self.work)
        if rc != 0:
            sys.exit("configure failed:\n" + out)

    def unit_targets(self):
        """The unit test programs (ctest -L unit): all a mutant needs."""
        rc, out = sh(["ctest", "-N", "-L", "unit"], self.build)
        names = [line.split(":", 1)[1].strip() for line in out.splitlines()
                 if line.strip().startswith("Test") and "#" in line]
        if rc != 0 or not names:
            sys.exit("no unit tests found:\n" + out)
        # A test named after no target (fuzz_corpus runs fuzz_replay) needs
        # the programs its command names: build those instead.
        rc, out = sh(["cmake", "--build", self.build, "--target", "help"],
                     self.build)
        known = {line.split(":")[0].strip(". ").split()[-1]
                 for line in out.splitlines() if line.strip()}
        programs = set()
        for d, _, files in os.walk(self.build):
            if "CTestTestfile.cmake" in files:
                with open(os.path.join(d, "CTestTestfile.cmake")) as f:
                    text = f.read()
                for m in re.finditer(ADD_TEST, text):
                    if m.group(1) in names:
                        programs.add(os.path.basename(m.group(2)))
        return sorted((set(names) | programs) & known)

    def build_tree(self, targets=None):
        cmd = ["cmake", "--build", self.build, "-j%d" % self.args.jobs]
        if targets:
            cmd += ["--target"] + targets
        return sh(cmd, self.work, timeout=1800)

    def test(self, names=None, skip=None):
        """Run the unit tests (only `names`, or all but `skip`)."""
        cmd = ["ctest", "-L", "unit", "-LE", "valgrind", "--no-tests=error",
               "--stop-on-failure", "-j%d" % self.args.jobs]
        if names:
            cmd += ["-R", "^(%s)$" % "|".join(names)]
        elif skip:
            cmd += ["-E", "^(%s)$" % "|".join(skip)]
        return sh(cmd, self.build, timeout=self.args.timeout * 30 + 60)

    def first_tests(self, m):
        stem = os.path.splitext(os.path.basename(m.path))[0]
        names = FIRST.get(stem, ["test_" + stem])
        return [n for n in names if n in self.targets]

    def run_one(self, m):
        path = os.path.join(self.src, m.path)
        with open(path, encoding="utf-8") as fh:
            original = fh.read()
        if original.count(m.old_text) != 1:
            return "not-applicable"
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(original.replace(m.old_text, m.new_text))
            first = self.first_tests(m)
            if first:
                rc, out = self.build_tree(first)
                if rc != 0:
                    self.log(m, out)
                    return "build-failure"
                rc, out = self.test(names=first)
                if rc != 0:
                    self.log(m, out)
                    return "killed"
            rc, out = self.build_tree(self.targets)
            if rc != 0:
                self.log(m, out)
                return "build-failure"
            rc, out = self.test(skip=first)
            self.log(m, out)
            return "killed" if rc != 0 else "survived"
        finally:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(original)

    def log(self, m, out):
        with open(os.path.join(self.work, "mutant-%03d.log" % m.number),
                  "w", encoding="utf-8") as fh:
            fh.write(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", default=DEFAULT_LIST)
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutant applies exactly once")
    ap.add_argument("--only", help="comma-separated mutant numbers")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=60,
                    help="seconds per test (default 60)")
    ap.add_argument("--workdir", help="reuse this folder (default: a new "
                    "temporary one, kept for its logs)")
    args = ap.parse_args()
    # A stop (Ctrl-C, kill) still restores the copy's file (finally).
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    mutants, errors = parse(args.list)
    problems = errors + check(mutants, ROOT)
    if args.check:
        for p in problems:
            print(p)
        missing = coverage(mutants, ROOT)
        if missing:
            print("files of core/ without a mutant: " + ", ".join(missing))
        print("%d mutants, %d problems" % (len(mutants), len(problems)))
        return 1 if problems or missing else 0
    for p in problems:
        print("warning: " + p)
    if args.only:
        wanted = {int(x) for x in args.only.split(",")}
        mutants = [m for m in mutants if m.number in wanted]

    r = Runner(args)
    t0 = time.time()
    print("work folder: " + r.work, flush=True)
    r.copy_tree()
    r.configure()
    r.targets = r.unit_targets()
    rc, out = r.build_tree(r.targets)
    if rc != 0:
        sys.exit("the unmutated tree does not build:\n" + out)
    rc, out = r.test()
    if rc != 0:
        sys.exit("the unmutated tree fails its unit suite:\n" + out)
    print("baseline: builds, unit suite passes (%.0f s)" % (time.time() - t0),
          flush=True)

    results = {}
    for m in mutants:
        t1 = time.time()
        outcome = r.run_one(m)
        results[m.number] = outcome
        note = " (equivalent)" if outcome == "survived" and m.equivalent else ""
        print("%3d %-14s %5.0fs %s: %s%s" % (m.number, outcome,
                                             time.time() - t1, m.path, m.why,
                                             note), flush=True)
    # The copy is back to the original: leave its build consistent.
    r.build_tree(r.targets)

    counts = {}
    for o in results.values():
        counts[o] = counts.get(o, 0) + 1
    killed = counts.get("killed", 0)
    survived = [m for m in mutants if results[m.number] == "survived"]
    equivalent = [m for m in survived if m.equivalent]
    valid = killed + len(survived)
    print("\n%d mutants: %s" % (len(mutants), ", ".join(
        "%d %s" % (v, k) for k, v in sorted(counts.items()))))
    if valid:
        print("kill ratio: %d/%d = %.1f%% (%.1f%% of the non-equivalent)" % (
            killed, valid, 100.0 * killed / valid,
            100.0 * killed / max(1, valid - len(equivalent))))
    for m in survived:
        print("survived %d %s: %s%s" % (m.number, m.path, m.why,
              " - equivalent: " + m.equivalent if m.equivalent else ""))
    for m in mutants:
        if results[m.number] in ("not-applicable", "build-failure"):
            print("%s %d %s (line %d of the list)" % (
                results[m.number], m.number, m.path, m.line))
    print("time: %.0f s; logs in %s" % (time.time() - t0, r.work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
