# SPDX-License-Identifier: MIT
"""The await graph from Python: Loop.dump() (the C dump, tree and JSON) of
a known graph across Python tasks and a C task on one loop - two Python
tasks deadlocked over two locks, a third gathering them and a C task
(tests/python/interop.c) awaiting one of them - also as C alone dumps it
(the Python tasks' sites asked for lazily), and asyncio 3.14's
capture_call_graph / format_call_graph / print_call_graph shapes."""

import ctypes
import io
import json
import os
import re
import tempfile
import unittest

import acore
from pyac_testcase import LoopTestCase

lib = ctypes.CDLL(os.environ["ACORE_PYINTEROP"])
lib.interop_spawn_named_waiter.restype = ctypes.c_void_p
lib.interop_spawn_named_waiter.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                           ctypes.c_char_p]
lib.interop_dump_fd.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
lib.interop_task_where.restype = ctypes.c_char_p
lib.interop_task_where.argtypes = [ctypes.c_void_p]
HERE = os.path.basename(__file__)


async def left(a, b):
    async with a:
        await acore.sleep(0)
        async with b:
            pass


async def right(a, b):
    async with b:
        await acore.sleep(0)
        async with a:
            pass


async def main(loop, out):
    a, b = acore.Lock(), acore.Lock()
    tl = loop.create_task(left(a, b), name="left")
    tr = loop.create_task(right(a, b), name="right")
    out["c"] = loop.wrap_future(lib.interop_spawn_named_waiter(
        loop.address(), tl._address(), b"c_waiter"))
    out["left"] = tl
    await acore.gather(tl, tr)


def site(fn):
    return f"{HERE}:{fn.__code__.co_firstlineno} in {fn.__qualname__}()"


def normalise(text):
    """Addresses, C line numbers and directories out of a dump."""
    text = re.sub(r"0x[0-9a-f]+", "0x?", text)
    text = re.sub(r"interop\.c:\d+", "interop.c:?", text)
    text = re.sub(r"loop time [0-9.]+ s", "loop time ?", text)
    return re.sub(r"[^ \"']*/([^/ \"']+\.(?:py|c))", r"\1", text)


EXPECTED_TREE = """\
acore loop: 4 tasks, loop time ?
main (#1) waiting at {main}
  awaits gather: 0 of 2 done
    left (#2) waiting at {left}
      awaits waiter: lock 0x?, 1 of 1 waiting; held by right (#3)
    right (#3) waiting at {right}
      awaits waiter: lock 0x?, 1 of 1 waiting; held by left (#2)
c_waiter (#4) waiting at interop.c:?
  awaits left (#2) (shown above)
"""


class TestGraph(LoopTestCase):
    def deadlock(self):
        """Run the known graph until it hangs; returns main's task and
        the dict main filled (its left task, the C task's future)."""
        out = {}
        task = self.loop.create_task(main(self.loop, out), name="main")
        self.loop.run()  # returns: nothing left to run, four tasks wait
        self.assertFalse(task.done())
        return task, out

    def test_graph_dump_tree_of_a_deadlock(self):
        task, out = self.deadlock()
        tree = normalise(self.loop.dump())
        want = EXPECTED_TREE.format(main=site(main), left=site(left),
                                    right=site(right))
        self.assertEqual(tree, want)
        del task, out

    def test_graph_dump_json_of_a_deadlock(self):
        task, out = self.deadlock()
        doc = json.loads(self.loop.dump("json"))
        tasks = {t["id"]: t for t in doc["tasks"]}
        self.assertEqual(sorted(tasks), [1, 2, 3, 4])
        self.assertEqual([tasks[i]["name"] for i in (1, 2, 3, 4)],
                         ["main", "left", "right", "c_waiter"])
        self.assertEqual({t["state"] for t in doc["tasks"]}, {"waiting"})
        self.assertEqual(tasks[1]["awaits"]["kind"], "gather")
        self.assertEqual(tasks[1]["awaits"]["children"],
                         [{"task": 2}, {"task": 3}])
        self.assertEqual(tasks[2]["awaits"]["kind"], "waiter")
        self.assertRegex(tasks[2]["awaits"]["detail"],
                         r"^lock 0x[0-9a-f]+, 1 of 1 waiting; "
                         r"held by right \(#3\)$")
        self.assertRegex(tasks[3]["awaits"]["detail"],
                         r"held by left \(#2\)$")
        self.assertEqual(sorted(tasks[2]["awaited_by"]), [1, 4])
        self.assertEqual(tasks[3]["awaited_by"], [1])
        self.assertEqual(tasks[4]["awaits"], {"task": 2})
        self.assertTrue(tasks[2]["where"].endswith(site(left)))
        self.assertRegex(tasks[4]["where"], r"interop\.c:\d+$")
        self.assertIsNone(tasks[1]["since"])  # no ACORE_LOOP_TASK_TIMES
        del task, out

    def test_graph_dump_to_file(self):
        task, out = self.deadlock()
        buf = io.StringIO()
        self.assertIsNone(self.loop.dump(file=buf))
        self.assertEqual(normalise(buf.getvalue()),
                         normalise(self.loop.dump("tree")))
        del task, out

    def test_graph_dump_einval(self):
        with self.assertRaises(ValueError):
            self.loop.dump("xml")
        with self.assertRaises(ValueError):
            self.loop.dump(None)
        loop = acore.Loop()
        loop.close()
        with self.assertRaises(RuntimeError):
            loop.dump()

    def test_graph_dump_of_an_idle_loop(self):
        self.assertEqual(normalise(self.loop.dump()),
                         "acore loop: 0 tasks, loop time ?\n")
        self.assertEqual(json.loads(self.loop.dump("json"))["tasks"], [])

    def test_graph_capture_across_c_and_python(self):
        task, out = self.deadlock()
        g = acore.capture_call_graph(out["left"])
        self.assertIsInstance(g, acore.FutureCallGraph)
        self.assertIs(g.future, out["left"])
        self.assertEqual(g.call_stack[-1].frame.f_code, left.__code__)
        self.assertIsInstance(g.call_stack[0], acore.FrameCallGraphEntry)
        parents = {p.future.get_name() if isinstance(p.future, acore.Task)
                   else "C" for p in g.awaited_by}
        self.assertEqual(parents, {"main", "C"})
        text = normalise(acore.format_call_graph(out["left"], limit=1))
        self.assertEqual(text, (
            "* Task(name='left', id=0x?)\n"
            "  + Call stack:\n"
            f"  |   File '{HERE}', line {left.__code__.co_firstlineno + 3}, "
            "in async left()\n"
            "  + Awaited by:\n"
            "    * Task(name='main', id=0x?)\n"
            "      + Call stack:\n"
            f"      |   File '{HERE}', line "
            f"{main.__code__.co_firstlineno + 7}, in async main()\n"
            "    * CTask(name='c_waiter', id=#4, waiting, at interop.c:?)"))
        buf = io.StringIO()
        acore.print_call_graph(out["left"], file=buf, limit=0)
        self.assertEqual(normalise(buf.getvalue()), (
            "* Task(name='left', id=0x?)\n"
            "  + Awaited by:\n"
            "    * Task(name='main', id=0x?)\n"
            "    * CTask(name='c_waiter', id=#4, waiting, at interop.c:?)\n"))
        del task, out, g, parents

    def test_graph_capture_current_task(self):
        seen = {}

        async def inner():
            await acore.sleep(0)  # the waiter awaits this task meanwhile
            seen["g"] = acore.capture_call_graph()
            seen["none"] = acore.capture_call_graph(limit=0)

        async def outer():
            await inner()

        async def waiter(t):
            await t

        async def top():
            t = self.loop.create_task(outer(), name="outer")
            w = self.loop.create_task(waiter(t), name="w")
            await acore.sleep(0)
            await w
        self.run_co(top())
        g = seen.pop("g")
        self.assertEqual([e.frame.f_code for e in g.call_stack],
                         [inner.__code__, outer.__code__])
        self.assertEqual([p.future.get_name() for p in g.awaited_by], ["w"])
        self.assertEqual(seen.pop("none").call_stack, ())
        del g

    def test_graph_capture_einval(self):
        with self.assertRaises(RuntimeError):
            acore.capture_call_graph()
        with self.assertRaises(TypeError):
            acore.capture_call_graph(42)
        fut = self.loop.create_future()
        g = acore.capture_call_graph(fut)
        self.assertEqual((g.call_stack, g.awaited_by), ((), ()))
        self.assertEqual(normalise(acore.format_call_graph(fut)),
                         "* Future(id=0x?)")
        del g, fut

    def c_dump(self, json_fmt=False):
        """The loop's dump as C alone writes it (acore_loop_dump_fd, as
        on the dump signal): no Python code asks for it."""
        with tempfile.TemporaryFile("w+") as f:
            self.assertEqual(lib.interop_dump_fd(self.loop.address(),
                                                 int(json_fmt), f.fileno()),
                             0)
            f.seek(0)
            return f.read()

    def test_graph_c_dump_names_python_sites(self):
        # No dump from Python first: C asks the loop's where callback.
        task, out = self.deadlock()
        want = EXPECTED_TREE.format(main=site(main), left=site(left),
                                    right=site(right))
        self.assertEqual(normalise(self.c_dump()), want)
        doc = json.loads(self.c_dump(json_fmt=True))
        self.assertEqual([normalise(t["where"]) for t in doc["tasks"]],
                         [site(main), site(left), site(right),
                          "interop.c:?"])
        # nothing was stored in C for it: asked at each dump
        self.assertIsNone(lib.interop_task_where(out["left"]._address()))
        self.assertIsNotNone(lib.interop_task_where(out["c"]._address()))
        del task, out

    def test_graph_c_dump_in_debug_mode(self):
        self.loop.set_debug(True)
        self.test_graph_c_dump_names_python_sites()

    def test_graph_where_of_python_tasks(self):
        async def job():
            pass
        t = self.loop.create_task(job())
        from acore import _lowlevel
        name, tid, where, state = _lowlevel._task_info(t)
        self.assertEqual((name, state), (t.get_name(), 1))
        self.assertTrue(where.endswith(f"{HERE}:{job.__code__.co_firstlineno}"
                                       f" in {job.__qualname__}()"), where)
        self.assertTrue(os.path.isabs(where.split(":")[0]))
        self.run_co(t)
        del t


if __name__ == "__main__":
    unittest.main()
