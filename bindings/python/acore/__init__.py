# SPDX-License-Identifier: MIT
"""acore - asyncio's API on the acore C loop.

Python coroutines run as acore tasks on a C event loop; futures, tasks,
timers and scheduled calls are C objects. The names, signatures and
exception types are asyncio's, so asyncio code carries over:

    import acore

    async def main():
        await acore.sleep(0.1)
        return 42

    print(acore.run(main()))

See docs/python.md for the full guide.
"""

import asyncio.coroutines as _acoroutines
import asyncio.events as _events
import asyncio.futures as _afutures
import asyncio.tasks as _atasks
import asyncio.exceptions as _aexc
import contextlib as _contextlib
import logging as _logging
import os as _os
import signal as _signal
import socket as _socket
import sys as _sys
import threading as _threading
import warnings as _warnings
import weakref as _weakref

from . import _lowlevel
from ._net import NetLoopMixin as _NetLoopMixin
from ._graph import (  # noqa: F401 (the await graph: docs/debugging.md)
    DumpMixin as _DumpMixin, FrameCallGraphEntry, FutureCallGraph,
    capture_call_graph, format_call_graph, print_call_graph)
from ._proc import _ProcMixin

__all__ = [
    "Loop", "Future", "Task", "Handle", "TimerHandle", "run", "new_event_loop",
    "EventLoopPolicy", "install",
    "get_running_loop", "get_event_loop", "current_task", "all_tasks",
    "create_task", "ensure_future", "sleep", "gather", "wait", "wait_for",
    "timeout", "timeout_at", "Timeout", "as_completed", "shield", "TaskGroup",
    "Semaphore", "BoundedSemaphore", "Lock", "Event", "Condition", "Queue",
    "LifoQueue", "PriorityQueue", "QueueEmpty", "QueueFull", "QueueShutDown",
    "Executor",
    "bounded_map", "CancelledError", "TimeoutError", "InvalidStateError",
    "Error", "FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED",
]

Future = _lowlevel.Future
Task = _lowlevel.Task
Handle = _lowlevel.Handle
TimerHandle = _lowlevel.TimerHandle
Error = _lowlevel.Error
CancelledError = _aexc.CancelledError
InvalidStateError = _aexc.InvalidStateError
TimeoutError = TimeoutError  # the builtin, as asyncio.TimeoutError is

logger = _logging.getLogger("acore")

_REPORT_UNRETRIEVED = _lowlevel.ACORE_REPORT_UNRETRIEVED
_REPORT_TASK_PENDING = _lowlevel.ACORE_REPORT_TASK_PENDING


class Loop(_ProcMixin, _NetLoopMixin, _DumpMixin, _lowlevel.LoopBase,
           _events.AbstractEventLoop):
    """An acore event loop with asyncio.AbstractEventLoop's main methods.

    Use it as a context manager (``with acore.Loop() as loop:``) or close
    it explicitly: close() cancels what is pending and releases every
    Python object the C loop holds.
    """

    def __init__(self, *, debug=None, virtual_clock=False,
                 slow_callback_duration=0.1):
        """`debug`: the C loop's debug mode (thread checks, slow callbacks
        and steps reported to the exception handler); None: on when asyncio
        says so (PYTHONASYNCIODEBUG, -X dev). `slow_callback_duration`: the
        seconds above which a callback or step is slow. Both are fixed
        here, at creation."""
        if debug is None:
            debug = _acoroutines._is_debug_mode()
        flags = 0
        if debug:
            flags |= _lowlevel.ACORE_LOOP_DEBUG
        if virtual_clock:
            flags |= _lowlevel.ACORE_LOOP_VIRTUAL_CLOCK
        super().__init__(flags, slow_callback_duration)
        self._debug = bool(debug)
        self._slow = slow_callback_duration
        self._exception_handler = None
        self._default_executor = None
        self._sigsocks = None
        self._agens = _weakref.WeakSet()  # async generators started here
        self._agens_shut = False

    # ---- running ----

    @_contextlib.contextmanager
    def _running(self):
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if _events._get_running_loop() is not None:
            raise RuntimeError(
                "Cannot run the event loop while another loop is running")
        old_fd = None
        watch = _threading.current_thread() is _threading.main_thread()
        if watch:
            if self._sigsocks is None:
                self._sigsocks = _socket.socketpair()
                for s in self._sigsocks:
                    s.setblocking(False)
                self._signal_fd(self._sigsocks[0].fileno())
            try:
                old_fd = _signal.set_wakeup_fd(
                    self._sigsocks[1].fileno(), warn_on_full_buffer=False)
            except ValueError:
                watch = False
        old_hooks = _sys.get_asyncgen_hooks()
        _sys.set_asyncgen_hooks(firstiter=self._agen_started,
                                finalizer=self._agen_finalize)
        _events._set_running_loop(self)
        try:
            yield
        finally:
            _events._set_running_loop(None)
            _sys.set_asyncgen_hooks(*old_hooks)
            if watch:
                _signal.set_wakeup_fd(old_fd)

    def run_until_complete(self, future):
        """Run until `future` (a future, task or coroutine) is done; return
        its result or raise its exception."""
        fut = ensure_future(future, loop=self)
        with self._running():
            try:
                if isinstance(fut, Future):
                    done = self._run(fut)
                else:  # an asyncio-compatible future: run until it is done
                    done = self._run_foreign(fut)
            except BaseException:
                if fut.done() and not fut.cancelled():
                    fut.exception()  # re-raised here: counts as retrieved
                raise
        if not done:
            raise RuntimeError("Event loop stopped before Future completed.")
        return fut.result()

    def _run_foreign(self, fut):
        def stop(_fut):
            self.stop()
        fut.add_done_callback(stop)
        try:
            self._run_forever()
        finally:
            fut.remove_done_callback(stop)
        return fut.done()

    def run_forever(self):
        """Run until stop() is called."""
        with self._running():
            self._run_forever()

    def run(self):
        """Run until there is no more work (acore_loop_run)."""
        with self._running():
            self._run(None)

    def close(self):
        """Cancel what is pending and release every Python object C holds.
        Closing twice is harmless; closing a running loop raises."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        ex = self._default_executor
        self._default_executor = None
        try:
            self._close()
        finally:
            if ex is not None:
                ex.shutdown(wait=False)
            if self._sigsocks is not None:
                for s in self._sigsocks:
                    s.close()
                self._sigsocks = None
            self._exception_handler = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def get_debug(self):
        return self._debug

    def set_debug(self, enabled):
        """Only changes what get_debug() returns: the C loop's debug mode
        (thread checks, slow-callback reports) is fixed at creation, by
        Loop(debug=True) or asyncio's debug environment."""
        self._debug = bool(enabled)

    @property
    def slow_callback_duration(self):
        """The slow-callback threshold in seconds (asyncio's attribute),
        given at creation; assigning it warns that it cannot change."""
        return self._slow

    @slow_callback_duration.setter
    def slow_callback_duration(self, seconds):
        if seconds != self._slow:
            _warnings.warn(
                "acore.Loop: slow_callback_duration is fixed at creation "
                "(Loop(slow_callback_duration=...)); not changed",
                RuntimeWarning, stacklevel=2)

    def address(self):
        """The loop's ``acore_loop_t *`` as an integer, for C extensions
        (borrowed: valid until close). See docs/python.md."""
        return self._address()

    def wrap_future(self, address):
        """An acore.Future for the ``acore_future_t *`` at `address` (an
        integer), taking over one reference the caller owns."""
        return self._wrap_future(address)

    # ---- asynchronous generators (sys.set_asyncgen_hooks while running) ----

    def _agen_started(self, agen):
        if self._agens_shut:
            _warnings.warn(
                f"asynchronous generator {agen!r} was scheduled after "
                "loop.shutdown_asyncgens() call", ResourceWarning,
                source=self)
        self._agens.add(agen)

    def _agen_finalize(self, agen):
        # An unfinished async generator is being collected: its aclose()
        # runs as a task on this loop (any thread may collect it).
        self._agens.discard(agen)
        if not self.is_closed():
            self.call_soon_threadsafe(self.create_task, agen.aclose())

    async def shutdown_asyncgens(self):
        """Close every asynchronous generator started on this loop that is
        still open (asyncio.run() calls it before closing the loop); an
        error in one goes to the exception handler."""
        self._agens_shut = True
        agens = list(self._agens)
        self._agens.clear()
        if not agens:
            return
        results = await gather(*[ag.aclose() for ag in agens],
                               return_exceptions=True)
        for agen, res in zip(agens, results):
            if isinstance(res, Exception):
                self.call_exception_handler({
                    "message": "an error occurred during closing of "
                               f"asynchronous generator {agen!r}",
                    "exception": res, "asyncgen": agen})

    async def shutdown_default_executor(self, timeout=None):
        """Shut down the executor given to set_default_executor(), waiting
        for its jobs on a helper thread so the loop goes on meanwhile (the
        loop's own C executor is shut down by close()). After `timeout`
        seconds a RuntimeWarning says the threads are still running and
        the call returns without waiting longer."""
        if timeout is not None:
            timeout + 0.0  # TypeError before anything is shut down
        ex = self._default_executor
        self._default_executor = None
        if ex is None:
            return
        done = self.create_future()

        def finish(exc):
            if not done.done():
                if exc is None:
                    done.set_result(None)
                else:
                    done.set_exception(exc)

        def shut():
            exc = None
            try:
                ex.shutdown(wait=True)
            except Exception as e:  # delivered to the awaiting task
                exc = e
            try:
                self.call_soon_threadsafe(finish, exc)
            except RuntimeError:
                pass  # the loop closed meanwhile

        thread = _threading.Thread(target=shut, name="acore-executor-shutdown")
        self._hold()  # the loop waits for the thread's call
        thread.start()
        try:
            await wait_for(shield(done), timeout)
        except TimeoutError:
            _warnings.warn(
                "The executor did not finish joining its threads within "
                f"{timeout} seconds.", RuntimeWarning, stacklevel=2)
            return
        finally:
            self._release()
        thread.join()

    # ---- executors ----

    def set_default_executor(self, executor):
        self._default_executor = executor

    def run_in_executor(self, executor, func, *args):
        """Run func(*args) on `executor` (an acore.Executor, a
        concurrent.futures executor, or None for the loop's default) and
        return an acore future of its result."""
        return _run_in_executor(self, executor, func, args)

    # ---- errors ----

    def set_exception_handler(self, handler):
        """handler(loop, context) receives asyncio's context dicts; None
        restores the default, which logs the report (as asyncio's does: a
        callback's exception is logged and the loop goes on)."""
        if handler is not None and not callable(handler):
            raise TypeError("A callable object or None is expected")
        self._exception_handler = handler

    def get_exception_handler(self):
        return self._exception_handler

    def default_exception_handler(self, context):
        message = context.get("message") or "Unhandled exception in event loop"
        exc = context.get("exception")
        exc_info = (type(exc), exc, exc.__traceback__) if exc else False
        extra = [message]
        for key in sorted(context):
            if key not in ("message", "exception"):
                extra.append(f"{key}: {context[key]!r}")
        logger.error("\n".join(extra), exc_info=exc_info)

    def call_exception_handler(self, context):
        if self._exception_handler is None:
            try:
                self.default_exception_handler(context)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler",
                             exc_info=True)
            return
        try:
            self._exception_handler(self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            try:
                self.default_exception_handler({
                    "message": "Unhandled error in exception handler",
                    "exception": exc, "context": context})
            except BaseException:
                logger.error("Exception in default exception handler",
                             exc_info=True)

    def _callback_error(self, exc, source):
        # From C: an exception (an Exception) escaped a callback: call_soon
        # or a timer (`source` is its Handle) or a done callback (`source`
        # is the callable). It goes to the handler, or is logged, and the
        # loop goes on, as in asyncio.
        self.call_exception_handler({
            "message": f"Exception in callback {source!r}",
            "exception": exc, "handle": source})

    def _c_report(self, kind, message, exc, name):
        # From C: the loop's error handler.
        if kind == _REPORT_UNRETRIEVED:
            what = "Task" if name else "Future"
            message = f"{what} exception was never retrieved"
        elif kind == _REPORT_TASK_PENDING:
            message = "Task was destroyed but it is pending!"
        context = {"message": message}
        if exc is not None:
            context["exception"] = exc
        # asyncio's keys: "future" (never retrieved) or "task" (destroyed
        # pending). The object is gone by the time C reports it (C
        # futures are not resurrected): the key is there, its value None,
        # and "task_name" names a task (docs/python.md).
        if kind == _REPORT_UNRETRIEVED:
            context["future"] = None
        elif kind == _REPORT_TASK_PENDING:
            context["task"] = None
        if name:
            context["task_name"] = name
        self.call_exception_handler(context)

    def __repr__(self):
        state = "closed" if self.is_closed() else (
            "running" if self.is_running() else "idle")
        return f"<acore.Loop {state}>"


# ---- module functions -------------------------------------------------------

def new_event_loop():
    """A new acore Loop (what the policy's new_event_loop() returns)."""
    return Loop()


try:  # on Unix, with asyncio's child watcher methods (3.11's tests use them)
    from asyncio.unix_events import DefaultEventLoopPolicy as _PolicyBase
except ImportError:  # pragma: no cover
    _PolicyBase = _events.BaseDefaultEventLoopPolicy


class EventLoopPolicy(_PolicyBase):
    """asyncio's default policy (one loop per thread, made on demand in the
    main thread) with acore loops: install it with acore.install() or
    asyncio.set_event_loop_policy(acore.EventLoopPolicy())."""

    def _loop_factory(self):
        return Loop()


def install():
    """Make acore's loop asyncio's: asyncio.new_event_loop(),
    asyncio.run() and asyncio.Runner then run on acore."""
    _events.set_event_loop_policy(EventLoopPolicy())


def get_running_loop():
    """The loop running in this thread (RuntimeError if none)."""
    loop = _lowlevel._get_running_loop()
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


def get_event_loop():
    return get_running_loop()


def current_task(loop=None):
    return _lowlevel._current_task()


def all_tasks(loop=None):
    if loop is None:
        loop = get_running_loop()
    return set(loop._all_tasks())


def create_task(coro, *, name=None, context=None):
    return get_running_loop().create_task(coro, name=name, context=context)


def _is_coroutine(obj):
    return hasattr(obj, "send") and hasattr(obj, "throw")


def ensure_future(obj, *, loop=None):
    """A future for `obj`: acore futures and tasks as they are, coroutines
    wrapped in a task, other awaitables through a coroutine."""
    if isinstance(obj, Future):
        return obj
    if _afutures.isfuture(obj):  # asyncio's, or another library's
        if loop is not None and loop is not _afutures._get_loop(obj):
            raise ValueError("The future belongs to a different loop than "
                             "the one specified as the loop argument")
        return obj
    if loop is None:
        loop = get_running_loop()
    if _is_coroutine(obj):
        return loop.create_task(obj)
    if hasattr(obj, "__await__"):
        async def _wrap():
            return await obj
        return loop.create_task(_wrap())
    raise TypeError("An acore.Future, a coroutine or an awaitable is "
                    f"required, got {obj!r}")


def run(main, *, debug=False):
    """Run coroutine `main` on a new loop and return its result (asyncio.run):
    the tasks still pending at the end are cancelled and awaited, then the
    loop is closed."""
    if _events._get_running_loop() is not None:
        raise RuntimeError(
            "acore.run() cannot be called from a running event loop")
    if not _is_coroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    loop = Loop(debug=debug)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            _cancel_all_tasks(loop)
        finally:
            loop.close()


def _cancel_all_tasks(loop):
    pending = [t for t in loop._all_tasks() if not t.done()]
    if not pending:
        return
    for t in pending:
        t.cancel()
    loop.run_until_complete(gather(*pending, return_exceptions=True))
    for t in pending:
        exc = None if t.cancelled() else t.exception()
        if exc is not None:
            loop.call_exception_handler({
                "message": "unhandled exception during acore.run() shutdown",
                "exception": exc, "task_name": t.get_name()})


# ---- asyncio's view of acore tasks -------------------------------------------

class _ForeignWait:
    """From C: an acore task's coroutine yielded `fut`, an asyncio-compatible
    future (asyncio.Future, a library's own): `waiter` is an acore future
    that completes once `fut` is done, which is what the C task awaits."""

    __slots__ = ("fut", "loop", "waiter")

    def __init__(self, task, fut):
        loop = task.get_loop()
        if _afutures._get_loop(fut) is not loop:
            raise RuntimeError(
                f"Task {task!r} got Future {fut!r} attached to a "
                "different loop")
        fut._asyncio_future_blocking = False
        self.fut = fut
        self.loop = loop
        self.waiter = loop.create_future()
        fut.add_done_callback(self._wake)

    def _wake(self, _fut):
        if not self.waiter.done():
            self.waiter.set_result(None)

    def cancel(self, msg):
        """The task was cancelled while waiting: cancel `fut`, as asyncio's
        Task does. Returns a new waiter while `fut` is still finishing
        (the task waits for it), True once it is done (the coroutine reads
        its outcome), False when it refused (the coroutine gets
        CancelledError)."""
        fut = self.fut
        if not (fut.cancel() if msg is None else fut.cancel(msg=msg)):
            return False
        if fut.done():
            return True
        self.waiter = self.loop.create_future()
        return self.waiter


class _TaskSet(_weakref.WeakSet):
    """asyncio's task set (3.10/3.11 ``asyncio.tasks._all_tasks``, 3.12+
    ``_scheduled_tasks``) as acore installs it: it shares the contents of
    asyncio's own WeakSet (asyncio's and other loops' tasks still enter
    and leave that, unchanged) and adds the unfinished tasks of every acore
    loop, read from the loops' own task lists when the set is iterated.
    So asyncio.all_tasks() sees acore tasks without acore entering a weak
    reference per task (memory and time on every create_task)."""

    def __iter__(self):
        yield from _weakref.WeakSet.__iter__(self)
        yield from _lowlevel._every_task()

    def __len__(self):
        return _weakref.WeakSet.__len__(self) + _lowlevel._every_task_count()

    def __contains__(self, item):
        # every acore task counts as registered while it lives, as asyncio
        # registers each of its tasks in the set until it is collected
        return isinstance(item, Task) or _weakref.WeakSet.__contains__(
            self, item)


def _install_task_set():
    """Put a _TaskSet in place of asyncio's task set, if asyncio's
    all_tasks() is the Python function that reads that module global;
    returns whether it did (else acore enters each task in the set)."""
    name = "_scheduled_tasks" if hasattr(_atasks, "_scheduled_tasks") \
        else "_all_tasks"
    base = getattr(_atasks, name, None)
    if isinstance(base, _TaskSet) or type(base).__name__ == "_TaskSet":
        return True  # acore imported again: asyncio's set is shared already
    code = getattr(_atasks.all_tasks, "__code__", None)
    if type(base) is not _weakref.WeakSet or code is None or \
            name not in code.co_names:
        return False
    view = _TaskSet.__new__(_TaskSet)
    view.__dict__.update(base.__dict__)  # the same data, guards, callback
    setattr(_atasks, name, view)
    return True


class _CurrentTasks(dict):
    """asyncio's current-task table (``asyncio.tasks._current_tasks``) as
    acore installs it where asyncio.current_task() is the Python function
    that reads it (3.10, 3.11): the task whose step runs on an acore loop
    comes from the loop itself; every other entry is asyncio's own table,
    read and written through (asyncio's C Task keeps using that table). So
    an acore step writes no dict entry. The dict itself stays empty."""

    __slots__ = ()

    def get(self, loop, default=None):
        task = _lowlevel._step_task(loop)
        if task is not None:
            return task
        return _base_current.get(loop, default)

    def __getitem__(self, loop):
        task = self.get(loop)
        if task is None:
            raise KeyError(loop)
        return task

    def __contains__(self, loop):
        return self.get(loop) is not None

    def __setitem__(self, loop, task):
        _base_current[loop] = task

    def __delitem__(self, loop):
        del _base_current[loop]

    def pop(self, loop, *default):
        return _base_current.pop(loop, *default)

    def __len__(self):
        return len(_base_current)

    def __iter__(self):
        return iter(_base_current)

    def keys(self):
        return _base_current.keys()

    def values(self):
        return _base_current.values()

    def items(self):
        return _base_current.items()

    def __repr__(self):
        return repr(_base_current)


_base_current = getattr(_atasks, "_current_tasks", None)


def _install_current_tasks():
    """Put a _CurrentTasks in place of asyncio's table if current_task()
    is the Python function that reads it; returns whether it did (else a
    step enters its task in asyncio's table)."""
    global _base_current
    base = _base_current
    if isinstance(base, _CurrentTasks) or \
            type(base).__name__ == "_CurrentTasks":
        return True  # acore imported again
    code = getattr(_atasks.current_task, "__code__", None)
    if type(base) is not dict or code is None or \
            "_current_tasks" not in code.co_names:
        return False
    _atasks._current_tasks = _CurrentTasks()
    return True


_current = None if _install_current_tasks() else _base_current
if _install_task_set():
    _lowlevel._set_asyncio(_ForeignWait, _current, None, None)
else:
    _lowlevel._set_asyncio(
        _ForeignWait, _current,
        getattr(_atasks, "_register_task", None),
        # the set _register_task adds to: 3.11 _all_tasks, 3.12+
        # _scheduled_tasks
        getattr(_atasks, "_scheduled_tasks",
                getattr(_atasks, "_all_tasks", None)))


from ._combinators import (  # noqa: E402
    sleep, gather, wait, wait_for, timeout, timeout_at, Timeout,
    as_completed, shield, TaskGroup, FIRST_COMPLETED, FIRST_EXCEPTION,
    ALL_COMPLETED)
from ._sync import (  # noqa: E402
    Semaphore, BoundedSemaphore, Lock, Event, Condition, Queue, LifoQueue,
    PriorityQueue, QueueEmpty, QueueFull, QueueShutDown, bounded_map)
from ._executor import (  # noqa: E402
    Executor, run_in_executor as _run_in_executor)
