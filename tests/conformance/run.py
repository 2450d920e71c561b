# SPDX-License-Identifier: MIT
"""Differential conformance suite: every case in cases_*.py runs on acore
and on real asyncio; a case fails only if acore's trace differs from the
reference's.

    run.py [--python PY] [--python313 PY] [-v] [case names...]

acore runs under --python (default /usr/bin/python3, the binding's
interpreter, with the built package on PYTHONPATH). The references are
asyncio under the same interpreter (3.11) and asyncio 3.13 when an
interpreter for it is found (--python313, $ACORE_PYTHON313, python3.13
on PATH, or a pyenv 3.13): the reference of a case is 3.13 when it is
available, else 3.11. When 3.11 and 3.13 disagree on a case, the case
must name its target version ("3.13"); a case targeting 3.13 has no
reference without a 3.13 interpreter and is reported as "not run".

Allowed differences (allowlist.py) are deliberate: listed with the
reason, counted apart, and an entry whose case no longer differs fails
the suite so that the list stays true.

The closing line is "conformance: N passed, N failed"; the allowed
differences are counted on the line before it, apart from both.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from allowlist import ALLOWED  # noqa: E402


def find_313(given):
    for cand in (given, os.environ.get("ACORE_PYTHON313")):
        if cand:
            return cand
    found = shutil.which("python3.13")
    cands = [found] if found else []
    cands += sorted(glob.glob("/root/.pyenv/versions/3.13*/bin/python3.13"))
    for c in cands:
        try:
            subprocess.run([c, "-c", "import asyncio"], check=True,
                           capture_output=True, timeout=60)
            return c
        except (OSError, subprocess.SubprocessError):
            continue
    return None


def traces(python, impl, names, env=None):
    proc = subprocess.run(
        [python, os.path.join(HERE, "harness.py"), impl, *names],
        capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"conformance: {impl} under {python} crashed "
                         f"(exit {proc.returncode})")
    return json.loads(proc.stdout)


def show_diff(ref, got):
    n = max(len(ref), len(got))
    for i in range(n):
        r = ref[i] if i < len(ref) else "<none>"
        g = got[i] if i < len(got) else "<none>"
        mark = "  " if r == g else "!="
        print(f"      {mark} asyncio: {r}")
        if r != g:
            print(f"         acore:   {g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--python313")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()

    py313 = find_313(args.python313)
    acore = traces(args.python, "acore", args.names)
    ref311 = traces(args.python, "asyncio", args.names)
    ref313 = traces(py313, "asyncio", args.names) if py313 else None
    print(f"acore under Python {acore['python']}; references: asyncio "
          f"{ref311['python']}" + (f" and asyncio {ref313['python']} "
                                   f"({py313})" if ref313 else
                                   " (no 3.13 interpreter found)"))

    passed = failed = allowed = not_run = 0
    against = {"3.11": 0, "3.13": 0}
    agree = target313 = 0
    for name, got in acore["cases"].items():
        r11 = ref311["cases"][name]["trace"]
        r13 = ref313["cases"][name]["trace"] if ref313 else None
        target = got["target"]
        problem = None
        if r13 is not None and r11 != r13 and target != "3.13":
            problem = "3.11 and 3.13 differ and the case names no target"
            ref, ver = r13, "3.13"
        elif r13 is not None:
            ref, ver = r13, "3.13"
        elif target == "3.13":
            print(f"  not run  {name} (targets 3.13; no 3.13 interpreter)")
            not_run += 1
            continue
        else:
            ref, ver = r11, "3.11"
        against[ver] += 1
        if r13 is not None:
            if r11 == r13:
                agree += 1
            elif target == "3.13":
                target313 += 1
        differs = got["trace"] != ref
        if problem is None and name in ALLOWED:
            if differs:
                allowed += 1
                print(f"  allowed  {name}: {ALLOWED[name]}")
                continue
            problem = "listed in allowlist.py but no longer differs"
        if problem is None and differs:
            problem = f"differs from asyncio {ver}"
        if problem:
            failed += 1
            print(f"  FAIL     {name}: {problem}")
            show_diff(ref, got["trace"])
        else:
            passed += 1
            if args.v:
                print(f"  ok       {name} (asyncio {ver})")
    print(f"references: {against['3.13']} cases compared with asyncio "
          f"3.13 (asyncio 3.11 agrees on {agree}; {target313} target 3.13 "
          f"where 3.11 differs), {against['3.11']} with asyncio 3.11 alone; "
          f"not run: {not_run}")
    print(f"allowed differences (allowlist.py, not counted as passed): "
          f"{allowed}")
    print(f"conformance: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
