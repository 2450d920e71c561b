# SPDX-License-Identifier: MIT
"""run_in_executor / acore.Executor: Python callables on worker threads."""

import threading
import time
import unittest

import acore
from pyac_testcase import LoopTestCase


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


if __name__ == "__main__":
    unittest.main()
