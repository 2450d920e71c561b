# SPDX-License-Identifier: MIT
"""gather, wait, wait_for, timeout, as_completed, shield, TaskGroup."""

from harness import case


async def _value(aio, v, steps=0):
    for _ in range(steps):
        await aio.sleep(0)
    return v


async def _fail(aio, exc, steps=0):
    for _ in range(steps):
        await aio.sleep(0)
    raise exc


# ---- gather ----

@case("gather")
async def gather_results_in_input_order(aio, t):
    r = await aio.gather(_value(aio, "a", 3), _value(aio, "b", 1),
                         _value(aio, "c", 2))
    t("results", r)


@case("gather")
async def gather_first_exception_propagates(aio, t):
    try:
        await aio.gather(_value(aio, 1, 2), _fail(aio, ValueError("x"), 1))
    except ValueError as e:
        t.exc("raised", e)


@case("gather")
async def gather_exception_leaves_others_running(aio, t):
    slow = aio.ensure_future(_value(aio, "slow", 3))
    try:
        await aio.gather(slow, _fail(aio, KeyError("k")))
    except KeyError:
        t("raised; slow done?", slow.done())
    t("slow result", await slow)


@case("gather")
async def gather_return_exceptions(aio, t):
    r = await aio.gather(_value(aio, 1), _fail(aio, ValueError("v")),
                         _value(aio, 3, 1), return_exceptions=True)
    t("results", r)


@case("gather")
async def gather_return_exceptions_with_cancelled_child(aio, t):
    child = aio.ensure_future(aio.sleep(10))
    g = aio.gather(child, _value(aio, 2), return_exceptions=True)
    await aio.sleep(0)
    child.cancel()
    r = await g
    t("types", [type(x).__name__ for x in r])


@case("gather")
async def gather_child_cancelled_raises(aio, t):
    child = aio.ensure_future(aio.sleep(10))
    g = aio.gather(child)
    await aio.sleep(0)
    child.cancel()
    try:
        await g
    except aio.CancelledError:
        t("CancelledError", g.done(), g.cancelled())


@case("gather")
async def gather_same_coroutine_object_twice(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    g = aio.gather(fut, fut)
    fut.set_result(3)
    t("results", await g)


@case("gather")
async def gather_of_futures_and_tasks(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "fut")
    t("results", await aio.gather(fut, _value(aio, "co")))


@case("gather")
async def gather_cancel_message(aio, t):
    a = aio.ensure_future(aio.sleep(10))
    g = aio.gather(a)
    await aio.sleep(0)
    g.cancel("stop it")
    try:
        await g
    except aio.CancelledError as e:
        t.exc("await", e)
    t("child", a.cancelled())


@case("gather")
async def gather_cancel_returns(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    b = loop.create_future()
    b.set_result(1)
    g = aio.gather(a, b)
    t("cancel", g.cancel(), "a", a.cancelled(), "b", b.cancelled())
    try:
        await g
    except aio.CancelledError:
        t("cancelled")


@case("gather", target="3.13")
async def gather_done_failed_child_decides_at_once(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    a.set_exception(ValueError("early"))
    b = loop.create_future()
    g = aio.gather(a, b)
    t("done at once", g.done())
    b.set_result(1)
    try:
        await g
    except ValueError as e:
        t.exc("raised", e)


@case("gather")
async def gather_outer_done_before_children_callbacks(aio, t):
    loop = aio.get_running_loop()
    a = loop.create_future()
    g = aio.gather(a)
    a.set_result(1)
    t("not yet", g.done())
    await aio.sleep(0)
    t("now", g.done(), g.result())


# ---- wait ----

@case("wait")
async def wait_all_completed(aio, t):
    a = aio.ensure_future(_value(aio, 1, 2))
    b = aio.ensure_future(_value(aio, 2, 1))
    done, pending = await aio.wait({a, b})
    t("done", len(done), "pending", len(pending))


@case("wait")
async def wait_first_completed(aio, t):
    a = aio.ensure_future(_value(aio, "fast", 1))
    b = aio.ensure_future(aio.sleep(10))
    done, pending = await aio.wait({a, b}, return_when=aio.FIRST_COMPLETED)
    t("done is a", done == {a}, "pending is b", pending == {b})
    b.cancel()


@case("wait")
async def wait_first_exception(aio, t):
    a = aio.ensure_future(_fail(aio, ValueError("e"), 1))
    b = aio.ensure_future(aio.sleep(10))
    done, pending = await aio.wait({a, b}, return_when=aio.FIRST_EXCEPTION)
    t("done is a", done == {a}, pending == {b})
    t.state("a", a)
    b.cancel()


@case("wait")
async def wait_first_exception_none_fail(aio, t):
    a = aio.ensure_future(_value(aio, 1, 1))
    b = aio.ensure_future(_value(aio, 2, 2))
    done, pending = await aio.wait({a, b}, return_when=aio.FIRST_EXCEPTION)
    t("all done", len(done), len(pending))


@case("wait")
async def wait_timeout_returns_pending(aio, t):
    a = aio.ensure_future(aio.sleep(10))
    done, pending = await aio.wait({a}, timeout=0.01)
    t("done", len(done), "pending", len(pending), "a cancelled", a.cancelled())
    a.cancel()


@case("wait")
async def wait_empty_raises(aio, t):
    try:
        await aio.wait(set())
    except ValueError:
        t("ValueError")


@case("wait")
async def wait_bad_return_when(aio, t):
    fut = aio.get_running_loop().create_future()
    try:
        await aio.wait({fut}, return_when="bogus")
    except ValueError:
        t("ValueError")
    fut.cancel()


@case("wait")
async def wait_already_done(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result(1)
    done, pending = await aio.wait({fut}, return_when=aio.FIRST_COMPLETED)
    t(len(done), len(pending))


@case("wait")
async def wait_does_not_raise_child_errors(aio, t):
    a = aio.ensure_future(_fail(aio, KeyError("k")))
    done, _ = await aio.wait({a})
    t("exception kept", type(a.exception()).__name__)


@case("wait")
async def wait_cancelled_leaves_children(aio, t):
    child = aio.ensure_future(aio.sleep(10))

    async def waiter():
        await aio.wait({child})
    w = aio.ensure_future(waiter())
    await aio.sleep(0)
    w.cancel()
    try:
        await w
    except aio.CancelledError:
        t("waiter cancelled; child cancelled?", child.cancelled())
    child.cancel()


# ---- wait_for ----

@case("wait_for")
async def wait_for_result(aio, t):
    t("result", await aio.wait_for(_value(aio, "v", 1), timeout=10))


@case("wait_for")
async def wait_for_timeout(aio, t):
    cancelled = []

    async def slow():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            cancelled.append(True)
            raise
    try:
        await aio.wait_for(slow(), timeout=0.01)
    except TimeoutError as e:
        t("TimeoutError", type(e).__name__, "inner cancelled", cancelled)


@case("wait_for")
async def wait_for_none_timeout(aio, t):
    t("result", await aio.wait_for(_value(aio, 1, 2), None))


@case("wait_for")
async def wait_for_zero_timeout_done_future(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result("ready")
    t("result", await aio.wait_for(fut, 0))


@case("wait_for")
async def wait_for_zero_timeout_pending(aio, t):
    fut = aio.get_running_loop().create_future()
    try:
        await aio.wait_for(fut, 0)
    except TimeoutError:
        t("TimeoutError", "fut cancelled", fut.cancelled())


@case("wait_for")
async def wait_for_exception_propagates(aio, t):
    try:
        await aio.wait_for(_fail(aio, OSError("io"), 1), 10)
    except OSError as e:
        t.exc("raised", e)


@case("wait_for")
async def wait_for_outer_cancel(aio, t):
    inner_cancelled = []

    async def slow():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            inner_cancelled.append(True)
            raise

    async def outer():
        await aio.wait_for(slow(), 10)
    task = aio.ensure_future(outer())
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("outer cancelled; inner", inner_cancelled)


@case("wait_for")
async def wait_for_inner_absorbs_timeout(aio, t):
    async def stubborn():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            return "absorbed"
    try:
        t("result", await aio.wait_for(stubborn(), 0.01))
    except TimeoutError:
        t("TimeoutError")


@case("wait_for")
async def wait_for_future_cancelled_on_timeout(aio, t):
    fut = aio.get_running_loop().create_future()
    try:
        await aio.wait_for(fut, 0.01)
    except TimeoutError:
        t("timeout; fut cancelled", fut.cancelled())


# ---- timeout ----

@case("timeout")
async def timeout_expires(aio, t):
    try:
        async with aio.timeout(0.01) as cm:
            await aio.sleep(10)
    except TimeoutError:
        t("TimeoutError; expired", cm.expired())


@case("timeout")
async def timeout_not_reached(aio, t):
    async with aio.timeout(10) as cm:
        await aio.sleep(0)
    t("expired", cm.expired())


@case("timeout")
async def timeout_none_never(aio, t):
    async with aio.timeout(None) as cm:
        await aio.sleep(0.001)
    t("when", cm.when(), "expired", cm.expired())


@case("timeout")
async def timeout_reschedule_later(aio, t):
    loop = aio.get_running_loop()
    async with aio.timeout(0.001) as cm:
        cm.reschedule(loop.time() + 10)
        await aio.sleep(0.01)
    t("not expired", cm.expired())


@case("timeout")
async def timeout_reschedule_none(aio, t):
    async with aio.timeout(0.001) as cm:
        cm.reschedule(None)
        await aio.sleep(0.01)
    t("when", cm.when(), cm.expired())


@case("timeout")
async def timeout_at_past(aio, t):
    loop = aio.get_running_loop()
    try:
        async with aio.timeout_at(loop.time() - 1):
            await aio.sleep(10)
    except TimeoutError:
        t("TimeoutError")


@case("timeout")
async def timeout_zero(aio, t):
    try:
        async with aio.timeout(0):
            t("body runs")
            await aio.sleep(0)
            t("never")
    except TimeoutError:
        t("TimeoutError")


@case("timeout")
async def timeout_inner_exception_passes(aio, t):
    try:
        async with aio.timeout(10):
            raise ValueError("inner")
    except ValueError as e:
        t.exc("raised", e)


@case("timeout")
async def timeout_outer_cancel_is_cancel(aio, t):
    async def body():
        async with aio.timeout(10):
            await aio.sleep(10)
    task = aio.ensure_future(body())
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("CancelledError, not TimeoutError")


@case("timeout")
async def timeout_nested_inner_fires(aio, t):
    try:
        async with aio.timeout(10):
            try:
                async with aio.timeout(0.01):
                    await aio.sleep(10)
            except TimeoutError:
                t("inner timeout")
            await aio.sleep(0)
            t("outer continues")
    except TimeoutError:
        t("outer timeout?!")


@case("timeout")
async def timeout_uncancels(aio, t):
    try:
        async with aio.timeout(0.01):
            await aio.sleep(10)
    except TimeoutError:
        t("cancelling after", aio.current_task().cancelling())


@case("timeout")
async def timeout_repr_when_positive(aio, t):
    loop = aio.get_running_loop()
    async with aio.timeout(5) as cm:
        t("when in future", cm.when() > loop.time())


# ---- as_completed ----

@case("as_completed")
async def as_completed_order(aio, t):
    aws = [_value(aio, "slow", 3), _value(aio, "fast", 1),
           _value(aio, "mid", 2)]
    for f in aio.as_completed(aws):
        t("got", await f)


@case("as_completed")
async def as_completed_exception(aio, t):
    for f in aio.as_completed([_fail(aio, ValueError("x"), 1),
                               _value(aio, 1, 2)]):
        try:
            t("got", await f)
        except ValueError as e:
            t.exc("raised", e)


@case("as_completed")
async def as_completed_timeout(aio, t):
    slow = aio.ensure_future(aio.sleep(10))
    try:
        for f in aio.as_completed([slow], timeout=0.01):
            await f
    except TimeoutError:
        t("TimeoutError", "slow cancelled", slow.cancelled())
    slow.cancel()


@case("as_completed")
async def as_completed_empty(aio, t):
    t("nothing", list(aio.as_completed([])))


@case("as_completed")
async def as_completed_done_futures(aio, t):
    loop = aio.get_running_loop()
    fs = []
    for i in range(3):
        f = loop.create_future()
        f.set_result(i)
        fs.append(f)
    got = sorted([await f for f in aio.as_completed(fs)])
    t("all", got)


# ---- shield ----

@case("shield")
async def shield_result(aio, t):
    t("result", await aio.shield(_value(aio, "s", 1)))


@case("shield")
async def shield_outer_cancel_inner_survives(aio, t):
    inner = aio.ensure_future(_value(aio, "inner", 3))

    async def outer():
        return await aio.shield(inner)
    task = aio.ensure_future(outer())
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("outer cancelled")
    t("inner result", await inner)


@case("shield")
async def shield_inner_cancelled(aio, t):
    inner = aio.ensure_future(aio.sleep(10))
    s = aio.shield(inner)
    await aio.sleep(0)
    inner.cancel()
    try:
        await s
    except aio.CancelledError:
        t("shield cancelled", s.cancelled())


@case("shield")
async def shield_inner_exception(aio, t):
    try:
        await aio.shield(_fail(aio, KeyError("s"), 1))
    except KeyError as e:
        t.exc("raised", e)


@case("shield")
async def shield_of_done_future(aio, t):
    fut = aio.get_running_loop().create_future()
    fut.set_result(4)
    s = aio.shield(fut)
    t("same", s is fut, await s)


@case("shield")
async def shield_cancel_outer_future(aio, t):
    inner = aio.get_running_loop().create_future()
    outer = aio.shield(inner)
    t("cancel", outer.cancel(), "inner cancelled", inner.cancelled())
    inner.set_result(1)
    await aio.sleep(0)
    t("outer cancelled", outer.cancelled())


# ---- TaskGroup ----

@case("taskgroup")
async def taskgroup_waits_for_all(aio, t):
    async with aio.TaskGroup() as tg:
        a = tg.create_task(_value(aio, 1, 2))
        b = tg.create_task(_value(aio, 2, 1))
    t("results", a.result(), b.result())


@case("taskgroup")
async def taskgroup_error_cancels_siblings(aio, t):
    async def sibling():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            t("sibling cancelled")
            raise
    try:
        async with aio.TaskGroup() as tg:
            tg.create_task(sibling())
            tg.create_task(_fail(aio, ValueError("boom"), 1))
    except BaseException as e:
        t("group raised", type(e).__name__,
          [type(x).__name__ for x in getattr(e, "exceptions", [])])


@case("taskgroup")
async def taskgroup_multiple_errors(aio, t):
    try:
        async with aio.TaskGroup() as tg:
            tg.create_task(_fail(aio, ValueError("a"), 1))
            tg.create_task(_fail(aio, KeyError("b"), 1))
    except BaseException as e:
        t("group", type(e).__name__,
          sorted(type(x).__name__ for x in e.exceptions))


@case("taskgroup")
async def taskgroup_body_error(aio, t):
    async def child():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            t("child cancelled")
            raise
    try:
        async with aio.TaskGroup() as tg:
            tg.create_task(child())
            await aio.sleep(0)
            raise RuntimeError("body")
    except BaseException as e:
        t("raised", type(e).__name__,
          [type(x).__name__ for x in getattr(e, "exceptions", [])])


@case("taskgroup")
async def taskgroup_outer_cancel(aio, t):
    async def body():
        async with aio.TaskGroup() as tg:
            tg.create_task(aio.sleep(10))
            await aio.sleep(10)
    task = aio.ensure_future(body())
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("cancelled", task.cancelled())


@case("taskgroup")
async def taskgroup_create_after_exit(aio, t):
    async with aio.TaskGroup() as tg:
        pass
    coro = _value(aio, 1)
    try:
        tg.create_task(coro)
    except RuntimeError:
        t("RuntimeError")
    coro.close()


@case("taskgroup")
async def taskgroup_empty(aio, t):
    async with aio.TaskGroup():
        pass
    t("ok")


@case("taskgroup")
async def taskgroup_child_cancelled_alone(aio, t):
    async with aio.TaskGroup() as tg:
        a = tg.create_task(aio.sleep(10))
        b = tg.create_task(_value(aio, "b", 2))
        await aio.sleep(0)
        a.cancel()
    t("a cancelled", a.cancelled(), "b", b.result())


@case("taskgroup")
async def taskgroup_task_names(aio, t):
    async with aio.TaskGroup() as tg:
        a = tg.create_task(_value(aio, 1), name="named")
    t("name", a.get_name())


@case("as_completed", target="3.13")
async def as_completed_async_for_yields_the_futures(aio, t):
    loop = aio.get_running_loop()
    slow = aio.ensure_future(_value(aio, "slow", 3))
    plain = loop.create_future()
    loop.call_soon(plain.set_result, "plain")
    coro = _value(aio, "coro", 2)
    async for f in aio.as_completed([slow, plain, coro]):
        t("got", f.result(), "is slow" if f is slow else
          "is plain" if f is plain else "a task" if hasattr(f, "get_coro") else
          "other")


@case("as_completed", target="3.13")
async def as_completed_async_for_timeout(aio, t):
    slow = aio.ensure_future(aio.sleep(10))
    fast = aio.ensure_future(_value(aio, "fast", 1))
    try:
        async for f in aio.as_completed([slow, fast], timeout=0.01):
            t("got", f.result())
    except TimeoutError:
        t("TimeoutError", "slow cancelled", slow.cancelled())
    slow.cancel()


@case("as_completed", target="3.13")
async def as_completed_type_error_at_the_call(aio, t):
    fut = aio.get_running_loop().create_future()
    try:
        it = aio.as_completed(fut)
        t("call returned")
        next(iter(it))
    except TypeError as e:
        t.exc("TypeError", e)
    fut.cancel()


@case("as_completed")
async def as_completed_foreign_futures(aio, t):
    # asyncio's own futures on either loop: a plain Future subclass
    import asyncio
    loop = aio.get_running_loop()

    class Mine(asyncio.Future):
        pass
    a, b = Mine(loop=loop), Mine(loop=loop)
    loop.call_soon(b.set_result, "b")
    loop.call_later(0.001, a.set_result, "a")
    t("order", [await f for f in aio.as_completed([a, b])])
