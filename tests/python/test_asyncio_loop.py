# SPDX-License-Identifier: MIT
"""acore's loop as asyncio's event loop: the policy, both directions of
future interop, and acore tasks as asyncio sees them."""

import asyncio
import unittest

import acore


class PolicyCase(unittest.TestCase):
    def setUp(self):
        self.old = asyncio.get_event_loop_policy()
        acore.install()

    def tearDown(self):
        asyncio.set_event_loop_policy(self.old)


class TestPolicy(PolicyCase):
    def test_loop_is_an_asyncio_event_loop(self):
        with acore.Loop() as loop:
            self.assertIsInstance(loop, asyncio.AbstractEventLoop)

    def test_asyncio_run_runs_on_acore(self):
        async def main():
            await asyncio.sleep(0.001)
            return type(asyncio.get_running_loop())
        self.assertIs(asyncio.run(main()), acore.Loop)

    def test_new_event_loop_and_set_event_loop(self):
        loop = asyncio.new_event_loop()
        try:
            self.assertIsInstance(loop, acore.Loop)
            asyncio.set_event_loop(loop)
            self.assertIs(asyncio.get_event_loop_policy().get_event_loop(),
                          loop)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def test_runner_and_isolated_test_case(self):
        ran = []

        class Case(unittest.IsolatedAsyncioTestCase):
            async def test_it(self):
                ran.append(type(asyncio.get_running_loop()))
                async with asyncio.timeout(1):
                    await asyncio.sleep(0)

        res = unittest.TestResult()
        Case("test_it").run(res)
        self.assertEqual((res.errors, res.failures), ([], []))
        self.assertEqual(ran, [acore.Loop])

    def test_install_bad_input(self):
        with self.assertRaises(TypeError):
            acore.install(1)


class TestInterop(PolicyCase):
    def run_co(self, coro):
        return asyncio.run(coro)

    def test_acore_task_awaits_asyncio_future(self):
        async def main():
            loop = asyncio.get_running_loop()
            fut = asyncio.Future(loop=loop)
            loop.call_soon(fut.set_result, 7)
            return await fut
        self.assertEqual(self.run_co(main()), 7)

    def test_asyncio_future_of_another_loop_refused(self):
        other = asyncio.new_event_loop()
        try:
            async def main():
                with self.assertRaisesRegex(RuntimeError, "different loop"):
                    await asyncio.Future(loop=other)
                return "refused"
            self.assertEqual(self.run_co(main()), "refused")
        finally:
            other.close()

    def test_cancel_waits_for_foreign_future(self):
        # asyncio's Task cancels the future it waits on and resumes only
        # once that future is done: a gather whose child handles the
        # cancel delivers its outcome.
        async def main():
            cleaned = []

            async def child():
                try:
                    await asyncio.sleep(10)
                finally:
                    await asyncio.sleep(0.01)
                    cleaned.append(True)

            async def parent():
                await asyncio.gather(child())

            t = asyncio.get_running_loop().create_task(parent())
            await asyncio.sleep(0.001)
            t.cancel("stop")
            with self.assertRaises(asyncio.CancelledError):
                await t
            return cleaned
        self.assertEqual(self.run_co(main()), [True])

    def test_asyncio_task_on_acore_awaits_acore_future(self):
        async def main():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            self.assertIsInstance(fut, acore.Future)

            async def waiter():
                return await fut
            t = asyncio.Task(waiter(), loop=loop)
            loop.call_later(0.001, fut.set_result, "v")
            return await t
        self.assertEqual(self.run_co(main()), "v")

    def test_cancel_message_objects_round_trip(self):
        async def main():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            fut.cancel(msg=42)
            with self.assertRaises(asyncio.CancelledError) as cm:
                fut.result()
            t = loop.create_task(asyncio.sleep(10))
            await asyncio.sleep(0)
            t.cancel(("a", 1))
            try:
                await t
            except asyncio.CancelledError as e:
                return cm.exception.args, e.args
        self.assertEqual(self.run_co(main()), ((42,), (("a", 1),)))

    def test_coroutine_raising_cancelled_keeps_its_error(self):
        async def main():
            async def quits():
                raise asyncio.CancelledError("mine")
            t = asyncio.get_running_loop().create_task(quits())
            try:
                await t
            except asyncio.CancelledError as e:
                return t.cancelled(), e.args
        self.assertEqual(self.run_co(main()), (True, ("mine",)))

    def test_base_exception_stays_with_its_task(self):
        class Mine(BaseException):
            pass

        async def main():
            async def raises():
                raise Mine
            t = asyncio.get_running_loop().create_task(raises())
            with self.assertRaises(Mine):
                await t
            return "loop went on"
        self.assertEqual(self.run_co(main()), "loop went on")


class TestLoopApi(PolicyCase):
    def test_task_factory(self):
        made = []

        def factory(loop, coro, **kw):
            t = asyncio.Task(coro, loop=loop, **kw)
            made.append(t)
            return t

        async def main():
            loop = asyncio.get_running_loop()
            self.assertIsNone(loop.get_task_factory())
            loop.set_task_factory(factory)
            self.assertIs(loop.get_task_factory(), factory)
            t = asyncio.create_task(asyncio.sleep(0, "r"), name="named")
            r = await t
            loop.set_task_factory(None)
            plain = loop.create_task(asyncio.sleep(0))
            await plain
            return r, t.get_name(), made == [t], type(plain) is acore.Task
        self.assertEqual(asyncio.run(main()), ("r", "named", True, True))

    def test_task_factory_bad_input(self):
        with acore.Loop() as loop:
            with self.assertRaises(TypeError):
                loop.set_task_factory(1)
            self.assertIsNone(loop.get_task_factory())

    def test_executor_cancelled_error_is_asyncio_s(self):
        import concurrent.futures as cf

        def job():
            raise cf.CancelledError("gone")

        async def main(executor):
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(executor, job)
            except asyncio.CancelledError as e:
                return e.args
        self.assertEqual(asyncio.run(main(None)), ("gone",))
        with cf.ThreadPoolExecutor(1) as ex:
            self.assertEqual(asyncio.run(main(ex)), ("gone",))


    def test_debug_and_slow_callback_duration_at_creation(self):
        import time
        import warnings
        got = []
        with acore.Loop(debug=True, slow_callback_duration=0.01) as loop:
            loop.set_exception_handler(lambda lp, ctx: got.append(ctx))
            loop.call_soon(time.sleep, 0.03)
            loop.call_soon(loop.stop)
            loop.run_forever()
            self.assertEqual((loop.get_debug(), loop.slow_callback_duration),
                             (True, 0.01))
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                loop.slow_callback_duration = 1.0
            self.assertEqual([x.category for x in w], [RuntimeWarning])
            self.assertEqual(loop.slow_callback_duration, 0.01)
        self.assertEqual(len(got), 1)
        self.assertIn("took", got[0]["message"])
        with acore.Loop() as quiet:          # not in debug mode: no report
            quiet.set_exception_handler(lambda lp, ctx: got.append(ctx))
            quiet.call_soon(time.sleep, 0.03)
            quiet.call_soon(quiet.stop)
            quiet.run_forever()
            self.assertFalse(quiet.get_debug())
        self.assertEqual(len(got), 1)
        with self.assertRaises(TypeError):
            acore.Loop(slow_callback_duration="x")

class TestShutdown(PolicyCase):
    def test_shutdown_asyncgens_closes_open_generators(self):
        closed = []

        async def agen(i):
            try:
                yield i
                yield i + 1
            finally:
                closed.append(i)

        async def main():
            gens = [agen(i) for i in range(3)]
            for g in gens:
                await g.__anext__()      # started, left open
            await asyncio.get_running_loop().shutdown_asyncgens()
            return sorted(closed)
        self.assertEqual(asyncio.run(main()), [0, 1, 2])

    def test_collected_async_generator_closed_on_the_loop(self):
        import gc
        closed = []

        async def agen():
            try:
                yield 1
                yield 2
            finally:
                closed.append(asyncio.current_task() is not None)

        async def main():
            g = agen()
            await g.__anext__()
            del g
            gc.collect()              # finalizer: aclose() as a task
            await asyncio.sleep(0.01)
            return closed
        self.assertEqual(asyncio.run(main()), [True])

    def test_shutdown_default_executor_waits_without_blocking(self):
        import concurrent.futures as cf
        import threading
        import time
        release = threading.Event()

        async def main():
            loop = asyncio.get_running_loop()
            loop.set_default_executor(cf.ThreadPoolExecutor(1))
            loop.run_in_executor(None, release.wait)
            ticks = 0

            async def ticker():
                nonlocal ticks
                while not release.is_set():
                    ticks += 1
                    await asyncio.sleep(0.001)
            t = loop.create_task(ticker())
            loop.call_later(0.05, release.set)
            t0 = time.monotonic()
            await loop.shutdown_default_executor()
            await t
            return ticks > 3, time.monotonic() - t0 < 5
        self.assertEqual(asyncio.run(main()), (True, True))

    def test_shutdown_default_executor_timeout_warns(self):
        import concurrent.futures as cf
        import threading
        release = threading.Event()

        async def main():
            loop = asyncio.get_running_loop()
            ex = cf.ThreadPoolExecutor(1)
            loop.set_default_executor(ex)
            loop.run_in_executor(None, release.wait)
            with self.assertWarns(RuntimeWarning):
                await loop.shutdown_default_executor(timeout=0.01)
            release.set()
            ex.shutdown(wait=True)
            return "returned"
        self.assertEqual(asyncio.run(main()), "returned")

    def test_shutdown_default_executor_bad_timeout(self):
        async def main():
            loop = asyncio.get_running_loop()
            import concurrent.futures as cf
            loop.set_default_executor(cf.ThreadPoolExecutor(1))
            with self.assertRaises(TypeError):
                await loop.shutdown_default_executor(timeout="x")
        asyncio.run(main())


class TestVisibility(PolicyCase):
    def test_current_task_sees_acore_task(self):
        async def main():
            t = asyncio.current_task()
            return t, acore.current_task()
        with acore.Loop() as loop:
            t = loop.create_task(main())
            seen, own = loop.run_until_complete(t)
        self.assertIs(seen, t)
        self.assertIs(own, t)

    def test_current_task_is_none_between_steps(self):
        async def main():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            loop.call_soon(lambda: fut.set_result(asyncio.current_task()))
            return await fut
        self.assertIsNone(asyncio.run(main()))

    def test_all_tasks_sees_acore_tasks(self):
        async def main():
            loop = asyncio.get_running_loop()
            t = loop.create_task(asyncio.sleep(10))
            seen = asyncio.all_tasks()
            t.cancel()
            return t in seen, asyncio.current_task() in seen, len(seen)
        self.assertEqual(asyncio.run(main()), (True, True, 2))

    def test_finished_tasks_leave_asyncio_task_set(self):
        # asyncio's task set shows acore tasks from the loops' own lists
        # (no weak reference per task): the set's data never holds them,
        # also when tasks die while the set is iterated, and an acore task
        # counts as a member while it lives.
        import asyncio.tasks as at
        import gc
        tasks = getattr(at, "_scheduled_tasks", getattr(at, "_all_tasks"))
        gc.collect()
        list(tasks)
        before = len(tasks.data)

        async def main():
            loop = asyncio.get_running_loop()
            ts = [loop.create_task(asyncio.sleep(0)) for _ in range(50)]
            await asyncio.gather(*ts)
            held = sum(t in tasks for t in ts)
            for _ in tasks:           # the set is being iterated ...
                ts.clear()            # ... while the 50 tasks die
            return held
        self.assertEqual(asyncio.run(main()), 50)
        gc.collect()
        list(tasks)  # leaving the iteration applies the pending removals
        self.assertEqual(len(tasks.data), before)

    def test_current_task_of_acore_and_asyncio_tasks(self):
        # asyncio.current_task() sees an acore task's step (from the loop,
        # no entry in asyncio's table) and an asyncio.Task's step on the
        # acore loop (asyncio's own table); between steps, nothing
        import asyncio.tasks as at

        async def theirs():
            await asyncio.sleep(0)
            return asyncio.current_task()

        async def main():
            loop = asyncio.get_running_loop()
            me = asyncio.current_task()
            entries = dict(at._current_tasks.items())
            t = asyncio.Task(theirs(), loop=loop)
            seen = await t
            return (me is acore.current_task(), loop in entries, seen is t,
                    at._current_tasks.get(loop) is me,
                    asyncio.current_task() is me)
        self.assertEqual(asyncio.run(main()),
                         (True, False, True, True, True))
        loop = asyncio.new_event_loop()
        try:
            self.assertIsNone(asyncio.current_task(loop))
            t = object()
            at._enter_task(loop, t)         # asyncio's own, on acore's loop
            self.assertIs(asyncio.current_task(loop), t)
            at._leave_task(loop, t)
            self.assertIsNone(asyncio.current_task(loop))
        finally:
            loop.close()

    def test_other_loops_see_only_their_tasks(self):
        # acore's view of asyncio's task set adds acore tasks; all_tasks()
        # of asyncio's own loop, run meanwhile, still lists only its own.
        async def on_asyncio():
            return asyncio.all_tasks(), asyncio.current_task()

        async def sleeper():
            await asyncio.sleep(10)

        with acore.Loop() as aloop:
            pending = aloop.create_task(sleeper())
            loop = asyncio.SelectorEventLoop()
            try:
                seen, own = loop.run_until_complete(on_asyncio())
            finally:
                loop.close()
            self.assertEqual(seen, {own})
            self.assertNotIn(pending, seen)
            self.assertIn(pending, asyncio.all_tasks(aloop))

    def test_asyncio_tasks_on_acore_loop_are_listed(self):
        # an asyncio.Task on acore's loop registers in asyncio's own set;
        # all_tasks() lists it beside acore's tasks
        import asyncio.tasks as at

        async def main():
            loop = asyncio.get_running_loop()
            ours = loop.create_task(asyncio.sleep(10))
            theirs = asyncio.Task(asyncio.sleep(10), loop=loop)
            every = asyncio.all_tasks()
            n = len(getattr(at, "_scheduled_tasks",
                            getattr(at, "_all_tasks", None)))
            ours.cancel()
            theirs.cancel()
            await asyncio.gather(ours, theirs, return_exceptions=True)
            return (ours in every, theirs in every,
                    asyncio.current_task() in every, len(every), n >= 3,
                    ours in asyncio.all_tasks())
        self.assertEqual(asyncio.run(main()),
                         (True, True, True, 3, True, False))

    def test_taskgroup_and_timeout_find_their_task(self):
        async def main():
            async with asyncio.TaskGroup() as g:
                a = g.create_task(asyncio.sleep(0, "a"))
            with self.assertRaises(TimeoutError):
                async with asyncio.timeout(0.001):
                    await asyncio.sleep(10)
            return a.result()
        self.assertEqual(asyncio.run(main()), "a")


class TestNewerApi(PolicyCase):
    """asyncio 3.12/3.13 API on acore under 3.11: TimerHandle,
    Handle.get_context, Queue.shutdown, async for over as_completed."""

    def test_timer_handles_sort_by_due_time(self):
        import heapq

        async def main():
            loop = asyncio.get_running_loop()
            hs = [loop.call_later(d, print) for d in (0.3, 0.1, 0.2)]
            heap = list(hs)
            heapq.heapify(heap)
            order = [hs.index(heapq.heappop(heap)) for _ in range(3)]
            for h in hs:
                h.cancel()
            soon = loop.call_soon(print)
            soon.cancel()
            return (order, type(hs[0]).__name__, hasattr(soon, "when"),
                    isinstance(hs[0], acore.Handle), hs[0] == hs[1],
                    hs[0] != hs[1], hs[0].__lt__(soon))
        self.assertEqual(asyncio.run(main()),
                         ([1, 2, 0], "TimerHandle", False, True, False, True,
                          NotImplemented))

    def test_get_context_of_an_empty_context_is_kept(self):
        async def main():
            loop = asyncio.get_running_loop()
            import contextvars
            h = contextvars.Context().run(loop.call_soon, print)
            h.cancel()
            c = h.get_context()
            return c is h.get_context(), len(c)
        self.assertEqual(asyncio.run(main()), (True, 0))

    def test_queue_shutdown_priority_queue_and_waiting_putter(self):
        async def main():
            q = acore.PriorityQueue(maxsize=2)
            await q.put(3)
            await q.put(1)
            putter = asyncio.ensure_future(q.put(2))
            await asyncio.sleep(0)
            q.shutdown()
            try:
                await putter
                putter_got = "put"
            except acore.QueueShutDown:
                putter_got = "QueueShutDown"
            return putter_got, [q.get_nowait(), q.get_nowait()], q.qsize()
        self.assertEqual(asyncio.run(main()), ("QueueShutDown", [1, 3], 0))

    def test_queue_shutdown_immediate_before_first_use(self):
        q = acore.Queue()
        q.put_nowait("a")
        q.put_nowait("b")
        q.shutdown(immediate=True)

        async def main():
            await q.join()            # the dropped items count as done
            try:
                await q.get()
            except acore.QueueShutDown:
                return "QueueShutDown", q.qsize()
        self.assertEqual(asyncio.run(main()), ("QueueShutDown", 0))

    def test_queue_shutdown_bad_arguments(self):
        q = acore.Queue()
        with self.assertRaises(TypeError):
            q.shutdown(True, 1)
        with self.assertRaises(TypeError):
            q.shutdown(now=True)
        q.put_nowait(1)               # nothing was shut down
        self.assertEqual(q.qsize(), 1)

    def test_as_completed_async_for_runs_in_c(self):
        calls = []
        real = acore.Loop._as_completed

        def spy(self, fs, timeout):
            calls.append(len(fs))
            return real(self, fs, timeout)

        async def val(v, d):
            await asyncio.sleep(d)
            return v

        async def main():
            tasks = [asyncio.ensure_future(val(v, d))
                     for v, d in (("slow", 0.03), ("fast", 0.0),
                                  ("mid", 0.01))]
            got = []
            async for f in acore.as_completed(tasks):
                got.append((f.result(), f in tasks))
            return got
        acore.Loop._as_completed = spy
        try:
            self.assertEqual(asyncio.run(main()),
                             [("fast", True), ("mid", True), ("slow", True)])
        finally:
            acore.Loop._as_completed = real
        self.assertEqual(calls, [3])

    def test_as_completed_foreign_futures_timeout(self):
        async def main():
            loop = asyncio.get_running_loop()

            class Mine(asyncio.Future):
                pass
            done, never = Mine(loop=loop), Mine(loop=loop)
            loop.call_soon(done.set_result, 1)
            got = []
            try:
                async for f in acore.as_completed([done, never],
                                                  timeout=0.01):
                    got.append(f.result())
            except TimeoutError:
                got.append("TimeoutError")
            never.cancel()
            return got
        self.assertEqual(asyncio.run(main()), [1, "TimeoutError"])


if __name__ == "__main__":
    unittest.main()
