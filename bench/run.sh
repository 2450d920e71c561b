#!/usr/bin/env bash
# bench/run.sh [options] BUILD_DIR - every benchmark, acore and its peers
# alternated rep by rep within each workload (acore, the minimal libuv C
# program; acore-py, uvloop, asyncio on Debian's /usr/bin/python3), wall
# and CPU time per operation, the load average at the start of each rep,
# memory per pending task, instruction counts (callgrind). Writes a results
# file (--out, default bench-results.json) and prints its tables; then
# `bench/report.py RESULTS` puts them in docs/PERFORMANCE.md. Options:
# `bench/run.sh --help` (bench/runner.py). A quick run:
#   bench/run.sh --reps 1 --scale 0.01 --instructions none build
set -euo pipefail
exec /usr/bin/python3 "$(cd "$(dirname "$0")" && pwd)/runner.py" "$@"
