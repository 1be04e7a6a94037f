#!/usr/bin/env python3
"""test_check_layers.py - tests check_layers.py on copies of the real
codec/ and ext/ trees: untouched, the checker gives the verdict it gives on
the tree itself (exit 0 once the tree is clean; it lists the tree's own
findings otherwise, which the layers.check test reports); each injected
fault (an upward include, includes of ext/ and SQLite, a circle of includes,
a circle through a shared header, an unpaired header or source) must add
exactly the expected finding and make it exit 1; an allow-listed
header-only module passes.

Usage: test_check_layers.py ROOT (the source tree holding codec/ and ext/).
Python 3, standard library only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_layers.py")


def run(root, checker=CHECKER):
    p = subprocess.run([sys.executable, checker, root], capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise AssertionError("checker crashed (exit %d):\n%s%s" % (p.returncode, p.stdout, p.stderr))
    return p.returncode, findings(p.stdout), p.stdout


def findings(out):
    """The findings of a checker's output, one string each (a cycle with its
    evidence lines)."""
    res = []
    for line in out.splitlines():
        if line.startswith("    ") and res:
            res[-1] += "\n" + line.strip()
        elif line.startswith("  "):
            res.append(line.strip())
    return res


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def insert_after_first_include(root, rel, line):
    path = os.path.join(root, rel)
    with open(path) as f:
        lines = f.read().split("\n")
    k = next(i for i, l in enumerate(lines) if re.match(r'^#include "', l))
    lines.insert(k + 1, line)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return k + 2  # 1-based line of the inserted include


def pair(root, folder, stem, decls="", body="", includes=()):
    """A module folder/stem.{c,h}: the header declares decls, the source
    includes its header, then `includes`, then holds body."""
    write(root, "%s/%s.h" % (folder, stem), "/* %s.h - test module */\n%s" % (stem, decls))
    inc = "".join('#include "%s"\n' % i for i in includes)
    write(root, "%s/%s.c" % (folder, stem), '/* %s.c - test module */\n#include "%s.h"\n%s%s'
          % (stem, stem, inc, body))


FAILED = []


def check(name, got_rc, got, baseline, expected, want_rc=1):
    """The findings added to the baseline must be exactly `expected`
    (regular expressions, matched in full), and the exit code want_rc."""
    added = [f for f in got if f not in baseline]
    lost = [f for f in baseline if f not in got]
    ok = got_rc == want_rc and not lost and len(added) == len(expected)
    if ok:
        unmatched = list(added)
        for pat in expected:
            hit = next((f for f in unmatched if re.fullmatch(pat, f, re.S)), None)
            if hit is None:
                ok = False
                break
            unmatched.remove(hit)
    print("%s: %s" % ("ok  " if ok else "FAIL", name))
    if not ok:
        FAILED.append(name)
        print("    exit %d (want %d)" % (got_rc, want_rc))
        for f in added:
            print("    added: " + f.replace("\n", "\n           "))
        for f in lost:
            print("    lost:  " + f.replace("\n", "\n           "))
        for pat in expected:
            print("    want:  " + pat)


def main(argv):
    if len(argv) != 2 or not os.path.isdir(os.path.join(argv[1], "codec")):
        sys.stderr.write(__doc__)
        return 2
    src = argv[1]
    tmp = tempfile.mkdtemp(prefix="check_layers.")
    try:
        n = [0]

        def fresh():
            n[0] += 1
            root = os.path.join(tmp, "t%d" % n[0])
            for top in ("codec", "ext"):
                shutil.copytree(os.path.join(src, top), os.path.join(root, top))
            return root

        # untouched: the copy says what the tree says
        real_rc, real, _ = run(src)
        root = fresh()
        rc, base, _ = run(root)
        check("untouched copy: same verdict as the tree", rc, base, real, [], want_rc=1 if real else 0)
        if base:
            print("    (the tree itself has %d finding(s), reported by layers.check)" % len(base))

        # (a) an upward include, in a real file: an io source includes a numpy header
        root = fresh()
        io_src = sorted(f for f in os.listdir(os.path.join(root, "codec/io")) if f.endswith(".c"))[0]
        np_hdr = sorted(f for f in os.listdir(os.path.join(root, "codec/numpy")) if f.endswith(".h"))[0]
        line = insert_after_first_include(root, "codec/io/" + io_src, '#include "%s"' % np_hdr)
        rc, got, _ = run(root)
        check("upward include in codec/io/%s" % io_src, rc, got, base,
              [r'codec/io/%s:%d: includes "%s" \(codec/numpy/%s\): layer io may include only core, io'
               % (re.escape(io_src), line, re.escape(np_hdr), re.escape(np_hdr))])

        # (a) an upward include between test modules (core -> tree)
        root = fresh()
        pair(root, "codec/tree", "zz_high", "int zz_high(void);\n", "int zz_high(void) { return 1; }\n")
        pair(root, "codec/core", "zz_low", "int zz_low(void);\n", "int zz_low(void) { return zz_high(); }\n",
             includes=["zz_high.h"])
        rc, got, _ = run(root)
        check("upward include core -> tree", rc, got, base,
              [r'codec/core/zz_low\.c:3: includes "zz_high\.h" \(codec/tree/zz_high\.h\): '
               r'layer core may include only core'])

        # (a) codec includes an ext/ header, and SQLite
        root = fresh()
        write(root, "ext/zz_glue.h", "/* zz_glue.h */\nint zz_glue(void);\n")
        pair(root, "codec/value", "zz_v", "int zz_v(void);\n", "int zz_v(void) { return 0; }\n",
             includes=["zz_glue.h"])
        pair(root, "codec/value", "zz_w", "int zz_w(void);\n", "int zz_w(void) { return 0; }\n",
             includes=["sqlite3.h"])
        write(root, "codec/value/zz_w.h", '/* zz_w.h */\n#include <sqlite3ext.h>\nint zz_w(void);\n')
        rc, got, _ = run(root)
        check("codec includes ext/ and SQLite", rc, got, base,
              [r'codec/value/zz_v\.c:3: includes "zz_glue\.h" \(ext/zz_glue\.h\): '
               r'codec/ must not include ext/ headers',
               r'codec/value/zz_w\.c:3: includes "sqlite3\.h": codec/ must not depend on SQLite \(that is ext/\)',
               r'codec/value/zz_w\.h:2: includes <sqlite3ext\.h>: codec/ must not depend on SQLite \(that is ext/\)'])

        # (b) a circle of includes
        root = fresh()
        pair(root, "codec/tree", "zz_a", "int zz_a(void);\n", "int zz_a(void) { return zz_b(); }\n",
             includes=["zz_b.h"])
        pair(root, "codec/tree", "zz_b", "int zz_b(void);\n", "int zz_b(void) { return zz_a(); }\n",
             includes=["zz_a.h"])
        rc, got, _ = run(root)
        check("circle of includes", rc, got, base,
              [r'module cycle: codec/tree/zz_a -> codec/tree/zz_b -> codec/tree/zz_a\n'
               r'codec/tree/zz_a -> codec/tree/zz_b: codec/tree/zz_a\.c:3 includes "zz_b\.h"\n'
               r'codec/tree/zz_b -> codec/tree/zz_a: codec/tree/zz_b\.c:3 includes "zz_a\.h"'])

        # (b) a circle through a header that declares another source's function
        root = fresh()
        pair(root, "codec/tree", "zz_decl", "int zz_decl(void);\nint zz_impl(void);\n",
             "int zz_decl(void) { return zz_impl(); }\n")
        pair(root, "codec/tree", "zz_impl", "int zz_other(void);\n",
             "int zz_impl(void) { return 1; }\nint zz_other(void) { return zz_decl(); }\n",
             includes=["zz_decl.h"])
        rc, got, _ = run(root)
        check("circle through a shared header", rc, got, base,
              [r'module cycle: codec/tree/zz_decl -> codec/tree/zz_impl -> codec/tree/zz_decl\n'
               r'codec/tree/zz_decl -> codec/tree/zz_impl: codec/tree/zz_decl\.h:3 declares zz_impl\(\), '
               r'defined in codec/tree/zz_impl\.c:4\n'
               r'codec/tree/zz_impl -> codec/tree/zz_decl: codec/tree/zz_impl\.c:3 includes "zz_decl\.h"'])

        # (c) an unpaired header and an unpaired source
        root = fresh()
        write(root, "codec/tree/zz_lonely.h", "/* zz_lonely.h */\n#define ZZ 1\n")
        write(root, "codec/io/zz_orphan.c", "/* zz_orphan.c */\nstatic int zz(void) { return 0; }\n")
        rc, got, _ = run(root)
        check("unpaired header and source", rc, got, base,
              [r'codec/tree/zz_lonely\.h: header without a source zz_lonely\.c .*HEADER_ONLY.*',
               r'codec/io/zz_orphan\.c: source without a header zz_orphan\.h .*'])

        # (c) a header-only module in the allow-list passes
        checker = os.path.join(root, "check_layers.py")
        with open(CHECKER) as f:
            text = f.read()
        text, k = re.subn(r"^HEADER_ONLY = \{", 'HEADER_ONLY = {\n    "codec/tree/zz_lonely.h": "a test",',
                          text, count=1, flags=re.M)
        assert k == 1, "HEADER_ONLY not found in check_layers.py"
        with open(checker, "w") as f:
            f.write(text)
        os.remove(os.path.join(root, "codec/io/zz_orphan.c"))
        rc, got, _ = run(root, checker)
        check("allow-listed header-only module", rc, got, base, [], want_rc=1 if base else 0)
    finally:
        shutil.rmtree(tmp)
    if FAILED:
        print("test_check_layers: %d case(s) failed" % len(FAILED))
        return 1
    print("test_check_layers: all cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
