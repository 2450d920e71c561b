# SPDX-License-Identifier: MIT
"""Leaks: references to callables come back to baseline, memory stays flat
over many mixed operations, close() releases everything C holds."""

import gc
import sys
import tracemalloc
import unittest
import weakref

import acore
from acore import _lowlevel
from pyac_testcase import LoopTestCase, live


class TestLeaks(LoopTestCase):
    def _assert_flat(self, one_round, what):
        # 100 rounds warm caches and free lists; 250 more must leave
        # traced memory (almost) where it was.
        async def rounds(n):
            for _ in range(n):
                await one_round()
        self.run_co(rounds(100))
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            self.run_co(rounds(250))
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        growth = after - before
        print(f"\ntracemalloc growth over {what}: {growth} bytes")
        self.assertLess(growth, 64 * 1024)

    def test_leaks_refcounts_back_to_baseline(self):
        def cb(*a):
            pass

        async def coro_fn():
            await acore.sleep(0)
        base = sys.getrefcount(cb)
        f = self.loop.create_future()
        f.add_done_callback(cb)
        self.loop.call_soon(cb, 1)
        self.loop.call_later(0.001, cb)
        self.loop.call_at(self.loop.time(), cb)
        self.loop.call_soon_threadsafe(cb)
        h = self.loop.call_later(100, cb)
        h.cancel()
        f.set_result(cb)
        self.run_co(coro_fn())
        self.loop.run()
        del f, h
        gc.collect()
        self.assertEqual(sys.getrefcount(cb), base)

    def test_leaks_close_releases_everything(self):
        def cb(*a):
            pass
        base = sys.getrefcount(cb)

        async def stuck():
            await self.loop.create_future()
        f = self.loop.create_future()
        f.add_done_callback(cb)              # on a pending future
        self.loop.call_soon(cb)              # queued
        self.loop.call_later(100, cb)        # a timer
        self.loop.call_soon_threadsafe(cb)   # the thread-safe queue
        t = self.loop.create_task(stuck())   # a pending task
        done = self.loop.create_future()
        done.set_result(None)
        done.add_done_callback(cb)           # a queued done callback
        self.assertGreater(_lowlevel._live()[1], 0)
        self.loop.close()
        self.assertEqual(sys.getrefcount(cb), base)
        del f, t, done
        self.assertEqual(live(), (1, 0))     # only the (closed) loop

    def test_leaks_tracemalloc_mixed_operations(self):
        async def child(i):
            await acore.sleep(0)
            if i % 7 == 0:
                raise ValueError(i)
            return i

        async def one_round():
            loop = acore.get_running_loop()
            f = loop.create_future()
            f.add_done_callback(lambda _: None)
            loop.call_soon(f.set_result, object())
            await f
            ts = [loop.create_task(child(i)) for i in range(4)]
            r = await acore.gather(*ts, return_exceptions=True)
            h = loop.call_later(10, print)
            h.cancel()
            try:
                await acore.wait_for(loop.create_future(), 0)
            except TimeoutError:
                pass
            c = loop.create_task(acore.sleep(10))
            await acore.sleep(0)
            c.cancel()
            await acore.gather(c, return_exceptions=True)
            return r
        self._assert_flat(one_round, "2,000 operations")  # 250 x 8

    def test_leaks_tracemalloc_queue_event_wait(self):
        async def one_round():
            loop = acore.get_running_loop()
            q = acore.PriorityQueue(2)
            g = loop.create_task(q.get())
            await acore.sleep(0)
            q.put_nowait((1, object()))        # handed to g ...
            g.cancel()                         # ... and given back
            await acore.gather(g, return_exceptions=True)
            p = loop.create_task(q.put((0, "x")))
            await q.get()
            await p
            ev = acore.Event()
            w = loop.create_task(ev.wait())
            await acore.sleep(0)
            ev.set()
            await w
            slow = loop.create_future()
            fast = loop.create_task(acore.sleep(0))
            await acore.wait([slow, fast], return_when=acore.FIRST_COMPLETED)
            for aw in acore.as_completed([fast, slow], timeout=0):
                try:
                    await aw
                except TimeoutError:
                    pass
            slow.cancel()
        self._assert_flat(one_round, "250 queue/event/wait rounds")

    def test_leaks_cycle_through_result_collected(self):
        # A task whose result refers back to the task: the cycle passes
        # through C, the wrapper reports it, the collector frees it.
        class Box:
            pass

        async def child():
            b = Box()
            b.task = acore.current_task()
            return b
        t = self.loop.create_task(child())
        self.run_co(t)
        del t
        gc.collect()
        self.assertEqual(_lowlevel._live(), (1, 0))   # just the loop

    def test_leaks_cycle_through_exception_collected(self):
        async def child():
            me = acore.current_task()  # noqa: F841  (kept by the frame)
            raise ValueError("cycle via traceback")
        t = self.loop.create_task(child())
        with self.assertRaises(ValueError):
            self.run_co(t)
        del t
        gc.collect()
        self.assertEqual(_lowlevel._live(), (1, 0))


class TestAbandonedFutures(LoopTestCase):
    """A pending future nobody can reach any more is collected with its
    done callbacks (as in asyncio), unless C may still complete it."""

    def test_leaks_abandoned_pending_future_collected(self):
        for _ in range(100):
            f = self.loop.create_future()
            f.add_done_callback(lambda fut: None)
            f.add_done_callback(lambda fut: None)
        del f
        gc.collect()
        self.assertEqual(_lowlevel._live(), (1, 0))   # just the loop

    def test_leaks_abandoned_future_in_a_cycle_collected(self):
        class Holder:
            pass
        h = Holder()
        h.fut = self.loop.create_future()
        h.fut.add_done_callback(lambda fut, h=h: None)   # fut -> cb -> h -> fut
        weak = weakref.ref(h.fut)
        del h
        gc.collect()
        self.assertIsNone(weak())
        self.assertEqual(_lowlevel._live(), (1, 0))

    def test_leaks_reachable_pending_future_keeps_callbacks(self):
        seen = []
        keep = self.loop.create_future()
        keep.add_done_callback(lambda fut: seen.append(fut.result()))
        gc.collect()
        keep.set_result(5)
        self.loop.run()
        self.assertEqual(seen, [5])

    def test_leaks_future_awaited_by_a_task_is_kept(self):
        # Python drops the future, but the task awaiting it holds it in C
        # and cancels it when cancelled: its callback must still run.
        seen = []

        async def waiter(fut):
            await fut

        f = self.loop.create_future()
        f.add_done_callback(lambda fut: seen.append(fut.cancelled()))
        t = self.loop.create_task(waiter(f))
        self.loop.call_soon(lambda: None)
        self.loop.run()          # the task now waits on f
        del f
        gc.collect()
        t.cancel()
        self.loop.run()
        self.assertEqual(seen, [True])
        self.assertTrue(t.cancelled())

    def test_leaks_future_handed_to_c_is_kept(self):
        # Once its address went to C, C may complete it: never collected
        # behind C's back.
        seen = []
        f = self.loop.create_future()
        f.add_done_callback(lambda fut: seen.append("ran"))
        address = f._address()
        weak = weakref.ref(f)
        del f
        gc.collect()
        self.assertIsNotNone(weak())
        weak().set_result(None)
        self.loop.run()
        self.assertEqual(seen, ["ran"])
        self.assertNotEqual(address, 0)

    def test_leaks_gathered_future_is_kept(self):
        seen = []
        f = self.loop.create_future()
        f.add_done_callback(lambda fut: seen.append("ran"))

        async def main():
            inner = self.loop.create_future()
            inner.add_done_callback(lambda fut: seen.append("inner"))
            gathered = acore.gather(inner)
            weak = weakref.ref(inner)
            del inner
            gc.collect()
            self.assertIsNotNone(weak())
            gathered.cancel()        # reaches the child through C
            try:
                await gathered
            except acore.CancelledError:
                pass
        self.run_co(main())
        f.cancel()
        self.loop.run()
        self.assertEqual(sorted(seen), ["inner", "ran"])


class TestQueueItemsVisible(LoopTestCase):
    """Items a C queue holds are shown to the garbage collector: a queue
    in a cycle through its own items is collected."""

    def _cycle(self, cls):
        async def main():
            q = cls()
            await q.put(q)                 # bound: the item is in C
            q.put_nowait((1, q))           # and another through a tuple
            return weakref.ref(q)
        weak = self.run_co(main())
        gc.collect()
        self.assertIsNone(weak())
        self.assertEqual(_lowlevel._live(), (1, 0))   # just the loop

    def test_leaks_queue_holding_itself_collected(self):
        self._cycle(acore.Queue)

    def test_leaks_lifo_queue_holding_itself_collected(self):
        self._cycle(acore.LifoQueue)

    def test_leaks_priority_queue_holding_itself_collected(self):
        class Item:
            def __init__(self, q):
                self.q = q

            def __lt__(self, other):
                return False

        async def main():
            q = acore.PriorityQueue()
            await q.put(Item(q))
            await q.put(Item(q))
            return weakref.ref(q)
        weak = self.run_co(main())
        gc.collect()
        self.assertIsNone(weak())
        self.assertEqual(_lowlevel._live(), (1, 0))

    def test_leaks_waiting_putter_item_visible(self):
        # An item waiting in a put (queue full) is held by C too.
        class Box:
            pass

        async def main():
            q = acore.Queue(1)
            await q.put(0)
            b = Box()
            b.q = q
            t = acore.create_task(q.put(b))
            await acore.sleep(0)           # the put now waits in C
            t.cancel()
            return weakref.ref(b), t
        weak, t = self.run_co(main())
        self.loop.run()
        del t
        gc.collect()
        self.assertIsNone(weak())
        self.assertEqual(_lowlevel._live(), (1, 0))

    def test_leaks_items_still_come_out_after_a_collection(self):
        async def main():
            q = acore.Queue()
            items = [object() for _ in range(5)]
            for it in items:
                q.put_nowait(it)
            gc.collect()
            out = [await q.get() for _ in range(5)]
            return out == items
        self.assertTrue(self.run_co(main()))


if __name__ == "__main__":
    unittest.main()
