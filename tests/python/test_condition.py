# SPDX-License-Identifier: MIT
"""acore.Condition: acore's own condition variable on acore futures and a
lock (acore.Lock by default) - wait/notify, FIFO wake-ups, cancellation
(the lock is always held again; a notification is never lost), wait_for,
custom locks, timeouts in inner tasks, loop binding, repr."""

import asyncio
import collections
import re
import sys
import unittest

import acore
from pyac_testcase import LoopTestCase

REPR = re.compile(r"^<(?P<cls>\S+) object at 0x[0-9a-f]+ "
                  r"\[(?P<extra>(locked|unlocked)(, waiters:\d+)?)\]>\Z")


async def settle(n=5):
    """Let the loop run `n` iterations (enough for a wake-up to travel
    from a notify through the lock to the waiter's task)."""
    for _ in range(n):
        await acore.sleep(0)


class TestCondition(LoopTestCase):
    virtual_clock = True

    # ---- construction and the lock -----------------------------------------

    def test_is_acores_own_class_with_an_acore_lock(self):
        self.assertIsNot(acore.Condition, asyncio.Condition)
        cond = acore.Condition()
        self.assertIsInstance(cond._lock, acore.Lock)
        self.assertFalse(cond.locked())

        async def main():
            self.assertIsNone(await cond.__aenter__())
            self.assertTrue(cond.locked())
            self.assertTrue(cond._lock.locked())
            await cond.__aexit__(None, None, None)
            self.assertFalse(cond.locked())
            self.assertTrue(await cond.acquire())
            self.assertTrue(cond._lock.locked())
            cond.release()
            self.assertFalse(cond._lock.locked())
            with self.assertRaises(RuntimeError):
                cond.release()            # the lock's own error
            async with cond as x:
                self.assertIsNone(x)
                self.assertTrue(cond.locked())
            self.assertFalse(cond.locked())
            with self.assertRaisesRegex(RuntimeError, "not acquired"):
                await cond.__aexit__(None, None, None)
            # contended: __aenter__ waits for the lock
            await cond.acquire()
            t = acore.create_task(self._enter_exit(cond))
            await settle()
            self.assertFalse(t.done())
            cond.release()
            self.assertIsNone(await t)
            self.assertFalse(cond.locked())
        self.run_co(main())

    async def _enter_exit(self, cond):
        async with cond as x:
            self.assertTrue(cond.locked())
            return x

    def test_lock_subclass_methods_are_used(self):
        calls = []

        class TracingLock(acore.Lock):
            async def acquire(self):
                calls.append("acquire")
                return await super().acquire()

            def release(self):
                calls.append("release")
                super().release()

        async def main():
            cond = acore.Condition(TracingLock())
            async with cond:
                pass
            self.assertEqual(calls, ["acquire", "release"])
            t = acore.create_task(self._wait_once(cond))
            await settle()
            async with cond:
                cond.notify()
            self.assertTrue(await t)
            self.assertEqual(calls, ["acquire", "release"] * 4)
        self.run_co(main())

    def test_lock_subclass_overriding_only_release(self):
        # acquire() is the stock one (taken through C), release() the
        # subclass's: async with and wait() both call it.
        calls = []

        class ReleaseLock(acore.Lock):
            def release(self):
                calls.append("release")
                super().release()

        async def main():
            cond = acore.Condition(ReleaseLock())
            async with cond:
                self.assertTrue(cond.locked())
            self.assertEqual(calls, ["release"])
            t = acore.create_task(self._wait_once(cond))
            await settle()
            async with cond:
                cond.notify()
            self.assertTrue(await t)
            self.assertEqual(calls, ["release"] * 4)
            self.assertFalse(cond.locked())
        self.run_co(main())

    def test_on_an_asyncio_loop_with_an_asyncio_lock(self):
        async def main():
            cond = acore.Condition(asyncio.Lock())
            woken = []

            async def w(i):
                async with cond:
                    await cond.wait()
                    woken.append(i)
            ts = [asyncio.create_task(w(i)) for i in range(3)]
            for _ in range(3):
                await asyncio.sleep(0)
            self.assertIsInstance(cond._waiters[0], asyncio.Future)
            async with cond:
                cond.notify(2)
            await asyncio.gather(*ts[:2])
            async with cond:
                cond.notify_all()
            await ts[2]
            return woken
        self.assertEqual(asyncio.run(main()), [0, 1, 2])

    def test_explicit_locks(self):
        class DuckLock:
            """Just acquire/release/locked."""

            def __init__(self):
                self.held = False
                self.calls = []

            async def acquire(self):
                self.calls.append("acquire")
                self.held = True
                return True

            def release(self):
                self.calls.append("release")
                self.held = False

            def locked(self):
                return self.held

        async def check(lock, cond):
            self.assertIs(cond._lock, lock)
            self.assertFalse(cond.locked())
            async with cond:
                self.assertTrue(lock.locked())
                self.assertTrue(cond.locked())
            self.assertFalse(lock.locked())
            await lock.acquire()
            self.assertTrue(cond.locked())
            lock.release()
            self.assertFalse(cond.locked())
            # a real wait/notify round on this lock
            woken = []

            async def waiter():
                async with cond:
                    self.assertTrue(await cond.wait())
                    self.assertTrue(lock.locked())
                    woken.append(1)
            t = acore.create_task(waiter())
            await settle()
            self.assertFalse(lock.locked())
            async with cond:
                cond.notify()
            await t
            self.assertEqual(woken, [1])
            self.assertFalse(lock.locked())

        async def main():
            for lock in (acore.Lock(), asyncio.Lock()):
                await check(lock, acore.Condition(lock))
            shared = acore.Lock()
            c1, c2 = acore.Condition(shared), acore.Condition(shared)
            await check(shared, c1)
            await check(shared, c2)
            duck = DuckLock()
            await check(duck, acore.Condition(duck))
            self.assertIn("release", duck.calls)
        self.run_co(main())

    def test_lock_of_another_loop_is_refused(self):
        lock = acore.Lock()

        async def bind_lock():
            async with lock:
                pass
        other = acore.Loop()
        try:
            other.run_until_complete(bind_lock())
            self.assertIs(lock._loop, other)

            async def main():
                cond = acore.Condition(lock)
                async with cond:   # free: taken at once, no loop involved
                    with self.assertRaisesRegex(
                            RuntimeError, "bound to a different event loop"):
                        await cond.wait()
                    self.assertTrue(cond.locked())
                    self.assertEqual(len(cond._waiters), 0)
                # an asyncio.Lock bound to another loop, likewise
                alock = asyncio.Lock()
                alock._loop = other
                acond = acore.Condition(alock)
                async with acond:
                    with self.assertRaisesRegex(
                            RuntimeError, "bound to a different event loop"):
                        await acond.wait()
            self.run_co(main())
        finally:
            other.close()
        del lock

    def test_condition_of_another_loop_is_refused(self):
        cond = acore.Condition(asyncio.Lock())

        async def round_trip():
            async with cond:
                t = acore.create_task(self._notify_later(cond))
                self.assertTrue(await cond.wait())
                await t
        other = acore.Loop()
        try:
            other.run_until_complete(round_trip())
            self.assertIs(cond._loop, other)
        finally:
            other.close()

        async def main():
            async with cond:
                with self.assertRaisesRegex(
                        RuntimeError, "bound to a different event loop"):
                    await cond.wait()
                self.assertTrue(cond.locked())
        self.run_co(main())
        del cond

    async def _notify_later(self, cond):
        async with cond:
            cond.notify()

    def test_wait_for_with_a_true_predicate_needs_no_lock(self):
        cond = acore.Condition()

        async def main():
            # a predicate that is true needs neither the lock nor a wait
            self.assertEqual(await cond.wait_for(lambda: [1, 2]), [1, 2])
            self.assertIsNone(cond._loop)
        self.run_co(main())

    # ---- the lock must be held ---------------------------------------------

    def test_wait_and_notify_without_the_lock(self):
        cond = acore.Condition()
        with self.assertRaisesRegex(RuntimeError,
                                    "cannot notify on un-acquired lock"):
            cond.notify()
        with self.assertRaisesRegex(RuntimeError,
                                    "cannot notify on un-acquired lock"):
            cond.notify_all()

        async def main():
            with self.assertRaisesRegex(RuntimeError,
                                        "cannot wait on un-acquired lock"):
                await cond.wait()
            with self.assertRaisesRegex(RuntimeError,
                                        "cannot wait on un-acquired lock"):
                await cond.wait_for(lambda: False)
            self.assertEqual(len(cond._waiters), 0)
            self.assertFalse(cond.locked())
        self.run_co(main())

    # ---- notify ------------------------------------------------------------

    def test_wait_returns_only_once_the_lock_is_back(self):
        async def main():
            cond = acore.Condition()
            result = []

            async def c(i):
                await cond.acquire()
                if await cond.wait():
                    result.append(i)
                return True              # keeps the lock: the test releases
            ts = [acore.create_task(c(i)) for i in (1, 2, 3)]
            await settle()
            self.assertEqual(result, [])
            self.assertFalse(cond.locked())
            self.assertTrue(await cond.acquire())
            cond.notify()
            await settle()
            self.assertEqual(result, [])      # notified, lock still ours
            self.assertTrue(cond.locked())
            cond.release()
            await settle()
            self.assertEqual(result, [1])
            self.assertTrue(cond.locked())    # held by task 1 now
            cond.notify(2)
            await settle()
            self.assertEqual(result, [1])
            cond.release()
            await settle()
            self.assertEqual(result, [1, 2])
            cond.release()
            await settle()
            self.assertEqual(result, [1, 2, 3])
            self.assertTrue(cond.locked())
            cond.release()
            return [t.result() for t in ts]
        self.assertEqual(self.run_co(main()), [True, True, True])

    @staticmethod
    def _numbered_waiters(cond, log, n):
        # n tasks: waiter i waits on `cond` once, then appends i to `log`.
        async def w(i):
            async with cond:
                await cond.wait()
                log.append(i)
        return [acore.create_task(w(i)) for i in range(n)]

    def test_notify_wakes_in_fifo_order(self):
        async def main():
            cond = acore.Condition()
            order = []

            ts = self._numbered_waiters(cond, order, 6)
            await settle()
            self.assertEqual(len(cond._waiters), 6)
            for expected in range(6):
                async with cond:
                    cond.notify()
                await settle()
                self.assertEqual(order, list(range(expected + 1)))
            await acore.gather(*ts)
            return order
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3, 4, 5])

    def test_notify_two_of_three(self):
        async def main():
            cond = acore.Condition()
            woken = []

            ts = self._numbered_waiters(cond, woken, 3)
            await settle()
            async with cond:
                cond.notify(2)
                self.assertEqual(len(cond._waiters), 1)
            await settle(10)
            self.assertEqual(woken, [0, 1])
            self.assertFalse(ts[2].done())
            self.assertIn("waiters:1", repr(cond))
            async with cond:
                cond.notify(2048)
            await acore.gather(*ts)
            return woken
        self.assertEqual(self.run_co(main()), [0, 1, 2])

    def test_notify_all(self):
        async def main():
            cond = acore.Condition()
            woken = []

            async def w(i):
                async with cond:
                    self.assertTrue(await cond.wait())
                    woken.append(i)
            ts = [acore.create_task(w(i)) for i in range(5)]
            await settle()
            async with cond:
                cond.notify_all()
                self.assertEqual(len(cond._waiters), 0)
            await acore.gather(*ts)
            late = acore.create_task(w(99))    # came after notify_all
            await settle()
            self.assertFalse(late.done())
            async with cond:
                cond.notify_all()
            await late
            return woken
        self.assertEqual(self.run_co(main()), [0, 1, 2, 3, 4, 99])

    def test_notify_with_no_waiters(self):
        async def main():
            cond = acore.Condition()
            async with cond:
                cond.notify()
                cond.notify(5)
                cond.notify(0)
                cond.notify(-1)
                cond.notify_all()
                self.assertTrue(cond.locked())
            # nothing is remembered: a later waiter still waits
            woken = []

            async def w():
                async with cond:
                    await cond.wait()
                    woken.append(1)
            t = acore.create_task(w())
            await settle()
            self.assertEqual(woken, [])
            async with cond:
                cond.notify(0)            # wakes nobody
            await settle()
            self.assertEqual(woken, [])
            async with cond:
                cond.notify()
            await t
            return woken
        self.assertEqual(self.run_co(main()), [1])

    def test_notify_skips_waiters_cancelled_meanwhile(self):
        async def main():
            cond = acore.Condition()
            woken = []

            ts = self._numbered_waiters(cond, woken, 3)
            await settle()
            ts[0].cancel()        # its future is cancelled, task not yet run
            async with cond:
                cond.notify()     # goes to 1, not to the cancelled 0
            with self.assertRaises(asyncio.CancelledError):
                await ts[0]
            await ts[1]
            self.assertFalse(ts[2].done())
            async with cond:
                cond.notify()
            await ts[2]
            return woken
        self.assertEqual(self.run_co(main()), [1, 2])

    # ---- cancellation ------------------------------------------------------

    @staticmethod
    def _waiter(cond, seen, predicate=None):
        # A task in `async with cond: wait()` (or wait_for(predicate)) that
        # records (lock held?, the CancelledError's args) when cancelled.
        async def func():
            async with cond:
                try:
                    if predicate is None:
                        await cond.wait()
                    else:
                        await cond.wait_for(predicate)
                except asyncio.CancelledError as e:
                    seen.append((cond.locked(), e.args))
                    raise
        return acore.create_task(func())

    async def _await_cancelled(self, task, *args):
        with self.assertRaises(asyncio.CancelledError) as cm:
            await task
        self.assertEqual(cm.exception.args, args)   # the message is kept

    def test_cancel_while_waiting(self):
        async def main():
            cond, seen = acore.Condition(), []
            task = self._waiter(cond, seen, lambda: False)
            await settle()
            self.assertFalse(cond.locked())
            task.cancel(msg="foo")
            await self._await_cancelled(task, "foo")
            self.assertEqual(seen, [(True, ("foo",))])  # lock back in handler
            self.assertEqual(len(cond._waiters), 0)
            self.assertFalse(cond.locked())   # released by `async with`
        self.run_co(main())

    def test_cancel_while_waiting_on_a_held_lock(self):
        # Cancelled while another task holds the lock: wait() waits for the
        # lock before the CancelledError comes out.
        async def main():
            cond, seen = acore.Condition(), []
            task = self._waiter(cond, seen)
            await settle()
            await cond.acquire()
            task.cancel()
            await settle()
            self.assertFalse(task.done())    # waits for the lock
            self.assertEqual(seen, [])
            cond.release()
            await self._await_cancelled(task)
            self.assertEqual(seen, [(True, ())])
            self.assertFalse(cond.locked())
        self.run_co(main())

    def test_cancel_while_reacquiring(self):
        async def main():
            cond, seen, wake = acore.Condition(), [], []
            task = self._waiter(cond, seen, lambda: wake)
            await settle()
            await cond.acquire()
            wake.append(True)
            cond.notify()
            await settle()         # the task now waits for the lock
            self.assertFalse(task.done())
            task.cancel(msg="bar")
            await settle()
            self.assertFalse(task.done())    # still waits for the lock
            cond.release()
            await self._await_cancelled(task, "bar")
            self.assertEqual(seen, [(True, ("bar",))])
            self.assertFalse(cond.locked())
        self.run_co(main())

    def test_cancel_twice_keeps_reacquiring(self):
        async def main():
            cond, seen = acore.Condition(), []
            task = self._waiter(cond, seen)
            await settle()
            await cond.acquire()
            task.cancel(msg="first")
            await settle()            # now waiting for the lock
            task.cancel(msg="second")
            await settle()
            self.assertFalse(task.done())
            cond.release()
            await self._await_cancelled(task, "second")
            return seen
        self.assertEqual(self.run_co(main()), [(True, ("second",))])

    def test_cancel_contested_after_notify(self):
        # Notified and cancelled in the same iteration, lock contested:
        # whichever way the race goes, the lock is held at the end.
        async def main():
            loop = acore.get_running_loop()
            cond = acore.Condition()
            await cond.acquire()
            wait_task = acore.create_task(cond.wait())
            await settle()
            self.assertFalse(cond.locked())
            await cond.acquire()
            cond.notify()
            loop.call_soon(wait_task.cancel)
            loop.call_soon(cond.release)
            try:
                await wait_task
            except asyncio.CancelledError:
                pass
            self.assertTrue(cond.locked())
            cond.release()
        self.run_co(main())

    def test_cancel_after_notify_in_acquire(self):
        async def main():
            cond = acore.Condition()
            waited = False

            async def wait_on_cond():
                nonlocal waited
                async with cond:
                    waited = True
                    await cond.wait()
            waiter = acore.create_task(wait_on_cond())
            await settle()
            await cond.acquire()
            cond.notify()
            await settle()            # the waiter is in acquire()
            waiter.cancel()
            await settle()
            cond.release()
            await settle()
            self.assertTrue(waiter.cancelled())
            self.assertTrue(waited)
            self.assertFalse(cond.locked())
        self.run_co(main())

    @staticmethod
    def _start_consumers(cond, state, n=2):
        # Consumers that take one unit of state[0] per wake-up and return
        # once it is negative.
        async def consumer():
            async with cond:
                while True:
                    await cond.wait_for(lambda: state[0] != 0)
                    if state[0] < 0:
                        return
                    state[0] -= 1
        return [acore.create_task(consumer()) for _ in range(n)]

    async def _stop_consumers(self, cond, state, c):
        # c[0] was cancelled, c[1] still waits: end it, check c[0].
        self.assertEqual(state[0], 0)   # c[1] got the notification
        self.assertTrue(c[0].done())
        self.assertFalse(c[1].done())
        async with cond:
            state[0] = -1
            cond.notify_all()
        await c[1]
        with self.assertRaises(asyncio.CancelledError):
            await c[0]
        return state[0]

    def test_notified_then_cancelled_passes_the_notification_on(self):
        # A waiter notified, then cancelled before its task ran, does not
        # use the notification: the next waiter gets it (a lost wake-up
        # would leave c[1] waiting and state at 1).
        async def main():
            cond, state = acore.Condition(), [0]
            c = self._start_consumers(cond, state)
            await settle()
            async with cond:
                state[0] += 1
                cond.notify(1)        # goes to c[0] ...
                c[0].cancel()         # ... cancelled before it ran
            await settle(10)
            return await self._stop_consumers(cond, state, c)
        self.assertEqual(self.run_co(main()), -1)

    def test_notified_then_cancelled_while_relocking_passes_it_on(self):
        async def main():
            cond, state = acore.Condition(), [0]
            c = self._start_consumers(cond, state)
            await settle()
            async with cond:
                state[0] += 1
                cond.notify(1)
                await settle()        # c[0] woke up, waits for the lock
                self.assertFalse(c[0].done())
                self.assertEqual(len(cond._waiters), 1)
                c[0].cancel()
            await settle(10)
            return await self._stop_consumers(cond, state, c)
        self.assertEqual(self.run_co(main()), -1)

    def test_cancelled_before_notify_takes_no_notification(self):
        async def main():
            cond = acore.Condition()
            woken = []

            ts = self._numbered_waiters(cond, woken, 3)
            await settle()
            ts[0].cancel()
            with self.assertRaises(asyncio.CancelledError):
                await ts[0]
            self.assertEqual(len(cond._waiters), 2)
            async with cond:
                cond.notify()
            await ts[1]
            await settle()
            self.assertEqual(woken, [1])     # exactly one woke: no extra
            self.assertFalse(ts[2].done())
            async with cond:
                cond.notify()
            await ts[2]
            return woken
        self.assertEqual(self.run_co(main()), [1, 2])

    def test_closing_the_loop_with_waiters(self):
        # Waiters pending at close: one waits for a notification, one for
        # the lock (held by nobody who will release it). Nothing leaks.
        async def main():
            cond = acore.Condition()

            async def w():
                async with cond:
                    await cond.wait()
            acore.create_task(w())
            acore.create_task(w())
            await settle()
            await cond.acquire()
            cond.notify()               # one waits for the lock now
            await settle()
            return cond
        cond = self.run_co(main())
        unraisable = []
        old_hook = sys.unraisablehook
        sys.unraisablehook = unraisable.append
        try:
            self.loop.close()
        finally:
            sys.unraisablehook = old_hook
        self.assertEqual(unraisable, [])
        self.assertEqual([r["message"] for r in self.reports],
                         ["Task was destroyed but it is pending!"] * 2)
        self.assertEqual(len(cond._waiters), 0)
        del cond

    # ---- wait_for ----------------------------------------------------------

    def test_wait_for_predicate(self):
        async def main():
            cond = acore.Condition()
            value = 0
            calls = []

            def predicate():
                calls.append(value)
                return value >= 2 and f"value {value}"
            result = []

            async def c():
                async with cond:
                    result.append(await cond.wait_for(predicate))
                    self.assertTrue(cond.locked())
            t = acore.create_task(c())
            await settle()
            self.assertEqual(calls, [0])
            for v in (1, 2):
                async with cond:
                    value = v
                    cond.notify()
                await settle()
            await t
            self.assertEqual(calls, [0, 1, 2])
            # already true: no wait, no waiter, lock untouched
            async with cond:
                self.assertEqual(await cond.wait_for(predicate), "value 2")
                self.assertTrue(cond.locked())
                self.assertEqual(len(cond._waiters), 0)
            return result
        self.assertEqual(self.run_co(main()), ["value 2"])

    def test_wait_for_predicate_error_propagates_with_the_lock(self):
        async def main():
            cond = acore.Condition()
            n = [0]

            def predicate():
                n[0] += 1
                if n[0] == 2:
                    raise ValueError("boom")
                return False

            async def c():
                async with cond:
                    try:
                        await cond.wait_for(predicate)
                    except ValueError:
                        return cond.locked()
            t = acore.create_task(c())
            await settle()
            async with cond:
                cond.notify()
            self.assertTrue(await t)
            self.assertFalse(cond.locked())
        self.run_co(main())

    # ---- inner tasks and timeouts ------------------------------------------

    def test_timeout_via_wait_for_in_an_inner_task(self):
        async def main():
            loop = acore.get_running_loop()
            cond = acore.Condition()
            async with cond:
                t = acore.create_task(acore.wait_for(cond.wait(), 0.01))
                await settle()
                self.assertFalse(t.done())
                self.assertFalse(cond.locked())
                loop._advance(0.02)
                with self.assertRaises(TimeoutError):
                    await t
                # the inner task took the lock back for us
                self.assertTrue(cond.locked())
                self.assertEqual(len(cond._waiters), 0)
                # and a wait_for that is notified in time returns True
                t = acore.create_task(acore.wait_for(cond.wait(), 10))
                await settle()
                n = acore.create_task(self._notify_later(cond))
                await settle()
                self.assertTrue(await t)
                self.assertTrue(cond.locked())   # ours again, via t
                await n
            self.assertFalse(cond.locked())
        self.run_co(main())

    def test_timeout_racing_a_notify_loses_no_wake_up(self):
        # The inner task of wait_for is notified and timed out in the same
        # iteration: either it returns True, or its notification goes to
        # the next waiter. Exactly one wake-up is used either way.
        async def main():
            loop = acore.get_running_loop()
            cond = acore.Condition()
            used = []

            async def timed():
                async with cond:
                    try:
                        await acore.wait_for(cond.wait(), 0.01)
                        used.append("timed")
                    except TimeoutError:
                        self.assertTrue(cond.locked())

            async def plain():
                async with cond:
                    await cond.wait()
                    used.append("plain")
            t1 = acore.create_task(timed())
            await settle()
            t2 = acore.create_task(plain())
            await settle()
            async with cond:
                cond.notify(1)            # to the timed waiter ...
                loop._advance(0.02)       # ... whose timeout is due now
                await settle()
            await t1
            await settle(10)
            first = list(used)
            self.assertIn(first, (["timed"], ["plain"]))
            if first == ["timed"]:
                self.assertFalse(t2.done())
                async with cond:
                    cond.notify()
            await t2
            return first
        first = self.run_co(main())
        self.assertIn(first, (["timed"], ["plain"]))

    def test_timeout_directly_in_the_waiting_task(self):
        async def main():
            loop = acore.get_running_loop()
            cond = acore.Condition()

            async def guarded():
                async with cond:
                    with self.assertRaises(TimeoutError):
                        async with acore.timeout(0.01):
                            await cond.wait()
                    return cond.locked()
            t = acore.create_task(guarded())
            await settle()
            loop._advance(0.02)
            self.assertTrue(await t)
            self.assertFalse(cond.locked())
        self.run_co(main())

    def test_waiters_in_a_task_group(self):
        async def main():
            cond = acore.Condition()
            ready = []
            woken = []

            async def w(i):
                async with cond:
                    ready.append(i)
                    await cond.wait_for(lambda: len(ready) == 4)
                    woken.append(i)
                    cond.notify()     # chain the wake-up
            async with acore.TaskGroup() as tg:
                for i in range(3):
                    tg.create_task(w(i))
                tg.create_task(self._last(cond, ready))
            return sorted(woken)
        self.assertEqual(self.run_co(main()), [0, 1, 2])

    async def _last(self, cond, ready):
        async with cond:
            ready.append("last")
            cond.notify()

    def test_waiters_are_futures_of_the_running_acore_loop(self):
        async def main():
            cond = acore.Condition()
            t = acore.create_task(self._wait_once(cond))
            await settle()
            fut, = cond._waiters
            self.assertIsInstance(fut, acore.Future)
            self.assertIs(fut.get_loop(), acore.get_running_loop())
            self.assertIs(cond._loop, acore.get_running_loop())
            async with cond:
                cond.notify()
            await t
        self.run_co(main())

    async def _wait_once(self, cond):
        async with cond:
            return await cond.wait()

    # ---- repr --------------------------------------------------------------

    def test_repr(self):
        async def main():
            cond = acore.Condition()
            m = REPR.match(repr(cond))
            self.assertTrue(m, repr(cond))
            self.assertEqual(m.group("cls"), "acore.Condition")
            self.assertEqual(m.group("extra"), "unlocked")
            ts = [acore.create_task(self._wait_once(cond)) for _ in range(2)]
            await settle()
            self.assertEqual(REPR.match(repr(cond)).group("extra"),
                             "unlocked, waiters:2")
            await cond.acquire()
            self.assertEqual(REPR.match(repr(cond)).group("extra"),
                             "locked, waiters:2")
            ts[0].cancel()            # cancelled: no longer counted
            self.assertIn("waiters:1", repr(cond))
            cond.notify_all()
            self.assertTrue(repr(cond).endswith("[locked]>"))
            cond.release()
            await acore.gather(*ts, return_exceptions=True)

            class Sub(acore.Condition):
                pass
            self.assertIn("Sub object at", repr(Sub()))
        self.run_co(main())


class TestConditionStress(LoopTestCase):
    """Producers and consumers on one lock with two conditions, single
    notify()s only (a lost wake-up would leave someone waiting); fixed
    counts; a generous real-time bound turns a hang into a failure."""

    def _bounded_buffer(self, producers, consumers, per_producer, size,
                        cancel_every=0):
        async def main():
            lock = acore.Lock()
            not_empty = acore.Condition(lock)
            not_full = acore.Condition(lock)
            buf = []
            got = []
            bystanders = collections.deque()

            async def producer(p):
                for i in range(per_producer):
                    async with lock:
                        await not_full.wait_for(lambda: len(buf) < size)
                        buf.append((p, i))
                        not_empty.notify()
                        if cancel_every and i % cancel_every == 0:
                            chaos()
                    if i % 3 == 0:
                        await acore.sleep(0)

            async def consumer():
                while True:
                    async with lock:
                        await not_empty.wait_for(lambda: buf)
                        item = buf.pop(0)
                        not_full.notify()
                        if item is None:
                            return
                        got.append(item)

            async def bystander():
                # queues on not_empty among the consumers; woken, it hands
                # the wake-up on (it keeps none to itself)
                async with lock:
                    await not_empty.wait()
                    not_empty.notify()

            def chaos():
                # cancellations landing together with a notify: if the
                # notification went to a bystander, it must move on
                while bystanders:
                    bystanders.popleft().cancel()

            async def spawner():
                k = 0
                while not all(c.done() for c in cs):
                    bystanders.append(acore.create_task(bystander()))
                    for _ in range(1 + k % 3):
                        await acore.sleep(0)
                    k += 1

            cs = [acore.create_task(consumer()) for _ in range(consumers)]
            ps = [acore.create_task(producer(p)) for p in range(producers)]
            sp = acore.create_task(spawner()) if cancel_every else None
            await acore.gather(*ps)
            for _ in cs:                   # one stop marker per consumer
                async with lock:
                    await not_full.wait_for(lambda: len(buf) < size)
                    buf.append(None)
                    not_empty.notify()
                    if cancel_every:
                        chaos()
            await acore.gather(*cs)
            if sp is not None:
                await sp
                for b in bystanders:
                    b.cancel()
                await acore.gather(*bystanders, return_exceptions=True)
            self.assertFalse(lock.locked())
            self.assertEqual(len(not_empty._waiters), 0)
            self.assertEqual(len(not_full._waiters), 0)
            return got
        got = self.run_co(acore.wait_for(main(), 30))
        self.assertEqual(len(got), producers * per_producer)
        self.assertEqual(sorted(got), sorted(
            (p, i) for p in range(producers) for i in range(per_producer)))
        for p in range(producers):      # each producer's items in order
            mine = [i for q, i in got if q == p]
            self.assertEqual(mine, list(range(per_producer)))

    def test_producers_consumers(self):
        self._bounded_buffer(producers=4, consumers=3, per_producer=500,
                             size=2)

    def test_producers_consumers_single_slot(self):
        self._bounded_buffer(producers=3, consumers=5, per_producer=300,
                             size=1)

    def test_producers_consumers_with_cancelled_waiters(self):
        self._bounded_buffer(producers=3, consumers=3, per_producer=400,
                             size=1, cancel_every=7)

    def test_ping_pong(self):
        async def main():
            cond = acore.Condition()
            turn = [0]
            rounds = 2000
            log = []

            async def player(me, other):
                async with cond:
                    for _ in range(rounds):
                        await cond.wait_for(lambda: turn[0] == me)
                        log.append(me)
                        turn[0] = other
                        cond.notify()
            await acore.gather(player(0, 1), player(1, 0))
            return log
        log = self.run_co(acore.wait_for(main(), 60))
        self.assertEqual(log, [0, 1] * 2000)


if __name__ == "__main__":
    unittest.main()
