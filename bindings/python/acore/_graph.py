# SPDX-License-Identifier: MIT
"""The await graph seen from Python.

``Loop.dump()`` prints the C loop's whole await graph - Python tasks, C
tasks and Lua tasks alike, with what each awaits, who awaits it and where
it was made (docs/debugging.md). ``capture_call_graph()``,
``format_call_graph()`` and ``print_call_graph()`` give asyncio 3.14's
view (the ``asyncio.graph`` module's shapes) of one acore task or future:
its coroutine stack and, recursively, the tasks that await it, read from
acore's graph, so a C task awaiting a Python task shows up too.
"""

import asyncio.events as _events
import asyncio.futures as _afutures
import asyncio.tasks as _atasks
import dataclasses
import sys
import types

from . import _lowlevel

__all__ = ("FrameCallGraphEntry", "FutureCallGraph", "capture_call_graph",
           "format_call_graph", "print_call_graph")

_DUMP_FORMATS = {"tree": _lowlevel.ACORE_DUMP_TREE,
                 "json": _lowlevel.ACORE_DUMP_JSON}
_ASYNC_FLAGS = 0x80 | 0x100 | 0x200  # CO_COROUTINE, CO_ITERABLE_.., CO_ASYNC_GEN
_STATES = {1: "ready", 2: "running", 3: "waiting", 4: "done"}


class DumpMixin:
    """Loop.dump(): the C dump of the loop's live await graph."""

    __slots__ = ()

    def dump(self, fmt="tree", file=None):
        """The loop's await graph as text: ``fmt`` "tree" (for people) or
        "json" (one object, for tools). Returned as a str, or written to
        ``file`` (then None is returned). RuntimeError on a closed loop;
        ValueError for another ``fmt``. Call it on the loop's thread."""
        try:
            flags = _DUMP_FORMATS[fmt]
        except (KeyError, TypeError):
            raise ValueError(
                f"fmt must be 'tree' or 'json', not {fmt!r}") from None
        text = _lowlevel._loop_dump(self, flags)
        if file is None:
            return text
        file.write(text)
        return None


@dataclasses.dataclass(frozen=True, slots=True)
class FrameCallGraphEntry:
    """One frame of a call stack (asyncio.graph's shape)."""
    frame: types.FrameType


@dataclasses.dataclass(frozen=True, slots=True)
class FutureCallGraph:
    """A future or task, its call stack (innermost frame first; empty for a
    C task or a plain future) and the graphs of the tasks awaiting it."""
    future: object
    call_stack: tuple
    awaited_by: tuple


def _is_async_frame(frame):
    gen = getattr(frame, "f_generator", False)  # Python 3.14
    if gen is not False:
        return gen is not None
    return bool(frame.f_code.co_flags & _ASYNC_FLAGS)


def _trim(stack, limit):
    if limit is None:
        return stack
    if limit > 0:
        return stack[:limit]
    return stack[limit:] if limit < 0 else []


def _awaited_by(future, limit, path):
    if isinstance(future, _lowlevel.Future):
        parents = _lowlevel._awaiters(future)
    else:  # asyncio 3.14's own futures keep the set themselves
        parents = getattr(future, "_asyncio_awaited_by", None) or ()
    out = []
    for parent in parents:
        if id(parent) in path:
            continue  # an await cycle: shown once
        out.append(_graph_of(parent, limit, path | {id(parent)}))
    return tuple(out)


def _coro_stack(future, limit):
    """The frames of the coroutines a waiting task is suspended in, from
    the innermost out (as asyncio does: through cr_await / ag_await)."""
    get_coro = getattr(future, "get_coro", None)
    coro = get_coro() if get_coro is not None and limit != 0 else None
    stack = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        nxt = getattr(coro, "cr_await", None)
        if frame is None and hasattr(coro, "ag_frame"):
            frame, nxt = coro.ag_frame, coro.ag_await
        if frame is None:
            break
        stack.append(FrameCallGraphEntry(frame))
        coro = nxt
    stack.reverse()
    return _trim(stack, limit)


def _graph_of(future, limit, path):
    if not _afutures.isfuture(future):
        raise TypeError(
            f"{future!r} is not an acore or asyncio future or task")
    return FutureCallGraph(future, tuple(_coro_stack(future, limit)),
                           _awaited_by(future, limit, path))


def _current_task(loop):
    if isinstance(loop, _lowlevel.LoopBase):
        return _lowlevel._current_task()
    return _atasks.current_task(loop)


def capture_call_graph(future=None, /, *, depth=1, limit=None):
    """The call graph of `future` (an acore or asyncio future or task), or
    of the current task when None (None if there is none; RuntimeError
    outside a running loop). For the current task the stack is read from
    the running frames, skipping `depth` of them from the top (1: the
    caller's frame is the first); `limit` keeps at most abs(limit) entries
    of each stack (positive: the innermost, negative: the outermost, 0: no
    stacks)."""
    loop = _events._get_running_loop()
    if future is not None:
        if loop is None or future is not _current_task(loop):
            return _graph_of(future, limit, frozenset({id(future)}))
    else:
        if loop is None:
            raise RuntimeError(
                "capture_call_graph() needs a running event loop or a "
                "future to introspect")
        future = _current_task(loop)
        if future is None:
            return None
    stack = []
    frame = sys._getframe(depth) if limit != 0 else None
    while frame is not None:
        stack.append(FrameCallGraphEntry(frame))
        back = frame.f_back
        if _is_async_frame(frame) and (back is None or
                                       not _is_async_frame(back)):
            break  # the outermost coroutine: its task's step called it
        frame = back
    return FutureCallGraph(future, tuple(_trim(stack, limit)),
                           _awaited_by(future, limit,
                                       frozenset({id(future)})))


def _head(fut):
    """The line naming a node of the graph."""
    info = None
    if isinstance(fut, _lowlevel.Future):
        try:
            info = _lowlevel._task_info(fut)
        except RuntimeError:
            info = None
    if isinstance(fut, _lowlevel.Task) or (info is None and
                                            hasattr(fut, "get_name")):
        return f"* Task(name={fut.get_name()!r}, id={id(fut):#x})"
    if info is not None:  # a C task (no coroutine): acore's name, id, site
        name, tid, where, state = info
        at = f", at {where}" if where else ""
        return (f"* CTask(name={name!r}, id=#{tid}, "
                f"{_STATES.get(state, state)}{at})")
    return f"* Future(id={id(fut):#x})"


def _frame_line(frame):
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    tag = ""
    if code.co_flags & 0x200:
        tag = "async generator "
    elif code.co_flags & (0x80 | 0x100):
        tag = "async "
    return (f"File {code.co_filename!r}, line {frame.f_lineno}, "
            f"in {tag}{name}()")


def _render(graph, lines, indent):
    pad = "    " * indent
    lines.append(pad + _head(graph.future))
    if graph.call_stack:
        lines.append(pad + "  + Call stack:")
        lines.extend(pad + "  |   " + _frame_line(e.frame)
                     for e in graph.call_stack)
    if graph.awaited_by:
        lines.append(pad + "  + Awaited by:")
        for parent in graph.awaited_by:
            _render(parent, lines, indent + 1)


def format_call_graph(future=None, /, *, depth=1, limit=None):
    """capture_call_graph() as text ("" when there is no current task)."""
    graph = capture_call_graph(future, depth=depth + 1, limit=limit)
    if graph is None:
        return ""
    lines = []
    _render(graph, lines, 0)
    return "\n".join(lines)


def print_call_graph(future=None, /, *, file=None, depth=1, limit=None):
    """Print format_call_graph() to `file` (default sys.stdout)."""
    print(format_call_graph(future, depth=depth + 1, limit=limit), file=file)
