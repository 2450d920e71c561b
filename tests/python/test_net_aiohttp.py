# SPDX-License-Identifier: MIT
"""Real libraries, unchanged, on acore's loop: an aiohttp server and an
aiohttp client exchanging 1,000 requests with at most 50 in flight, on
127.0.0.1 (Debian's python3-aiohttp; scripts/ci.sh installs it)."""

import asyncio
import time
import unittest

import acore
from pyac_testcase import LoopTestCase

try:
    import aiohttp
    from aiohttp import web
except ImportError:  # pragma: no cover - ci.sh installs python3-aiohttp
    aiohttp = None

REQUESTS = 1000
IN_FLIGHT = 50


@unittest.skipIf(aiohttp is None, "python3-aiohttp is not installed")
class TestAiohttp(LoopTestCase):
    def test_net_aiohttp_1000_requests_50_in_flight(self):
        in_flight = peak = 0

        async def handle(request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                await asyncio.sleep(0)
                n = int(request.match_info["n"])
                return web.json_response({"n": n, "double": 2 * n})
            finally:
                in_flight -= 1

        async def main():
            app = web.Application()
            app.router.add_get("/double/{n}", handle)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            sem = asyncio.Semaphore(IN_FLIGHT)
            conn = aiohttp.TCPConnector(limit=IN_FLIGHT)
            async with aiohttp.ClientSession(connector=conn) as session:
                async def call(i):
                    async with sem:
                        async with session.get(
                                f"http://127.0.0.1:{port}/double/{i}") as r:
                            self.assertEqual(r.status, 200)
                            return (await r.json())["double"]
                t0 = time.perf_counter()
                results = await asyncio.wait_for(
                    asyncio.gather(*(call(i) for i in range(REQUESTS))), 60)
                elapsed = time.perf_counter() - t0
            await runner.cleanup()
            return results, elapsed

        results, elapsed = self.run_co(main())
        self.assertEqual(results, [2 * i for i in range(REQUESTS)])
        self.assertLessEqual(peak, IN_FLIGHT)
        self.assertGreater(peak, 1)
        print(f"\n{REQUESTS} aiohttp requests on acore: {elapsed:.2f} s")


if __name__ == "__main__":
    unittest.main()
