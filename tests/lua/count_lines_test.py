#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""count_lines_test.py - bindings/kit/count_lines.py counts code lines:
comments and blank lines out, strings that look like comments in, and
every group of the binding table found with its files."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bindings", "kit"))
import count_lines  # noqa: E402

C = '''/* a block
 * comment */
int a; /* code, then a comment */
// a line comment

const char *s = "/* not a comment */";
/* one */ int b; /* two */
x = '"'; /* a quote character, then a comment
   that goes on */
'''
LUA = '''-- a comment
local s = "-- not a comment" -- but this is
--[[ a long
comment ]] local x = 1
--[==[ another
]] still the comment ]==]

local t = [[a long
string -- with a dash
]]
'''


def check(got, want, what):
    if got != want:
        sys.exit(f"count_lines_test: {what}: {got} code lines, want {want}")


def main():
    check(count_lines.code_lines(C, False), 4, "C")
    check(count_lines.code_lines(LUA, True), 5, "Lua")
    check(count_lines.code_lines("a\nb", False), 2, "no final newline")
    out = subprocess.run([sys.executable,
                          os.path.join(ROOT, "bindings", "kit", "count_lines.py"),
                          "--root", ROOT], capture_output=True, text=True,
                         check=True).stdout
    rows = [r.split("|")[1:-1] for r in out.splitlines()[2:]]
    groups = {(r[0].strip(), r[1].strip()) for r in rows}
    for lang, piece, _ in count_lines.GROUPS:
        if (lang, piece) not in groups:
            sys.exit(f"count_lines_test: no row for {lang} {piece}")
    for r in rows:
        files, lines, code = (int(x) for x in r[2:5])
        if not (files > 0 and 0 < code < lines):
            sys.exit(f"count_lines_test: implausible row {r}")
    print(out, end="")


if __name__ == "__main__":
    main()
