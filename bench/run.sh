#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - run every benchmark side by side in one run:
# acore, the minimal hand-written libuv equivalent, CPython asyncio and
# uvloop (Debian's /usr/bin/python3 with python3-uvloop). Each program
# prints lines "RESULT <impl> <workload> <value> <unit>" (medians of 5).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

run() { echo "# $*" >&2; "$@"; }

# acore (C) - one line per benchmark program
run "$build/bench/bench_core"
run "$build/bench/bench_sync"
run "$build/bench/bench_executor"
run "$build/bench/bench_combinators"
# peers
run "$build/bench/uv_peers"
# acore's Python binding (same workloads as py_peers.py)
PYTHONPATH="$build/bindings/python/pkg" run "$py" "$here/python/acore_py_bench.py"
run "$py" "$here/peers/py_peers.py" --impl asyncio
run "$py" "$here/peers/py_peers.py" --impl uvloop
run "$py" "$here/peers/py_comb_peers.py" --impl asyncio
run "$py" "$here/peers/py_comb_peers.py" --impl uvloop
