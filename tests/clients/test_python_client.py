#!/usr/bin/env python3
"""The extension in Python's sqlite3 (conn.load_extension), with real joblib
on the other side.

  - loading: conn.load_extension(path without .so), the version;
  - SQL writes, Python reads: joblib_dump to a file with every compressor
    this build and Python both have, and the legacy 'npy' layout, read by
    joblib.load; joblib_dumps BLOBs read from memory; values compared with
    what the SQL built (arrays by dtype, shape and bytes);
  - Python writes, SQL reads: joblib.dump of a small model-like dict, read
    by joblib_show (exact text), joblib_load and joblib_tree;
  - examples/python/example.py runs and prints what it should;
  - the module does not shadow the joblib package: with joblib0.so in the
    current directory (python -c) and beside a script (sys.path[0]),
    `import joblib` is still Python's joblib and load_extension('./joblib0')
    finds sqlite3_joblib_init from the file name.

Environment (ctest, tests/clients/CMakeLists.txt): JL_MODULE, JL_VERSION,
JL_SOURCE_DIR, JL_PRELOAD. Exit status 0 passed, 1 failed, 77 skipped
(no joblib/numpy in this Python).
"""
import io
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import traceback
import warnings

SKIP = 77


def preload():
    """Re-executes under the ASan runtime when the module is sanitized."""
    rt = os.environ.get("JL_PRELOAD")
    if not rt or rt in os.environ.get("LD_PRELOAD", ""):
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = (rt + " " + env.get("LD_PRELOAD", "")).strip()
    env["ASAN_OPTIONS"] = "detect_leaks=0"  # Python itself leaks by design
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


preload()
try:
    import joblib
    import numpy as np
except ImportError as e:
    print("skip: %s" % e)
    sys.exit(SKIP)

MODULE = os.environ["JL_MODULE"]
VERSION = os.environ["JL_VERSION"]
SOURCE_DIR = os.environ.get("JL_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

failures = []


def check(name, got, want):
    if got == want:
        print("ok   %s" % name)
    else:
        print("FAIL %s\n     got:  %r\n     want: %r" % (name, got, want))
        failures.append(name)


def connect():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    # as the README says: the path without its suffix works too
    conn.load_extension(os.path.splitext(MODULE)[0])
    conn.enable_load_extension(False)
    return conn


def one(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


# The value SQL builds, and what joblib.load must give back for it.
COEF = struct.pack("<6d", 0.5, -1.25, 2.0, 0.0, 1e-300, -7.0)
BUILD_SQL = ("joblib_dict('coef', joblib_ndarray(?1, '<f8', '[2, 3]'),"
             " 'ids', joblib_ndarray(x'0100000002000000ffffffff', '<i4'),"
             " 'name', 'model', 'n', 3, 'big', 9007199254740993, 'ratio', 0.25, 'none', NULL,"
             " 'raw', x'00ff', 'params', json('{\"alpha\": 0.5, \"fit\": true, \"tags\": [\"a\", \"b\"]}'),"
             " 'pair', joblib_tuple(1, 'x'), 'classes', joblib_list('no', 'yes'))")


def check_loaded(name, obj):
    """obj is what joblib.load returned for BUILD_SQL."""
    try:
        expect = np.frombuffer(COEF, dtype="<f8").reshape(2, 3)
        ok = (isinstance(obj, dict)
              and list(obj) == ["coef", "ids", "name", "n", "big", "ratio", "none", "raw", "params",
                                "pair", "classes"]
              and obj["coef"].dtype == np.dtype("<f8") and obj["coef"].shape == (2, 3)
              and obj["coef"].tobytes() == expect.tobytes()
              and obj["ids"].dtype == np.dtype("<i4") and obj["ids"].tolist() == [1, 2, -1]
              and obj["name"] == "model" and obj["n"] == 3 and obj["big"] == 9007199254740993
              and obj["ratio"] == 0.25 and obj["none"] is None and obj["raw"] == b"\x00\xff"
              and obj["params"] == {"alpha": 0.5, "fit": True, "tags": ["a", "b"]}
              and obj["pair"] == (1, "x") and obj["classes"] == ["no", "yes"])
    except Exception as e:  # noqa: BLE001 - any mismatch is a failure
        ok = False
        obj = "%r (%s)" % (obj, e)
    check(name, ok or obj, True)


def test_loading(conn):
    check("version", one(conn, "SELECT json_extract(joblib_version(), '$.version')"), VERSION)
    check("sqlite version", one(conn, "SELECT json_extract(joblib_version(), '$.sqlite')"),
          sqlite3.sqlite_version)


def test_sql_to_python(conn, tmp):
    compressors = [r[0] for r in conn.execute(
        "SELECT value FROM json_each(joblib_version(), '$.compressors')")]
    python_has = {"zlib", "gzip", "bz2", "lzma", "xz"}
    try:
        import lz4  # noqa: F401 - joblib needs it to read lz4 bundles
        python_has.add("lz4")
    except ImportError:
        pass
    methods = [None] + [c for c in compressors if c in python_has]
    for method in methods:
        path = os.path.join(tmp, "sql_%s.pkl" % (method or "raw"))
        if method:
            files = one(conn, "SELECT joblib_dump(%s, ?2, ?3)" % BUILD_SQL, COEF, path, method)
        else:
            files = one(conn, "SELECT joblib_dump(%s, ?2)" % BUILD_SQL, COEF, path)
        check("joblib_dump %s: files" % (method or "uncompressed"), files, '["%s"]' % path)
        check_loaded("joblib_dump %s: joblib.load" % (method or "uncompressed"), joblib.load(path))
    # the legacy layout: a main pickle and one .npy file per array
    path = os.path.join(tmp, "legacy.pkl")
    files = one(conn, "SELECT joblib_dump(%s, ?2, 'npy')" % BUILD_SQL, COEF, path)
    check("joblib_dump npy: files", files, '["%s","%s_01.npy","%s_02.npy"]' % (path, path, path))
    with warnings.catch_warnings():  # joblib says the layout is old: it is meant to be
        warnings.simplefilter("ignore", DeprecationWarning)
        check_loaded("joblib_dump npy: joblib.load", joblib.load(path))
    # BLOBs: the bytes of a bundle, read from memory
    blob = one(conn, "SELECT joblib_dumps(%s)" % BUILD_SQL, COEF)
    check_loaded("joblib_dumps: joblib.load(BytesIO)", joblib.load(io.BytesIO(blob)))
    blob = one(conn, "SELECT joblib_dumps(%s, 'zlib:9', 2)" % BUILD_SQL, COEF)
    check("joblib_dumps zlib: zlib header", blob[:1], b"\x78")
    check_loaded("joblib_dumps zlib protocol 2: joblib.load", joblib.load(io.BytesIO(blob)))
    # a table written as columns, read back as a DataFrame's dict
    conn.execute("CREATE TABLE t(a INTEGER, b REAL, c TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, 0.5, "x"), (2, None, "y")])
    arr = joblib.load(io.BytesIO(one(conn, "SELECT joblib_dumps(joblib_group_array(b)) FROM t")))
    check("joblib_group_array: dtype and NaN", (arr.dtype.str, arr[0], bool(np.isnan(arr[1]))),
          ("<f8", 0.5, True))


def test_python_to_sql(conn, tmp):
    path = os.path.join(tmp, "py.pkl")
    joblib.dump({"weights": np.arange(6, dtype=">f4").reshape(2, 3), "bias": np.float64(0.5),
                 "labels": ["cat", "dog"], "meta": {"epochs": 10, "note": "it's"}}, path, compress=3)
    check("joblib_show of joblib.dump", one(conn, "SELECT joblib_show(?)", path),
          "$: dict len=4\n"
          "├── .weights: ndarray <f4 (2, 3) = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]\n"
          "├── .bias: scalar numpy.float64 <f8 = 0.5\n"
          "├── .labels: list len=2\n"
          "│   ├── [0]: str = 'cat'\n"
          "│   └── [1]: str = 'dog'\n"
          "└── .meta: dict len=2\n"
          "    ├── .epochs: int = 10\n"
          "    └── .note: str = \"it's\"")
    check("joblib_show with depth", one(conn, "SELECT joblib_show(?, '$.meta', 0)", path),
          "$.meta: dict len=2")
    weights = one(conn, "SELECT joblib_load(?, '$.weights')", path)
    check("joblib_load: big-endian array as native bytes",
          np.frombuffer(weights, dtype="<f4").tolist(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    check("joblib_tree", [tuple(r) for r in conn.execute(
        "SELECT fullkey, type, dtype FROM joblib_tree(?) WHERE type != 'str'", (path,))],
          [("$", "dict", None), ("$.weights", "ndarray", "<f4"), ("$.bias", "scalar", "<f8"),
           ("$.labels", "list", None), ("$.meta", "dict", None), ("$.meta.epochs", "int", None)])
    # the same bytes as a BLOB src
    with open(path, "rb") as f:
        data = f.read()
    check("joblib_show of a BLOB", one(conn, "SELECT joblib_show(?, '$.labels')", data),
          "$.labels: list len=2\n├── [0]: str = 'cat'\n└── [1]: str = 'dog'")
    # errors are SQL errors starting with "joblib:"
    try:
        one(conn, "SELECT joblib_show(?)", b"not a bundle")
        check("error on bad bytes", "no error", "an error")
    except sqlite3.Error as e:
        check("error on bad bytes", str(e).startswith("joblib: "), True)


def test_example():
    example = os.path.join(SOURCE_DIR, "examples", "python", "example.py")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([sys.executable, example, MODULE], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300)
    check("example.py exit status", (proc.returncode, proc.stderr), (0, ""))
    check("example.py output", proc.stdout,
          "sqlite-joblib %s\n"
          "$: dict len=3\n"
          "├── .coef: ndarray <f8 (2, 2) = [1.0, 2.0, 3.0, 4.0]\n"
          "├── .name: str = 'demo'\n"
          "└── .params: dict len=2\n"
          "    ├── .alpha: float = 0.5\n"
          "    └── .fit: bool = True\n"
          "joblib.load: demo [[1.0, 2.0], [3.0, 4.0]] {'alpha': 0.5, 'fit': True}\n"
          "$ dict\n"
          "$.weights ndarray <f4 [2,3]\n"
          "$.labels list\n"
          "$.labels[0] str\n"
          "$.labels[1] str\n"
          "row 1 of weights: [3.0, 4.0, 5.0]\n" % VERSION)


NO_SHADOW = r"""
import os, sqlite3, sys, joblib, numpy as np
joblib.dump({'x': np.arange(3)}, 'b.pkl')
conn = sqlite3.connect(':memory:')
conn.enable_load_extension(True)
conn.load_extension('./joblib0')  # no entry point: derived from the name
print(os.path.abspath(sys.path[0] or '.') == os.getcwd(), hasattr(joblib, 'dump'),
      conn.execute("SELECT joblib_show('b.pkl', '$.x')").fetchone()[0])
"""


def test_no_shadow():
    import shutil
    with tempfile.TemporaryDirectory() as cwd:
        shutil.copy(MODULE, os.path.join(cwd, "joblib0.so"))
        check("module file name", os.path.basename(MODULE), "joblib0.so")
        want = "True True $.x: ndarray <i8 (3,) = [0, 1, 2]\n"
        # python -c: the current directory is sys.path[0]
        proc = subprocess.run([sys.executable, "-c", NO_SHADOW], cwd=cwd,
                              capture_output=True, text=True, timeout=120)
        check("import joblib beside joblib0.so (python -c)", (proc.returncode, proc.stdout, proc.stderr),
              (0, want, ""))
        # a script in the module's directory: its directory is sys.path[0]
        with open(os.path.join(cwd, "use.py"), "w") as f:
            f.write(NO_SHADOW)
        proc = subprocess.run([sys.executable, "use.py"], cwd=cwd,
                              capture_output=True, text=True, timeout=120)
        check("import joblib beside joblib0.so (script)", (proc.returncode, proc.stdout, proc.stderr),
              (0, want, ""))


def main():
    try:
        conn = connect()
    except sqlite3.Error as e:
        print("FAIL loading %s: %s" % (MODULE, e))
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for test in (lambda: test_loading(conn), lambda: test_sql_to_python(conn, tmp),
                     lambda: test_python_to_sql(conn, tmp), test_example,
                     test_no_shadow):
            try:
                test()
            except Exception:  # noqa: BLE001 - report and go on
                traceback.print_exc()
                failures.append("exception")
    conn.close()
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
