# SPDX-License-Identifier: MIT
"""wait_for, shield, Timeout and TaskGroup on acore's futures and tasks.

Every test runs on the loop's virtual clock: the driver runs the loop until
nothing is ready or due, then moves the clock by STEP; deadlines and delays
are multiples of STEP, so the order of events never depends on real time.
"""

import gc
import inspect
import unittest
import warnings
import weakref

import acore
from acore import CancelledError
from pyac_testcase import LoopTestCase, fail_after, value_after

STEP = 0.25


async def slow_to_cancel(cleanup, log=None, result=None):
    """Sleeps; when cancelled, takes `cleanup` seconds before re-raising
    (or returning `result` when it is given)."""
    try:
        await acore.sleep(100)
    except CancelledError:
        await acore.sleep(cleanup)
        if log is not None:
            log.append(acore.get_running_loop().time())
        if result is not None:
            return result
        raise


class VirtualCase(LoopTestCase):
    virtual_clock = True

    def run_v(self, coro, limit=4000):
        """Run `coro` as a task, moving the virtual clock by STEP whenever
        the loop has nothing left to do; return its result."""
        task = self.loop.create_task(coro)
        try:
            for _ in range(limit):
                self.loop.run()
                if task.done():
                    return task.result()
                self.loop._advance(STEP)
            self.fail("the task did not finish")
        finally:
            del task

    def now(self):
        return self.loop.time()

    async def cancel_from_outside(self, body, after=1):
        """Run body(seen) as a task, cancel it after `after` seconds, check
        that the CancelledError comes out of it; return `seen`."""
        seen = []
        t = acore.create_task(body(seen))
        await acore.sleep(after)
        t.cancel()
        with self.assertRaises(CancelledError):
            await t
        return seen


class TestWaitFor(VirtualCase):
    def test_no_timeout_just_awaits_in_the_calling_task(self):
        async def inner():
            await acore.sleep(5)
            return acore.current_task()

        async def main():
            me = acore.current_task()
            self.assertIs(await acore.wait_for(inner(), None), me)
            self.assertIs(await acore.wait_for(inner(), 10), me)
            t = acore.create_task(value_after("t", 1))
            return await acore.wait_for(t, None)
        self.assertEqual(self.run_v(main()), "t")

    def test_timeout_cancels_waits_and_chains_cancelled_error(self):
        log = []

        async def main():
            inner = acore.create_task(slow_to_cancel(1, log))
            with self.assertRaises(TimeoutError) as cm:
                await acore.wait_for(inner, 2)
            # the inner finished cancelling before TimeoutError was raised
            self.assertTrue(inner.cancelled())
            self.assertEqual(log, [3.0])
            self.assertEqual(self.now(), 3.0)
            self.assertIsInstance(cm.exception.__cause__, CancelledError)
            self.assertIs(cm.exception.__context__, cm.exception.__cause__)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_coroutine_times_out_inside_the_caller(self):
        seen = []

        async def inner():
            seen.append(acore.current_task())
            try:
                await acore.sleep(100)
            finally:
                seen.append("cleanup")

        async def main():
            with self.assertRaises(TimeoutError):
                await acore.wait_for(inner(), 1)
            self.assertEqual(seen, [acore.current_task(), "cleanup"])
            await acore.sleep(5)   # no cancel left behind
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_value_returned_after_absorbing_the_cancel(self):
        async def absorbing():
            try:
                await acore.sleep(100)
            except CancelledError:
                await acore.sleep(1)
                return "late"

        async def main():
            a = await acore.wait_for(absorbing(), 1)
            t = acore.create_task(slow_to_cancel(1, result="late task"))
            b = await acore.wait_for(t, 1)
            self.assertEqual(self.now(), 4.0)
            await acore.sleep(1)
            return a, b, acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), ("late", "late task", 0))

    def test_inner_exception_and_early_result(self):
        async def main():
            err = KeyError("k")
            with self.assertRaises(KeyError) as cm:
                await acore.wait_for(fail_after(err, 1), 5)
            self.assertIs(cm.exception, err)
            v = await acore.wait_for(value_after("v", 1), 5)
            await acore.sleep(10)      # past the old deadline: no cancel
            return v, acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), ("v", 0))

    def test_outside_cancel_is_not_a_timeout(self):
        async def waiter(inner):
            return await acore.wait_for(inner, 5)

        async def main():
            inner = acore.create_task(acore.sleep(100))
            w = acore.create_task(waiter(inner))
            await acore.sleep(1)
            w.cancel()
            with self.assertRaises(CancelledError):
                await w
            self.assertTrue(inner.cancelled())
        self.run_v(main())

    def test_outside_cancel_same_turn_as_inner_result(self):
        # gh-86296: the inner completes and the waiter is cancelled in the
        # same loop turn: the cancellation wins, it is never swallowed.
        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            w = acore.create_task(acore.wait_for(f, 5))
            await acore.sleep(1)

            def both():
                f.set_result("value")
                w.cancel()
            loop.call_soon(both)
            with self.assertRaises(CancelledError):
                await w
            return f.result()
        self.assertEqual(self.run_v(main()), "value")

    def test_outside_cancel_same_turn_as_deadline(self):
        async def waiter():
            return await acore.wait_for(acore.sleep(100), 2)

        async def main():
            loop = acore.get_running_loop()
            w = acore.create_task(waiter())
            await acore.sleep(0)
            loop.call_at(loop.time() + 2, w.cancel)   # due with the deadline
            with self.assertRaises(CancelledError):
                await w
            self.assertEqual(self.now(), 2.0)
        self.run_v(main())

    def test_inner_result_same_turn_as_deadline(self):
        # The value arrives in the turn the deadline passes, before the
        # timeout callback runs: the deadline still wins (TimeoutError),
        # the future keeps its result and no cancel is left pending.
        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            loop.call_at(loop.time() + 2, f.set_result, "value")
            with self.assertRaises(TimeoutError):
                await acore.wait_for(f, 2)
            self.assertEqual(f.result(), "value")
            self.assertEqual(acore.current_task().cancelling(), 0)
            await acore.sleep(1)
            # and a task finishing at the deadline is cancelled first
            t = acore.create_task(value_after("t", 2))
            with self.assertRaises(TimeoutError):
                await acore.wait_for(t, 2)
            self.assertTrue(t.cancelled())
            await acore.sleep(1)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_timeout_zero_on_done_futures(self):
        async def main():
            loop = acore.get_running_loop()
            ok = loop.create_future()
            ok.set_result(1)
            bad = loop.create_future()
            bad.set_exception(ValueError("v"))
            self.assertEqual(await acore.wait_for(ok, 0), 1)
            with self.assertRaises(ValueError):
                await acore.wait_for(bad, -1)
            t = acore.create_task(value_after(2))
            await acore.sleep(0)
            await acore.sleep(0)
            self.assertTrue(t.done())
            return await acore.wait_for(t, 0)
        self.assertEqual(self.run_v(main()), 2)

    def test_timeout_zero_on_pending(self):
        started = []

        async def body():
            started.append(1)
            return 1

        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            with self.assertRaises(TimeoutError) as cm:
                await acore.wait_for(f, 0)
            self.assertTrue(f.cancelled())
            self.assertIsInstance(cm.exception.__cause__, CancelledError)
            with self.assertRaises(TimeoutError):
                await acore.wait_for(body(), -1)
            self.assertEqual(started, [])      # cancelled before its start
            log = []
            t = acore.create_task(slow_to_cancel(2, log))
            await acore.sleep(0)
            with self.assertRaises(TimeoutError):
                await acore.wait_for(t, 0)
            self.assertTrue(t.cancelled())     # waited for its cleanup
            self.assertEqual(log, [2.0])
            t = acore.create_task(slow_to_cancel(1, result="kept"))
            await acore.sleep(0)
            v = await acore.wait_for(t, 0)
            return v, acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), ("kept", 0))

    def test_timeout_zero_outside_cancel_while_inner_cancels(self):
        async def main():
            t = acore.create_task(slow_to_cancel(5))
            await acore.sleep(0)
            w = acore.create_task(acore.wait_for(t, 0))
            await acore.sleep(1)
            w.cancel()
            with self.assertRaises(CancelledError):
                await w
            self.assertFalse(t.done())         # still cleaning up
            with self.assertRaises(CancelledError):
                await t
        self.run_v(main())


class TestShield(VirtualCase):
    def test_done_inner_is_returned(self):
        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            f.set_result(1)
            self.assertIs(acore.shield(f), f)
            g = loop.create_future()
            g.cancel()
            self.assertIs(acore.shield(g), g)
        self.run_v(main())

    def test_outer_mirrors_inner(self):
        async def main():
            loop = acore.get_running_loop()
            out = [await acore.shield(value_after("v", 1))]
            err = KeyError("k")
            with self.assertRaises(KeyError) as cm:
                await acore.shield(fail_after(err, 1))
            self.assertIs(cm.exception, err)
            f = loop.create_future()
            outer = acore.shield(f)
            loop.call_soon(f.cancel)
            with self.assertRaises(CancelledError):
                await outer
            self.assertTrue(outer.cancelled())
            return out
        self.assertEqual(self.run_v(main()), ["v"])

    def test_coroutine_runs_in_its_own_task(self):
        async def who():
            return acore.current_task()

        async def main():
            me = acore.current_task()
            t = await acore.shield(who())
            return t is not me and isinstance(t, acore.Task)
        self.assertTrue(self.run_v(main()))

    def test_cancelling_the_waiter_leaves_inner_running(self):
        async def waiter(inner):
            return await acore.shield(inner)

        async def main():
            inner = acore.create_task(value_after("inner", 3))
            w = acore.create_task(waiter(inner))
            await acore.sleep(1)
            w.cancel()
            with self.assertRaises(CancelledError):
                await w
            self.assertFalse(inner.done())
            with self.assertRaises(TimeoutError):
                await acore.wait_for(acore.shield(inner), 1)
            return await inner
        self.assertEqual(self.run_v(main()), "inner")

    def test_outer_cancelled_then_inner_fails_no_report(self):
        async def main():
            loop = acore.get_running_loop()
            # an unreferenced failing task is reported (the control) ...
            acore.create_task(fail_after(ValueError("control"), 1))
            await acore.sleep(2)
            # ... a shielded one whose outer was cancelled is not
            outer = acore.shield(fail_after(ValueError("a"), 1))
            outer.cancel()
            # and not when both happen in the same turn either
            box = [loop.create_future()]
            outer2 = acore.shield(box[0])

            def both():
                outer2.cancel()
                box.pop().set_exception(ValueError("b"))
            loop.call_soon(both)
            await acore.sleep(2)
            return outer.cancelled() and outer2.cancelled()
        self.assertTrue(self.run_v(main()))
        gc.collect()
        self.loop.close()
        gc.collect()
        msgs = [str(r.get("exception")) for r in self.reports]
        self.assertEqual(msgs, ["control"])

    def test_unreferenced_inner_kept_alive_until_done(self):
        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            ref = weakref.ref(f)
            outer = acore.shield(f)
            del f
            gc.collect()
            self.assertIsNotNone(ref())
            ref().set_result("r")
            v = await outer
            del outer
            gc.collect()
            self.assertIsNone(ref())      # released once done
            # a cancelled outer: still kept until the inner is done
            g = loop.create_future()
            ref = weakref.ref(g)
            acore.shield(g).cancel()
            del g
            await acore.sleep(1)
            gc.collect()
            self.assertIsNotNone(ref())
            ref().set_result(1)
            await acore.sleep(1)
            gc.collect()
            self.assertIsNone(ref())
            self.assertEqual(loop._acore_shielded, set())
            return v
        self.assertEqual(self.run_v(main()), "r")

    def test_pending_inner_released_with_the_loop(self):
        # a shielded future still pending when the loop closes goes with
        # the loop (tearDown checks that nothing is left)
        async def main():
            loop = acore.get_running_loop()
            acore.shield(loop.create_future())
            acore.shield(acore.sleep(100)).cancel()
            await acore.sleep(1)
            return len(loop._acore_shielded)
        self.assertEqual(self.run_v(main()), 2)

    def test_outer_done_detaches_from_inner(self):
        async def main():
            loop = acore.get_running_loop()
            f = loop.create_future()
            outer = acore.shield(f)
            wo = weakref.ref(outer)
            outer.cancel()
            await acore.sleep(0)          # the outer's done callback runs
            del outer
            gc.collect()
            self.assertIsNone(wo())       # the inner no longer holds it
            f.set_result(1)
            await acore.sleep(0)
        self.run_v(main())


class TestTimeoutStates(VirtualCase):
    def test_states_and_reschedule_errors(self):
        async def main():
            cm = acore.timeout(10)
            self.assertEqual(repr(cm), "<Timeout [created]>")
            with self.assertRaisesRegex(RuntimeError,
                                        "Timeout has not been entered"):
                cm.reschedule(1)
            async with cm:
                self.assertEqual(repr(cm), "<Timeout [active] when=10.0>")
                self.assertFalse(cm.expired())
            self.assertEqual(repr(cm), "<Timeout [finished]>")
            with self.assertRaisesRegex(
                    RuntimeError, "Cannot change state of finished Timeout"):
                cm.reschedule(1)
            with self.assertRaisesRegex(RuntimeError,
                                        "Timeout has already been entered"):
                async with cm:
                    pass
            with self.assertRaises(TimeoutError):
                async with acore.timeout(1) as cm:
                    try:
                        await acore.sleep(10)
                    except CancelledError:
                        self.assertTrue(cm.expired())
                        self.assertEqual(repr(cm), "<Timeout [expiring]>")
                        with self.assertRaisesRegex(
                                RuntimeError,
                                "Cannot change state of expiring Timeout"):
                            cm.reschedule(None)
                        raise
            self.assertTrue(cm.expired())
            self.assertEqual(repr(cm), "<Timeout [expired]>")
            with self.assertRaisesRegex(
                    RuntimeError, "Cannot change state of expired Timeout"):
                cm.reschedule(1)
        self.run_v(main())

    def test_not_inside_a_task(self):
        errors = []

        def cb():
            coro = acore.timeout(1).__aenter__()
            try:
                coro.send(None)
            except RuntimeError as e:
                errors.append(str(e))
        self.loop.call_soon(cb)
        self.loop.run()
        self.assertEqual(errors, ["Timeout should be used inside a task"])

    def test_reschedule_none_later_and_past(self):
        async def main():
            loop = acore.get_running_loop()
            async with acore.timeout(1) as cm:
                cm.reschedule(None)
                self.assertIsNone(cm.when())
                await acore.sleep(5)          # no deadline
            self.assertFalse(cm.expired())
            async with acore.timeout(None) as cm:
                cm.reschedule(loop.time() + 10)
                self.assertEqual(cm.when(), loop.time() + 10)
                await acore.sleep(5)
                cm.reschedule(loop.time() + 10)   # pushed back
                await acore.sleep(5)
            self.assertFalse(cm.expired())
            start = loop.time()
            with self.assertRaises(TimeoutError):
                async with acore.timeout(10) as cm:
                    cm.reschedule(loop.time() - 5)   # in the past
                    await acore.sleep(10)
            self.assertEqual(loop.time(), start)     # next iteration
            with self.assertRaises(TimeoutError):
                async with acore.timeout_at(loop.time() - 1):
                    await acore.sleep(10)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_timeout_zero_and_negative(self):
        async def main():
            for d in (0, -1):
                with self.assertRaises(TimeoutError):
                    async with acore.timeout(d) as cm:
                        await acore.sleep(0)
                self.assertTrue(cm.expired())
                async with acore.timeout(d) as cm:
                    pass                        # never suspended
                self.assertFalse(cm.expired())
                with self.assertRaises(TimeoutError):
                    async with acore.timeout(d):
                        await acore.sleep(3)
            await acore.sleep(1)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_timeout_error_from_cancelled_error(self):
        async def main():
            with self.assertRaises(TimeoutError) as cm:
                async with acore.timeout(1):
                    await acore.sleep(10)
            e = cm.exception
            self.assertIsInstance(e.__cause__, CancelledError)
            self.assertIs(e.__context__, e.__cause__)
            self.assertTrue(e.__suppress_context__)
        self.run_v(main())

    def test_other_error_during_cancellation_gets_timeout_in_context(self):
        async def main():
            with self.assertRaises(ValueError) as cm:
                async with acore.timeout(1):
                    try:
                        await acore.sleep(10)
                    except CancelledError:
                        raise ValueError("cleanup failed")
            ctx = cm.exception.__context__
            self.assertIsInstance(ctx, TimeoutError)
            self.assertIsInstance(ctx.__cause__, CancelledError)
            # in an exception group, each member gets it
            with self.assertRaises(ExceptionGroup) as cm:
                async with acore.timeout(1):
                    try:
                        await acore.sleep(10)
                    except CancelledError:
                        raise ExceptionGroup("g", [KeyError(1)])
            self.assertIsInstance(cm.exception.__context__, TimeoutError)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_block_absorbing_the_cancel_ends_normally(self):
        async def main():
            async with acore.timeout(1) as cm:
                try:
                    await acore.sleep(10)
                except CancelledError:
                    pass                  # absorbed: no TimeoutError
            self.assertTrue(cm.expired())
            await acore.sleep(1)
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_own_timeout_error_passes_through(self):
        async def main():
            with self.assertRaisesRegex(TimeoutError, "mine"):
                async with acore.timeout(10) as cm:
                    raise TimeoutError("mine")
            self.assertFalse(cm.expired())
        self.run_v(main())


class TestTimeoutNesting(VirtualCase):
    def test_inner_fires_outer_untouched(self):
        async def main():
            async with acore.timeout(10) as outer:
                with self.assertRaises(TimeoutError):
                    async with acore.timeout(1) as inner:
                        await acore.sleep(5)
                self.assertTrue(inner.expired())
                await acore.sleep(1)
            self.assertFalse(outer.expired())
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_outer_fires_inner_not_blamed(self):
        async def main():
            caught_inside = []
            with self.assertRaises(TimeoutError):
                async with acore.timeout(1) as outer:
                    try:
                        async with acore.timeout(10) as inner:
                            await acore.sleep(5)
                    except TimeoutError:
                        caught_inside.append(1)
                        raise
            self.assertEqual(caught_inside, [])
            self.assertTrue(outer.expired())
            self.assertFalse(inner.expired())
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_both_fire_in_the_same_turn(self):
        async def main():
            loop = acore.get_running_loop()
            when = loop.time() + 2
            caught_inside = []
            with self.assertRaises(TimeoutError):
                async with acore.timeout_at(when) as outer:
                    try:
                        async with acore.timeout_at(when) as inner:
                            await acore.sleep(5)
                    except TimeoutError:
                        caught_inside.append(1)
                        raise
            # the outer one (the top-most affected) raised it
            self.assertEqual(caught_inside, [])
            self.assertTrue(outer.expired() and inner.expired())
            return acore.current_task().cancelling()
        self.assertEqual(self.run_v(main()), 0)

    def test_outside_cancel_not_converted(self):
        async def body(cms):
            async with acore.timeout(10) as cm:
                cms.append(cm)
                await acore.sleep(100)

        async def body_same_turn(cms):
            async with acore.timeout(2) as cm:
                cms.append(cm)
                try:
                    await acore.sleep(100)
                finally:
                    cms.append(acore.current_task().cancelling())

        async def main():
            loop = acore.get_running_loop()
            cms = await self.cancel_from_outside(body)
            self.assertFalse(cms[0].expired())
            cms = []
            t = acore.create_task(body_same_turn(cms))
            await acore.sleep(0)
            loop.call_at(loop.time() + 2, t.cancel)
            with self.assertRaises(CancelledError):
                await t
            self.assertTrue(cms[0].expired())
            self.assertEqual(cms[1], 2)   # the timeout's and the outside's
        self.run_v(main())

    def test_cancelling_count_restored_from_nonzero(self):
        async def main():
            me = acore.current_task()
            me.cancel()
            try:
                await acore.sleep(1)
            except CancelledError:
                pass                      # swallowed without uncancel
            self.assertEqual(me.cancelling(), 1)
            with self.assertRaises(TimeoutError):
                async with acore.timeout(1):
                    await acore.sleep(10)
            self.assertEqual(me.cancelling(), 1)
            me.uncancel()
            return me.cancelling()
        self.assertEqual(self.run_v(main()), 0)


class TestTaskGroupSemantics(VirtualCase):
    def test_create_task_refused_closes_coroutine(self):
        async def main():
            tg = acore.TaskGroup()
            c1 = value_after(1)
            with self.assertRaisesRegex(RuntimeError, "has not been entered"):
                tg.create_task(c1)
            c2 = value_after(2)
            with self.assertRaises(ExceptionGroup):
                async with tg:
                    tg.create_task(fail_after(ValueError("v")))
                    await acore.sleep(1)
            with self.assertRaisesRegex(RuntimeError, "is finished"):
                tg.create_task(c2)
            c3 = value_after(3)
            c4 = value_after(4)
            with self.assertRaises(ExceptionGroup):
                async with acore.TaskGroup() as tg2:
                    tg2.create_task(fail_after(ValueError("w")))
                    try:
                        await acore.sleep(1)
                    except CancelledError:
                        with self.assertRaisesRegex(RuntimeError,
                                                    "shutting down"):
                            tg2.create_task(c3)
                        raise
            for c in (c1, c2, c3):
                self.assertEqual(inspect.getcoroutinestate(c),
                                 inspect.CORO_CLOSED)
            c4.close()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            self.run_v(main())
            gc.collect()
        self.assertEqual([str(x.message) for x in w
                          if "never awaited" in str(x.message)], [])

    def test_parent_uncancelled_after_child_failure(self):
        async def main():
            me = acore.current_task()
            with self.assertRaises(ExceptionGroup) as cm:
                async with acore.TaskGroup() as tg:
                    slow = tg.create_task(acore.sleep(100))
                    tg.create_task(fail_after(KeyError("k"), 1))
                    await acore.sleep(100)    # cancelled by the group
            self.assertTrue(slow.cancelled())
            self.assertEqual(me.cancelling(), 0)
            self.assertIsNone(cm.exception.__cause__)
            self.assertTrue(cm.exception.__suppress_context__)
            await acore.sleep(1)              # nothing left to deliver
            return [type(e) for e in cm.exception.exceptions]
        self.assertEqual(self.run_v(main()), [KeyError])

    def test_errors_order_children_then_body(self):
        async def main():
            with self.assertRaises(ExceptionGroup) as cm:
                async with acore.TaskGroup() as tg:
                    tg.create_task(fail_after(KeyError("a"), 1))
                    tg.create_task(fail_after(IndexError("b"), 1))
                    tg.create_task(slow_to_cancel(1))
                    await acore.sleep(0)
                    raise ValueError("body")
            return [type(e) for e in cm.exception.exceptions]
        # the body's error cancels the children before they fail
        self.assertEqual(self.run_v(main()), [ValueError])

        async def main2():
            with self.assertRaises(ExceptionGroup) as cm:
                async with acore.TaskGroup() as tg:
                    tg.create_task(fail_after(KeyError("a"), 1))
                    tg.create_task(fail_after(IndexError("b"), 2))
                    try:
                        await acore.sleep(100)
                    except CancelledError:
                        raise ValueError("body")
            return [type(e) for e in cm.exception.exceptions]
        self.assertEqual(self.run_v(main2()), [KeyError, ValueError])

    def test_outside_cancel_propagates(self):
        async def body(kids):
            async with acore.TaskGroup() as tg:
                kids.append(tg.create_task(acore.sleep(100)))
                kids.append(tg.create_task(slow_to_cancel(1)))
            return "not reached"

        async def main():
            kids = await self.cancel_from_outside(body)
            self.assertTrue(all(k.cancelled() for k in kids))
        self.run_v(main())

    def test_outside_cancel_while_exiting_on_children(self):
        # the body is done, __aexit__ waits for the children and the parent
        # is cancelled from outside: the children are cancelled and the
        # CancelledError propagates
        async def body(kids):
            async with acore.TaskGroup() as tg:
                kids.append(tg.create_task(acore.sleep(100)))
            return "not reached"

        async def main():
            kids = await self.cancel_from_outside(body)
            self.assertTrue(kids[0].cancelled())
        self.run_v(main())

    def test_outside_cancel_with_child_error_stays_requested(self):
        async def body(log):
            me = acore.current_task()
            try:
                async with acore.TaskGroup() as tg:
                    tg.create_task(fail_after(KeyError("k"), 1))
                    tg.create_task(slow_to_cancel(3))
                    await acore.sleep(100)
            except* KeyError:
                log.append(("group", me.cancelling()))
            try:
                await acore.sleep(0)
            except CancelledError:
                log.append("cancel delivered")
                raise

        # at 2 the group is waiting for slow_to_cancel
        self.assertEqual(self.run_v(self.cancel_from_outside(body, 2)),
                         [("group", 1), "cancel delivered"])

    def test_base_error_in_body_propagates_alone(self):
        async def main():
            try:
                async with acore.TaskGroup() as tg:
                    kid = tg.create_task(acore.sleep(100))
                    await acore.sleep(0)
                    raise SystemExit(3)
            except SystemExit as e:
                return e.code, kid.cancelled()
        self.assertEqual(self.run_v(main()), (3, True))

    def test_keyboard_interrupt_in_child(self):
        async def main():
            try:
                async with acore.TaskGroup() as tg:
                    tg.create_task(fail_after(ValueError("dropped"), 1))
                    tg.create_task(fail_after(KeyboardInterrupt(), 1))
                    await acore.sleep(100)
            except KeyboardInterrupt:
                return "caught in the parent"
        t = self.loop.create_task(main())
        with self.assertRaises(KeyboardInterrupt):   # the loop stops at once
            for _ in range(20):
                self.loop.run()
                self.loop._advance(STEP)
        self.assertFalse(t.done())
        for _ in range(20):
            if t.done():
                break
            self.loop.run()
            self.loop._advance(STEP)
        # the group waited for its other child, then raised the
        # KeyboardInterrupt alone in the parent; the other error went to
        # the exception handler
        self.assertEqual(t.result(), "caught in the parent")
        del t
        msgs = [r["message"] for r in self.reports]
        self.assertEqual(len(msgs), 1, msgs)
        self.assertIn("was not propagated", msgs[0])
        self.assertEqual(str(self.reports[0]["exception"]), "dropped")

    def test_async_generator_close_with_group(self):
        async def agen(kids):
            async with acore.TaskGroup() as tg:
                kids.append(tg.create_task(acore.sleep(100)))
                yield 1

        async def main():
            kids = []
            g = agen(kids)
            self.assertEqual(await g.__anext__(), 1)
            await g.aclose()          # GeneratorExit is not wrapped
            return kids[0].cancelled()
        self.assertTrue(self.run_v(main()))

    def test_repr(self):
        async def main():
            tg = acore.TaskGroup()
            r0 = repr(tg)
            async with tg:
                tg.create_task(acore.sleep(1))
                r1 = repr(tg)
            return r0, r1
        self.assertEqual(self.run_v(main()),
                         ("<acore.TaskGroup>",
                          "<acore.TaskGroup tasks=1 entered>"))


if __name__ == "__main__":
    unittest.main()
