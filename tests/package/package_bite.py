#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""package_bite.py - the package checks bite (test package_checks_bite,
label "package"): each packaging mistake below, made in a scratch copy of
the tree, must make tests/package/package_test.py fail in the step that
guards against it, for the right reason; the unchanged copy must pass.

The real tree is never modified. One scratch build (library, static
library and, when the bindings are on, the Python, Lua and Java modules
(the jar too); no tests, no benchmarks, -O0) is configured once and
reused: each case edits the copy,
rebuilds what changed (CMake re-runs itself when a CMake file changed), runs
the steps that guard against it, and restores the copy.

Exit status: 0 pass, 1 fail, 77 skip (a needed tool is missing).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77
# Top-level entries of the tree not copied: build folders and the like
# (see .gitignore), hidden files.
NOT_COPIED = (".", "build", "fuzz-")

INSTALL_STATIC = ("install(TARGETS acore_static\n"
                  "  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT acore_devel)\n")
INSTALL_PY_DIR = ("  install(DIRECTORY ${ACORE_PY_DIR}/acore DESTINATION "
                  "${ACORE_PYTHON_INSTALL_DIR}\n"
                  "    COMPONENT acore_python FILES_MATCHING PATTERN \"*.py\"\n"
                  "    PATTERN \"__pycache__\" EXCLUDE)\n")
INSTALL_PY_EXT = ("  install(TARGETS acore_python LIBRARY DESTINATION "
                  "${ACORE_PYTHON_INSTALL_DIR}/acore\n"
                  "    COMPONENT acore_python)\n")
PY_RPATH = ('  set_target_properties(acore_python PROPERTIES\n'
            '    INSTALL_RPATH "$ORIGIN/${_acore_py_rpath}")\n')
INSTALL_LUA = ("  install(FILES ${CMAKE_SOURCE_DIR}/bindings/lua/acore.lua\n"
               "    DESTINATION ${ACORE_LUA_INSTALL_LDIR} COMPONENT acore_lua)\n"
               "  install(TARGETS acore_lua LIBRARY DESTINATION ${ACORE_LUA_INSTALL_CDIR}\n"
               "    COMPONENT acore_lua)\n")
LUA_RPATH = ('  set_target_properties(acore_lua PROPERTIES\n'
             '    INSTALL_RPATH "$ORIGIN/${_acore_lua_rpath}")\n')
INSTALL_JAR = ("  install(FILES ${ACORE_JAVA_JAR} DESTINATION ${ACORE_JAVA_INSTALL_JARDIR}\n"
               "    COMPONENT acore_java)\n")
INSTALL_JNI = ("  install(TARGETS acore_java LIBRARY DESTINATION ${ACORE_JAVA_INSTALL_JNIDIR}\n"
               "    COMPONENT acore_java)\n")
JAVA_RPATH = ('  set_target_properties(acore_java PROPERTIES\n'
              '    INSTALL_RPATH "$ORIGIN/${_acore_java_rpath}")\n')
JAVA_LIB = "bindings/java/src/org/acore/Lib.java"
JAR_LOOKUP = '"../../lib/jni/libacore_java.so"'
VERSION_FILE = ("configure_file(cmake/acoreConfigVersion.cmake.in\n"
                "  ${CMAKE_BINARY_DIR}/abi/acoreConfigVersion.cmake @ONLY)\n")
ABI_RULE = ("if(_acore_w_major EQUAL @ACORE_ABI_MAJOR@ AND "
            "NOT _acore_w_minor GREATER @ACORE_ABI_MINOR@)")
STATIC_LIB = "add_library(acore_static STATIC $<TARGET_OBJECTS:acore_objects>)\n"
CMAKE_LISTS = "CMakeLists.txt"
VERSION_IN = "cmake/acoreConfigVersion.cmake.in"

# (the mistake, [(file, old text, new text)], steps that must fail, the words
# their failure must contain (a string or a tuple of them), needs a binding:
# True the Python one, "lua" the Lua one, "java" the Java one)
CASES = (
    ("libacore.a is not installed (and the link with `pkg-config --static` fails)",
     [(CMAKE_LISTS, INSTALL_STATIC, "")], "layout,pkg-config",
     ("missing lib/libacore.a", "the static consumer does not link with libacore.a"), False),
    ("acore.pc has no Requires.private (libuv missing)",
     [("pkgconfig/acore.pc.in", "Requires.private: libuv >= 1.44\n", "")],
     "pkg-config", "Requires.private is ''", False),
    ("acore.pc requires libuv without its version (0.1's line)",
     [("pkgconfig/acore.pc.in", "Requires.private: libuv >= 1.44\n",
       "Requires.private: libuv\n")],
     "pkg-config", "Requires.private is 'libuv'", False),
    ("the Python package is not installed",
     [(CMAKE_LISTS, INSTALL_PY_DIR, ""), (CMAKE_LISTS, INSTALL_PY_EXT, "")],
     "python", "the Python package is not installed", True),
    ("the Python package is installed without its extension module",
     [(CMAKE_LISTS, INSTALL_PY_EXT, "")],
     "python", "cannot import name '_lowlevel'", True),
    ("the extension module is installed without its relative RPATH",
     [(CMAKE_LISTS, PY_RPATH, "")],
     "python", "libacore.so.1: cannot open shared object file", True),
    ("the Lua binding is not installed",
     [(CMAKE_LISTS, INSTALL_LUA, "")],
     "lua", "the Lua binding is not installed", "lua"),
    ("the Lua C module is installed without its relative RPATH",
     [(CMAKE_LISTS, LUA_RPATH, "")],
     "lua", "libacore.so.1: cannot open shared object file", "lua"),
    ("the Java jar is not installed",
     [(CMAKE_LISTS, INSTALL_JAR, "")],
     "java", ("the Java binding is not installed", "share/java/acore.jar"), "java"),
    ("the JNI library is installed into lib/ beside libacore, not lib/jni",
     [(CMAKE_LISTS, INSTALL_JNI, INSTALL_JNI.replace("${ACORE_JAVA_INSTALL_JNIDIR}",
                                                     "${CMAKE_INSTALL_LIBDIR}"))],
     "java", ("the Java binding is not installed", "lib/jni/libacore_java.so"), "java"),
    ("the jar looks for its JNI library in the wrong place (lib/ of its prefix)",
     [(JAVA_LIB, JAR_LOOKUP, '"../../lib/libacore_java.so"')],
     "java", "no acore_java in java.library.path", "java"),
    ("the JNI library is installed without its relative RPATH",
     [(CMAKE_LISTS, JAVA_RPATH, "")],
     "java", "libacore.so.1: cannot open shared object file", "java"),
    ("the version file is 0.1's (SameMajorVersion of the project version), and the "
     "project version moves to 2.0.0 with the ABI unchanged: find_package(acore 1.0) "
     "is refused",
     [(CMAKE_LISTS, VERSION_FILE,
       "write_basic_package_version_file(${CMAKE_BINARY_DIR}/abi/acoreConfigVersion.cmake\n"
       "  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)\n"),
      (CMAKE_LISTS, "project(acore VERSION 1.0.0 LANGUAGES C CXX)",
       "project(acore VERSION 2.0.0 LANGUAGES C CXX)")],
     "cmake", 'requested version "1.0"', False),
    ("the version file accepts every request up to the ABI version (AnyNewerVersion): "
     "a 2.x installation satisfies find_package(acore 1.0)",
     [(VERSION_IN, ABI_RULE, "if(NOT _acore_want VERSION_GREATER ACORE_ABI_VERSION)")],
     "version-rule", "installed 2.0.0 (ABI 2.0): find_package(acore 1.0) accepted", False),
    ("the version file ignores the major: find_package(acore 2.0) is accepted",
     [(VERSION_IN, ABI_RULE,
       "if(NOT _acore_w_minor GREATER @ACORE_ABI_MINOR@)")],
     "cmake", "find_package(acore 2.0) was not refused", False),
    ("the version file wants the same minor (ExactVersion-like): a 1.3 installation "
     "refuses find_package(acore 1.0)",
     [(VERSION_IN, ABI_RULE,
       "if(_acore_w_major EQUAL @ACORE_ABI_MAJOR@ AND "
       "_acore_w_minor EQUAL @ACORE_ABI_MINOR@)")],
     "version-rule", "installed 1.3.0 (ABI 1.3): find_package(acore 1.0) refused", False),
    ("the include directory is listed twice (install(TARGETS ... INCLUDES DESTINATION), "
     "0.1's way)",
     [(CMAKE_LISTS, "    COMPONENT acore_runtime NAMELINK_COMPONENT acore_devel)\n",
       "    COMPONENT acore_runtime NAMELINK_COMPONENT acore_devel\n"
       "  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})\n")],
     "cmake", "acore::acore lists 2 include directories", False),
    ("every source is compiled twice (the static library from the sources, 0.1's way)",
     [(CMAKE_LISTS, STATIC_LIB,
       "add_library(acore_static STATIC ${ACORE_SOURCES})\n"
       "target_include_directories(acore_static PRIVATE ${CMAKE_SOURCE_DIR}/core)\n")],
     "compiled-once", "core/loop.c is compiled 2 times", False),
)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


class Failed(Exception):
    pass


def must(cmd, what, **kw):
    r = run(cmd, **kw)
    if r.returncode:
        raise Failed(f"{what} failed ({r.returncode}):\n  $ {' '.join(cmd)}\n{r.stdout}")
    return r.stdout


class Scratch:
    """A copy of the tree and one build of it."""

    def __init__(self, tmp, a):
        self.a, self.src = a, os.path.join(tmp, "src")
        self.build = os.path.join(tmp, "build")
        os.makedirs(self.src)
        for name in sorted(os.listdir(ROOT)):
            if name.startswith(NOT_COPIED):
                continue
            p = os.path.join(ROOT, name)
            dst = os.path.join(self.src, name)
            if os.path.isdir(p):
                shutil.copytree(p, dst, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(p, dst)
        self.targets = (["acore", "acore_static"] + (["acore_python"] if a.python_dir else [])
                        + (["acore_lua"] if a.lua_ldir else [])
                        + (["acore_java", "acore_jar"] if a.java_jardir else []))

    def configure(self):
        py = (["-DACORE_PYTHON=ON", f"-DACORE_PYTHON_EXECUTABLE={self.a.python}"]
              if self.a.python_dir else ["-DACORE_PYTHON=OFF"])
        py += ["-DACORE_LUA=ON"] if self.a.lua_ldir else ["-DACORE_LUA=OFF"]
        py += ["-DACORE_JAVA=ON"] if self.a.java_jardir else ["-DACORE_JAVA=OFF"]
        must([self.a.cmake, "-S", self.src, "-B", self.build, "-DACORE_TESTS=OFF",
              "-DACORE_BENCH=OFF", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
              "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O0 -g", f"-DCMAKE_C_COMPILER={self.a.cc}",
              f"-DCMAKE_CXX_COMPILER={self.a.cxx}"] + py, "configuring the scratch copy")

    def rebuild(self):
        must([self.a.cmake, "--build", self.build, "-j2", "--target"] + self.targets,
             "building the scratch copy")

    def edit(self, rel, old, new):
        path = os.path.join(self.src, rel)
        with open(path) as f:
            text = f.read()
        if old not in text:
            raise Failed(f"this test is stale: {rel} no longer contains:\n{old}")
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
        return text

    def restore(self, rel, text):
        with open(os.path.join(self.src, rel), "w") as f:
            f.write(text)

    def package_test(self, steps):
        a = self.a
        py = ["--python-dir", a.python_dir, "--python", a.python] if a.python_dir else []
        if a.lua_ldir:
            py += ["--lua-ldir", a.lua_ldir, "--lua-cdir", a.lua_cdir, "--lua", a.lua]
        if a.java_jardir:
            py += ["--java-jardir", a.java_jardir, "--java-jnidir", a.java_jnidir,
                   "--java", a.java, "--javac", a.javac]
        return run([sys.executable, os.path.join(HERE, "package_test.py"), "--build",
                    self.build, "--root", self.src, "--only", steps, "--version", a.version,
                    "--abi-version", a.abi_version, "--libdir", a.libdir, "--cmake", a.cmake,
                    "--cc", a.cc, "--cxx", a.cxx] + py + ["--sources"] + a.sources)


def one_case(s, case, results):
    what, edits, steps, word, python = case
    saved, t0 = {}, time.monotonic()
    for rel, old, new in edits:
        text = s.edit(rel, old, new)
        saved.setdefault(rel, text)
    try:
        if steps == "compiled-once":  # CMake writes the compile database
            s.configure()
        else:
            s.rebuild()
        r = s.package_test(steps)
    finally:
        for rel, text in saved.items():
            s.restore(rel, text)
    words = word if isinstance(word, tuple) else (word,)
    ok = r.returncode == 1 and all(w in r.stdout for w in words)
    word = " ... ".join(words)
    results.append((ok, f"fails ({steps}, {time.monotonic() - t0:.0f} s): {what}", word,
                    r.stdout))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--abi-version", required=True)
    ap.add_argument("--libdir", required=True)
    ap.add_argument("--python-dir", default="")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--lua-ldir", default="")
    ap.add_argument("--lua-cdir", default="")
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--java-jardir", default="")
    ap.add_argument("--java-jnidir", default="")
    ap.add_argument("--java", default="java")
    ap.add_argument("--javac", default="javac")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--sources", nargs="+", required=True)
    ap.add_argument("--case", action="append", default=[],
                    help="run only the cases whose text contains this (repeatable)")
    a = ap.parse_args()
    a.sources = [os.path.relpath(x, ROOT) if os.path.isabs(x) else x for x in a.sources]
    for tool in ("pkg-config", "readelf", "ldd", "nm"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return SKIP
    cases = [c for c in CASES if (a.python_dir or c[4] is not True)
             and (a.lua_ldir or c[4] != "lua")
             and (a.java_jardir or c[4] != "java")
             and (not a.case or any(w in c[0] for w in a.case))]
    results = []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="acore-pkgbite-") as tmp:
        try:
            s = Scratch(tmp, a)
            s.configure()
            s.rebuild()
            r = s.package_test(",".join(sorted({x for c in CASES for x in c[2].split(",")})))
            results.append((r.returncode == 0, "passes: the unchanged copy, every step "
                            f"(copy, configure, build, test: {time.monotonic() - t0:.0f} s)",
                            "", r.stdout))
            for case in cases:
                one_case(s, case, results)
        except (Failed, OSError) as e:
            results.append((False, "the scratch copy", "", str(e)))
    for ok, what, word, out in results:
        print(("  ok   " if ok else "  BAD  ") + what)
        if ok and word:
            print(f"         | ...{word}...")
    bad = [(what, word, out) for ok, what, word, out in results if not ok]
    for what, word, out in bad:
        print(f"\n{what}: " + (f"want a failure naming '{word}', got:" if word else "got:"))
        print("    " + out.strip().replace("\n", "\n    "))
    skipped = len(CASES) - len(cases)
    n = len(results) - 1
    print(("PASS" if not bad else "FAIL") + f": the package checks bite ({n} "
          f"mistake{'s' if n != 1 else ''}, each caught by its step; "
          f"{time.monotonic() - t0:.0f} s"
          + (f"; {skipped} binding cases skipped: no binding" if skipped and not a.case else "")
          + ")")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
