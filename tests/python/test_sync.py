# SPDX-License-Identifier: MIT
"""Synchronisation on the acore loop: Semaphore, BoundedSemaphore, Lock,
Event, Condition, Queue, bounded_map."""

import asyncio
import gc
import sys
import tracemalloc
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

    def test_lock_release_unlocked_after_binding(self):
        async def main():
            lock = acore.Lock()
            await lock.acquire()          # bound to the loop now
            lock.release()
            with self.assertRaisesRegex(RuntimeError, "not acquired"):
                lock.release()
            sem = acore.BoundedSemaphore(1)
            await sem.acquire()
            sem.release()
            with self.assertRaises(ValueError):
                sem.release()
            return lock.locked()
        self.assertFalse(self.run_co(main()))

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

    def test_bounded_map_bad_limit(self):
        async def main():
            for limit in (0, -1):
                with self.assertRaises(ValueError):
                    await acore.bounded_map(acore.sleep, [0], limit)
            with self.assertRaises(TypeError):
                await acore.bounded_map(acore.sleep, [0], "2")
            self.assertEqual(await acore.bounded_map(acore.sleep, [], 1), [])
        self.run_co(main())

    def test_bounded_map_error_cancels_the_calls_in_flight(self):
        # The first exception propagates once the calls in flight (and the
        # ones not started) have been cancelled.
        started, cancelled = [], []

        async def fn(x):
            started.append(x)
            if x == 1:
                await acore.sleep(0)        # 0, 1 and 2 have all started
                raise KeyError(x)
            try:
                await acore.sleep(100)
            except asyncio.CancelledError:
                cancelled.append(x)
                raise

        async def main():
            with self.assertRaises(KeyError):
                await acore.bounded_map(fn, range(6), 3)
            self.assertEqual(sorted(started), [0, 1, 2])
            self.assertEqual(sorted(cancelled), [0, 2])   # already done
            self.assertEqual(acore.all_tasks(), {acore.current_task()})
        self.run_co(main())

    def test_lock_subclass_async_with_calls_its_acquire_release(self):
        log = []

        class LoggedLock(acore.Lock):
            async def acquire(self):
                log.append("acquire")
                return await super().acquire()

            def release(self):
                log.append("release")
                super().release()

        class LoggedSem(acore.Semaphore):
            def release(self):
                log.append("sem-release")
                super().release()

        async def main():
            lock = LoggedLock()
            async with lock:
                self.assertTrue(lock.locked())
            sem = LoggedSem(1)
            async with sem:
                pass
            async with acore.Lock():     # the stock one: C all the way
                pass
            return lock.locked()
        self.assertFalse(self.run_co(main()))
        self.assertEqual(log, ["acquire", "release", "sem-release"])


class Prio:
    """An item ordered by `<` only (no other comparison defined)."""

    def __init__(self, key, tag):
        self.key, self.tag = key, tag

    def __lt__(self, other):
        return self.key < other.key


class TestQueueC(LoopTestCase):
    """acore.Queue / LifoQueue / PriorityQueue on acore's C queue."""

    def test_queue_is_c_backed_with_asyncio_exceptions(self):
        self.assertTrue(issubclass(acore.Queue, acore._lowlevel.QueueBase))
        self.assertIs(acore.QueueEmpty, asyncio.QueueEmpty)
        self.assertIs(acore.QueueFull, asyncio.QueueFull)
        self.assertEqual(acore.Queue[int].__origin__, acore.Queue)

        async def main():
            q = acore.Queue(maxsize=2)
            self.assertEqual(q.maxsize, 2)
            self.assertTrue(q.empty())
            self.assertFalse(q.full())
            with self.assertRaises(asyncio.QueueEmpty):
                q.get_nowait()
            q.put_nowait("a")
            await q.put("b")
            self.assertTrue(q.full())
            self.assertEqual(q.qsize(), 2)
            with self.assertRaises(asyncio.QueueFull):
                q.put_nowait("c")
            self.assertIn("maxsize=2 qsize=2", repr(q))
            self.assertEqual([q.get_nowait(), await q.get()], ["a", "b"])
            with self.assertRaises(ValueError):
                for _ in range(3):
                    q.task_done()
            unbounded = acore.Queue(-1)
            for i in range(100):
                unbounded.put_nowait(i)
            self.assertFalse(unbounded.full())
            return unbounded.qsize()
        self.assertEqual(self.run_co(main()), 100)

    def test_queue_task_done_before_use_raises(self):
        with self.assertRaises(ValueError):
            acore.Queue().task_done()

    def test_queue_putters_wait_for_room_in_order(self):
        async def main():
            q = acore.Queue(1)
            q.put_nowait(0)
            ps = [acore.create_task(q.put(i)) for i in (1, 2, 3)]
            await acore.sleep(0)
            self.assertFalse(any(p.done() for p in ps))
            got = [await q.get() for _ in range(4)]
            await acore.gather(*ps)
            return got
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3])

    def test_queue_getters_served_in_order(self):
        async def main():
            q = acore.Queue()
            gs = [acore.create_task(q.get()) for _ in range(3)]
            await acore.sleep(0)
            for i in range(3):
                q.put_nowait(i)
            return await acore.gather(*gs)
        self.assertEqual(self.run_co(main()), [0, 1, 2])

    def test_queue_served_then_cancelled_getter_gives_item_back(self):
        async def main():
            q = acore.Queue()
            g = acore.create_task(q.get())
            await acore.sleep(0)             # g waits
            q.put_nowait("first")            # handed to g ...
            q.put_nowait("second")
            g.cancel()                       # ... cancelled before it ran
            with self.assertRaises(asyncio.CancelledError):
                await g
            self.assertEqual(q.qsize(), 2)   # nothing lost, order kept
            return [q.get_nowait(), q.get_nowait()]
        self.assertEqual(self.run_co(main()), ["first", "second"])

    def test_queue_cancelled_waiting_getter_takes_nothing(self):
        async def main():
            q = acore.Queue()
            g1 = acore.create_task(q.get())
            g2 = acore.create_task(q.get())
            await acore.sleep(0)
            g1.cancel()
            await acore.sleep(0)
            q.put_nowait("x")
            with self.assertRaises(asyncio.CancelledError):
                await g1
            return await g2
        self.assertEqual(self.run_co(main()), "x")

    def test_queue_get_timeout_loses_nothing(self):
        async def main():
            q = acore.Queue()
            with self.assertRaises(TimeoutError):
                await acore.wait_for(q.get(), 0.001)
            q.put_nowait(1)
            return await acore.wait_for(q.get(), 1)
        self.assertEqual(self.run_co(main()), 1)

    def test_queue_cancelled_putter_never_inserts(self):
        async def main():
            q = acore.Queue(1)
            q.put_nowait("a")
            p = acore.create_task(q.put("b"))
            await acore.sleep(0)
            p.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await p
            self.assertEqual(q.get_nowait(), "a")
            await acore.sleep(0)
            return q.qsize()
        self.assertEqual(self.run_co(main()), 0)

    def test_queue_join_waits_for_task_done(self):
        async def main():
            q = acore.Queue()
            await q.join()                   # nothing outstanding
            for i in range(3):
                q.put_nowait(i)
            j = acore.create_task(q.join())
            await acore.sleep(0)
            for _ in range(3):
                q.get_nowait()
                self.assertFalse(j.done())
                q.task_done()
            await j
            return j.result()
        self.assertIsNone(self.run_co(main()))

    def test_lifo_queue(self):
        async def main():
            q = acore.LifoQueue()
            for i in range(4):
                await q.put(i)
            return [await q.get() for _ in range(4)]
        self.assertEqual(self.run_co(main()), [3, 2, 1, 0])

    def test_priority_queue_uses_lt_and_keeps_put_order(self):
        async def main():
            q = acore.PriorityQueue()
            for key, tag in [(3, "a"), (1, "b"), (2, "c"), (1, "d"), (0, "e")]:
                q.put_nowait(Prio(key, tag))
            objs = [q.get_nowait().tag for _ in range(5)]
            for t in [(2, "x"), (1, "y")]:
                await q.put(t)
            return objs, [await q.get(), await q.get()]
        objs, tuples = self.run_co(main())
        self.assertEqual(objs, ["e", "b", "d", "c", "a"])
        self.assertEqual(tuples, [(1, "y"), (2, "x")])

    def test_priority_queue_comparison_error_propagates(self):
        async def main():
            q = acore.PriorityQueue()
            q.put_nowait(1)
            with self.assertRaises(TypeError):
                q.put_nowait("text")
            with self.assertRaises(TypeError):
                await q.put(object())
        self.run_co(main())

    def test_priority_queue_served_then_cancelled_goes_back_first(self):
        async def main():
            q = acore.PriorityQueue()
            g = acore.create_task(q.get())
            await acore.sleep(0)
            q.put_nowait(5)                  # handed to g
            q.put_nowait(7)
            g.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await g
            return [q.get_nowait(), q.get_nowait()]
        self.assertEqual(self.run_co(main()), [5, 7])

    def test_queue_releases_items_and_waiters_on_close(self):
        items = [object() for _ in range(4)]
        base = [sys.getrefcount(o) for o in items]

        async def main():
            q = acore.Queue(2)
            q.put_nowait(items[0])
            q.put_nowait(items[1])
            acore.create_task(q.put(items[2]))        # waits forever
            q2 = acore.Queue()
            acore.create_task(q2.get())               # waits forever
            w = q._put(items[3])                      # dropped unawaited
            del w
            await acore.sleep(0)
        self.run_co(main())
        self.loop.close()
        gc.collect()
        self.assertEqual([sys.getrefcount(o) for o in items], base)

    def test_queue_churn_does_not_grow(self):
        async def main():
            q = acore.Queue(8)

            async def producer(n):
                for i in range(n):
                    await q.put(i)

            async def consumer(n):
                for _ in range(n):
                    await q.get()
                    q.task_done()
            await acore.gather(producer(2000), consumer(2000))
            await q.join()
        self.run_co(main())          # warm up
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        self.run_co(main())
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        self.assertLess(grown, 64 * 1024)

    def test_queue_used_before_the_loop_runs(self):
        for cls, puts, first, rest in (
                (acore.Queue, (1, 2, 3), 1, [3]),
                (acore.LifoQueue, (1, 2, 3), 3, [1]),
                (acore.PriorityQueue, (2, 3, 1), 1, [3])):
            q = cls(3)
            for x in puts:
                q.put_nowait(x)
            with self.assertRaises(asyncio.QueueFull):
                q.put_nowait(9)
            self.assertEqual((q.qsize(), q.full()), (3, True))
            self.assertEqual(q.get_nowait(), first)
            q.task_done()
            q.get_nowait()                    # taken, not yet done

            async def main():
                got = [await q.get()]
                q.task_done()
                j = acore.create_task(q.join())
                await acore.sleep(0)
                self.assertFalse(j.done())     # one still unfinished
                q.task_done()
                await j
                with self.assertRaises(ValueError):
                    q.task_done()
                return got
            self.assertEqual(self.run_co(main()), rest, cls.__name__)
            del q

    def test_queue_unbound_cycle_is_collected(self):
        q = acore.Queue()
        q.put_nowait(q)
        with self.assertRaises(asyncio.QueueEmpty):
            acore.Queue().get_nowait()
        del q      # the fixture checks that nothing is left


class TestEventC(LoopTestCase):
    """acore.Event on acore's C event."""

    def test_event_is_c_backed(self):
        self.assertTrue(issubclass(acore.Event, acore._lowlevel.EventBase))

    def test_event_set_before_loop_and_clear(self):
        ev = acore.Event()
        self.assertFalse(ev.is_set())
        ev.set()

        async def main():
            self.assertTrue(await ev.wait())
            ev.clear()
            self.assertFalse(ev.is_set())
            t = acore.create_task(ev.wait())
            await acore.sleep(0)
            self.assertFalse(t.done())
            self.assertIn("waiters:1", repr(ev))
            ev.set()
            return await t
        self.assertTrue(self.run_co(main()))
        del ev

    def test_event_wakes_all_waiters_in_order(self):
        async def main():
            ev = acore.Event()
            order = []

            async def w(i):
                await ev.wait()
                order.append(i)
            ts = [acore.create_task(w(i)) for i in range(5)]
            await acore.sleep(0)
            ev.set()
            await acore.gather(*ts)
            self.assertTrue(await ev.wait())     # set: at once
            return order
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3, 4])

    def test_event_cancelled_waiter(self):
        async def main():
            ev = acore.Event()
            t1 = acore.create_task(ev.wait())
            t2 = acore.create_task(ev.wait())
            await acore.sleep(0)
            t1.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t1
            self.assertEqual(ev._waiting(), 1)
            with self.assertRaises(TimeoutError):
                await acore.wait_for(ev.wait(), 0.001)
            ev.set()
            return await t2
        self.assertTrue(self.run_co(main()))

    def test_event_pending_waiter_released_on_close(self):
        async def main():
            ev = acore.Event()
            acore.create_task(ev.wait())
            await acore.sleep(0)
        self.run_co(main())



class TestWaiters(LoopTestCase):
    """The awaitable a semaphore or queue call returns when it must wait
    (pyac_waiter.c): awaited once; dropped or thrown into, it gives back
    what it was granted."""

    def test_waiter_semaphore_awaited_twice_raises(self):
        async def main():
            sem = acore.Semaphore(0)
            w = sem.__aenter__()                 # no permit: a waiter
            self.loop.call_soon(sem.release)
            self.assertIs(await w, True)
            with self.assertRaises(RuntimeError):
                await w                          # not a second permit
            self.assertTrue(sem.locked())
            sem.release()
            self.assertFalse(sem.locked())
        self.run_co(main())

    def test_waiter_semaphore_dropped_pending_leaves_the_queue(self):
        async def main():
            sem = acore.Semaphore(0)
            w = sem._acquire()
            del w                                # never awaited
            sem.release()
            self.assertFalse(sem.locked())       # the permit went to nobody
            self.assertIs(await sem.acquire(), True)
        self.run_co(main())

    def test_waiter_semaphore_dropped_granted_gives_permit_back(self):
        async def main():
            sem = acore.Semaphore(0)
            w = sem._acquire()
            sem.release()                        # granted to w
            self.assertTrue(sem.locked())
            del w                                # never taken
            self.assertFalse(sem.locked())
            self.assertIs(await sem.acquire(), True)
        self.run_co(main())

    def test_waiter_semaphore_throw_settles_then_raises(self):
        async def main():
            sem = acore.Semaphore(0)
            w = sem._acquire()
            sem.release()                        # granted to w
            with self.assertRaises(KeyError):
                w.throw(KeyError("x"))           # given back first
            self.assertFalse(sem.locked())
            with self.assertRaises(RuntimeError):
                await w                          # settled: not reusable
            self.assertIs(await sem.acquire(), True)
            w = sem._acquire()                   # pending
            with self.assertRaises(TypeError):
                w.throw()                        # no exception given
            sem.release()                        # w left the queue
            self.assertFalse(sem.locked())
        self.run_co(main())

    def test_waiter_queue_dropped_served_getter_gives_item_back(self):
        async def main():
            q = acore.Queue()
            w = q._get()
            q.put_nowait("x")                    # handed to w
            self.assertEqual(q.qsize(), 0)
            del w                                # never taken
            self.assertEqual(q.get_nowait(), "x")
        self.run_co(main())

    def test_waiter_queue_get_and_put_awaited_twice_raise(self):
        async def main():
            q = acore.Queue(1)
            g = q._get()
            self.loop.call_soon(q.put_nowait, "a")
            self.assertEqual(await g, "a")
            with self.assertRaises(RuntimeError):
                await g
            q.put_nowait("b")
            p = q._put("c")                      # full: a waiter
            self.loop.call_soon(q.get_nowait)
            self.assertIsNone(await p)
            with self.assertRaises(RuntimeError):
                await p
            self.assertEqual(q.get_nowait(), "c")
        self.run_co(main())

    def test_waiter_queue_dropped_pending_put_never_inserts(self):
        async def main():
            q = acore.Queue(1)
            q.put_nowait("a")
            p = q._put("b")
            del p                                # given up before served
            self.assertEqual(q.get_nowait(), "a")
            await acore.sleep(0)
            self.assertEqual(q.qsize(), 0)
        self.run_co(main())


if __name__ == "__main__":
    unittest.main()
