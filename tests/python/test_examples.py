# SPDX-License-Identifier: MIT
"""Smoke test: every Python example runs to completion."""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples", "python")


class TestExamples(unittest.TestCase):
    def test_examples_run(self):
        names = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".py"))
        self.assertGreaterEqual(len(names), 6)
        for name in names:
            with self.subTest(example=name):
                p = subprocess.run([sys.executable,
                                    os.path.join(EXAMPLES, name)],
                                   capture_output=True, text=True,
                                   timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertTrue(p.stdout.strip(), name)


if __name__ == "__main__":
    unittest.main()
