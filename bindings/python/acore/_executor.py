# SPDX-License-Identifier: MIT
"""Executors: blocking Python callables on worker threads, their results
delivered as acore futures on the loop thread.

acore.Executor is acore's own thread pool (acore/executor.h): each worker
takes the GIL to run its callable, so Python work runs concurrently with
the loop (and C work without the GIL in parallel). loop.run_in_executor()
also accepts any concurrent.futures.Executor.
"""

import asyncio.exceptions as _aexc
import concurrent.futures as _cf

from . import _lowlevel, get_running_loop


class Executor(_lowlevel.ExecutorBase):
    """A pool of at most `max_workers` threads (default: min(32, CPUs + 4)).

    shutdown(wait=True, *, cancel_futures=False) stops taking work; a job
    not started when its future is cancelled never runs. Use it as a
    context manager to shut it down (waiting) at the end of the block.
    """

    def submit(self, fn, *args):
        """Run fn(*args) on the running loop's behalf; returns its future."""
        return _lowlevel._run_in_executor(get_running_loop(), self, fn, args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(wait=True)


def _chain(loop, fut, cf):
    """Deliver a concurrent.futures future into acore future `fut`."""
    def deliver(cf):
        loop._release()
        if fut.done():
            return
        if cf.cancelled():
            fut.cancel()
            return
        exc = cf.exception()
        if isinstance(exc, _cf.CancelledError):  # as asyncio's wrap_future
            exc = _aexc.CancelledError(*exc.args)
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(cf.result())

    def on_cf_done(cf):
        try:
            loop.call_soon_threadsafe(deliver, cf)
        except RuntimeError:
            pass  # the loop is closed

    def on_fut_done(fut):
        if fut.cancelled():
            cf.cancel()

    fut.add_done_callback(on_fut_done)
    loop._hold()
    cf.add_done_callback(on_cf_done)


def run_in_executor(loop, executor, func, args):
    if executor is None:
        executor = loop._default_executor
    if executor is None or isinstance(executor, _lowlevel.ExecutorBase):
        return _lowlevel._run_in_executor(loop, executor, func, args)
    fut = loop.create_future()
    _chain(loop, fut, executor.submit(func, *args))
    return fut
