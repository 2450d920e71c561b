# SPDX-License-Identifier: MIT
"""loop.create_datagram_endpoint on acore's readiness: each case runs on
acore's loop and on asyncio's, and the outcomes must match. Loopback
only, bounded in count and time."""

import asyncio
import socket
import unittest

import acore
from pyac_testcase import DifferentialTestCase


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data.upper(), addr)


class Collect(asyncio.DatagramProtocol):
    def __init__(self, loop, want=1):
        self.got = []
        self.errors = []
        self.want = want
        self.done = loop.create_future()
        self.lost = loop.create_future()

    def datagram_received(self, data, addr):
        self.got.append(data)
        if len(self.got) == self.want and not self.done.done():
            self.done.set_result(None)

    def error_received(self, exc):
        self.errors.append(type(exc).__name__)
        if not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc):
        self.lost.set_result(exc)


class DatagramTest(DifferentialTestCase):

    def test_echo_with_remote_and_local_addr(self):
        async def main(loop):
            srv, _ = await loop.create_datagram_endpoint(
                Echo, local_addr=("127.0.0.1", 0))
            addr = srv.get_extra_info("sockname")
            cli, pr = await loop.create_datagram_endpoint(
                lambda: Collect(loop, 100), remote_addr=addr)
            for i in range(100):
                cli.sendto(b"msg %d" % i)
            await pr.done
            peer = cli.get_extra_info("peername")
            r = (sorted(pr.got)[:2], len(pr.got), peer == addr,
                 cli.get_write_buffer_size(), cli.is_closing(),
                 isinstance(cli.get_extra_info("socket"),
                            (socket.socket, asyncio.trsock.TransportSocket)))
            cli.close()
            srv.close()
            r += (await pr.lost, cli.is_closing())
            return r
        self.assertEqual(self.each(main), (
            [b"MSG 0", b"MSG 1"], 100, True, 0, False, True, None, True))

    def test_unconnected_sendto_and_sock(self):
        async def main(loop):
            srv, _ = await loop.create_datagram_endpoint(
                Echo, local_addr=("127.0.0.1", 0), reuse_port=True)
            addr = srv.get_extra_info("sockname")
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            cli, pr = await loop.create_datagram_endpoint(
                lambda: Collect(loop, 1), sock=s)
            cli.sendto(b"abc", addr)
            await pr.done
            cli.abort()
            srv.close()
            await pr.lost
            return pr.got, pr.errors, s.fileno()
        self.assertEqual(self.each(main), ([b"ABC"], [], -1))

    def test_error_received_on_refused(self):
        async def main(loop):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.bind(("127.0.0.1", 0))
            addr = probe.getsockname()
            probe.close()  # nobody listens there now
            cli, pr = await loop.create_datagram_endpoint(
                lambda: Collect(loop), remote_addr=addr)
            cli.sendto(b"x")
            await pr.done
            cli.close()
            await pr.lost
            return pr.errors
        self.assertEqual(self.each(main), ["ConnectionRefusedError"])

    def test_bad_input(self):
        async def main(loop):
            out = []

            async def attempt(**kw):
                try:
                    tr, _ = await loop.create_datagram_endpoint(
                        asyncio.DatagramProtocol, **kw)
                    out.append("ok")
                    tr.close()
                except Exception as exc:
                    out.append(type(exc).__name__)
            tcp = socket.socket()
            await attempt(sock=tcp)
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            await attempt(sock=udp, local_addr=("127.0.0.1", 0))
            udp.close()
            tcp.close()
            await attempt()  # no address, no family
            await attempt(local_addr=("127.0.0.1", 0),
                          allow_broadcast=True)
            await attempt(local_addr=("127.0.0.1", 0),
                          reuse_address=True)  # gone in 3.11
            await attempt(local_addr="not a tuple")
            return out
        self.assertEqual(self.each(main), [
            "ValueError", "ValueError", "ValueError", "ok", "TypeError",
            "TypeError"])

    def test_sendto_bad_data(self):
        async def main(loop):
            tr, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
            out = []
            for data in ("str", 5):
                try:
                    tr.sendto(data, ("127.0.0.1", 9))
                except Exception as exc:
                    out.append(type(exc).__name__)
            tr.close()
            tr.sendto(b"x", ("127.0.0.1", 9))  # closing: dropped
            return out, tr.is_closing()
        self.assertEqual(self.each(main), (["TypeError", "TypeError"], True))


if __name__ == "__main__":
    unittest.main()
