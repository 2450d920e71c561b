#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gather() gives results in order and raises the first exception; wait()
gives (done, pending) sets and never raises or cancels."""

import acore


async def job(i):
    await acore.sleep(0.001 * (5 - i))
    if i == 3:
        raise ValueError(f"job {i} failed")
    return i * i


async def main():
    print("gather, return_exceptions:",
          await acore.gather(*[job(i) for i in range(5)],
                             return_exceptions=True))
    try:
        await acore.gather(*[job(i) for i in range(5)])
    except ValueError as e:
        print("gather raised:", e)
    tasks = [acore.create_task(job(i)) for i in range(5)]
    done, pending = await acore.wait(tasks,
                                     return_when=acore.FIRST_EXCEPTION)
    print(f"wait(FIRST_EXCEPTION): {len(done)} done, {len(pending)} pending")
    for t in pending:
        t.cancel()
    await acore.wait(tasks)
    failed = [t for t in tasks if not t.cancelled() and t.exception()]
    print("failed:", [str(t.exception()) for t in failed])


if __name__ == "__main__":
    acore.run(main())
