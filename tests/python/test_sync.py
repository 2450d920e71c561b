# SPDX-License-Identifier: MIT
"""Synchronisation on the acore loop: Semaphore, BoundedSemaphore, Lock,
Event, Condition, Queue, bounded_map."""

import asyncio
import unittest

import acore
from pyac_testcase import LoopTestCase


class TestSync(LoopTestCase):
    def test_semaphore_bounds_concurrency(self):
        async def main():
            sem = acore.Semaphore(3)
            gauge = [0, 0]

            async def job():
                async with sem:
                    gauge[0] += 1
                    gauge[1] = max(gauge[1], gauge[0])
                    await acore.sleep(0)
                    gauge[0] -= 1
            await acore.gather(*[job() for _ in range(20)])
            return gauge
        self.assertEqual(self.run_co(main()), [0, 3])

    def test_semaphore_cancelled_waiter_gives_permit_back(self):
        async def main():
            sem = acore.Semaphore(1)
            await sem.acquire()
            w = acore.create_task(sem.acquire())
            await acore.sleep(0)
            w.cancel()
            sem.release()
            with self.assertRaises(asyncio.CancelledError):
                await w
            self.assertFalse(sem.locked())
            return await acore.wait_for(sem.acquire(), 1)
        self.assertTrue(self.run_co(main()))

    def test_semaphore_granted_then_cancelled_gives_back(self):
        async def main():
            sem = acore.Semaphore(1)
            await sem.acquire()
            w = acore.create_task(sem.acquire())
            await acore.sleep(0)             # w waits in the queue
            sem.release()                    # granted to w ...
            w.cancel()                       # ... cancelled before it ran
            with self.assertRaises(asyncio.CancelledError):
                await w
            self.assertFalse(sem.locked())   # the permit came back
            async with sem:
                self.assertTrue(sem.locked())
            return sem.locked()
        self.assertFalse(self.run_co(main()))

    def test_semaphore_fifo_order(self):
        async def main():
            sem = acore.Semaphore(0)
            order = []

            async def w(i):
                async with sem:
                    order.append(i)
            ts = [acore.create_task(w(i)) for i in range(5)]
            await acore.sleep(0)
            for _ in range(5):
                sem.release()
            await acore.gather(*ts)
            return order
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3, 4])

    def test_bounded_semaphore_over_release(self):
        async def main():
            sem = acore.BoundedSemaphore(1)
            with self.assertRaises(ValueError):
                sem.release()
            async with sem:
                pass
            with self.assertRaises(ValueError):
                sem.release()
        self.run_co(main())

    def test_lock_event_condition(self):
        async def main():
            lock = acore.Lock()
            ev = acore.Event()
            cond = acore.Condition()
            out = []

            async def waiter():
                await ev.wait()
                async with cond:
                    await cond.wait_for(lambda: out)
                    out.append("woken")
            t = acore.create_task(waiter())
            async with lock:
                self.assertTrue(lock.locked())
            ev.set()
            await acore.sleep(0)
            async with cond:
                out.append("go")
                cond.notify_all()
            await t
            return out
        self.assertEqual(self.run_co(main()), ["go", "woken"])

    def test_lock_fifo_and_release_unlocked(self):
        async def main():
            lock = acore.Lock()
            with self.assertRaises(RuntimeError):
                lock.release()
            order = []

            async def w(i):
                async with lock:
                    order.append(i)
                    await acore.sleep(0)
            await acore.gather(*[w(i) for i in range(4)])
            self.assertFalse(lock.locked())
            self.assertTrue(await lock.acquire())
            self.assertTrue(lock.locked())
            lock.release()
            return order
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3])

    def test_queue_fifo_join(self):
        async def main():
            q = acore.Queue(maxsize=2)
            got = []

            async def consumer():
                while True:
                    item = await q.get()
                    got.append(item)
                    q.task_done()
            c = acore.create_task(consumer())
            for i in range(5):
                await q.put(i)
            await q.join()
            c.cancel()
            with self.assertRaises(acore.QueueEmpty):
                q.get_nowait()
            return got
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3, 4])

    def test_bounded_map_limits_and_orders(self):
        async def main():
            gauge = [0, 0]

            async def fn(x):
                gauge[0] += 1
                gauge[1] = max(gauge[1], gauge[0])
                await acore.sleep(0.001 * (x % 3))
                gauge[0] -= 1
                return x * x
            r = await acore.bounded_map(fn, range(30), 4)
            return r, gauge[1]
        r, peak = self.run_co(main())
        self.assertEqual(r, [x * x for x in range(30)])
        self.assertLessEqual(peak, 4)


if __name__ == "__main__":
    unittest.main()
