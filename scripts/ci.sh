#!/usr/bin/env bash
# scripts/ci.sh demo|test - the two commands of the README.
#
#   demo  install what is missing, build (build-demo/), run the demo
#   test  install what is missing, build, run the whole suite: the normal
#         build (build-test/: unit, ABI, package, Python, examples, the
#         CI script test, and the unit tests again under valgrind), then the
#         unit and Python tests under AddressSanitizer +
#         UndefinedBehaviorSanitizer (build-asan/; blocks in the per-loop
#         object caches are poisoned while free), the unit tests there again
#         with the caches off (ACORE_NO_CACHE=1: every object freed for
#         real), and the threaded tests under ThreadSanitizer (build-tsan/).
#
# Each purpose has its own build folder and every option is passed on the
# command line, so the two commands run in any order in one checkout; every
# ctest run fails when it finds no test. Runs as root on Debian bookworm
# (apt-get is used for missing packages).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="cmake make gcc g++ pkg-config libuv1-dev libcmocka-dev swig \
python3 python3-dev abigail-tools valgrind"
JOBS=$(nproc 2>/dev/null || echo 2)
PYTHON=/usr/bin/python3   # Debian's: the interpreter the tests are pinned to

install_missing() {
  local missing=() p
  for p in $PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
}

# configure_build <dir> <cmake options...>: configure quietly, but show the
# whole configure output when it fails.
configure_build() {
  local dir=$1 log
  shift
  mkdir -p "$dir"
  log="$dir/configure.log"
  if ! cmake -S . -B "$dir" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "== configure of $dir failed (options: $*)" >&2
    return 1
  fi
  cmake --build "$dir" -j"$JOBS"
}

# run_ctest <dir> [ctest options...]
run_ctest() {
  local dir=$1
  shift
  (cd "$dir" && ctest --no-tests=error --output-on-failure -j"$JOBS" "$@")
}

# options <stage>: every option of cmake/acore-options.cmake for one build
# folder, explicitly, one per line (tests/ci/ci_options.sh checks them).
options() {
  local tests=ON valgrind=OFF python=ON pyexe=$PYTHON asan=OFF tsan=OFF
  local bench=OFF
  case "$1" in
  demo) tests=OFF python=OFF pyexe= ;;
  test) valgrind=ON bench=ON ;;
  asan) asan=ON ;;
  tsan) tsan=ON python=OFF pyexe= ;;
  *) echo "unknown stage: $1" >&2; return 2 ;;
  esac
  printf '%s\n' -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACORE_TESTS=$tests \
    -DACORE_VALGRIND=$valgrind -DACORE_PYTHON=$python \
    -DACORE_PYTHON_EXECUTABLE=$pyexe -DACORE_ASAN=$asan -DACORE_TSAN=$tsan \
    -DACORE_BENCH=$bench
}

# stage <name>: configure and build build-<name> with options <name>.
stage() {
  local opts
  mapfile -t opts < <(options "$1")
  configure_build "build-$1" "${opts[@]}"
}

case "${1:-}" in
demo)
  install_missing
  stage demo
  ./build-demo/examples/demo
  ;;
test)
  install_missing
  echo "== normal build: every test (unit tests also under valgrind)"
  stage test
  run_ctest build-test
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
  stage asan
  run_ctest build-asan
  echo "== the unit tests again, object caches off (ACORE_NO_CACHE=1)"
  ACORE_NO_CACHE=1 run_ctest build-asan -L unit
  echo "== ThreadSanitizer: the threaded tests"
  stage tsan
  run_ctest build-tsan -L threads
  ;;
options)
  options "${2:-}"
  ;;
*)
  echo "usage: $0 demo|test  (or: options demo|test|asan|tsan)" >&2
  exit 2
  ;;
esac
