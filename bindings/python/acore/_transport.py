# SPDX-License-Identifier: MIT
"""acore's stream socket transport: asyncio's Transport contract (flow
control, half close, BufferedProtocol) on the loop's fd readiness.

Design notes
- Readiness callbacks are C Handles (loop._add_reader/_add_writer): the
  transport registers its bound methods once per state change, not per
  event.
- The hot paths are C (pyac_transport.c, the base class
  SocketTransportBase): _read_ready (recv, then data_received; or a
  BufferedProtocol's get_buffer / recv / buffer_updated), write()
  while nothing is buffered, and is_closing(); the state they read
  (_protocol, _buffer, _fd, _conn_lost, _closing, _eof_written,
  _sendfile_busy, _buffered) is the C base's fields. What is rare stays
  here: end of file, errors, buffered writes.
- Writes go straight to the socket while nothing is buffered; what the
  kernel does not take waits in one bytearray, sent when the socket is
  writable. The protocol is paused above the high-water mark and resumed
  at or below the low one (asyncio's semantics, default 64 KiB / 16 KiB).
- connection_lost runs exactly once, on a later iteration, after which
  the socket is closed and the transport lets go of protocol and loop.
"""

import collections
import socket
import warnings

from asyncio import constants as _constants
from asyncio import protocols as _protocols
from asyncio import transports as _transports
from asyncio.trsock import TransportSocket

from ._lowlevel import SocketTransportBase as _Base

_BLOCKED = (BlockingIOError, InterruptedError)


def _set_nodelay(sock):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and \
            sock.type == socket.SOCK_STREAM and \
            sock.proto == socket.IPPROTO_TCP:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SocketTransport(_Base, _transports.Transport):
    """A connected stream socket (TCP or Unix) as an asyncio transport."""

    _sock = None  # until __init__ has it (__del__ reads it)
    _start_tls_compatible = True
    _sendfile_compatible = _constants._SendfileMode.TRY_NATIVE

    def __init__(self, loop, sock, protocol, waiter=None, extra=None,
                 server=None):
        super().__init__(extra)
        self._extra["socket"] = TransportSocket(sock)
        try:
            self._extra["sockname"] = sock.getsockname()
        except OSError:
            self._extra["sockname"] = None
        if "peername" not in self._extra:
            try:
                self._extra["peername"] = sock.getpeername()
            except OSError:
                self._extra["peername"] = None
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._server = server
        self._buffer = bytearray()
        self._conn_lost = 0
        self._closing = False
        self._paused = False        # reading paused by pause_reading()
        self._eof = False           # the peer's end of file seen
        self._eof_written = False
        self._protocol_paused = False
        self._high = 64 * 1024
        self._low = 16 * 1024
        self._drain_waiters = None  # sendfile's waits for an empty buffer
        self._sendfile_busy = False  # loop.sendfile() writes meanwhile
        self._protocol = None
        self._protocol_connected = False
        self.set_protocol(protocol)
        if server is not None:
            server._attach()
        loop._transports[self._fd] = self
        _set_nodelay(sock)
        loop.call_soon(self._connection_made)
        if waiter is not None:
            loop.call_soon(_set_waiter, waiter)

    def _connection_made(self):
        self._protocol.connection_made(self)
        if not self._closing and not self._paused:
            self._loop._add_reader(self._fd, self._read_ready)

    def __repr__(self):
        info = [type(self).__name__]
        if self._sock is None:
            info.append("closed")
        elif self._closing:
            info.append("closing")
        info.append(f"fd={self._fd}")
        if self._sock is not None and not self._loop.is_closed():
            info.append("read=" + ("polling" if self.is_reading() else
                                   "idle"))
            size = len(self._buffer)
            info.append(f"write=<{'polling' if size else 'idle'}, "
                        f"bufsize={size}>")
        return "<{}>".format(" ".join(info))

    def __del__(self, _warn=warnings.warn):
        if self._sock is not None:
            _warn(f"unclosed transport {self!r}", ResourceWarning,
                  source=self)
            self._sock.close()

    # ---- protocol ----

    def set_protocol(self, protocol):
        self._buffered = isinstance(protocol, _protocols.BufferedProtocol)
        self._protocol = protocol
        self._protocol_connected = True

    def get_protocol(self):
        return self._protocol

    # ---- reading ----

    def is_reading(self):
        return not self._paused and not self._closing

    def pause_reading(self):
        if self._closing or self._paused:
            return
        self._paused = True
        self._loop._remove_reader(self._fd)

    def resume_reading(self):
        if self._closing or not self._paused:
            return
        self._paused = False
        if not self._eof:
            self._loop._add_reader(self._fd, self._read_ready)

    def _read_eof(self):
        self._eof = True
        self._loop._remove_reader(self._fd)
        try:
            keep_open = self._protocol.eof_received()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(
                exc, "Fatal error: protocol.eof_received() call failed.")
            return
        if not keep_open:
            self.close()

    # ---- writing ----

    # write() is C (the base class): it sends at once while nothing is
    # buffered and calls these for the rest.

    def _write_lost(self):
        """write() after the connection was lost: counted, warned about."""
        if self._conn_lost >= _constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES:
            from asyncio.log import logger
            logger.warning("socket.send() raised exception.")
        self._conn_lost += 1

    def _queue(self, data):
        """write() while data waits: append it."""
        self._buffer += data
        self._maybe_pause_protocol()

    def _queue_rest(self, data, sent):
        """write() sent the first `sent` bytes of `data`: buffer the rest
        and send it when the socket is writable."""
        if sent:
            data = memoryview(data).cast("B")[sent:]
        self._loop._add_writer(self._fd, self._write_ready)
        self._buffer += data
        self._maybe_pause_protocol()

    def writelines(self, list_of_data):
        self.write(b"".join(list_of_data))

    def _write_ready(self):
        if self._conn_lost:
            return
        try:
            n = self._sock.send(self._buffer)
        except _BLOCKED:
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop._remove_writer(self._fd)
            self._buffer.clear()
            self._fatal_error(exc, "Fatal write error on socket transport")
            self._wake_drain(exc)
            return
        if n:
            del self._buffer[:n]
        self._maybe_resume_protocol()
        if self._buffer:
            return
        self._loop._remove_writer(self._fd)
        self._wake_drain(None)
        if self._closing:
            self._call_soon_lost(None)
        elif self._eof_written:
            self._shutdown_write()

    def _shutdown_write(self):
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def can_write_eof(self):
        return True

    def write_eof(self):
        if self._closing or self._eof_written:
            return
        self._eof_written = True
        if not self._buffer:
            self._shutdown_write()

    # ---- flow control ----

    def get_write_buffer_size(self):
        return len(self._buffer)

    def get_write_buffer_limits(self):
        return (self._low, self._high)

    def set_write_buffer_limits(self, high=None, low=None):
        if high is None:
            high = 64 * 1024 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(
                f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high = high
        self._low = low
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self):
        if len(self._buffer) <= self._high or self._protocol_paused:
            return
        self._protocol_paused = True
        self._tell_protocol("pause_writing")

    def _maybe_resume_protocol(self):
        if not self._protocol_paused or len(self._buffer) > self._low:
            return
        self._protocol_paused = False
        self._tell_protocol("resume_writing")

    def _tell_protocol(self, name):
        """Call protocol.<name>(); its error goes to the loop's handler."""
        try:
            getattr(self._protocol, name)()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop.call_exception_handler({
                "message": f"protocol.{name}() failed",
                "exception": exc, "transport": self,
                "protocol": self._protocol})

    def _make_empty_waiter(self):
        """A future done once the write buffer is empty (sendfile)."""
        fut = self._loop.create_future()
        if not self._buffer:
            fut.set_result(None)
            return fut
        if self._drain_waiters is None:
            self._drain_waiters = collections.deque()
        self._drain_waiters.append(fut)
        return fut

    def _wake_drain(self, exc):
        waiters = self._drain_waiters
        self._drain_waiters = None
        while waiters:
            fut = waiters.popleft()
            if fut.done():
                continue
            if exc is None:
                fut.set_result(None)
            else:
                fut.set_exception(exc)

    # ---- closing ----

    def close(self):
        if self._closing:
            return
        self._closing = True
        self._loop._remove_reader(self._fd)
        if not self._buffer:
            self._conn_lost += 1
            self._loop._remove_writer(self._fd)
            self._loop.call_soon(self._call_connection_lost, None)

    def _call_soon_lost(self, exc):
        self._conn_lost += 1
        self._loop.call_soon(self._call_connection_lost, exc)

    def abort(self):
        self._force_close(None)

    def _fatal_error(self, exc, message="Fatal error on transport"):
        if isinstance(exc, OSError):
            if self._loop.get_debug():
                from asyncio.log import logger
                logger.debug("%r: %s", self, message, exc_info=True)
        else:
            self._loop.call_exception_handler({
                "message": message, "exception": exc, "transport": self,
                "protocol": self._protocol})
        self._force_close(exc)

    def _force_close(self, exc):
        if self._conn_lost:
            return
        if self._buffer:
            self._buffer.clear()
            self._loop._remove_writer(self._fd)
        self._wake_drain(ConnectionError("Connection is closed by peer")
                         if exc is None else exc)
        if not self._closing:
            self._closing = True
            self._loop._remove_reader(self._fd)
        self._call_soon_lost(exc)

    def _call_connection_lost(self, exc):
        try:
            if self._protocol_connected:
                self._protocol.connection_lost(exc)
        finally:
            self._loop._transports.pop(self._fd, None)
            self._loop._remove_reader(self._fd)
            self._loop._remove_writer(self._fd)
            self._sock.close()
            self._sock = None
            self._protocol = None
            server = self._server
            self._server = None
            if server is not None:
                server._detach()


def _set_waiter(waiter):
    if not waiter.cancelled():
        waiter.set_result(None)
