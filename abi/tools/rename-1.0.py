#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rename-1.0.py - move code written against acore 0.1 to the 1.0 API.

    abi/tools/rename-1.0.py [--kind KIND]... [--check] [PATH]...

Rewrites, in place, every tracked text file under the given paths (default:
the whole repository, as listed by `git ls-files`): C and C++ sources and
headers, SWIG interfaces, Python, Markdown, CMake and text files. The ABI's
generated files (abi/acore.map, abi/symbols.txt, abi/acore.abi.xml: run
abi/tools/update.sh afterwards), docs/ABI.md (its table names the 0.1
functions on purpose) and this script are left alone.

Kinds (all by default; --kind picks some, in this order):
  predicates  yes/no questions read `is_`: acore_future_done ->
              acore_future_is_done, acore_lock_locked -> acore_lock_is_locked...
  counters    numbers read `<thing>_count`: acore_sem_waiting ->
              acore_sem_waiter_count, acore_queue_size -> acore_queue_item_count...
  take        calls that consume the caller's reference say so:
              acore_task_await -> acore_task_await_take, acore_task_fail ->
              acore_task_fail_take
  results     a future's typed result readers pair with acore_future_result:
              acore_future_int -> acore_future_result_int, ...value_kind ->
              acore_future_result_kind
  constructors  out-parameter last: acore_loop_new(&loop, opts) ->
              acore_loop_new(opts, &loop); acore_wait_count (a constructor
              that read like an accessor) -> acore_wait_at_least
  sem         one acquire/try_acquire/release taking a count:
              acore_sem_acquire(s, &f) -> acore_sem_acquire(s, 1, &f),
              acore_sem_acquire_many -> acore_sem_acquire (likewise for
              try_acquire and release; in Python, ll.acore_sem_acquire(s)
              -> ll.acore_sem_acquire(s, 1))

Names are matched whole (word boundaries), so acore_future_done_callback or
acore_task_awaited are never touched. Calls are rewritten only when their
arguments show the 0.1 shape (a declaration with typed parameters is left
for a person), so running the script twice changes nothing the second
time. --check changes nothing and exits 1 if a file would change.
"""

import argparse
import os
import re
import subprocess
import sys

RENAMES = {
    "predicates": [
        ("acore_future_done", "acore_future_is_done"),
        ("acore_future_cancelled", "acore_future_is_cancelled"),
        ("acore_handle_cancelled", "acore_handle_is_cancelled"),
        ("acore_lock_locked", "acore_lock_is_locked"),
        ("acore_timeout_expired", "acore_timeout_is_expired"),
        ("acore_work_cancelled", "acore_work_is_cancelled"),
    ],
    "counters": [
        ("acore_gather_count", "acore_gather_child_count"),
        ("acore_group_size", "acore_group_task_count"),
        ("acore_sem_available", "acore_sem_available_count"),
        ("acore_sem_waiting", "acore_sem_waiter_count"),
        ("acore_lock_waiting", "acore_lock_waiter_count"),
        ("acore_event_waiting", "acore_event_waiter_count"),
        ("acore_cond_waiting", "acore_cond_waiter_count"),
        ("acore_queue_size", "acore_queue_item_count"),
        ("acore_queue_maxsize", "acore_queue_capacity"),
        ("acore_queue_unfinished", "acore_queue_unfinished_count"),
        ("acore_map_in_flight", "acore_map_in_flight_count"),
        ("acore_map_peak", "acore_map_peak_count"),
        ("acore_task_cancelling", "acore_task_cancelling_count"),
    ],
    "take": [
        ("acore_task_await", "acore_task_await_take"),
        ("acore_task_fail", "acore_task_fail_take"),
    ],
    "results": [
        ("acore_future_int", "acore_future_result_int"),
        ("acore_future_double", "acore_future_result_double"),
        ("acore_future_bytes", "acore_future_result_bytes"),
        ("acore_future_value_kind", "acore_future_result_kind"),
    ],
    "constructors": [
        ("acore_wait_count", "acore_wait_at_least"),
    ],
    "sem": [],  # see rewrite_sem
}
KINDS = list(RENAMES)

EXTENSIONS = (".c", ".h", ".cc", ".cpp", ".hpp", ".i", ".swg", ".py",
              ".md", ".txt", ".in", ".cmake", ".sh", ".pyx", ".pxd")
SKIP = {"abi/acore.map", "abi/symbols.txt", "abi/acore.abi.xml",
        "docs/ABI.md", "abi/tools/rename-1.0.py"}

# A parameter declaration ("acore_sem_t *sem", "const acore_loop_options_t
# *opts"): the call is a prototype or a definition, left to a person.
TYPED = re.compile(r"^\s*(const\s+)?(acore_\w+_t|struct\s+\w+|void|int|"
                   r"size_t|unsigned|double|u?int\d+_t)\b[\s*]")


def call_args(text, open_paren):
    """The raw arguments of the call whose '(' is at open_paren, and the
    index of its ')'; None if unbalanced."""
    depth, i, start, args = 0, open_paren, open_paren + 1, []
    quote = None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i])
                return args, i
        elif c == "," and depth == 1:
            args.append(text[start:i])
            start = i + 1
        i += 1
    return None


def rewrite_calls(text, name, fix):
    """Replace each call of `name` by fix(args) when it returns a new
    argument list (raw strings), else leave it."""
    out, pos = [], 0
    for m in re.finditer(r"\b%s\s*\(" % re.escape(name), text):
        if m.start() < pos:
            continue
        parsed = call_args(text, m.end() - 1)
        if parsed is None:
            continue
        args, close = parsed
        if len(args) == 1 and args[0].strip() == "":
            args = []
        new = fix(args)
        if new is None:
            continue
        out.append(text[pos:m.end()])
        out.append(",".join(new))
        out.append(")")
        pos = close + 1
    out.append(text[pos:])
    return "".join(out)


def relabel(slot, content):
    """`content` in the place of the raw argument `slot` (keeps its spaces)."""
    lead = slot[:len(slot) - len(slot.lstrip())]
    trail = slot[len(slot.rstrip()):]
    return lead + content.strip() + trail


def is_typed(args):
    return any(TYPED.match(a) for a in args)


def fix_loop_new(args):
    if len(args) != 2:
        return None
    if is_typed(args):  # the prototype: (acore_loop_t **out, ...opts)
        if not re.match(r"\s*acore_loop_t\s*\*\s*\*", args[0]):
            return None
        return [relabel(args[0], args[1]), relabel(args[1], args[0])]
    a, b = args[0].strip(), args[1].strip()
    out_first = (a.startswith("&") or
                 (b in ("NULL", "0", "nullptr") and a not in ("NULL", "0")) or
                 ("opt" in b and "opt" not in a))
    if not out_first:
        return None
    return [relabel(args[0], b), relabel(args[1], a)]


def rewrite_constructors(text, path):
    if not path.endswith(".py"):
        text = rewrite_calls(text, "acore_loop_new", fix_loop_new)
    return text


def add_count(nargs, at):
    """A fix inserting the count 1 at `at` into calls with `nargs` args."""
    def fix(args):
        if len(args) != nargs or is_typed(args):
            return None
        return args[:at] + [" 1" if at else "1"] + args[at:]
    return fix


def rewrite_sem(text, path):
    if path.endswith(".py"):  # the SWIG wrappers return the out-handle
        text = rewrite_calls(text, "acore_sem_acquire", add_count(1, 1))
        text = rewrite_calls(text, "acore_sem_try_acquire", add_count(1, 1))
        text = rewrite_calls(text, "acore_sem_release", add_count(1, 1))
    else:
        text = rewrite_calls(text, "acore_sem_acquire", add_count(2, 1))
        text = rewrite_calls(text, "acore_sem_try_acquire", add_count(1, 1))
        text = rewrite_calls(text, "acore_sem_release", add_count(1, 1))
    for old in ("acore_sem_acquire", "acore_sem_try_acquire",
                "acore_sem_release"):
        text = re.sub(r"\b%s_many\b" % old, old, text)
    return text


def rewrite(text, path, kinds):
    for kind in kinds:
        if kind == "constructors":
            text = rewrite_constructors(text, path)
        if kind == "sem":
            text = rewrite_sem(text, path)
        for old, new in RENAMES[kind]:
            text = re.sub(r"\b%s\b" % re.escape(old), new, text)
    return text


def tracked_files(paths):
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--"] + paths,
                             check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for p in paths:
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names]
    return [f for f in files
            if (f.endswith(EXTENSIONS) or os.path.basename(f) ==
                "CMakeLists.txt")
            and os.path.normpath(f) not in SKIP and os.path.isfile(f)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", action="append", choices=KINDS)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("paths", nargs="*", default=["."])
    opts = ap.parse_args()
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True).stdout.strip()
    if top:  # paths (and the files left alone) are the repository's
        opts.paths = [os.path.relpath(os.path.abspath(p), top)
                      for p in opts.paths]
        os.chdir(top)
    kinds = [k for k in KINDS if k in (opts.kind or KINDS)]
    changed = []
    for f in tracked_files(opts.paths):
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError:
            continue
        new = rewrite(text, f, kinds)
        if new != text:
            changed.append(f)
            if not opts.check:
                with open(f, "w", encoding="utf-8") as fh:
                    fh.write(new)
    for f in changed:
        print(("would change " if opts.check else "changed ") + f)
    return 1 if opts.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
