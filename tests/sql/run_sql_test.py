#!/usr/bin/env python3
"""Runs one SQL test script through the sqlite3 shell with the extension loaded.

Usage: run_sql_test.py FILE.sql

The script is a list of checks, one row each, named by their first column:

    SELECT 'load int', joblib_load('x.pkl', '$[0]') = 1;

Every output row must be `name|1`; any other row, anything on stderr or a
non-zero exit of the shell is a failure, and the offending rows are printed.

Directives (SQL comments, so the shell ignores them):

    -- requires: corpus
        (among the leading comment lines) skip with exit 77 when the corpus
        directory $JL_CORPUS_DIR does not exist.
    -- error: <sql> => <expected message prefix>
        runs <sql> alone in a fresh shell and checks that it fails with an
        error message starting with the expected prefix.

`@CORPUS@` in the script is replaced by the corpus directory and
`@FIXTURES@` by the fixtures directory.

Environment (set by ctest, see tests/CMakeLists.txt): JL_SQLITE3 (the shell),
JL_MODULE (the extension), JL_BUILD_DIR (the shell runs in
$JL_BUILD_DIR/fixtures), JL_CORPUS_DIR, and JL_PRELOAD (the ASan runtime to
preload into the shell when the extension is built with sanitizers).
Exit status: 0 all passed, 1 a failure, 77 skipped.
"""
import os
import re
import subprocess
import sys

SKIP = 77
TIMEOUT = 300

# How the sqlite3 shell prefixes an error message on stderr.
ERROR_PREFIX = re.compile(r"^(?:(?:Runtime|Parse) error(?: near line \d+)?: |"
                          r"Error: (?:near line \d+: )?(?:in prepare, )?)")


def shell_env():
    env = dict(os.environ)
    preload = env.get("JL_PRELOAD")
    if preload:
        env["LD_PRELOAD"] = (preload + " " + env.get("LD_PRELOAD", "")).strip()
        # The shell is small and frees what it takes: leaks are the module's.
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    return env


def run_shell(sql, cwd):
    shell = os.environ.get("JL_SQLITE3", "sqlite3")
    module = os.path.abspath(os.environ.get("JL_MODULE") or
                             os.path.join(os.environ.get("JL_BUILD_DIR", "build"), "joblib"))
    cmd = [shell, "-batch", "-init", os.devnull, ":memory:",
           "-cmd", ".load " + module]
    proc = subprocess.run(cmd, input=sql.encode("utf-8"), cwd=cwd,
                          capture_output=True, env=shell_env(), timeout=TIMEOUT)
    return (proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


def error_messages(stderr):
    """The messages of the errors the shell printed, without its prefix."""
    out = []
    for line in stderr.splitlines():
        m = ERROR_PREFIX.match(line)
        if m:
            out.append(line[m.end():])
    return out


def parse_directives(text):
    requires = set()
    errors = []  # (line number, sql, expected prefix)
    leading = True
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if leading and s and not s.startswith("--"):
            leading = False
        m = re.match(r"--\s*requires:\s*(.+)$", s)
        if m and leading:
            requires.update(w.strip() for w in m.group(1).split(","))
            continue
        m = re.match(r"--\s*error:\s*(.+?)\s*=>\s*(.+)$", s)
        if m:
            errors.append((n, m.group(1), m.group(2)))
        elif s.startswith("-- error:"):
            raise SystemExit("%d: malformed error directive (want "
                             "'-- error: <sql> => <message prefix>')" % n)
    return requires, errors


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = sys.argv[1]
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()

    corpus = os.path.abspath(os.environ.get("JL_CORPUS_DIR", "../shared/corpus/joblib-upstream"))
    build = os.environ.get("JL_BUILD_DIR", "build")
    fixtures = os.path.abspath(os.path.join(build, "fixtures"))
    requires, errors = parse_directives(text)
    for r in requires:
        if r != "corpus":
            print("%s: unknown requirement %r" % (name, r))
            return 1
    if "corpus" in requires and not os.path.isdir(corpus):
        print("%s: skipped: no corpus at %s" % (name, corpus))
        print("0 passed, 0 failed, 1 skipped")
        return SKIP
    if not os.path.isdir(fixtures):
        print("%s: no fixtures directory %s (run tests/fixtures/make_fixtures.py)" % (name, fixtures))
        return 1

    def subst(s):
        return s.replace("@CORPUS@", corpus).replace("@FIXTURES@", fixtures)

    passed = failed = 0
    problems = []

    rc, out, err = run_shell(subst(text), fixtures)
    rows = out.splitlines()
    names = []
    for row in rows:
        label, sep, result = row.rpartition("|")
        if sep and result == "1":
            passed += 1
            names.append(label)
        else:
            failed += 1
            problems.append("row not `name|1`: %r" % row)
    if err.strip():
        failed += 1
        problems.append("stderr:\n" + err.rstrip())
    if rc != 0:
        failed += 1
        problems.append("sqlite3 exited with status %d" % rc)
    if not rows and not errors:
        failed += 1
        problems.append("the script printed no rows: it checks nothing")

    for lineno, sql, expected in errors:
        sql = subst(sql)
        if not sql.rstrip().endswith(";"):
            sql += ";"
        rc, out, err = run_shell(sql + "\n", fixtures)
        msgs = error_messages(err)
        if any(m.startswith(expected) for m in msgs):
            passed += 1
            continue
        failed += 1
        problems.append("line %d: %s\n  expected an error starting with %r\n"
                        "  got status %d, stdout %r, stderr %r"
                        % (lineno, sql, expected, rc, out.strip(), err.strip()))

    for p in problems:
        print("FAIL %s: %s" % (name, p))
    print("%s: %d passed, %d failed" % (name, passed, failed))
    # The closing line that counts.
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
