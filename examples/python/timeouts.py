#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Timeouts and cancellation: wait_for, async with timeout(), and a task
that cleans up when cancelled."""

import acore


async def slow():
    try:
        await acore.sleep(10)
    except acore.CancelledError:
        print("slow(): cancelled, cleaning up")
        raise


async def main():
    try:
        await acore.wait_for(slow(), 0.01)
    except TimeoutError:
        print("wait_for: TimeoutError")
    try:
        async with acore.timeout(0.01):
            await slow()
    except TimeoutError:
        print("timeout(): TimeoutError")
    t = acore.create_task(slow())
    await acore.sleep(0)
    t.cancel("no longer needed")
    try:
        await t
    except acore.CancelledError as e:
        print("task cancelled:", e.args)


if __name__ == "__main__":
    acore.run(main())
