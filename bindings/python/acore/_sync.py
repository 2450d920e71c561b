# SPDX-License-Identifier: MIT
"""Synchronisation: Semaphore, BoundedSemaphore, Lock, Event, Condition,
Queue (FIFO, LIFO, priority) with asyncio's API, and bounded_map.

Semaphore and BoundedSemaphore run on acore's C semaphore (FIFO-fair and
cancel-safe); so does Lock (one permit). Event, Condition and the
queues are asyncio's own
classes: they are written against the loop/future protocol
(loop.create_future, fut.set_result, ...), which acore implements, so they
run unchanged on the acore loop with acore futures.
"""

import asyncio.locks as _locks
import asyncio.queues as _queues

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

Event = _locks.Event
Condition = _locks.Condition
Queue = _queues.Queue
LifoQueue = _queues.LifoQueue
PriorityQueue = _queues.PriorityQueue
QueueEmpty = _queues.QueueEmpty
QueueFull = _queues.QueueFull


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
