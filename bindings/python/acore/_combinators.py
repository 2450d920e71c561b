# SPDX-License-Identifier: MIT
"""Combinators: sleep, gather, wait, wait_for, timeout, as_completed, shield
and TaskGroup, with asyncio's signatures and behaviour.

sleep(), gather(), wait() and as_completed() run in C (acore_sleep,
acore_gather, acore_wait, acore_as_completed). wait_for() and shield() are
asyncio's own functions: they are written against the future/loop
protocol, which acore's futures and loop implement, so they run unchanged
on the acore loop. (acore_wait_for and acore_shield hand a pointer result
over from the inner future to the outer one, which would empty a Python
task that is also awaited elsewhere.) timeout() and
TaskGroup are implemented here on acore's tasks.
"""

import asyncio.coroutines as _acoroutines
import asyncio.futures as _afutures
import asyncio.tasks as _atasks
import types as _types

from asyncio.exceptions import CancelledError

from . import _lowlevel

Future = _lowlevel.Future
FIRST_COMPLETED = _atasks.FIRST_COMPLETED
FIRST_EXCEPTION = _atasks.FIRST_EXCEPTION
ALL_COMPLETED = _atasks.ALL_COMPLETED


def _loop():
    loop = _lowlevel._get_running_loop()
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


@_types.coroutine
def _yield_once():
    yield


async def sleep(delay, result=None):
    """Suspend the calling task for `delay` seconds (0: one loop turn)."""
    if delay <= 0:
        await _yield_once()
        return result
    await _loop()._sleep(delay)
    return result


def _children(aws, loop):
    children = []
    made = {}
    for a in aws:
        if isinstance(a, Future):
            fut = a
        else:
            fut = made.get(id(a))
            if fut is None:
                if loop is None:
                    loop = _loop()
                if hasattr(a, "send") and hasattr(a, "throw"):
                    fut = loop.create_task(a)
                else:
                    from . import ensure_future
                    fut = ensure_future(a, loop=loop)
                made[id(a)] = fut
        if loop is None:
            loop = fut.get_loop()
        children.append(fut)
    return tuple(children), loop


def gather(*aws, return_exceptions=False):
    """A future of the results of `aws` (futures, tasks or coroutines), in
    order. The first exception propagates (the others keep running) unless
    return_exceptions is true; cancelling the gather cancels the children."""
    children, loop = _children(aws, None)
    if loop is None:
        loop = _loop()
    return loop._gather(children, bool(return_exceptions))


def shield(arg):
    """Protect `arg` from cancellation (asyncio.shield)."""
    return _atasks.shield(arg)


_WAIT_MODES = {ALL_COMPLETED: 0, FIRST_COMPLETED: 1, FIRST_EXCEPTION: 2}


async def wait(fs, *, timeout=None, return_when=ALL_COMPLETED):
    """Wait for the futures/tasks in `fs`; return (done, pending) sets of
    the very objects given (asyncio.wait). Runs on acore_wait in C when
    every item is an acore future of the running loop (otherwise on
    asyncio's own helper). Never cancels anything; a timeout just returns;
    cancelling the wait leaves the futures untouched."""
    if (_afutures.isfuture(fs) or _acoroutines.iscoroutine(fs)
            or isinstance(fs, Future)):
        raise TypeError(f"expect a list of futures, not {type(fs).__name__}")
    if not fs:
        raise ValueError("Set of Tasks/Futures is empty.")
    if return_when not in _WAIT_MODES:
        raise ValueError(f"Invalid return_when value: {return_when}")
    fs = set(fs)
    loop = _loop()
    started = loop._wait(fs, _WAIT_MODES[return_when], timeout)
    if started is None:            # not only acore futures of this loop
        if any(_acoroutines.iscoroutine(f) for f in fs):
            raise TypeError("Passing coroutines is forbidden, use tasks "
                            "explicitly.")
        return await _atasks._wait(fs, timeout, return_when, loop)
    waiter, children = started
    await waiter
    # asyncio inspects each completion under FIRST_EXCEPTION: their errors
    # then count as retrieved.
    return loop._wait_split(children, return_when == FIRST_EXCEPTION)


async def wait_for(fut, timeout):
    """Wait for `fut` with a timeout; on timeout cancel it and raise
    TimeoutError."""
    return await _atasks.wait_for(fut, timeout)


def as_completed(fs, *, timeout=None):
    """Iterate over awaitables that give the results of `fs` in completion
    order (asyncio.as_completed): each ``await`` returns the next result
    or raises its exception, or TimeoutError once `timeout` has passed.
    Runs on acore_as_completed in C when every item is (or becomes, by
    ensure_future) an acore future of the running loop; the awaitables may
    be awaited concurrently (they are served in the order they wait)."""
    if (_afutures.isfuture(fs) or _acoroutines.iscoroutine(fs)
            or isinstance(fs, Future)):
        raise TypeError(
            f"expect an iterable of futures, not {type(fs).__name__}")
    yield from _as_completed(fs, timeout)  # a generator, as asyncio's


def _as_completed(fs, timeout):
    from . import ensure_future
    from ._sync import Lock
    loop = _loop()
    todo = {ensure_future(f, loop=loop) for f in set(fs)}
    if not all(isinstance(f, Future) and f.get_loop() is loop
               for f in todo):
        yield from _atasks.as_completed(todo, timeout=timeout)
        return
    if not todo:
        return
    by_address = {f._address(): f for f in todo}
    ac = loop._as_completed(tuple(todo), timeout)
    turn = Lock()   # one pending acore_as_completed_next at a time

    async def _wait_for_one():
        async with turn:
            nxt = loop._as_completed_next(ac)
            await nxt
            f = by_address[loop._as_completed_pick(nxt)]
        return f.result()  # may raise f's exception

    try:
        for _ in range(len(todo)):
            yield _wait_for_one()
    finally:
        if ac.done() and not ac.cancelled():
            ac.exception()  # a timeout: reported by the awaitables


class Timeout:
    """An asynchronous context manager that cancels the enclosing task at a
    deadline (loop time) and turns that cancellation into TimeoutError."""

    def __init__(self, when):
        self._when = when
        self._task = None
        self._handle = None
        self._state = "created"
        self._cancelling = 0

    def when(self):
        return self._when

    def reschedule(self, when):
        if self._state not in ("created", "entered"):
            raise RuntimeError(f"Cannot change state of {self._state} Timeout")
        self._when = when
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._state == "entered" and when is not None:
            loop = self._task.get_loop()
            if when <= loop.time():
                self._handle = loop.call_soon(self._fire)
            else:
                self._handle = loop.call_at(when, self._fire)

    def expired(self):
        return self._state in ("expiring", "expired")

    def _fire(self):
        self._task.cancel()
        self._state = "expiring"
        self._handle = None

    async def __aenter__(self):
        self._task = _lowlevel._current_task()
        if self._task is None:
            raise RuntimeError("Timeout should be used inside a task")
        self._cancelling = self._task.cancelling()
        self._state = "entered"
        self.reschedule(self._when)
        return self

    async def __aexit__(self, exc_type, exc, tb):
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._state == "expiring":
            self._state = "expired"
            if (self._task.uncancel() <= self._cancelling
                    and exc_type is CancelledError):
                raise TimeoutError from exc
        elif self._state == "entered":
            self._state = "exited"
        return None

    def __repr__(self):
        return f"<Timeout [{self._state}] when={self._when}>"


def timeout(delay):
    """async with timeout(delay): ... - TimeoutError after `delay` seconds
    (None: no deadline, reschedulable)."""
    loop = _loop()
    return Timeout(loop.time() + delay if delay is not None else None)


def timeout_at(when):
    """As timeout(), at the absolute loop time `when`."""
    return Timeout(when)


class TaskGroup:
    """Structured concurrency (asyncio.TaskGroup): tasks created with
    create_task() are awaited at the end of the `async with` block; the
    first failure cancels the others and the errors are raised as an
    ExceptionGroup."""

    def __init__(self):
        self._entered = False
        self._exiting = False
        self._aborting = False
        self._loop = None
        self._parent = None
        self._parent_cancel_requested = False
        self._tasks = set()
        self._errors = []
        self._base_error = None
        self._on_completed = None

    async def __aenter__(self):
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        self._loop = _loop()
        self._parent = _lowlevel._current_task()
        if self._parent is None:
            raise RuntimeError(f"TaskGroup {self!r} cannot determine the "
                               "parent task")
        self._entered = True
        return self

    async def __aexit__(self, et, exc, tb):
        self._exiting = True
        propagate = None
        if exc is not None and self._is_base_error(exc) \
                and self._base_error is None:
            self._base_error = exc
        if et is CancelledError:
            propagate = exc
        if et is not None and not self._aborting:
            self._abort()
        while self._tasks:
            if self._on_completed is None:
                self._on_completed = self._loop.create_future()
            try:
                await self._on_completed
            except CancelledError as e:
                if not self._aborting:
                    propagate = e
                    self._abort()
            self._on_completed = None
        if self._base_error is not None:
            raise self._base_error
        if et is not None and et is not CancelledError:
            self._errors.append(exc)
        if self._errors:
            if self._parent_cancel_requested and self._parent.uncancel() == 0:
                pass
            errors = self._errors
            self._errors = None
            raise BaseExceptionGroup("unhandled errors in a TaskGroup",
                                     errors)
        if self._parent_cancel_requested:
            if self._parent.uncancel() == 0 and propagate is None:
                return None
        if propagate is not None:
            raise propagate
        return None

    def create_task(self, coro, *, name=None, context=None):
        if not self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has not been entered")
        if self._exiting and not self._tasks:
            raise RuntimeError(f"TaskGroup {self!r} is finished")
        if self._aborting:
            raise RuntimeError(f"TaskGroup {self!r} is shutting down")
        task = self._loop.create_task(coro, name=name, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    @staticmethod
    def _is_base_error(exc):
        return isinstance(exc, (SystemExit, KeyboardInterrupt))

    def _abort(self):
        self._aborting = True
        for t in self._tasks:
            if not t.done():
                t.cancel()

    def _on_task_done(self, task):
        self._tasks.discard(task)
        if self._on_completed is not None and not self._tasks:
            if not self._on_completed.done():
                self._on_completed.set_result(True)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        self._errors.append(exc)
        if self._is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        if self._parent.done():
            self._loop.call_exception_handler({
                "message": f"Task {task!r} has errored out but its parent "
                           f"task {self._parent} is already completed",
                "exception": exc})
            return
        if not self._aborting and not self._parent_cancel_requested:
            self._abort()
            self._parent_cancel_requested = True
            self._parent.cancel()

    def __repr__(self):
        return f"<acore.TaskGroup tasks={len(self._tasks)}>"
