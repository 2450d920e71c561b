# SPDX-License-Identifier: MIT
"""Loop scheduling and futures."""

from harness import case


@case("loop")
async def call_soon_fifo(aio, t):
    loop = aio.get_running_loop()
    for i in range(5):
        loop.call_soon(t, "cb", i)
    await aio.sleep(0)


@case("loop")
async def call_soon_args(aio, t):
    loop = aio.get_running_loop()
    loop.call_soon(t, "a", 1, "b")
    await aio.sleep(0)


@case("loop")
async def call_soon_from_callback_runs_next_iteration(aio, t):
    loop = aio.get_running_loop()

    def first():
        t("first")
        loop.call_soon(t, "nested")
    loop.call_soon(first)
    loop.call_soon(t, "second")
    await aio.sleep(0)
    t("after one iteration")
    await aio.sleep(0)


@case("loop")
async def handle_cancel_before_run(aio, t):
    loop = aio.get_running_loop()
    h = loop.call_soon(t, "never")
    t("cancelled before", h.cancelled())
    h.cancel()
    t("cancelled after", h.cancelled())
    await aio.sleep(0)
    h.cancel()
    t("end")


@case("loop")
async def timer_handle_cancel(aio, t):
    loop = aio.get_running_loop()
    h = loop.call_later(0.001, t, "never")
    h.cancel()
    await aio.sleep(0.01)
    t("cancelled", h.cancelled())


@case("loop")
async def timers_same_deadline_in_order(aio, t):
    loop = aio.get_running_loop()
    when = loop.time() + 0.005
    for i in range(4):
        loop.call_at(when, t, "t", i)
    await aio.sleep(0.03)


@case("loop")
async def timers_in_deadline_order(aio, t):
    loop = aio.get_running_loop()
    loop.call_later(0.02, t, "late")
    loop.call_later(0.001, t, "early")
    loop.call_later(0.01, t, "middle")
    await aio.sleep(0.05)


@case("loop")
async def timer_when_matches_call_at(aio, t):
    loop = aio.get_running_loop()
    when = loop.time() + 100
    h = loop.call_at(when, t, "x")
    t("when equal", abs(h.when() - when) < 1e-6)
    h.cancel()


@case("loop")
async def call_later_negative_delay(aio, t):
    loop = aio.get_running_loop()
    loop.call_later(-1, t, "negative")
    loop.call_soon(t, "soon")
    await aio.sleep(0.01)


@case("loop")
async def running_loop_is_loop(aio, t):
    loop = aio.get_running_loop()
    t("running", loop.is_running(), "closed", loop.is_closed())
    t("same", aio.get_running_loop() is loop)


@case("loop")
async def callback_error_with_handler_goes_on(aio, t):
    loop = aio.get_running_loop()
    loop.set_exception_handler(
        lambda lp, c: t("handler", c["exception"], "handle" in c))

    def bad():
        raise KeyError("k")
    loop.call_soon(bad)
    loop.call_soon(t, "after")
    await aio.sleep(0)
    await aio.sleep(0)


@case("loop")
async def timer_error_with_handler(aio, t):
    loop = aio.get_running_loop()
    done = loop.create_future()

    def handler(lp, c):
        t("handler", c["exception"], sorted(k for k in c
                                            if k != "source_traceback"))
        done.set_result(None)
    loop.set_exception_handler(handler)

    def bad():
        raise ValueError("timer")
    loop.call_later(0.001, bad)
    await done


@case("loop")
async def done_callback_error_with_handler(aio, t):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda lp, c: t("handler", c["exception"]))
    fut = loop.create_future()

    def bad(f):
        raise RuntimeError("in done callback")
    fut.add_done_callback(bad)
    fut.add_done_callback(lambda f: t("second callback"))
    fut.set_result(None)
    await aio.sleep(0)
    await aio.sleep(0)


@case("loop")
async def get_exception_handler_roundtrip(aio, t):
    loop = aio.get_running_loop()
    t("default", loop.get_exception_handler())

    def h(lp, c):
        pass
    loop.set_exception_handler(h)
    t("set", loop.get_exception_handler() is h)
    loop.set_exception_handler(None)
    t("reset", loop.get_exception_handler())
    try:
        loop.set_exception_handler(42)
    except TypeError:
        t("non-callable refused")


@case("loop")
async def call_exception_handler_direct(aio, t):
    loop = aio.get_running_loop()
    loop.set_exception_handler(lambda lp, c: t("got", c["message"]))
    loop.call_exception_handler({"message": "hello"})


@case("loop")
async def handler_error_does_not_stop_loop(aio, t):
    loop = aio.get_running_loop()

    def handler(lp, c):
        raise RuntimeError("handler broken")
    loop.set_exception_handler(handler)
    loop.call_soon(lambda: 1 / 0)
    await aio.sleep(0)
    await aio.sleep(0)
    t("still running")


@case("loop")
async def run_returns_value(aio, t):
    return 42


@case("loop")
async def run_propagates_exception(aio, t):
    raise LookupError("out")


@case("future")
async def future_initial_state(aio, t):
    fut = aio.get_running_loop().create_future()
    t("done", fut.done(), "cancelled", fut.cancelled())
    for meth in ("result", "exception"):
        try:
            getattr(fut, meth)()
        except aio.InvalidStateError as e:
            t(meth, "InvalidStateError")


@case("future")
async def future_set_result_twice(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result(1)
    try:
        fut.set_result(2)
    except aio.InvalidStateError:
        t("second set_result: InvalidStateError")
    try:
        fut.set_exception(ValueError())
    except aio.InvalidStateError:
        t("set_exception after result: InvalidStateError")
    t("result", fut.result())


@case("future")
async def future_exception_roundtrip(aio, t):
    fut = aio.get_running_loop().create_future()
    exc = ValueError("v")
    fut.set_exception(exc)
    t("same object", fut.exception() is exc)
    try:
        fut.result()
    except ValueError as e:
        t("result raises same", e is exc)


@case("future")
async def future_set_exception_class(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_exception(KeyError)
    t("instance", type(fut.exception()).__name__)


@case("future", target="3.13")
async def future_set_exception_stopiteration(aio, t):
    fut = aio.get_running_loop().create_future()
    stop = StopIteration("s")
    try:
        fut.set_exception(stop)
    except TypeError:
        t("StopIteration refused")
    t("done", fut.done())
    if fut.done():
        exc = fut.exception()
        t("stored", exc, exc.__cause__ is stop, exc.__context__ is stop)
    fut.cancel()


@case("future")
async def future_cancel_pending(aio, t):
    fut = aio.get_running_loop().create_future()
    t("cancel", fut.cancel(), "again", fut.cancel())
    t("cancelled", fut.cancelled(), "done", fut.done())
    try:
        fut.exception()
    except aio.CancelledError:
        t("exception() raises CancelledError")


@case("future")
async def future_cancel_done_returns_false(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result(3)
    t("cancel", fut.cancel(), "cancelled", fut.cancelled(), fut.result())


@case("future")
async def future_set_after_cancel(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.cancel()
    try:
        fut.set_result(1)
    except aio.InvalidStateError:
        t("set_result after cancel: InvalidStateError")


@case("future")
async def future_await_result(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "value")
    t("awaited", await fut)


@case("future")
async def future_await_exception(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_exception, OSError(5, "io"))
    try:
        await fut
    except OSError as e:
        t.exc("raised", e)


@case("future")
async def future_await_done_does_not_yield(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    fut.set_result(1)
    loop.call_soon(t, "callback")
    t("got", await fut)
    t("before yielding")
    await aio.sleep(0)


@case("future")
async def future_callbacks_in_registration_order(aio, t):
    fut = aio.get_running_loop().create_future()
    for i in range(4):
        fut.add_done_callback(lambda f, i=i: t("cb", i, f.result()))
    fut.set_result("r")
    t("set, nothing ran yet")
    await aio.sleep(0)


@case("future")
async def future_callback_gets_future(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.add_done_callback(lambda f: t("is fut", f is fut))
    fut.cancel()
    await aio.sleep(0)


@case("future")
async def future_callback_added_in_callback(aio, t):
    fut = aio.get_running_loop().create_future()

    def first(f):
        t("first")
        f.add_done_callback(lambda f: t("added late"))
    fut.add_done_callback(first)
    fut.add_done_callback(lambda f: t("second"))
    fut.set_result(None)
    await aio.sleep(0)
    await aio.sleep(0)


@case("future")
async def future_remove_one_of_several(aio, t):
    fut = aio.get_running_loop().create_future()

    def a(f):
        t("a")

    def b(f):
        t("b")
    fut.add_done_callback(a)
    fut.add_done_callback(b)
    fut.add_done_callback(a)
    t("removed", fut.remove_done_callback(a), fut.remove_done_callback(a))
    fut.set_result(None)
    await aio.sleep(0)


@case("future")
async def future_get_loop(aio, t):
    loop = aio.get_running_loop()
    t("same loop", loop.create_future().get_loop() is loop)


@case("future")
async def future_iter_yield_from(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, 9)
    t("await", await fut)
    t("result again", fut.result())


@case("future")
async def future_exception_on_result_future_is_none(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result(0)
    t("exception", fut.exception())


@case("future")
async def ensure_future_of_future_is_identity(aio, t):
    fut = aio.get_running_loop().create_future()
    t("identity", aio.ensure_future(fut) is fut)
    fut.cancel()


@case("future")
async def ensure_future_of_coroutine_is_task(aio, t):
    async def co():
        return 5
    task = aio.ensure_future(co())
    t("is task", isinstance(task, aio.Task), await task)


@case("future")
async def ensure_future_rejects_other(aio, t):
    try:
        aio.ensure_future(42)
    except TypeError:
        t("TypeError")


@case("loop", target="3.13")  # get_context(): 3.12
async def timer_handle_when_order_and_context(aio, t):
    import contextvars
    var = contextvars.ContextVar("v")
    loop = aio.get_running_loop()
    var.set("outer")
    a = loop.call_later(10, print)
    b = loop.call_at(loop.time() + 20, print)
    s = loop.call_soon(lambda: None)
    t("when", a.when() <= b.when(), "lt", a < b, "gt", b > a, "le", a <= a,
      "eq self", a == a, "ne", a != b, "hash", hash(a) == hash(a))
    t("soon has when", hasattr(s, "when"))
    t("context", a.get_context().get(var), s.get_context().get(var))
    a.cancel()
    b.cancel()
    t("cancelled", a.cancelled(), "context kept", a.get_context().get(var))
    ran = loop.create_future()
    h = loop.call_soon(ran.set_result, None)
    await ran
    t("after run, context", h.get_context().get(var))
