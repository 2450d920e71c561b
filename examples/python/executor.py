#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Blocking work on an executor with a fixed number of workers: the loop
stays responsive while 8 jobs run 4 at a time."""

import time

import acore


def blocking(i):
    time.sleep(0.02)
    return i


async def main():
    loop = acore.get_running_loop()
    ticks = 0
    with acore.Executor(max_workers=4) as ex:
        futs = [loop.run_in_executor(ex, blocking, i) for i in range(8)]
        while not all(f.done() for f in futs):
            await acore.sleep(0.005)    # the loop keeps running meanwhile
            ticks += 1
        print("results:", await acore.gather(*futs), "- loop ticks:", ticks)


if __name__ == "__main__":
    acore.run(main())
