#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Background tasks without keeping a reference: the loop keeps them alive,
and an error nobody looked at still reaches the exception handler."""

import acore

reports = []


async def background(i):
    await acore.sleep(0.001)
    if i == 2:
        raise RuntimeError(f"background job {i} failed")


async def main():
    loop = acore.get_running_loop()
    loop.set_exception_handler(lambda loop, ctx: reports.append(ctx))
    for i in range(4):
        acore.create_task(background(i))   # no reference kept
    await acore.sleep(0.01)


if __name__ == "__main__":
    acore.run(main())
    import gc
    gc.collect()
    for ctx in reports:
        print(ctx["message"], "-", repr(ctx.get("exception")))
    assert len(reports) == 1
