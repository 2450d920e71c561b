#!/usr/bin/env bash
# bench/python/w1_instructions.sh BUILD_DIR [acore|uvloop] - instructions
# per future of Python W1 batched, by callgrind: one run with 100,000
# futures and one with 200,000; the difference divided by 100,000 leaves
# out interpreter start-up and imports. Prints the figure and keeps both
# profiles (callgrind.w1.<impl>.<n>) for callgrind_annotate.
set -euo pipefail
build=${1:?usage: $0 BUILD_DIR [acore|uvloop]}
impl=${2:-acore}
here=$(cd "$(dirname "$0")" && pwd)
export PYTHONPATH="$build/bindings/python/pkg"
prog='
import sys
sys.path.insert(0, sys.argv[1])
import py_peers as P
P.W1_BATCHED_N = int(sys.argv[3])
if sys.argv[2] == "acore":
    import acore
    loop = acore.Loop()
else:
    import uvloop
    loop = uvloop.new_event_loop()
P.w1_batched_rep(loop)
loop.close()
'
count() { # n
  valgrind --tool=callgrind --callgrind-out-file="callgrind.w1.$impl.$1" \
    /usr/bin/python3 -c "$prog" "$here/../peers" "$impl" "$1" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count 100000)
b=$(count 200000)
echo "RESULT $impl-py W1_batched_instructions $(( (b - a) / 100000 )) instr/future"
