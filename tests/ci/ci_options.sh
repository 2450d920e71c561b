#!/usr/bin/env bash
# tests/ci/ci_options.sh SOURCE_DIR SCRATCH_DIR - the test command cannot pass
# by testing nothing:
#  1. scripts/ci.sh passes every option of cmake/acore-options.cmake to every
#     build folder, and each purpose has its own folder;
#  2. a folder configured as the demo (tests off) and then with the test
#     command's options registers the tests (no option sticks in the cache),
#     and ctest --no-tests=error fails where no test is registered;
#  3. inconsistent options stop the configure with a message.
set -euo pipefail
src=$1
scratch=$2
ci="$src/scripts/ci.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. every option, every stage
mapfile -t declared < <(sed -n \
  's/^ *\(option\|set\)(\(ACORE_[A-Z_]*\|CMAKE_BUILD_TYPE\) .*/\2/p' \
  "$src/cmake/acore-options.cmake")
[ ${#declared[@]} -ge 7 ] || fail "found only ${declared[*]} in acore-options.cmake"
for stage in demo test asan tsan fuzz; do
  opts=$(bash "$ci" options "$stage")
  for o in "${declared[@]}" CMAKE_BUILD_TYPE; do
    grep -q -- "^-D$o=" <<<"$opts" || fail "stage $stage does not pass $o"
  done
done
grep -Eq '"build-\$(1|name)"' "$ci" || fail "ci.sh does not build each stage in its own folder"
n=$(grep -c -- '--no-tests=error' "$ci")
[ "$n" -ge 1 ] || fail "ci.sh runs ctest without --no-tests=error"
if grep -n 'ctest' "$ci" | grep -v -- '--no-tests=error' | grep -v '^[0-9]*: *#' |
   grep -v 'run_ctest' ; then
  fail "a ctest call in ci.sh lacks --no-tests=error"
fi

configure() { # dir, options...: configure, output in $dir.log
  local dir=$1
  shift
  cmake -S "$src" -B "$dir" "$@" >"$dir.log" 2>&1
}

rm -rf "$scratch"
mkdir -p "$scratch"

# 2. demo, then the test command's options, in one folder
mapfile -t demo < <(bash "$ci" options demo)
mapfile -t test < <(bash "$ci" options test)
configure "$scratch/b" "${demo[@]}" || { cat "$scratch/b.log"; fail "demo configure"; }
if (cd "$scratch/b" && ctest --no-tests=error >/dev/null 2>&1); then
  fail "ctest --no-tests=error passed in a folder without tests"
fi
configure "$scratch/b" "${test[@]}" || { cat "$scratch/b.log"; fail "test configure"; }
listed=$(cd "$scratch/b" && ctest --no-tests=error -N)
for t in test_future test_future_valgrind abi_symbols package_install \
         py_test_future ci_options; do
  grep -q " $t\$" <<<"$listed" || fail "$t not registered after demo then test"
done
echo "demo then test: $(grep -c 'Test *#' <<<"$listed") tests registered"

# 3. inconsistent options fail loudly
bad() { # expected message, options...
  local msg=$1
  shift
  rm -rf "$scratch/bad"
  if configure "$scratch/bad" "${test[@]}" "$@"; then
    fail "configure accepted $*"
  fi
  grep -q "$msg" "$scratch/bad.log" || { cat "$scratch/bad.log"; fail "no '$msg' for $*"; }
  echo "rejected: $* ($msg)"
}
bad "needs ACORE_TESTS=ON" -DACORE_TESTS=OFF
bad "cannot be combined" -DACORE_VALGRIND=OFF -DACORE_ASAN=ON -DACORE_TSAN=ON
bad "cannot run sanitizer builds" -DACORE_ASAN=ON
bad "not instrumented" -DACORE_VALGRIND=OFF -DACORE_TSAN=ON
bad "needs clang" -DACORE_VALGRIND=OFF -DACORE_PYTHON=OFF -DACORE_ASAN=ON \
  -DACORE_FUZZ=ON
bad "the JVM is not instrumented" -DACORE_VALGRIND=OFF -DACORE_PYTHON=OFF \
  -DACORE_LUA=OFF -DACORE_JAVA=ON -DACORE_TSAN=ON
bad "not a whole number" -DACORE_FUZZ_SECONDS=ten
rm -rf "$scratch"
echo "ci options: ok"
