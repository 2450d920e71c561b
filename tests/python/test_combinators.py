# SPDX-License-Identifier: MIT
"""Combinators on the acore loop: sleep, gather, wait, wait_for, timeout,
as_completed, shield, TaskGroup."""

import asyncio
import unittest

import acore
from pyac_testcase import LoopTestCase


async def value_after(v, delay=0.0):
    await acore.sleep(delay)
    return v


async def fail_after(exc, delay=0.0):
    await acore.sleep(delay)
    raise exc


class TestCombinators(LoopTestCase):
    def test_sleep_result_and_cancel(self):
        async def main():
            r = await acore.sleep(0.001, "r")
            t = acore.create_task(acore.sleep(10))
            await acore.sleep(0)
            t.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t
            return r
        self.assertEqual(self.run_co(main()), "r")

    def test_gather_order_and_mixed_inputs(self):
        async def main():
            f = self.loop.create_future()
            self.loop.call_later(0.002, f.set_result, "f")
            t = acore.create_task(value_after("t", 0.001))
            return await acore.gather(value_after("c", 0.003), t, f)
        self.assertEqual(self.run_co(main()), ["c", "t", "f"])

    def test_gather_empty_and_same_coroutine(self):
        async def main():
            self.assertEqual(await acore.gather(), [])
            c = value_after(1)
            return await acore.gather(c, c)
        self.assertEqual(self.run_co(main()), [1, 1])

    def test_gather_first_exception_others_keep_running(self):
        async def main():
            slow = acore.create_task(value_after("slow", 0.005))
            err = KeyError("first")
            with self.assertRaises(KeyError) as cm:
                await acore.gather(fail_after(err), slow)
            self.assertIs(cm.exception, err)
            self.assertFalse(slow.done())
            return await slow
        self.assertEqual(self.run_co(main()), "slow")

    def test_gather_return_exceptions(self):
        async def main():
            cancelled = acore.create_task(acore.sleep(10))
            self.loop.call_soon(cancelled.cancel)
            return await acore.gather(value_after(1), fail_after(ValueError()),
                                      cancelled, return_exceptions=True)
        r = self.run_co(main())
        self.assertEqual(r[0], 1)
        self.assertIsInstance(r[1], ValueError)
        self.assertIsInstance(r[2], asyncio.CancelledError)

    def test_gather_cancel_cancels_children(self):
        async def main():
            kids = [acore.create_task(acore.sleep(10)) for _ in range(3)]
            g = acore.gather(*kids)
            await acore.sleep(0)
            self.assertTrue(g.cancel())
            with self.assertRaises(asyncio.CancelledError):
                await g
            return [k.cancelled() for k in kids]
        self.assertEqual(self.run_co(main()), [True] * 3)

    def test_wait_first_completed_and_timeout(self):
        async def main():
            a = acore.create_task(value_after("a", 0.001))
            b = acore.create_task(value_after("b", 10))
            done, pending = await acore.wait(
                [a, b], return_when=acore.FIRST_COMPLETED)
            self.assertEqual((done, pending), ({a}, {b}))
            done, pending = await acore.wait([b], timeout=0.001)
            self.assertEqual((done, pending), (set(), {b}))
            b.cancel()
            done, pending = await acore.wait([b])
            return b.cancelled()
        self.assertTrue(self.run_co(main()))

    def test_wait_for_timeout_cancels_inner(self):
        async def main():
            inner = acore.create_task(acore.sleep(10))
            with self.assertRaises(TimeoutError):
                await acore.wait_for(inner, 0.001)
            self.assertTrue(inner.cancelled())
            return await acore.wait_for(value_after(5), 1)
        self.assertEqual(self.run_co(main()), 5)

    def test_timeout_context_manager(self):
        async def main():
            with self.assertRaises(TimeoutError):
                async with acore.timeout(0.001) as cm:
                    await acore.sleep(10)
            self.assertTrue(cm.expired())
            async with acore.timeout(None) as cm2:
                cm2.reschedule(self.loop.time() + 10)
                await acore.sleep(0)
            self.assertFalse(cm2.expired())
            return acore.current_task().cancelling()
        self.assertEqual(self.run_co(main()), 0)

    def test_timeout_outside_cancel_not_swallowed(self):
        async def inner():
            async with acore.timeout(10):
                await acore.sleep(10)

        async def main():
            t = acore.create_task(inner())
            await acore.sleep(0)
            t.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t
        self.run_co(main())

    def test_as_completed_order(self):
        async def main():
            aws = [value_after(3, 0.003), value_after(1, 0.001),
                   value_after(2, 0.002)]
            return [await f for f in acore.as_completed(aws)]
        self.assertEqual(self.run_co(main()), [1, 2, 3])

    def test_shield_keeps_inner_running(self):
        async def main():
            inner = acore.create_task(value_after("inner", 0.002))
            outer = acore.shield(inner)
            outer.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await outer
            return await inner
        self.assertEqual(self.run_co(main()), "inner")

    def test_taskgroup_success_and_failure(self):
        async def main():
            async with acore.TaskGroup() as tg:
                a = tg.create_task(value_after(1))
                b = tg.create_task(value_after(2, 0.001))
            self.assertEqual((a.result(), b.result()), (1, 2))
            slow = None
            with self.assertRaises(ExceptionGroup) as cm:
                async with acore.TaskGroup() as tg:
                    slow = tg.create_task(acore.sleep(10))
                    tg.create_task(fail_after(ValueError("x"), 0.001))
            self.assertTrue(slow.cancelled())
            self.assertIsInstance(cm.exception.exceptions[0], ValueError)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_co(main()), 0)


if __name__ == "__main__":
    unittest.main()
