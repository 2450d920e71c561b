# SPDX-License-Identifier: MIT
"""subprocess_exec / subprocess_shell on acore's child processes, and
connect_read_pipe / connect_write_pipe: each case runs on acore's loop and
on asyncio's, and the outcomes must match. Local children only (/bin/sh,
/bin/cat, this interpreter), bounded in count and time."""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import unittest

import acore
from pyac_testcase import DifferentialTestCase

PY = sys.executable
PIPE, DEVNULL, STDOUT = subprocess.PIPE, subprocess.DEVNULL, subprocess.STDOUT


class Recorder(asyncio.SubprocessProtocol):
    """Records the protocol's callbacks: data per fd, and the events."""

    def __init__(self, loop):
        self.events = []
        self.data = {1: b"", 2: b""}
        self.done = loop.create_future()

    def connection_made(self, transport):
        self.events.append("made")

    def pipe_data_received(self, fd, data):
        self.data[fd] += data

    def pipe_connection_lost(self, fd, exc):
        self.events.append(("pipe_lost", fd, exc))

    def process_exited(self):
        self.events.append("exited")

    def connection_lost(self, exc):
        self.events.append(("lost", exc))
        self.done.set_result(None)


class SubprocessTest(DifferentialTestCase):
    bound = 30.0

    # ---- streams (asyncio.create_subprocess_*) ----

    def test_communicate(self):
        async def main(loop):
            p = await asyncio.create_subprocess_exec(
                PY, "-c", "import sys; d = sys.stdin.read(); "
                "print(d.upper()); sys.stderr.write('e'); sys.exit(4)",
                stdin=PIPE, stdout=PIPE, stderr=PIPE)
            out = await p.communicate(b"hello")
            return out, p.returncode
        self.assertEqual(self.each(main), ((b"HELLO\n", b"e"), 4))

    def test_readline_and_wait(self):
        async def main(loop):
            p = await asyncio.create_subprocess_exec(
                "/bin/cat", stdin=PIPE, stdout=PIPE)
            lines = []
            for i in range(20):
                p.stdin.write(b"line %d\n" % i)
                await p.stdin.drain()
                lines.append(await p.stdout.readline())
            p.stdin.close()
            rest = await p.stdout.read()
            return lines[-1], len(lines), rest, await p.wait()
        self.assertEqual(self.each(main), (b"line 19\n", 20, b"", 0))

    def test_shell_and_stderr_to_stdout(self):
        async def main(loop):
            p = await asyncio.create_subprocess_shell(
                "echo out; echo err >&2; exit 7", stdout=PIPE, stderr=STDOUT)
            return await p.communicate(), p.returncode
        self.assertEqual(self.each(main), ((b"out\nerr\n", None), 7))

    def test_large_output(self):
        async def main(loop):
            p = await asyncio.create_subprocess_exec(
                PY, "-c", "import sys; sys.stdout.write('x' * 1000000)",
                stdout=PIPE)
            out, _ = await p.communicate()
            return len(out), p.returncode
        self.assertEqual(self.each(main), (1000000, 0))

    def test_large_input(self):
        async def main(loop):
            p = await asyncio.create_subprocess_exec(
                PY, "-c", "import sys; print(len(sys.stdin.buffer.read()))",
                stdin=PIPE, stdout=PIPE)
            out, _ = await p.communicate(b"y" * 1000000)
            return out, p.returncode
        self.assertEqual(self.each(main), (b"1000000\n", 0))

    def test_cwd_and_env(self):
        async def main(loop):
            p = await asyncio.create_subprocess_exec(
                "/bin/sh", "-c", "pwd; echo $ACORE_T", stdout=PIPE,
                cwd="/tmp", env={"ACORE_T": "v1", "PATH": "/bin:/usr/bin"})
            return await p.communicate()
        self.assertEqual(self.each(main), ((b"/tmp\nv1\n", None)))

    def test_stdio_devnull_fd_and_file(self):
        with tempfile.TemporaryFile() as f:
            async def main(loop):
                f.seek(0)
                f.truncate()
                p = await asyncio.create_subprocess_exec(
                    "/bin/sh", "-c", "cat; echo fd; echo err >&2",
                    stdin=DEVNULL, stdout=f.fileno(), stderr=f)
                rc = await p.wait()
                f.seek(0)
                return rc, sorted(f.read().split())
            self.assertEqual(self.each(main), (0, [b"err", b"fd"]))

    def test_many_children(self):
        async def main(loop):
            procs = [await asyncio.create_subprocess_exec(
                "/bin/sh", "-c", f"exit {i}") for i in range(20)]
            return await asyncio.gather(*(p.wait() for p in procs))
        self.assertEqual(self.each(main), list(range(20)))

    # ---- the transport and its protocol ----

    def test_protocol_callbacks(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Recorder(loop), "/bin/sh", "-c",
                "echo a; echo b >&2; exit 3")
            pid = tr.get_pid()
            kinds = (type(tr.get_pipe_transport(0)).__name__,
                     type(tr.get_pipe_transport(1)).__name__,
                     tr.get_pipe_transport(3))
            await pr.done
            ev = pr.events
            tail = ev.index(("lost", None))
            order_ok = (ev[0] == "made" and tail == len(ev) - 1 and
                        ev.index("exited") < tail)
            r = (isinstance(pid, int) and pid > 0, kinds, pr.data,
                 sorted(e for e in ev if isinstance(e, tuple)),
                 ev.count("exited"), order_ok, tr.get_returncode())
            tr.close()
            return r
        self.assertEqual(self.each(main), (
            True, ("_UnixWritePipeTransport", "_UnixReadPipeTransport", None),
            {1: b"a\n", 2: b"b\n"},
            [("lost", None), ("pipe_lost", 0, None), ("pipe_lost", 1, None),
             ("pipe_lost", 2, None)], 1, True, 3))

    def test_signals_and_close(self):
        async def main(loop):
            out = []
            for how in ("terminate", "kill", "send_signal", "close"):
                tr, pr = await loop.subprocess_exec(
                    lambda: Recorder(loop), "/bin/sleep", "30",
                    stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
                if how == "send_signal":
                    tr.send_signal(signal.SIGUSR1)
                else:
                    getattr(tr, how)()
                await pr.done
                out.append(tr.get_returncode())
                try:
                    tr.kill()
                except ProcessLookupError:
                    out.append("ProcessLookupError")
                tr.close()
            return out
        self.assertEqual(self.each(main), [
            -signal.SIGTERM, "ProcessLookupError",
            -signal.SIGKILL, "ProcessLookupError",
            -signal.SIGUSR1, "ProcessLookupError",
            -signal.SIGKILL, "ProcessLookupError"])

    def test_bad_input(self):
        async def main(loop):
            out = []

            async def attempt(coro):
                try:
                    tr, _ = await coro
                    out.append("ok")
                    tr.close()
                except Exception as exc:
                    out.append((type(exc).__name__,
                                getattr(exc, "filename", None)))
            f = asyncio.SubprocessProtocol
            for kw in ({"universal_newlines": True}, {"text": True},
                       {"encoding": "utf-8"}, {"errors": "strict"},
                       {"bufsize": 1}, {"shell": True}):
                await attempt(loop.subprocess_exec(f, "/bin/true", **kw))
            await attempt(loop.subprocess_shell(f, ["true"]))
            await attempt(loop.subprocess_shell(f, "true", shell=False))
            await attempt(loop.subprocess_exec(f, "/nonexistent/prog"))
            await attempt(loop.subprocess_exec(f, "/etc/passwd"))
            await attempt(loop.subprocess_exec(f, "/bin/true",
                                               cwd="/nonexistent/dir"))
            await attempt(loop.subprocess_exec(f, "/bin/true",
                                               stdin=STDOUT))
            await attempt(loop.subprocess_exec(f, "/bin/true", stdout=987))
            await attempt(loop.subprocess_exec(f, "/bin/true",
                                               bogus_kw=1))
            return out
        self.assertEqual(self.each(main), [
            ("ValueError", None)] * 8 + [
            ("FileNotFoundError", "/nonexistent/prog"),
            ("PermissionError", "/etc/passwd"),
            ("FileNotFoundError", "/nonexistent/dir"),
            ("OSError", None), ("OSError", None), ("TypeError", None)])

    def test_popen_only_arguments(self):
        """Arguments acore's spawn cannot do run the call on
        subprocess.Popen: the same results and errors as asyncio's."""
        sh = ["/bin/sh", "-c"]
        sigign = "grep SigIgn /proc/$$/status"
        pgid = "import os; print(os.getpgid(0) == os.getpid())"
        pipesz = ("import fcntl; print(fcntl.fcntl(1, "
                  "getattr(fcntl, 'F_GETPIPE_SZ', 1032)))")

        def boom():
            raise RuntimeError("in the child")
        cases = [
            (sh + ["umask"], {"preexec_fn": lambda: os.umask(0o027)}),
            (sh + ["umask"], {"umask": 0o022}),
            ([PY, "-c", pgid], {"process_group": 0}),
            ([PY, "-c", pgid], {}),
            (sh + ["id -u; id -g"], {"user": os.getuid(),
                                     "group": os.getgid()}),
            (sh + ["id -G"], {"extra_groups": [os.getgid()]}),
            ([PY, "-c", pipesz], {"pipesize": 65536 * 2}),
            (sh + [sigign], {"restore_signals": False}),
            (["mysh", "-c", "echo $0"], {"executable": "/bin/sh"}),
            (sh + ["true"], {"preexec_fn": boom}),
            (sh + ["true"], {"startupinfo": object()}),
            (sh + ["true"], {"creationflags": 1}),
            (sh + ["true"], {"user": "no-such-user-x"}),
            (["/nonexistent/prog"], {"umask": 0o022}),
            (sh + ["true"], {"umask": 0o022, "cwd": "/nonexistent/dir"}),
        ]

        async def main(loop):
            out = []
            for args, kw in cases:
                try:
                    p = await asyncio.create_subprocess_exec(
                        *args, stdout=PIPE, stderr=DEVNULL, **kw)
                    data = await p.stdout.read()
                    out.append((data, await p.wait()))
                except Exception as exc:  # noqa: BLE001 - compared
                    out.append((type(exc).__name__,
                                getattr(exc, "filename", None)))
            return out
        got = self.each(main)
        self.assertEqual(got[0], (b"0027\n", 0))
        self.assertEqual(got[1], (b"0022\n", 0))
        self.assertEqual(got[2], (b"True\n", 0))
        self.assertEqual(got[8], (b"mysh\n", 0))
        self.assertEqual(got[9][0], "SubprocessError")

    def test_popen_only_protocol_and_transport(self):
        """A Popen child under asyncio's transport: the protocol's
        callbacks in asyncio's order, get_extra_info("subprocess"), kill,
        close while running."""
        async def main(loop):
            out = []
            rec = Recorder(loop)
            tr, _ = await loop.subprocess_exec(
                lambda: rec, "/bin/sh", "-c", "cat; echo err >&2; exit 3",
                stdin=PIPE, stdout=PIPE, stderr=PIPE, umask=0o022)
            out.append(type(tr.get_extra_info("subprocess")).__name__)
            tr.get_pipe_transport(0).write(b"abc")
            tr.get_pipe_transport(0).close()
            await rec.done
            out += [rec.data, rec.events[0], rec.events[-1],
                    tr.get_returncode()]
            tr.close()
            p = await asyncio.create_subprocess_exec(
                "/bin/sleep", "30", preexec_fn=os.getpid)
            p.kill()
            out.append(await p.wait())
            rec = Recorder(loop)
            tr, _ = await loop.subprocess_exec(
                lambda: rec, "/bin/sleep", "30", umask=0o022)
            tr.close()  # kills it
            await rec.done
            out.append(tr.get_returncode())
            return out
        self.assertEqual(self.each(main), [
            "Popen", {1: b"abc", 2: b"err\n"}, "made", ("lost", None), 3,
            -signal.SIGKILL, -signal.SIGKILL])

    def test_popen_only_children_reaped_and_fds_closed(self):
        """The Popen path leaves no zombie and no descriptor: its pidfd
        is closed once the child exited, and at loop close."""
        def fds():
            return len(os.listdir("/proc/self/fd"))
        before = fds()
        loop = acore.Loop()
        try:
            async def main(n):
                pids = []
                for i in range(n):
                    p = await asyncio.create_subprocess_exec(
                        "/bin/sh", "-c", f"exit {i}", umask=0o022)
                    self.assertEqual(await p.wait(), i)
                    pids.append(p.pid)
                return pids
            loop.run_until_complete(main(1))  # the loop's own fds made
            base = fds()
            pids = loop.run_until_complete(main(10))
            for pid in pids:
                with self.assertRaises(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reaped already
            self.assertEqual(fds(), base)
            p = loop.run_until_complete(asyncio.create_subprocess_exec(
                "/bin/sleep", "30", umask=0o022))
            self.assertEqual(len(loop._popen_watches), 1)
        finally:
            loop.close()
        self.assertEqual(fds(), before)
        p._transport._proc.kill()
        p._transport._proc.wait()
        del p

    def test_pass_fds_and_close_fds(self):
        async def main(loop):
            r, w = os.pipe()
            try:
                write = f"import os; os.write({w}, b'%s')"
                p = await asyncio.create_subprocess_exec(
                    PY, "-c", write % "passed", pass_fds=(w,))
                rc1 = await p.wait()
                p = await asyncio.create_subprocess_exec(
                    PY, "-c", write % "closed", close_fds=False,
                    stderr=DEVNULL)
                rc2 = await p.wait()
                os.close(w)
                w = -1
                with open(r, "rb") as f:
                    r = -1
                    return rc1, rc2, f.read(), os.get_inheritable(0)
            finally:
                for fd in (r, w):
                    if fd >= 0:
                        os.close(fd)
        self.assertEqual(self.each(main), (0, 1, b"passed", True))

    def test_start_new_session(self):
        async def main(loop):
            out = []
            for new in (True, False):
                p = await asyncio.create_subprocess_exec(
                    PY, "-c", "import os; print(os.getsid(0) == os.getpid())",
                    stdout=PIPE, start_new_session=new)
                out.append((await p.communicate())[0])
            return out
        self.assertEqual(self.each(main), [b"True\n", b"False\n"])

    def test_blocking_popen_wait(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Recorder(loop), "/bin/sh", "-c", "exit 6",
                stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL)
            popen = tr.get_extra_info("subprocess")
            rc = popen.wait()  # blocks the loop until the child exits
            tr.close()  # finished: not killed
            await pr.done
            return rc, tr.get_returncode(), popen.returncode
        # asyncio's own Popen.wait() says 0 here: its child watcher reaped
        # the child first (ECHILD); acore's leaves the child to acore.
        self.assertEqual(self.each(main, same=False), (6, 6, 6))

    def test_attached_child_watchers_do_not_steal_children(self):
        import warnings
        for cls in ("SafeChildWatcher", "FastChildWatcher"):
            loop = acore.Loop()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                watcher = getattr(asyncio, cls)()
            try:
                watcher.attach_loop(loop)

                async def main():
                    procs = [await asyncio.create_subprocess_exec(
                        "/bin/sh", "-c", f"exit {i}") for i in range(5)]
                    return await asyncio.gather(*(p.wait() for p in procs))
                self.assertEqual(loop.run_until_complete(
                    asyncio.wait_for(main(), 20)), list(range(5)))
                watcher.attach_loop(None)
                self.assertFalse(loop.remove_signal_handler(signal.SIGCHLD))
            finally:
                watcher.close()
                loop.close()

    def test_no_child_watcher_needed(self):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            policy = asyncio.get_event_loop_policy()
            watcher = asyncio.SafeChildWatcher()  # never attached
            old = policy._watcher if hasattr(policy, "_watcher") else None
            policy._watcher = watcher
        loop = acore.Loop()
        try:
            async def main():
                p = await asyncio.create_subprocess_exec("/bin/true")
                return await p.wait()
            self.assertEqual(loop.run_until_complete(main()), 0)
        finally:
            loop.close()
            policy._watcher = old

    # ---- pipes ----

    def test_read_and_write_pipe(self):
        async def main(loop):
            r, w = os.pipe()
            rf, wf = open(r, "rb", buffering=0), open(w, "wb", buffering=0)
            got = []
            done = loop.create_future()

            class Reader(asyncio.Protocol):
                def data_received(self, data):
                    got.append(data)

                def eof_received(self):
                    got.append("eof")

                def connection_lost(self, exc):
                    done.set_result(exc)

            paused = []

            class Writer(asyncio.BaseProtocol):
                def pause_writing(self):
                    paused.append("pause")

                def resume_writing(self):
                    paused.append("resume")
            wtr, _ = await loop.connect_write_pipe(Writer, wf)
            wtr.set_write_buffer_limits(high=1000)
            wtr.write(b"z" * 300000)  # more than the pipe holds
            buffered = wtr.get_write_buffer_size() > 0
            rtr, _ = await loop.connect_read_pipe(Reader, rf)
            wtr.write_eof()
            exc = await done
            data = b"".join(g for g in got if g != "eof")
            return (buffered, paused, len(data), got[-1], exc,
                    rtr.is_closing(), wtr.is_closing(),
                    rtr.get_extra_info("pipe") is rf)
        self.assertEqual(self.each(main), (
            True, ["pause", "resume"], 300000, "eof", None, True, True,
            True))

    def test_pipe_bad_input(self):
        async def main(loop):
            out = []
            with tempfile.TemporaryFile() as f:
                for connect in (loop.connect_read_pipe,
                                loop.connect_write_pipe):
                    try:
                        await connect(asyncio.Protocol, f)
                    except Exception as exc:
                        out.append(type(exc).__name__)
            return out
        self.assertEqual(self.each(main), ["ValueError", "ValueError"])


def _watched(loop, fd):
    """(read interest, write interest) of fd on the loop's readiness: on
    acore, its fd watcher (acore/fd.h) through loop._fd_watched; on
    asyncio, its selector's key."""
    if isinstance(loop, acore.Loop):
        return loop._fd_watched(fd)
    try:
        key = loop._selector.get_key(fd)
    except KeyError:
        return (False, False)
    import selectors
    return (bool(key.events & selectors.EVENT_READ),
            bool(key.events & selectors.EVENT_WRITE))


def _pipe_runs_sorted(events):
    """events with each run of consecutive pipe_connection_lost sorted:
    pipes that end together (one poll) may come in either order."""
    out, run = [], []
    for e in events + [None]:
        if isinstance(e, tuple) and e[0] == "pipe_lost":
            run.append(e)
            continue
        out += sorted(run, key=repr)
        run = []
        if e is not None:
            out.append(e)
    return out


class Flow(Recorder):
    """A Recorder that also records pause_writing / resume_writing and the
    order in which the transport's wait() completed."""

    def pause_writing(self):
        self.events.append("pause")

    def resume_writing(self):
        self.events.append("resume")


class SubprocessPipeTest(DifferentialTestCase):
    """The child's pipes: asyncio's pipe transports (unix_events) on the
    loop's readiness, which on acore's loop is acore's fd watchers. Each
    case on both loops; the records must be equal."""
    bound = 30.0

    def test_subprocess_pipes_on_the_loops_readiness(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Flow(loop), PY, "-c",
                "import sys, time; time.sleep(0.2); sys.stdin.read()",
                stderr=DEVNULL)
            w, r = tr.get_pipe_transport(0), tr.get_pipe_transport(1)
            wfd = w.get_extra_info("pipe").fileno()
            rfd = r.get_extra_info("pipe").fileno()
            out = [_watched(loop, rfd), _watched(loop, wfd)]
            w.write(b"q" * 1000000)  # more than the pipe holds: a writer
            out.append(_watched(loop, wfd))
            r.pause_reading()
            out.append(_watched(loop, rfd))
            r.resume_reading()
            out.append(_watched(loop, rfd))
            w.close()  # flushes, then closes
            await pr.done
            out += [_watched(loop, rfd), _watched(loop, wfd),
                    tr.get_returncode()]
            tr.close()
            return out
        # (the write pipe's transport also reads: to see the reader go)
        self.assertEqual(self.each(main), [
            (True, False), (True, False), (True, True), (False, False),
            (True, False), (False, False), (False, False), 0])

    def test_subprocess_pipe_pause_and_resume_reading(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Flow(loop), PY, "-c",
                "import os, sys; os.write(1, b'a\\n'); sys.stdin.readline(); "
                "os.write(1, b'b\\n')",
                stderr=DEVNULL)
            r = tr.get_pipe_transport(1)
            while not pr.data[1]:
                await asyncio.sleep(0.005)
            r.pause_reading()
            rfd = r.get_extra_info("pipe").fileno()
            out = [pr.data[1], _watched(loop, rfd)]
            tr.get_pipe_transport(0).write(b"go\n")
            await asyncio.sleep(0.2)  # 'b' is in the pipe, not read
            out.append(pr.data[1])
            r.resume_reading()
            out.append(_watched(loop, rfd))
            await pr.done
            out += [pr.data[1], tr.get_returncode()]
            tr.close()
            return out
        self.assertEqual(self.each(main),
                         [b"a\n", (False, False), b"a\n", (True, False),
                          b"a\nb\n", 0])

    def test_subprocess_stdin_write_limits_and_drain(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Flow(loop), PY, "-c",
                "import sys, time; time.sleep(0.1); "
                "print(len(sys.stdin.buffer.read()))", stderr=DEVNULL)
            w = tr.get_pipe_transport(0)
            out = [w.get_write_buffer_limits()]
            w.set_write_buffer_limits(high=1000)
            out.append(w.get_write_buffer_limits())
            w.write(b"y" * 300000)
            out += [w.get_write_buffer_size() > 1000, list(pr.events)]
            w.write_eof()
            await pr.done
            out += [pr.events.count("pause"), pr.events.count("resume"),
                    w.get_write_buffer_size(), pr.data[1]]
            tr.close()
            # the streams API: drain() waits for the pipe
            p = await asyncio.create_subprocess_exec(
                PY, "-c", "import sys, time; time.sleep(0.1); "
                "print(len(sys.stdin.buffer.read()))",
                stdin=PIPE, stdout=PIPE)
            p.stdin.transport.set_write_buffer_limits(high=1000)
            p.stdin.write(b"z" * 300000)
            await p.stdin.drain()
            out.append(p.stdin.transport.get_write_buffer_size() <= 250)
            p.stdin.close()
            out += [await p.stdout.read(), await p.wait()]
            return out
        self.assertEqual(self.each(main), [
            (16384, 65536), (250, 1000), True, ["made", "pause"], 1, 1, 0,
            b"300000\n", True, b"300000\n", 0])

    def test_subprocess_pipe_close_and_get_pipe_transport(self):
        async def main(loop):
            tr, pr = await loop.subprocess_exec(
                lambda: Flow(loop), "/bin/cat", stderr=DEVNULL)
            out = [type(tr.get_pipe_transport(0)).__name__,
                   type(tr.get_pipe_transport(1)).__name__,
                   tr.get_pipe_transport(2), tr.get_returncode()]
            w = tr.get_pipe_transport(0)
            w.write(b"echoed")
            w.close()  # cat sees the end of its input and exits
            out += [w.is_closing(), w.get_write_buffer_size()]
            await pr.done
            ev = pr.events  # cat's exit and its stdout's end: either first
            out += [pr.data[1], ev[:2], sorted(map(str, ev[2:-1])), ev[-1],
                    tr.get_returncode(), tr.get_pipe_transport(0) is w]
            tr.close()
            return out
        self.assertEqual(self.each(main), [
            "_UnixWritePipeTransport", "_UnixReadPipeTransport", None, None,
            True, 0, b"echoed", ["made", ("pipe_lost", 0, None)],
            ["('pipe_lost', 1, None)", "exited"], ("lost", None), 0, True])

    def test_subprocess_exit_and_pipe_loss_order(self):
        """wait() completes after every pipe_connection_lost, whichever
        comes first, the exit or the pipes' end (asyncio's order)."""
        async def main(loop):
            out = []
            for script in (
                    # the pipes end, then (0.3 s later) the child exits
                    "exec 1>&- 2>&-; sleep 0.3; exit 5",
                    # the child exits (after wait() began); a grandchild
                    # holds stdout 0.3 s more
                    "sleep 0.1; (sleep 0.3; echo late) & exit 6"):
                tr, pr = await loop.subprocess_exec(
                    lambda: Flow(loop), "/bin/sh", "-c", script,
                    stdin=DEVNULL)
                waited = asyncio.ensure_future(tr._wait())
                waited.add_done_callback(
                    lambda f, ev=pr.events: ev.append(("wait", f.result())))
                await pr.done
                await waited
                out.append((_pipe_runs_sorted(pr.events), pr.data[1],
                            tr.get_returncode()))
                tr.close()
            return out
        self.assertEqual(self.each(main), [
            (["made", ("pipe_lost", 1, None), ("pipe_lost", 2, None),
              "exited", ("lost", None), ("wait", 5)], b"", 5),
            (["made", "exited", ("pipe_lost", 1, None),
              ("pipe_lost", 2, None), ("lost", None), ("wait", 6)],
             b"late\n", 6)])


if __name__ == "__main__":
    unittest.main()
