# SPDX-License-Identifier: MIT
"""Cases for the behaviours where acore once differed from asyncio."""

import gc

from harness import case


def _handler_log(loop, t):
    def handler(lp, context):
        keys = sorted(k for k in context if k != "source_traceback")
        t("handler", keys, context.get("message"),
          context.get("exception"))
    loop.set_exception_handler(handler)


@case("future")
async def cancel_after_failure_marks_retrieved(aio, t):
    loop = aio.get_running_loop()
    _handler_log(loop, t)
    fut = loop.create_future()
    fut.set_exception(ValueError("x"))
    t("cancel", fut.cancel())
    del fut
    gc.collect()
    await aio.sleep(0)
    t("end")


@case("future")
async def unretrieved_failure_reported(aio, t):
    loop = aio.get_running_loop()
    _handler_log(loop, t)
    fut = loop.create_future()
    fut.set_exception(ValueError("x"))
    del fut
    gc.collect()
    await aio.sleep(0)
    t("end")


@case("loop")
async def past_timers_run_in_deadline_order(aio, t):
    loop = aio.get_running_loop()
    done = loop.create_future()
    now = loop.time()
    loop.call_at(now - 1, t, "a -1")
    loop.call_at(now - 3, t, "b -3")
    loop.call_at(now - 2, t, "c -2")
    loop.call_later(0, t, "d 0")
    loop.call_soon(t, "soon")
    loop.call_later(0.001, done.set_result, None)
    await done


@case("loop")
async def call_soon_before_expired_timer(aio, t):
    loop = aio.get_running_loop()
    done = loop.create_future()
    loop.call_later(0, t, "timer")
    loop.call_soon(t, "soon1")
    loop.call_soon(t, "soon2")
    loop.call_later(0.001, done.set_result, None)
    await done


@case("loop")
async def expired_timer_after_callbacks_queued_before(aio, t):
    loop = aio.get_running_loop()
    done = loop.create_future()
    loop.call_at(loop.time() - 5, t, "old timer")
    loop.call_soon(t, "soon")
    await aio.sleep(0)
    t("after sleep0")
    loop.call_later(0.001, done.set_result, None)
    await done


@case("future")
async def done_callback_on_done_future_after_queued(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    fut.add_done_callback(lambda f: t("cb1"))
    loop.call_soon(t, "soon A")
    fut.set_result(1)
    loop.call_soon(t, "soon B")
    fut.add_done_callback(lambda f: t("cb2 late"))
    loop.call_soon(t, "soon C")
    await aio.sleep(0)
    await aio.sleep(0)


@case("future")
async def remove_done_callback_after_completion(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()

    def cb(f):
        t("cb ran")
    fut.add_done_callback(cb)
    fut.set_result(1)
    t("removed", fut.remove_done_callback(cb))
    await aio.sleep(0)
    t("end")


@case("future")
async def remove_done_callback_before_completion(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()

    def cb(f):
        t("cb ran")
    fut.add_done_callback(cb)
    fut.add_done_callback(cb)
    t("removed", fut.remove_done_callback(cb))
    fut.set_result(1)
    await aio.sleep(0)
    t("end")


@case("gather", target="3.13")
async def gather_all_done_not_done_immediately(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    b = loop.create_future()
    a.set_result(1)
    b.set_result(2)
    g = aio.gather(a, b)
    t("done at once", g.done())
    await aio.sleep(0)
    t("done after one step", g.done())
    t("result", await g)


@case("gather")
async def gather_empty_done_at_once(aio, t):
    g = aio.gather()
    t("done", g.done(), g.result())


@case("gather")
async def gather_cancel_outer_state(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    b = loop.create_future()
    g = aio.gather(a, b)
    t("cancel", g.cancel())
    t("children", a.cancelled(), b.cancelled())
    try:
        await g
    except aio.CancelledError as e:
        t.exc("await", e)
    t("cancelled", g.cancelled(), g.done())


@case("gather")
async def gather_cancel_child_handles_it(aio, t):
    async def child():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            return "absorbed"
    c = aio.ensure_future(child())
    await aio.sleep(0)
    g = aio.gather(c)
    await aio.sleep(0)
    t("cancel", g.cancel())
    try:
        t("result", await g)
    except aio.CancelledError as e:
        t.exc("await", e)
    t("cancelled", g.cancelled(), c.result())


@case("gather")
async def gather_cancel_all_done_children(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    a.set_result(1)
    g = aio.gather(a)
    t("cancel", g.cancel())
    try:
        t("result", await g)
    except aio.CancelledError as e:
        t.exc("await", e)
    t("cancelled", g.cancelled())


@case("semaphore")
async def semaphore_newcomer_during_release(aio, t):
    sem = aio.Semaphore(1)
    await sem.acquire()

    async def waiter(name):
        await sem.acquire()
        t("acquired", name)
        await aio.sleep(0)
        sem.release()

    w1 = aio.ensure_future(waiter("w1"))
    w2 = aio.ensure_future(waiter("w2"))
    await aio.sleep(0)
    sem.release()
    t("locked after release", sem.locked())
    w3 = aio.ensure_future(waiter("w3"))
    await aio.gather(w1, w2, w3)


@case("semaphore")
async def semaphore_acquire_nowait_by_newcomer(aio, t):
    sem = aio.Semaphore(1)
    await sem.acquire()

    async def waiter(name):
        await sem.acquire()
        t("acquired", name)
        sem.release()

    w1 = aio.ensure_future(waiter("w1"))
    await aio.sleep(0)
    sem.release()

    async def newcomer():
        t("newcomer start", sem.locked())
        await sem.acquire()
        t("acquired newcomer")
        sem.release()
    await aio.gather(newcomer(), w1)


@case("lock")
async def lock_locked_after_release_with_waiters(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def waiter():
        await lock.acquire()
        t("waiter acquired", lock.locked())
        lock.release()
    w = aio.ensure_future(waiter())
    await aio.sleep(0)
    lock.release()
    t("locked after release", lock.locked())
    await w
    t("locked at end", lock.locked())


@case("future")
async def cancel_message_str(aio, t):
    loop = aio.get_running_loop()
    for msg in ("text", None, ""):
        fut = loop.create_future()
        t("cancel", msg, fut.cancel(msg))
        try:
            fut.result()
        except aio.CancelledError as e:
            t.exc("result", e)


@case("future")
async def cancel_message_not_str(aio, t):
    loop = aio.get_running_loop()
    for msg in (42, ("a", 1), b"bytes"):
        fut = loop.create_future()
        try:
            t("cancel", msg, fut.cancel(msg))
        except Exception as e:
            t.exc("cancel raised", e)
            continue
        try:
            fut.result()
        except aio.CancelledError as e:
            t.exc("result", e)


@case("future")
async def cancel_message_keyword(aio, t):
    fut = aio.get_running_loop().create_future()
    t("cancel", fut.cancel(msg="by keyword"))
    try:
        await fut
    except aio.CancelledError as e:
        t.exc("await", e)


@case("task")
async def task_cancel_message_str(aio, t):
    task = aio.ensure_future(aio.sleep(10))
    await aio.sleep(0)
    t("cancel", task.cancel("stop"))
    try:
        await task
    except aio.CancelledError as e:
        t.exc("await", e)


@case("task")
async def task_cancel_message_not_str(aio, t):
    for msg in (42, ("a", 1)):
        task = aio.ensure_future(aio.sleep(10))
        await aio.sleep(0)
        try:
            t("cancel", msg, task.cancel(msg))
        except Exception as e:
            t.exc("cancel raised", e)
            continue
        try:
            await task
        except aio.CancelledError as e:
            t.exc("await", e)


@case("loop")
async def error_handler_context_callback(aio, t):
    loop = aio.get_running_loop()
    seen = loop.create_future()

    def handler(lp, context):
        t("keys", sorted(k for k in context if k != "source_traceback"))
        t("exception", context["exception"])
        t("handle is handle", type(context["handle"]).__name__
          in ("Handle", "TimerHandle"))
        seen.set_result(None)
    loop.set_exception_handler(handler)

    def bad():
        raise ValueError("boom")
    loop.call_soon(bad)
    await seen


ASYNCIO_KEYS = ("message", "exception", "future")


@case("task")
async def error_handler_context_task_unretrieved(aio, t):
    loop = aio.get_running_loop()
    got = []
    loop.set_exception_handler(lambda lp, c: got.append(c))

    async def fail():
        raise ValueError("lost")
    task = aio.ensure_future(fail())
    await aio.sleep(0)
    await aio.sleep(0)
    del task
    gc.collect()
    await aio.sleep(0)
    for context in got:
        t("asyncio's keys there", all(k in context for k in ASYNCIO_KEYS))
        t("message", context["message"], context["exception"])


@case("task")
async def error_handler_context_task_unretrieved_object(aio, t):
    loop = aio.get_running_loop()
    got = []
    loop.set_exception_handler(lambda lp, c: got.append(c))

    async def fail():
        raise ValueError("lost")
    task = aio.ensure_future(fail())
    await aio.sleep(0)
    await aio.sleep(0)
    del task
    gc.collect()
    await aio.sleep(0)
    for context in got:
        t("future is the task", isinstance(context["future"], aio.Task))


@case("future")
async def error_handler_context_future_unretrieved(aio, t):
    loop = aio.get_running_loop()
    got = []
    loop.set_exception_handler(lambda lp, c: got.append(c))
    fut = loop.create_future()
    fut.set_exception(KeyError("k"))
    del fut
    gc.collect()
    await aio.sleep(0)
    for context in got:
        t("asyncio's keys there", all(k in context for k in ASYNCIO_KEYS))
        t("message", context["message"], context["exception"])


@case("loop")
async def callback_error_without_handler_goes_on(aio, t):
    loop = aio.get_running_loop()

    def bad():
        raise ValueError("boom")
    loop.call_soon(bad)
    loop.call_soon(t, "next callback")
    await aio.sleep(0)
    await aio.sleep(0)
    t("still running")
    return "done"


@case("queue")
async def woken_putter_cancelled_does_not_insert(aio, t):
    q = aio.Queue(maxsize=1)
    q.put_nowait("first")
    p = aio.ensure_future(q.put("second"))
    await aio.sleep(0)
    t("got", q.get_nowait())
    p.cancel()
    try:
        await p
    except aio.CancelledError:
        t("putter cancelled")
    t("size", q.qsize())
    t("items", [q.get_nowait() for _ in range(q.qsize())])


@case("queue")
async def woken_putter_cancelled_wakes_next(aio, t):
    q = aio.Queue(maxsize=1)
    q.put_nowait("first")
    p1 = aio.ensure_future(q.put("p1"))
    p2 = aio.ensure_future(q.put("p2"))
    await aio.sleep(0)
    t("got", q.get_nowait())
    p1.cancel()
    await aio.sleep(0)
    await aio.sleep(0)
    t("p1 cancelled", p1.cancelled(), "p2 done", p2.done())
    t("items", [q.get_nowait() for _ in range(q.qsize())])


@case("queue")
async def woken_getter_cancelled_leaves_item(aio, t):
    q = aio.Queue()
    g1 = aio.ensure_future(q.get())
    g2 = aio.ensure_future(q.get())
    await aio.sleep(0)
    q.put_nowait("x")
    g1.cancel()
    await aio.sleep(0)
    await aio.sleep(0)
    t("g1", g1.cancelled(), "g2 done", g2.done())
    t("g2", g2.result() if g2.done() else None, q.qsize())
    g2.cancel()
