# SPDX-License-Identifier: MIT
"""acore.Task: coroutines as acore tasks - results, exceptions,
cancellation, names, context, introspection, reports."""

import asyncio
import contextvars
import gc
import sys
import types
import unittest

import acore
from pyac_testcase import LoopTestCase


class TestTask(LoopTestCase):
    def test_task_runs_later_and_returns(self):
        out = []

        async def child(x):
            out.append(x)
            return x * 2
        t = self.loop.create_task(child(4))
        self.assertEqual(out, [])            # not inside create_task
        self.assertIsInstance(t, acore.Future)
        self.assertEqual(self.run_co(t), 8)
        self.assertEqual(t.result(), 8)

    def test_task_result_objects_identity(self):
        obj = {"k": 1}

        async def child():
            return obj
        self.assertIs(self.run_co(child()), obj)

    def test_task_awaits_task_and_coroutine(self):
        async def leaf(i):
            await acore.sleep(0)
            return i

        async def mid():
            t = acore.create_task(leaf(1))
            return await t + await leaf(2)
        self.assertEqual(self.run_co(mid()), 3)

    def test_task_exception_original_object_and_traceback(self):
        err = ValueError("bad")

        async def child():
            await acore.sleep(0)
            raise err

        async def main():
            t = acore.create_task(child())
            try:
                await t
            except ValueError as e:
                return e, t.exception()
        e, e2 = self.run_co(main())
        self.assertIs(e, err)
        self.assertIs(e2, err)
        names = []
        tb = e.__traceback__
        while tb:
            names.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
        self.assertIn("child", names)

    def test_task_cancel_outside_while_waiting(self):
        cleanup = []

        async def child():
            try:
                await self.loop.create_future()
            except asyncio.CancelledError as e:
                cleanup.append(e.args)
                raise

        async def main():
            t = acore.create_task(child())
            await acore.sleep(0)
            self.assertTrue(t.cancel("stop it"))
            self.assertEqual(t.cancelling(), 1)
            with self.assertRaises(asyncio.CancelledError):
                await t
            return t
        t = self.run_co(main())
        self.assertTrue(t.cancelled())
        self.assertEqual(cleanup, [("stop it",)])
        self.assertFalse(t.cancel())

    def test_task_cancel_before_first_step(self):
        ran = []

        async def child():
            ran.append(1)

        async def main():
            t = acore.create_task(child())
            t.cancel()
            try:
                await t
            except asyncio.CancelledError:
                return "cancelled"
        self.assertEqual(self.run_co(main()), "cancelled")
        self.assertEqual(ran, [])

    def test_task_cancel_inside_self(self):
        async def child():
            acore.current_task().cancel()
            await acore.sleep(0)
            return "not reached"

        t = self.loop.create_task(child())
        with self.assertRaises(asyncio.CancelledError):
            self.run_co(t)

    def test_task_cancel_declined_with_uncancel(self):
        async def child():
            try:
                await acore.sleep(10)
            except asyncio.CancelledError:
                acore.current_task().uncancel()
            return "survived"

        async def main():
            t = acore.create_task(child())
            await acore.sleep(0)
            t.cancel()
            return await t
        self.assertEqual(self.run_co(main()), "survived")

    def test_task_cancel_cleanup_awaits(self):
        async def child():
            try:
                await acore.sleep(10)
            except asyncio.CancelledError:
                await acore.sleep(0.001)     # clean-up over more steps
                return "cleaned"

        async def main():
            t = acore.create_task(child())
            await acore.sleep(0)
            t.cancel()
            return await t
        self.assertEqual(self.run_co(main()), "cleaned")

    def test_task_cancel_caught_goes_on(self):
        # Catching CancelledError (no uncancel) handles it: the coroutine
        # goes on awaiting over several steps and returns.
        async def child():
            try:
                await acore.sleep(10)
            except asyncio.CancelledError:
                pass
            for _ in range(3):
                await acore.sleep(0)
            return "went on"

        async def main():
            t = acore.create_task(child())
            await acore.sleep(0)
            t.cancel()
            r = await t
            return r, t.cancelling()
        self.assertEqual(self.run_co(main()), ("went on", 1))

    def test_task_cancel_uncaught_ends_cancelled(self):
        steps = []

        async def child():
            await acore.sleep(10)
            steps.append("after")
            await acore.sleep(10)

        async def main():
            t = acore.create_task(child())
            await acore.sleep(0)
            t.cancel("bye")
            try:
                await t
            except asyncio.CancelledError as e:
                return e.args, t.cancelled()
        self.assertEqual(self.run_co(main()), (("bye",), True))
        self.assertEqual(steps, [])

    def _cancelled_twice(self, make_child, wait_first):
        async def main():
            t = acore.create_task(make_child())
            if wait_first:
                for _ in range(2):
                    await acore.sleep(0)
            t.cancel("a")
            t.cancel("b")
            try:
                await t
            except asyncio.CancelledError as e:
                return e.args
        return self.run_co(main())

    def test_task_cancelled_twice_message(self):
        # asyncio 3.13 (and 3.11): awaiting, the first message (the awaited
        # future was cancelled with it); not started yet, the last.
        async def waits():
            await self.loop.create_future()

        async def waits_task():
            await acore.create_task(waits())
        self.assertEqual(self._cancelled_twice(waits, True), ("a",))
        self.assertEqual(self._cancelled_twice(waits_task, True), ("a",))
        self.assertEqual(self._cancelled_twice(waits, False), ("b",))

    def test_task_awaited_future_cancelled_raises_inside(self):
        f = self.loop.create_future()

        async def child():
            try:
                await f
            except asyncio.CancelledError as e:
                return ("caught", e.args)
        t = self.loop.create_task(child())
        self.loop.call_soon(f.cancel, "m")
        self.assertEqual(self.run_co(t), ("caught", ("m",)))

    def test_task_names_and_ids(self):
        async def child():
            return acore.current_task().get_name()
        t = self.loop.create_task(child(), name="worker-1")
        self.assertEqual(t.get_name(), "worker-1")
        self.assertEqual(self.run_co(t), "worker-1")
        t2 = self.loop.create_task(child())
        self.assertTrue(t2.get_name().startswith("Task-"))
        t2.set_name("renamed")
        self.assertEqual(self.run_co(t2), "renamed")
        self.assertIn("renamed", repr(t2))

    def test_task_contextvars_copied_at_creation(self):
        var = contextvars.ContextVar("v", default="none")

        async def child():
            before = var.get()
            var.set("child")
            await acore.sleep(0)
            return before, var.get()

        async def main():
            var.set("main")
            t = acore.create_task(child())
            r = await t
            return r, var.get()
        self.assertEqual(self.run_co(main()),
                         (("main", "child"), "main"))

    def test_task_bad_yield_raises_runtime_error(self):
        @types.coroutine
        def bad():
            yield 42

        async def child():
            await bad()
        with self.assertRaises(RuntimeError) as cm:
            self.run_co(child())
        self.assertIn("bad yield", str(cm.exception))

    def test_task_await_future_of_other_loop(self):
        with acore.Loop() as other:
            f = other.create_future()

            async def child():
                await f
            with self.assertRaises(RuntimeError):
                self.run_co(child())
            f.cancel()
            del f

    def test_task_asyncio_sleep_and_create_task_compat(self):
        async def child():
            await asyncio.sleep(0)
            await asyncio.sleep(0.001)
            return 1

        async def main():
            t = asyncio.create_task(child())
            self.assertIsInstance(t, acore.Task)
            return await t + await asyncio.ensure_future(child())
        self.assertEqual(self.run_co(main()), 2)

    def test_task_not_a_coroutine(self):
        with self.assertRaises(TypeError):
            self.loop.create_task(lambda: None)

    def test_task_all_tasks_and_current(self):
        async def waiter():
            await acore.sleep(0.001)

        async def main():
            ts = [acore.create_task(waiter()) for _ in range(3)]
            every = acore.all_tasks()
            self.assertIn(acore.current_task(), every)
            self.assertTrue(set(ts) <= every)
            await acore.gather(*ts)
            return len(acore.all_tasks())
        self.assertEqual(self.run_co(main()), 1)
        self.assertIsNone(acore.current_task())

    def test_task_fire_and_forget_kept_alive(self):
        out = []

        async def bg():
            await acore.sleep(0.001)
            out.append("done")

        async def main():
            acore.create_task(bg())          # no reference kept
            gc.collect()
            await acore.sleep(0.01)
        self.run_co(main())
        self.assertEqual(out, ["done"])

    def test_task_unretrieved_exception_reported(self):
        async def bg():
            raise KeyError("lost")

        async def main():
            acore.create_task(bg())
            await acore.sleep(0.001)
        self.run_co(main())
        gc.collect()
        msgs = [r for r in self.reports
                if "never retrieved" in r["message"]]
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["message"],
                         "Task exception was never retrieved")
        self.assertIsInstance(msgs[0]["exception"], KeyError)

    def test_task_retrieved_exception_not_reported(self):
        async def bg():
            raise KeyError("seen")

        async def main():
            t = acore.create_task(bg())
            await acore.sleep(0.001)
            self.assertIsInstance(t.exception(), KeyError)
        self.run_co(main())
        gc.collect()
        self.assertEqual(self.reports, [])

    def test_task_pending_at_close_is_released(self):
        class Marker:
            pass
        m = Marker()
        base = sys.getrefcount(m)

        async def stuck(x):
            await self.loop.create_future()
        t = self.loop.create_task(stuck(m))
        self.loop.call_soon(self.loop.stop)
        self.loop.run_forever()
        self.assertGreater(sys.getrefcount(m), base)
        self.loop.close()
        self.assertTrue(t.cancelled())
        self.assertEqual(sys.getrefcount(m), base)   # coroutine released
        self.assertTrue(any("pending" in r["message"] for r in self.reports))

    def test_task_keyboard_interrupt_leaves_loop(self):
        async def child():
            raise KeyboardInterrupt

        async def main():
            await acore.create_task(child())
        with self.assertRaises(KeyboardInterrupt):
            self.run_co(main())
        self.reports.clear()

    def test_task_set_result_refused(self):
        async def child():
            pass
        t = self.loop.create_task(child())
        with self.assertRaises(RuntimeError):
            t.set_result(1)
        self.run_co(t)



class TestTaskName(LoopTestCase):
    def test_task_bad_name_spawns_nothing(self):
        class BadName:
            def __str__(self):
                raise KeyError("no name")
        ran = []

        async def co():
            ran.append(1)
        c = co()
        with self.assertRaises(KeyError):
            self.loop.create_task(c, name=BadName())
        with self.assertRaises(KeyError):
            acore.Task(c, loop=self.loop, name=BadName())
        self.assertEqual(self.loop._task_count(), 0)
        t = self.loop.create_task(c, name=42)
        self.assertEqual(t.get_name(), "42")
        self.loop.run_until_complete(t)
        self.assertEqual(ran, [1])


if __name__ == "__main__":
    unittest.main()
