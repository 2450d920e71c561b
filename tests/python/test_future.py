# SPDX-License-Identifier: MIT
"""acore.Future: states, values, exceptions, done callbacks, awaiting."""

import asyncio
import sys
import unittest

import acore
from pyac_testcase import LoopTestCase


class TestFuture(LoopTestCase):
    def test_future_result_states(self):
        f = self.loop.create_future()
        self.assertFalse(f.done())
        with self.assertRaises(asyncio.InvalidStateError):
            f.result()
        with self.assertRaises(acore.InvalidStateError):
            f.exception()
        f.set_result("v")
        self.assertTrue(f.done())
        self.assertEqual(f.result(), "v")
        self.assertIsNone(f.exception())
        with self.assertRaises(asyncio.InvalidStateError):
            f.set_result(1)
        with self.assertRaises(asyncio.InvalidStateError):
            f.set_exception(ValueError())
        self.assertFalse(f.cancel())

    def test_future_values_roundtrip(self):
        obj = object()
        for v in [None, 0, -5, 2**62, 2**80, 1.5, "s", b"b", obj, [1]]:
            f = self.loop.create_future()
            f.set_result(v)
            r = f.result()
            self.assertEqual(r, v)
            if not isinstance(v, (int, float)) or v == 2**80:
                self.assertIs(r, v)

    def test_future_result_holds_reference_until_freed(self):
        obj = object()
        base = sys.getrefcount(obj)
        f = self.loop.create_future()
        f.set_result(obj)
        self.assertEqual(sys.getrefcount(obj), base + 1)
        del f
        self.assertEqual(sys.getrefcount(obj), base)

    def test_future_exception_is_the_same_object(self):
        f = self.loop.create_future()
        exc = ValueError("x")
        f.set_exception(exc)
        self.assertIs(f.exception(), exc)
        with self.assertRaises(ValueError) as cm:
            f.result()
        self.assertIs(cm.exception, exc)

    def test_future_set_exception_class_and_invalid(self):
        f = self.loop.create_future()
        f.set_exception(KeyError)
        self.assertIsInstance(f.exception(), KeyError)
        g = self.loop.create_future()
        with self.assertRaises(TypeError):
            g.set_exception(42)
        self.assertFalse(g.done())
        g.cancel()
        # asyncio 3.12+: a StopIteration is stored as a RuntimeError it caused
        h = self.loop.create_future()
        stop = StopIteration()
        h.set_exception(stop)
        self.assertIsInstance(h.exception(), RuntimeError)
        self.assertIs(h.exception().__cause__, stop)

    def test_future_cancel_with_message(self):
        f = self.loop.create_future()
        self.assertTrue(f.cancel("why"))
        self.assertTrue(f.cancelled())
        self.assertTrue(f.done())
        with self.assertRaises(asyncio.CancelledError) as cm:
            f.result()
        self.assertEqual(cm.exception.args, ("why",))
        with self.assertRaises(asyncio.CancelledError):
            f.exception()
        self.assertFalse(f.cancel())

    def test_future_done_callbacks_order_identity_never_sync(self):
        f = self.loop.create_future()
        seen = []
        f.add_done_callback(lambda fut: seen.append(("a", fut)))
        f.add_done_callback(lambda fut: seen.append(("b", fut)))
        f.set_result(1)
        self.assertEqual(seen, [])           # never inside set_result
        self.loop.run()
        self.assertEqual([n for n, _ in seen], ["a", "b"])
        self.assertTrue(all(x is f for _, x in seen))
        f.add_done_callback(lambda fut: seen.append(("c", fut)))
        self.assertEqual(len(seen), 2)       # never inside add (done future)
        self.loop.run()
        self.assertEqual(seen[-1][0], "c")

    def test_future_remove_done_callback(self):
        f = self.loop.create_future()
        out = []
        cb = out.append
        f.add_done_callback(cb)
        f.add_done_callback(lambda _: out.append("kept"))
        f.add_done_callback(cb)
        self.assertEqual(f.remove_done_callback(cb), 2)
        self.assertEqual(f.remove_done_callback(cb), 0)
        f.set_result(None)
        self.loop.run()
        self.assertEqual(out, ["kept"])

    def test_future_done_callback_error_reported(self):
        f = self.loop.create_future()
        f.add_done_callback(lambda _: 1 / 0)
        f.add_done_callback(lambda _: None)
        f.set_result(None)
        self.loop.run()
        self.assertEqual(len(self.reports), 1)
        self.assertIsInstance(self.reports[0]["exception"], ZeroDivisionError)

    def test_future_done_callback_refcount_back(self):
        def cb(_):
            pass
        base = sys.getrefcount(cb)
        f = self.loop.create_future()
        f.add_done_callback(cb)
        self.assertGreater(sys.getrefcount(cb), base)
        f.set_result(None)
        self.loop.run()
        self.assertEqual(sys.getrefcount(cb), base)

    def test_future_await_from_coroutine(self):
        f = self.loop.create_future()

        async def main():
            self.loop.call_soon(f.set_result, 5)
            return await f
        self.assertEqual(self.run_co(main()), 5)

    def test_future_await_exception_keeps_traceback(self):
        f = self.loop.create_future()

        def raiser():
            raise ValueError("deep")

        def fail():
            try:
                raiser()
            except ValueError as e:
                f.set_exception(e)

        async def main():
            self.loop.call_soon(fail)
            try:
                await f
            except ValueError as e:
                names = []
                tb = e.__traceback__
                while tb:
                    names.append(tb.tb_frame.f_code.co_name)
                    tb = tb.tb_next
                return names
        names = self.run_co(main())
        self.assertIn("raiser", names)
        self.assertIn("main", names)

    def test_future_constructor_needs_loop(self):
        with self.assertRaises(RuntimeError):
            acore.Future()
        f = acore.Future(loop=self.loop)
        self.assertIs(f.get_loop(), self.loop)

        async def main():
            return acore.Future()
        g = self.run_co(main())
        self.assertIs(g.get_loop(), self.loop)

    def test_future_isfuture_for_asyncio(self):
        f = self.loop.create_future()
        self.assertTrue(asyncio.isfuture(f))
        f.cancel()

    def test_future_yield_from_iteration(self):
        f = self.loop.create_future()
        it = f.__await__()
        self.assertIs(next(it), f)
        f.set_result(3)
        with self.assertRaises(StopIteration) as cm:
            next(it)
        self.assertEqual(cm.exception.value, 3)



class TestConstructorLoop(LoopTestCase):
    def test_future_and_task_need_an_acore_loop(self):
        with self.assertRaises(RuntimeError):
            acore.Future()                       # no running loop
        with self.assertRaises(RuntimeError):
            acore.Future(loop=object())

        async def co():
            pass
        c = co()
        with self.assertRaises(RuntimeError):
            acore.Task(c)
        with self.assertRaises(RuntimeError):
            acore.Task(c, loop=object())
        c.close()
        self.assertIs(acore.Future(loop=self.loop).get_loop(), self.loop)


if __name__ == "__main__":
    unittest.main()
