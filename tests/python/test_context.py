# SPDX-License-Identifier: MIT
"""contextvars as asyncio has them: call_soon / call_later / call_at /
call_soon_threadsafe, add_done_callback and tasks run in a copy of the
caller's context (or in the context given with context=), and what they
change there does not leak out."""

import contextvars
import gc
import sys
import threading
import tracemalloc
import unittest

import acore
from pyac_testcase import LoopTestCase

var = contextvars.ContextVar("var", default="unset")


class TestContext(LoopTestCase):
    def _schedule_all(self, seen, fn):
        loop = self.loop
        loop.call_soon(fn, "soon")
        loop.call_later(0, fn, "later")
        loop.call_at(loop.time(), fn, "at")
        loop.call_soon_threadsafe(fn, "threadsafe")

    def test_context_call_soon_sees_caller_value(self):
        seen = {}

        def cb(tag):
            seen[tag] = var.get()
        token = var.set("outer")
        try:
            self._schedule_all(seen, cb)
        finally:
            var.reset(token)
        self.assertEqual(var.get(), "unset")
        self.loop.run()
        self.assertEqual(seen, {"soon": "outer", "later": "outer",
                                "at": "outer", "threadsafe": "outer"})

    def test_context_copied_at_the_call(self):
        seen = []
        token = var.set("first")
        self.loop.call_soon(lambda: seen.append(var.get()))
        var.set("second")            # after the call: not seen
        self.loop.call_soon(lambda: seen.append(var.get()))
        var.reset(token)
        self.loop.run()
        self.assertEqual(seen, ["first", "second"])

    def test_context_callback_changes_do_not_leak(self):
        seen = []

        def writer():
            var.set("inside")
            seen.append(var.get())

        def reader():
            seen.append(var.get())
        self.loop.call_soon(writer)
        self.loop.call_soon(reader)  # its own copy: not the writer's change
        self.loop.run()
        self.assertEqual(seen, ["inside", "unset"])
        self.assertEqual(var.get(), "unset")

    def test_context_exception_handler_runs_outside_the_callback(self):
        seen = []
        self.loop.set_exception_handler(
            lambda loop, ctx: seen.append((type(ctx["exception"]).__name__,
                                           var.get())))

        def boom(*_):
            var.set("inside")
            raise KeyError("boom")
        self.loop.call_soon(boom)
        f = self.loop.create_future()
        f.add_done_callback(boom)
        f.set_result(None)
        token = var.set("outer")
        try:
            self.loop.run()
        finally:
            var.reset(token)
        self.assertEqual(seen, [("KeyError", "outer")] * 2)

    def test_context_explicit_context_is_used(self):
        ctx = contextvars.copy_context()
        ctx.run(var.set, "explicit")
        seen = []

        def cb(tag):
            seen.append((tag, var.get()))
            var.set("changed-" + tag)
        token = var.set("caller")
        try:
            self.loop.call_soon(cb, "soon", context=ctx)
            self.loop.call_later(0, cb, "later", context=ctx)
            self.loop.call_at(self.loop.time(), cb, "at", context=ctx)
            self.loop.call_soon_threadsafe(cb, "ts", context=ctx)
        finally:
            var.reset(token)
        self.loop.run()
        self.assertEqual(sorted(t for t, _ in seen),
                         ["at", "later", "soon", "ts"])
        self.assertEqual(seen[0][1], "explicit")
        # every call ran in ctx itself: the changes stay in ctx, in order
        tags = [t for t, _ in seen]
        for i in range(1, len(seen)):
            self.assertEqual(seen[i][1], "changed-" + tags[i - 1])
        self.assertEqual(ctx[var], "changed-" + tags[-1])
        self.assertEqual(var.get(), "unset")

    def test_context_none_means_copy(self):
        seen = []
        token = var.set("outer")
        self.loop.call_soon(lambda: seen.append(var.get()), context=None)
        var.reset(token)
        self.loop.run()
        self.assertEqual(seen, ["outer"])

    def test_context_bad_context_type_rejected_or_reported(self):
        # asyncio raises TypeError when the callback runs; so do we (the
        # error goes to the loop's exception handler)
        self.loop.call_soon(lambda: None, context=object())
        self.loop.run()
        self.assertEqual(len(self.reports), 1)
        self.assertIsInstance(self.reports[0].get("exception"), TypeError)

    def test_context_threadsafe_uses_the_calling_thread(self):
        seen = []
        token = var.set("loop-thread")

        def other():
            var.set("other-thread")
            self.loop.call_soon_threadsafe(lambda: seen.append(var.get()))
            self.loop.call_soon_threadsafe(var.set, "changed")

        try:
            th = threading.Thread(target=other)
            th.start()
            th.join()
            self.loop.run()
            self.assertEqual(var.get(), "loop-thread")
        finally:
            var.reset(token)
        self.assertEqual(seen, ["other-thread"])

    def test_context_each_task_has_its_own_copy(self):
        seen = {}

        async def child(name):
            seen[name + "-start"] = var.get()
            var.set(name)
            await acore.sleep(0)
            await acore.sleep(0)
            seen[name + "-end"] = var.get()
            return var.get()

        async def main():
            var.set("parent")
            a = acore.create_task(child("a"))
            b = self.loop.create_task(child("b"))
            r = await acore.gather(a, b)
            seen["parent-after"] = var.get()
            return r
        self.assertEqual(self.run_co(main()), ["a", "b"])
        self.assertEqual(seen, {"a-start": "parent", "b-start": "parent",
                                "a-end": "a", "b-end": "b",
                                "parent-after": "parent"})
        self.assertEqual(var.get(), "unset")

    def test_context_task_explicit_context(self):
        ctx = contextvars.Context()

        async def child():
            before = var.get()
            var.set("in-task")
            await acore.sleep(0)
            return before

        async def main():
            var.set("parent")
            t = acore.create_task(child(), context=ctx)
            self.assertIs(t.get_context(), ctx)
            return await t
        self.assertEqual(self.run_co(main()), "unset")
        self.assertEqual(ctx[var], "in-task")

    def test_context_task_steps_share_one_context(self):
        async def child():
            var.set("step1")
            await acore.sleep(0)
            await acore.sleep(0.001)
            return var.get()
        self.assertEqual(self.run_co(child()), "step1")

    def test_context_add_done_callback(self):
        seen = []
        ctx = contextvars.copy_context()
        ctx.run(var.set, "explicit")
        f = self.loop.create_future()
        token = var.set("at-add")
        try:
            f.add_done_callback(lambda fut: seen.append(("copy", var.get())))
            f.add_done_callback(lambda fut: seen.append(("ctx", var.get())),
                                context=ctx)
            f.add_done_callback(lambda fut: var.set("leaked?"))
            f.add_done_callback(lambda fut: seen.append(("after", var.get())))
        finally:
            var.reset(token)
        f.set_result(1)
        self.loop.run()
        self.assertEqual(seen, [("copy", "at-add"), ("ctx", "explicit"),
                                ("after", "at-add")])
        self.assertEqual(var.get(), "unset")
        self.assertEqual(ctx[var], "explicit")

    def test_context_remove_done_callback_with_context(self):
        seen = []
        ctx = contextvars.copy_context()
        ctx.run(var.set, "explicit")

        def first(fut):
            seen.append(("first", var.get()))
        f = self.loop.create_future()
        f.add_done_callback(first, context=ctx)
        f.add_done_callback(lambda fut: seen.append(("second", var.get())))
        self.assertEqual(f.remove_done_callback(first), 1)
        f.add_done_callback(first, context=ctx)
        f.set_result(None)
        self.loop.run()
        self.assertEqual(seen, [("second", "unset"), ("first", "explicit")])

    def test_context_done_callback_of_a_task(self):
        seen = []

        async def work():
            var.set("task-inner")
            return 1

        async def main():
            var.set("main")
            t = acore.create_task(work())
            t.add_done_callback(lambda fut: seen.append(var.get()))
            await t
        self.run_co(main())
        self.assertEqual(seen, ["main"])

    def test_context_no_reference_leaks(self):
        def cb(*a):
            pass
        ctx = contextvars.copy_context()
        gc.collect()
        base_cb, base_ctx = sys.getrefcount(cb), sys.getrefcount(ctx)

        async def co():
            await acore.sleep(0)
        for _ in range(3):
            self.loop.call_soon(cb, 1)
            self.loop.call_soon(cb, context=ctx)
            self.loop.call_later(0, cb, context=ctx)
            self.loop.call_soon_threadsafe(cb, context=ctx)
            f = self.loop.create_future()
            f.add_done_callback(cb)
            f.add_done_callback(cb, context=ctx)
            f.set_result(None)
            h = self.loop.call_later(100, cb, context=ctx)
            h.cancel()
            self.run_co(co())
            self.run_co(self.loop.create_task(co(), context=ctx))
            self.loop.run()
        del f, h
        gc.collect()
        self.assertEqual(sys.getrefcount(cb), base_cb)
        self.assertEqual(sys.getrefcount(ctx), base_ctx)

    def test_context_memory_stays_flat(self):
        async def co():
            var.set("x")
            await acore.sleep(0)

        def round_():
            for _ in range(200):
                self.loop.call_soon(var.set, "y")
                f = self.loop.create_future()
                f.add_done_callback(lambda fut: var.set("z"))
                f.set_result(None)
                self.loop.create_task(co())
            self.loop.run()
            gc.collect()
        round_()
        tracemalloc.start()
        try:
            round_()
            m0 = tracemalloc.get_traced_memory()[0]
            for _ in range(5):
                round_()
            m1 = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        self.assertLess(m1 - m0, 64 * 1024)


class TestEmptyContext(LoopTestCase):
    """Callbacks scheduled from an empty context share no copy they could
    see each other's variables through: each runs as in a fresh copy."""

    def _in_empty_context(self, fn):
        # A new thread starts with an empty context; so does Context().run.
        return contextvars.Context().run(fn)

    def test_context_empty_writers_do_not_leak(self):
        seen = []

        def writer(tag):
            seen.append((tag, var.get()))
            var.set(tag)

        def fut_writer(fut):
            writer("fut%d" % fut.result())

        def schedule():
            for i in range(3):
                self.loop.call_soon(writer, "soon%d" % i)
                self.loop.call_later(0, writer, "later%d" % i)
                f = self.loop.create_future()
                f.add_done_callback(fut_writer)
                f.add_done_callback(fut_writer)
                f.set_result(i)
        self._in_empty_context(schedule)
        self.loop.run()
        self.assertEqual(len(seen), 12)
        self.assertTrue(all(v == "unset" for _, v in seen), seen)
        self.assertEqual(var.get(), "unset")

    def test_context_empty_set_then_reset_keeps_sharing_safe(self):
        seen = []

        def set_reset():
            token = var.set("temporary")
            seen.append(var.get())
            var.reset(token)

        def schedule():
            for _ in range(3):
                self.loop.call_soon(set_reset)
                self.loop.call_soon(lambda: seen.append(var.get()))
        self._in_empty_context(schedule)
        self.loop.run()
        self.assertEqual(seen, ["temporary", "unset"] * 3)

    def test_context_empty_then_scheduled_from_inside_sees_the_value(self):
        seen = []

        def inner():
            seen.append(("inner", var.get()))

        def outer():
            var.set("outer-set")
            self.loop.call_soon(inner)       # copies outer's context
            f = self.loop.create_future()
            f.add_done_callback(lambda fut: seen.append(("fut", var.get())))
            f.set_result(None)

        def after():
            seen.append(("after", var.get()))
        self._in_empty_context(lambda: (self.loop.call_soon(outer),
                                        self.loop.call_soon(after)))
        self.loop.run()
        self.assertEqual(seen, [("after", "unset"), ("inner", "outer-set"),
                                ("fut", "outer-set")])

    def test_context_empty_callback_copy_context_is_empty(self):
        seen = []

        def cb():
            ctx = contextvars.copy_context()
            seen.append(len(ctx))
            var.set("x")
            seen.append(len(contextvars.copy_context()))
        self._in_empty_context(lambda: [self.loop.call_soon(cb)
                                        for _ in range(2)])
        self.loop.run()
        self.assertEqual(seen, [0, 1, 0, 1])

    def test_context_empty_tasks_keep_their_own_values(self):
        log = []

        async def worker(tag):
            log.append((tag, "start", var.get()))
            var.set(tag)
            await acore.sleep(0)
            log.append((tag, "after", var.get()))
            await acore.sleep(0)
            return var.get()

        async def main():
            ts = [acore.create_task(worker("t%d" % i)) for i in range(3)]
            return await acore.gather(*ts)
        res = self._in_empty_context(lambda: self.run_co(main()))
        self.assertEqual(res, ["t0", "t1", "t2"])
        for tag, when, value in log:
            self.assertEqual(value, "unset" if when == "start" else tag)

    def test_context_empty_task_get_context_before_it_runs(self):
        async def reader():
            await acore.sleep(0)
            return var.get()

        def make():
            return self.loop.create_task(reader())
        t = self._in_empty_context(make)
        ctx = t.get_context()
        self.assertIsInstance(ctx, contextvars.Context)
        self.assertIs(t.get_context(), ctx)
        ctx.run(var.set, "from-outside")
        self.assertEqual(self.run_co(t), "from-outside")

    def test_context_empty_task_get_context_from_inside(self):
        async def inner():
            var.set("mine")
            ctx = acore.current_task().get_context()   # during the step
            seen = ctx.get(var)
            await acore.sleep(0)
            return seen, var.get(), acore.current_task().get_context() is ctx

        t = self._in_empty_context(lambda: self.loop.create_task(inner()))
        self.assertEqual(self.run_co(t), ("mine", "mine", True))

    def test_context_empty_task_set_then_reset(self):
        async def flip():
            token = var.set("temp")
            await acore.sleep(0)
            v = var.get()
            var.reset(token)
            await acore.sleep(0)
            return v, var.get()

        async def other():
            await acore.sleep(0)
            await acore.sleep(0)
            return var.get()

        async def main():
            a = acore.create_task(flip())
            b = acore.create_task(other())
            return await acore.gather(a, b)
        res = self._in_empty_context(lambda: self.run_co(main()))
        self.assertEqual(res, [("temp", "unset"), "unset"])

    def test_context_empty_from_a_new_thread(self):
        seen = []

        def cb():
            seen.append(var.get())
            var.set("thread-cb")

        def worker():
            for _ in range(3):
                self.loop.call_soon_threadsafe(cb)
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        self.loop.run()
        self.assertEqual(seen, ["unset"] * 3)

    def test_context_empty_token_outlives_a_reset_in_a_task(self):
        # v.reset(t1) empties the context, but t2 still refers to it: the
        # task's next step must run in that very context
        async def main():
            t1 = var.set(1)
            t2 = var.set(2)
            var.reset(t1)
            self.loop.call_soon(var.set, "left-set")  # drops a shared one
            await acore.sleep(0)
            await acore.sleep(0)
            var.reset(t2)
            return var.get()
        res = self._in_empty_context(lambda: self.run_co(main()))
        self.assertEqual(res, 1)

    def test_context_empty_token_kept_by_a_callback(self):
        # a token made in one callback's context is foreign to the next
        seen = []
        box = {}

        def maker():
            t1 = var.set(1)
            box["t2"] = var.set(2)
            var.reset(t1)

        def user():
            try:
                var.reset(box.pop("t2"))
                seen.append(("reset", var.get()))
            except ValueError:
                seen.append(("foreign", var.get()))

        def reader():
            seen.append(("reader", var.get()))
        self._in_empty_context(lambda: [self.loop.call_soon(f) for f in
                                        (maker, user, reader)])
        self.loop.run()
        self.assertEqual(seen, [("foreign", "unset"), ("reader", "unset")])


if __name__ == "__main__":
    unittest.main()
