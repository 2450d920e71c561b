# SPDX-License-Identifier: MIT
"""Synchronisation: Semaphore, BoundedSemaphore, Lock, Event, Condition,
Queue (FIFO, LIFO, priority) with asyncio's API, and bounded_map.

Semaphore and BoundedSemaphore run on acore's C semaphore (FIFO-fair and
cancel-safe); so does Lock (one permit). Event runs on acore's C event and
the queues on acore's C queue (a cancelled getter never loses an item; the
priority queue compares items with Python's ``<`` from C). Condition is
acore's own: a FIFO of acore futures (one per waiter, from the running
loop) over any lock with acquire/release/locked, acore.Lock by default.
(acore's C condition is bound to a C lock owned by a task, while a
Condition's lock, like asyncio's, may be released by any task.)
"""

import asyncio.events as _events
import asyncio.exceptions as _aexc
import asyncio.queues as _queues
from collections import deque as _deque
from types import GenericAlias as _GenericAlias

from . import _lowlevel, get_running_loop
from ._combinators import gather


class Semaphore(_lowlevel.SemaphoreBase):
    """asyncio.Semaphore on acore's C semaphore: ``async with sem:``,
    ``await sem.acquire()`` (returns True), ``sem.release()``,
    ``sem.locked()``. Bound to the running loop on first use."""

    async def acquire(self):
        """Wait for a permit (FIFO); returns True."""
        return await self._acquire()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # ``async with`` goes through an overridden acquire() / release()
        # (the stock ones take the C path directly).
        base = _lowlevel.SemaphoreBase
        if (cls.acquire is not Semaphore.acquire
                or cls.release is not base.release):
            if cls.__aenter__ is base.__aenter__:
                cls.__aenter__ = _aenter_by_acquire
            if cls.__aexit__ is base.__aexit__:
                cls.__aexit__ = _aexit_by_release


async def _aenter_by_acquire(self):
    await self.acquire()


async def _aexit_by_release(self, exc_type, exc, tb):
    self.release()


class BoundedSemaphore(Semaphore):
    """A Semaphore whose release() past the initial value raises
    ValueError."""
    _bounded = True


class Lock(Semaphore):
    """asyncio.Lock on acore's C semaphore with one permit (FIFO,
    cancel-safe): ``async with lock:``, ``await lock.acquire()``,
    ``lock.release()`` (RuntimeError when not locked), ``lock.locked()``."""
    _bounded = True
    _is_lock = True     # release() when not locked: RuntimeError

    def __init__(self):
        super().__init__(1)


class Event(_lowlevel.EventBase):
    """asyncio.Event on acore's C event: ``set()``, ``clear()``,
    ``is_set()``, ``await wait()`` (returns True). Bound to the running loop
    on first wait."""

    async def wait(self):
        """Wait until the event is set; returns True."""
        fut = self._wait()
        if fut is not None:
            await fut
        return True

    def __repr__(self):
        state = "set" if self.is_set() else "unset"
        return f"<acore.Event [{state}, waiters:{self._waiting()}]>"


_DONE_TRUE = _lowlevel._done_true
_DONE_NONE = _lowlevel._done_none


async def _await_none(aw):
    await aw


class Condition:
    """asyncio.Condition on acore futures: ``async with cond:``,
    ``await cond.wait()``, ``await cond.wait_for(predicate)``,
    ``cond.notify(n=1)``, ``cond.notify_all()``; ``acquire()``,
    ``release()`` and ``locked()`` are the lock's.

    `lock` defaults to a new acore.Lock; any lock with acquire (awaitable),
    release and locked works (asyncio.Lock too). The condition is bound to
    the running loop on its first wait(); a lock bound to another loop is
    refused then.

    wait() always holds the lock again when it returns or raises (a
    cancellation while waiting or while re-acquiring is re-raised once the
    lock is back). Waiters are woken in FIFO order; one that was notified
    but leaves wait() with an exception hands its notification to the next
    waiter, so no wake-up is lost.
    """

    _loop = None

    def __init__(self, lock=None):
        if lock is None:
            lock = Lock()
        self._lock = lock
        self.locked = lock.locked
        self.acquire = lock.acquire
        self.release = lock.release
        # A stock acore.Lock is acquired through its C method directly (no
        # coroutine, no Python wrapper in between).
        cls = type(lock)
        if isinstance(lock, Lock) and cls.acquire is Semaphore.acquire:
            self._c_acquire = lock._acquire
        else:
            self._c_acquire = None
        # Futures of the waiters not yet notified, oldest first. notify()
        # takes them out; a cancelled waiter takes itself out.
        self._waiters = _deque()

    def __aenter__(self):
        if self._c_acquire is not None:
            aw = self._c_acquire()
            if aw is _DONE_TRUE:        # taken at once
                return _DONE_NONE
            return _await_none(aw)
        return _await_none(self._lock.acquire())

    def __aexit__(self, exc_type, exc, tb):
        self._lock.release()
        return _DONE_NONE

    def _bind(self, loop):
        # The first wait() binds the condition to the running loop (and
        # refuses a lock bound to another one); later ones must run there.
        if loop is None:
            loop = _events._get_running_loop()   # not an acore loop?
            if loop is None:
                raise RuntimeError("no running event loop")
        if self._loop is None:
            lock_loop = getattr(self._lock, "_loop", None)
            if lock_loop is not None and lock_loop is not loop:
                raise RuntimeError(
                    f"{self._lock!r} is bound to a different event loop")
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        return loop

    async def wait(self):
        """Release the lock, wait until notified, take the lock back and
        return True. RuntimeError if the lock is not held. The lock is held
        again also when this raises (CancelledError included)."""
        lock = self._lock
        if not lock.locked():
            raise RuntimeError("cannot wait on un-acquired lock")
        loop = _lowlevel._get_running_loop()
        if loop is not self._loop or loop is None:
            loop = self._bind(loop)
        fut = loop.create_future()
        lock.release()
        self._waiters.append(fut)
        err = None
        try:
            try:
                await fut
            except BaseException as e:
                if not fut.done() or fut.cancelled():
                    self._forget(fut)       # not notified: leave the queue
                if isinstance(e, GeneratorExit):
                    self._take_now()    # closed: it may not await any more
                    raise
                err = e
            acquire = self._c_acquire or lock.acquire
            while True:         # the lock is taken back whatever happened
                try:
                    await acquire()
                    break
                except _aexc.CancelledError as e:
                    err = e
                except GeneratorExit:
                    self._take_now()
                    raise
            if err is not None:
                raise err
        except BaseException:
            if fut.done() and not fut.cancelled():
                self._notify(1)   # notified, but not returning: pass it on
            raise
        finally:
            err = None
        return True

    async def wait_for(self, predicate):
        """wait() until predicate() is true; return its last value (no wait
        when it is true at once)."""
        result = predicate()
        while not result:
            await self.wait()
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up to `n` waiters, oldest first (RuntimeError if the lock is
        not held). They return from wait() once they hold the lock."""
        if not self._lock.locked():
            raise RuntimeError("cannot notify on un-acquired lock")
        if self._waiters:
            self._notify(n)

    def notify_all(self):
        """Wake up every waiter (RuntimeError if the lock is not held)."""
        if not self._lock.locked():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(len(self._waiters))

    def _notify(self, n):
        waiters = self._waiters
        woken = 0
        while woken < n and waiters:
            fut = waiters.popleft()
            if not fut.done():          # skip waiters cancelled meanwhile
                fut.set_result(False)
                woken += 1

    def _take_now(self):
        # For a wait() being closed (GeneratorExit: the coroutine may not
        # await): take the lock back if that needs no waiting.
        lock = self._lock
        if lock.locked():
            return
        try:
            it = lock.acquire().__await__()
            it.send(None)
        except StopIteration:
            return              # taken
        except Exception:
            return
        close = getattr(it, "close", None)
        if close is not None:
            close()             # it would have to wait: give up

    def _forget(self, fut):
        try:
            self._waiters.remove(fut)
        except ValueError:
            pass

    def __repr__(self):
        cls = type(self)
        name = ("acore.Condition" if cls is Condition
                else f"{cls.__module__}.{cls.__qualname__}")
        extra = "locked" if self.locked() else "unlocked"
        n = sum(1 for f in self._waiters if not f.done())
        if n:
            extra = f"{extra}, waiters:{n}"
        return f"<{name} object at {id(self):#x} [{extra}]>"


QueueEmpty = _queues.QueueEmpty
QueueFull = _queues.QueueFull
QueueShutDown = _lowlevel.QueueShutDown  # asyncio's own from 3.13


class Queue(_lowlevel.QueueBase, _queues.Queue):
    """asyncio.Queue on acore's C queue (FIFO): ``maxsize`` (<= 0:
    unbounded), ``qsize()``, ``empty()``, ``full()``, ``await put()``,
    ``put_nowait()`` (QueueFull), ``await get()``, ``get_nowait()``
    (QueueEmpty), ``task_done()`` (ValueError when called too often),
    ``await join()``, ``shutdown(immediate=False)`` (asyncio 3.13:
    QueueShutDown from puts at once and from gets once the queue is
    empty; immediate=True drops the items, each counting as a
    task_done()). Getters and putters are served in FIFO order; a
    getter cancelled after it was handed an item gives the item back to the
    front of the queue. Bound to the running loop on first use.
    ``isinstance(q, asyncio.Queue)`` is true: asyncio.Queue is a base, but
    none of its code runs (every method is acore's)."""
    _order = 0

    def empty(self):
        """True when the queue is empty."""
        return self.qsize() == 0

    def full(self):
        """True when maxsize > 0 items are queued."""
        return 0 < self.maxsize <= self.qsize()

    async def put(self, item):
        """Put `item`, waiting for room when the queue is full."""
        w = self._put(item)
        if w is not None:
            await w

    async def get(self):
        """Remove and return an item, waiting for one if need be."""
        w = self._get()
        if type(w) is tuple:
            return w[0]
        return await w

    async def join(self):
        """Wait until every item put has been marked done (task_done)."""
        fut = self._join()
        if fut is not None:
            await fut

    def __repr__(self):
        return (f"<{type(self).__name__} maxsize={self.maxsize!r} "
                f"qsize={self.qsize()} tasks={self._unfinished()}>")

    __str__ = __repr__
    __class_getitem__ = classmethod(_GenericAlias)


class LifoQueue(Queue, _queues.LifoQueue):
    """asyncio.LifoQueue on acore's C queue: the last item put comes out
    first."""
    _order = 1


class PriorityQueue(Queue, _queues.PriorityQueue):
    """asyncio.PriorityQueue on acore's C queue: the smallest item (by
    Python's ``<``) comes out first; equal items in the order they were
    put."""
    _order = 2


async def bounded_map(fn, items, limit):
    """Run ``await fn(item)`` for every item with at most `limit` in flight;
    return the results in input order (the first exception propagates after
    the calls in flight have been cancelled; no call starts after it)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    sem = Semaphore(limit)
    failed = False

    async def one(item):
        nonlocal failed
        async with sem:
            if failed:      # a permit freed by the failure: start no more
                raise _aexc.CancelledError
            try:
                return await fn(item)
            except BaseException:
                failed = True
                raise

    loop = get_running_loop()
    tasks = [loop.create_task(one(item)) for item in items]
    try:
        return await gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await gather(*tasks, return_exceptions=True)
        raise
