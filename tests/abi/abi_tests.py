#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""abi_tests.py - the ABI tests that compile and run programs (registered in
tests/abi/CMakeLists.txt, label "abi"):

  old-binary   tests/abi/old_binary/, compiled against the released headers
               (abi/released/<newest>/, or the tree's own before the first
               release) and linked against a stub of the released symbols,
               runs against a copy of the new library in a clean folder; it
               must call every released function
  header       DESIGN 6 rules on every public header; the header compiles
               and links as C11 and as C++ (extern "C"); each sub-header
               compiles alone; the 0.1 foundation constants
               (tests/abi/released/acore.h) keep their values
  version      ACORE_VERSION_* == the CMake project version == the library's
               acore_version() / acore_version_string()
  checks-bite  mutates a scratch copy of the library and its ABI files and
               confirms that every check fails (and that a clean copy passes)

Exit status: 0 pass, 1 fail, 77 skip (a needed tool is missing).
"""
import argparse
import concurrent.futures
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "abi", "tools"))
import abi  # noqa: E402  (abi/tools/abi.py)

SKIP = 77
C_FLAGS = ["-std=c11", "-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden",
           "-Wstrict-prototypes"]
CXX_STDS = ["-std=c++11", "-std=c++17"]
CXX_FLAGS = ["-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def must(cmd, what, **kw):
    r = run(cmd, **kw)
    if r.returncode:
        raise abi.AbiError(f"{what} failed ({r.returncode}):\n  $ {' '.join(cmd)}\n{r.stdout}")
    return r.stdout


def link_flags(lib):
    d = os.path.dirname(os.path.abspath(lib))
    return [os.path.abspath(lib), f"-Wl,-rpath,{d}"]


# ---- old binary -----------------------------------------------------------

def released_api(root):
    """(label, include dir, symbols.txt) of what an old binary is built
    against: the newest release baseline abi/released/<v>/; before the first
    release, the tree's own headers and abi/symbols.txt (so the program and
    its coverage exist and keep compiling until then)."""
    rel = abi.released_dirs(root)
    if rel:
        v, d = rel[-1]
        return f"release {v}", os.path.join(d, "include"), os.path.join(d, "symbols.txt")
    p = abi.paths(root)
    return "the tree (no release yet)", p["include"], p["symbols"]


def released_stub(tmp, cc, symbols):
    """A stand-in for the released library: every symbol of `symbols` in
    its version node, SONAME libacore.so.1. A program linked against it
    records exactly the released symbol versions, as a binary built against
    that release would."""
    syms = abi.read_symbols(symbols)
    nodes = {}
    for s in syms:
        name, _, node = s.partition("@@")
        nodes.setdefault(node, []).append(name)
    order = sorted(nodes, key=lambda n: [int(x) for x in re.findall(r"\d+", n)])
    vmap = abi.VersionMap([(n, nodes[n], order[i - 1] if i else None)
                           for i, n in enumerate(order)], order)
    d = os.path.join(tmp, "released")
    os.makedirs(d)
    with open(os.path.join(d, "stub.c"), "w") as f:
        f.write("".join(f"void {n}(void);\nvoid {n}(void) {{}}\n"
                        for n in sorted(x.partition("@@")[0] for x in syms)))
    with open(os.path.join(d, "stub.map"), "w") as f:
        f.write(abi.render_map(vmap))
    must([cc, "-shared", "-fPIC", "-o", os.path.join(d, "libacore.so"),
          os.path.join(d, "stub.c"), f"-Wl,-soname,{abi.SONAME}",
          "-Wl,--version-script=" + os.path.join(d, "stub.map")], "building the stub")
    return d, syms


def build_old_binary(a, tmp):
    """Compile tests/abi/old_binary/*.c in a clean folder against a copy of
    the released headers (no other acore include path) and link it against
    the released stub (no RPATH). Returns (exe, released symbols, label)."""
    label, include, symbols = released_api(a.root)
    inc = os.path.join(tmp, "include")
    shutil.copytree(include, inc)
    stub, syms = released_stub(tmp, a.cc, symbols)
    exe = os.path.join(tmp, "old_binary")
    srcdir = os.path.join(HERE, "old_binary")
    srcs = sorted(os.path.join(srcdir, f) for f in os.listdir(srcdir) if f.endswith(".c"))
    must([a.cc] + C_FLAGS + ["-I", inc, "-o", exe] + srcs +
         ["-L" + stub, "-lacore", "-lm", "-ldl"],
         f"building tests/abi/old_binary/ against {label}")
    return exe, syms, label


def t_old_binary(a):
    """tests/abi/old_binary/ is built against the released headers and a
    stub of the released library, then run against the new library - a copy
    in a clean folder, found only by LD_LIBRARY_PATH, with LD_BIND_NOW=1. It
    must call every released function, load exactly that library, and
    pass its checks."""
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        exe, syms, label = build_old_binary(a, tmp)
        imports = must(["readelf", "--dyn-syms", "--wide", exe], "readelf")
        refs = set(re.findall(r"\b(acore_\w+@ACORE_[\d.]+)", imports))
        released = {s.replace("@@", "@") for s in syms}
        lines += [f"{x}: not a released symbol version" for x in sorted(refs - released)]
        called = {r.partition("@")[0] for r in refs}
        missed = sorted({s.partition("@")[0] for s in released} - called)
        lines += [f"{x}: a released function tests/abi/old_binary/ never calls (add a "
                  "call with a check of what it does)" for x in missed]
        newso = abi.soname(a.lib)
        if newso != abi.SONAME:
            lines.append(f"the new library's SONAME is {newso}, old binaries need "
                         f"{abi.SONAME}: they cannot load it")
            return abi.report(False, "a program built against the released ABI runs "
                              f"against {a.lib}", lines)
        rundir = os.path.join(tmp, "run")
        os.makedirs(rundir)
        lib = os.path.join(rundir, abi.SONAME)
        shutil.copy(os.path.realpath(a.lib), lib)
        env = dict(os.environ, LD_LIBRARY_PATH=rundir, LD_BIND_NOW="1")
        try:
            r = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env, timeout=240)
            out, rc = r.stdout, r.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode(errors="replace") + "\n(timed out)", 1
        print(out, end="")
        loaded = re.findall(r"^(?:loaded|mapped): (.*)$", out, re.M)
        if not loaded:
            lines.append("the program did not say which libacore it loaded")
        lines += [f"it loaded {p}, not the library under test ({lib})"
                  for p in loaded if os.path.realpath(p) != lib]
        if rc:
            lines.append(f"it failed (exit status {rc})")
    print(f"old_binary: built against {label}; calls {len(called)} of "
          f"{len(released)} released functions; ran {os.path.basename(lib)} from a clean "
          "folder with LD_BIND_NOW=1")
    return abi.report(not lines, "a program built against the released ABI runs "
                      f"against {a.lib}", lines)


# ---- header ---------------------------------------------------------------

# ISO C headers only (never <uv.h> or a system header), plus acore's own.
ALLOWED_INCLUDES = re.compile(r'#\s*include\s*(<(stddef|stdint|math|limits|float)\.h>'
                              r'|"(\.\./)?acore\.h"|"acore/\w+\.h")')


def lint_header(path, root):
    """DESIGN 6: only plain C types, nothing that binds the ABI to a layout."""
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    code = abi.strip_comments(raw)
    body = abi.strip_preprocessor(code)
    name = os.path.relpath(path, root)
    bad = []
    rules = [(r"\blong\b", "uses `long` (use int64_t/size_t)"),
             (r"\.\.\.", "uses varargs"),
             (r"\b(struct|union)\b[^;{}()]*\{", "has a struct/union body (types are opaque)"),
             (r"\buv_\w+_t\b|\b(struct|union)\s+uv_\w+", "names a libuv type"),
             (r"\binline\b", "has an inline function (bindings cannot call it)"),
             (r"\bstatic\b", "has a static declaration")]
    for rx, why in rules:
        for m in re.finditer(rx, body):
            line = body.count("\n", 0, m.start()) + 1
            bad.append(f"{name}:{line}: {why}: '{m.group(0)}'")
    for m in re.finditer(r"^\s*#\s*include[^\n]*", code, re.M):
        if not ALLOWED_INCLUDES.match(m.group(0).strip()):
            bad.append(f"{name}: includes {m.group(0).strip()} (only <stddef.h>, "
                       "<stdint.h>, <math.h>, <limits.h>, <float.h> and acore headers)")
    for m in re.finditer(r"^\s*#\s*define\s+(acore_\w+)\s*\(", code, re.M):
        bad.append(f"{name}: function-like macro {m.group(1)} (no macro-only API)")
    bad += check_types(body, name)
    if 'extern "C"' not in code:
        bad.append(f'{name}: no extern "C" block for C++')
    if not re.search(r"#\s*ifndef\s+(\w+)\s*\n\s*#\s*define\s+\1\b", code):
        bad.append(f"{name}: no include guard")
    return bad


SCALARS = {"void", "char", "int", "unsigned", "double", "size_t", "int8_t", "uint8_t",
           "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t",
           "intptr_t", "uintptr_t"}


def bad_types(ret, params):
    """Type names outside DESIGN 6 (plain scalars, acore handles, acore
    callback typedefs) in a return type and a parameter list."""
    out = []
    parts = [ret] + [p for p in params.split(",") if p.strip()]
    for i, part in enumerate(parts):
        ids = [t for t in re.findall(r"[A-Za-z_]\w*", part) if t != "const"]
        types = ids if i == 0 or len(ids) == 1 else ids[:-1]  # drop the name
        out += [t for t in types if t not in SCALARS
                and not re.fullmatch(r"acore_\w+_(t|fn)", t)]
    return out


def check_types(body, name):
    bad = []
    body = re.sub(r"\bACORE_DEPRECATED\s*\((?:\\.|[^)])*\)", " ", body)
    for m in re.finditer(r"\bACORE_API\b(.*?)\b(acore_\w+)\s*\((.*?)\)\s*;", body, re.S):
        for t in bad_types(m.group(1), m.group(3)):
            bad.append(f"{name}: {m.group(2)} uses type '{t}' (DESIGN 6)")
    for m in re.finditer(r"\btypedef\b([^;]*?)\(\s*\*\s*(acore_\w+)\s*\)\s*\((.*?)\)\s*;", body, re.S):
        for t in bad_types(m.group(1), m.group(3)):
            bad.append(f"{name}: callback {m.group(2)} uses type '{t}' (DESIGN 6)")
    return bad


def released_constants(released_dir):
    """[(name, expr)] of the enum constants and #define values of the
    released headers (version macros excepted: they move)."""
    out = []
    for h in abi.public_headers(released_dir):
        with open(h, encoding="utf-8") as f:
            code = abi.strip_comments(f.read())
        for m in re.finditer(r"\benum\b[^{;]*\{(.*?)\}", abi.strip_preprocessor(code), re.S):
            prev = None
            for item in [i.strip() for i in m.group(1).split(",") if i.strip()]:
                nm, _, expr = item.partition("=")
                nm = nm.strip()
                expr = expr.strip() or (f"({prev}) + 1" if prev else "0")
                out.append((nm, expr))
                prev = nm
        for m in re.finditer(r"^\s*#\s*define\s+(ACORE_\w+)[ \t]+([^\n\\]+)$", code, re.M):
            integral = re.fullmatch(r"[\w\s()<>|&~+\-*]+", m.group(2).strip()) and \
                not re.search(r"HUGE_VAL|INFINITY|NAN", m.group(2))
            if integral and not m.group(1).startswith(("ACORE_VERSION", "ACORE_API")):
                out.append((m.group(1), m.group(2).strip()))
    return out


def check_released_constants(a, tmp):
    consts = released_constants(os.path.join(a.root, "tests", "abi", "released"))
    src = os.path.join(tmp, "constants.c")
    with open(src, "w") as f:
        f.write('#include "acore.h"\n')
        for nm, expr in consts:
            f.write(f'_Static_assert(({nm}) == ({expr}), "{nm} changed from its '
                    f'released value {expr}");\n')
    r = run([a.cc, "-std=c11", "-fsyntax-only", "-I", os.path.join(a.root, "abi", "include"), src])
    lines = [l for l in r.stdout.splitlines() if "error" in l]
    return abi.report(r.returncode == 0, f"{len(consts)} released constants keep "
                      "their values", lines)


def probe_source(names, cxx):
    cast = "reinterpret_cast<any_fn>" if cxx else "(any_fn)"
    refs = "".join(f"  {cast}(&{n}),\n" for n in sorted(names))
    return ('#include "acore.h"\n#include <stdio.h>\n#include <string.h>\n'
            "typedef void (*any_fn)(void);\n"
            f"static const any_fn api[] = {{\n{refs}}};\n"
            "int main(void) {\n"
            "  printf(\"%u functions, version %s\\n\", (unsigned)(sizeof(api) / "
            "sizeof(api[0])), acore_version_string());\n"
            "  return strcmp(acore_version_string(), ACORE_VERSION_STRING) != 0;\n}\n")


def compile_probes(a, tmp):
    """Every ACORE_API function referenced from C11 and from C++ (a missing
    extern "C" would fail to link), run; each sub-header compiled alone."""
    inc = os.path.join(a.root, "abi", "include")
    names = abi.declarations(inc)
    fails = []
    jobs = [("c11", a.cc, C_FLAGS, False)] + \
        [(std[5:], a.cxx, [std] + CXX_FLAGS, True) for std in CXX_STDS]
    for tag, comp, flags, cxx in jobs:
        src = os.path.join(tmp, f"probe_{tag}." + ("cpp" if cxx else "c"))
        with open(src, "w") as f:
            f.write(probe_source(names, cxx))
        exe = os.path.join(tmp, f"probe_{tag}")
        r = run([comp] + flags + ["-I", inc, "-o", exe, src] + link_flags(a.lib))
        r = r if r.returncode else run([exe])
        print(f"  {tag}: " + (r.stdout.strip().splitlines() or ["?"])[-1])
        if r.returncode:
            fails.append(f"{tag}:\n{r.stdout}")
    for h in abi.public_headers(inc)[1:]:
        rel = os.path.relpath(h, inc)
        for comp, flags, ext in ((a.cc, C_FLAGS, "c"), (a.cxx, ["-std=c++11"] + CXX_FLAGS, "cpp")):
            src = os.path.join(tmp, f"alone.{ext}")
            with open(src, "w") as f:
                f.write(f'#include "{rel}"\n')
            r = run([comp] + flags + ["-fsyntax-only", "-I", inc, src])
            if r.returncode:
                fails.append(f"{rel} alone ({ext}):\n{r.stdout}")
    return abi.report(not fails, f"{len(names)} functions usable from C11 and "
                      f"C++ ({', '.join(CXX_STDS)}); sub-headers self-contained", fails)


DEPRECATED_PROBE = """#include "acore.h"
ACORE_DEPRECATED("use acore_version()") unsigned probe_old(void);
unsigned probe_old(void) { return acore_version(); }
#if USE
int main(void) { return (int)probe_old(); }
#else
int main(void) { return 0; }
#endif
"""


def check_deprecated(a, tmp):
    """ACORE_DEPRECATED(msg) warns at a use, naming the replacement, and is
    silent otherwise, in C and C++."""
    inc = os.path.join(a.root, "abi", "include")
    fails = []
    for comp, flags, ext in ((a.cc, C_FLAGS, "c"), (a.cxx, ["-std=c++11"] + CXX_FLAGS, "cpp")):
        src = os.path.join(tmp, f"deprecated.{ext}")
        with open(src, "w") as f:
            f.write(DEPRECATED_PROBE)
        for use in (0, 1):
            r = run([comp] + flags + [f"-DUSE={use}", "-fsyntax-only", "-I", inc, src])
            if use == 0 and r.returncode:
                fails.append(f"{ext}: a deprecated declaration alone warns:\n{r.stdout}")
            if use == 1 and (r.returncode == 0 or "use acore_version()" not in r.stdout):
                fails.append(f"{ext}: using a deprecated function does not warn with the "
                             f"replacement:\n{r.stdout}")
    return abi.report(not fails, "ACORE_DEPRECATED(msg) warns at a use (C, C++)", fails)


def t_header(a):
    inc = os.path.join(a.root, "abi", "include")
    bad = [b for h in abi.public_headers(inc) for b in lint_header(h, a.root)]
    rc = abi.report(not bad, "public headers follow DESIGN 6 (types, includes, "
                    "extern \"C\", guards)", bad)
    with tempfile.TemporaryDirectory() as tmp:
        if not a.constants_only:
            rc |= compile_probes(a, tmp)
            rc |= check_deprecated(a, tmp)
        rc |= check_released_constants(a, tmp)
    return rc


# ---- version --------------------------------------------------------------

def t_version(a):
    with open(os.path.join(a.root, "abi", "include", "acore.h"), encoding="utf-8") as f:
        h = f.read()
    mac = {k: re.search(rf"#define ACORE_VERSION_{k}\s+(\S+)", h).group(1)
           for k in ("MAJOR", "MINOR", "PATCH", "STRING")}
    header = f"{mac['MAJOR']}.{mac['MINOR']}.{mac['PATCH']}"
    lib = ctypes.CDLL(os.path.abspath(a.lib))
    lib.acore_version_string.restype = ctypes.c_char_p
    lib.acore_version.restype = ctypes.c_uint
    rt_str = lib.acore_version_string().decode()
    rt_hex = lib.acore_version()
    want_hex = (int(mac["MAJOR"]) << 16) | (int(mac["MINOR"]) << 8) | int(mac["PATCH"])
    facts = [f"CMake project version   {a.project_version}",
             f"ACORE_VERSION_MAJOR.MINOR.PATCH {header}",
             f"ACORE_VERSION_STRING    {mac['STRING']}",
             f"acore_version_string()  {rt_str}",
             f"acore_version()         0x{rt_hex:06x} (want 0x{want_hex:06x})"]
    ok = (a.project_version == header == mac["STRING"].strip('"') == rt_str
          and rt_hex == want_hex)
    return abi.report(ok, "version queries agree", facts)


# ---- the checks bite ------------------------------------------------------

class Scratch:
    """A scratch copy of the sources, compiled and linked by hand the way
    CMake does (hidden visibility, -g, prefix map, version script)."""

    def __init__(self, tmp, a):
        self.r, self.a = os.path.join(tmp, "src"), a
        for d in ("abi/include", "abi/tools", "core", "tests/abi/released"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(self.r, d))
        self.lib = os.path.join(self.r, "b", "libacore.so.1.0.0")
        os.makedirs(os.path.dirname(self.lib))
        os.symlink("libacore.so.1.0.0", os.path.join(self.r, "b", "libacore.so.1"))
        uv = must(["pkg-config", "--cflags", "--libs", "libuv"], "pkg-config libuv").split()
        self.uv_cflags = [f for f in uv if not f.startswith(("-l", "-L"))]
        self.uv_libs = [f for f in uv if f.startswith(("-l", "-L"))]

    def compile(self, sources):
        def one(src):
            obj = os.path.join(self.r, "b", src.replace("/", "_") + ".o")
            must([self.a.cc, "-std=gnu11", "-O0", "-g", "-fPIC", "-fvisibility=hidden",
                  "-DACORE_BUILDING", "-Iabi/include", "-Icore",
                  f"-ffile-prefix-map={self.r}/=", "-c", src, "-o", obj] + self.uv_cflags,
                 "compiling " + src, cwd=self.r)
            return obj
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            return list(ex.map(one, sources))

    def link(self, objs, map_path=None, soname="libacore.so.1"):
        must([self.a.cc, "-shared", "-o", self.lib] + objs +
             [f"-Wl,-soname,{soname}", "-Wl,--no-undefined", "-Wl,--no-undefined-version",
              "-Wl,--version-script=" + (map_path or os.path.join(self.r, "abi", "acore.map"))]
             + self.uv_libs + ["-pthread", "-lm"], "linking the scratch library")

    def tool_cmd(self, *args):
        return [sys.executable, os.path.join(self.r, "abi", "tools", "abi.py"),
                "--root", self.r] + list(args)

    def tool(self, *args):
        return run(self.tool_cmd(*args))

    def check(self, name, lib=None):
        return self.tool(name, "--lib", lib or self.lib)

    def edit(self, rel, old, new):
        path = os.path.join(self.r, rel)
        with open(path) as f:
            text = f.read()
        if old not in text:
            raise abi.AbiError(f"self-check is stale: '{old}' not found in {rel}")
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
        return text

    def restore(self, rel, text):
        with open(os.path.join(self.r, rel), "w") as f:
            f.write(text)

    def check_constants(self):
        return self.tool("check-constants", "--cc", self.a.cc)

    def abi_files(self):
        """{path: text} of every file the ABI tools write (abi/, minus the
        headers and tools)."""
        out, top = {}, os.path.join(self.r, "abi")
        for dirpath, _, files in os.walk(top):
            rel = os.path.relpath(dirpath, self.r)
            if rel.startswith(("abi/include", "abi/tools")):
                continue
            for f in files:
                with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                    out[os.path.join(rel, f)] = fh.read()
        return out

    def abi_diff(self, before):
        now = self.abi_files()
        return "changed: " + " ".join(sorted(k for k in set(now) | set(before)
                                             if now.get(k) != before.get(k)))

    def put_abi_files(self, files):
        for k, v in files.items():
            self.restore(k, v)


def expect(results, what, r, fail, word):
    """Record one outcome: `fail` says whether the check must fail, and a
    failure must name `word` (so it fails for the right reason)."""
    ok = (r.returncode == 1 and word in r.stdout) if fail else r.returncode == 0
    results.append((ok, f"{'fails' if fail else 'passes'}: {what}", r.stdout))


def relink_with(s, objs, rel, old, new, src):
    """Edit `rel` in the scratch copy, recompile `src`, relink; returns the
    original text of `rel` and the object list to link."""
    text = s.edit(rel, old, new)
    objs = list(objs)
    objs[s.a.sources.index(src)] = s.compile([src])[0]
    return text, objs


def case_param_type(s, objs, res, tmp):
    """A parameter type changes (int -> int64_t): only abidiff can see it."""
    hdr = s.edit("abi/include/acore.h", "acore_strerror(int code);",
                 "acore_strerror(int64_t code);")
    src, objs2 = relink_with(s, objs, "core/error.c", "acore_strerror(int code) {",
                             "acore_strerror(int64_t code) {", "core/error.c")
    s.link(objs2)
    expect(res, "check-abi when acore_strerror(int) becomes (int64_t)",
           s.check("check-abi"), True, "acore_strerror")
    expect(res, "check-symbols on that change (names unchanged)",
           s.check("check-symbols"), False, "")
    s.restore("abi/include/acore.h", hdr)
    s.restore("core/error.c", src)
    s.compile(["core/error.c"])


def case_dropped_symbol(s, objs, res, tmp):
    """A symbol disappears from the version script."""
    gone = os.path.join(tmp, "gone.map")
    with open(gone, "w") as f:
        f.write(s.map_text.replace("    acore_error_child;\n", ""))
    s.link(objs, gone)
    for c in ("check-symbols", "check-exports", "check-abi"):
        expect(res, f"{c} when acore_error_child is no longer exported",
               s.check(c), True, "acore_error_child")


def case_undeclared_export(s, objs, res, tmp):
    """A function no public header declares gets exported."""
    src, objs3 = relink_with(s, objs, "core/version.c", '#include "acore.h"\n',
                             '#include "acore.h"\nACORE_API int acore_undeclared(void);\n'
                             "int acore_undeclared(void) { return 1; }\n", "core/version.c")
    extra = os.path.join(tmp, "extra.map")
    with open(extra, "w") as f:
        f.write(s.map_text.replace("  global:\n", "  global:\n    acore_undeclared;\n", 1))
    s.link(objs3, extra)
    for c in ("check-symbols", "check-exports"):
        expect(res, f"{c} when an undeclared acore_undeclared is exported",
               s.check(c), True, "acore_undeclared")
    s.restore("core/version.c", src)
    s.compile(["core/version.c"])


def case_no_debug_info(s, objs, res, tmp):
    """A library without debug info: abidiff would pass; the check refuses."""
    s.link(objs)
    stripped = os.path.join(tmp, "stripped.so")
    must(["objcopy", "--strip-debug", s.lib, stripped], "objcopy")
    expect(res, "check-abi on a library without debug info",
           s.check("check-abi", stripped), True, "debug_info")


def case_wildcard(s, objs, res, tmp):
    """A wildcard in the version script."""
    s.restore("abi/acore.map", s.map_text.replace("    acore_error_child;\n",
                                                  "    acore_error_*;\n"))
    expect(res, "check-map on a map with a wildcard", s.tool("check-map"), True, "wildcard")
    s.restore("abi/acore.map", s.map_text)


def header_check(s):
    return run([sys.executable, os.path.abspath(__file__), "--root", s.r, "--lib", s.lib,
                "--cc", s.a.cc, "--cxx", s.a.cxx, "header", "--constants-only"])


def case_renumbered(s, objs, res, tmp):
    """A released enum value is renumbered."""
    hdr = s.edit("abi/include/acore.h", "ACORE_ECANCELLED = -4,", "ACORE_ECANCELLED = -40,")
    expect(res, "header when ACORE_ECANCELLED is renumbered", header_check(s), True,
           "ACORE_ECANCELLED")
    s.restore("abi/include/acore.h", hdr)


def case_long(s, objs, res, tmp):
    """A declaration takes a `long` (DESIGN 6 forbids it)."""
    hdr = s.edit("abi/include/acore.h", "ACORE_API unsigned acore_version(void);",
                 "ACORE_API unsigned acore_version(void);\n"
                 "ACORE_API int acore_version_long(long value);")
    expect(res, "header when a declaration takes a long", header_check(s), True, "'long'")
    s.restore("abi/include/acore.h", hdr)


def old_binary(s, env=None):
    return run([sys.executable, os.path.abspath(__file__), "--root", s.r, "--lib", s.lib,
                "--cc", s.a.cc, "--cxx", s.a.cxx, "old-binary"], env=env)


def case_moved_node(s, objs, res, tmp):
    """A released symbol moves to another version node: old programs break."""
    moved = os.path.join(tmp, "moved.map")
    with open(moved, "w") as f:
        f.write(s.map_text.replace("    acore_strerror;\n", "")
                + "ACORE_1.1 {\n  global:\n    acore_strerror;\n} ACORE_1.0;\n")
    s.link(objs, moved)
    expect(res, "old-binary when acore_strerror moves from ACORE_1.0 to ACORE_1.1",
           old_binary(s), True, "acore_strerror")
    s.link(objs)
    expect(res, "old-binary on the unchanged copy", old_binary(s), False, "")


def case_old_binary_order(s, objs, res, tmp):
    """call_soon runs last-in-first-out: the old binary's order checks fail."""
    src, objs2 = relink_with(s, objs, "core/loop.c",
                             "acore__queue_insert_tail(&loop->ready, &it->node);",
                             "acore__queue_insert_tail(loop->ready.next, &it->node);",
                             "core/loop.c")
    s.link(objs2)
    expect(res, "old-binary when call_soon runs last-in-first-out", old_binary(s), True,
           'strcmp(ob_log, "123459")')
    s.restore("core/loop.c", src)
    s.compile(["core/loop.c"])
    s.link(objs)


def case_old_binary_soname(s, objs, res, tmp):
    """The SONAME changes while a libacore.so.1 (the symlink) stays next to
    the library: the old binary must not load that stale name."""
    s.link(objs, soname="libacore.so.2")
    expect(res, "old-binary when the SONAME becomes libacore.so.2 (libacore.so.1 left "
           "in the folder)", old_binary(s), True, "SONAME")
    expect(res, "check-symbols when the SONAME becomes libacore.so.2", s.check("check-symbols"),
           True, "SONAME")
    s.link(objs)


def case_old_binary_stale(s, objs, res, tmp):
    """A stale library beside the one under test. The build folder's
    libacore.so.1 is a good older build (a file, not the link) while the
    library under test runs call_soon last-in-first-out: the test must run
    the library under test and fail (0.1's test ran whatever libacore.so.1
    the build folder held, and passed). Then a stale libacore.so.1 that the
    dynamic linker takes first (preloaded): the program's report of what it
    loaded must fail the test."""
    link = os.path.join(os.path.dirname(s.lib), "libacore.so.1")
    os.unlink(link)
    shutil.copy(s.lib, link)
    src, objs2 = relink_with(s, objs, "core/loop.c",
                             "acore__queue_insert_tail(&loop->ready, &it->node);",
                             "acore__queue_insert_tail(loop->ready.next, &it->node);",
                             "core/loop.c")
    s.link(objs2)
    expect(res, "old-binary when call_soon runs last-in-first-out and the build folder's "
           "libacore.so.1 is a stale good build", old_binary(s), True,
           'strcmp(ob_log, "123459")')
    s.restore("core/loop.c", src)
    s.compile(["core/loop.c"])
    s.link(objs)
    os.unlink(link)
    os.symlink(os.path.basename(s.lib), link)
    stale = os.path.join(tmp, "stale", "libacore.so.1")
    os.makedirs(os.path.dirname(stale))
    shutil.copy(s.lib, stale)
    expect(res, "old-binary when a stale libacore.so.1 is loaded first (LD_PRELOAD)",
           old_binary(s, dict(os.environ, LD_PRELOAD=stale)), True,
           f"it loaded {stale}, not the library under test")


def case_deprecated_silent(s, objs, res, tmp):
    """ACORE_DEPRECATED(msg) expands to nothing with GCC and Clang: a use of
    a deprecated function compiles without a warning."""
    hdr = s.edit("abi/include/acore.h",
                 "#define ACORE_DEPRECATED(msg) __attribute__((deprecated(msg)))",
                 "#define ACORE_DEPRECATED(msg)")
    r = run([sys.executable, os.path.abspath(__file__), "--root", s.r, "--lib", s.lib,
             "--cc", s.a.cc, "--cxx", s.a.cxx, "header"])
    expect(res, "header when ACORE_DEPRECATED(msg) produces no warning", r, True,
           "using a deprecated function does not warn")
    s.restore("abi/include/acore.h", hdr)


def case_old_binary_coverage(s, objs, res, tmp):
    """A new function nobody calls from tests/abi/old_binary/: coverage fails."""
    hdr = s.edit("abi/include/acore.h", "ACORE_API unsigned acore_version(void);",
                 "ACORE_API unsigned acore_version(void);\n"
                 "ACORE_API int acore_version_uncalled(void);")
    src, _ = relink_with(s, objs, "core/version.c", '#include "acore.h"\n',
                         '#include "acore.h"\n'
                         "int acore_version_uncalled(void) { return 1; }\n", "core/version.c")
    saved = s.abi_files()
    must(s.tool_cmd("update", "--cc", s.a.cc, "--objects", *objs), "abi.py update")
    s.link(objs)
    expect(res, "old-binary when acore_version_uncalled is declared and not called",
           old_binary(s), True, "acore_version_uncalled: a released function")
    s.restore("abi/include/acore.h", hdr)
    s.restore("core/version.c", src)
    s.compile(["core/version.c"])
    s.put_abi_files(saved)
    s.link(objs)


CONSTANT_EDITS = (
    ("ACORE_QUEUE_LIFO renumbered", "acore/sync.h", "ACORE_QUEUE_LIFO = 1",
     "ACORE_QUEUE_LIFO = 2", "ACORE_QUEUE_LIFO"),
    ("ACORE_EXECUTOR_STAT_QUEUED and _RUNNING swapped", "acore/executor.h",
     "ACORE_EXECUTOR_STAT_QUEUED = 1,     /* jobs waiting for a worker */\n"
     "  ACORE_EXECUTOR_STAT_RUNNING = 2,",
     "ACORE_EXECUTOR_STAT_QUEUED = 2,     /* jobs waiting for a worker */\n"
     "  ACORE_EXECUTOR_STAT_RUNNING = 1,", "ACORE_EXECUTOR_STAT_QUEUED"),
    ("ACORE_EXECUTOR_MAX_WORKERS changed", "acore/executor.h",
     "#define ACORE_EXECUTOR_MAX_WORKERS 1024", "#define ACORE_EXECUTOR_MAX_WORKERS 2048",
     "ACORE_EXECUTOR_MAX_WORKERS"),
    ("ACORE_NO_TIMEOUT changed", "acore/combinators.h", "#define ACORE_NO_TIMEOUT (__builtin_inf())",
     "#define ACORE_NO_TIMEOUT (1e300)", "ACORE_NO_TIMEOUT"),
    ("ACORE_POLL_WAKEUP renumbered", "acore.h", "ACORE_POLL_WAKEUP = 3",
     "ACORE_POLL_WAKEUP = 4", "ACORE_POLL_WAKEUP"),
    ("ACORE_UDP_IPV6ONLY renumbered", "acore/udp.h", "ACORE_UDP_IPV6ONLY = 1u << 1",
     "ACORE_UDP_IPV6ONLY = 1u << 2", "ACORE_UDP_IPV6ONLY"),
    ("ACORE_FD_WRITABLE renumbered", "acore/fd.h", "ACORE_FD_WRITABLE = 2,",
     "ACORE_FD_WRITABLE = 8,", "ACORE_FD_WRITABLE"),
    ("ACORE_STDIO_IGNORE renumbered", "acore/process.h", "ACORE_STDIO_IGNORE = 1,",
     "ACORE_STDIO_IGNORE = 5,", "ACORE_STDIO_IGNORE"),
    ("ACORE_LISTEN_IPV6ONLY renumbered", "acore/stream.h",
     "ACORE_LISTEN_IPV6ONLY = 1u << 0", "ACORE_LISTEN_IPV6ONLY = 1u << 1",
     "ACORE_LISTEN_IPV6ONLY"),
    ("ACORE_AF_INET6 renumbered", "acore/dns.h", "ACORE_AF_INET6 = 6",
     "ACORE_AF_INET6 = 10", "ACORE_AF_INET6"),
)


def headers_with_constants(include):
    """The public headers (relative to `include`) that define a constant:
    an enum or a valued ACORE_* #define (the version macros and the
    attribute macros aside)."""
    out = []
    for h in abi.public_headers(include):
        with open(h, encoding="utf-8") as f:
            code = abi.strip_comments(f.read())
        if re.search(r"\benum\b[^{;]*\{", abi.strip_preprocessor(code)) or re.search(
                r"^\s*#\s*define\s+ACORE_(?!VERSION_|API\b|DEPRECATED\b)\w+[ \t]+\S", code, re.M):
            out.append(os.path.relpath(h, include))
    return out


def case_constants(s, objs, res, tmp):
    """Public constants of every header (enum and #define values) before a
    release: any change fails until update.sh records it. Every public
    header that defines a constant has its case."""
    missing = sorted(set(headers_with_constants(os.path.join(s.r, "abi", "include")))
                     - {rel for _, rel, _, _, _ in CONSTANT_EDITS})
    expect(res, "every public header with constants has a renumbering case "
           f"(CONSTANT_EDITS) - missing: {missing or 'none'}", Outcome(not missing, ""),
           False, "")
    for what, rel, old, new, word in CONSTANT_EDITS:
        hdr = s.edit("abi/include/" + rel, old, new)
        expect(res, f"check-constants when {what}", s.check_constants(), True, word)
        s.restore("abi/include/" + rel, hdr)
    for what, new, word in (("outside the reserved ranges (-1000)", "-1000",
                             "ACORE_EEXTRA: int -1000 is outside acore's error-code ranges"),
                            ("a value already used (-16)", "-16",
                             "ACORE_EEXTRA: -16 is already ACORE_ETYPE")):
        hdr = s.edit("abi/include/acore.h", "ACORE_EHOST = -17",
                     f"ACORE_EHOST = -17, ACORE_EEXTRA = {new}")
        expect(res, f"check-constants when a new error code ACORE_EEXTRA takes {what}",
               s.check_constants(), True, word)
        s.restore("abi/include/acore.h", hdr)


class Outcome:
    """A result shaped like subprocess's, for facts measured in Python."""

    def __init__(self, ok, text):
        self.returncode, self.stdout = (0 if ok else 1), text


def update(s, *args):
    return s.tool("update", "--cc", s.a.cc, *args, "--objects", *s.objs)


def case_release(s, objs, res, tmp):
    """After `update --release`: released types, symbols and constants are
    frozen; a failing update writes nothing; update is idempotent."""
    s.objs = objs
    r = update(s, "--release")
    expect(res, "update --release", r, False, "")
    if r.returncode:
        return
    frozen = s.abi_files()
    released = {k: v for k, v in frozen.items() if k.startswith("abi/released/1.0/")}
    expect(res, "update --release writes abi/released/1.0/ (headers, symbols, dump, "
           "constants)", Outcome(len(released) >= 5 and
                                 "abi/released/1.0/acore.abi.xml" in released, str(sorted(released))),
           False, "")
    r = old_binary(s)
    expect(res, "old-binary after the release, built against abi/released/1.0/",
           Outcome(r.returncode == 0 and "built against release 1.0;" in r.stdout, r.stdout),
           False, "")
    for i in (1, 2):  # update.sh twice, no change: passes and changes nothing
        r = run(["sh", os.path.join(s.r, "abi", "tools", "update.sh"), "--cc", s.a.cc,
                 "--objects", *s.objs])
        expect(res, f"update.sh run #{i} after the release, no change", r, False, "")
        expect(res, f"... and the files are unchanged after run #{i}",
               Outcome(s.abi_files() == frozen, s.abi_diff(frozen)), False, "")
    # A released function's type changes.
    hdr = s.edit("abi/include/acore.h", "acore_strerror(int code);",
                 "acore_strerror(int64_t code);")
    src, _ = relink_with(s, objs, "core/error.c", "acore_strerror(int code) {",
                         "acore_strerror(int64_t code) {", "core/error.c")
    r = update(s, "--new-node", "ACORE_1.1")
    expect(res, "update --new-node after acore_strerror(int) became (int64_t) "
           "post-release", r, True, "acore_strerror")
    expect(res, "... and that failing update wrote nothing",
           Outcome(s.abi_files() == frozen, s.abi_diff(frozen)), False, "")
    s.link(objs)  # the old tools' way: rewrite the working baseline anyway
    must(s.tool_cmd("snapshot", "--lib", s.lib), "abi.py snapshot")
    expect(res, "check-abi after the working baseline was rewritten over the type "
           "change (the 1.0 baseline still holds)", s.check("check-abi"), True,
           "released 1.0")
    s.restore("abi/include/acore.h", hdr)
    s.restore("core/error.c", src)
    s.compile(["core/error.c"])
    s.put_abi_files(frozen)
    # A released constant changes (an enum in sync.h and a #define; all four
    # edits are proven before a release by case_constants).
    for what, rel, old, new, word in (CONSTANT_EDITS[0], CONSTANT_EDITS[3]):
        text = s.edit("abi/include/" + rel, old, new)
        r = update(s)
        expect(res, f"update after the release when {what}", r, True, word)
        expect(res, "... and that failing update wrote nothing",
               Outcome(s.abi_files() == frozen, s.abi_diff(frozen)), False, "")
        consts = abi.compiled_constants(os.path.join(s.r, "abi", "include"), s.a.cc)
        s.restore("abi/constants.txt", abi.render_constants(consts))  # forced
        expect(res, f"check-constants after the release when {what} (working list "
               "rewritten)", s.check_constants(), True, "released 1.0: " + word)
        s.restore("abi/include/" + rel, text)
        s.put_abi_files(frozen)
    # A new function after the release.
    hdr = s.edit("abi/include/acore.h", "ACORE_API unsigned acore_version(void);",
                 "ACORE_API unsigned acore_version(void);\n"
                 "ACORE_API int acore_version_next(void);")
    src, _ = relink_with(s, objs, "core/version.c", '#include "acore.h"\n',
                         '#include "acore.h"\n'
                         "int acore_version_next(void) { return 1; }\n", "core/version.c")
    r = update(s)
    expect(res, "update without --new-node after the release with a new function",
           r, True, "--new-node")
    expect(res, "... and that failing update wrote nothing (the map keeps its symbols)",
           Outcome(s.abi_files() == frozen, s.abi_diff(frozen)), False, "")
    r = update(s, "--new-node", "ACORE_1.1")
    expect(res, "update --new-node ACORE_1.1 with the new function", r, False, "")
    after = s.abi_files()
    node = re.search(r"ACORE_1\.1 \{\s*global:\s*acore_version_next;\s*\} ACORE_1\.0;",
                     after.get("abi/acore.map", ""))
    expect(res, "... the map gains node ACORE_1.1 { acore_version_next; } ACORE_1.0",
           Outcome(bool(node), after.get("abi/acore.map", "")), False, "")
    expect(res, "... abi/released/1.0/ is untouched",
           Outcome(all(after.get(k) == v for k, v in released.items()), ""), False, "")
    s.link(objs)
    for c in ("check-symbols", "check-exports", "check-abi"):
        expect(res, f"{c} after the new node", s.check(c), False, "")
    expect(res, "check-constants after the new node", s.check_constants(), False, "")
    r = update(s)
    expect(res, "update run again after the new node", r, False, "")
    expect(res, "... and the files are unchanged",
           Outcome(s.abi_files() == after, s.abi_diff(after)), False, "")
    s.restore("abi/include/acore.h", hdr)
    s.restore("core/version.c", src)
    s.compile(["core/version.c"])
    s.put_abi_files(frozen)


CASES = {
    "base": (case_moved_node, case_old_binary_order, case_old_binary_soname,
             case_old_binary_stale, case_old_binary_coverage, case_deprecated_silent, case_param_type, case_dropped_symbol,
             case_undeclared_export, case_no_debug_info, case_wildcard, case_renumbered,
             case_long, case_constants),
    "release": (case_release,),
}


def t_checks_bite(a):
    a.sources = [os.path.relpath(x, ROOT) if os.path.isabs(x) else x for x in a.sources]
    for tool in ("abidw", "abidiff", "readelf", "nm", "objcopy", "pkg-config"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return SKIP
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        # Control: regenerate the ABI files for the copy; every check passes.
        s = Scratch(tmp, a)
        objs = s.compile(a.sources)
        must(s.tool_cmd("update", "--cc", a.cc, "--objects", *objs), "abi.py update")
        s.link(objs)
        with open(os.path.join(s.r, "abi", "acore.map")) as f:
            s.map_text = f.read()
        for c in ("check-symbols", "check-exports", "check-abi"):
            expect(res, f"{c} on the unchanged copy", s.check(c), False, "")
        expect(res, "check-constants on the unchanged copy", s.check_constants(), False, "")
        for case in CASES[a.cases]:
            case(s, objs, res, tmp)
    bad = [f"{what}\n    " + out.strip().replace("\n", "\n    ") for ok, what, out in res if not ok]
    for ok, what, out in res:
        print(("  ok   " if ok else "  BAD  ") + what)
        if ok and what.startswith("fails"):  # the evidence: what the check said
            for l in out.strip().splitlines()[:6]:
                print("         | " + l)
    return abi.report(not bad, f"the ABI checks bite ({a.cases}: {len(res)} cases)", bad)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="c++")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("old-binary").set_defaults(fn=t_old_binary)
    s = sub.add_parser("header")
    s.add_argument("--constants-only", action="store_true")
    s.set_defaults(fn=t_header)
    s = sub.add_parser("version")
    s.add_argument("--project-version", required=True)
    s.set_defaults(fn=t_version)
    s = sub.add_parser("checks-bite")
    s.add_argument("--sources", nargs="+", required=True)
    s.add_argument("--cases", choices=sorted(CASES), default="base",
                   help="base: the checks on one tree; release: after update --release")
    s.set_defaults(fn=t_checks_bite)
    a = ap.parse_args()
    a.root = os.path.abspath(a.root)
    try:
        return a.fn(a)
    except (abi.AbiError, OSError) as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
