# SPDX-License-Identifier: MIT
"""Tasks: scheduling, results, cancellation, names, current_task."""

from harness import case


@case("task")
async def task_runs_on_next_iteration(aio, t):
    async def co():
        t("task runs")
        return 1
    task = aio.ensure_future(co())
    t("created, not run")
    await aio.sleep(0)
    t("done", task.done(), task.result())


@case("task")
async def tasks_start_in_creation_order(aio, t):
    async def co(i):
        t("start", i)
        await aio.sleep(0)
        t("resume", i)
    tasks = [aio.ensure_future(co(i)) for i in range(3)]
    await aio.gather(*tasks)


@case("task")
async def task_result_and_exception(aio, t):
    async def ok():
        return "fine"

    async def bad():
        raise ValueError("bad")
    a = aio.ensure_future(ok())
    b = aio.ensure_future(bad())
    await aio.sleep(0)
    t.state("ok", a)
    t.state("bad", b)


@case("task")
async def task_await_propagates(aio, t):
    async def bad():
        raise KeyError("x")
    try:
        await aio.ensure_future(bad())
    except KeyError as e:
        t.exc("caught", e)


@case("task")
async def task_cancel_pending_before_start(aio, t):
    async def co():
        t("never runs")
    task = aio.ensure_future(co())
    t("cancel", task.cancel())
    try:
        await task
    except aio.CancelledError:
        t("cancelled", task.cancelled())


@case("task")
async def task_cancel_while_sleeping(aio, t):
    async def co():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            t("saw CancelledError")
            raise
    task = aio.ensure_future(co())
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(0)
    t("cancelled", task.cancelled())


@case("task")
async def task_absorbs_cancel(aio, t):
    async def co():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            return "absorbed"
    task = aio.ensure_future(co())
    await aio.sleep(0)
    task.cancel()
    t("result", await task, "cancelled", task.cancelled())


@case("task")
async def task_cancelling_and_uncancel(aio, t):
    async def co():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            me = aio.current_task()
            t("cancelling", me.cancelling())
            t("uncancel", me.uncancel())
            t("cancelling", me.cancelling())
            return "ok"
    task = aio.ensure_future(co())
    await aio.sleep(0)
    task.cancel()
    t("after cancel", task.cancelling())
    t(await task)


@case("task")
async def task_cancel_twice_counts(aio, t):
    task = aio.ensure_future(aio.sleep(10))
    await aio.sleep(0)
    t(task.cancel(), task.cancel(), task.cancelling())
    try:
        await task
    except aio.CancelledError:
        t("cancelled")


@case("task")
async def task_cancel_done_returns_false(aio, t):
    async def co():
        return 1
    task = aio.ensure_future(co())
    await task
    t("cancel", task.cancel(), task.result())


@case("task")
async def task_cancel_self(aio, t):
    async def co():
        aio.current_task().cancel()
        t("still running after self-cancel")
        await aio.sleep(0)
        t("never")
    task = aio.ensure_future(co())
    try:
        await task
    except aio.CancelledError:
        t("cancelled", task.cancelled())


@case("task")
async def task_cancel_then_return_without_await(aio, t):
    async def co():
        aio.current_task().cancel()
        return "returned"
    task = aio.ensure_future(co())
    try:
        t("result", await task)
    except aio.CancelledError:
        t("cancelled", task.cancelled())


@case("task")
async def task_cancel_propagates_to_awaited_future(aio, t):
    fut = aio.get_running_loop().create_future()

    async def co():
        await fut
    task = aio.ensure_future(co())
    await aio.sleep(0)
    task.cancel("m")
    await aio.sleep(0)
    t("inner cancelled", fut.cancelled())
    try:
        await task
    except aio.CancelledError:
        t("task cancelled", task.cancelled())


@case("task")
async def task_cancel_awaiting_task(aio, t):
    async def inner():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            t("inner cancelled")
            raise

    async def outer():
        await aio.ensure_future(inner())
    task = aio.ensure_future(outer())
    await aio.sleep(0)
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("outer cancelled")


@case("task")
async def task_names(aio, t):
    async def co():
        return None
    a = aio.get_running_loop().create_task(co(), name="alpha")
    t("name", a.get_name())
    a.set_name("beta")
    t("renamed", a.get_name())
    b = aio.ensure_future(co())
    t("default is str", isinstance(b.get_name(), str),
      b.get_name().startswith("Task-"))
    await aio.gather(a, b)


@case("task")
async def task_get_coro(aio, t):
    async def co():
        return None
    c = co()
    task = aio.ensure_future(c)
    t("same coro", task.get_coro() is c)
    await task


@case("task")
async def current_task_inside_and_outside(aio, t):
    main = aio.current_task()
    t("main is task", main is not None)

    async def co():
        return aio.current_task()
    task = aio.ensure_future(co())
    t("inner is its task", (await task) is task)
    t("main again", aio.current_task() is main)


@case("task")
async def all_tasks_lists_pending(aio, t):
    async def co():
        await aio.sleep(10)
    task = aio.ensure_future(co())
    await aio.sleep(0)
    tasks = aio.all_tasks()
    t("has both", task in tasks, aio.current_task() in tasks)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        pass
    t("gone", task not in aio.all_tasks())


@case("task")
async def task_done_callback_runs(aio, t):
    async def co():
        return 5
    task = aio.ensure_future(co())
    task.add_done_callback(lambda f: t("done callback", f.result()))
    await task
    await aio.sleep(0)


@case("task")
async def task_exception_types(aio, t):
    async def raise_base():
        raise KeyboardInterrupt
    async def raise_sys():
        raise SystemExit(3)
    for co in (raise_base, raise_sys):
        task = aio.ensure_future(co())
        try:
            await task
        except (KeyboardInterrupt, SystemExit) as e:
            t("propagated", type(e).__name__)


@case("task")
async def task_returns_none(aio, t):
    async def co():
        pass
    t("result", await aio.ensure_future(co()))


@case("task")
async def run_cancels_leftover_tasks(aio, t):
    async def leftover():
        try:
            await aio.sleep(10)
        except aio.CancelledError:
            t("leftover cancelled at shutdown")
            raise
    aio.ensure_future(leftover())
    await aio.sleep(0)
    return "main done"


@case("task")
async def task_awaiting_itself_fails(aio, t):
    async def co():
        await aio.current_task()
    task = aio.ensure_future(co())
    try:
        await task
    except RuntimeError:
        t("RuntimeError")


@case("task")
async def cancelled_error_is_base_exception(aio, t):
    t("base", issubclass(aio.CancelledError, BaseException),
      issubclass(aio.CancelledError, Exception))


@case("task")
async def task_cancel_message_reaches_coroutine(aio, t):
    async def co():
        try:
            await aio.sleep(10)
        except aio.CancelledError as e:
            t.exc("inside", e)
            raise
    task = aio.ensure_future(co())
    await aio.sleep(0)
    task.cancel("reason")
    try:
        await task
    except aio.CancelledError as e:
        t.exc("outside", e)


@case("task")
async def task_sleep_result(aio, t):
    t("sleep result", await aio.sleep(0, "value"))
    t("sleep result timed", await aio.sleep(0.001, result=7))
