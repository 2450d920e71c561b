# acore's build options and their consistency checks.
#
# Every option is defined here, so each one exists (and is checked) whatever
# else is on or off. A combination that would silently ignore an option, or
# build something that cannot run, stops the configure with FATAL_ERROR.
# scripts/ci.sh passes every option explicitly, one build folder per purpose,
# so a value cached by an earlier configure never carries over.
option(ACORE_ASAN "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(ACORE_TSAN "Build with ThreadSanitizer" OFF)
option(ACORE_TESTS "Build the tests" ON)
option(ACORE_BENCH "Build the benchmarks" ON)
option(ACORE_VALGRIND "Also run the unit tests under valgrind (needs ACORE_TESTS)" OFF)
option(ACORE_PYTHON "Build the Python binding" ON)
# The Lua 5.4 binding (bindings/lua; Debian lua5.4, liblua5.4-dev; its tests
# need lua-busted).
option(ACORE_LUA "Build the Lua 5.4 binding" OFF)
# The Java binding (bindings/java; a JDK >= 17, Debian openjdk-17-jdk-headless;
# its tests need junit5's console launcher).
option(ACORE_JAVA "Build the Java binding" OFF)
# The interpreter the binding is built for and its tests run with: any
# CPython >= 3.10 with its development headers. Empty: CMake's FindPython3
# picks one (first on PATH); scripts/ci.sh pins Debian's /usr/bin/python3.
# The libFuzzer harness (tests/fuzz, docs/internals/fuzzing.md): clang,
# with ACORE_ASAN=ON; the library is built with coverage for it.
option(ACORE_FUZZ "Build the libFuzzer harness and its bounded runs (clang)" OFF)
set(ACORE_FUZZ_SECONDS 60 CACHE STRING
    "Seconds of each of the two bounded fuzzing runs (0: corpus only)")
set(ACORE_PYTHON_EXECUTABLE "" CACHE FILEPATH
    "Python interpreter for the binding and its tests (empty: search)")

function(acore_option_error) # message parts
  string(CONCAT msg ${ARGV})
  message(FATAL_ERROR "acore: inconsistent options: ${msg}")
endfunction()

if(ACORE_ASAN AND ACORE_TSAN)
  acore_option_error("ACORE_ASAN and ACORE_TSAN cannot be combined")
endif()
if(ACORE_VALGRIND AND NOT ACORE_TESTS)
  acore_option_error("ACORE_VALGRIND=ON runs the unit tests under valgrind; "
                     "it needs ACORE_TESTS=ON")
endif()
if(ACORE_VALGRIND AND (ACORE_ASAN OR ACORE_TSAN))
  acore_option_error("ACORE_VALGRIND=ON cannot run sanitizer builds "
                     "(ACORE_ASAN/ACORE_TSAN)")
endif()
if(ACORE_PYTHON AND ACORE_TSAN AND ACORE_TESTS)
  acore_option_error("the Python tests cannot run under ThreadSanitizer "
                     "(CPython is not instrumented): pass -DACORE_PYTHON=OFF")
endif()

if(ACORE_LUA AND ACORE_TSAN AND ACORE_TESTS)
  acore_option_error("the Lua tests cannot run under ThreadSanitizer "
                     "(the interpreter is not instrumented): pass -DACORE_LUA=OFF")
endif()

if(ACORE_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    acore_option_error("ACORE_FUZZ=ON needs clang (-DCMAKE_C_COMPILER=clang-14), "
                       "not ${CMAKE_C_COMPILER_ID}")
  endif()
  if(NOT ACORE_TESTS OR NOT ACORE_ASAN)
    acore_option_error("ACORE_FUZZ=ON needs ACORE_TESTS=ON and ACORE_ASAN=ON")
  endif()
  if(ACORE_PYTHON OR ACORE_LUA OR ACORE_JAVA)
    acore_option_error("ACORE_FUZZ=ON builds the harness only: "
                       "pass -DACORE_PYTHON=OFF -DACORE_LUA=OFF -DACORE_JAVA=OFF")
  endif()
endif()
if(ACORE_JAVA AND ACORE_TSAN AND ACORE_TESTS)
  acore_option_error("the Java tests cannot run under ThreadSanitizer (the "
                     "JVM is not instrumented, see docs/java.md): pass -DACORE_JAVA=OFF")
endif()

if(NOT ACORE_FUZZ_SECONDS MATCHES "^[0-9]+$")
  acore_option_error("ACORE_FUZZ_SECONDS=${ACORE_FUZZ_SECONDS} is not a "
                     "whole number of seconds")
endif()

message(STATUS "acore options: TESTS=${ACORE_TESTS} VALGRIND=${ACORE_VALGRIND} "
               "PYTHON=${ACORE_PYTHON} LUA=${ACORE_LUA} JAVA=${ACORE_JAVA} ASAN=${ACORE_ASAN} TSAN=${ACORE_TSAN} "
               "BENCH=${ACORE_BENCH} FUZZ=${ACORE_FUZZ} "
               "BUILD_TYPE=${CMAKE_BUILD_TYPE}")
