# SPDX-License-Identifier: MIT
"""One loop, two languages: a C library written against acore alone
(tests/python/interop.c, loaded with ctypes) spawns C tasks on the loop
Python runs; Python awaits their futures, and a C task awaits a Python
future."""

import asyncio
import ctypes
import gc
import os
import unittest

import acore
from pyac_testcase import LoopTestCase

lib = ctypes.CDLL(os.environ["ACORE_PYINTEROP"])
lib.interop_spawn_double.restype = ctypes.c_void_p
lib.interop_spawn_double.argtypes = [ctypes.c_void_p, ctypes.c_int64]
lib.interop_spawn_plus_one.restype = ctypes.c_void_p
lib.interop_spawn_plus_one.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
lib.interop_failing_future.restype = ctypes.c_void_p
lib.interop_failing_future.argtypes = [ctypes.c_void_p]


class TestInterop(LoopTestCase):
    def test_interop_python_awaits_c_tasks(self):
        async def main():
            loop = acore.get_running_loop()
            futs = [loop.wrap_future(lib.interop_spawn_double(
                loop.address(), i)) for i in range(10)]
            return await acore.gather(*futs)
        self.assertEqual(self.run_co(main()), [2 * i for i in range(10)])

    def test_interop_c_task_awaits_python_future(self):
        async def main():
            loop = acore.get_running_loop()
            pyfut = loop.create_future()
            ctask = loop.wrap_future(lib.interop_spawn_plus_one(
                loop.address(), pyfut._address()))
            await acore.sleep(0)
            self.assertFalse(ctask.done())
            pyfut.set_result(41)
            return await ctask
        self.assertEqual(self.run_co(main()), 42)

    def test_interop_cancel_c_task_from_python(self):
        async def main():
            loop = acore.get_running_loop()
            pyfut = loop.create_future()
            ctask = loop.wrap_future(lib.interop_spawn_plus_one(
                loop.address(), pyfut._address()))
            await acore.sleep(0)
            ctask.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await ctask
            return pyfut.cancelled()
        self.assertTrue(self.run_co(main()))

    def test_interop_c_error_maps_to_python_exception(self):
        async def main():
            loop = acore.get_running_loop()
            f = loop.wrap_future(lib.interop_failing_future(loop.address()))
            with self.assertRaises(TimeoutError) as cm:
                await f
            return str(cm.exception)
        self.assertEqual(self.run_co(main()), "C deadline passed")


    def test_interop_dropped_wrapper_of_c_future_keeps_callbacks(self):
        # C completes the future later: a wrapper nobody holds any longer
        # is not collected with its done callbacks
        seen = []
        f = self.loop.wrap_future(lib.interop_failing_future(
            self.loop.address()))
        f.add_done_callback(lambda fut: seen.append(fut.exception()))
        del f
        gc.collect()
        self.loop.run()
        self.assertEqual(len(seen), 1)
        self.assertIsInstance(seen[0], TimeoutError)

if __name__ == "__main__":
    unittest.main()
