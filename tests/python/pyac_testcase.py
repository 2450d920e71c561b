# SPDX-License-Identifier: MIT
"""Shared fixture of the Python binding's tests: a fresh loop per test,
closed afterwards, and every wrapper / every Python reference held by C
checked back at zero."""

import gc
import unittest

import acore
from acore import _lowlevel


def live():
    gc.collect()
    return _lowlevel._live()


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
