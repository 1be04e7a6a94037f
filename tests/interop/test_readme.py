#!/usr/bin/env python3
"""Runs every example of README.md, so that the README cannot drift.

The README is read in order, in one temporary directory:
  ```python   blocks run with this Python (real joblib/numpy); when the
              next block is ```text, what the block prints must equal it.
              `import sqlite_joblib` finds python/sqlite_joblib with the
              module under test as its joblib0.so (PYTHONPATH).
  ```sql      blocks run through the sqlite3 shell ($JL_SQLITE3) on one
              database file shared by all blocks, with the extension loaded;
              when the next block is ```text, the output must equal it.
A block whose info string has `no-run` is skipped; one with `error`
(```sql error) must fail, and its ```text block is compared with what the
shell printed on stderr.

  test_readme.py [--show]   --show prints each block's actual output.
Prints 'N passed, N failed' and exits 1 on any failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)


def blocks(text):
    """(info, body) for each fenced block, in order."""
    return [(m.group(1).strip(), m.group(2)) for m in BLOCK.finditer(text)]


def run_python(body, cwd, pkgdir):
    env = dict(os.environ)
    env["PYTHONPATH"] = pkgdir + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if env.get("JL_PRELOAD") and "sqlite_joblib" in body:  # a sanitized joblib0.so
        env["LD_PRELOAD"] = env["JL_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    return subprocess.run([os.environ.get("JL_PYTHON", "/usr/bin/python3"), "-P", "-c", body],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def stage_package(src, module, into):
    """python/sqlite_joblib with the module under test as its joblib0.so."""
    pkg = os.path.join(into, "sqlite_joblib")
    os.mkdir(pkg)
    shutil.copy(os.path.join(src, "python", "sqlite_joblib", "__init__.py"), pkg)
    os.symlink(module, os.path.join(pkg, "joblib0.so"))
    return into


def run_sql(body, cwd, module):
    shell = os.environ.get("JL_SQLITE3", "sqlite3")
    env = dict(os.environ)
    if env.get("JL_PRELOAD"):
        env["LD_PRELOAD"] = env["JL_PRELOAD"]
    script = ".load %s\n%s" % (module, body)
    return subprocess.run([shell, "-bail", "readme.db"], input=script, cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def main():
    show = "--show" in sys.argv
    src = os.environ.get("JL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    module = os.path.abspath(os.environ.get("JL_MODULE", "build/joblib0.so"))
    sofile = module if module.endswith(".so") else module + ".so"
    module = re.sub(r"\.so$", "", module)
    with open(os.path.join(src, "README.md"), encoding="utf-8") as f:
        items = blocks(f.read())
    passed = failed = 0
    with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as pkgroot:
        pkgdir = stage_package(src, sofile, pkgroot)
        for i, (info, body) in enumerate(items):
            words = info.split()
            if not words or words[0] not in ("python", "sql") or "no-run" in words:
                continue
            expected = None
            if i + 1 < len(items) and items[i + 1][0].split()[:1] == ["text"]:
                expected = items[i + 1][1]
            r = run_python(body, cwd, pkgdir) if words[0] == "python" else run_sql(body, cwd, module)
            first = body.strip().splitlines()[0] if body.strip() else ""
            if "error" in words:
                ok = bool(r.stderr.strip())
                if ok and expected is not None:
                    ok = r.stderr.rstrip() == expected.rstrip()
            else:
                ok = r.returncode == 0 and not r.stderr.strip()
                if ok and expected is not None:
                    ok = r.stdout.rstrip() == expected.rstrip()
            if show:
                print("---- %s block %d: %s\n%s%s" % (words[0], i, first, r.stdout, r.stderr))
            if ok:
                passed += 1
            else:
                failed += 1
                print("FAIL %s block %d: %s" % (words[0], i, first))
                if expected is not None:
                    print("  expected:\n%s" % expected)
                print("  got (exit %d):\n%s%s" % (r.returncode, r.stdout, r.stderr))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
