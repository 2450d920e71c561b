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
            fut, lambda f: out.append(ll.acore_future_result_int(f)))
        ll.acore_future_set_int(fut, 7)
        self.assertEqual(out, [])
        ll.acore_loop_run(loop)
        self.assertEqual(out, ["soon", 7])
        self.assertEqual(sys.getrefcount(cb), base)
        del h, fut
        ll.acore_loop_close(loop)
        del loop

    def test_lowlevel_done_callback_keeps_future(self):
        # The producer drops the last reference while the callbacks are
        # queued; the first callback keeps the future it is given.
        loop = ll.acore_loop_new(None)
        kept = []
        fut = ll.acore_future_new(loop)
        ll.acore_future_add_done_callback(fut, kept.append)
        ll.acore_future_add_done_callback(fut, lambda f: None)
        ll.acore_future_set_int(fut, 42)
        del fut
        ll.acore_loop_run(loop)
        other = ll.acore_future_new(loop)    # may reuse a freed future
        ll.acore_future_set_int(other, 7)
        self.assertEqual(ll.acore_future_result_int(kept[0]), 42)
        del other, kept
        ll.acore_loop_close(loop)
        del loop

    def test_lowlevel_errors_raise(self):
        loop = ll.acore_loop_new(None)
        fut = ll.acore_future_new(loop)
        import asyncio
        with self.assertRaises(asyncio.InvalidStateError):
            ll.acore_future_result_int(fut)         # pending: EINVALIDSTATE
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

    def test_lowlevel_sync_handles(self):
        loop = ll.acore_loop_new(None)
        sem = ll.acore_sem_new(loop, 1, ll.ACORE_SEM_BOUNDED)
        self.assertEqual(ll.acore_sem_try_acquire(sem, 1), 0)
        fut = ll.acore_sem_acquire(sem, 1)          # waits: no permit left
        self.assertEqual(ll.acore_sem_waiter_count(sem), 1)
        ll.acore_sem_release(sem, 1)
        ll.acore_loop_run(loop)
        self.assertEqual(ll.acore_future_result_int(fut), 1)
        ev = ll.acore_event_new(loop)
        w = ll.acore_event_wait(ev)
        self.assertEqual(ll.acore_event_waiter_count(ev), 1)
        ll.acore_event_set(ev)
        ll.acore_loop_run(loop)
        self.assertEqual(ll.acore_future_result_int(w), 1)
        self.assertEqual(ll.acore_event_is_set(ev), 1)
        q = ll.acore_queue_new(loop, 4, ll.ACORE_QUEUE_LIFO)
        self.assertEqual(ll.acore_queue_capacity(q), 4)
        g = ll.acore_queue_get(q)                # waits: empty
        j = ll.acore_queue_join(q)               # nothing put: done
        self.assertEqual(ll.acore_future_is_done(j), 1)
        ll.acore_queue_shutdown(q, ll.ACORE_QUEUE_IMMEDIATE)
        ll.acore_loop_run(loop)
        with self.assertRaises(RuntimeError):    # ECLOSED
            ll.acore_future_result_int(g)
        lock = ll.acore_lock_new(loop)
        cond = ll.acore_cond_new(loop, lock)
        self.assertEqual(ll.acore_cond_waiter_count(cond), 0)
        self.assertEqual(ll.acore_lock_is_locked(lock), 0)
        del sem, fut, ev, w, q, g, j, cond, lock
        ll.acore_loop_close(loop)
        del loop

    def test_lowlevel_combinators_and_group(self):
        loop = ll.acore_loop_new(None)
        self.assertEqual(ll.ACORE_NO_TIMEOUT, float("inf"))
        s = ll.acore_sleep(loop, 0)
        sh = ll.acore_shield(s)
        wf = ll.acore_wait_for(sh, ll.ACORE_NO_TIMEOUT)
        group = ll.acore_group_new(loop)
        ran = []

        def step(task):
            ran.append(ll.acore_task_id(task))
            return ll.acore_task_return_int(task, 5)
        base = sys.getrefcount(step)
        t = ll.acore_group_spawn(group, step)
        self.assertEqual(ll.acore_group_task_count(group), 1)
        ll.acore_group_seal(group)
        ll.acore_loop_run(loop)
        self.assertEqual(len(ran), 1)
        self.assertEqual(ll.acore_future_is_done(wf), 1)
        self.assertEqual(ll.acore_task_id(t), ran[0])
        del s, sh, wf, group, t
        ll.acore_loop_close(loop)
        del loop
        gc.collect()
        self.assertEqual(sys.getrefcount(step), base)

    def test_lowlevel_executor_handles(self):
        opts = ll.acore_executor_options_new()
        ll.acore_executor_options_set_max_workers(opts, 2)
        ex = ll.acore_executor_new(opts)
        del opts
        self.assertEqual(
            ll.acore_executor_stat(ex, ll.ACORE_EXECUTOR_STAT_MAX_WORKERS), 2)
        ll.acore_executor_shutdown(ex, ll.ACORE_EXECUTOR_WAIT)
        del ex
        with self.assertRaises(ValueError):      # EINVAL: 0 workers
            o = ll.acore_executor_options_new()
            ll.acore_executor_options_set_max_workers(o, 0)


if __name__ == "__main__":
    unittest.main()
