#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""count_lines.py - code lines of the binding kit and of each language on it.

A code line is a line with something besides blanks and comments: C, SWIG
and Java comments (/* ... */, //) and Lua's (--, --[[ ... ]]) are removed
first, string literals are kept whole (a "--" or "/*" inside one is code).

    bindings/kit/count_lines.py [--root DIR] [--files]

prints a table of the groups (kit, interface, each language's .i, host C
and idiomatic layer): files, lines, code lines; --files adds a row per
file. docs/bindings.md quotes its output.
"""
import argparse
import glob
import os
import sys

# group: (language, piece, glob patterns relative to the repository root)
GROUPS = [
    ("kit", "C", ["bindings/kit/*.c", "bindings/kit/*.h"]),
    ("kit", "SWIG", ["bindings/kit/*.swg", "bindings/handles.swg"]),
    ("interface", "SWIG", ["bindings/acore.i"]),
    ("Lua", ".i", ["bindings/lua/*.i"]),
    ("Lua", "host C", ["bindings/lua/*.swg"]),
    ("Lua", "idiomatic", ["bindings/lua/*.lua"]),
    ("Java", ".i", ["bindings/java/*.i"]),
    ("Java", "host C", ["bindings/java/*.swg"]),
    ("Java", "idiomatic", ["bindings/java/src/org/acore/*.java"]),
]


def code_lines(text, lua):
    """The number of lines of `text` holding code (not only comments)."""
    count, i, n = 0, 0, len(text)
    block = None   # the end of the comment we are in ("*/", "]]", "]==]")
    code = False   # the current line has code
    while i < n:
        c = text[i]
        if c == "\n":
            count += code
            code = False
            i += 1
        elif block is not None:
            if text.startswith(block, i):
                i += len(block)
                block = None
            else:
                i += 1
        elif c.isspace():
            i += 1
        elif not lua and text.startswith("/*", i):
            block, i = "*/", i + 2
        elif not lua and text.startswith("//", i):
            i = eol(text, i)
        elif lua and text.startswith("--", i):
            j = i + 2
            long_open = lua_long_bracket(text, j)
            if long_open:
                block, i = "]" + "=" * (long_open - 2) + "]", j + long_open
            else:
                i = eol(text, i)
        elif lua and lua_long_bracket(text, i):
            k = lua_long_bracket(text, i)
            end = text.find("]" + "=" * (k - 2) + "]", i + k)
            end = n if end < 0 else end + k
            count += text.count("\n", i, end)  # every line of the string
            code, i = True, end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            code, i = True, j + 1
        else:
            code, i = True, i + 1
    return count + code


def eol(text, i):
    """The index of the end of the line at i."""
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def lua_long_bracket(text, i):
    """Length of a Lua long bracket ("[[", "[=[", ...) at i, else 0."""
    if not text.startswith("[", i):
        return 0
    j = i + 1
    while j < len(text) and text[j] == "=":
        j += 1
    return j - i + 1 if text.startswith("[", j) else 0


def count_file(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text.count("\n") + (not text.endswith("\n") and text != ""), \
        code_lines(text, path.endswith(".lua"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    ap.add_argument("--files", action="store_true")
    a = ap.parse_args()
    print("| language | piece | files | lines | code lines |")
    print("|---|---|---|---|---|")
    for lang, piece, patterns in GROUPS:
        paths = sorted(p for pat in patterns
                       for p in glob.glob(os.path.join(a.root, pat)))
        if not paths:
            sys.exit(f"count_lines.py: no files for {lang} {piece}")
        rows = [(os.path.relpath(p, a.root),) + count_file(p) for p in paths]
        total = sum(r[1] for r in rows)
        code = sum(r[2] for r in rows)
        print(f"| {lang} | {piece} | {len(rows)} | {total} | {code} |")
        if a.files:
            for name, lines, c in rows:
                print(f"| | `{name}` | 1 | {lines} | {c} |")


if __name__ == "__main__":
    main()
