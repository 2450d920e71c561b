# SPDX-License-Identifier: MIT
"""acore's loop: signal handlers, subprocesses, pipes and datagram endpoints.

_ProcMixin is a base of acore.Loop. It gives asyncio's public methods
add_signal_handler / remove_signal_handler (on acore's C signals,
acore/signal.h), subprocess_exec / subprocess_shell (on acore's child
processes, acore/process.h: no asyncio child watcher is involved),
connect_read_pipe / connect_write_pipe and create_datagram_endpoint.

The transports are asyncio's own classes for Unix pipes, subprocesses and
datagram sockets (asyncio.unix_events, asyncio.base_subprocess,
asyncio.selector_events), so their behaviour - protocol callbacks and
their order, flow control, errors - is asyncio's exactly; they run on the
loop's readiness methods (_add_reader / _remove_reader / _add_writer /
_remove_writer on acore's fd watchers). The child process under the
subprocess transport is _Child, a subprocess.Popen look-alike over
acore._lowlevel.Process.

Popen arguments: cwd, env, stdin/stdout/stderr (PIPE, DEVNULL, STDOUT, an
fd, a file object, None), pass_fds (made inheritable for the spawn),
start_new_session (ACORE_PROCESS_NEW_SESSION), close_fds (True and False
behave alike: the child gets its three standard streams, pass_fds and the
fds the parent marked inheritable; every fd Python opens is
non-inheritable) run on acore's spawn. The transport's
get_extra_info("subprocess") is then the _Child, not a subprocess.Popen;
its blocking wait() leaves the child for acore to reap (waitid WNOWAIT).

The arguments acore_process cannot do - preexec_fn, process_group, user,
group, extra_groups, umask, restore_signals=False, pipesize, executable,
startupinfo, creationflags - at a value other than their default make
that one call spawn with subprocess.Popen itself, as asyncio does (same
behaviour, same errors; get_extra_info("subprocess") is the Popen). Its
exit is watched without a thread or SIGCHLD: a pidfd (os.pidfd_open) on
the loop's readiness, whose readability says the child exited; then
Popen.poll() reaps it. (Where pidfd_open fails, poll() every 10 ms.)

No asyncio child watcher is used or needed. A watcher attached to an acore
loop (asyncio's SafeChildWatcher / FastChildWatcher attach_loop) has its
SIGCHLD handler recorded but not installed, so its waitpid() never takes
an acore child's exit status.
"""

import asyncio.base_events as _base_events
import asyncio.base_subprocess as _base_subprocess
import asyncio.coroutines as _acoroutines
import asyncio.events as _events
import asyncio.selector_events as _selector_events
import asyncio.unix_events as _unix_events
import errno as _errno
import functools as _functools
import os as _os
import signal as _signal
import subprocess as _subprocess
import sys as _sys
import threading as _threading
import time as _time

from . import _lowlevel

__all__ = []

# Popen's keyword arguments at the values acore's spawn always has.
_POPEN_DEFAULTS = {
    "close_fds": True, "pass_fds": (), "preexec_fn": None,
    "process_group": None, "user": None, "group": None,
    "extra_groups": None, "umask": -1,
    "restore_signals": True, "executable": None, "startupinfo": None,
    "creationflags": 0, "pipesize": -1,
}


def _needs_popen(kwargs):
    """True when a Popen argument acore's spawn cannot do has a value
    other than its default (that call then uses subprocess.Popen)."""
    for name, value in kwargs.items():
        if name not in _POPEN_DEFAULTS:
            raise TypeError(
                f"subprocess: unexpected keyword argument {name!r}")
        default = _POPEN_DEFAULTS[name]
        if name in ("close_fds", "pass_fds"):
            continue  # see _Child._spawn
        if value is not default and value != default:
            return True
    return False


def _fileno(obj):
    if isinstance(obj, int):
        if obj < 0:  # as Popen: the child's dup2() fails
            raise OSError(_errno.EBADF, _os.strerror(_errno.EBADF))
        return obj
    try:
        return obj.fileno()
    except AttributeError:
        raise TypeError(f"stdio must be PIPE, DEVNULL, STDOUT, an fd, a "
                        f"file object or None, not {obj!r}") from None


def _env_list(env):
    out = []
    for k, v in env.items():
        k = _os.fsencode(k)
        if b"=" in k or not k:
            raise ValueError("illegal environment variable name")
        out.append(k + b"=" + _os.fsencode(v))
    return out


class _Child:
    """A subprocess.Popen look-alike on an acore child process: what
    asyncio's subprocess transport uses (pid, stdin/stdout/stderr pipe
    ends, returncode, poll, send_signal, terminate, kill)."""

    def __init__(self, loop, args, shell, stdin, stdout, stderr, cwd=None,
                 env=None, pass_fds=(), start_new_session=False):
        if shell:
            args = ["/bin/sh", "-c", args]
        elif isinstance(args, (str, bytes, _os.PathLike)):
            args = [args]
        argv = [_os.fsencode(a) for a in args]
        self.args = args
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None
        self._proc = None
        self._child_ends = []
        try:
            stdio = self._stdio(stdin, stdout, stderr)
            env = None if env is None else _env_list(env)
            cwd = None if cwd is None else _os.fsencode(cwd)
            try:
                flags = (_lowlevel.PROCESS_NEW_SESSION if start_new_session
                         else 0)
                self._proc = self._spawn(loop, argv, env, cwd, stdio,
                                         pass_fds, flags)
            except FileNotFoundError as exc:
                if cwd is not None and not _os.path.isdir(cwd):
                    exc.filename = _os.fsdecode(cwd)
                else:
                    exc.filename = args[0]
                raise
            except (PermissionError, NotADirectoryError) as exc:
                exc.filename = args[0]
                raise
        except BaseException:
            for f in (self.stdin, self.stdout, self.stderr):
                if f is not None:
                    f.close()
            raise
        finally:
            for fd in self._child_ends:
                _os.close(fd)
            self._child_ends = None
        self.pid = self._proc.pid

    @staticmethod
    def _spawn(loop, argv, env, cwd, stdio, pass_fds, flags):
        # The child inherits the parent's inheritable fds (libuv closes
        # none): pass_fds are made inheritable for the spawn; every fd
        # Python opens is non-inheritable, so close_fds=True holds for them.
        made = [fd for fd in pass_fds if not _os.get_inheritable(fd)]
        try:
            for fd in made:
                _os.set_inheritable(fd, True)
            return _lowlevel.Process(loop, argv, env, cwd, stdio, flags)
        finally:
            for fd in made:
                _os.set_inheritable(fd, False)

    def _pipe(self, index):
        r, w = _os.pipe()
        if index == 0:
            self._child_ends.append(r)
            self.stdin = open(w, "wb", buffering=0)
            return (_lowlevel.STDIO_FD, r)
        self._child_ends.append(w)
        f = open(r, "rb", buffering=0)
        if index == 1:
            self.stdout = f
        else:
            self.stderr = f
        return (_lowlevel.STDIO_FD, w)

    def _one(self, index, spec):
        if spec is None:
            return (_lowlevel.STDIO_INHERIT, -1)
        if spec == _subprocess.PIPE:
            return self._pipe(index)
        if spec == _subprocess.DEVNULL:
            return (_lowlevel.STDIO_IGNORE, -1)
        return (_lowlevel.STDIO_FD, _fileno(spec))

    def _stdio(self, stdin, stdout, stderr):
        s0 = self._one(0, stdin)
        s1 = self._one(1, stdout)
        if stderr == _subprocess.STDOUT:
            s2 = s1 if s1[0] != _lowlevel.STDIO_INHERIT else (
                _lowlevel.STDIO_FD, 1)
        else:
            s2 = self._one(2, stderr)
        return (s0, s1, s2)

    def poll(self):
        if self.returncode is None and self._proc is not None:
            self.returncode = self._proc.returncode()
        return self.returncode

    def wait(self, timeout=None):
        """Block until the child exits (Popen.wait): waitid(WNOWAIT) leaves
        the child for acore to reap."""
        if self.poll() is not None:
            return self.returncode
        deadline = None if timeout is None else _time.monotonic() + timeout
        flags = _os.WEXITED | _os.WNOWAIT
        while True:
            if deadline is None:
                info = _os.waitid(_os.P_PID, self.pid, flags)
            else:
                info = _os.waitid(_os.P_PID, self.pid, flags | _os.WNOHANG)
                if info is None:
                    if _time.monotonic() >= deadline:
                        raise _subprocess.TimeoutExpired(self.args, timeout)
                    _time.sleep(0.001)
                    continue
            break
        code = info.si_status
        if info.si_code != _os.CLD_EXITED:
            code = -code
        self.returncode = code
        return code

    def send_signal(self, sig):
        if self.poll() is not None:
            return  # as Popen: never signal a pid that may be reused
        try:
            self._proc.kill(sig)
        except ProcessLookupError:
            pass

    def terminate(self):
        self.send_signal(_signal.SIGTERM)

    def kill(self):
        self.send_signal(_signal.SIGKILL)

    def __repr__(self):
        return f"<acore child: returncode: {self.returncode} args: " \
               f"{self.args!r}>"


class _SubprocessTransport(_base_subprocess.BaseSubprocessTransport):
    """asyncio's subprocess transport on an acore child."""

    def _start(self, args, shell, stdin, stdout, stderr, bufsize,
               cwd=None, env=None, pass_fds=(), start_new_session=False,
               **kwargs):
        if _needs_popen(kwargs):  # as asyncio's _UnixSubprocessTransport
            self._proc = _subprocess.Popen(
                args, shell=shell, stdin=stdin, stdout=stdout, stderr=stderr,
                universal_newlines=False, bufsize=bufsize, cwd=cwd, env=env,
                pass_fds=pass_fds, start_new_session=start_new_session,
                **kwargs)
            return
        self._proc = _Child(self._loop, args, shell, stdin, stdout, stderr,
                            cwd, env, pass_fds, start_new_session)


class _DatagramTransport(_selector_events._SelectorDatagramTransport):
    """asyncio's datagram transport on acore's readiness methods."""

    def __repr__(self):
        info = [self.__class__.__name__]
        if self._sock is None:
            info.append("closed")
        elif self._closing:
            info.append("closing")
        info.append(f"fd={self._sock_fd}")
        info.append(f"bufsize={self.get_write_buffer_size()}")
        return "<{}>".format(" ".join(info))


def _sighandler_noop(signum, frame):
    """Python's record of a signal acore handles (acore's C handler is the
    real one)."""


class _ProcMixin:
    """Signal handlers, subprocesses, pipes and datagram endpoints for
    acore.Loop (a base class of it)."""

    @_functools.cached_property
    def _signal_handlers(self):  # signum -> (asyncio Handle, acore Signal)
        return {}

    # ---- signals ----

    def _check_signal(self, sig):
        if not isinstance(sig, int):
            raise TypeError(f"sig must be an int, not {sig!r}")
        if sig not in _signal.valid_signals():
            raise ValueError(f"invalid signal number {sig}")

    def add_signal_handler(self, sig, callback, *args):
        """Call callback(*args) on the loop at every delivery of `sig`;
        replaces the loop's previous handler of `sig`. Main thread only."""
        if (_acoroutines.iscoroutine(callback) or
                _acoroutines.iscoroutinefunction(callback)):
            raise TypeError("coroutines cannot be used "
                            "with add_signal_handler()")
        self._check_signal(sig)
        if self.is_closed():
            raise RuntimeError("Event loop is closed")
        if _threading.current_thread() is not _threading.main_thread():
            raise RuntimeError("set_wakeup_fd only works in main thread "
                               "of the main interpreter")
        handle = _events.Handle(callback, args, self, None)
        old = self._signal_handlers.pop(sig, None)
        if old is not None and old[1] is not None:
            old[1].close()  # libuv lets the signal go before Python takes it
        if sig == _signal.SIGCHLD and isinstance(
                getattr(callback, "__self__", None),
                _unix_events.AbstractChildWatcher):
            # An asyncio child watcher attached to this loop: acore reaps
            # its own children, and a watcher's waitpid(-1) would take
            # their exit status from it. Recorded, never installed.
            self._signal_handlers[sig] = (handle, None)
            return
        try:
            if sig != _signal.SIGCHLD:  # libuv's own, for acore's children
                _signal.signal(sig, _sighandler_noop)
            csig = _lowlevel.Signal(self, sig, self._signal_fired)
        except (OSError, ValueError) as exc:
            if sig in (_signal.SIGKILL, _signal.SIGSTOP) or (
                    isinstance(exc, OSError) and exc.errno == _errno.EINVAL):
                raise RuntimeError(f"sig {sig} cannot be caught") from None
            raise RuntimeError(str(exc)) from None
        self._signal_handlers[sig] = (handle, csig)

    def _signal_fired(self, sig):
        entry = self._signal_handlers.get(sig)
        if entry is None:
            return
        handle = entry[0]
        if handle._cancelled:
            self.remove_signal_handler(sig)
        else:
            handle._run()

    def remove_signal_handler(self, sig):
        """Remove the loop's handler of `sig` and restore the default
        disposition (SIGINT: KeyboardInterrupt). True if there was one."""
        self._check_signal(sig)
        entry = self._signal_handlers.pop(sig, None)
        if entry is None:
            return False
        if entry[1] is None:
            return True  # a child watcher's: never installed
        entry[1].close()
        if sig != _signal.SIGCHLD:
            handler = (_signal.default_int_handler if sig == _signal.SIGINT
                       else _signal.SIG_DFL)
            try:
                _signal.signal(sig, handler)
            except ValueError:  # not the main thread: libuv restored SIG_DFL
                pass
        return True

    @_functools.cached_property
    def _popen_watches(self):  # _PopenWatch of subprocess.Popen children
        return set()

    def _close(self):
        if "_signal_handlers" in self.__dict__ and not _sys.is_finalizing():
            for sig in list(self._signal_handlers):
                self.remove_signal_handler(sig)
        for w in list(self.__dict__.get("_popen_watches", ())):
            w.close()
        super()._close()

    # ---- subprocesses ----

    subprocess_exec = _base_events.BaseEventLoop.subprocess_exec
    subprocess_shell = _base_events.BaseEventLoop.subprocess_shell
    _log_subprocess = _base_events.BaseEventLoop._log_subprocess

    async def _make_subprocess_transport(self, protocol, args, shell,
                                         stdin, stdout, stderr, bufsize,
                                         extra=None, **kwargs):
        waiter = self.create_future()
        transp = _SubprocessTransport(self, protocol, args, shell, stdin,
                                      stdout, stderr, bufsize, waiter=waiter,
                                      extra=extra, **kwargs)
        if isinstance(transp._proc, _Child):
            exited = transp._proc._proc.wait()
            exited.add_done_callback(
                _functools.partial(_child_exited, transp))
        else:
            _PopenWatch(self, transp)
        try:
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transp.close()
            await transp._wait()
            raise
        return transp

    # ---- pipes ----

    connect_read_pipe = _base_events.BaseEventLoop.connect_read_pipe
    connect_write_pipe = _base_events.BaseEventLoop.connect_write_pipe

    def _make_read_pipe_transport(self, pipe, protocol, waiter=None,
                                  extra=None):
        return _unix_events._UnixReadPipeTransport(self, pipe, protocol,
                                                   waiter, extra)

    def _make_write_pipe_transport(self, pipe, protocol, waiter=None,
                                   extra=None):
        return _unix_events._UnixWritePipeTransport(self, pipe, protocol,
                                                    waiter, extra)

    # ---- datagrams ----

    create_datagram_endpoint = \
        _base_events.BaseEventLoop.create_datagram_endpoint
    _ensure_resolved = _base_events.BaseEventLoop._ensure_resolved

    def _make_datagram_transport(self, sock, protocol, address=None,
                                 waiter=None, extra=None):
        return _DatagramTransport(self, sock, protocol, address, waiter,
                                  extra)


class _PopenWatch:
    """Watches a subprocess.Popen child of a transport: its pidfd becomes
    readable when it exits; then poll() reaps it and the transport hears
    of it. Loop close drops the watch (the Popen reaps later, as Popen
    does)."""

    def __init__(self, loop, transp):
        self.loop, self.transp, self.timer = loop, transp, None
        try:
            self.fd = _os.pidfd_open(transp._proc.pid)
        except (OSError, AttributeError):
            self.fd = None  # gone already, or no pidfd: poll
            self.timer = loop.call_soon(self.check)
        else:
            loop._add_reader(self.fd, self.check)
        loop._popen_watches.add(self)

    def check(self):
        code = self.transp._proc.poll()
        if code is None and self.fd is None:
            self.timer = self.loop.call_later(0.01, self.check)
            return
        if code is None:
            return  # not yet (a spurious wake-up)
        self.close()
        if self.transp._returncode is None:
            self.transp._process_exited(code)

    def close(self):
        self.loop._popen_watches.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.fd is not None:
            self.loop._remove_reader(self.fd)
            _os.close(self.fd)
            self.fd = None


def _child_exited(transp, fut):
    if fut.cancelled():
        return  # the loop closed first
    if transp._returncode is None and transp._proc is not None:
        transp._process_exited(fut.result())

