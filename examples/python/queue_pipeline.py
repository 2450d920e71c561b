#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A bounded producer/consumer pipeline on acore's C queue (task_done and
join), a priority queue ordered by Python's `<`, and a cancelled getter
that loses no item."""

import acore


async def pipeline():
    q = acore.Queue(maxsize=4)          # put() waits while 4 are queued
    results = []

    async def producer(start):
        for i in range(start, start + 10):
            await q.put(i)

    async def consumer():
        while True:
            item = await q.get()
            results.append(item * item)
            q.task_done()

    workers = [acore.create_task(consumer()) for _ in range(3)]
    await acore.gather(producer(0), producer(100))
    await q.join()                      # every item processed
    for w in workers:
        w.cancel()
    await acore.gather(*workers, return_exceptions=True)
    print(f"pipeline: {len(results)} items, sum of squares {sum(results)}")


async def priorities():
    q = acore.PriorityQueue()
    for job in [(3, "low"), (1, "urgent"), (2, "normal"), (1, "urgent too")]:
        q.put_nowait(job)
    print("priority order:", [q.get_nowait()[1] for _ in range(q.qsize())])


async def cancelled_getter():
    q = acore.Queue()
    getter = acore.create_task(q.get())
    await acore.sleep(0)                # the getter waits
    q.put_nowait("first")               # handed to the getter ...
    q.put_nowait("second")
    getter.cancel()                     # ... which is cancelled first
    await acore.gather(getter, return_exceptions=True)
    print("after the cancelled getter:", q.get_nowait(), q.get_nowait())


async def main():
    await pipeline()
    await priorities()
    await cancelled_getter()


if __name__ == "__main__":
    acore.run(main())
