#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""package_test.py - install acore into a temporary prefix with a plain
`cmake --install <build> --prefix <tmp>` and use it from outside the tree,
the ways a user does (label "package"):

  1. C:      cc consumer.c $(pkg-config --cflags --libs acore)
  2. C++:    c++ -x c++ consumer.c $(pkg-config --cflags --libs acore)
  3. static: consumer.c linked with libacore.a and the rest of
             `pkg-config --static --libs acore` (libuv, -pthread, -lm): the
             program needs no libacore.so
  4. CMake:  find_package(acore 1.0 CONFIG) in a separate project
             (tests/package/cmake_consumer); find_package(acore 2.0) and
             (acore 1.<newest node + 1>) are refused (tests/package/cmake_refused);
             the version file's rule is also evaluated for other installed
             versions (version_probe.cmake)
  5. Python: Debian's /usr/bin/python3 imports `acore` from the prefix (only
             PYTHONPATH set; for the default prefix /usr/local the folder is
             on the interpreter's own path) and runs a coroutine
  6. Lua:    lua5.4 requires `acore` from the prefix (only LUA_PATH and
             LUA_CPATH set; for /usr/local the folders are on lua5.4's own
             paths) and runs a task
  7. Java:   a program compiled against the prefix's share/java/acore.jar
             runs with only that jar on its class path (no
             LD_LIBRARY_PATH, no java.library.path): the jar loads
             lib/jni/libacore_java.so beside it, which finds the prefix's
             libacore.so.1 through its RPATH

It also checks the installed layout (SONAME links, no RPATH in the library,
headers, libacore.a, acore.pc with `Requires.private: libuv >= 1.44`, the
CMake package), that every library source is compiled once in the build,
and that the version queries agree: `pkg-config --modversion`, the CMake
package version, ACORE_VERSION_STRING and acore_version_string().

--root names the source tree the build was configured from (default: the
one holding this file) and --only runs some of the steps (STEPS below);
tests/package/package_bite.py uses both on a mutated scratch copy.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SKIP = 77


def run(cmd, env=None, cwd=None, quiet=False, check=True):
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env, cwd=cwd)
    if r.stdout.strip() and (not quiet or (r.returncode and check)):
        print("  " + r.stdout.strip().replace("\n", "\n  "))
    if r.returncode and check:
        raise RuntimeError(f"exit status {r.returncode}: {' '.join(cmd)}")
    return r.stdout if check else r


def needed(exe):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]",
                      run(["readelf", "-d", "--wide", exe], quiet=True))


def check_layout(a, prefix, fails):
    lib = os.path.join(prefix, a.libdir)
    real = os.path.join(lib, "libacore.so.1.0.0")
    for link, target in (("libacore.so.1", "libacore.so.1.0.0"),
                         ("libacore.so", "libacore.so.1")):
        p = os.path.join(lib, link)
        if not os.path.islink(p) or os.readlink(p) != target:
            fails.append(f"{p} should be a link to {target}")
    if not os.path.isfile(real):
        fails.append(f"missing {real}")
        return
    dyn = run(["readelf", "-d", "--wide", real], quiet=True)
    if "Library soname: [libacore.so.1]" not in dyn:
        fails.append("installed library lacks SONAME libacore.so.1")
    if re.search(r"R(UN)?PATH", dyn):
        fails.append("installed library keeps a build-tree RPATH/RUNPATH")
    for f in ("include/acore.h", f"{a.libdir}/libacore.a", f"{a.libdir}/pkgconfig/acore.pc",
              f"{a.libdir}/cmake/acore/acoreConfig.cmake",
              f"{a.libdir}/cmake/acore/acoreConfigVersion.cmake",
              f"{a.libdir}/cmake/acore/acoreTargets.cmake"):
        if not os.path.exists(os.path.join(prefix, f)):
            fails.append(f"missing {f}")
    src_inc = os.path.join(a.root, "abi", "include")
    for dirpath, _, files in os.walk(src_inc):
        for h in files:
            rel = os.path.relpath(os.path.join(dirpath, h), src_inc)
            if not os.path.exists(os.path.join(prefix, "include", rel)):
                fails.append(f"header include/{rel} not installed")
    archive = os.path.join(lib, "libacore.a")
    if os.path.exists(archive):
        syms = run(["nm", "-g", "--defined-only", archive], quiet=True)
        if not re.search(r" T acore_version_string$", syms, re.M):
            fails.append("libacore.a does not define acore_version_string")


def check_compiled_once(a, fails):
    """Every library source is compiled exactly once in the build (the
    compile database CMake writes at each generation): the shared and the
    static library share one object library."""
    with open(os.path.join(a.build, "compile_commands.json")) as f:
        db = json.load(f)
    for src in a.sources:
        path = src if os.path.isabs(src) else os.path.join(a.root, src)
        n = sum(1 for e in db if os.path.normpath(os.path.join(e["directory"], e["file"]))
                == os.path.normpath(path))
        if n != 1:
            fails.append(f"{src} is compiled {n} times")
    print(f"  {len(a.sources)} library sources, each compiled once")


def pkg_config_consumers(a, prefix, env, tmp, fails):
    pc_version = run(["pkg-config", "--modversion", "acore"], env).strip()
    if pc_version != a.version:
        fails.append(f"pkg-config --modversion acore is {pc_version}, want {a.version}")
    flags = run(["pkg-config", "--cflags", "--libs", "acore"], env).split()
    if "-I" + os.path.join(prefix, "include") not in flags:
        fails.append(f"pkg-config --cflags does not point into {prefix}")
    req = run(["pkg-config", "--print-requires-private", "acore"], env)
    if not re.search(r"^libuv >= 1\.44$", req, re.M):
        fails.append(f"acore.pc: Requires.private is '{req.strip()}', want 'libuv >= 1.44'")
    src = os.path.join(HERE, "consumer.c")
    shared = os.path.join(prefix, a.libdir, "libacore.so.1")
    for tag, cmd in (("c", [a.cc, "-std=c11", "-Wall", "-Wextra", "-Werror"]),
                     ("cxx", [a.cxx, "-x", "c++", "-std=c++11", "-Wall", "-Wextra", "-Werror"])):
        exe = os.path.join(tmp, "consumer_" + tag)
        run(cmd + ["-o", exe, src] + flags, env)
        if shared not in run(["ldd", exe], env):
            fails.append(f"{exe} does not load the installed libacore.so.1")
        run([exe, pc_version], env)
    # Static: libacore.a plus what `pkg-config --static` adds (libuv, -pthread,
    # -lm); only -lacore is taken statically (Debian ships libuv's archive as
    # libuv_a.a, so a fully static -static link cannot find -luv).
    sflags = run(["pkg-config", "--static", "--cflags", "--libs", "acore"], env).split()
    if "-luv" not in sflags:
        fails.append(f"pkg-config --static --libs acore lacks -luv: {sflags}")
    sflags = [x for f in sflags for x in
              (["-Wl,-Bstatic", "-lacore", "-Wl,-Bdynamic"] if f == "-lacore" else [f])]
    exe = os.path.join(tmp, "consumer_static")
    r = run([a.cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", exe, src] + sflags, env,
            check=False)
    if r.returncode:
        fails.append("the static consumer does not link with libacore.a and "
                     f"`pkg-config --static --libs acore`:\n{r.stdout}")
        return
    libs = needed(exe)
    if any(l.startswith("libacore") for l in libs):
        fails.append(f"the static consumer still needs {libs}")
    if "libuv.so.1" not in libs:
        fails.append(f"the static consumer does not link libuv: {libs}")
    noenv = {k: v for k, v in env.items() if k != "LD_LIBRARY_PATH"}
    run([exe, pc_version], noenv)


def version_rule(a, tmp, fails):
    """The version file's rule for other installed versions: configure
    cmake/acoreConfigVersion.cmake.in as a 1.3.0 / ABI 1.3 and a 2.0.0 /
    ABI 2.0 installation and ask it what find_package() would ask."""
    cases = (("0.1.0", "1", "0", [("1.0", True), ("1", True), ("0.1", True),
                                  ("1.1", False), ("2.0", False), ("0.2", False)]),
             ("1.3.0", "1", "3", [("1.0", True), ("1.3", True), ("1.4", False),
                                  ("2.0", False), ("0.1", False)]),
             ("1.7.2", "1", "7", [("1.0", True), ("1.7", True), ("1.8", False)]),
             ("2.0.0", "2", "0", [("1.0", False), ("2.0", True), ("2.1", False)]))
    for proj, major, minor, wants in cases:
        vf = os.path.join(tmp, f"acoreConfigVersion-{proj}.cmake")
        script = os.path.join(tmp, "configure_version.cmake")
        with open(script, "w") as f:
            f.write(f'set(PROJECT_VERSION "{proj}")\nset(ACORE_ABI_MAJOR {major})\n'
                    f'set(ACORE_ABI_MINOR {minor})\nset(ACORE_ABI_VERSION "{major}.{minor}")\n'
                    'set(CMAKE_SIZEOF_VOID_P 8)\n'
                    f'configure_file("{os.path.join(a.root, "cmake", "acoreConfigVersion.cmake.in")}"'
                    f' "{vf}" @ONLY)\n')
        run([a.cmake, "-P", script], quiet=True)
        for want, ok in wants:
            out = run([a.cmake, f"-DVERSION_FILE={vf}", f"-DWANT={want}", "-P",
                       os.path.join(HERE, "version_probe.cmake")], quiet=True)
            got = out.strip().startswith("compatible")
            print(f"  installed {proj} (ABI {major}.{minor}), find_package(acore {want}): "
                  + ("accepted" if got else "refused"))
            if got != ok:
                fails.append(f"installed {proj} (ABI {major}.{minor}): find_package(acore "
                             f"{want}) {'accepted' if got else 'refused'}, want the opposite")


def cmake_consumers(a, prefix, env, tmp, fails):
    b = os.path.join(tmp, "cmake_consumer")
    run([a.cmake, "-S", os.path.join(HERE, "cmake_consumer"), "-B", b,
         f"-DCMAKE_PREFIX_PATH={prefix}", f"-DCMAKE_C_COMPILER={a.cc}"], env)
    run([a.cmake, "--build", b], env)
    with open(os.path.join(b, "acore_version.txt")) as f:
        cm_version = f.read().strip()
    run([os.path.join(b, "consumer"), cm_version], env)
    if cm_version != a.version:
        fails.append(f"CMake package version {cm_version}, want {a.version}")
    for want in ("2.0", f"{a.abi_major}.{a.abi_minor + 1}"):
        b = os.path.join(tmp, "cmake_refused_" + want)
        r = run([a.cmake, "-S", os.path.join(HERE, "cmake_refused"), "-B", b,
                 f"-DCMAKE_PREFIX_PATH={prefix}", f"-DACORE_WANT={want}"], env, check=False)
        if r.returncode == 0 or f'compatible\n  with requested version "{want}"' not in r.stdout:
            fails.append(f"find_package(acore {want}) was not refused:\n{r.stdout}")
        else:
            print(f"  find_package(acore {want}) refused, as it should be")


def python_import(a, prefix, tmp, fails):
    if not a.python_dir:
        print("  the Python binding is not built (ACORE_PYTHON=OFF): no Python check")
        return
    site = os.path.join(prefix, a.python_dir)
    if not os.path.isdir(os.path.join(site, "acore")):
        fails.append(f"the Python package is not installed in {site}/acore")
        return
    # For the default prefix the folder is on the interpreter's own path.
    default = run([a.python, "-c", "import sys; print('\\n'.join(sys.path))"], quiet=True)
    if os.path.join("/usr/local", a.python_dir) not in default.split("\n"):
        fails.append(f"/usr/local/{a.python_dir} is not on {a.python}'s sys.path:\n{default}")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": site, "HOME": tmp}
    code = ("import acore, os\n"
            "async def main():\n"
            "    await acore.sleep(0)\n"
            "    return 42\n"
            "assert acore.run(main()) == 42\n"
            "maps = open('/proc/self/maps').read()\n"
            "libs = sorted({l.split()[-1] for l in maps.splitlines() if 'libacore.so' in l})\n"
            "print(acore.__file__)\n"
            "print(' '.join(libs))\n")
    out = run([a.python, "-c", code], env, cwd=tmp).split("\n")
    if not out[0].startswith(os.path.join(site, "acore") + os.sep):
        fails.append(f"import acore found {out[0]}, not the prefix's package")
    want = os.path.join(prefix, a.libdir, "libacore.so.1.0.0")
    if out[1].strip() != want:
        fails.append(f"the installed extension loaded '{out[1]}', want {want}")


LUA_CODE = r"""
local acore = require "acore"
assert(acore.run(function() acore.sleep(0) return 42 end) == 42)
print(package.searchpath("acore", package.path))
print(package.searchpath("acore_core", package.cpath))
local f = assert(io.open("/proc/self/maps"))
local libs = {}
for line in f:read("a"):gmatch("[^\n]+") do
  local p = line:match("(%S*libacore%.so%S*)$")
  if p then libs[p] = true end
end
f:close()
for p in pairs(libs) do print(p) end
"""


def lua_require(a, prefix, tmp, fails):
    if not a.lua_ldir:
        print("  the Lua binding is not built (ACORE_LUA=OFF): no Lua check")
        return
    ldir, cdir = os.path.join(prefix, a.lua_ldir), os.path.join(prefix, a.lua_cdir)
    for f in (os.path.join(ldir, "acore.lua"), os.path.join(cdir, "acore_core.so")):
        if not os.path.isfile(f):
            fails.append(f"the Lua binding is not installed: missing {f}")
            return
    # For the default prefix the folders are on lua5.4's own paths.
    paths = run([a.lua, "-e", "print(package.path) print(package.cpath)"], quiet=True)
    for want in (f"/usr/local/{a.lua_ldir}/?.lua", f"/usr/local/{a.lua_cdir}/?.so"):
        if want not in paths:
            fails.append(f"{want} is not on {a.lua}'s own paths:\n{paths}")
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp,
           "LUA_PATH": f"{ldir}/?.lua;;", "LUA_CPATH": f"{cdir}/?.so;;"}
    out = run([a.lua, "-e", LUA_CODE], env, cwd=tmp).split("\n")
    if out[0] != os.path.join(ldir, "acore.lua") or \
            out[1] != os.path.join(cdir, "acore_core.so"):
        fails.append(f"require 'acore' found {out[:2]}, not the prefix's files")
    want = os.path.join(prefix, a.libdir, "libacore.so.1.0.0")
    if [x for x in out[2:] if x.strip()] != [want]:
        fails.append(f"the installed Lua module loaded {out[2:]}, want {want}")


JAVA_CODE = r"""
import java.nio.file.Files;
import java.nio.file.Paths;
import org.acore.*;

public class PkgMain {
  public static void main(String[] args) throws Exception {
    try (Loop loop = new Loop()) {
      Task<Integer> f = loop.spawn(Chain.start().thenAwait(v -> Acore.sleep(0))
          .then(v -> 42));
      if (loop.runUntilComplete(f) != 42)
        throw new AssertionError("the task did not return 42");
    }
    for (String line : Files.readAllLines(Paths.get("/proc/self/maps")))
      if (line.matches(".*libacore(_java)?\\.so.*"))
        System.out.println(line.substring(line.lastIndexOf(' ') + 1));
  }
}
"""


def java_run(a, prefix, tmp, fails):
    if not a.java_jardir:
        print("  the Java binding is not built (ACORE_JAVA=OFF): no Java check")
        return
    jar = os.path.join(prefix, a.java_jardir, "acore.jar")
    jni = os.path.join(prefix, a.java_jnidir, "libacore_java.so")
    for f in (jar, jni):
        if not os.path.isfile(f):
            fails.append(f"the Java binding is not installed: missing {f}")
            return
    src = os.path.join(tmp, "java")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "PkgMain.java"), "w") as f:
        f.write(JAVA_CODE)
    env = {"PATH": "/usr/bin:/bin", "HOME": tmp}
    run([a.javac, "-cp", jar, "-d", src, os.path.join(src, "PkgMain.java")], env,
        cwd=src, quiet=True)
    out = run([a.java, "-cp", jar + os.pathsep + src, "PkgMain"], env, cwd=src)
    loaded = sorted(set(x.strip() for x in out.split("\n") if x.strip()))
    want = sorted([os.path.realpath(jni),
                   os.path.join(prefix, a.libdir, "libacore.so.1.0.0")])
    if [os.path.realpath(x) for x in loaded] != [os.path.realpath(x) for x in want]:
        fails.append(f"the installed Java binding loaded {loaded}, want {want}")


# The steps, in order; every step but compiled-once and version-rule uses
# the prefix that `cmake --install` fills.
STEPS = ("compiled-once", "layout", "pkg-config", "cmake", "version-rule", "python",
         "lua", "java")


def run_steps(a, only, tmp, fails):
    prefix = os.path.join(tmp, "prefix")
    if "compiled-once" in only:
        check_compiled_once(a, fails)
    if only & {"layout", "pkg-config", "cmake", "python", "lua", "java"}:
        run([a.cmake, "--install", a.build, "--prefix", prefix], quiet=True)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.path.join(prefix, a.libdir, "pkgconfig")
    env["LD_LIBRARY_PATH"] = os.path.join(prefix, a.libdir)
    for step, fn in (("layout", lambda: check_layout(a, prefix, fails)),
                     ("pkg-config", lambda: pkg_config_consumers(a, prefix, env, tmp, fails)),
                     ("cmake", lambda: cmake_consumers(a, prefix, env, tmp, fails)),
                     ("version-rule", lambda: version_rule(a, tmp, fails)),
                     ("python", lambda: python_import(a, prefix, tmp, fails)),
                     ("lua", lambda: lua_require(a, prefix, tmp, fails)),
                     ("java", lambda: java_run(a, prefix, tmp, fails))):
        if step in only:
            try:
                fn()
            except RuntimeError as e:
                fails.append(f"{step}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the acore build folder")
    ap.add_argument("--root", default=ROOT, help="the source tree of that build")
    ap.add_argument("--only", default=",".join(STEPS),
                    help="comma-separated steps to run, of: " + ", ".join(STEPS))
    ap.add_argument("--version", required=True, help="the CMake project version")
    ap.add_argument("--abi-version", required=True, help="SONAME major.newest node minor")
    ap.add_argument("--libdir", required=True, help="CMAKE_INSTALL_LIBDIR")
    ap.add_argument("--python-dir", default="", help="the Python package folder, "
                    "relative to the prefix (empty: no Python binding)")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--lua-ldir", default="", help="where acore.lua goes, relative "
                    "to the prefix (empty: no Lua binding)")
    ap.add_argument("--lua-cdir", default="", help="where the Lua C module goes")
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--java-jardir", default="", help="where acore.jar goes, "
                    "relative to the prefix (empty: no Java binding)")
    ap.add_argument("--java-jnidir", default="", help="where libacore_java.so goes")
    ap.add_argument("--java", default="java")
    ap.add_argument("--javac", default="javac")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--sources", nargs="+", required=True, help="the library's sources")
    a = ap.parse_args()
    a.root = os.path.abspath(a.root)
    a.abi_major, a.abi_minor = (int(x) for x in a.abi_version.split("."))
    only = set(a.only.split(","))
    if only - set(STEPS):
        ap.error(f"unknown steps {sorted(only - set(STEPS))}; the steps: {', '.join(STEPS)}")
    for tool in ("pkg-config", "readelf", "ldd", "nm"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return SKIP
    fails = []
    with tempfile.TemporaryDirectory(prefix="acore-pkg-") as tmp:
        try:
            run_steps(a, only, tmp, fails)
        except RuntimeError as e:
            fails.append(str(e))
    steps = "" if only == set(STEPS) else f" (steps: {', '.join(s for s in STEPS if s in only)})"
    print(("PASS" if not fails else "FAIL") + ": `cmake --install` into a prefix; "
          "consumers via pkg-config (C, C++, static), find_package(acore 1.0) "
          "(2.0 refused), import acore, require 'acore', the Java jar; versions agree" + steps)
    for f in fails:
        print("  " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
