# SPDX-License-Identifier: MIT
"""Synchronisation: Semaphore, BoundedSemaphore, Lock, Event, Condition,
Queue (FIFO, LIFO, priority) with asyncio's API, and bounded_map.

Semaphore and BoundedSemaphore run on acore's C semaphore (FIFO-fair and
cancel-safe); so does Lock (one permit). Event runs on acore's C event and
the queues on acore's C queue (a cancelled getter never loses an item; the
priority queue compares items with Python's ``<`` from C). Condition is
asyncio's own class: it is written against the loop/future protocol
(loop.create_future, fut.set_result, ...), which acore implements, so it
runs unchanged on the acore loop with acore futures. (acore's C condition
is bound to a C lock owned by a task: asyncio lets any task release a
Condition's lock, and wait_for(cond.wait(), t) waits in an inner task,
which the C lock would refuse.)
"""

import asyncio.locks as _locks
import asyncio.queues as _queues
from types import GenericAlias as _GenericAlias

from . import _lowlevel


class Semaphore(_lowlevel.SemaphoreBase):
    """asyncio.Semaphore on acore's C semaphore: ``async with sem:``,
    ``await sem.acquire()`` (returns True), ``sem.release()``,
    ``sem.locked()``. Bound to the running loop on first use."""

    async def acquire(self):
        """Wait for a permit (FIFO); returns True."""
        return await self._acquire()


class BoundedSemaphore(Semaphore):
    """A Semaphore whose release() past the initial value raises
    ValueError."""
    _bounded = True



class Lock(Semaphore):
    """asyncio.Lock on acore's C semaphore with one permit (FIFO,
    cancel-safe): ``async with lock:``, ``await lock.acquire()``,
    ``lock.release()`` (RuntimeError when not locked), ``lock.locked()``."""
    _bounded = True

    def __init__(self):
        super().__init__(1)

    def release(self):
        try:
            super().release()
        except ValueError:
            raise RuntimeError("Lock is not acquired.") from None


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


Condition = _locks.Condition
QueueEmpty = _queues.QueueEmpty
QueueFull = _queues.QueueFull


class Queue(_lowlevel.QueueBase):
    """asyncio.Queue on acore's C queue (FIFO): ``maxsize`` (<= 0:
    unbounded), ``qsize()``, ``empty()``, ``full()``, ``await put()``,
    ``put_nowait()`` (QueueFull), ``await get()``, ``get_nowait()``
    (QueueEmpty), ``task_done()`` (ValueError when called too often),
    ``await join()``. Getters and putters are served in FIFO order; a
    getter cancelled after it was handed an item gives the item back to the
    front of the queue. Bound to the running loop on first use."""
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


class LifoQueue(Queue):
    """asyncio.LifoQueue on acore's C queue: the last item put comes out
    first."""
    _order = 1


class PriorityQueue(Queue):
    """asyncio.PriorityQueue on acore's C queue: the smallest item (by
    Python's ``<``) comes out first; equal items in the order they were
    put."""
    _order = 2


async def bounded_map(fn, items, limit):
    """Run ``await fn(item)`` for every item with at most `limit` in flight;
    return the results in input order (the first exception propagates after
    the calls in flight have been cancelled)."""
    from . import _lowlevel, gather
    if limit < 1:
        raise ValueError("limit must be at least 1")
    sem = Semaphore(limit)

    async def one(item):
        async with sem:
            return await fn(item)

    loop = _lowlevel._get_running_loop()
    tasks = [loop.create_task(one(item)) for item in items]
    try:
        return await gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await gather(*tasks, return_exceptions=True)
        raise
