#!/usr/bin/env python3
"""tests/fuzz/seeds.py - writes the seed corpus of fuzz_api.c into corpus/.

Each seed is a short scenario in the harness's input language (one opcode
byte, then its argument bytes; see OPS in fuzz_api.c), so fuzzing starts
from inputs that reach every operation. Run it after changing the opcode
table: python3 tests/fuzz/seeds.py
"""
import os

OPS = ["future_new", "set", "cancel", "dup", "add_cb", "remove_cb", "spawn",
       "gather", "wait", "wait_for", "sleep", "shield", "as_completed", "sem",
       "lock_event", "queue", "group", "executor", "run", "call", "misuse",
       "read", "run2", "future_new2", "set2", "spawn2", "run3", "close",
       "drop", "add_cb_act", "call_act", "spawn_act", "spawn_sync", "cond"]
OP = {name: i for i, name in enumerate(OPS)}


def seq(*steps):
    out = bytearray()
    for name, *args in steps:
        out.append(OP[name])
        out.extend(args)
    return bytes(out)


RUN = ("run", 3, 0x80 | 20)  # advance 0.1 s, then 3 iterations
# Actions of callbacks and cleanups (fuzz_task.c): (act, arg) bytes.
KEEP, CANCEL, SET, SOON, SPAWN, CLOSE, SCHEDULE_ALL = range(1, 8)
SEEDS = {
    "future_set_read": seq(("future_new", 0), ("add_cb", 0), ("set", 0, 0),
                           RUN, ("read", 0), ("set", 0, 1), ("misuse", 2, 0)),
    "future_cancel_cb": seq(("future_new", 1), ("add_cb", 1), ("add_cb", 1),
                            ("remove_cb", 1), ("cancel", 1, 2), RUN,
                            ("read", 1)),
    "future_value_free": seq(("future_new", 0), ("set", 0, 4), ("dup", 0, 1),
                             RUN, ("misuse", 3, 0)),
    "task_await": seq(("future_new", 0), ("spawn", 1, 0, 8, 2, 7, 0, 0),
                      RUN, ("set", 0, 0), RUN, ("read", 1)),
    "task_cancel": seq(("future_new", 0), ("spawn", 1, 0, 8, 1, 0, 0, 0),
                       RUN, ("cancel", 1, 3), RUN, ("cancel", 1, 1), RUN),
    "task_sleep_fail": seq(("spawn", 2, 3 | 8 << 3, 4, 0, 0, 0, 0), RUN, RUN,
                           ("read", 2), ("misuse", 1, 2)),
    "gather": seq(("future_new", 0), ("future_new", 1), ("gather", 3, 0, 2),
                  ("set", 0, 0), ("set", 1, 3), RUN, ("read", 2),
                  ("gather", 3, 2, 3), ("cancel", 3, 0), RUN),
    "gather_nested_cancel": seq(("future_new", 0), ("gather", 1, 1, 1),
                                ("gather", 3, 4, 2), ("gather", 7, 0, 3),
                                ("cancel", 3, 0), RUN, ("read", 3)),
    "wait_timeout": seq(("future_new", 0), ("future_new", 1),
                        ("wait", 3, 1, 5, 2), ("wait", 3, 4 | 2 << 3, 0x80, 3),
                        RUN, ("set", 1, 0), RUN, ("read", 2), ("read", 3)),
    "wait_for_shield": seq(("future_new", 0), ("wait_for", 0, 3, 1),
                           ("shield", 0, 2), ("cancel", 2, 0), RUN,
                           ("set", 0, 1), RUN, ("read", 1)),
    "as_completed": seq(("future_new", 0), ("future_new", 1), ("sleep", 2, 3),
                        ("as_completed", 7, 10, 3, 3), ("set", 0, 0), RUN,
                        RUN, ("read", 3)),
    "sem": seq(("sem", 0, 1 << 3 | 0x80, 0), ("sem", 0, 1, 1),
               ("sem", 0, 2, 2), ("sem", 0, 3, 0), RUN, ("sem", 0, 3, 0),
               ("sem", 0, 3, 0), ("sem", 0, 5, 0), ("sem", 0, 6, 0)),
    "lock_event": seq(("lock_event", 0, 0), ("lock_event", 0, 1),
                      ("lock_event", 2, 0), ("lock_event", 2, 0),
                      ("lock_event", 5, 2), ("lock_event", 3, 0), RUN,
                      ("lock_event", 4, 0), ("lock_event", 6, 0),
                      ("lock_event", 7, 0)),
    "queue": seq(("queue", 0, 0x10, 0), ("queue", 0, 1, 1), ("queue", 0, 2, 2),
                 ("queue", 0, 3, 3), ("queue", 0, 5, 0), ("queue", 0, 6, 0),
                 ("queue", 0, 7, 4), RUN, ("queue", 0, 6, 0),
                 ("queue", 0, 6, 0), ("queue", 0, 8 | 0x10, 0),
                 ("queue", 0, 4, 5), RUN),
    "group": seq(("group", 0, 0, 0), ("group", 0, 1 | 8, 1, 7, 0, 0, 0, 0, 0),
                 ("group", 0, 2, 0, 4, 0, 0, 0, 0, 0), ("group", 0, 4, 2),
                 ("group", 0, 3, 0), RUN, RUN, ("read", 2)),
    "executor": seq(("executor", 0), ("executor", 1), ("cancel", 1, 0),
                    RUN, RUN, ("run", 3, 0)),
    "calls": seq(("call", 0), ("call", 1 | 4 << 2), ("call", 3), RUN, RUN),
    "close_early": seq(("future_new", 0), ("spawn", 1, 0, 0, 0, 0, 0, 0),
                       ("sem", 0, 1 << 3, 0), ("sem", 0, 1, 2), ("close",),
                       ("future_new", 3), ("set", 0, 0), ("cancel", 1, 1),
                       ("sem", 0, 1, 2), ("queue", 1, 0, 0), ("run", 1, 0),
                       ("misuse", 0, 0), ("misuse", 5, 0)),
    "misuse": seq(("future_new", 0), ("misuse", 0, 0), ("misuse", 2, 0),
                  ("misuse", 4, 0), ("misuse", 5, 0), ("wait", 1, 3, 0, 1),
                  ("wait", 1, 4, 0, 1)),
    # Each pattern below once reached a bug (now fixed); the harness no
    # longer avoids any of them.
    "wait_released_before_timeout": seq(
        ("future_new", 0), ("future_new", 1), ("wait", 3, 1, 5, 2),
        ("wait", 3, 4 | 1 << 3, 5, 3), ("as_completed", 3, 5, 4, 0),
        ("drop", 2), ("drop", 3), ("drop", 4), RUN, RUN, RUN),
    "gather_deep_shared_cancel": seq(
        ("future_new", 0), ("future_new", 1), ("gather", 3, 0, 2),
        *[("gather", 0x87, 1, 7) for _ in range(12)],
        ("gather", 0x84, 4, 6), ("cancel", 7, 0), RUN, ("read", 6)),
    "task_await_cycle": seq(
        ("spawn", 0, 1 << 3, 0, 0, 0, 0, 0), ("spawn", 1, 0, 0, 0, 0, 0, 0),
        RUN, ("cancel", 0, 1), RUN, RUN, ("read", 0), ("read", 1)),
    "task_awaits_gather_of_itself": seq(
        ("spawn", 0, 2 << 3, 0, 0, 0, 0, 0), ("future_new", 1),
        ("gather", 3, 0, 2), RUN, ("cancel", 2, 0), RUN, ("read", 0)),
    "task_awaits_itself": seq(("spawn", 0, 0, 0, 0, 0, 0, 0), RUN,
                              ("read", 0)),
    "callback_keeps_future": seq(
        ("future_new", 0), ("add_cb_act", 0, KEEP, 3), ("add_cb", 0),
        ("set", 0, 0), ("drop", 0), RUN, ("read", 3), ("future_new", 0),
        ("set", 0, 1)),
    "close_from_cleanup": seq(
        ("call_act", 0, CLOSE, 0), ("call_act", 1 | 8 << 2, CLOSE, 0),
        ("spawn_act", 0, CLOSE, 0, 0xfb, 0, 0, 0, 0, 0), ("close",),
        ("future_new", 1)),
    "schedule_from_close_cleanup": seq(
        ("future_new", 1), ("add_cb_act", 1, SCHEDULE_ALL, 1),
        ("spawn_act", 0, SCHEDULE_ALL, 1, 0xfb, 0, 0, 0, 0, 0),
        ("call_act", 1 | 8 << 2, SPAWN, 2), ("call_act", 0, SOON, 0),
        RUN, ("close",), ("read", 0)),
    "close_cleanup_cancels_wait": seq(
        ("future_new", 0), ("future_new", 1), ("as_completed", 3, 0x80, 2, 0),
        ("future_new", 3), ("add_cb_act", 3, CANCEL, 2), ("close",)),
    "task_cleanup_cancels_itself": seq(("spawn_act", 2, CANCEL, 0x0a)),
    "finishing_task_cancelled_by_awaited_cleanup": seq(
        ("future_new", 0), ("add_cb_act", 0, CANCEL, 0x0a),
        ("spawn", 2, 0, 0, 0, 0, 0, 0), RUN, ("future_new", 0), ("close",)),
    "cleanup_closes_loop_during_remove_cb": seq(
        ("future_new", 0), ("add_cb_act", 0, CLOSE, 0), ("gather", 1, 0, 2),
        ("remove_cb", 0)),
    "cond": seq(  # call in the low 4 bits of `how`, its argument above
        ("cond", 0, 0), ("cond", 6, 0), ("cond", 1, 1), ("cond", 6, 2),
        ("cond", 2, 3), ("cond", 6, 4), ("cond", 5 | 1 << 4, 0),
        ("cond", 3 | 1 << 4, 0), ("cond", 7, 0), RUN, ("cond", 7, 0), RUN,
        ("read", 1), ("cond", 6, 5), ("cond", 4, 0), ("cond", 7, 0), RUN,
        ("cond", 7, 0),
        ("cond", 8, 0), RUN, ("cond", 9, 0)),
    "cond_tasks": seq(
        ("cond", 0, 0),
        ("spawn_sync", 0, 8, 2, 9, 7, 0, 0), ("spawn_sync", 1, 8, 4, 9, 7, 0, 0),
        ("spawn_sync", 2, 8, 3, 9, 7, 0, 0), RUN, RUN, ("cond", 5 | 1 << 4, 0),
        ("spawn_sync", 3, 8, 0x14, 9, 7, 0, 0), RUN, RUN, ("cancel", 2, 0),
        RUN, RUN, ("read", 0), ("read", 1)),
    "sync_tasks": seq(
        ("sem", 0, 1 << 3, 0), ("queue", 0, 1 << 4, 0), ("lock_event", 0, 0),
        ("spawn_sync", 0, 5, 6 | 0x20, 6, 0, 1, 7),
        ("spawn_sync", 1, 5, 6, 0, 1, 7, 0), RUN, RUN, ("cancel", 1, 0),
        RUN, RUN, ("sem", 0, 3, 0), RUN, RUN, ("read", 0)),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
print(f"{len(SEEDS)} seeds in {here}")
