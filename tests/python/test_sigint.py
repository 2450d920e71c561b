# SPDX-License-Identifier: MIT
"""Ctrl-C: SIGINT interrupts a running loop promptly, also while it is
blocked in poll with nothing scheduled, and KeyboardInterrupt comes out of
run_until_complete / acore.run()."""

import os
import signal
import subprocess
import sys
import time
import unittest

CHILD = r"""
import acore, sys, time

async def main():
    loop = acore.get_running_loop()
    fut = loop.create_future()          # never completed, no timer at all
    print("ready", flush=True)
    await fut

try:
    acore.run(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(42)
"""

CHILD_BUSY = r"""
import acore, sys

async def main():
    print("ready", flush=True)
    while True:                         # a busy loop of tasks
        await acore.sleep(0)

try:
    acore.run(main())
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
    sys.exit(42)
"""


class TestSigint(unittest.TestCase):
    def interrupt(self, source):
        p = subprocess.Popen([sys.executable, "-c", source],
                             stdout=subprocess.PIPE, text=True,
                             env=os.environ.copy())
        try:
            self.assertEqual(p.stdout.readline().strip(), "ready")
            time.sleep(0.1)
            t0 = time.monotonic()
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(timeout=30)
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        print(f"\nSIGINT to exit: {took * 1000:.1f} ms")
        self.assertEqual(out.strip(), "KeyboardInterrupt")
        self.assertEqual(p.returncode, 42)

    def test_sigint_idle_loop(self):
        self.interrupt(CHILD)

    def test_sigint_busy_loop(self):
        self.interrupt(CHILD_BUSY)


if __name__ == "__main__":
    unittest.main()
