#!/usr/bin/env bash
# scripts/ci.sh demo|test - the two commands of the README.
#
#   demo  install what is missing, build (build-demo/), run the demo
#   test  install what is missing, build, run the whole suite: the normal
#         build (build-test/: unit, ABI, package, Python, Lua, Java, examples, the
#         CI script test, the fuzz corpus replayed, and the unit tests and
#         the corpus again under valgrind), then the
#         unit, Python, Lua and Java tests under AddressSanitizer +
#         UndefinedBehaviorSanitizer (build-asan/; blocks in the per-loop
#         object caches are poisoned while free), the unit tests there again
#         with the caches off (ACORE_NO_CACHE=1: every object freed for
#         real), the threaded tests under ThreadSanitizer (build-tsan/),
#         and last the libFuzzer harness (build-fuzz/, clang): the corpus as
#         a regression run, then two bounded fuzzing runs in parallel
#         (ACORE_FUZZ_SECONDS each, default 60).
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
TEST_PACKAGES="clang-14 libclang-rt-14-dev \
libpython3.11-testsuite python3-uvloop python3-aiohttp \
libcurl4-openssl-dev systemtap-sdt-dev"   # libFuzzer; CPython's asyncio tests;
# aiohttp on acore's loop; examples/curl_multi; <sys/sdt.h> probes
# The Lua binding and its tests (busted specs); lua-luv for bench/lua.
LUA_PACKAGES="lua5.4 liblua5.4-dev lua-busted lua-luv"
# The Java binding (a JDK) and its tests (junit5's console launcher).
JAVA_PACKAGES="openjdk-17-jdk-headless junit5"
# Seconds of each of the two bounded fuzzing runs (0: the corpus only).
FUZZ_SECONDS=${ACORE_FUZZ_SECONDS:-60}

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
# configure_build <dir> <cmake options...> [--target <targets...>]:
# configure quietly, but show the whole configure output when it fails.
configure_build() {
  local dir=$1 log opts=() targets=()
  shift
  while [ $# -gt 0 ] && [ "$1" != --target ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift && targets=(--target "$@")
  mkdir -p "$dir"
  log="$dir/configure.log"
  if ! cmake -S . -B "$dir" "${opts[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "== configure of $dir failed (options: ${opts[*]})" >&2
    return 1
  fi
  cmake --build "$dir" -j"$JOBS" "${targets[@]}"
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
  local tests=ON valgrind=OFF python=ON pyexe=$PYTHON asan=OFF tsan=OFF lua=ON java=OFF
  local bench=OFF fuzz=OFF cc=gcc cxx=g++
  case "$1" in
  demo) tests=OFF python=OFF pyexe= lua=OFF ;;
  test) valgrind=ON bench=ON
        command -v javac >/dev/null 2>&1 && java=ON ;; # the normal build, with a JDK
  asan) asan=ON
        command -v javac >/dev/null 2>&1 && java=ON ;; # the JVM preloads libasan
  tsan) tsan=ON python=OFF pyexe= lua=OFF ;;
  fuzz) fuzz=ON asan=ON python=OFF pyexe= lua=OFF cc=clang-14 cxx=clang++-14 ;;
  *) echo "unknown stage: $1" >&2; return 2 ;;
  esac
  printf '%s\n' -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=$cc \
    -DCMAKE_CXX_COMPILER=$cxx -DACORE_TESTS=$tests \
    -DACORE_VALGRIND=$valgrind -DACORE_PYTHON=$python \
    -DACORE_PYTHON_EXECUTABLE=$pyexe -DACORE_LUA=$lua -DACORE_JAVA=$java -DACORE_ASAN=$asan -DACORE_TSAN=$tsan \
    -DACORE_BENCH=$bench -DACORE_FUZZ=$fuzz \
    -DACORE_FUZZ_SECONDS="$FUZZ_SECONDS"
}

# stage <name> [targets...]: configure build-<name> with options <name>
# and build it (only the targets named, if any).
stage() {
  local opts name=$1
  shift
  mapfile -t opts < <(options "$name")
  configure_build "build-$name" "${opts[@]}" ${1:+--target} "$@"
}

case "${1:-}" in
demo)
  install_missing
  stage demo
  ./build-demo/examples/demo
  ;;
test)
  install_missing $TEST_PACKAGES $LUA_PACKAGES $JAVA_PACKAGES
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
  echo "== libFuzzer (clang): the corpus, then 2 x $FUZZ_SECONDS s of fuzzing"
  stage fuzz fuzz_api fuzz_replay
  run_ctest build-fuzz -L fuzz
  ;;
options)
  options "${2:-}"
  ;;
*)
  echo "usage: $0 demo|test  (or: options demo|test|asan|tsan|fuzz)" >&2
  exit 2
  ;;
esac
