# SPDX-License-Identifier: MIT
"""The raw SWIG layer (acore.lowlevel): the C API with handles as owned
objects, negative codes as exceptions, callables through trampolines."""

import gc
import sys
import unittest

from acore import _lowlevel as ll


class TestLowLevel(unittest.TestCase):
    def setUp(self):
        gc.collect()
        self.assertEqual(ll._live(), (0, 0))

    def tearDown(self):
        gc.collect()
        self.assertEqual(ll._live(), (0, 0))

    def test_lowlevel_loop_future_callbacks(self):
        loop = ll.acore_loop_new(None)
        out = []

        def cb():
            out.append("soon")
        base = sys.getrefcount(cb)
        h = ll.acore_loop_call_soon(loop, cb)
        self.assertEqual(ll._live()[1], 1)   # C holds one reference
        fut = ll.acore_future_new(loop)
        ll.acore_future_add_done_callback(
            fut, lambda f: out.append(ll.acore_future_int(f)))
        ll.acore_future_set_int(fut, 7)
        self.assertEqual(out, [])
        ll.acore_loop_run(loop)
        self.assertEqual(out, ["soon", 7])
        self.assertEqual(sys.getrefcount(cb), base)
        del h, fut
        ll.acore_loop_close(loop)
        del loop

    def test_lowlevel_errors_raise(self):
        loop = ll.acore_loop_new(None)
        fut = ll.acore_future_new(loop)
        import asyncio
        with self.assertRaises(asyncio.InvalidStateError):
            ll.acore_future_int(fut)         # pending: EINVALIDSTATE
        ll.acore_future_set_int(fut, 1)
        with self.assertRaises(asyncio.InvalidStateError):
            ll.acore_future_set_int(fut, 2)
        with self.assertRaises(TypeError):
            ll.acore_loop_call_soon(loop, 42)   # not callable: nothing kept
        self.assertEqual(ll._live()[1], 0)
        self.assertEqual(ll.acore_err_name(ll.ACORE_ETIMEDOUT), "ETIMEDOUT")
        del fut
        ll.acore_loop_close(loop)
        del loop

    def test_lowlevel_step_function(self):
        loop = ll.acore_loop_new(None)
        state = {"n": 0}

        def step(task):
            state["n"] += 1
            if state["n"] < 3:
                return ll.acore_task_yield(task)
            return ll.acore_task_return_int(task, 99)
        t = ll.acore_task_spawn(loop, step)
        ll.acore_loop_run(loop)
        self.assertEqual(state["n"], 3)
        self.assertEqual(ll.acore_task_id(t), 1)
        self.assertEqual(ll.acore_task_name(t), "Task-1")
        del t
        ll.acore_loop_close(loop)
        del loop


if __name__ == "__main__":
    unittest.main()
