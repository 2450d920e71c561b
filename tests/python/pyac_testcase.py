# SPDX-License-Identifier: MIT
"""Shared fixture of the Python binding's tests: a fresh loop per test,
closed afterwards, and every wrapper / every Python reference held by C
checked back at zero."""

import asyncio
import gc
import socket
import unittest

import acore
from acore import _lowlevel


def live():
    gc.collect()
    return _lowlevel._live()


def unused_port():
    """A loopback TCP port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def outcome(loop_factory, fn):
    """fn(loop) run on a fresh loop (a coroutine it returns is run to its
    end): ("ok", result) or ("exc", exception type)."""
    loop = loop_factory()
    try:
        r = fn(loop)
        if asyncio.iscoroutine(r):
            r = loop.run_until_complete(r)
        return ("ok", r)
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return ("exc", type(exc))
    finally:
        loop.close()


def assert_same_outcomes(test, cases):
    """Each of cases {name: fn(loop)} ends the same on acore's loop and on
    asyncio's (one subTest per case)."""
    for name, fn in cases.items():
        with test.subTest(name):
            test.assertEqual(outcome(acore.Loop, fn),
                             outcome(asyncio.new_event_loop, fn))


# Coroutines the combinator tests share.
async def value_after(v, delay=0.0):
    await acore.sleep(delay)
    return v


async def fail_after(exc, delay=0.0):
    await acore.sleep(delay)
    raise exc


class LoopTestCase(unittest.TestCase):
    virtual_clock = False

    def setUp(self):
        self.assertEqual(live(), (0, 0), "objects left by an earlier test")
        self.loop = acore.Loop(virtual_clock=self.virtual_clock)
        self.reports = []
        self.loop.set_exception_handler(
            lambda loop, ctx: self.reports.append(ctx))

    def tearDown(self):
        self.loop.close()
        del self.loop
        self.reports = None
        self.assertEqual(live(), (0, 0), "wrappers or C-held references left")

    def run_co(self, coro):
        return self.loop.run_until_complete(coro)


class DifferentialTestCase(unittest.TestCase):
    """Each case runs on acore's loop and on asyncio's own, with a time
    bound; the outcomes must be equal. Nothing may be left alive."""
    bound = 20.0

    def setUp(self):
        self.assertEqual(live(), (0, 0), "objects left by an earlier test")

    def tearDown(self):
        self.assertEqual(live(), (0, 0), "wrappers or C-held references left")

    def each(self, main, same=True):
        """Run main(loop) (a coroutine function) on both loops; the
        outcomes must be equal (if `same`). Returns acore's."""
        out = {}
        for name, factory in (("acore", acore.Loop),
                              ("asyncio", asyncio.new_event_loop)):
            loop = factory()
            try:
                out[name] = loop.run_until_complete(
                    asyncio.wait_for(main(loop), self.bound))
            finally:
                loop.close()
        if same:
            self.assertEqual(out["acore"], out["asyncio"])
        return out["acore"]
