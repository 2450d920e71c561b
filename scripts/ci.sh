#!/usr/bin/env bash
# scripts/ci.sh demo|test - the two commands of the README.
#
#   demo  install what is missing, build, run the demo
#   test  install what is missing, build, run the whole suite: the normal
#         build (unit, ABI, package, Python, examples, and the unit tests
#         again under valgrind), then the unit and Python tests under
#         AddressSanitizer + UndefinedBehaviorSanitizer, then the threaded
#         tests under ThreadSanitizer.
#
# Runs as root on Debian bookworm (apt-get is used for missing packages).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="cmake make gcc g++ pkg-config libuv1-dev libcmocka-dev swig \
python3 python3-dev abigail-tools valgrind"
JOBS=$(nproc 2>/dev/null || echo 2)

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

configure_build() { # dir, cmake options...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$JOBS"
}

case "${1:-}" in
demo)
  install_missing
  configure_build build -DACORE_TESTS=OFF -DACORE_BENCH=OFF -DACORE_PYTHON=OFF
  ./build/examples/demo
  ;;
test)
  install_missing
  echo "== normal build: every test (unit tests also under valgrind)"
  configure_build build -DACORE_VALGRIND=ON
  (cd build && ctest --output-on-failure -j"$JOBS")
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
  configure_build build-asan -DACORE_ASAN=ON -DACORE_BENCH=OFF \
    -DACORE_VALGRIND=OFF
  (cd build-asan && ctest --output-on-failure -j"$JOBS")
  echo "== ThreadSanitizer: the threaded tests"
  configure_build build-tsan -DACORE_TSAN=ON -DACORE_BENCH=OFF \
    -DACORE_PYTHON=OFF -DACORE_VALGRIND=OFF
  (cd build-tsan && ctest --output-on-failure -L threads -j"$JOBS")
  ;;
*)
  echo "usage: $0 demo|test" >&2
  exit 2
  ;;
esac
