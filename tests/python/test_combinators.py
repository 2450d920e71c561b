# SPDX-License-Identifier: MIT
"""Combinators on the acore loop: sleep, gather, wait, wait_for, timeout,
as_completed, shield, TaskGroup."""

import asyncio
import unittest

import acore
from pyac_testcase import LoopTestCase, fail_after, value_after


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

    def test_sleep_zero_is_one_turn_and_a_coroutine(self):
        # sleep(0) is a C awaitable (no object for the collector to track)
        # that behaves as asyncio's coroutine: one loop turn, None, usable
        # as a task's coroutine, cancellable, awaited once
        order = []

        async def main():
            self.loop.call_soon(order.append, "soon")
            r = await acore.sleep(0)
            order.append("resumed")
            s = acore.sleep(0)
            self.assertTrue(asyncio.iscoroutine(s))
            self.assertTrue(asyncio.iscoroutinefunction(acore.sleep))
            t = self.loop.create_task(s)
            self.assertIsNone(await t)
            with self.assertRaisesRegex(RuntimeError, "reuse"):
                await s

            async def sleeper():
                await acore.sleep(0)
                return "never"
            c = self.loop.create_task(sleeper())
            await acore.sleep(0)       # c now waits in sleep(0)
            c.cancel("stop")
            with self.assertRaises(asyncio.CancelledError):
                await c
            return r, await acore.sleep(0.0), await acore.sleep(-1)
        self.assertEqual(self.run_co(main()), (None, None, None))
        self.assertEqual(order, ["soon", "resumed"])

    def test_sleep_zero_throw_send_close(self):
        s = acore.sleep(0)
        self.assertIsNone(s.send(None))           # yields once
        with self.assertRaises(StopIteration):
            s.send(None)                           # then returns None
        s = acore.sleep(0)
        s.send(None)
        with self.assertRaises(KeyError):
            s.throw(KeyError("k"))                 # raised where it yields
        s = acore.sleep(0)
        with self.assertRaises(ValueError):
            s.throw(ValueError, "v")
        s = acore.sleep(0)
        self.assertIsNone(s.close())
        with self.assertRaises(RuntimeError):
            next(s.__await__())
        with self.assertRaises(TypeError):
            acore.sleep(0).throw(1)

    def test_sleep_bad_delay_raises_when_awaited(self):
        async def main():
            s = acore.sleep("x")                   # as asyncio: not yet
            with self.assertRaises(TypeError):
                await s
            return await acore.sleep(False, "r")   # a bool: the coroutine
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

    def test_gather_bad_input_and_awaitables(self):
        # Not awaitable: TypeError; an object with __await__ is wrapped in
        # a task; coroutines alone need a running loop.
        class Awaitable:
            def __await__(self):
                return (yield from acore.sleep(0, "a").__await__())

        async def main():
            with self.assertRaises(TypeError):
                acore.gather(42)
            return await acore.gather(Awaitable(), value_after("c"))
        self.assertEqual(self.run_co(main()), ["a", "c"])
        c = value_after(1)
        with self.assertRaises(RuntimeError):
            acore.gather(c)
        c.close()

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


class TestWaitC(LoopTestCase):
    """acore.wait on acore_wait: asyncio's argument checks, result sets of
    the original objects, FIRST_EXCEPTION, cancellation, fallback."""
    virtual_clock = False

    def test_wait_runs_in_c(self):
        calls = []
        real = acore.Loop._wait

        def spy(loop, *a):
            calls.append(len(a[0]))
            return real(loop, *a)

        async def main():
            fs = [acore.create_task(value_after(i)) for i in range(3)]
            done, pending = await acore.wait(fs)
            return done == set(fs) and not pending
        acore.Loop._wait = spy
        try:
            self.assertTrue(self.run_co(main()))
        finally:
            acore.Loop._wait = real
        self.assertEqual(calls, [3])

    def test_wait_argument_errors_match_asyncio(self):
        async def main():
            fut = acore.get_running_loop().create_future()
            with self.assertRaises(TypeError):
                await acore.wait(fut)
            coro = value_after(1)
            with self.assertRaises(TypeError):
                await acore.wait(coro)
            with self.assertRaises(TypeError):
                await acore.wait([coro])
            coro.close()
            with self.assertRaises(ValueError):
                await acore.wait([])
            with self.assertRaises(ValueError):
                await acore.wait([fut], return_when="sometime")
            fut.cancel()
        self.run_co(main())

    def test_wait_all_completed_dedupes_and_keeps_objects(self):
        async def main():
            loop = acore.get_running_loop()
            a = loop.create_future()
            b = acore.create_task(value_after("b"))
            loop.call_soon(a.set_result, "a")
            done, pending = await acore.wait(iter([a, b, a]))
            self.assertEqual(pending, set())
            self.assertEqual(done, {a, b})
            return sorted(f.result() for f in done)
        self.assertEqual(self.run_co(main()), ["a", "b"])

    def test_wait_first_exception(self):
        async def main():
            ok = acore.create_task(value_after(1))
            bad = acore.create_task(fail_after(KeyError("k"), 0.001))
            slow = acore.create_task(value_after(2, 10))
            done, pending = await acore.wait(
                [ok, bad, slow], return_when=acore.FIRST_EXCEPTION)
            self.assertEqual(done, {ok, bad})
            self.assertEqual(pending, {slow})
            slow.cancel()
            c = acore.create_task(value_after(3, 10))
            c.cancel()                  # a cancellation is not an error
            done, pending = await acore.wait(
                [c, ok], return_when=acore.FIRST_EXCEPTION)
            return done == {c, ok} and not pending
        self.assertTrue(self.run_co(main()))
        self.assertEqual(self.reports, [])  # bad's error counts as seen

    def test_wait_cancelled_leaves_futures_alone(self):
        async def main():
            inner = acore.create_task(value_after("x", 0.002))
            w = acore.create_task(acore.wait([inner]))
            await acore.sleep(0)
            w.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await w
            self.assertFalse(inner.cancelled())
            return await inner
        self.assertEqual(self.run_co(main()), "x")

    def test_wait_timeout_zero_and_negative(self):
        async def main():
            t = acore.create_task(value_after(1, 10))
            for tmo in (0, -1):
                done, pending = await acore.wait([t], timeout=tmo)
                self.assertEqual((done, pending), (set(), {t}))
            t.cancel()
        self.run_co(main())

    def test_wait_foreign_future_falls_back(self):
        class Foreign:
            """A future-like object that is no acore future."""
            _asyncio_future_blocking = False

            def __init__(self, loop):
                self._f = loop.create_future()

            def add_done_callback(self, fn, *, context=None):
                self._f.add_done_callback(lambda _: fn(self))

            def remove_done_callback(self, fn):
                return 0

            def done(self):
                return self._f.done()

        async def main():
            loop = acore.get_running_loop()
            f = Foreign(loop)
            loop.call_soon(f._f.set_result, 1)
            done, pending = await acore.wait([f])
            return done == {f} and not pending
        self.assertTrue(self.run_co(main()))

    def test_wait_leaves_no_references(self):
        async def main():
            for _ in range(200):
                a = acore.create_task(value_after(1))
                b = acore.create_task(value_after(2, 10))
                await acore.wait([a, b], return_when=acore.FIRST_COMPLETED)
                b.cancel()
                await acore.wait([b])
        self.run_co(main())


class TestAsCompletedC(LoopTestCase):
    """acore.as_completed on acore_as_completed."""

    def test_as_completed_runs_in_c_in_completion_order(self):
        calls = []
        real = acore.Loop._as_completed

        def spy(loop, *a):
            calls.append(len(a[0]))
            return real(loop, *a)

        async def main():
            fs = [value_after("slow", 0.003), value_after("fast", 0),
                  acore.create_task(value_after("mid", 0.001))]
            return [await f for f in acore.as_completed(fs)]
        acore.Loop._as_completed = spy
        try:
            self.assertEqual(self.run_co(main()), ["fast", "mid", "slow"])
        finally:
            acore.Loop._as_completed = real
        self.assertEqual(calls, [3])

    def test_as_completed_errors_and_type_check(self):
        async def main():
            fut = acore.get_running_loop().create_future()
            with self.assertRaises(TypeError):  # at the call (3.13)
                acore.as_completed(fut)
            fut.cancel()
            self.assertEqual(list(acore.as_completed([])), [])
            out = []
            for aw in acore.as_completed(
                    [fail_after(KeyError("k")), value_after(1, 0.001)]):
                try:
                    out.append(await aw)
                except KeyError:
                    out.append("KeyError")
            return out
        self.assertEqual(self.run_co(main()), ["KeyError", 1])

    def test_as_completed_timeout(self):
        async def main():
            slow = acore.create_task(value_after("s", 10))
            fast = acore.create_task(value_after("f"))
            got = []
            # fast needs two loop turns before the timeout: 50 ms leaves a
            # loaded machine (ASan, other builds) room for them
            for aw in acore.as_completed([slow, fast], timeout=0.05):
                try:
                    got.append(await aw)
                except TimeoutError:
                    got.append("timeout")
            self.assertFalse(slow.cancelled())   # nothing is cancelled
            slow.cancel()
            return got
        self.assertEqual(self.run_co(main()), ["f", "timeout"])
        self.assertEqual(self.reports, [])

    def test_as_completed_awaited_concurrently(self):
        async def main():
            fs = [value_after(i, 0.001 * (3 - i)) for i in range(3)]
            aws = list(acore.as_completed(fs))
            return await acore.gather(*aws)
        self.assertEqual(self.run_co(main()), [2, 1, 0])

    def test_as_completed_cancelled_awaiter_loses_nothing(self):
        async def main():
            loop = acore.get_running_loop()
            a, b = loop.create_future(), loop.create_future()
            it = acore.as_completed([a, b])
            first = acore.create_task(next(it))
            await acore.sleep(0)
            first.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await first
            a.set_result("a")
            b.set_result("b")
            # as in asyncio, the cancelled awaitable used up one of the
            # two; the next one still gets the first completion
            return [await aw for aw in it]
        self.assertEqual(self.run_co(main()), ["a"])

    def test_as_completed_abandoned_leaves_nothing(self):
        async def main():
            ts = [acore.create_task(value_after(i)) for i in range(5)]
            it = acore.as_completed(ts, timeout=1)
            await next(it)
            del it
            await acore.gather(*ts)
        self.run_co(main())



class TestLowLevelArguments(LoopTestCase):
    """The loop's C entry points of the combinators refuse what is not an
    acore future (of this loop) before doing anything."""

    def test_lowlevel_combinators_refuse_non_futures(self):
        other = acore.Loop()
        try:
            foreign = other.create_future()
            fut = self.loop.create_future()
            with self.assertRaises(TypeError):
                self.loop._gather((fut, object()), False)
            with self.assertRaises(TypeError):
                self.loop._as_completed((fut, foreign), None)
            self.assertIsNone(self.loop._wait([fut, foreign], 0))
            self.assertIsNone(self.loop._wait([object()], 0))
            with self.assertRaises(TypeError):
                self.loop._as_completed_next(object())
            with self.assertRaises(TypeError):
                self.loop._as_completed_pick(None)
            with self.assertRaises(TypeError):
                self.loop._run(object())
            self.assertFalse(fut.done())
            del foreign, fut
        finally:
            other.close()


if __name__ == "__main__":
    unittest.main()
