# SPDX-License-Identifier: MIT
"""Connections and servers of acore.Loop: create_connection,
create_server, their Unix forms, connect_accepted_socket, sendfile and
start_tls. TLS is asyncio's own sslproto.SSLProtocol (ssl.MemoryBIO)
over acore's socket transport, as asyncio layers it over its own.

Happy eyeballs: with happy_eyeballs_delay the attempts are staggered
(RFC 8305), interleaved by address family: the next attempt starts when
one fails or after the delay. The first connected socket wins; every
other attempt is cancelled and every other socket closed - also one that
connected in the same loop iteration, and all of them when the race
itself is cancelled (asyncio 3.11's staggered_race drops such a socket
unclosed, or fails on its assertion).
"""

import collections
import errno
import os
import socket
import stat
import sys

try:
    import ssl as _ssl
except ImportError:  # pragma: no cover
    _ssl = None

from asyncio import constants as _constants
from asyncio import exceptions as _aexc
from asyncio import tasks as _atasks
from asyncio import sslproto as _sslproto
from asyncio.log import logger

from ._server import Server
from ._transport import SocketTransport


def _check_plain_socket(sock):
    if _ssl is not None and isinstance(sock, _ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")


def _check_ssl_args(ssl, handshake_timeout, shutdown_timeout):
    if handshake_timeout is not None and not ssl:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if shutdown_timeout is not None and not ssl:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")


def _interleave(infos, first_count):
    """Alternate address families (RFC 8305), `first_count` of the first
    family first."""
    by_family = collections.OrderedDict()
    for info in infos:
        by_family.setdefault(info[0], []).append(info)
    lists = list(by_family.values())
    out = []
    if first_count > 1 and lists:
        out.extend(lists[0][:first_count - 1])
        del lists[0][:first_count - 1]
    while any(lists):
        for lst in lists:
            if lst:
                out.append(lst.pop(0))
    return out


class ConnectMixin:
    """The transport-making half of acore.Loop's I/O (see NetLoopMixin)."""

    # ---- transports ----

    def _make_transport(self, sock, protocol_factory, ssl, server_hostname,
                        server_side, waiter, handshake_timeout,
                        shutdown_timeout, server=None, extra=None):
        """(transport, protocol) for connected `sock`; `waiter` completes
        when it is ready (after the TLS handshake with `ssl`)."""
        protocol = protocol_factory()
        if ssl:
            context = None if isinstance(ssl, bool) else ssl
            ssl_protocol = _sslproto.SSLProtocol(
                self, protocol, context, waiter, server_side,
                server_hostname, ssl_handshake_timeout=handshake_timeout,
                ssl_shutdown_timeout=shutdown_timeout)
            SocketTransport(self, sock, ssl_protocol, extra=extra,
                            server=server)
            return ssl_protocol._app_transport, protocol
        transport = SocketTransport(self, sock, protocol, waiter, extra,
                                    server)
        return transport, protocol

    async def _connection_for(self, sock, protocol_factory, ssl,
                              server_hostname, server_side=False,
                              handshake_timeout=None, shutdown_timeout=None):
        sock.setblocking(False)
        waiter = self.create_future()
        transport, protocol = self._make_transport(
            sock, protocol_factory, ssl, server_hostname, server_side, waiter,
            handshake_timeout, shutdown_timeout)
        try:
            await waiter
        except BaseException:
            transport.close()
            raise
        return transport, protocol

    def _accepted(self, server, conn, addr):
        """A server accepted `conn`: its transport and protocol."""
        extra = {"peername": addr}
        if not server._ssl_context:
            try:
                self._make_transport(conn, server._protocol_factory, None,
                                     None, True, None, None, None, server,
                                     extra)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                conn.close()
                self._accept_failed(exc, None, None)
            return
        self.create_task(self._accept_tls(server, conn, extra))

    async def _accept_tls(self, server, conn, extra):
        waiter = self.create_future()
        transport = protocol = None
        try:
            transport, protocol = self._make_transport(
                conn, server._protocol_factory, server._ssl_context, None,
                True, waiter, server._ssl_handshake_timeout,
                server._ssl_shutdown_timeout, server, extra)
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if transport is not None:
                transport.close()
            else:
                conn.close()
            self._accept_failed(exc, protocol, transport)

    def _accept_failed(self, exc, protocol, transport):
        if not self.get_debug():
            return
        context = {"message": "Error on transport creation for incoming "
                              "connection", "exception": exc}
        if protocol is not None:
            context["protocol"] = protocol
        if transport is not None:
            context["transport"] = transport
        self.call_exception_handler(context)

    # ---- create_connection ----

    async def create_connection(
            self, protocol_factory, host=None, port=None, *, ssl=None,
            family=0, proto=0, flags=0, sock=None, local_addr=None,
            server_hostname=None, ssl_handshake_timeout=None,
            ssl_shutdown_timeout=None, happy_eyeballs_delay=None,
            interleave=None, all_errors=False):
        """Connect to host:port (or use connected `sock`): (transport,
        protocol)."""
        if server_hostname is not None and not ssl:
            raise ValueError("server_hostname is only meaningful with ssl")
        if server_hostname is None and ssl:
            if not host:
                raise ValueError("You must set server_hostname "
                                 "when using ssl without a host")
            server_hostname = host
        _check_ssl_args(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if sock is not None:
            _check_plain_socket(sock)
        if happy_eyeballs_delay is not None and interleave is None:
            interleave = 1
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError(
                    "host/port and sock can not be specified at the same "
                    "time")
            sock = await self._connect_any(host, port, family, proto, flags,
                                           local_addr, interleave,
                                           all_errors, happy_eyeballs_delay)
        else:
            if sock is None:
                raise ValueError("host and port was not specified and no "
                                 "sock specified")
            if sock.type != socket.SOCK_STREAM:
                raise ValueError(
                    f"A Stream Socket was expected, got {sock!r}")
        return await self._connection_for(
            sock, protocol_factory, ssl, server_hostname,
            handshake_timeout=ssl_handshake_timeout,
            shutdown_timeout=ssl_shutdown_timeout)

    async def _connect_any(self, host, port, family, proto, flags, local_addr,
                           interleave, all_errors, happy_eyeballs_delay):
        infos = await self._resolve((host, port), family=family,
                                    type=socket.SOCK_STREAM, proto=proto,
                                    flags=flags)
        laddrs = None
        if local_addr is not None:
            laddrs = await self._resolve(local_addr, family=family,
                                         type=socket.SOCK_STREAM,
                                         proto=proto, flags=flags)
        if interleave:
            infos = _interleave(infos, interleave)
        errors = []
        if happy_eyeballs_delay is None:
            for info in infos:
                sock = await self._connect_one(errors, info, laddrs)
                if sock is not None:
                    return sock
        else:
            sock = await self._race(errors, infos, laddrs,
                                    happy_eyeballs_delay)
            if sock is not None:
                return sock
        if all_errors:
            raise ExceptionGroup("create_connection failed", errors)
        if len(errors) == 1:
            raise errors[0]
        model = str(errors[0])
        if all(str(exc) == model for exc in errors):
            raise errors[0]
        raise OSError("Multiple exceptions: {}".format(
            ", ".join(str(exc) for exc in errors)))

    async def _race(self, errors, infos, laddrs, delay):
        """Happy eyeballs over `infos`: the winning socket, or None (every
        attempt failed, its OSError in `errors`). No losing socket stays
        open."""
        attempts = iter(infos)
        pending = set()
        winner = None
        try:
            more = True
            while winner is None:
                info = next(attempts, None) if more else None
                more = info is not None
                if more:
                    pending.add(self.create_task(
                        self._connect_one(errors, info, laddrs)))
                if not pending:
                    return None
                done, pending = await _atasks.wait(
                    pending, timeout=delay if more else None,
                    return_when=_atasks.FIRST_COMPLETED)
                for t in done:
                    sock = t.result()
                    if sock is not None and winner is None:
                        winner = sock
                    elif sock is not None:
                        sock.close()  # connected in the same iteration
            await self._drop_attempts(pending)
            return winner
        except BaseException:
            if winner is not None:
                winner.close()
            raise
        finally:
            for t in pending:
                t.cancel()  # each closes its socket (_connect_one)

    async def _drop_attempts(self, pending):
        """Cancel the attempts still running and wait for them: each
        closes its socket; one that connected anyway is closed here."""
        for t in pending:
            t.cancel()
        if pending:
            for r in await _atasks.gather(*pending, return_exceptions=True):
                if isinstance(r, socket.socket):
                    r.close()

    async def _connect_one(self, errors, info, laddrs):
        """A socket connected to addrinfo `info`, or None with the OSError
        appended to `errors`."""
        fam, type_, prot, _, address = info
        sock = None
        try:
            sock = socket.socket(fam, type_, prot)
            sock.setblocking(False)
            if laddrs is not None:
                self._bind_local(sock, fam, laddrs)
            await self.sock_connect(sock, address)
            return sock
        except OSError as exc:
            errors.append(exc)
            if sock is not None:
                sock.close()
            return None
        except BaseException:
            if sock is not None:
                sock.close()
            raise

    @staticmethod
    def _bind_local(sock, fam, laddrs):
        last = None
        for lfam, _, _, _, laddr in laddrs:
            if lfam != fam:
                continue
            try:
                sock.bind(laddr)
                return
            except OSError as exc:
                last = OSError(exc.errno, "error while attempting to bind "
                               f"on address {laddr!r}: "
                               f"{exc.strerror.lower()}")
        if last is None:
            last = OSError(f"no matching local address with family={fam} "
                           "found")
        raise last

    async def create_unix_connection(
            self, protocol_factory, path=None, *, ssl=None, sock=None,
            server_hostname=None, ssl_handshake_timeout=None,
            ssl_shutdown_timeout=None):
        """Connect to the Unix socket at `path` (or use `sock`)."""
        if ssl:
            if server_hostname is None:
                raise ValueError("you have to pass server_hostname when "
                                 "using ssl")
        else:
            if server_hostname is not None:
                raise ValueError("server_hostname is only meaningful with "
                                 "ssl")
            _check_ssl_args(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if path is not None:
            if sock is not None:
                raise ValueError(
                    "path and sock can not be specified at the same time")
            path = os.fspath(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
            try:
                sock.setblocking(False)
                await self.sock_connect(sock, path)
            except BaseException:
                sock.close()
                raise
        else:
            if sock is None:
                raise ValueError("no path and sock were specified")
            if sock.family != socket.AF_UNIX or \
                    sock.type != socket.SOCK_STREAM:
                raise ValueError("A UNIX Domain Stream Socket was expected, "
                                 f"got {sock!r}")
        return await self._connection_for(
            sock, protocol_factory, ssl, server_hostname,
            handshake_timeout=ssl_handshake_timeout,
            shutdown_timeout=ssl_shutdown_timeout)

    async def connect_accepted_socket(
            self, protocol_factory, sock, *, ssl=None,
            ssl_handshake_timeout=None, ssl_shutdown_timeout=None):
        """A transport for `sock`, accepted outside the loop (server
        side)."""
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A Stream Socket was expected, got {sock!r}")
        _check_ssl_args(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if sock is not None:
            _check_plain_socket(sock)
        return await self._connection_for(
            sock, protocol_factory, ssl, "", server_side=True,
            handshake_timeout=ssl_handshake_timeout,
            shutdown_timeout=ssl_shutdown_timeout)

    # ---- servers ----

    async def create_server(
            self, protocol_factory, host=None, port=None, *,
            family=socket.AF_UNSPEC, flags=socket.AI_PASSIVE, sock=None,
            backlog=100, ssl=None, reuse_address=None, reuse_port=None,
            ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
            start_serving=True):
        """A Server listening on host:port (every address of host; all
        interfaces for None or "") or on `sock`."""
        if isinstance(ssl, bool):
            raise TypeError("ssl argument must be an SSLContext or None")
        _check_ssl_args(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if sock is not None:
            _check_plain_socket(sock)
        if host is not None or port is not None:
            if sock is not None:
                raise ValueError(
                    "host/port and sock can not be specified at the same "
                    "time")
            if reuse_address is None:
                reuse_address = os.name == "posix" and \
                    sys.platform != "cygwin"
            sockets = await self._bind_all(host, port, family, flags,
                                           reuse_address, reuse_port)
        else:
            if sock is None:
                raise ValueError("Neither host/port nor sock were specified")
            if sock.type != socket.SOCK_STREAM:
                raise ValueError(
                    f"A Stream Socket was expected, got {sock!r}")
            sockets = [sock]
        return await self._serve(sockets, protocol_factory, ssl, backlog,
                                 ssl_handshake_timeout, ssl_shutdown_timeout,
                                 start_serving)

    async def _serve(self, sockets, protocol_factory, ssl, backlog,
                     handshake_timeout, shutdown_timeout, start_serving):
        for s in sockets:
            s.setblocking(False)
        server = Server(self, sockets, protocol_factory, ssl, backlog,
                        handshake_timeout, shutdown_timeout)
        if start_serving:
            server._start_serving()
            await self._yield()
        return server

    async def _yield(self):
        from asyncio import tasks
        await tasks.sleep(0)

    async def _bind_all(self, host, port, family, flags, reuse_address,
                        reuse_port):
        if host == "":
            hosts = [None]
        elif isinstance(host, str) or not hasattr(host, "__iter__"):
            hosts = [host]
        else:
            hosts = list(host)
        infos = set()
        for h in hosts:
            infos.update(await self._resolve_server(h, port, family, flags))
        sockets = []
        try:
            for fam, type_, proto, _, sa in infos:
                try:
                    sock = socket.socket(fam, type_, proto)
                except socket.error:
                    continue  # a family this host cannot make
                sockets.append(sock)
                if reuse_address:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,
                                    True)
                if reuse_port:
                    if not hasattr(socket, "SO_REUSEPORT"):
                        raise ValueError("reuse_port not supported by socket "
                                         "module")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT,
                                    True)
                if fam == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                    True)
                try:
                    sock.bind(sa)
                except OSError as err:
                    raise OSError(err.errno, "error while attempting to bind "
                                  f"on address {sa!r}: "
                                  f"{err.strerror.lower()}") from None
        except BaseException:
            for s in sockets:
                s.close()
            raise
        return sockets

    async def _resolve_server(self, host, port, family, flags):
        infos = await self.getaddrinfo(host, port, family=family,
                                       type=socket.SOCK_STREAM, flags=flags)
        if not infos:
            raise OSError(f"getaddrinfo({host!r}) returned empty list")
        return infos

    async def create_unix_server(
            self, protocol_factory, path=None, *, sock=None, backlog=100,
            ssl=None, ssl_handshake_timeout=None, ssl_shutdown_timeout=None,
            start_serving=True):
        """A Server on the Unix socket at `path` (a stale socket file there
        is replaced) or on `sock`."""
        if isinstance(ssl, bool):
            raise TypeError("ssl argument must be an SSLContext or None")
        _check_ssl_args(ssl, ssl_handshake_timeout, ssl_shutdown_timeout)
        if path is not None:
            if sock is not None:
                raise ValueError(
                    "path and sock can not be specified at the same time")
            sock = self._unix_listener(os.fspath(path))
        else:
            if sock is None:
                raise ValueError(
                    "path was not specified, and no sock specified")
            if sock.family != socket.AF_UNIX or \
                    sock.type != socket.SOCK_STREAM:
                raise ValueError("A UNIX Domain Stream Socket was expected, "
                                 f"got {sock!r}")
        return await self._serve([sock], protocol_factory, ssl, backlog,
                                 ssl_handshake_timeout, ssl_shutdown_timeout,
                                 start_serving)

    @staticmethod
    def _unix_listener(path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if path and path[0] not in (0, "\x00"):
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    os.remove(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                logger.error("Unable to check or remove stale UNIX socket "
                             "%r: %r", path, err)
        try:
            sock.bind(path)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise OSError(errno.EADDRINUSE,
                              f"Address {path!r} is already in use") from None
            raise
        except BaseException:
            sock.close()
            raise
        return sock

    # ---- sendfile and start_tls ----

    async def sendfile(self, transport, file, offset=0, count=None, *,
                       fallback=True):
        """Send `file` over `transport` (os.sendfile on acore's socket
        transport, else by reading and writing); bytes sent."""
        if transport.is_closing():
            raise RuntimeError("Transport is closing")
        mode = getattr(transport, "_sendfile_compatible",
                       _constants._SendfileMode.UNSUPPORTED)
        if mode is _constants._SendfileMode.UNSUPPORTED:
            raise RuntimeError(
                f"sendfile is not supported for transport {transport!r}")
        if mode is _constants._SendfileMode.TRY_NATIVE:
            try:
                return await self._sendfile_transport(transport, file,
                                                      offset, count)
            except _aexc.SendfileNotAvailableError:
                if not fallback:
                    raise
        if not fallback:
            raise RuntimeError(
                f"fallback is disabled and native sendfile is not "
                f"supported for transport {transport!r}")
        return await self._sendfile_write(transport, file, offset, count)

    async def _sendfile_transport(self, transport, file, offset, count):
        from ._net import _check_sendfile_args
        _check_sendfile_args(transport._sock, file, offset, count)
        resume = transport.is_reading()
        transport.pause_reading()
        transport._sendfile_busy = True
        try:
            await transport._make_empty_waiter()
            return await self._sendfile_native(transport._sock, file,
                                               offset, count)
        finally:
            transport._sendfile_busy = False
            if resume:
                transport.resume_reading()

    async def _sendfile_write(self, transport, file, offset, count):
        if offset:
            file.seek(offset)
        block = min(count, 16384) if count else 16384
        buf = bytearray(block)
        sent = 0
        proto = _DrainWaiter(self, transport)
        try:
            while True:
                if count:
                    block = min(count - sent, block)
                    if block <= 0:
                        return sent
                view = memoryview(buf)[:block]
                n = await self.run_in_executor(None, file.readinto, view)
                if not n:
                    return sent
                await proto.drain()
                transport.write(view[:n])
                sent += n
        finally:
            if sent > 0 and hasattr(file, "seek"):
                file.seek(offset + sent)
            proto.restore()

    async def start_tls(self, transport, protocol, sslcontext, *,
                        server_side=False, server_hostname=None,
                        ssl_handshake_timeout=None,
                        ssl_shutdown_timeout=None):
        """Upgrade `transport` to TLS: the new transport for `protocol`."""
        if _ssl is None:
            raise RuntimeError("Python ssl module is not available")
        if not isinstance(sslcontext, _ssl.SSLContext):
            raise TypeError("sslcontext is expected to be an instance of "
                            f"ssl.SSLContext, got {sslcontext!r}")
        if not getattr(transport, "_start_tls_compatible", False):
            raise TypeError(
                f"transport {transport!r} is not supported by start_tls()")
        waiter = self.create_future()
        ssl_protocol = _sslproto.SSLProtocol(
            self, protocol, sslcontext, waiter, server_side, server_hostname,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout,
            call_connection_made=False)
        transport.pause_reading()
        transport.set_protocol(ssl_protocol)
        made = self.call_soon(ssl_protocol.connection_made, transport)
        resumed = self.call_soon(transport.resume_reading)
        try:
            await waiter
        except BaseException:
            transport.close()
            made.cancel()
            resumed.cancel()
            raise
        return ssl_protocol._app_transport


class _DrainWaiter:
    """Waits for a transport's protocol to be resumed: sendfile's fallback
    writes no faster than the transport drains (the protocol's
    pause_writing/resume_writing are intercepted meanwhile)."""

    def __init__(self, loop, transport):
        self._loop = loop
        self._transport = transport
        self._proto = transport.get_protocol()
        self._paused = False
        self._waiter = None
        self._reading = transport.is_reading()
        transport.pause_reading()
        transport.set_protocol(self)

    def pause_writing(self):
        self._paused = True

    def resume_writing(self):
        self._paused = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def connection_lost(self, exc):
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(
                exc or ConnectionError("Connection closed by peer"))
        self._proto.connection_lost(exc)

    def data_received(self, data):
        raise RuntimeError("Invalid state: reading should be paused")

    def eof_received(self):
        raise RuntimeError("Invalid state: reading should be paused")

    async def drain(self):
        if self._transport.is_closing():
            raise ConnectionError("Connection closed by peer")
        if self._paused:
            self._waiter = self._loop.create_future()
            await self._waiter

    def restore(self):
        self._transport.set_protocol(self._proto)
        if self._reading:
            self._transport.resume_reading()
