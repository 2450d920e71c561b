#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A coroutine object does nothing until awaited; a task (create_task /
ensure_future) is scheduled at once and runs concurrently."""

import acore

log = []


async def work(name, delay):
    log.append(f"{name} starts")
    await acore.sleep(delay)
    log.append(f"{name} ends")
    return name


async def main():
    coro = work("coroutine", 0.01)      # nothing runs yet
    task = acore.ensure_future(work("task", 0.01))  # scheduled now
    await acore.sleep(0)                # one turn: only the task started
    assert log == ["task starts"], log
    await coro                          # runs now, while the task sleeps
    await task
    print(" / ".join(log))


if __name__ == "__main__":
    acore.run(main())
