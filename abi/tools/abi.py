#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""abi.py - acore's ABI tool: reads the public headers, writes the version
script, the exported-symbol list and the libabigail baseline, and checks a
built libacore.so against them.

Design notes
- The public API is the set of ACORE_API declarations in abi/include/acore.h
  and abi/include/acore/*.h. Everything else is derived from it, on purpose,
  by one command (`update`); the checks compare a built library with the
  derived files and never change them.
- abi/acore.map has one node per ABI version. Nodes named on its
  "released nodes:" line are frozen: `update` refuses to drop or move one of
  their symbols. New symbols go in the last node, which must be unreleased.
- The baseline and every fresh dump are made by `abidw_dump()` alone, so both
  sides of abidiff always use the same flags.
- Exit status of the checks: 0 pass, 1 fail, 77 skip (only when a tool the
  check needs is missing or the platform differs from the baseline's).

Usage: abi.py [--root DIR] <command> ...   (see `abi.py --help`)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SONAME = "libacore.so.1"
FIRST_NODE = "ACORE_1.0"
SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class AbiError(Exception):
    """A check failed or an input is malformed; the message says which."""


# ---- paths -------------------------------------------------------------------

def paths(root):
    return {
        "include": os.path.join(root, "abi", "include"),
        "map": os.path.join(root, "abi", "acore.map"),
        "symbols": os.path.join(root, "abi", "symbols.txt"),
        "baseline": os.path.join(root, "abi", "acore.abi.xml"),
        "constants": os.path.join(root, "abi", "constants.txt"),
        "released": os.path.join(root, "abi", "released"),
    }


def released_dirs(root):
    """[(version, dir)] of every release baseline abi/released/<version>/,
    oldest first. The tools never write into an existing one."""
    top = paths(root)["released"]
    if not os.path.isdir(top):
        return []
    out = []
    for v in os.listdir(top):
        d = os.path.join(top, v)
        if re.fullmatch(r"\d+\.\d+", v) and os.path.isfile(os.path.join(d, "symbols.txt")):
            out.append((v, d))
    return sorted(out, key=lambda x: [int(n) for n in x[0].split(".")])


def public_headers(include):
    """acore.h and every header below abi/include/acore/, sorted."""
    out = [os.path.join(include, "acore.h")]
    sub = os.path.join(include, "acore")
    if os.path.isdir(sub):
        for dirpath, _, files in sorted(os.walk(sub)):
            out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".h")]
    return out


# ---- header parsing ----------------------------------------------------------

_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|/\*.*?\*/|//[^\n]*', re.S)


def strip_comments(text):
    """Drop comments (keeping line count); string literals are kept."""
    def repl(m):
        s = m.group(0)
        return s if s.startswith('"') else "\n" * s.count("\n") + " "
    return _TOKENS.sub(repl, text)


def strip_preprocessor(text):
    """Blank every preprocessor line (with its continuations)."""
    out, cont = [], False
    for line in text.split("\n"):
        is_pp = cont or line.lstrip().startswith("#")
        cont = is_pp and line.rstrip().endswith("\\")
        out.append("" if is_pp else line)
    return "\n".join(out)


def header_code(path):
    with open(path, encoding="utf-8") as f:
        return strip_preprocessor(strip_comments(f.read()))


def declarations(include):
    """{name: (header, statement)} of every ACORE_API declaration."""
    decls = {}
    for h in public_headers(include):
        code = header_code(h)
        for m in re.finditer(r"\bACORE_API\b(.*?);", code, re.S):
            stmt = " ".join(m.group(1).split())
            fn = re.search(r"\b(acore_\w+)\s*\(", stmt)
            if not fn:
                raise AbiError(f"{h}: ACORE_API on something that is not an "
                               f"acore_ function: '{stmt}'")
            name = fn.group(1)
            if name in decls:
                raise AbiError(f"{h}: {name} declared ACORE_API twice")
            decls[name] = (os.path.relpath(h, os.path.dirname(os.path.dirname(include))), stmt)
    return decls


# ---- the version script ------------------------------------------------------

class VersionMap:
    """abi/acore.map: ordered nodes [(name, [symbols], parent)] and the
    names of the released (frozen) nodes."""

    def __init__(self, nodes, released):
        self.nodes = nodes
        self.released = released

    def symbols(self):
        return {s: n for n, syms, _ in self.nodes for s in syms}

    def open_node(self):
        return self.nodes[-1][0] if self.nodes else None


def parse_map(path):
    if not os.path.exists(path):
        return VersionMap([], [])
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    rel = re.search(r"released nodes:([^\n*]*)", raw)
    released = [] if not rel else [w for w in rel.group(1).split() if w != "none"]
    code = strip_comments(raw)
    nodes, first = [], True
    for m in re.finditer(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}\s*([A-Za-z_][\w.]*)?\s*;", code, re.S):
        name, body, parent = m.group(1), m.group(2), m.group(3)
        glob, _, local = body.partition("local:")
        glob = glob.replace("global:", "")
        syms = re.findall(r"([^\s;]+)\s*;", glob)
        bad = [s for s in syms if not re.fullmatch(r"[A-Za-z_]\w*", s)]
        if bad:
            raise AbiError(f"{path}: node {name}: wildcard or bad name {bad}: "
                           "name every symbol")
        if local.strip() and (not first or local.split() != ["*;"]):
            raise AbiError(f"{path}: node {name}: only the first node has "
                           "'local: *;'")
        nodes.append((name, syms, parent))
        first = False
    if not nodes:
        raise AbiError(f"{path}: no version node found")
    for r in released:
        if r not in [n for n, _, _ in nodes]:
            raise AbiError(f"{path}: released node {r} is not in the map")
    return VersionMap(nodes, released)


MAP_HEAD = """\
/* SPDX-License-Identifier: MIT */
/*
 * abi/acore.map - the linker version script of {soname}: the complete list
 * of exported symbols, one version node per ABI version, no wildcards (a
 * symbol is exported only when it is named here).
 *
 * Generated from the ACORE_API declarations in abi/include by
 * abi/tools/update.sh (see abi/README.md); review its diff like code.
 * Released nodes are frozen: never remove, move or rename their symbols.
 *
 * released nodes: {released}
 */
"""


def render_map(vmap):
    out = [MAP_HEAD.format(soname=SONAME, released=" ".join(vmap.released) or "none")]
    for i, (name, syms, parent) in enumerate(vmap.nodes):
        out.append(f"{name} {{\n" + ("  global:\n" if syms or i == 0 else ""))
        out += [f"    {s};\n" for s in sorted(syms)]
        if i == 0:
            out.append("  local:\n    *;\n")
        out.append(f"}} {parent};\n" if parent else "};\n")
    return "".join(out)


def next_map(vmap, declared, new_node=None, release=False):
    """The map after bringing it in line with `declared` (a set)."""
    nodes = [(n, list(s), p) for n, s, p in vmap.nodes] or [(FIRST_NODE, [], None)]
    released = list(vmap.released)
    if new_node:
        if new_node in [n for n, _, _ in nodes]:
            raise AbiError(f"node {new_node} exists already")
        nodes.append((new_node, [], nodes[-1][0]))
    frozen = {s for n, syms, _ in nodes if n in released for s in syms}
    gone = sorted(frozen - declared)
    if gone:
        raise AbiError("released symbols are no longer declared (an ABI break; "
                       "keep them, deprecate instead): " + " ".join(gone))
    last, syms, parent = nodes[-1]
    fresh = sorted(declared - frozen - {s for n, ss, _ in nodes[:-1] for s in ss})
    if last in released and fresh:
        raise AbiError(f"node {last} is released; new symbols need a new node: "
                       f"rerun with --new-node ACORE_1.<n> ({' '.join(fresh)})")
    unreleased_old = {s for n, ss, _ in nodes[:-1] if n not in released for s in ss}
    if unreleased_old - declared:
        raise AbiError("symbols of an unreleased older node vanished; edit the map: "
                       + " ".join(sorted(unreleased_old - declared)))
    if last not in released:
        nodes[-1] = (last, fresh, parent)
    if release:
        if last in released:
            raise AbiError(f"node {last} is released already; nothing to release")
        released.append(last)
    return VersionMap(nodes, released)


def read_text(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_if_changed(path, text):
    """Replace `path` by `text` atomically (a sibling temporary file renamed
    over it): a reader sees the old or the new file, never a partial one."""
    old = read_text(path)
    if old != text:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    return old != text


# ---- constants -----------------------------------------------------------------

# Object-like macros that are not ABI constants: the export and deprecation
# attributes, the version (it moves with every release; abi_version checks
# it) and include guards (they have no value anyway).
_NOT_CONSTANT = re.compile(r"ACORE_(API|DEPRECATED\w*|VERSION_\w+|\w*_H)")


def constant_names(include):
    """Every enum constant and every valued object-like ACORE_ #define of the
    public headers, in header order."""
    names = []
    for h in public_headers(include):
        with open(h, encoding="utf-8") as f:
            code = strip_comments(f.read())
        body = strip_preprocessor(code)
        for m in re.finditer(r"\benum\b[^{;]*\{(.*?)\}", body, re.S):
            names += [i.partition("=")[0].strip() for i in m.group(1).split(",")
                      if i.strip()]
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(ACORE_\w+)[ \t]+\S", code, re.M):
            if not _NOT_CONSTANT.fullmatch(m.group(1)):
                names.append(m.group(1))
    return list(dict.fromkeys(names))


_CONST_PROG = r"""
#include <stdio.h>
%(includes)s
#define KIND(x) _Generic((x), float: "double", double: "double", \
  long double: "double", int: "int", unsigned: "unsigned", long: "long", \
  unsigned long: "unsigned long", long long: "long long", \
  unsigned long long: "unsigned long long", default: "other")
static void pf(const char *n, const char *k, double v) { printf("%%s\t%%s\t%%a\n", n, k, v); }
static void pi(const char *n, const char *k, long long v) { printf("%%s\t%%s\t%%lld\n", n, k, v); }
static void pu(const char *n, const char *k, unsigned long long v) { printf("%%s\t%%s\t%%llu\n", n, k, v); }
#define P(x) _Generic((x), float: pf, double: pf, long double: pf, \
  unsigned: pu, unsigned long: pu, unsigned long long: pu, default: pi)(#x, KIND(x), (x))
int main(void) {
%(prints)s  return 0;
}
"""


def compiled_constants(include, cc):
    """[(name, kind, value)] of every public constant, the values and types
    as the C compiler sees them through the headers (not a regex)."""
    names = constant_names(include)
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "constants.c"), os.path.join(tmp, "constants")
        incs = "".join(f'#include "{os.path.relpath(h, include)}"\n'
                       for h in public_headers(include))
        with open(src, "w", encoding="utf-8") as f:
            f.write(_CONST_PROG % {"includes": incs,
                                   "prints": "".join(f"  P({n});\n" for n in names)})
        r = run([cc, "-std=c11", "-I", include, "-o", exe, src, "-lm"])
        if r.returncode:
            raise AbiError(f"compiling the constants of the headers failed:\n{r.stdout}")
        r = run([exe])
        if r.returncode:
            raise AbiError(f"the constants program failed:\n{r.stdout}")
    return [tuple(l.split("\t")) for l in r.stdout.splitlines()]


def render_constants(consts):
    return ("# abi/constants.txt - every public constant of the acore headers\n"
            "# (enum values and #define values): name, C type, value as the\n"
            "# compiler sees it. Generated by abi/tools/update.sh; see abi/README.md.\n"
            + "".join("\t".join(c) + "\n" for c in consts))


def read_constants(path):
    """{name: (kind, value)} of a constants.txt."""
    text = read_text(path)
    if text is None:
        raise AbiError(f"{path} is missing (abi/tools/update.sh <builddir> writes it)")
    out = {}
    for l in text.splitlines():
        if l.strip() and not l.startswith("#"):
            f = l.split("\t")
            out[f[0]] = tuple(f[1:])
    return out


def constant_changes(want, have, frozen):
    """Lines describing how `have` ({name: (kind, value)}) differs from
    `want`; with `frozen`, additions are allowed."""
    lines = []
    for n, kv in want.items():
        if n not in have:
            lines.append(f"{n}: {' '.join(kv)} is gone")
        elif have[n] != kv:
            lines.append(f"{n}: was {' '.join(kv)}, now {' '.join(have[n])}")
    if not frozen:
        lines += [f"{n}: new, {' '.join(have[n])}" for n in have if n not in want]
    return lines


def frozen_constant_changes(root, have):
    return [f"released {v}: {l}" for v, d in released_dirs(root)
            for l in constant_changes(read_constants(os.path.join(d, "constants.txt")),
                                      have, True)]


# ---- reading a built library -------------------------------------------------

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def need_tool(name):
    path = shutil.which(name)
    if not path:
        hint = "apt-get install -y abigail-tools" if name.startswith("abi") else \
               "apt-get install -y binutils"
        print(f"SKIP: '{name}' not found ({hint})")
        sys.exit(SKIP)
    return path


def soname(lib):
    r = run([need_tool("readelf"), "-d", "--wide", lib])
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", r.stdout)
    return m.group(1) if m else None


def exported(lib):
    """Sorted 'name@@NODE' (or 'name' when unversioned) of every defined,
    global, default-visibility dynamic symbol, version definitions left out."""
    r = run([need_tool("readelf"), "--dyn-syms", "--wide", lib])
    if r.returncode:
        raise AbiError(f"readelf failed on {lib}:\n{r.stdout}")
    out = []
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":") or f[6] == "UND":
            continue
        typ, bind, vis, ndx, name = f[3], f[4], f[5], f[6], f[7]
        if bind not in ("GLOBAL", "WEAK") or vis not in ("DEFAULT", "PROTECTED"):
            continue
        if ndx == "ABS" and typ == "OBJECT" and re.fullmatch(r"[A-Z_]+[\d.]+", name):
            continue  # the version node's own definition symbol
        out.append(name)
    return sorted(out)


def has_debug_info(lib):
    r = run([need_tool("readelf"), "-S", "--wide", lib])
    return " .debug_info " in r.stdout


def abidw_dump(lib, include, out):
    """The one way a dump is made: baseline and fresh dumps share these flags."""
    cmd = [need_tool("abidw"), "--headers-dir", include, "--drop-private-types",
           "--exported-interfaces-only", "--no-show-locs", "--no-corpus-path",
           "--no-comp-dir-path", "--type-id-style", "hash", "--out-file", out, lib]
    r = run(cmd)
    if r.returncode:
        raise AbiError(f"abidw failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}")


def dump_facts(xml_path):
    with open(xml_path, encoding="utf-8") as f:
        xml = f.read()
    arch = re.search(r"architecture='([^']*)'", xml)
    syms = set(re.findall(r"<elf-symbol name='([^']+)'[^>]* type='func-type'", xml))
    decls = set(re.findall(r"<function-decl [^>]*elf-symbol-id='([^'@]+)", xml))
    return (arch.group(1) if arch else ""), syms, decls


# ---- commands: generation ----------------------------------------------------

def cmd_decls(a):
    for name, (h, _) in sorted(declarations(paths(a.root)["include"]).items()):
        print(f"{name}\t{h}")


def defined_in(objects):
    """Global symbols the object files define."""
    r = run([need_tool("nm"), "-g", "--defined-only", "-P"] + list(objects))
    if r.returncode:
        raise AbiError(f"nm failed:\n{r.stdout}")
    return {l.split()[0] for l in r.stdout.splitlines()
            if len(l.split()) >= 2 and not l.endswith(":")}


def cmd_linkmap(a):
    """Pre-link step: the version script the library is linked with. When
    abi/acore.map names exactly the declarations and all are implemented,
    it is used as is. While it lags behind (an API being added, renamed or
    not implemented yet) an interim copy is linked: the map's symbols that
    are still declared and defined, plus the declared and defined ones it
    lacks. Both ways with --no-undefined-version. The ABI tests fail until
    `update` is run; the build itself never breaks on API churn."""
    p = paths(a.root)
    vmap = parse_map(p["map"])
    declared = set(declarations(p["include"]))
    defined = defined_in(a.objects)
    mapped = vmap.symbols()
    frozen = {s for s, n in mapped.items() if n in vmap.released}
    keep = (declared & defined) | frozen
    pending = sorted(keep - set(mapped))
    dropped = sorted(set(mapped) - keep)
    if not pending and not dropped:
        script = p["map"]
    else:
        script = a.out_map
        nodes = [(n, [s for s in ss if s in keep], par) for n, ss, par in vmap.nodes] \
            or [(FIRST_NODE, [], None)]
        n, ss, par = nodes[-1]
        nodes[-1] = (n, ss + pending, par)
        write_if_changed(a.out_map, render_map(VersionMap(nodes, vmap.released)))
        def names(xs):
            return " ".join(xs[:6]) + (f" ... ({len(xs)} in all)" if len(xs) > 6 else "")
        print("acore: abi/acore.map lags behind the API; linking an interim version "
              "script (the ABI tests fail until abi/tools/update.sh <builddir> runs)",
              file=sys.stderr)
        if pending:
            print(f"acore:   declared, not in the map: {names(pending)}", file=sys.stderr)
        gone = [s for s in dropped if s not in declared]
        unimpl = [s for s in dropped if s in declared]
        if gone:
            print(f"acore:   in the map, no longer declared: {names(gone)}", file=sys.stderr)
        if unimpl:
            print(f"acore:   declared, not implemented yet: {names(unimpl)}", file=sys.stderr)
    write_if_changed(a.out_opts, f"-Wl,--version-script={script}\n"
                     "-Wl,--no-undefined-version\n")


def snapshot_texts(root, lib):
    """(symbols.txt text, acore.abi.xml text, [symbols]) of a built library."""
    if not has_debug_info(lib):
        raise AbiError(f"{lib} has no debug info; build with -g (the baseline needs it)")
    syms = exported(lib)
    text = ("# abi/symbols.txt - every symbol " + SONAME + " exports, with its\n"
            "# version node. Generated by abi/tools/update.sh; see abi/README.md.\n"
            + "".join(s + "\n" for s in syms))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "acore.abi.xml")
        abidw_dump(lib, paths(root)["include"], out)
        xml = read_text(out)
    return text, xml, syms


def write_snapshot(root, lib):
    """Write abi/symbols.txt and abi/acore.abi.xml from a built library."""
    p = paths(root)
    text, xml, syms = snapshot_texts(root, lib)
    write_if_changed(p["symbols"], text)
    write_if_changed(p["baseline"], xml)
    return syms


def cmd_write_map(a):
    p = paths(a.root)
    vmap = next_map(parse_map(p["map"]), set(declarations(p["include"])),
                    a.new_node, a.release)
    changed = write_if_changed(p["map"], render_map(vmap))
    print(f"abi/acore.map {'updated' if changed else 'unchanged'}")


def cmd_snapshot(a):
    """Write abi/symbols.txt and abi/acore.abi.xml from a built library."""
    syms = write_snapshot(a.root, a.lib)
    print(f"abi/symbols.txt and abi/acore.abi.xml written ({len(syms)} symbols)")


def find_lib(builddir):
    for cand in ("libacore.so", "lib/libacore.so"):
        path = os.path.join(builddir, cand)
        if os.path.exists(path):
            return os.path.realpath(path)
    raise AbiError(f"no libacore.so in {builddir}")


def link_library(objects, map_path, out, cc):
    """Link `objects` into `out` the way the build links libacore.so."""
    uv = run(["pkg-config", "--libs", "libuv"])
    if uv.returncode:
        raise AbiError(f"pkg-config --libs libuv failed:\n{uv.stdout}")
    r = run([cc, "-shared", "-o", out] + list(objects) +
            [f"-Wl,-soname,{SONAME}", "-Wl,--no-undefined", "-Wl,--no-undefined-version",
             f"-Wl,--version-script={map_path}"] + uv.stdout.split() + ["-pthread", "-lm"])
    if r.returncode:
        raise AbiError(f"linking the candidate library failed:\n{r.stdout}")


def build_objects(builddir):
    """Build the library in `builddir`; its object files and C compiler."""
    cache = read_text(os.path.join(builddir, "CMakeCache.txt"))
    if cache is None:
        raise AbiError(f"{builddir} is not a configured build folder")
    if re.search(r"^ACORE_[AT]SAN:BOOL=(ON|1|TRUE)", cache, re.M | re.I):
        raise AbiError("use a normal build folder, not a sanitizer build")
    cc = re.search(r"^CMAKE_C_COMPILER:\w+=(.*)$", cache, re.M)
    r = subprocess.run(["cmake", "--build", builddir, "--target", "acore", "-j2"])
    if r.returncode:
        raise AbiError("building the library failed")
    listing = read_text(os.path.join(builddir, "abi", "objects.txt"))
    if listing is None:
        raise AbiError(f"{builddir}/abi/objects.txt is missing; reconfigure the build")
    return [l for l in listing.split("\n") if l.strip()], (cc.group(1) if cc else "cc")


def cmd_update(a):
    """The one command. Everything is computed and checked first, in a
    scratch copy: the new map, a candidate library linked with it, its
    symbols, abidw baseline and constants; the checks (including those
    against every release baseline) must pass on the candidate. Only then
    are the files replaced, each atomically. A failing run writes nothing."""
    p = paths(a.root)
    if a.objects:
        objects, cc = a.objects, a.cc
    else:
        objects, cc = build_objects(a.builddir)
    vmap = next_map(parse_map(p["map"]), set(declarations(p["include"])),
                    a.new_node, a.release)
    with tempfile.TemporaryDirectory() as tmp:
        cand = os.path.join(tmp, "root")
        os.makedirs(os.path.join(cand, "abi"))
        os.symlink(p["include"], paths(cand)["include"])
        if os.path.isdir(p["released"]):
            os.symlink(p["released"], paths(cand)["released"])
        cp = paths(cand)
        files = {"map": render_map(vmap)}
        write_if_changed(cp["map"], files["map"])
        lib = os.path.join(tmp, SONAME)
        link_library(objects, cp["map"], lib, cc)
        files["symbols"], files["baseline"], syms = snapshot_texts(cand, lib)
        files["constants"] = render_constants(compiled_constants(p["include"], cc))
        for k in ("symbols", "baseline", "constants"):
            write_if_changed(cp[k], files[k])
        ns = argparse.Namespace(root=cand, lib=lib, cc=cc, quiet=True)
        bad = [c(ns) for c in (cmd_check_symbols, cmd_check_exports, cmd_check_abi,
                               cmd_check_constants)]
        if any(bad):
            raise AbiError("the new ABI files fail the checks (see above); "
                           "nothing was written")
        before = set(read_symbols(p["symbols"])) if os.path.exists(p["symbols"]) else set()
        stage = None
        if a.release:
            version = vmap.nodes[-1][0].replace("ACORE_", "")
            dst = os.path.join(p["released"], version)
            if os.path.exists(dst):
                raise AbiError(f"{dst} exists already; nothing was written")
            stage = os.path.join(p["released"], f".{version}.tmp{os.getpid()}")
            shutil.rmtree(stage, ignore_errors=True)
            shutil.copytree(p["include"], os.path.join(stage, "include"))
            for k, name in (("symbols", "symbols.txt"), ("baseline", "acore.abi.xml"),
                            ("constants", "constants.txt"), ("map", "acore.map")):
                write_if_changed(os.path.join(stage, name), files[k])
        changed = [k for k in ("map", "symbols", "baseline", "constants")
                   if write_if_changed(p[k], files[k])]
        if stage:
            os.rename(stage, dst)
            print(f"abi/released/{version}/ written: the {version} release baseline "
                  "(headers, symbols, abidw dump, constants, map); never rewritten")
    for s in sorted(set(syms) - before):
        print(f"  + {s}")
    for s in sorted(before - set(syms)):
        print(f"  - {s}")
    print("changed: " + (", ".join(os.path.relpath(p[k], a.root) for k in changed)
                         if changed else "nothing"))
    if not a.objects:  # relink the build folder's library with the new map
        r = subprocess.run(["cmake", "--build", a.builddir, "--target", "acore", "-j2"])
        if r.returncode:
            raise AbiError("relinking the library failed")
    print(f"done: {len(syms)} symbols; review `git diff abi/` and commit it")


# ---- commands: checks --------------------------------------------------------

def read_symbols(path):
    with open(path, encoding="utf-8") as f:
        return sorted(l.strip() for l in f if l.strip() and not l.startswith("#"))


def report(ok, title, lines):
    print(("PASS: " if ok else "FAIL: ") + title)
    for l in lines:
        print("  " + l)
    return 0 if ok else 1


def cmd_check_symbols(a):
    """The exported dynamic symbols equal abi/symbols.txt; SONAME; every
    symbol carries the version node the map gives it."""
    p = paths(a.root)
    want = read_symbols(p["symbols"])
    have = exported(a.lib)
    lines = [f"+ {s} (exported, not in abi/symbols.txt)" for s in sorted(set(have) - set(want))]
    lines += [f"- {s} (in abi/symbols.txt, not exported)" for s in sorted(set(want) - set(have))]
    so = soname(a.lib)
    if so != SONAME:
        lines.append(f"SONAME is {so}, want {SONAME}")
    nodes = parse_map(p["map"]).symbols()
    for s in have:
        name, _, node = s.partition("@@")
        if nodes.get(name) != node:
            where = nodes.get(name)
            lines.append(f"{s}: " + (f"the map puts it in {where}" if where
                                     else "not named in abi/acore.map"))
    for v, d in released_dirs(a.root):
        lines += [f"{s}: released in {v}, not exported with that version"
                  for s in read_symbols(os.path.join(d, "symbols.txt")) if s not in have]
    if lines:
        lines.append("if the API changed on purpose: abi/tools/update.sh <builddir>")
    return report(not lines, f"{len(have)} exported symbols of {a.lib} == abi/symbols.txt"
                  f" (and keep the {len(released_dirs(a.root))} releases' symbols)", lines)


def cmd_check_exports(a):
    """Every ACORE_API declaration is exported, and nothing else is; the map
    names exactly the declarations."""
    p = paths(a.root)
    declared = set(declarations(p["include"]))
    have = {s.partition("@")[0] for s in exported(a.lib)}
    mapped = set(parse_map(p["map"]).symbols())
    lines = [f"{s}: declared ACORE_API, not exported" for s in sorted(declared - have)]
    lines += [f"{s}: exported, not declared ACORE_API" for s in sorted(have - declared)]
    lines += [f"{s}: declared, missing from abi/acore.map" for s in sorted(declared - mapped)]
    lines += [f"{s}: in abi/acore.map, not declared" for s in sorted(mapped - declared)]
    if lines:
        lines.append("if the API changed on purpose: abi/tools/update.sh <builddir>")
    return report(not lines, f"{len(declared)} ACORE_API declarations == exports == map", lines)


def cmd_check_abi(a):
    """abidiff of a fresh dump against the baseline; refuses a library (or
    baseline) without debug info, since abidiff then silently passes."""
    p = paths(a.root)
    need_tool("abidw"), need_tool("abidiff")
    if not has_debug_info(a.lib):
        return report(False, f"{a.lib} has no .debug_info: refusing to pass an "
                      "ABI check that cannot see types", [])
    with tempfile.TemporaryDirectory() as tmp:
        fresh = os.path.join(tmp, "fresh.abi.xml")
        abidw_dump(a.lib, p["include"], fresh)
        arch, syms, decls = dump_facts(fresh)
        barch, bsyms, bdecls = dump_facts(p["baseline"])
        if arch != barch:
            print(f"SKIP: baseline is for {barch}, this library is {arch}")
            return SKIP
        lines = [f"{s}: exported but no debug info describes it" for s in sorted(syms - decls)]
        lines += [f"baseline: {s} has no type information" for s in sorted(bsyms - bdecls)]
        if not syms:
            lines.append("the fresh dump has no functions at all")
        if lines:
            return report(False, "refusing: the ABI dump lacks type information", lines)
        r = run([need_tool("abidiff"), p["baseline"], fresh])
        lines = r.stdout.rstrip().splitlines()
        if r.returncode:
            lines.append(f"abidiff exit status {r.returncode} (bits: 1 error, 2 usage, "
                         "4 ABI change, 8 incompatible change)")
            lines.append("if the API changed on purpose: abi/tools/update.sh <builddir>")
        ok = r.returncode == 0
        # Every release baseline: its functions keep their exact types
        # (functions added since are not a change; anything else is).
        for v, d in released_dirs(a.root):
            rr = run([need_tool("abidiff"), "--no-added-syms",
                      os.path.join(d, "acore.abi.xml"), fresh])
            if rr.returncode:
                ok = False
                lines += [f"released {v}: " + l for l in rr.stdout.rstrip().splitlines()]
                lines.append(f"released {v}: abidiff exit status {rr.returncode}: a "
                             "released function changed; give the new form a new name")
    n = len(released_dirs(a.root))
    return report(ok, f"abidiff abi/acore.abi.xml and {n} release baseline(s) vs "
                  f"{a.lib} ({len(syms)} functions with types)", lines)


def error_code_ranges(have):
    """Error codes (ACORE_E<NAME>) are ints in acore's reserved ranges,
    -1 ... -999 (docs/ABI.md "Reserved error-code ranges"), each used once;
    ACORE_OK is 0."""
    lines, seen = [], {}
    if have.get("ACORE_OK") != ("int", "0"):
        lines.append(f"ACORE_OK is {have.get('ACORE_OK')}, want int 0")
    for n, (kind, value) in have.items():
        if not re.fullmatch(r"ACORE_E[A-Z0-9]+", n):
            continue
        v = int(value) if kind == "int" else None
        if v is None or not -999 <= v <= -1:
            lines.append(f"{n}: {kind} {value} is outside acore's error-code ranges "
                         "(-1 ... -999, docs/ABI.md)")
        elif v in seen:
            lines.append(f"{n}: {v} is already {seen[v]}")
        else:
            seen[v] = n
    return lines


def cmd_check_constants(a):
    """Every public constant (enum and #define values of every public
    header, as the compiler sees them) equals abi/constants.txt, and keeps
    the value every release baseline recorded."""
    p = paths(a.root)
    have = {n: (k, v) for n, k, v in compiled_constants(p["include"], a.cc)}
    lines = constant_changes(read_constants(p["constants"]), have, False)
    if lines:
        lines.append("if the API changed on purpose: abi/tools/update.sh <builddir>")
    lines += error_code_ranges(have)
    frozen = frozen_constant_changes(a.root, have)
    if frozen:
        lines += frozen + ["released constants never change (add a new one instead)"]
    return report(not lines, f"{len(have)} public constants == abi/constants.txt "
                  f"and the {len(released_dirs(a.root))} release baseline(s)", lines)


def cmd_check_map(a):
    """The map is well formed and names exactly the declarations."""
    p = paths(a.root)
    vmap = parse_map(p["map"])
    declared = set(declarations(p["include"]))
    mapped = set(vmap.symbols())
    lines = [f"+ {s}" for s in sorted(declared - mapped)]
    lines += [f"- {s}" for s in sorted(mapped - declared)]
    if not vmap.nodes or vmap.nodes[0][0] != FIRST_NODE:
        lines.append(f"the first node is {vmap.nodes[0][0]}, want {FIRST_NODE}")
    return report(not lines, f"abi/acore.map names the {len(declared)} declarations", lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=ROOT, help="source tree (default: this one)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("decls", help="list the ACORE_API declarations")
    s.set_defaults(fn=cmd_decls)
    s = sub.add_parser("linkmap", help="build step: the version script to link with")
    s.add_argument("--out-map", required=True)
    s.add_argument("--out-opts", required=True)
    s.add_argument("objects", nargs="+", help="the library's object files")
    s.set_defaults(fn=cmd_linkmap)
    for name, fn in (("write-map", cmd_write_map), ("update", cmd_update)):
        s = sub.add_parser(name, help="regenerate " + ("the map" if fn is cmd_write_map
                                                       else "map, symbols, baseline, constants"))
        s.add_argument("--new-node", help="open a new version node, e.g. ACORE_1.1")
        s.add_argument("--release", action="store_true",
                       help="mark the open node released (frozen) and write "
                            "abi/released/<version>/")
        if fn is cmd_update:
            g = s.add_mutually_exclusive_group(required=True)
            g.add_argument("builddir", nargs="?", help="a configured normal build folder")
            g.add_argument("--objects", nargs="+",
                           help="link these object files instead of building (self-test)")
            s.add_argument("--cc", default=os.environ.get("CC", "cc"),
                           help="C compiler with --objects")
        s.set_defaults(fn=fn)
    for name, fn in (("snapshot", cmd_snapshot), ("check-symbols", cmd_check_symbols),
                     ("check-exports", cmd_check_exports), ("check-abi", cmd_check_abi)):
        s = sub.add_parser(name, help=fn.__doc__.split("\n")[0])
        s.add_argument("--lib", required=True)
        s.set_defaults(fn=fn)
    s = sub.add_parser("check-constants", help=cmd_check_constants.__doc__.split("\n")[0])
    s.add_argument("--cc", default=os.environ.get("CC", "cc"))
    s.set_defaults(fn=cmd_check_constants)
    s = sub.add_parser("check-map", help=cmd_check_map.__doc__.split("\n")[0])
    s.set_defaults(fn=cmd_check_map)
    a = ap.parse_args(argv)
    a.root = os.path.abspath(a.root)
    try:
        return a.fn(a) or 0
    except (AbiError, OSError) as e:
        print(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
