# SPDX-License-Identifier: MIT
"""test_bench_w5.py - bench/python/w5_loops.py end to end at a tiny size:
every system alternated rep by rep, a record per system and rep with its
wall and CPU time per op and the load at the rep's start, ratios taken
within each rep. It asserts that the tooling works, never a speed."""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
W5 = os.path.join(HERE, "..", "..", "bench", "python", "w5_loops.py")


class W5LoopsTest(unittest.TestCase):
    def run_w5(self, *args):
        return subprocess.run([sys.executable, W5] + list(args),
                              capture_output=True, text=True, timeout=240)

    def test_alternated_reps_and_ratios(self):
        skip = [] if importlib.util.find_spec("uvloop") else \
            ["--skip", "uvloop"]
        work = ["W5_proto", "W5_stream"]
        if importlib.util.find_spec("aiohttp"):
            work.append("HTTP")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "w5.json")
            p = self.run_w5("--reps", "2", "--scale", "0.02", "--json", out,
                            *skip, *work)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out) as f:
                res = json.load(f)
        systems = res["systems"]
        self.assertEqual(systems[0], "acore")
        recs = res["records"]
        for w in work:
            rows = [r for r in recs if r["workload"] == w]
            # alternated: rep 1's systems in order, then rep 2's
            self.assertEqual([(r["rep"], r["system"]) for r in rows],
                             [(k, s) for k in (1, 2) for s in systems])
            for r in rows:
                self.assertGreater(r["value"], 0, r)
                self.assertGreater(r["cpu"], 0, r)
                self.assertGreaterEqual(r["load1"], 0, r)
            sm = next(s for s in res["summaries"] if s["workload"] == w)
            self.assertEqual(len(sm["loads"]), 2)
            for peer in systems[1:]:
                ratios = sm[f"acore/{peer}"]
                self.assertEqual(len(ratios), 2)
                self.assertAlmostEqual(ratios[0], [
                    r for r in rows if r["rep"] == 1 and
                    r["system"] == "acore"][0]["value"] / [
                    r for r in rows if r["rep"] == 1 and
                    r["system"] == peer][0]["value"])
            self.assertIn(f"{w} ", p.stdout)
            self.assertIn("[", p.stdout)  # the ratio's spread
        self.assertIn("load", p.stdout)

    def test_bad_arguments_are_usage_errors(self):
        for args in (["--reps", "0"], ["--scale", "0"], ["W9"]):
            p = self.run_w5(*args)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
