# SPDX-License-Identifier: MIT
"""loop.add_signal_handler / remove_signal_handler on acore's C signals
(acore/signal.h): each case runs on acore's loop and on asyncio's, and the
outcomes must match."""

import asyncio
import os
import signal
import threading
import unittest

import acore
from pyac_testcase import live


def loops():
    return [("acore", acore.Loop), ("asyncio", asyncio.new_event_loop)]


class SignalHandlerTest(unittest.TestCase):

    def setUp(self):
        self.assertEqual(live(), (0, 0))

    def tearDown(self):
        self.assertEqual(live(), (0, 0), "wrappers or C-held references left")
        self.assertIs(signal.getsignal(signal.SIGINT),
                      signal.default_int_handler)

    def each(self, case):
        """case(loop) on both loops; the outcomes must be equal."""
        out = {}
        for name, factory in loops():
            loop = factory()
            try:
                out[name] = case(loop)
            finally:
                loop.close()
        self.assertEqual(out["acore"], out["asyncio"])
        return out["acore"]

    def test_handler_runs_with_args_in_the_loop(self):
        def case(loop):
            got = []

            def cb(*args):
                got.append((args, asyncio.get_running_loop() is loop))
                loop.stop()
            loop.add_signal_handler(signal.SIGUSR1, cb, 1, "x")
            loop.call_soon(os.kill, os.getpid(), signal.SIGUSR1)
            loop.run_forever()
            return got
        self.assertEqual(self.each(case), [((1, "x"), True)])

    def test_every_delivery_and_replacement(self):
        def case(loop):
            got = []

            async def main():
                loop.add_signal_handler(signal.SIGUSR2, got.append, "a")
                for _ in range(3):
                    os.kill(os.getpid(), signal.SIGUSR2)
                    await asyncio.sleep(0.02)
                loop.add_signal_handler(signal.SIGUSR2, got.append, "b")
                os.kill(os.getpid(), signal.SIGUSR2)
                await asyncio.sleep(0.02)
                return loop.remove_signal_handler(signal.SIGUSR2)
            return loop.run_until_complete(main()), got
        self.assertEqual(self.each(case), (True, ["a", "a", "a", "b"]))

    def test_remove_restores_the_default(self):
        def case(loop):
            loop.add_signal_handler(signal.SIGINT, print)
            loop.add_signal_handler(signal.SIGHUP, print)
            r = (loop.remove_signal_handler(signal.SIGINT),
                 loop.remove_signal_handler(signal.SIGINT),
                 loop.remove_signal_handler(signal.SIGHUP),
                 loop.remove_signal_handler(signal.SIGTERM))
            return (r, signal.getsignal(signal.SIGINT) is
                    signal.default_int_handler,
                    signal.getsignal(signal.SIGHUP) is signal.SIG_DFL)
        self.assertEqual(self.each(case), ((True, False, True, False),
                                           True, True))

    def test_sigint_raises_keyboard_interrupt_after_remove(self):
        loop = acore.Loop()
        try:
            loop.add_signal_handler(signal.SIGINT, print)
            loop.remove_signal_handler(signal.SIGINT)
            loop.call_soon(os.kill, os.getpid(), signal.SIGINT)
            loop.call_later(1, loop.stop)
            with self.assertRaises(KeyboardInterrupt):
                loop.run_forever()
        finally:
            loop.close()

    def test_close_removes_the_handlers(self):
        def case(loop):
            loop.add_signal_handler(signal.SIGINT, print)
            loop.add_signal_handler(signal.SIGUSR1, print)
            loop.close()
            return (signal.getsignal(signal.SIGINT) is
                    signal.default_int_handler,
                    signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL)
        self.assertEqual(self.each(case), (True, True))

    def test_cancelled_handle_removes_itself(self):
        def case(loop):
            got = []

            async def main():
                loop.add_signal_handler(signal.SIGUSR1, got.append, 1)
                handlers = getattr(loop, "_signal_handlers")
                h = handlers[signal.SIGUSR1]
                (h[0] if isinstance(h, tuple) else h).cancel()
                os.kill(os.getpid(), signal.SIGUSR1)
                await asyncio.sleep(0.02)
                return loop.remove_signal_handler(signal.SIGUSR1)
            return loop.run_until_complete(main()), got
        self.assertEqual(self.each(case), (False, []))

    def test_exception_goes_to_the_handler(self):
        def case(loop):
            seen = []
            loop.set_exception_handler(
                lambda lp, ctx: seen.append(type(ctx.get("exception"))))

            def boom():
                raise ZeroDivisionError

            async def main():
                loop.add_signal_handler(signal.SIGUSR1, boom)
                os.kill(os.getpid(), signal.SIGUSR1)
                await asyncio.sleep(0.02)
                loop.remove_signal_handler(signal.SIGUSR1)
            loop.run_until_complete(main())
            return seen
        self.assertEqual(self.each(case), [ZeroDivisionError])

    def test_bad_input(self):
        def case(loop):
            out = []

            async def coro():
                pass
            for sig, cb in [(signal.SIGKILL, print), (signal.SIGSTOP, print),
                            (0, print), (-1, print), (signal.NSIG, print),
                            (1.5, print), ("2", print),
                            (signal.SIGUSR1, coro)]:
                try:
                    loop.add_signal_handler(sig, cb)
                    out.append("ok")
                except Exception as exc:
                    out.append(type(exc).__name__)
            for sig in (0, "x", signal.NSIG):
                try:
                    loop.remove_signal_handler(sig)
                except Exception as exc:
                    out.append(type(exc).__name__)
            loop.close()
            try:
                loop.add_signal_handler(signal.SIGUSR1, print)
            except Exception as exc:
                out.append(type(exc).__name__)
            return out
        self.assertEqual(self.each(case), [
            "RuntimeError", "RuntimeError", "ValueError", "ValueError",
            "ValueError", "TypeError", "TypeError", "TypeError",
            "ValueError", "TypeError", "ValueError", "RuntimeError"])

    def test_not_the_main_thread(self):
        def case(loop):
            out = []

            def other():
                try:
                    loop.add_signal_handler(signal.SIGUSR1, print)
                except Exception as exc:
                    out.append(type(exc).__name__)
            t = threading.Thread(target=other)
            t.start()
            t.join()
            return out
        self.assertEqual(self.each(case), ["RuntimeError"])


if __name__ == "__main__":
    unittest.main()
