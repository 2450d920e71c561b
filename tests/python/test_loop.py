# SPDX-License-Identifier: MIT
"""acore.Loop: scheduling, timers, thread-safe calls, running, stopping,
closing, errors in callbacks."""

import contextvars
import os
import subprocess
import sys
import threading
import unittest

import acore
from pyac_testcase import LoopTestCase


class TestLoopScheduling(LoopTestCase):
    def test_loop_call_soon_runs_later_in_order(self):
        out = []
        self.loop.call_soon(out.append, 1)
        self.loop.call_soon(out.append, 2)
        self.assertEqual(out, [])            # never inside call_soon
        self.loop.run()
        self.assertEqual(out, [1, 2])

    def test_loop_call_soon_args_and_context(self):
        var = contextvars.ContextVar("v", default="outer")
        seen = []
        ctx = contextvars.copy_context()
        ctx.run(var.set, "inner")
        self.loop.call_soon(lambda a, b: seen.append((a, b, var.get())),
                            1, 2, context=ctx)
        self.loop.call_soon(lambda: seen.append(var.get()))
        self.loop.run()
        self.assertEqual(seen, [(1, 2, "inner"), "outer"])

    def test_loop_call_soon_not_callable_raises(self):
        with self.assertRaises(TypeError):
            self.loop.call_soon(42)
        with self.assertRaises(TypeError):
            self.loop.call_soon(print, context=1, bogus=2)

    def test_loop_handle_cancel(self):
        out = []
        h = self.loop.call_soon(out.append, 1)
        self.assertFalse(h.cancelled())
        h.cancel()
        h.cancel()
        self.assertTrue(h.cancelled())
        self.loop.run()
        self.assertEqual(out, [])

    def test_loop_call_later_order_and_when(self):
        out = []
        t0 = self.loop.time()
        h2 = self.loop.call_later(0.02, out.append, 2)
        h1 = self.loop.call_later(0.01, out.append, 1)
        self.loop.call_later(0.01, out.append, 11)  # same deadline: FIFO
        self.assertGreaterEqual(h1.when(), t0 + 0.01)
        self.assertGreater(h2.when(), h1.when())
        self.loop.run()
        self.assertEqual(out, [1, 11, 2])
        self.assertGreaterEqual(self.loop.time(), t0 + 0.02)

    def test_loop_call_at_past_is_due(self):
        out = []
        self.loop.call_at(self.loop.time() - 10, out.append, "x")
        self.loop.run()
        self.assertEqual(out, ["x"])

    def test_loop_call_later_cancelled_timer_releases(self):
        fn = lambda: None  # noqa: E731
        base = sys.getrefcount(fn)
        h = self.loop.call_later(100, fn)
        self.assertGreater(sys.getrefcount(fn), base)
        h.cancel()
        self.assertEqual(sys.getrefcount(fn), base)
        self.loop.run()                      # nothing left to wait for

    def test_loop_call_soon_threadsafe_from_threads(self):
        out = []
        fin = self.loop.create_future()

        def worker(k):
            for i in range(100):
                self.loop.call_soon_threadsafe(out.append, (k, i))
            self.loop.call_soon_threadsafe(done)

        count = [0]

        def done():
            count[0] += 1
            if count[0] == 4:
                fin.set_result(None)

        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(4)]
        for t in threads:
            t.start()
        self.loop.run_until_complete(fin)
        for t in threads:
            t.join()
        self.assertEqual(len(out), 400)
        for k in range(4):                   # per-thread order kept
            self.assertEqual([i for kk, i in out if kk == k], list(range(100)))

    def test_loop_run_until_complete_waits_for_other_thread(self):
        # Nothing is scheduled on the loop: it waits (asyncio's behaviour)
        # until a plain thread completes the future.
        fut = self.loop.create_future()
        t = threading.Timer(0.01, self.loop.call_soon_threadsafe,
                            (fut.set_result, "from thread"))
        t.start()
        self.assertEqual(self.loop.run_until_complete(fut), "from thread")
        t.join()

    def test_loop_time_monotonic(self):
        a = self.loop.time()
        b = self.loop.time()
        self.assertLessEqual(a, b)


class TestLoopRunning(LoopTestCase):
    def test_loop_run_until_complete_coroutine(self):
        async def main():
            return 7
        self.assertEqual(self.run_co(main()), 7)

    def test_loop_run_until_complete_raises_result_exception(self):
        async def main():
            raise KeyError("k")
        with self.assertRaises(KeyError):
            self.run_co(main())

    def test_loop_run_forever_and_stop(self):
        out = []
        self.loop.call_soon(out.append, 1)
        self.loop.call_later(0.01, self.loop.stop)
        self.loop.run_forever()
        self.assertEqual(out, [1])
        self.assertFalse(self.loop.is_running())

    def test_loop_stop_before_complete_raises(self):
        fut = self.loop.create_future()
        self.loop.call_soon(self.loop.stop)
        with self.assertRaises(RuntimeError):
            self.loop.run_until_complete(fut)

    def test_loop_nested_run_raises(self):
        async def main():
            with self.assertRaises(RuntimeError):
                self.loop.run_until_complete(self.loop.create_future())
            return 1
        self.assertEqual(self.run_co(main()), 1)

    def test_loop_get_running_loop(self):
        with self.assertRaises(RuntimeError):
            acore.get_running_loop()

        async def main():
            return acore.get_running_loop()
        self.assertIs(self.run_co(main()), self.loop)
        import asyncio

        async def main2():
            return asyncio.get_running_loop()
        self.assertIs(self.run_co(main2()), self.loop)

    def test_loop_closed_refuses(self):
        self.loop.close()
        self.loop.close()                    # twice is harmless
        self.assertTrue(self.loop.is_closed())
        with self.assertRaises(RuntimeError):
            self.loop.call_soon(print)
        with self.assertRaises(RuntimeError):
            self.loop.create_future()
        with self.assertRaises(RuntimeError):
            self.loop.run_until_complete(self.loop.create_future())

    def test_loop_context_manager_closes(self):
        with acore.Loop() as loop:
            loop.call_soon(print)
        self.assertTrue(loop.is_closed())

    def test_loop_close_running_raises(self):
        async def main():
            with self.assertRaises(RuntimeError):
                self.loop.close()
        self.run_co(main())

    def run_child(self, source):
        """Run `source` in a fresh interpreter (an abort there must not
        take the test runner with it); its stdout and exit status."""
        p = subprocess.run([sys.executable, "-c", source], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=os.environ.copy(), timeout=120)
        return p.stdout, p.returncode, p.stderr

    def test_loop_close_from_del_while_closing(self):
        # close() closes the pending coroutine; the object its frame held
        # closes the loop again from __del__.
        out, rc, err = self.run_child(
            "import acore\n"
            "loop = acore.Loop()\n"
            "class Closer:\n"
            "    def __del__(self):\n"
            "        loop.close()\n"
            "        print('del', flush=True)\n"
            "async def main():\n"
            "    c = Closer()\n"
            "    await acore.sleep(10)\n"
            "task = loop.create_task(main())\n"
            "loop.run_until_complete(acore.sleep(0))\n"
            "loop.close()\n"
            "print('closed', loop.is_closed(), task.cancelled(), flush=True)\n")
        self.assertEqual((out.split(), rc), (["del", "closed", "True",
                                              "True"], 0), err)

    def close_raising(self, exc_type):
        async def main():
            try:
                await acore.sleep(10)
            finally:
                raise exc_type()
        seen = []

        async def other():
            try:
                await acore.sleep(10)
            finally:
                seen.append("other closed")
        self.loop.create_task(main())
        self.loop.create_task(other())
        self.run_co(acore.sleep(0))
        with self.assertRaises(exc_type):
            self.loop.close()
        self.assertTrue(self.loop.is_closed())   # close finished its work
        self.assertEqual(seen, ["other closed"])
        self.loop.close()                        # and it is not raised again

    def test_loop_close_propagates_keyboard_interrupt(self):
        self.close_raising(KeyboardInterrupt)

    def test_loop_close_propagates_system_exit(self):
        self.close_raising(SystemExit)

    def test_loop_address_is_integer(self):
        self.assertIsInstance(self.loop.address(), int)
        self.assertNotEqual(self.loop.address(), 0)


class TestLoopErrors(LoopTestCase):
    def test_loop_callback_error_goes_to_handler(self):
        def bad():
            raise ValueError("boom")
        h = self.loop.call_soon(bad)
        self.loop.call_soon(lambda: None)
        self.loop.run()
        self.assertEqual(len(self.reports), 1)
        ctx = self.reports[0]
        self.assertIsInstance(ctx["exception"], ValueError)
        self.assertIn("Exception in callback", ctx["message"])
        self.assertIsNotNone(ctx["exception"].__traceback__)
        del h

    def test_loop_callback_error_default_logs_and_goes_on(self):
        # asyncio's default: the error is logged and the loop goes on
        self.loop.set_exception_handler(None)
        out = []

        def bad():
            raise ValueError("boom")
        self.loop.call_soon(bad)
        self.loop.call_soon(out.append, "next")
        self.loop.call_later(0.01, self.loop.stop)
        with self.assertLogs("acore", "ERROR") as logs:
            self.loop.run_forever()
        self.assertEqual(out, ["next"])
        self.assertEqual(len(logs.records), 1)
        record = logs.records[0]
        self.assertIn("Exception in callback", record.getMessage())
        self.assertIn("bad", record.getMessage())
        self.assertIsInstance(record.exc_info[1], ValueError)

    def test_loop_keyboard_interrupt_in_callback_propagates(self):
        def bad():
            raise KeyboardInterrupt
        self.loop.call_soon(bad)
        with self.assertRaises(KeyboardInterrupt):
            self.loop.run_forever()
        self.assertEqual(self.reports, [])

    def test_loop_handler_error_is_logged_not_raised(self):
        def handler(loop, ctx):
            raise RuntimeError("handler broke")
        self.loop.set_exception_handler(handler)
        self.loop.call_soon(lambda: 1 / 0)
        with self.assertLogs("acore", level="ERROR"):
            self.loop.run()

    def test_loop_set_exception_handler_rejects_non_callable(self):
        with self.assertRaises(TypeError):
            self.loop.set_exception_handler(3)


class TestModuleFunctions(LoopTestCase):
    """acore.run, ensure_future and the loop accessors: their docstring
    claims and their errors on bad input (asyncio's)."""

    def test_run_refuses_a_non_coroutine(self):
        fut = self.loop.create_future()
        for bad in (42, fut, print):
            with self.assertRaises(ValueError):
                acore.run(bad)

    def test_run_refuses_inside_a_running_loop(self):
        async def inner():
            return 1

        async def main():
            coro = inner()
            with self.assertRaises(RuntimeError):
                acore.run(coro)
            coro.close()
        self.run_co(main())

    def test_run_cancels_and_awaits_what_is_left(self):
        cleaned = []

        async def left():
            try:
                await acore.sleep(100)
            finally:
                cleaned.append(True)

        async def main():
            acore.create_task(left())
            await acore.sleep(0)
            return "done"
        self.assertEqual(acore.run(main()), "done")
        self.assertEqual(cleaned, [True])

    def test_ensure_future_kinds_and_type_error(self):
        class Awaitable:
            def __await__(self):
                return (yield from acore.sleep(0, "awaited").__await__())

        async def main():
            fut = self.loop.create_future()
            self.assertIs(acore.ensure_future(fut), fut)     # as it is
            t = acore.ensure_future(acore.sleep(0, "coro"))
            self.assertIsInstance(t, acore.Task)
            w = acore.ensure_future(Awaitable())
            self.assertIsInstance(w, acore.Task)
            with self.assertRaises(TypeError):
                acore.ensure_future(42)
            fut.cancel()
            return await t, await w
        self.assertEqual(self.run_co(main()), ("coro", "awaited"))

    def test_ensure_future_needs_a_loop_for_a_coroutine(self):
        coro = acore.sleep(0)
        with self.assertRaises(RuntimeError):
            acore.ensure_future(coro)
        coro.close()

    def test_get_event_loop_and_new_event_loop(self):
        with self.assertRaises(RuntimeError):
            acore.get_event_loop()              # none running

        async def main():
            return acore.get_event_loop()
        self.assertIs(self.run_co(main()), self.loop)
        with acore.new_event_loop() as loop:
            self.assertIsInstance(loop, acore.Loop)
            self.assertIsNot(loop, self.loop)

    def test_debug_flag(self):
        self.assertFalse(self.loop.get_debug())
        self.loop.set_debug(1)
        self.assertIs(self.loop.get_debug(), True)
        with acore.Loop(debug=True) as loop:
            self.assertTrue(loop.get_debug())



class TestHandleWhen(LoopTestCase):
    def test_handle_when_only_for_timers(self):
        h = self.loop.call_soon(lambda: None)
        with self.assertRaises(AttributeError):
            h.when()
        h = self.loop.call_soon_threadsafe(lambda: None)
        with self.assertRaises(AttributeError):
            h.when()
        t = self.loop.call_at(self.loop.time() + 5, lambda: None)
        when = t.when()
        t.cancel()                       # still answers once cancelled
        self.assertEqual(t.when(), when)
        self.loop.run()


if __name__ == "__main__":
    unittest.main()
