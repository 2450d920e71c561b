#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""package_test.py - install acore into a temporary prefix and build and run
a consumer three ways (label "package"):

  1. C:   cc consumer.c $(pkg-config --cflags --libs acore)
  2. C++: c++ -x c++ consumer.c $(pkg-config --cflags --libs acore)
  3. CMake: find_package(acore CONFIG) in a separate project
     (tests/package/cmake_consumer), target acore::acore

and check the installed layout (SONAME links, headers, acore.pc, CMake
package) and that the version queries agree: `pkg-config --modversion`, the
CMake package version, ACORE_VERSION_STRING and acore_version_string().
The install runs the two components acore installs (acore_runtime,
acore_devel), i.e. what `cmake --install` puts in place for acore.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


def run(cmd, env=None, cwd=None, quiet=False):
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env, cwd=cwd)
    if r.stdout.strip() and (not quiet or r.returncode):
        print("  " + r.stdout.strip().replace("\n", "\n  "))
    if r.returncode:
        raise RuntimeError(f"exit status {r.returncode}: {' '.join(cmd)}")
    return r.stdout


def check_layout(prefix, libdir, fails):
    lib = os.path.join(prefix, libdir)
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
    for f in ("include/acore.h", f"{libdir}/pkgconfig/acore.pc",
              f"{libdir}/cmake/acore/acoreConfig.cmake",
              f"{libdir}/cmake/acore/acoreConfigVersion.cmake",
              f"{libdir}/cmake/acore/acoreTargets.cmake"):
        if not os.path.exists(os.path.join(prefix, f)):
            fails.append(f"missing {f}")
    src_inc = os.path.join(os.path.dirname(os.path.dirname(HERE)), "abi", "include")
    for dirpath, _, files in os.walk(src_inc):
        for h in files:
            rel = os.path.relpath(os.path.join(dirpath, h), src_inc)
            if not os.path.exists(os.path.join(prefix, "include", rel)):
                fails.append(f"header include/{rel} not installed")


def pkg_config_consumers(a, prefix, libdir, env, tmp, fails):
    pc_version = run(["pkg-config", "--modversion", "acore"], env).strip()
    if pc_version != a.version:
        fails.append(f"pkg-config --modversion acore is {pc_version}, want {a.version}")
    flags = run(["pkg-config", "--cflags", "--libs", "acore"], env).split()
    if "-I" + os.path.join(prefix, "include") not in flags:
        fails.append(f"pkg-config --cflags does not point into {prefix}")
    if "libuv" not in run(["pkg-config", "--print-requires-private", "acore"], env):
        fails.append("acore.pc lacks Requires.private: libuv")
    src = os.path.join(HERE, "consumer.c")
    for tag, cmd in (("c", [a.cc, "-std=c11", "-Wall", "-Wextra", "-Werror"]),
                     ("cxx", [a.cxx, "-x", "c++", "-std=c++11", "-Wall", "-Wextra", "-Werror"])):
        exe = os.path.join(tmp, "consumer_" + tag)
        run(cmd + ["-o", exe, src] + flags, env)
        ldd = run(["ldd", exe], env)
        if os.path.join(prefix, libdir, "libacore.so.1") not in ldd:
            fails.append(f"{exe} does not load the installed libacore.so.1")
        run([exe, pc_version], env)


def cmake_consumer(a, prefix, env, tmp):
    b = os.path.join(tmp, "cmake_consumer")
    run([a.cmake, "-S", os.path.join(HERE, "cmake_consumer"), "-B", b,
         f"-DCMAKE_PREFIX_PATH={prefix}", f"-DCMAKE_C_COMPILER={a.cc}"], env)
    run([a.cmake, "--build", b], env)
    with open(os.path.join(b, "acore_version.txt")) as f:
        cm_version = f.read().strip()
    run([os.path.join(b, "consumer"), cm_version], env)
    return cm_version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the acore build folder")
    ap.add_argument("--version", required=True, help="the CMake project version")
    ap.add_argument("--libdir", required=True, help="CMAKE_INSTALL_LIBDIR")
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    a = ap.parse_args()
    for tool in ("pkg-config", "readelf", "ldd"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return SKIP
    fails = []
    with tempfile.TemporaryDirectory(prefix="acore-pkg-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        try:
            for comp in ("acore_runtime", "acore_devel"):
                run([a.cmake, "--install", a.build, "--prefix", prefix, "--component", comp])
            check_layout(prefix, a.libdir, fails)
            env = dict(os.environ)
            env["PKG_CONFIG_PATH"] = os.path.join(prefix, a.libdir, "pkgconfig")
            env["LD_LIBRARY_PATH"] = os.path.join(prefix, a.libdir)
            pkg_config_consumers(a, prefix, a.libdir, env, tmp, fails)
            cm = cmake_consumer(a, prefix, env, tmp)
            if cm != a.version:
                fails.append(f"CMake package version {cm}, want {a.version}")
        except RuntimeError as e:
            fails.append(str(e))
    print(("PASS" if not fails else "FAIL") + ": install into a prefix; consumers "
          "via pkg-config (C, C++) and find_package(acore CONFIG); versions agree")
    for f in fails:
        print("  " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
