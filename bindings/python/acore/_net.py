# SPDX-License-Identifier: MIT
"""The network half of acore.Loop: fd readiness, the sock_* coroutines,
name resolution, socket transports, servers and TLS.

NetLoopMixin is a base class of acore.Loop. Readiness itself is C
(pyac_io.c: _add_reader, _remove_reader, _add_writer, _remove_writer, the
forms transports use); this module adds asyncio's public checks around it
and everything built on it.

Name resolution runs on acore's DNS (acore/dns.h: getaddrinfo(3) and
getnameinfo(3) with hints and flags, on libuv's thread pool; pyac_dns.c),
with socket.getaddrinfo/getnameinfo's argument conversions and errors
(socket.gaierror with the platform's EAI_* code), so the answers are
asyncio's. What acore's resolver cannot take - a family other than
AF_UNSPEC/AF_INET/AF_INET6, an unknown type or flag, a host or port
socket would reject or convert otherwise, a getnameinfo address that is
not plain numeric text with flowinfo and scope_id 0 - goes to
socket.getaddrinfo/getnameinfo on the default executor, as on asyncio.
"""

import errno as _errno
import os as _os
import socket as _socket
import stat as _stat
import weakref as _weakref

try:
    import ssl as _ssl
except ImportError:  # pragma: no cover
    _ssl = None

from asyncio import exceptions as _aexc

from . import _lowlevel
from ._connect import ConnectMixin

_HAS_IPV6 = hasattr(_socket, "AF_INET6")
_SENDFILE_CHUNK = 256 * 1024
_BLOCKED = (BlockingIOError, InterruptedError)


def _fd_of(fileobj):
    """asyncio's view of a file object as an fd (ValueError if none)."""
    if isinstance(fileobj, int):
        return fileobj
    try:
        return int(fileobj.fileno())
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"Invalid file object: {fileobj!r}") from None


def _check_plain_socket(sock):
    if _ssl is not None and isinstance(sock, _ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")


def _numeric_host(host, family):
    """The family of `host` if it is a numeric address of a family
    `family` allows (no lookup needed), else None."""
    if not isinstance(host, (str, bytes)):
        return None
    if isinstance(host, bytes):
        try:
            host = host.decode("idna")
        except UnicodeError:
            return None
    fams = [family] if family else [_socket.AF_INET, _socket.AF_INET6]
    for fam in fams:
        if fam not in (_socket.AF_INET, _socket.AF_INET6):
            continue
        try:
            _socket.inet_pton(fam, host.partition("%")[0]
                              if fam == _socket.AF_INET6 else host)
            return fam
        except (OSError, ValueError):
            continue
    return None


def _numeric_addrinfo(host, port, family, type, proto):
    """asyncio's shortcut: a numeric host with a numeric port resolves to
    itself (one entry) without a resolver call; None otherwise."""
    if port is None:
        port = 0
    elif isinstance(port, bytes) and port == b"":
        port = 0
    elif isinstance(port, str) and port == "":
        port = 0
    else:
        try:
            port = int(port)
        except (TypeError, ValueError):
            return None
    if type == _socket.SOCK_STREAM:
        proto = proto or _socket.IPPROTO_TCP
    elif type == _socket.SOCK_DGRAM:
        proto = proto or _socket.IPPROTO_UDP
    else:
        return None
    if host is None:
        return None
    fam = _numeric_host(host, family)
    if fam is None:
        return None
    if isinstance(host, bytes):
        host = host.decode("idna")
    if fam == _socket.AF_INET6:
        addr, _, scope = host.partition("%")
        return fam, type, proto, "", (addr, port, 0, int(scope)
                                      if scope.isdigit() else 0) \
            if scope else (host, port, 0, 0)
    return fam, type, proto, "", (host, port)


class NetLoopMixin(ConnectMixin):
    """asyncio's I/O methods for acore.Loop (a mixin: acore.Loop derives
    from it and from the C LoopBase, which provides _add_reader & co)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # fd -> transport, for asyncio's "fd used by a transport" check
        self._transports = _weakref.WeakValueDictionary()

    # ---- readiness -------------------------------------------------------

    def _ensure_fd_no_transport(self, fd):
        fileno = _fd_of(fd)
        transport = self._transports.get(fileno)
        if transport is not None and not transport.is_closing():
            raise RuntimeError(
                f"File descriptor {fd!r} is used by transport {transport!r}")

    def add_reader(self, fd, callback, *args):
        """Call callback(*args) whenever `fd` (an int or an object with
        fileno()) is readable; replaces a previous reader of `fd`."""
        self._ensure_fd_no_transport(fd)
        self._add_reader(fd, callback, *args)

    def remove_reader(self, fd):
        """Stop watching `fd` for reading; True if it was watched."""
        self._ensure_fd_no_transport(fd)
        return self._remove_reader(fd)

    def add_writer(self, fd, callback, *args):
        """Call callback(*args) whenever `fd` is writable."""
        self._ensure_fd_no_transport(fd)
        self._add_writer(fd, callback, *args)

    def remove_writer(self, fd):
        """Stop watching `fd` for writing; True if it was watched."""
        self._ensure_fd_no_transport(fd)
        return self._remove_writer(fd)

    def _stop_serving(self, sock):
        """Stop watching listening `sock` and close it (asyncio's private
        name, which asyncio's own tests call)."""
        self._remove_reader(sock.fileno())
        sock.close()

    async def _wait_fd(self, fd, write):
        """Wait until `fd` is readable (or writable): one wake-up."""
        fut = self.create_future()
        if write:
            handle = self._add_writer(fd, _wake, fut)
        else:
            handle = self._add_reader(fd, _wake, fut)
        try:
            await fut
        finally:
            # unless another wait replaced ours (which cancelled it)
            if not handle.cancelled():
                if write:
                    self._remove_writer(fd)
                else:
                    self._remove_reader(fd)

    def _sock_check(self, sock):
        _check_plain_socket(sock)
        if self._debug and sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")

    async def _sock_io(self, sock, write, op, *args):
        """sock.<op>(*args) on a non-blocking socket, waiting while it
        would block (the method is looked up on each try, as asyncio
        does)."""
        self._sock_check(sock)
        try:
            return getattr(sock, op)(*args)
        except _BLOCKED:
            pass
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        while True:
            await self._wait_fd(fd, write)
            try:
                return getattr(sock, op)(*args)
            except _BLOCKED:
                continue

    # ---- sock_* ------------------------------------------------------------

    async def sock_recv(self, sock, n):
        """Receive up to `n` bytes from non-blocking `sock`."""
        return await self._sock_io(sock, False, "recv", n)

    async def sock_recv_into(self, sock, buf):
        """Receive into `buf`; the number of bytes received."""
        return await self._sock_io(sock, False, "recv_into", buf)

    async def sock_recvfrom(self, sock, bufsize):
        """A datagram of up to `bufsize` bytes and its sender's address."""
        return await self._sock_io(sock, False, "recvfrom", bufsize)

    async def sock_recvfrom_into(self, sock, buf, nbytes=0):
        """recvfrom_into: (bytes received, sender's address)."""
        if not nbytes:
            nbytes = len(buf)
        return await self._sock_io(sock, False, "recvfrom_into", buf,
                                   nbytes)

    async def sock_sendto(self, sock, data, address):
        """Send datagram `data` to `address`; the number of bytes sent."""
        return await self._sock_io(sock, True, "sendto", data, address)

    async def sock_sendall(self, sock, data):
        """Send all of `data`, waiting while the socket's buffer is full."""
        self._sock_check(sock)
        try:
            n = sock.send(data)
        except _BLOCKED:
            n = 0
        if n == len(data):
            return
        view = memoryview(data).cast("B")
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        while n < len(view):
            await self._wait_fd(fd, True)
            try:
                n += sock.send(view[n:])
            except _BLOCKED:
                continue

    async def sock_connect(self, sock, address):
        """Connect `sock` to `address` (host names resolved first)."""
        self._sock_check(sock)
        if sock.family == _socket.AF_INET or (
                _HAS_IPV6 and sock.family == _socket.AF_INET6):
            infos = await self._resolve(address, family=sock.family,
                                        type=sock.type, proto=sock.proto)
            address = infos[0][4]
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        try:
            sock.connect(address)
            return
        except _BLOCKED:
            pass
        while True:
            await self._wait_fd(fd, True)
            err = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_ERROR)
            if err in (_errno.EINPROGRESS, _errno.EAGAIN, _errno.EINTR):
                continue
            if err != 0:
                raise OSError(err, f"Connect call failed {address}")
            return

    async def sock_accept(self, sock):
        """Accept a connection: (new non-blocking socket, its address)."""
        conn, address = await self._sock_io(sock, False, "accept")
        conn.setblocking(False)
        return conn, address

    async def sock_sendfile(self, sock, file, offset=0, count=None, *,
                            fallback=True):
        """Send `file` (binary, from `offset`, `count` bytes or to its
        end) over stream socket `sock` with os.sendfile, or by reading and
        sending it when that is not possible and `fallback` is true.
        Returns the number of bytes sent; the file's position is left
        after them."""
        self._sock_check(sock)
        _check_sendfile_args(sock, file, offset, count)
        try:
            return await self._sendfile_native(sock, file, offset, count)
        except _aexc.SendfileNotAvailableError:
            if not fallback:
                raise
        return await self._sendfile_copy(sock, file, offset, count)

    async def _sendfile_native(self, sock, file, offset, count):
        try:
            fileno = file.fileno()
        except (AttributeError, OSError) as exc:
            raise _aexc.SendfileNotAvailableError(
                "not a regular file") from exc
        except Exception as exc:  # io.UnsupportedOperation
            raise _aexc.SendfileNotAvailableError(
                "not a regular file") from exc
        if not hasattr(_os, "sendfile"):
            raise _aexc.SendfileNotAvailableError(
                "os.sendfile() is not available")
        try:
            st = _os.fstat(fileno)
        except OSError:
            raise _aexc.SendfileNotAvailableError("not a regular file")
        if not _stat.S_ISREG(st.st_mode):
            raise _aexc.SendfileNotAvailableError("not a regular file")
        if not (count or st.st_size):
            return 0
        sent = 0
        fd = sock.fileno()
        try:
            while True:
                want = min((count - sent) if count else st.st_size,
                           0x7fff0000)
                if want <= 0:
                    break
                try:
                    n = _os.sendfile(fd, fileno, offset + sent, want)
                except _BLOCKED:
                    await self._wait_fd(fd, True)
                    continue
                except OSError as exc:
                    if sent == 0 and exc.errno in (
                            _errno.ENOTSOCK, _errno.EINVAL,
                            _errno.EOPNOTSUPP, _errno.ENOSYS):
                        raise _aexc.SendfileNotAvailableError(
                            "os.sendfile() failed") from exc
                    raise
                if n == 0:
                    break  # end of file
                sent += n
        finally:
            if sent > 0:
                file.seek(offset + sent)
        return sent

    async def _sendfile_copy(self, sock, file, offset, count):
        if offset:
            file.seek(offset)
        block = min(count, _SENDFILE_CHUNK) if count else _SENDFILE_CHUNK
        buf = bytearray(block)
        sent = 0
        try:
            while True:
                if count:
                    block = min(count - sent, block)
                    if block <= 0:
                        break
                view = memoryview(buf)[:block]
                n = await self.run_in_executor(None, file.readinto, view)
                if not n:
                    break
                await self.sock_sendall(sock, view[:n])
                sent += n
            return sent
        finally:
            if sent > 0 and hasattr(file, "seek"):
                file.seek(offset + sent)

    # ---- names ----------------------------------------------------------

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0,
                          flags=0):
        """socket.getaddrinfo's answer, on acore's DNS (see the module's
        note); what it cannot take, on the default executor."""
        args = _gai_args(host, port, family, type, proto, flags)
        fut = None if args is None else _lowlevel._getaddrinfo(self, *args)
        if fut is None:
            return await self.run_in_executor(
                None, _socket.getaddrinfo, host, port, family, type, proto,
                flags)
        try:
            await fut
        except Exception:
            pass  # raised below as socket raises it
        return [(_enum(f, _socket.AddressFamily),
                 _enum(t, _socket.SocketKind), p, c, sa)
                for f, t, p, c, sa in _lowlevel._addrinfo_result(fut)]

    async def getnameinfo(self, sockaddr, flags=0):
        """socket.getnameinfo's answer, on acore's DNS for a numeric
        address; else on the default executor."""
        args = _gni_args(sockaddr, flags)
        fut = None if args is None else _lowlevel._getnameinfo(self, *args)
        if fut is None:
            return await self.run_in_executor(None, _socket.getnameinfo,
                                              sockaddr, flags)
        try:
            await fut
        except Exception:
            pass
        return _lowlevel._nameinfo_result(fut)

    async def _resolve(self, address, *, family=0, type=_socket.SOCK_STREAM,
                       proto=0, flags=0):
        """Addresses for (host, port, ...) of `family`: a numeric host
        without a lookup, else getaddrinfo. OSError if none."""
        host, port = address[:2]
        info = _numeric_addrinfo(host, port, family, type, proto)
        if info is not None:
            if len(address) > 2 and info[0] == _socket.AF_INET6:
                info = info[:4] + ((info[4][0], info[4][1]) +
                                   tuple(address[2:]),)
            return [info]
        infos = await self.getaddrinfo(host, port, family=family, type=type,
                                       proto=proto, flags=flags)
        if not infos:
            raise OSError(f"getaddrinfo({host!r}) returned empty list")
        return infos


_LONG = 1 << 63


def _enum(value, cls):
    """socket.py's _intenum_converter."""
    try:
        return cls(value)
    except ValueError:
        return value


def _small_int(v, lo=-(1 << 31), hi=1 << 31):
    """An int (or IntEnum) that socket's "i" conversion takes as is."""
    return isinstance(v, int) and lo <= v < hi


def _gai_args(host, port, family, type, proto, flags):
    """socket.getaddrinfo's conversions of host and port (its errors
    raised as it raises them): (host, port, family, type, proto, flags)
    for pyac_dns.c, or None for the executor."""
    if host is None:
        h = None
    elif isinstance(host, str):
        h = host.encode("idna")
    elif isinstance(host, bytes):
        h = host
    else:
        raise TypeError("getaddrinfo() argument 1 must be string or None")
    if port.__class__ is int:
        if not -_LONG <= port < _LONG:
            return None  # socket's OverflowError
        p = b"%d" % port
    elif isinstance(port, str):
        p = port.encode("utf-8")
    elif isinstance(port, bytes):
        p = port
    elif port is None:
        p = None
    else:
        raise OSError("Int or String expected")
    if not all(_small_int(v) for v in (family, type, proto, flags)):
        return None  # socket's own conversion and errors
    if (h is not None and (b"\0" in h or not 0 < len(h) <= 253)) or \
            (p is not None and b"\0" in p):
        return None
    return h, p, int(family), int(type), int(proto), int(flags)


def _gni_args(sockaddr, flags):
    """(host, port, flags) for pyac_dns.c when socket.getnameinfo would
    look up plain numeric text with flowinfo and scope_id 0; else None
    (the executor, with socket's own checks and errors)."""
    if sockaddr.__class__ is not tuple or len(sockaddr) not in (2, 4) or \
            not _small_int(flags):
        return None
    host, port = sockaddr[:2]
    if not isinstance(host, str) or "\0" in host or \
            not _small_int(port, 0, 65536):
        return None
    if len(sockaddr) == 4:
        if any(not _small_int(v) or v != 0 for v in sockaddr[2:]):
            return None
        families = (_socket.AF_INET6,)
    else:
        families = (_socket.AF_INET, _socket.AF_INET6)
    for fam in families:
        try:
            _socket.inet_pton(fam, host)
            return host, int(port), int(flags)
        except (OSError, ValueError):
            pass
    return None


def _wake(fut):
    if not fut.done():
        fut.set_result(None)


def _check_sendfile_args(sock, file, offset, count):
    if "b" not in getattr(file, "mode", "b"):
        raise ValueError("file should be opened in binary mode")
    if not sock.type == _socket.SOCK_STREAM:
        raise ValueError("only SOCK_STREAM type sockets are supported")
    if count is not None:
        if not isinstance(count, int):
            raise TypeError(
                f"count must be a positive integer (got {count!r})")
        if count <= 0:
            raise ValueError(
                f"count must be a positive integer (got {count!r})")
    if not isinstance(offset, int):
        raise TypeError(
            f"offset must be a non-negative integer (got {offset!r})")
    if offset < 0:
        raise ValueError(
            f"offset must be a non-negative integer (got {offset!r})")
