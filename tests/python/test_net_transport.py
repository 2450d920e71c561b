# SPDX-License-Identifier: MIT
"""Socket transports, servers, TLS and asyncio's streams on acore.Loop,
over loopback TCP and Unix sockets: each behaviour once, argument errors
checked against asyncio's loop (same exception type)."""

import asyncio
import os
import socket
import ssl
import subprocess
import tempfile
import unittest

import acore
from pyac_testcase import (DifferentialTestCase, LoopTestCase,
                           assert_same_outcomes, unused_port)


class Recorder(asyncio.Protocol):
    """Records the calls a transport makes; echoes when asked."""

    def __init__(self, loop, echo=False, keep_open=False):
        self.calls = []
        self.data = bytearray()
        self.echo = echo
        self.keep_open = keep_open
        self.transport = None
        self.lost = loop.create_future()

    def connection_made(self, transport):
        self.calls.append("made")
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if self.echo:
            self.transport.write(data)

    def eof_received(self):
        self.calls.append("eof")
        return self.keep_open

    def pause_writing(self):
        self.calls.append("pause")

    def resume_writing(self):
        self.calls.append("resume")

    def connection_lost(self, exc):
        self.calls.append("lost")
        if not self.lost.done():
            self.lost.set_result(exc)


class Buffered(asyncio.BufferedProtocol):
    def __init__(self, loop):
        self.buf = bytearray(100)
        self.got = bytearray()
        self.lost = loop.create_future()

    def get_buffer(self, sizehint):
        return self.buf

    def buffer_updated(self, n):
        self.got += self.buf[:n]

    def eof_received(self):
        return False

    def connection_lost(self, exc):
        self.lost.set_result(exc)


def make_cert(folder):
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj",
         "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,"
         "IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


class TestTransport(LoopTestCase):
    def test_net_echo_protocol_and_eof(self):
        async def main():
            server_protos = []

            def factory():
                p = Recorder(self.loop, echo=True)
                server_protos.append(p)
                return p
            srv = await self.loop.create_server(factory, "127.0.0.1", 0)
            self.assertTrue(srv.is_serving())
            self.assertIs(srv.get_loop(), self.loop)
            port = srv.sockets[0].getsockname()[1]
            tr, pr = await self.loop.create_connection(
                lambda: Recorder(self.loop, keep_open=True), "127.0.0.1",
                port)
            self.assertEqual(tr.get_extra_info("peername"),
                             ("127.0.0.1", port))
            self.assertIsNotNone(tr.get_extra_info("socket"))
            self.assertEqual(tr.get_extra_info("sockname"),
                             tr.get_extra_info("socket").getsockname())
            self.assertTrue(tr.can_write_eof())
            tr.write(b"ping")
            while len(pr.data) < 4:
                await asyncio.sleep(0.001)
            self.assertEqual(bytes(pr.data), b"ping")
            tr.write_eof()
            with self.assertRaises(RuntimeError):
                tr.write(b"late")
            exc = await server_protos[0].lost
            self.assertIsNone(exc)
            self.assertEqual(server_protos[0].calls, ["made", "eof", "lost"])
            while "eof" not in pr.calls:  # the server closed
                await asyncio.sleep(0.001)
            self.assertFalse(tr.is_closing())  # eof_received() was true
            tr.close()
            await pr.lost
            self.assertEqual(pr.calls, ["made", "eof", "lost"])
            srv.close()
            await srv.wait_closed()
            self.assertFalse(srv.is_serving())
            self.assertEqual(srv.sockets, ())
        self.run_co(main())

    def test_net_happy_eyeballs_and_local_addr(self):
        async def main():
            srv = await self.loop.create_server(
                lambda: Recorder(self.loop), "127.0.0.1", 0)
            port = srv.sockets[0].getsockname()[1]
            for kw in ({"happy_eyeballs_delay": 0.05},
                       {"interleave": 2},
                       {"local_addr": ("127.0.0.1", 0)}):
                tr, pr = await self.loop.create_connection(
                    lambda: Recorder(self.loop), "localhost", port, **kw)
                self.assertEqual(tr.get_extra_info("peername")[:2],
                                 ("127.0.0.1", port))
                tr.close()
                await pr.lost
            srv.close()
            await srv.wait_closed()
        self.run_co(main())

    def test_net_flow_control_and_limits(self):
        async def main():
            a, b = socket.socketpair()
            tr, pr = await self.loop.create_connection(
                lambda: Recorder(self.loop), sock=a)
            self.assertEqual(tr.get_write_buffer_limits(), (16384, 65536))
            tr.set_write_buffer_limits(high=1000)
            self.assertEqual(tr.get_write_buffer_limits(), (250, 1000))
            with self.assertRaises(ValueError):
                tr.set_write_buffer_limits(high=1, low=2)
            tr.write(b"x" * (8 * 1024 * 1024))  # more than the kernel takes
            self.assertGreater(tr.get_write_buffer_size(), 1000)
            self.assertEqual(pr.calls, ["made", "pause"])
            b.setblocking(False)
            got = 0
            while got < 8 * 1024 * 1024:
                try:
                    got += len(b.recv(1 << 20))
                except BlockingIOError:
                    await asyncio.sleep(0.001)
            self.assertEqual(pr.calls, ["made", "pause", "resume"])
            self.assertEqual(tr.get_write_buffer_size(), 0)
            with self.assertRaises(TypeError):
                tr.write("text")
            tr.pause_reading()
            self.assertFalse(tr.is_reading())
            b.send(b"held")
            await asyncio.sleep(0.02)
            self.assertEqual(pr.data, b"")
            tr.resume_reading()
            self.assertTrue(tr.is_reading())
            while not pr.data:
                await asyncio.sleep(0.001)
            self.assertEqual(bytes(pr.data), b"held")
            tr.abort()
            self.assertTrue(tr.is_closing())
            await pr.lost
            self.assertEqual(pr.calls.count("lost"), 1)
            b.close()
        self.run_co(main())

    def test_net_close_flushes_then_lost_once(self):
        async def main():
            a, b = socket.socketpair()
            tr, pr = await self.loop.create_connection(
                lambda: Recorder(self.loop), sock=a)
            tr.write(b"y" * 3_000_000)
            tr.close()
            tr.close()
            b.setblocking(False)
            got = bytearray()
            while True:
                try:
                    chunk = b.recv(1 << 20)
                except BlockingIOError:
                    await asyncio.sleep(0.001)
                    continue
                if not chunk:
                    break
                got += chunk
            self.assertEqual(len(got), 3_000_000)
            await pr.lost
            await asyncio.sleep(0.01)
            self.assertEqual(pr.calls, ["made", "pause", "resume", "lost"])
            b.close()
        self.run_co(main())

    def test_net_buffered_protocol_and_accepted_socket(self):
        async def main():
            a, b = socket.socketpair()
            tr, pr = await self.loop.connect_accepted_socket(
                lambda: Buffered(self.loop), a)
            b.sendall(b"z" * 1000)
            b.close()
            await pr.lost
            self.assertEqual(bytes(pr.got), b"z" * 1000)
            self.assertTrue(tr.is_closing())
        self.run_co(main())

    def test_net_unix_server_and_sendfile(self):
        async def main():
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "sock")
                protos = []

                def factory():
                    protos.append(Recorder(self.loop))
                    return protos[-1]
                async with await self.loop.create_unix_server(
                        factory, path) as srv:
                    tr, pr = await self.loop.create_unix_connection(
                        lambda: Recorder(self.loop), path)
                    data = os.urandom(200_000)
                    with tempfile.TemporaryFile() as f:
                        f.write(data)
                        f.flush()
                        n = await self.loop.sendfile(tr, f, 10)
                        self.assertEqual(n, 200_000 - 10)
                    tr.close()
                    await protos[0].lost
                    self.assertEqual(bytes(protos[0].data), data[10:])
                self.assertFalse(srv.is_serving())
        self.run_co(main())

    def test_net_serve_forever_cancel(self):
        async def main():
            srv = await self.loop.create_server(
                lambda: Recorder(self.loop), "127.0.0.1", 0,
                start_serving=False)
            self.assertFalse(srv.is_serving())
            await srv.start_serving()
            self.assertTrue(srv.is_serving())
            port = srv.sockets[0].getsockname()[1]
            tr, pr = await self.loop.create_connection(
                lambda: Recorder(self.loop), "127.0.0.1", port)
            tr.close()
            await pr.lost
            t = self.loop.create_task(srv.serve_forever())
            await asyncio.sleep(0.01)
            self.assertTrue(srv.is_serving())
            with self.assertRaises(RuntimeError):
                await srv.serve_forever()
            t.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await t
            self.assertFalse(srv.is_serving())
        self.run_co(main())

    def test_net_connection_errors_like_asyncio(self):
        port = unused_port()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def proto():
            return asyncio.Protocol()
        cases = {
            "refused": lambda lp: lp.create_connection(proto, "127.0.0.1",
                                                       port),
            "no host": lambda lp: lp.create_connection(proto),
            "both": lambda lp: lp.create_connection(proto, "127.0.0.1",
                                                    port, sock=udp),
            "dgram sock": lambda lp: lp.create_connection(proto, sock=udp),
            "hostname no ssl": lambda lp: lp.create_connection(
                proto, "127.0.0.1", port, server_hostname="x"),
            "timeout no ssl": lambda lp: lp.create_connection(
                proto, "127.0.0.1", port, ssl_handshake_timeout=1),
            "server ssl bool": lambda lp: lp.create_server(proto, ssl=True),
            "server none": lambda lp: lp.create_server(proto),
            "server dgram": lambda lp: lp.create_server(proto, sock=udp),
            "unix none": lambda lp: lp.create_unix_connection(proto),
            "unix missing": lambda lp: lp.create_unix_connection(
                proto, "/nonexistent/acore-test"),
            "unix server none": lambda lp: lp.create_unix_server(proto),
            "start_tls bad ctx": lambda lp: lp.start_tls(None, None, None),
        }
        try:
            assert_same_outcomes(self, cases)
        finally:
            udp.close()


class TestStreamsAndTLS(LoopTestCase):
    def test_net_open_connection_echo(self):
        async def handle(reader, writer):
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
            writer.close()
            await writer.wait_closed()

        async def main():
            srv = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = srv.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for i in range(200):
                writer.write(b"line %d\n" % i)
                self.assertEqual(await reader.readline(), b"line %d\n" % i)
            writer.write_eof()
            self.assertEqual(await reader.read(), b"")
            writer.close()
            await writer.wait_closed()
            srv.close()
            await srv.wait_closed()
        self.run_co(main())

    def test_net_unix_streams(self):
        async def handle(reader, writer):
            writer.write((await reader.readexactly(5)).upper())
            await writer.drain()
            writer.close()

        async def main():
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "s")
                srv = await asyncio.start_unix_server(handle, path)
                reader, writer = await asyncio.open_unix_connection(path)
                writer.write(b"hello")
                self.assertEqual(await reader.read(), b"HELLO")
                writer.close()
                await writer.wait_closed()
                srv.close()
                await srv.wait_closed()
        self.run_co(main())

    def test_net_tls_echo_and_start_tls(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = make_cert(d)
            server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server_ctx.load_cert_chain(cert, key)
            client_ctx = ssl.create_default_context(cafile=cert)

            async def handle(reader, writer):
                data = await reader.readline()
                writer.write(data[::-1])
                await writer.drain()
                writer.close()
                await writer.wait_closed()

            async def main():
                srv = await asyncio.start_server(
                    handle, "127.0.0.1", 0, ssl=server_ctx,
                    ssl_handshake_timeout=10, ssl_shutdown_timeout=10)
                port = srv.sockets[0].getsockname()[1]
                for _ in range(3):
                    reader, writer = await asyncio.open_connection(
                        "localhost", port, ssl=client_ctx,
                        ssl_handshake_timeout=10)
                    self.assertIsNotNone(
                        writer.get_extra_info("peercert"))
                    writer.write(b"abc\n")
                    self.assertEqual(await reader.read(), b"\ncba")
                    writer.close()
                    await writer.wait_closed()
                # start_tls on a plain connection (the server starts TLS
                # on its side after a plain "STARTTLS" line)
                done = self.loop.create_future()

                async def starttls(reader, writer):
                    await reader.readline()
                    writer.write(b"GO\n")
                    await writer.drain()
                    await writer.start_tls(server_ctx)
                    writer.write(await reader.readline())
                    await writer.drain()
                    writer.close()
                    done.set_result(None)
                plain = await asyncio.start_server(starttls, "127.0.0.1", 0)
                pport = plain.sockets[0].getsockname()[1]
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", pport)
                writer.write(b"STARTTLS\n")
                self.assertEqual(await reader.readline(), b"GO\n")
                await writer.start_tls(client_ctx,
                                       server_hostname="localhost")
                writer.write(b"secret\n")
                self.assertEqual(await reader.readline(), b"secret\n")
                await done
                writer.close()
                try:
                    await writer.wait_closed()
                except (ConnectionError, ssl.SSLError):
                    pass
                for s in (srv, plain):
                    s.close()
                    await s.wait_closed()
            self.run_co(main())

    def test_net_tls_handshake_timeout(self):
        async def main():
            # a server that accepts and never answers the TLS hello
            srv = socket.socket()
            srv.bind(("127.0.0.1", 0))
            srv.listen()
            ctx = ssl.create_default_context()
            with self.assertRaises((ConnectionError, TimeoutError)):
                await self.loop.create_connection(
                    asyncio.Protocol, "127.0.0.1", srv.getsockname()[1],
                    ssl=ctx, server_hostname="localhost",
                    ssl_handshake_timeout=0.2)
            srv.close()
        self.run_co(main())


class Ends:
    """A test protocol's record of how the connection ended: eof, then
    connection_lost's exception type (in self.events); self.lost is done
    once it is lost."""

    def __init__(self, loop):
        self.events = []
        self.lost = loop.create_future()

    def eof_received(self):
        self.events.append("eof")

    def connection_lost(self, exc):
        self.events.append(("lost", type(exc).__name__))
        self.lost.set_result(None)


class Probe(Ends, asyncio.Protocol):
    """Records, for the differential cases, what the transport did: the
    data and how it ended; raises in data_received when asked."""

    def __init__(self, loop, fail=False):
        super().__init__(loop)
        self.data = bytearray()
        self.fail = fail

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data
        if self.fail:
            raise ValueError("refused")


async def _pair(loop, fail=False):
    """A transport on one end of a socketpair, the other end (blocking
    off), and the protocol; exception handler calls go to .reports."""
    a, b = socket.socketpair()
    b.setblocking(False)
    reports = []
    loop.set_exception_handler(
        lambda lp, ctx: reports.append(
            (ctx["message"], type(ctx.get("exception")).__name__)))
    tr, pr = await loop.create_connection(lambda: Probe(loop, fail), sock=a)
    pr.reports = reports
    return tr, pr, b


async def _drain_peer(b, want):
    got = bytearray()
    while len(got) < want:
        try:
            chunk = b.recv(1 << 20)
        except BlockingIOError:
            await asyncio.sleep(0.001)
            continue
        if not chunk:
            break
        got += chunk
    return bytes(got)


def _err(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - compared
        return (type(exc).__name__, str(exc))
    return None


class TestTransportFastPaths(DifferentialTestCase):
    """The transport's C paths (pyac_transport.c: _read_ready, write,
    is_closing) against asyncio's selector transport: each case on both
    loops, the records equal."""

    def test_net_transport_write_arguments(self):
        async def main(loop):
            tr, pr, b = await _pair(loop)
            out = [_err(lambda: tr.write("text")), _err(lambda: tr.write(7)),
                   _err(lambda: tr.write(b"")), tr.is_closing()]
            tr.write(bytearray(b"ab"))
            tr.write(memoryview(b"cd"))
            out.append(await _drain_peer(b, 4))
            tr.write_eof()
            out.append(_err(lambda: tr.write(b"x")))
            out.append(await _drain_peer(b, 1))  # b"": the end of file
            tr.close()
            out.append(tr.is_closing())
            out.append(_err(lambda: tr.write(b"after close")))
            await pr.lost
            b.close()
            return out, pr.events, pr.reports
        self.each(main)

    def test_net_transport_write_memoryviews(self):
        import array
        # 4 MB: sent in parts. (Bytes: asyncio 3.11 slices a memoryview of
        # wider items by item, not by byte, after a partial send.)
        big = bytes(range(256)) * (4 * 4096)

        async def main(loop):
            tr, pr, b = await _pair(loop)
            tr.write(memoryview(array.array("i", [1, 2, 3])))
            first = await _drain_peer(b, 12)
            tr.write(memoryview(big))
            tr.write(b"tail")
            rest = await _drain_peer(b, len(big) + 4)
            ok = rest == big + b"tail"
            tr.write(memoryview(b"abcdef")[::2])  # not contiguous: fatal
            await pr.lost
            b.close()
            return first, ok, pr.events, pr.reports
        self.each(main)

    def test_net_transport_buffered_protocol_reads(self):
        class Into(Ends, asyncio.BufferedProtocol):
            """get_buffer gives `kind` of buffer: a small bytearray, an
            empty one, a read-only bytes, or raises; buffer_updated may
            raise."""

            def __init__(self, loop, kind, fail_update=False):
                super().__init__(loop)
                self.kind, self.fail_update = kind, fail_update
                self.buf = bytearray(3)
                self.got = bytearray()

            def get_buffer(self, sizehint):
                self.events.append(("hint", sizehint))
                if self.kind == "raise":
                    raise KeyError("no buffer")
                return {"ok": self.buf, "empty": bytearray(),
                        "readonly": b"abc"}[self.kind]

            def buffer_updated(self, n):
                self.got += self.buf[:n]
                if self.fail_update:
                    raise ValueError("refused")

        async def main(loop):
            out = []
            reports = []
            loop.set_exception_handler(
                lambda lp, ctx: reports.append(
                    (ctx["message"], type(ctx.get("exception")).__name__)))
            for kind, fail in (("ok", False), ("ok", True), ("empty", False),
                               ("readonly", False), ("raise", False)):
                a, b = socket.socketpair()
                tr, pr = await loop.create_connection(
                    lambda: Into(loop, kind, fail), sock=a)
                b.send(b"seven b")
                if kind == "ok" and not fail:
                    while len(pr.got) < 7:
                        await asyncio.sleep(0.001)
                    b.shutdown(socket.SHUT_WR)
                await pr.lost
                out.append((kind, fail, bytes(pr.got), pr.events[-2:],
                            len(reports)))
                b.close()
            return out, reports
        self.each(main)

    def test_net_transport_data_received_error(self):
        async def main(loop):
            tr, pr, b = await _pair(loop, fail=True)
            b.send(b"boom")
            await pr.lost
            b.close()
            return bytes(pr.data), pr.events, pr.reports, tr.is_closing()
        self.each(main)

    def test_net_transport_read_eof_and_reset(self):
        async def main(loop):
            tr, pr, b = await _pair(loop)
            b.send(b"last")
            b.shutdown(socket.SHUT_WR)
            await pr.lost  # eof_received returned None: closed
            out = [bytes(pr.data), pr.events]
            b.close()
            tr2, pr2, c = await _pair(loop)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            tr2.pause_reading()
            c.close()  # a reset for the transport's writes
            await asyncio.sleep(0.01)
            tr2.write(b"into a closed socket")
            await pr2.lost
            tr2.write(b"after the loss")  # counted, ignored
            out += [pr2.events, pr2.reports, tr2.is_closing()]
            return out
        self.each(main)


if __name__ == "__main__":
    unittest.main()
