# SPDX-License-Identifier: MIT
"""The conformance cases' harness.

A case is an async function body(aio, t): `aio` is the module under test
(acore or asyncio), `t` a Trace that records what the program observes.
The same case runs on acore and on real asyncio; run.py compares traces.

    @case("future")
    async def result_after_set(aio, t):
        fut = aio.get_running_loop().create_future()
        fut.set_result(1)
        t("result", fut.result())

case(area, target=None): `target` names the asyncio version whose
behaviour the case checks when 3.11 and 3.13 differ ("3.13"); a case
without one must behave the same on both.
"""

import importlib
import json
import sys

CASES = []


def case(area, target=None):
    def register(fn):
        CASES.append((f"{area}.{fn.__name__}", area, target, fn))
        return fn
    return register


def describe(value):
    """A stable text for a value in a trace (no addresses)."""
    if isinstance(value, BaseException):
        return f"{type(value).__name__}{value.args!r}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(describe(v) for v in value)) + "}"
    if isinstance(value, dict):
        items = sorted((describe(k), describe(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    return f"<{type(value).__name__}>"


class Trace:
    def __init__(self):
        self.events = []

    def __call__(self, *items):
        self.events.append(" ".join(describe(i) if not isinstance(i, str)
                                    else i for i in items))

    def exc(self, label, exc):
        self(label, f"{type(exc).__name__}{exc.args!r}")

    def state(self, label, fut):
        """Record a future's state, result or exception (marks it
        retrieved, as reading it in a program would)."""
        if not fut.done():
            self(label, "pending")
        elif fut.cancelled():
            self(label, "cancelled")
        elif fut.exception() is not None:
            self(label, "failed", fut.exception())
        else:
            self(label, "result", fut.result())


def run_case(aio, fn):
    t = Trace()
    try:
        result = aio.run(fn(aio, t))
        t("returned", result)
    except BaseException as exc:  # the trace records what escaped
        t.exc("raised", exc)
    return t.events


def load_cases():
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    for name in sorted(os.listdir(here)):
        if name.startswith("cases_") and name.endswith(".py"):
            importlib.import_module(name[:-3])
    # the cases register in the module "harness" (this file may run as
    # __main__)
    return importlib.import_module("harness").CASES


def main():
    impl = sys.argv[1]  # "acore" or "asyncio"
    only = sys.argv[2:]
    aio = importlib.import_module(impl)
    import logging
    logging.disable(logging.CRITICAL)  # the default handler's log lines
    out = {}
    for name, area, target, fn in load_cases():
        if only and name not in only:
            continue
        out[name] = {"area": area, "target": target,
                     "trace": run_case(aio, fn)}
    json.dump({"python": sys.version.split()[0], "impl": impl,
               "cases": out}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
