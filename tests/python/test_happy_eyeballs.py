# SPDX-License-Identifier: MIT
"""test_happy_eyeballs.py - create_connection with happy_eyeballs_delay
closes every losing socket: attempts that connect in the same iteration
as the winner, attempts still running when the winner connects, and all
of them when the connection itself is cancelled. Counted by the process's
open descriptors (/proc/self/fd); loopback only, a listener that never
accepts (the kernel completes each connection into its backlog)."""

import asyncio
import os
import socket
import unittest

from pyac_testcase import LoopTestCase

ROUNDS = 30


def fd_count():
    return len(os.listdir("/proc/self/fd"))


class HappyEyeballsTest(LoopTestCase):
    def setUp(self):
        super().setUp()
        self.lsn = socket.socket()
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(4 * ROUNDS * 4)
        self.port = self.lsn.getsockname()[1]
        self.infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                       ("127.0.0.1", self.port))] * 4

        async def four_addresses(*args, **kw):
            return list(self.infos)
        self.loop.getaddrinfo = four_addresses  # "host" has 4 addresses

    def tearDown(self):
        self.lsn.close()
        del self.loop.getaddrinfo
        super().tearDown()

    async def settle(self):
        for _ in range(10):
            await asyncio.sleep(0)

    def test_losers_closed_when_all_connect_at_once(self):
        async def main():
            base = fd_count()
            for _ in range(ROUNDS):
                tr, _ = await self.loop.create_connection(
                    asyncio.Protocol, "host", self.port,
                    happy_eyeballs_delay=0)
                tr.close()
                await self.settle()
            return base, fd_count()
        base, after = self.run_co(main())
        self.assertEqual(after, base)

    def test_losers_closed_when_connected_in_one_iteration(self):
        """Every attempt waits at a gate, then connects at once: several
        attempts finish in the winner's iteration; each extra socket is
        closed."""
        loop = self.loop
        connected = []

        async def gated(errors, info, laddrs):
            await gate
            sock = socket.create_connection(info[4])
            sock.setblocking(False)
            connected.append(sock)
            return sock
        loop._connect_one = gated

        async def main():
            nonlocal gate
            base = fds = fd_count()
            for _ in range(ROUNDS // 3):
                gate = loop.create_future()
                loop.call_later(0.01, gate.set_result, None)
                tr, _ = await loop.create_connection(
                    asyncio.Protocol, "host", self.port,
                    happy_eyeballs_delay=0)
                tr.close()
                await self.settle()
                fds = fd_count()
            return base, fds
        gate = None
        try:
            base, after = self.run_co(main())
        finally:
            del loop._connect_one
        self.assertEqual(after, base)
        self.assertGreater(len(connected), ROUNDS // 3)  # extras were made
        self.assertTrue(all(s.fileno() == -1 for s in connected))

    def test_losers_closed_with_a_delay(self):
        async def main():
            base = fd_count()
            for delay in (0.0001, 0.001, 0.01, 0.25):
                tr, _ = await self.loop.create_connection(
                    asyncio.Protocol, "host", self.port,
                    happy_eyeballs_delay=delay, interleave=2)
                self.assertEqual(tr.get_extra_info("peername"),
                                 ("127.0.0.1", self.port))
                tr.close()
                await self.settle()
            return base, fd_count()
        base, after = self.run_co(main())
        self.assertEqual(after, base)

    def test_all_closed_when_cancelled(self):
        async def main():
            base = fd_count()
            for i in range(ROUNDS):
                t = asyncio.ensure_future(self.loop.create_connection(
                    asyncio.Protocol, "host", self.port,
                    happy_eyeballs_delay=0))
                for _ in range(i % 6):
                    await asyncio.sleep(0)
                t.cancel()
                try:
                    tr, _ = await t
                    tr.close()  # it won before the cancel
                except asyncio.CancelledError:
                    pass
                await self.settle()
            return base, fd_count()
        base, after = self.run_co(main())
        self.assertEqual(after, base)

    def test_failures_then_a_winner(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dead_port = dead.getsockname()[1]
        dead.close()  # nobody listens: refused
        self.infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "",
                       ("127.0.0.1", dead_port))] * 3 + self.infos[:1]

        async def main():
            base = fd_count()
            tr, _ = await self.loop.create_connection(
                asyncio.Protocol, "host", self.port,
                happy_eyeballs_delay=10)  # failures start the next at once
            tr.close()
            await self.settle()
            self.infos = self.infos[:3]
            with self.assertRaises(ConnectionRefusedError):
                await self.loop.create_connection(
                    asyncio.Protocol, "host", dead_port,
                    happy_eyeballs_delay=0.01)
            await self.settle()
            return base, fd_count()
        base, after = self.run_co(asyncio.wait_for(main(), 20))
        self.assertEqual(after, base)


if __name__ == "__main__":
    unittest.main()
