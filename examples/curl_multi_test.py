#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The test of examples/curl_multi.c: serve a few files of known content
from a local HTTP server (127.0.0.1, a free port, in this process), run the
example on them all at once, and check each status, size and FNV-1a hash.

  curl_multi_test.py <path of the curl_multi program>
"""
import functools
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    exe = sys.argv[1]
    rnd = random.Random(16)
    sizes = {"empty.txt": 0, "small.txt": 13, "a.bin": 70000,
             "b.bin": 250000, "c.bin": 1 << 20, "d.bin": 333333}
    with tempfile.TemporaryDirectory() as root:
        want = {}
        for name, size in sizes.items():
            data = rnd.randbytes(size)
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
            want[name] = (size, fnv1a64(data))
        handler = functools.partial(Quiet, directory=root)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        th = threading.Thread(target=server.serve_forever, daemon=True)
        th.start()
        base = "http://127.0.0.1:%d/" % server.server_address[1]
        names = list(sizes) + ["missing.txt"]
        try:
            r = subprocess.run([exe, base] + names, stdout=subprocess.PIPE,
                               text=True, timeout=60)
        finally:
            server.shutdown()
            server.server_close()
    print(r.stdout, end="")
    lines = {l.split()[0]: l.split() for l in r.stdout.splitlines()
             if l and not l.startswith(" ") and not l.startswith("peak")}
    bad = []
    for name, (size, h) in want.items():
        got = lines.get(name)
        if got is None or got[1:] != ["200", str(size), "%016x" % h]:
            bad.append("%s: got %s, want 200 %d %016x" % (name, got, size, h))
    if lines.get("missing.txt", [None, None])[1] != "404":
        bad.append("missing.txt: want status 404")
    if r.returncode != 1:  # one transfer (the missing file) is not a 200
        bad.append("exit status %d, want 1 (the 404)" % r.returncode)
    peak = [l for l in r.stdout.splitlines() if l.startswith("peak")]
    if not peak or int(peak[0].split()[-1]) < 2:
        bad.append("the transfers did not run concurrently: %s" % peak)
    for b in bad:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
