# SPDX-License-Identifier: MIT
"""Combinators: sleep, gather, wait, wait_for, timeout, as_completed, shield
and TaskGroup, with asyncio's signatures and behaviour (that of its newest
versions where they differ).

sleep(), gather(), wait() and as_completed() run in C (acore_sleep,
acore_gather, acore_wait, acore_as_completed). wait_for(), shield(),
Timeout and TaskGroup are written here on acore's futures and tasks:
wait_for() is a Timeout around the await (the awaited coroutine runs in
the calling task); shield() mirrors the inner future into an outer acore
future. (acore_wait_for and acore_shield hand a pointer result over from
the inner future to the outer one, which would empty a Python task that is
also awaited elsewhere.)

Design notes
- A Timeout cancels its task at the deadline and counts on the task's
  cancel counter: at exit, uncancel() back to the count seen on entry
  means the cancellation was the timeout's own, and only then is a
  CancelledError turned into TimeoutError. Any other cancel request (an
  outside cancel, an outer timeout) leaves the count higher and the
  CancelledError propagates.
- shield() keeps the pending inner future in a set of its loop until it
  is done, so an inner nobody else holds still completes; the set lives
  in the loop object and goes with it.
- TaskGroup cancels its parent at most once (on the first child failure)
  and undoes exactly that request in __aexit__.
"""

import asyncio.coroutines as _acoroutines
import asyncio.futures as _afutures
import asyncio.tasks as _atasks
import types as _types

from asyncio.exceptions import CancelledError

from . import _lowlevel
from . import ensure_future, get_running_loop as _loop

Future = _lowlevel.Future
FIRST_COMPLETED = _atasks.FIRST_COMPLETED
FIRST_EXCEPTION = _atasks.FIRST_EXCEPTION
ALL_COMPLETED = _atasks.ALL_COMPLETED


@_types.coroutine
def _yield_once():
    yield


def sleep(delay, result=None):
    """Suspend the calling task for `delay` seconds (0: one loop turn).

    Returns a coroutine, as asyncio's; sleep(0) with no result is a C
    awaitable that yields once and that the garbage collector need not
    track (``_lowlevel._Yield``: send, throw, close, like a coroutine)."""
    if result is None and (delay.__class__ is int or
                           delay.__class__ is float) and delay <= 0:
        return _lowlevel._yield()
    return _sleep(delay, result)


sleep._is_coroutine = getattr(_acoroutines, "_is_coroutine", None)


async def _sleep(delay, result):
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


def _keep(loop):
    """The set of pending shielded inner futures of `loop` (held until
    they are done)."""
    keep = getattr(loop, "_acore_shielded", None)
    if keep is None:
        keep = set()
        loop._acore_shielded = keep
    return keep


def shield(arg):
    """Protect `arg` (a future, task or coroutine - wrapped in a task) from
    cancellation: returns `arg` itself when it is already done, otherwise
    an outer future that takes the inner's result, exception or
    cancellation. Cancelling the outer leaves the inner running; the inner
    is kept alive until it is done, and if it then fails its exception
    counts as retrieved (the caller gave up on it by cancelling)."""
    inner = ensure_future(arg)
    if inner.done():
        return inner
    loop = inner.get_loop()
    outer = loop.create_future()
    keep = _keep(loop)
    keep.add(inner)

    def _inner_done(inner):
        keep.discard(inner)
        if outer.done():     # cancelled before its own callback ran
            if outer.cancelled() and not inner.cancelled():
                inner.exception()
            return
        if inner.cancelled():
            outer.cancel()
            return
        exc = inner.exception()
        if exc is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(inner.result())

    def _orphan_done(inner):
        keep.discard(inner)
        if cancelled and not inner.cancelled():
            inner.exception()

    def _outer_done(outer):
        nonlocal cancelled
        if inner.done():
            return
        cancelled = outer.cancelled()
        inner.remove_done_callback(_inner_done)
        inner.add_done_callback(_orphan_done)

    cancelled = False
    inner.add_done_callback(_inner_done)
    outer.add_done_callback(_outer_done)
    return outer


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
    """Wait for `fut` (an awaitable; a coroutine runs in the calling task)
    for at most `timeout` seconds. At the deadline it is cancelled, its
    cancellation is waited for, and TimeoutError is raised (from the
    CancelledError) - unless it absorbed the cancel and returned a value,
    which is returned. None: no deadline. <= 0: a done future gives its
    result, anything else is cancelled at once. Cancelling the caller is
    never turned into TimeoutError."""
    if timeout is None:
        return await fut
    if timeout <= 0:
        fut = ensure_future(fut)
        if fut.done():
            return fut.result()
        await _cancel_and_wait(fut)
        try:
            return fut.result()
        except CancelledError as exc:
            raise TimeoutError from exc
    async with timeout_at(_loop().time() + timeout):
        return await fut


async def _cancel_and_wait(fut):
    """Cancel `fut` and wait until it is done (cancelled, or finished
    otherwise if it absorbed the cancel), without consuming its outcome."""
    waiter = fut.get_loop().create_future()

    def _release(_):
        if not waiter.done():
            waiter.set_result(None)

    fut.add_done_callback(_release)
    try:
        fut.cancel()
        await waiter
    finally:
        fut.remove_done_callback(_release)


def as_completed(fs, *, timeout=None):
    """The results of `fs` in completion order (asyncio 3.13's
    as_completed), as an iterator of awaitables and as an asynchronous
    iterator:

        for aw in as_completed(fs):        # each await: the next result
            result = await aw              # (or its exception)
        async for f in as_completed(fs):   # the next done future itself
            result = f.result()            # (a task for a coroutine)

    Both raise TimeoutError once `timeout` seconds have passed. Runs on
    acore_as_completed in C when every item is (or becomes, by
    ensure_future) an acore future of the running loop; otherwise on done
    callbacks. The awaitables may be awaited concurrently (they are served
    in the order they wait)."""
    if (_afutures.isfuture(fs) or _acoroutines.iscoroutine(fs)
            or isinstance(fs, Future)):
        raise TypeError(
            f"expects an iterable of awaitables, not {type(fs).__name__}")
    return _AsCompleted(fs, timeout)


class _AsCompleted:
    """as_completed()'s iterator: `_next()` waits for the next done future
    (TimeoutError after the timeout); a plain iteration hands out
    coroutines that return its result, an `async for` the future itself."""

    def __init__(self, fs, timeout):
        from ._sync import Lock, Queue     # _sync imports this module
        loop = _loop()
        todo = {ensure_future(f, loop=loop) for f in set(fs)}
        self._left = len(todo)
        self._ac = self._done = None
        if all(isinstance(f, Future) and f.get_loop() is loop for f in todo):
            if todo:
                self._by_address = {f._address(): f for f in todo}
                self._ac = loop._as_completed(tuple(todo), timeout)
                self._loop = loop
                self._turn = Lock()   # one acore_as_completed_next at a time
            return
        # Futures of other kinds: done callbacks feed a queue; the timeout
        # feeds it one None per future left.
        self._done = Queue()
        self._todo = todo
        self._timer = (loop.call_later(timeout, self._on_timeout)
                       if timeout is not None else None)
        for f in todo:
            f.add_done_callback(self._on_done)

    def _on_done(self, f):
        if f in self._todo:
            self._todo.discard(f)
            self._done.put_nowait(f)
            if not self._todo and self._timer is not None:
                self._timer.cancel()

    def _on_timeout(self):
        for f in self._todo:
            f.remove_done_callback(self._on_done)
            self._done.put_nowait(None)
        self._todo.clear()

    async def _next(self):
        if self._done is not None:
            f = await self._done.get()
            if f is None:
                raise TimeoutError
            return f
        async with self._turn:
            nxt = self._loop._as_completed_next(self._ac)
            try:
                await nxt
            finally:
                if self._ac.done() and not self._ac.cancelled():
                    self._ac.exception()  # a timeout: raised by the awaits
            return self._by_address[self._loop._as_completed_pick(nxt)]

    async def _result(self):
        return (await self._next()).result()  # may raise its exception

    def __iter__(self):
        return self

    def __next__(self):
        if self._left == 0:
            raise StopIteration
        self._left -= 1
        return self._result()

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._left == 0:
            raise StopAsyncIteration
        self._left -= 1
        return await self._next()


class Timeout:
    """An asynchronous context manager that cancels the enclosing task at a
    deadline (loop time) and turns that cancellation into TimeoutError.
    Use timeout() or timeout_at() to make one.

    States: created -> active (entered) -> expiring (the deadline passed,
    the task was cancelled) -> expired (left with the timeout's own
    cancellation), or active -> finished (left before the deadline)."""

    def __init__(self, when):
        """`when`: a loop time, or None for no deadline; a time already
        passed fires on the next loop iteration after entry."""
        self._when = when
        self._task = None
        self._handle = None
        self._state = "created"
        self._cancelling = 0

    def when(self):
        """The current deadline (None: none)."""
        return self._when

    def reschedule(self, when):
        """Move the deadline to loop time `when` (None: no deadline); only
        while active (inside the block, before the deadline passed)."""
        if self._state != "active":
            if self._state == "created":
                raise RuntimeError("Timeout has not been entered")
            raise RuntimeError(f"Cannot change state of {self._state} Timeout")
        self._when = when
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if when is not None:
            loop = _loop()
            if when <= loop.time():
                self._handle = loop.call_soon(self._on_deadline)
            else:
                self._handle = loop.call_at(when, self._on_deadline)

    def expired(self):
        """True once the deadline has passed inside the block."""
        return self._state in ("expiring", "expired")

    def _on_deadline(self):
        self._handle = None
        self._state = "expiring"
        self._task.cancel()

    async def __aenter__(self):
        if self._state != "created":
            raise RuntimeError("Timeout has already been entered")
        task = _lowlevel._current_task()
        if task is None:
            raise RuntimeError("Timeout should be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._state = "active"
        self.reschedule(self._when)
        return self

    async def __aexit__(self, exc_type, exc, tb):
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._state == "active":
            self._state = "finished"
            return None
        if self._state != "expiring":
            return None
        self._state = "expired"
        # Back to the count seen on entry: the cancellation was ours alone.
        if self._task.uncancel() <= self._cancelling and exc is not None:
            if isinstance(exc, CancelledError):
                raise TimeoutError from exc
            # Another exception escaped while the block was being
            # cancelled (e.g. raised by cleanup code): mark the timeout in
            # its context chain.
            self._mark_timeout(exc)
            if isinstance(exc, BaseExceptionGroup):
                for e in exc.exceptions:
                    self._mark_timeout(e)
        return None

    @staticmethod
    def _mark_timeout(exc):
        while exc.__context__ is not None:
            ctx = exc.__context__
            if isinstance(ctx, CancelledError):
                te = TimeoutError()
                te.__cause__ = te.__context__ = ctx
                exc.__context__ = te
                return
            exc = ctx

    def __repr__(self):
        when = ""
        if self._state == "active":
            w = round(self._when, 3) if self._when is not None else None
            when = f" when={w}"
        return f"<Timeout [{self._state}]{when}>"


def timeout(delay):
    """async with timeout(delay): ... - cancel the block after `delay`
    seconds of loop time and raise TimeoutError (None: no deadline, can be
    set later with reschedule(); <= 0: on the next loop iteration)."""
    loop = _loop()
    return Timeout(loop.time() + delay if delay is not None else None)


def timeout_at(when):
    """As timeout(), at the absolute loop time `when`."""
    return Timeout(when)


class TaskGroup:
    """Structured concurrency (asyncio.TaskGroup): tasks created with
    create_task() are awaited at the end of the `async with` block; the
    first failure cancels the others (and the block) and the errors are
    raised as an ExceptionGroup. KeyboardInterrupt and SystemExit, from a
    task or the block, are raised as they are."""

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
        if self._loop is None:
            self._loop = _loop()
        self._parent = _lowlevel._current_task()
        if self._parent is None:
            raise RuntimeError(f"TaskGroup {self!r} cannot determine the "
                               "parent task")
        self._entered = True
        return self

    async def __aexit__(self, et, exc, tb):
        tb = None
        try:
            return await self._aexit(et, exc)
        finally:
            # Errors hold tracebacks that may refer back here: drop them.
            self._parent = None
            self._errors = None
            self._base_error = None
            exc = None

    async def _aexit(self, et, exc):
        self._exiting = True
        if exc is not None and self._is_base_error(exc) \
                and self._base_error is None:
            self._base_error = exc
        propagate = exc if et is not None and issubclass(
            et, CancelledError) else None
        if et is not None and not self._aborting:
            self._abort()     # the block failed or was cancelled
        pending_cancel = None
        while self._tasks:
            if self._on_completed is None:
                self._on_completed = self._loop.create_future()
            try:
                await self._on_completed
            except CancelledError as e:
                pending_cancel = e
                if not self._aborting:
                    propagate = e       # the parent is cancelled from outside
                    self._abort()
            self._on_completed = None
        if self._base_error is not None:
            self._report_dropped()
            raise self._base_error
        if self._parent_cancel_requested:
            if self._parent.uncancel() == 0:
                propagate = None        # only our own request was pending
            elif propagate is None:
                propagate = pending_cancel   # someone else's: keep it
        if propagate is not None and not self._errors:
            try:
                raise propagate
            finally:
                propagate = None
        if et is not None and not issubclass(et, CancelledError):
            self._errors.append(exc)
        if self._errors:
            self._raise_errors(et, exc)
        return True     # anything left was ours to swallow

    def _raise_errors(self, et, exc):
        # An outside cancel still pending: keep it requested (uncancel and
        # cancel again leave the count as it was, the cancel is delivered
        # at the parent's next await).
        if self._parent.cancelling():
            self._parent.uncancel()
            self._parent.cancel()
        # An async generator closed inside the block: GeneratorExit alone
        # is raised as it is, so that aclose() works.
        if et is not None and issubclass(et, GeneratorExit) \
                and len(self._errors) == 1:
            raise exc
        raise BaseExceptionGroup("unhandled errors in a TaskGroup",
                                 self._errors) from None

    def _report_dropped(self):
        for e in self._errors:
            if e is self._base_error:
                continue
            self._loop.call_exception_handler({
                "message": "TaskGroup task exception was not propagated "
                           "because the TaskGroup is closing with a "
                           "BaseException",
                "exception": e, "task_group": self})

    def create_task(self, coro, *, name=None, context=None):
        """Start `coro` as a task of the group (acore.create_task's
        arguments). Refused (RuntimeError, the coroutine closed) before
        entry, after the group finished, and while it is shutting down."""
        if not self._entered:
            coro.close()
            raise RuntimeError(f"TaskGroup {self!r} has not been entered")
        if self._exiting and not self._tasks:
            coro.close()
            raise RuntimeError(f"TaskGroup {self!r} is finished")
        if self._aborting:
            coro.close()
            raise RuntimeError(f"TaskGroup {self!r} is shutting down")
        task = self._loop.create_task(coro, name=name, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        try:
            return task
        finally:
            del task    # no cycle through a traceback of this frame

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
                "exception": exc, "task": task})
            return
        if not self._aborting and not self._parent_cancel_requested:
            # Stop the block too; __aexit__ undoes this one request.
            self._abort()
            self._parent_cancel_requested = True
            self._parent.cancel()

    def __repr__(self):
        info = ""
        if self._tasks:
            info += f" tasks={len(self._tasks)}"
        if self._errors:
            info += f" errors={len(self._errors)}"
        if self._aborting:
            info += " cancelling"
        elif self._entered:
            info += " entered"
        return f"<acore.TaskGroup{info}>"
