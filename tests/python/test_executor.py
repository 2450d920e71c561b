# SPDX-License-Identifier: MIT
"""run_in_executor / acore.Executor: Python callables on worker threads."""

import ctypes
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import acore
from pyac_testcase import DifferentialTestCase, LoopTestCase


def thread_states():
    """The number of the interpreter's Python thread states (C API)."""
    api = ctypes.pythonapi
    api.PyInterpreterState_Get.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
    api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
    api.PyThreadState_Next.restype = ctypes.c_void_p
    api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
    n, ts = 0, api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Get())
    while ts:
        n, ts = n + 1, api.PyThreadState_Next(ts)
    return n


# What every job sees of a threading.local() on its worker: its thread
# and whether an earlier job on that thread left its mark there.
_tls = threading.local()


def _mark_job(i):
    seen = getattr(_tls, "mark", None)
    _tls.mark = i
    return threading.get_ident(), seen


class TestExecutor(LoopTestCase):
    def test_executor_result_and_original_exception(self):
        err = ValueError("in worker")

        def bad():
            raise err

        async def main():
            with acore.Executor(2) as ex:
                r = await self.loop.run_in_executor(ex, sum, [1, 2, 3])
                try:
                    await self.loop.run_in_executor(ex, bad)
                except ValueError as e:
                    return r, e
        r, e = self.run_co(main())
        self.assertEqual(r, 6)
        self.assertIs(e, err)

    def test_executor_workers_run_concurrently_with_gil(self):
        # 4 jobs that can only finish together (a barrier of 4) prove that
        # 4 workers run Python at once while the loop waits.
        barrier = threading.Barrier(4, timeout=30)

        def job(i):
            barrier.wait()
            time.sleep(0.05)
            return i

        async def main():
            with acore.Executor(4) as ex:
                t0 = self.loop.time()
                r = await acore.gather(*[
                    self.loop.run_in_executor(ex, job, i) for i in range(4)])
                return r, self.loop.time() - t0
        r, took = self.run_co(main())
        self.assertEqual(r, [0, 1, 2, 3])
        print(f"\n4 x 50 ms on 4 workers: {took * 1000:.1f} ms")

    def test_executor_default_and_cancel_before_start(self):
        gate = threading.Event()
        ran = []

        async def main():
            with acore.Executor(1) as ex:
                first = self.loop.run_in_executor(ex, gate.wait, 30)
                second = self.loop.run_in_executor(ex, ran.append, 1)
                second.cancel()
                gate.set()
                await first
            return await self.loop.run_in_executor(None, pow, 2, 10)
        self.assertEqual(self.run_co(main()), 1024)
        self.assertEqual(ran, [])


class TestExecutorThreadStates(DifferentialTestCase):
    """A worker keeps one Python thread state for all its jobs, as a
    ThreadPoolExecutor's thread does: threading.local() values survive
    from job to job on one thread, on the default executor and on an
    explicit one."""

    def test_executor_threading_local_survives_between_jobs(self):
        async def main(loop):
            out = []
            for i in range(50):  # one at a time: the order is known
                out.append(await loop.run_in_executor(None, _mark_job, i))
            last = {}
            for i, (ident, seen) in enumerate(out):
                if seen != last.get(ident):
                    return "lost", i, seen, last.get(ident)
                last[ident] = i
            return "kept"
        self.assertEqual(self.each(main), "kept")

    def test_executor_explicit_pool_keeps_the_local_too(self):
        async def main(loop):
            pool = (acore.Executor(1) if isinstance(loop, acore.Loop)
                    else ThreadPoolExecutor(1))
            try:
                out = [await loop.run_in_executor(pool, _mark_job, i)
                       for i in range(20)]
            finally:
                pool.shutdown(wait=True)
            return [seen for _, seen in out] == [None] + list(range(19))
        self.assertTrue(self.each(main))


class TestExecutorStatesFreed(LoopTestCase):
    def test_executor_thread_states_freed_after_shutdown(self):
        before = thread_states()

        async def main():
            with acore.Executor(4) as ex:
                await acore.gather(*[self.loop.run_in_executor(
                    ex, time.sleep, 0.01) for _ in range(16)])
                during = thread_states()
            return during
        during = self.run_co(main())
        # the workers' states exist while they live, and are freed once
        # they have left (shutdown(wait=True) joined them)
        self.assertGreater(during, before)
        self.assertLessEqual(during, before + 4)
        self.assertEqual(thread_states(), before)

    def test_executor_default_thread_states_freed_at_close(self):
        before = thread_states()
        loop = acore.Loop()
        try:
            r = loop.run_until_complete(loop.run_in_executor(None, pow, 3, 4))
            self.assertEqual(r, 81)
            self.assertGreater(thread_states(), before)
        finally:
            loop.close()
        self.assertEqual(thread_states(), before)

    def test_executor_states_of_workers_that_left_are_reaped(self):
        before = thread_states()

        async def main():
            with acore.Executor(4) as ex:
                await acore.gather(*[self.loop.run_in_executor(
                    ex, time.sleep, 0.01) for _ in range(8)])
                ex.set_max_workers(1)  # three leave at once: they are idle
                for _ in range(200):
                    if ex.stats()["workers"] == 1:
                        break
                    await acore.sleep(0.01)
                # the next submit frees the states of those that left
                await self.loop.run_in_executor(ex, pow, 2, 2)
                return ex.stats()["workers"], thread_states()
        workers, during = self.run_co(main())
        self.assertEqual(workers, 1)
        self.assertEqual(during, before + 1)
        self.assertEqual(thread_states(), before)


class TestExecutorClaims(LoopTestCase):
    """The docstring claims of Executor, run_in_executor and the loop's
    default executor."""

    def _blocked_worker(self, submit):
        # A job that holds the only worker until `gate` is set; returns
        # its future and the gate, once the job has started.
        gate, started = threading.Event(), threading.Event()

        def first():
            started.set()
            gate.wait(30)
            return "first"
        fut = submit(first)
        self.assertTrue(started.wait(30))
        return fut, gate

    def test_executor_submit_needs_a_running_loop(self):
        with acore.Executor(1) as ex:
            with self.assertRaises(RuntimeError):
                ex.submit(print)

            async def main():
                return await ex.submit(pow, 2, 5)
            self.assertEqual(self.run_co(main()), 32)

    def test_executor_bad_max_workers(self):
        with self.assertRaises(ValueError):
            acore.Executor(0)
        with self.assertRaises(TypeError):
            acore.Executor("4")

    def test_executor_shutdown_cancel_futures_never_runs_queued(self):
        ran = []

        async def main():
            ex = acore.Executor(1)
            first, gate = self._blocked_worker(ex.submit)
            queued = ex.submit(ran.append, 1)
            ex.shutdown(wait=False, cancel_futures=True)
            gate.set()
            self.assertEqual(await first, "first")   # started: runs on
            self.assertTrue(queued.cancelled())
            with self.assertRaises(RuntimeError):    # no new work
                ex.submit(print)
            ex.shutdown(wait=True)
        self.run_co(main())
        self.assertEqual(ran, [])

    def test_run_in_executor_concurrent_futures_executor(self):
        # Any concurrent.futures executor: result, the original exception,
        # and cancelling the acore future cancels a job not yet started.
        err = KeyError("in pool")
        ran = []

        def bad():
            raise err

        async def main():
            with ThreadPoolExecutor(1) as pool:
                self.assertEqual(
                    await self.loop.run_in_executor(pool, sum, [1, 2]), 3)
                with self.assertRaises(KeyError) as cm:
                    await self.loop.run_in_executor(pool, bad)
                self.assertIs(cm.exception, err)
                first, gate = self._blocked_worker(
                    lambda fn: self.loop.run_in_executor(pool, fn))
                queued = self.loop.run_in_executor(pool, ran.append, 1)
                queued.cancel()
                gate.set()
                self.assertEqual(await first, "first")
                self.assertTrue(queued.cancelled())
        self.run_co(main())
        self.assertEqual(ran, [])

    def test_set_and_shutdown_default_executor(self):
        # None means the executor given to set_default_executor();
        # shutdown_default_executor() shuts it down and forgets it.
        async def main():
            ex = acore.Executor(1)
            self.loop.set_default_executor(ex)
            self.assertEqual(
                await self.loop.run_in_executor(None, pow, 2, 3), 8)
            self.assertEqual(ex.stats()["completed"], 1)   # ran on ex
            await self.loop.shutdown_default_executor()
            with self.assertRaises(RuntimeError):    # ex is shut down
                ex.submit(print)
            self.assertEqual(                        # the loop's own again
                await self.loop.run_in_executor(None, pow, 2, 4), 16)
            self.assertEqual(ex.stats()["completed"], 1)
        self.run_co(main())


if __name__ == "__main__":
    unittest.main()
