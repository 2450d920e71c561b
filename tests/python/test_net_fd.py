# SPDX-License-Identifier: MIT
"""Readiness (add_reader / add_writer / remove_*) and the sock_* coroutines
of acore.Loop, on socketpairs and loopback sockets; bad input checked
against asyncio's own loop (same result or exception type)."""

import asyncio
import contextvars
import errno
import os
import socket
import tempfile
import unittest

import acore
from pyac_testcase import (LoopTestCase, assert_same_outcomes, outcome,
                           unused_port)

VAR = contextvars.ContextVar("VAR", default="unset")


def pair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b



class TestReadiness(LoopTestCase):
    def test_net_reader_called_while_readable(self):
        a, b = pair()
        got = []

        def on_read(tag):
            got.append((tag, a.recv(10)))
            if len(got) == 2:
                self.assertTrue(self.loop.remove_reader(a))
                self.loop.stop()
            else:
                b.send(b"2")
        self.loop.add_reader(a.fileno(), on_read, "t")
        b.send(b"1")
        self.loop.run_forever()
        self.assertEqual(got, [("t", b"1"), ("t", b"2")])
        self.assertFalse(self.loop.remove_reader(a))
        a.close()
        b.close()

    def test_net_writer_and_replace(self):
        a, b = pair()
        got = []
        self.loop.add_writer(a, got.append, "first")
        self.loop.add_writer(a, lambda: (got.append("second"),
                                         self.loop.remove_writer(a),
                                         self.loop.stop()))
        self.loop.run_forever()
        self.assertEqual(got, ["second"])
        self.assertEqual(self.loop._fd_watched(a), (False, False))
        a.close()
        b.close()

    def test_net_reader_and_writer_same_fd(self):
        a, b = pair()
        got = []

        def on_write():
            got.append("w")
            self.loop.remove_writer(a)
            b.send(b"x")

        def on_read():
            got.append(a.recv(1))
            self.loop.remove_reader(a)
        self.loop.add_reader(a, on_read)
        self.loop.add_writer(a, on_write)
        self.loop.run()  # ends once nothing is watched
        self.assertEqual(got, ["w", b"x"])
        a.close()
        b.close()

    def test_net_reader_runs_in_context_of_add(self):
        a, b = pair()
        seen = []
        VAR.set("at-add")

        def on_read():
            seen.append(VAR.get())
            a.recv(1)
            self.loop.remove_reader(a)
        self.loop.add_reader(a, on_read)
        VAR.set("later")
        b.send(b"x")
        self.loop.run()
        self.assertEqual(seen, ["at-add"])
        a.close()
        b.close()

    def test_net_reader_error_goes_to_handler(self):
        a, b = pair()

        def on_read():
            a.recv(1)
            self.loop.remove_reader(a)
            raise ZeroDivisionError
        self.loop.add_reader(a, on_read)
        b.send(b"x")
        self.loop.run()
        self.assertEqual(len(self.reports), 1)
        self.assertIsInstance(self.reports[0]["exception"], ZeroDivisionError)
        self.assertIn("handle", self.reports[0])
        a.close()
        b.close()

    def test_net_close_loop_unregisters(self):
        a, b = pair()
        self.loop.add_reader(a, print)
        self.loop.add_writer(a, print)
        self.loop.close()
        self.assertFalse(self.loop.remove_reader(a))
        with self.assertRaises(RuntimeError):
            self.loop.add_reader(a, print)
        a.close()
        b.close()

    def test_net_closed_fd(self):
        a, b = pair()
        fd = a.fileno()
        a.close()
        b.close()
        with self.assertRaises(OSError) as cm:
            self.loop.add_reader(fd, print)
        self.assertEqual(cm.exception.errno, errno.EBADF)
        self.assertFalse(self.loop.remove_reader(fd))
        # watched, removed, closed: a new socket on the same number works
        a, b = pair()
        self.loop.add_reader(a, print)
        self.loop.remove_reader(a)
        a.close()
        b.close()
        c, d = pair()
        got = []
        self.loop.add_reader(c, lambda: (got.append(c.recv(1)),
                                         self.loop.remove_reader(c)))
        d.send(b"z")
        self.loop.run()
        self.assertEqual(got, [b"z"])
        c.close()
        d.close()

    def test_net_fd_closed_before_the_poll(self):
        # libuv would abort on a registration of a closed fd: the loop
        # pauses it instead, and the number's next file is watched anew
        self.run_co(asyncio.sleep(0))
        a, b = pair()
        self.loop.add_reader(a, self.fail, "closed: never called")
        self.loop.add_writer(a, self.fail, "closed: never called")
        a.close()
        self.run_co(asyncio.sleep(0.01))
        c, d = pair()  # most likely a's number again
        got = []
        self.loop.add_reader(c, lambda: (got.append(c.recv(1)),
                                         self.loop.remove_reader(c)))
        d.send(b"q")
        self.run_co(asyncio.sleep(0.05))
        self.assertEqual(got, [b"q"])
        self.loop.remove_writer(c)
        for s in (b, c, d):
            s.close()

    def test_net_bad_input_like_asyncio(self):
        cases = {
            "negative": lambda lp: lp.add_reader(-1, print),
            "no fileno": lambda lp: lp.add_reader(object(), print),
            "str": lambda lp: lp.add_writer("x", print),
            "remove bad": lambda lp: lp.remove_reader(object()),
            "regular file": lambda lp: lp.add_reader(self.regular, print),
            "remove unknown": lambda lp: lp.remove_writer(1000),
        }
        with tempfile.TemporaryFile() as f:
            self.regular = f.fileno()
            assert_same_outcomes(self, cases)

    def test_net_many_events_counted(self):
        a, b = pair()
        n = 0

        def on_read():
            nonlocal n
            a.recv(1)
            n += 1
            if n == 2000:
                self.loop.remove_reader(a)
            else:
                b.send(b"x")
        self.loop.add_reader(a, on_read)
        b.send(b"x")
        self.loop.run()
        self.assertEqual(n, 2000)
        a.close()
        b.close()


class TestSock(LoopTestCase):
    def listener(self, family=socket.AF_INET, host="127.0.0.1"):
        srv = socket.socket(family)
        srv.bind((host, 0))
        srv.listen()
        srv.setblocking(False)
        return srv

    def test_net_sock_echo_tcp(self):
        async def main():
            srv = self.listener()
            c = socket.socket()
            c.setblocking(False)
            acc = self.loop.create_task(self.loop.sock_accept(srv))
            await self.loop.sock_connect(c, srv.getsockname())
            conn, addr = await acc
            self.assertEqual(addr, c.getsockname())
            payload = os.urandom(3 * 1024 * 1024)
            send = self.loop.create_task(self.loop.sock_sendall(c, payload))
            got = bytearray()
            buf = bytearray(65536)
            while len(got) < len(payload):
                n = await self.loop.sock_recv_into(conn, buf)
                got += buf[:n]
            await send
            self.assertEqual(bytes(got), payload)
            c.shutdown(socket.SHUT_WR)
            self.assertEqual(await self.loop.sock_recv(conn, 10), b"")
            for s in (c, conn, srv):
                s.close()
        self.run_co(main())

    def test_net_sock_connect_by_name_and_v6(self):
        async def main():
            srv = self.listener()
            c = socket.socket()
            c.setblocking(False)
            await self.loop.sock_connect(c, ("localhost",
                                             srv.getsockname()[1]))
            c.close()
            srv.close()
            if socket.has_ipv6:
                try:
                    srv = self.listener(socket.AF_INET6, "::1")
                except OSError:
                    return
                c = socket.socket(socket.AF_INET6)
                c.setblocking(False)
                await self.loop.sock_connect(c, srv.getsockname())
                c.close()
                srv.close()
        self.run_co(main())

    def test_net_sock_connect_refused_like_asyncio(self):
        port = unused_port()

        async def connect(loop):
            c = socket.socket()
            c.setblocking(False)
            try:
                await loop.sock_connect(c, ("127.0.0.1", port))
            finally:
                c.close()
        self.assertEqual(outcome(acore.Loop, connect),
                         ("exc", ConnectionRefusedError))
        assert_same_outcomes(self, {"refused": connect})

    def test_net_sock_unix_and_cancel(self):
        async def main():
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "s")
                srv = socket.socket(socket.AF_UNIX)
                srv.bind(path)
                srv.listen()
                srv.setblocking(False)
                c = socket.socket(socket.AF_UNIX)
                c.setblocking(False)
                await self.loop.sock_connect(c, path)
                conn, _ = await self.loop.sock_accept(srv)
                t = self.loop.create_task(self.loop.sock_recv(conn, 10))
                await asyncio.sleep(0.01)
                t.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await t
                self.assertEqual(self.loop._fd_watched(conn), (False, False))
                await self.loop.sock_sendall(c, b"after")
                self.assertEqual(await self.loop.sock_recv(conn, 10),
                                 b"after")
                for s in (c, conn, srv):
                    s.close()
        self.run_co(main())

    def test_net_sock_udp(self):
        async def main():
            a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for s in (a, b):
                s.bind(("127.0.0.1", 0))
                s.setblocking(False)
            t = self.loop.create_task(self.loop.sock_recvfrom(b, 100))
            await asyncio.sleep(0)
            await self.loop.sock_sendto(a, b"dgram", b.getsockname())
            self.assertEqual(await t, (b"dgram", a.getsockname()))
            await self.loop.sock_sendto(a, b"two", b.getsockname())
            buf = bytearray(10)
            n, addr = await self.loop.sock_recvfrom_into(b, buf)
            self.assertEqual(bytes(buf[:n]), b"two")
            a.close()
            b.close()
        self.run_co(main())

    def test_net_sock_sendfile(self):
        async def main(fallback_only):
            srv = self.listener()
            c = socket.socket()
            c.setblocking(False)
            await self.loop.sock_connect(c, srv.getsockname())
            conn, _ = await self.loop.sock_accept(srv)
            data = os.urandom(500_000)
            with tempfile.TemporaryFile() as f:
                f.write(data)
                f.flush()
                if fallback_only:
                    sent = await self.loop._sendfile_copy(c, f, 1000, 300_000)
                else:
                    sent = await self.loop.sock_sendfile(c, f, 1000, 300_000)
                self.assertEqual(sent, 300_000)
                self.assertEqual(f.tell(), 301_000)
            c.close()
            got = bytearray()
            while True:
                chunk = await self.loop.sock_recv(conn, 65536)
                if not chunk:
                    break
                got += chunk
            self.assertEqual(bytes(got), data[1000:301_000])
            conn.close()
            srv.close()
        self.run_co(main(False))
        self.run_co(main(True))

    def test_net_sock_bad_input_like_asyncio(self):
        def with_sock(kind, fn):
            async def run(loop):
                s = socket.socket(socket.AF_INET, kind)
                s.setblocking(False)
                try:
                    return await fn(loop, s)
                finally:
                    s.close()
            return run
        f = tempfile.TemporaryFile()
        t = tempfile.TemporaryFile("w")
        cases = {
            "sendfile text": with_sock(
                socket.SOCK_STREAM, lambda lp, s: lp.sock_sendfile(s, t)),
            "sendfile dgram": with_sock(
                socket.SOCK_DGRAM, lambda lp, s: lp.sock_sendfile(s, f)),
            "sendfile count": with_sock(
                socket.SOCK_STREAM,
                lambda lp, s: lp.sock_sendfile(s, f, 0, -1)),
            "sendfile offset": with_sock(
                socket.SOCK_STREAM,
                lambda lp, s: lp.sock_sendfile(s, f, "0")),
            "recv unconnected": with_sock(
                socket.SOCK_STREAM, lambda lp, s: lp.sock_recv(s, 10)),
            "connect bad name": with_sock(
                socket.SOCK_STREAM,
                lambda lp, s: lp.sock_connect(s, ("no-such-host.invalid",
                                                  80))),
        }
        try:
            assert_same_outcomes(self, cases)
        finally:
            f.close()
            t.close()

    def test_net_getaddrinfo_like_asyncio(self):
        calls = [
            lambda lp: lp.getaddrinfo("127.0.0.1", 80),
            lambda lp: lp.getaddrinfo("localhost", "80",
                                      type=socket.SOCK_STREAM),
            lambda lp: lp.getaddrinfo(None, 0, flags=socket.AI_PASSIVE,
                                      family=socket.AF_INET),
            lambda lp: lp.getnameinfo(("127.0.0.1", 80),
                                      socket.NI_NUMERICHOST),
            lambda lp: lp.getaddrinfo("no-such-host.invalid", 80),
        ]
        assert_same_outcomes(self, dict(enumerate(calls)))


if __name__ == "__main__":
    unittest.main()
