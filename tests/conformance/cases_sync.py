# SPDX-License-Identifier: MIT
"""Semaphore, Lock, Event, Condition, Queue and run_in_executor."""

import threading

from harness import case


# ---- semaphore ----

@case("semaphore")
async def semaphore_counts(aio, t):
    sem = aio.Semaphore(2)
    await sem.acquire()
    t("locked", sem.locked())
    await sem.acquire()
    t("locked", sem.locked())
    sem.release()
    t("locked", sem.locked())
    sem.release()


@case("semaphore")
async def semaphore_fifo(aio, t):
    sem = aio.Semaphore(0)

    async def w(i):
        await sem.acquire()
        t("acquired", i)
    tasks = [aio.ensure_future(w(i)) for i in range(3)]
    await aio.sleep(0)
    for _ in range(3):
        sem.release()
    await aio.gather(*tasks)


@case("semaphore")
async def semaphore_negative_value(aio, t):
    try:
        aio.Semaphore(-1)
    except ValueError:
        t("ValueError")


@case("semaphore")
async def semaphore_release_above_initial(aio, t):
    sem = aio.Semaphore(1)
    sem.release()
    await sem.acquire()
    await sem.acquire()
    t("two permits", sem.locked())


@case("semaphore")
async def bounded_semaphore_over_release(aio, t):
    sem = aio.BoundedSemaphore(1)
    try:
        sem.release()
    except ValueError:
        t("ValueError")


@case("semaphore")
async def semaphore_cancelled_waiter_skipped(aio, t):
    sem = aio.Semaphore(0)

    async def w(i):
        await sem.acquire()
        t("acquired", i)
    a = aio.ensure_future(w("a"))
    b = aio.ensure_future(w("b"))
    await aio.sleep(0)
    a.cancel()
    sem.release()
    await b
    t("a cancelled", a.cancelled())


@case("semaphore")
async def semaphore_woken_then_cancelled_passes_on(aio, t):
    sem = aio.Semaphore(0)

    async def w(i):
        await sem.acquire()
        t("acquired", i)
    a = aio.ensure_future(w("a"))
    b = aio.ensure_future(w("b"))
    await aio.sleep(0)
    sem.release()
    a.cancel()
    await b
    t("a cancelled", a.cancelled())


@case("semaphore")
async def semaphore_async_with(aio, t):
    sem = aio.Semaphore(1)
    async with sem:
        t("inside locked", sem.locked())
    t("after", sem.locked())


@case("semaphore")
async def semaphore_acquire_returns_true(aio, t):
    sem = aio.Semaphore()
    t("acquire", await sem.acquire())


@case("semaphore")
async def semaphore_release_many_waiters_order(aio, t):
    sem = aio.Semaphore(0)
    order = []

    async def w(i):
        await sem.acquire()
        order.append(i)
    tasks = [aio.ensure_future(w(i)) for i in range(4)]
    await aio.sleep(0)
    sem.release()
    sem.release()
    await aio.sleep(0)
    t("after two releases", order)
    sem.release()
    sem.release()
    await aio.gather(*tasks)
    t("all", order)


# ---- lock ----

@case("lock")
async def lock_basic(aio, t):
    lock = aio.Lock()
    t("locked", lock.locked())
    t("acquire", await lock.acquire())
    t("locked", lock.locked())
    lock.release()
    t("locked", lock.locked())


@case("lock")
async def lock_release_unlocked(aio, t):
    lock = aio.Lock()
    try:
        lock.release()
    except RuntimeError as e:
        t.exc("raised", e)


@case("lock")
async def lock_fifo(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def w(i):
        async with lock:
            t("holder", i)
            await aio.sleep(0)
    tasks = [aio.ensure_future(w(i)) for i in range(3)]
    await aio.sleep(0)
    lock.release()
    await aio.gather(*tasks)


@case("lock")
async def lock_cancelled_waiter(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def w(i):
        async with lock:
            t("holder", i)
    a = aio.ensure_future(w("a"))
    b = aio.ensure_future(w("b"))
    await aio.sleep(0)
    a.cancel()
    lock.release()
    await b
    t("a cancelled", a.cancelled(), "locked", lock.locked())


@case("lock")
async def lock_woken_then_cancelled(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def w(i):
        async with lock:
            t("holder", i)
    a = aio.ensure_future(w("a"))
    b = aio.ensure_future(w("b"))
    await aio.sleep(0)
    lock.release()
    a.cancel()
    await b
    t("a cancelled", a.cancelled(), "locked", lock.locked())


@case("lock")
async def lock_newcomer_does_not_overtake(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def w(name):
        async with lock:
            t("holder", name)
    a = aio.ensure_future(w("queued"))
    await aio.sleep(0)
    lock.release()
    b = aio.ensure_future(w("newcomer"))
    await aio.gather(a, b)


@case("lock")
async def lock_release_twice_with_waiter(aio, t):
    lock = aio.Lock()
    await lock.acquire()

    async def w():
        async with lock:
            t("waiter holds")
    a = aio.ensure_future(w())
    await aio.sleep(0)
    lock.release()
    try:
        lock.release()
    except RuntimeError:
        t("second release: RuntimeError")
    await a


@case("lock")
async def lock_async_with_exception_releases(aio, t):
    lock = aio.Lock()
    try:
        async with lock:
            raise ValueError("inside")
    except ValueError:
        t("locked after", lock.locked())


# ---- event ----

@case("event")
async def event_basic(aio, t):
    ev = aio.Event()
    t("is_set", ev.is_set())
    ev.set()
    t("is_set", ev.is_set(), "wait", await ev.wait())
    ev.clear()
    t("is_set", ev.is_set())


@case("event")
async def event_wakes_all_waiters(aio, t):
    ev = aio.Event()

    async def w(i):
        await ev.wait()
        t("woken", i)
    tasks = [aio.ensure_future(w(i)) for i in range(3)]
    await aio.sleep(0)
    ev.set()
    await aio.gather(*tasks)


@case("event")
async def event_set_clear_before_waiters_run(aio, t):
    ev = aio.Event()

    async def w():
        t("wait returned", await ev.wait())
    task = aio.ensure_future(w())
    await aio.sleep(0)
    ev.set()
    ev.clear()
    await aio.sleep(0)
    t("done", task.done())
    task.cancel()


@case("event")
async def event_cancelled_waiter(aio, t):
    ev = aio.Event()
    task = aio.ensure_future(ev.wait())
    await aio.sleep(0)
    task.cancel()
    await aio.sleep(0)
    ev.set()
    t("cancelled", task.cancelled())


@case("event")
async def event_wait_when_set_is_immediate(aio, t):
    ev = aio.Event()
    ev.set()
    aio.get_running_loop().call_soon(t, "callback")
    await ev.wait()
    t("returned before callback")
    await aio.sleep(0)


# ---- condition ----

@case("condition")
async def condition_notify_one(aio, t):
    cond = aio.Condition()

    async def w(i):
        async with cond:
            await cond.wait()
            t("woken", i)
    tasks = [aio.ensure_future(w(i)) for i in range(3)]
    await aio.sleep(0)
    async with cond:
        cond.notify(1)
    await aio.sleep(0)
    await aio.sleep(0)
    t("done", [x.done() for x in tasks])
    async with cond:
        cond.notify_all()
    await aio.gather(*tasks)


@case("condition")
async def condition_notify_without_lock(aio, t):
    cond = aio.Condition()
    try:
        cond.notify()
    except RuntimeError:
        t("RuntimeError")


@case("condition")
async def condition_wait_without_lock(aio, t):
    cond = aio.Condition()
    try:
        await cond.wait()
    except RuntimeError:
        t("RuntimeError")


@case("condition")
async def condition_wait_for_predicate(aio, t):
    cond = aio.Condition()
    state = {"n": 0}

    async def w():
        async with cond:
            r = await cond.wait_for(lambda: state["n"] >= 2)
            t("predicate true", r, state["n"])
    task = aio.ensure_future(w())
    for _ in range(3):
        await aio.sleep(0)
        async with cond:
            state["n"] += 1
            cond.notify_all()
    await task


@case("condition")
async def condition_wait_reacquires(aio, t):
    cond = aio.Condition()

    async def w():
        async with cond:
            await cond.wait()
            t("locked after wait", cond.locked())
    task = aio.ensure_future(w())
    await aio.sleep(0)
    async with cond:
        cond.notify()
    await task


@case("condition")
async def condition_cancelled_waiter_reacquires(aio, t):
    cond = aio.Condition()

    async def w():
        async with cond:
            try:
                await cond.wait()
            except aio.CancelledError:
                t("cancelled; locked", cond.locked())
                raise
    task = aio.ensure_future(w())
    await aio.sleep(0)
    task.cancel()
    try:
        await task
    except aio.CancelledError:
        t("task cancelled; locked", cond.locked())


@case("condition")
async def condition_shared_lock(aio, t):
    lock = aio.Lock()
    cond = aio.Condition(lock)
    async with lock:
        t("cond locked", cond.locked())
    t("cond locked", cond.locked())


@case("condition")
async def condition_notify_order(aio, t):
    cond = aio.Condition()

    async def w(i):
        async with cond:
            await cond.wait()
            t("woken", i)
    tasks = [aio.ensure_future(w(i)) for i in range(4)]
    await aio.sleep(0)
    async with cond:
        cond.notify(2)
    await aio.sleep(0.001)
    async with cond:
        cond.notify(2)
    await aio.gather(*tasks)


# ---- queue ----

@case("queue")
async def queue_fifo(aio, t):
    q = aio.Queue()
    for i in range(3):
        q.put_nowait(i)
    t("items", [q.get_nowait() for _ in range(3)], q.empty())


@case("queue")
async def queue_lifo(aio, t):
    q = aio.LifoQueue()
    for i in range(3):
        await q.put(i)
    t("items", [await q.get() for _ in range(3)])


@case("queue")
async def queue_priority(aio, t):
    q = aio.PriorityQueue()
    for i in (5, 1, 4, 2):
        q.put_nowait((i, str(i)))
    t("items", [q.get_nowait() for _ in range(4)])


@case("queue")
async def queue_empty_full_errors(aio, t):
    q = aio.Queue(maxsize=1)
    try:
        q.get_nowait()
    except aio.QueueEmpty:
        t("QueueEmpty")
    q.put_nowait(1)
    t("full", q.full(), q.qsize(), q.maxsize)
    try:
        q.put_nowait(2)
    except aio.QueueFull:
        t("QueueFull")


@case("queue")
async def queue_maxsize_zero_unbounded(aio, t):
    q = aio.Queue(0)
    for i in range(100):
        q.put_nowait(i)
    t("size", q.qsize(), "full", q.full())


@case("queue")
async def queue_getters_fifo(aio, t):
    q = aio.Queue()

    async def g(i):
        t("getter", i, await q.get())
    tasks = [aio.ensure_future(g(i)) for i in range(3)]
    await aio.sleep(0)
    for x in "abc":
        q.put_nowait(x)
    await aio.gather(*tasks)


@case("queue")
async def queue_putters_fifo(aio, t):
    q = aio.Queue(1)
    q.put_nowait(0)

    async def p(i):
        await q.put(i)
        t("put done", i)
    tasks = [aio.ensure_future(p(i)) for i in (1, 2, 3)]
    await aio.sleep(0)
    got = []
    for _ in range(4):
        got.append(await q.get())
    await aio.gather(*tasks)
    t("got", got)


@case("queue")
async def queue_task_done_join(aio, t):
    q = aio.Queue()
    for i in range(3):
        q.put_nowait(i)

    async def worker():
        while True:
            item = await q.get()
            t("work", item)
            q.task_done()
    w = aio.ensure_future(worker())
    await q.join()
    t("joined")
    w.cancel()


@case("queue")
async def queue_task_done_too_many(aio, t):
    q = aio.Queue()
    try:
        q.task_done()
    except ValueError:
        t("ValueError")


@case("queue")
async def queue_join_when_empty(aio, t):
    q = aio.Queue()
    await q.join()
    t("joined at once")


@case("queue")
async def queue_cancelled_getter(aio, t):
    q = aio.Queue()
    g = aio.ensure_future(q.get())
    await aio.sleep(0)
    g.cancel()
    await aio.sleep(0)
    q.put_nowait(1)
    t("cancelled", g.cancelled(), "size", q.qsize())


@case("queue")
async def queue_cancelled_putter_waiting(aio, t):
    q = aio.Queue(1)
    q.put_nowait("a")
    p = aio.ensure_future(q.put("b"))
    await aio.sleep(0)
    p.cancel()
    await aio.sleep(0)
    t("size", q.qsize(), q.get_nowait(), q.empty())


@case("queue")
async def queue_put_then_get_waiting_getter_order(aio, t):
    q = aio.Queue()
    g = aio.ensure_future(q.get())
    await aio.sleep(0)
    q.put_nowait(1)
    q.put_nowait(2)
    t("qsize", q.qsize())
    t("g", await g, "left", q.get_nowait())


@case("queue")
async def queue_woken_putter_then_newcomer_get(aio, t):
    q = aio.Queue(1)
    q.put_nowait("a")
    p = aio.ensure_future(q.put("b"))
    await aio.sleep(0)
    t("got", q.get_nowait())
    try:
        t("got again", q.get_nowait())
    except aio.QueueEmpty:
        t("QueueEmpty: b not in yet")
    await p
    t("now", q.get_nowait())


# ---- executor ----

@case("executor")
async def executor_result(aio, t):
    loop = aio.get_running_loop()
    t("result", await loop.run_in_executor(None, lambda: 6 * 7))


@case("executor")
async def executor_args(aio, t):
    loop = aio.get_running_loop()
    t("result", await loop.run_in_executor(None, pow, 2, 10))


@case("executor")
async def executor_exception(aio, t):
    loop = aio.get_running_loop()

    def bad():
        raise ZeroDivisionError("zero")
    try:
        await loop.run_in_executor(None, bad)
    except ZeroDivisionError as e:
        t.exc("raised", e)


@case("executor")
async def executor_runs_in_another_thread(aio, t):
    loop = aio.get_running_loop()
    main = threading.get_ident()
    other = await loop.run_in_executor(None, threading.get_ident)
    t("other thread", other != main)


@case("executor")
async def executor_many(aio, t):
    loop = aio.get_running_loop()
    r = await aio.gather(*[loop.run_in_executor(None, abs, -i)
                           for i in range(10)])
    t("results", r)


@case("executor")
async def executor_concurrent_futures_pool(aio, t):
    import concurrent.futures
    loop = aio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        t("result", await loop.run_in_executor(pool, str.upper, "x"))


@case("executor")
async def executor_call_soon_threadsafe(aio, t):
    loop = aio.get_running_loop()
    fut = loop.create_future()

    def worker():
        loop.call_soon_threadsafe(fut.set_result, "from thread")
    th = threading.Thread(target=worker)
    th.start()
    t("result", await fut)
    th.join()


# ---- Queue.shutdown (asyncio 3.13) ----

@case("queue", target="3.13")
async def queue_shutdown_drains_then_refuses(aio, t):
    q = aio.Queue()
    q.put_nowait(1)
    q.put_nowait(2)
    q.shutdown()
    for call in (lambda: q.put_nowait(3),):
        try:
            call()
        except aio.QueueShutDown:
            t("put_nowait: QueueShutDown")
    try:
        await q.put(3)
    except aio.QueueShutDown:
        t("put: QueueShutDown")
    t("drained", q.get_nowait(), await q.get(), q.qsize())
    for name, call in (("get_nowait", q.get_nowait),):
        try:
            call()
        except aio.QueueShutDown:
            t(name, "QueueShutDown")
    try:
        await q.get()
    except aio.QueueShutDown:
        t("get: QueueShutDown")
    q.task_done()
    q.task_done()
    await q.join()
    t("joined")


@case("queue", target="3.13")
async def queue_shutdown_wakes_waiters(aio, t):
    q = aio.Queue(maxsize=1)
    getter_q = aio.Queue()

    async def get(queue):
        try:
            return await queue.get()
        except aio.QueueShutDown:
            return "QueueShutDown"

    async def put(queue, v):
        try:
            await queue.put(v)
            return "put"
        except aio.QueueShutDown:
            return "QueueShutDown"
    q.put_nowait("x")
    putter = aio.ensure_future(put(q, "y"))
    getter = aio.ensure_future(get(getter_q))
    await aio.sleep(0)
    q.shutdown()
    getter_q.shutdown()
    t("putter", await putter, "getter", await getter)
    t("left", q.qsize(), q.get_nowait())


@case("queue", target="3.13")
async def queue_shutdown_immediate(aio, t):
    q = aio.Queue()
    for i in range(3):
        q.put_nowait(i)
    t("taken", q.get_nowait())
    joiner = aio.ensure_future(q.join())
    await aio.sleep(0)
    q.shutdown(immediate=True)
    t("size", q.qsize(), "join done", joiner.done())
    q.task_done()          # the one taken before
    await aio.sleep(0)
    t("join done", joiner.done())
    try:
        q.task_done()
    except ValueError as e:
        t.exc("too many task_done", e)
    try:
        await q.get()
    except aio.QueueShutDown:
        t("get: QueueShutDown")


@case("queue", target="3.13")
async def queue_shutdown_before_first_use(aio, t):
    q = aio.LifoQueue()
    q.put_nowait("a")
    q.shutdown()
    t("get", await q.get())
    try:
        q.get_nowait()
    except aio.QueueShutDown:
        t("then QueueShutDown")
    except aio.QueueEmpty:
        t("then QueueEmpty")


@case("queue")
async def queue_is_an_asyncio_queue(aio, t):
    import asyncio
    t("Queue", isinstance(aio.Queue(), asyncio.Queue),
      "LifoQueue", isinstance(aio.LifoQueue(), asyncio.LifoQueue),
      "PriorityQueue", isinstance(aio.PriorityQueue(), asyncio.PriorityQueue))
