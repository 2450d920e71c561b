# SPDX-License-Identifier: MIT
"""Deliberate differences from asyncio: case name -> the reason. Each one
is also described in docs/python.md ("Where acore differs from asyncio, on
purpose"). run.py counts these apart and fails when a listed case no
longer differs, so the list stays true."""

_GATHER = ("a gather that is cancelled, or whose child is cancelled, ends "
           "cancelled (cancelled() is True); "
           "asyncio's outer future instead ends finished with a "
           "CancelledError as its exception. Awaiting it raises "
           "CancelledError in both. In acore's C core cancelled is a "
           "state that C code tests with acore_future_is_cancelled(); a gather "
           "must not look failed to it (docs/python.md)")

ALLOWED = {
    "gather.gather_cancel_outer_state": _GATHER,
    "gather.gather_cancel_child_handles_it": _GATHER,
    "gather.gather_child_cancelled_raises": _GATHER,
    "loop.timers_same_deadline_in_order": (
        "calls with the same deadline run in the order they were scheduled; "
        "asyncio's order among equal deadlines is its heap's (a TimerHandle "
        "compares by deadline only), not a promise (docs/loop.md)"),
    "queue.queue_put_then_get_waiting_getter_order": (
        "a waiting getter is handed its item when the item is put (FIFO: a "
        "get_nowait() in between cannot take it), so qsize() does not count "
        "it; asyncio leaves the item in the queue until the getter runs "
        "(docs/python.md)"),
    "task.error_handler_context_task_unretrieved_object": (
        "the 'future' key of a never-retrieved report is None: C reports "
        "the error when the future is freed, after its Python object is "
        "gone (C futures are not resurrected); 'task_name' names a task "
        "(docs/python.md)"),
}
