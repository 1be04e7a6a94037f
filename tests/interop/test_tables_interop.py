#!/usr/bin/env python3
"""Tables interop: joblib_export read by real joblib + pandas, and the
`joblib` virtual table over bundles written by real joblib.

  - joblib_export of a table with INTEGER, REAL, TEXT, BLOB and
    NULL-bearing columns: pandas.DataFrame(joblib.load(f)) equals the
    DataFrame Python builds from the same rows (column order, dtypes,
    values, NaN / None for NULL), uncompressed and compressed;
  - the exported file attached again is the table (EXCEPT both ways);
  - DataFrame.to_dict('list'), a dict of DataFrame columns (datetime64
    too), a structured ndarray, a 2-D array and lists of records, dumped
    by real joblib, attach with the right columns, types and values;
  - memory: a 1,000,000-row table exports and attaches in child processes
    whose peak RSS (os.wait4's ru_maxrss) stays within the bounds stated
    in test_memory_million_rows; a point query on an uncompressed bundle
    reads only what it needs.

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set; by hand:
/usr/bin/python3 test_tables_interop.py (uses ../../build/joblib0.so).
"""
import os
import sys

import jltest
jltest.preload()

import math  # noqa: E402
import subprocess  # noqa: E402

joblib, np, pd = jltest.require("joblib", "numpy", "pandas")

from jltest import case, expect, expect_eq, fail, one  # noqa: E402

CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def tmp(name):
    return jltest.TempDir.path(name)


def columns_of(c, table):
    """[(name, declared type)] of a table."""
    return [(r[1], r[2]) for r in c.execute("SELECT * FROM pragma_table_info(?)", (table,))]


def attach(c, table, src, path=None):
    c.execute("DROP TABLE IF EXISTS %s" % table)
    args = "'%s'" % src.replace("'", "''")
    if path:
        args += ", '%s'" % path
    c.execute("CREATE VIRTUAL TABLE %s USING joblib(%s)" % (table, args))


def same_cell(got, want):
    if isinstance(want, float) and math.isnan(want):
        return got is None  # NaN is NULL in SQL
    return jltest.same(got, want)


def expect_rows(got, want, what):
    if len(got) != len(want):
        fail("%s: %d rows, want %d" % (what, len(got), len(want)))
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w) or not all(same_cell(a, b) for a, b in zip(g, w)):
            fail("%s: row %d is %r, want %r" % (what, i, g, w))
            return


# ---------------------------------------------------------------------------
# joblib_export -> joblib.load -> pandas

SOURCE_ROWS = [
    (1, 0.5, "a", b"\x00\xff", 10, "x", 7),
    (-2**63, -1e300, "h\u00e9llo \u2603", b"", None, None, 2.5),
    (2**63 - 1, 3.0, "", b"A", 30, "z", "text"),
    (0, 1e-300, "line\nbreak", b"\x01\x02", None, "", None),
    (42, -0.0, "quote's", b"\x00" * 3, -5, "w", 9),
]
SOURCE_COLS = ["i", "r", "t", "b", "ni", "nt", "mixed"]


def make_source(c):
    c.execute("DROP TABLE IF EXISTS src")
    c.execute("CREATE TABLE src(i INTEGER, r REAL, t TEXT, b BLOB, ni INTEGER, nt TEXT, mixed)")
    c.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?, ?)", SOURCE_ROWS)


def expected_frame():
    """The DataFrame pandas users expect from SOURCE_ROWS, built in Python."""
    cols = list(zip(*SOURCE_ROWS))
    return pd.DataFrame({
        "i": np.array(cols[0], dtype=np.int64),
        "r": np.array(cols[1], dtype=np.float64),
        "t": np.array(cols[2], dtype=object),
        "b": np.array(cols[3], dtype=object),
        "ni": np.array([np.nan if v is None else v for v in cols[4]], dtype=np.float64),
        "nt": np.array(cols[5], dtype=object),
        "mixed": np.array(cols[6], dtype=object),
    })


def check_frame(f, what):
    data = joblib.load(f)
    expect(isinstance(data, dict), "%s: joblib.load gave %s, want a dict" % (what, type(data)))
    expect_eq(list(data), SOURCE_COLS, what + " keys in column order")
    for k, v in data.items():
        expect(isinstance(v, np.ndarray) and v.ndim == 1 and len(v) == len(SOURCE_ROWS),
               "%s: %s is %r, want a 1-D ndarray of %d" % (what, k, type(v), len(SOURCE_ROWS)))
    df = pd.DataFrame(data)
    want = expected_frame()
    expect_eq([str(t) for t in df.dtypes], [str(t) for t in want.dtypes], what + " dtypes")
    try:
        pd.testing.assert_frame_equal(df, want, check_exact=True)
    except AssertionError as e:
        fail("%s: DataFrame differs: %s" % (what, e))
    # element types inside object columns
    expect_eq([type(v).__name__ for v in df["mixed"]], ["int", "float", "str", "NoneType", "int"],
              what + " mixed column element types")
    expect(df["nt"][1] is None, what + " NULL in a TEXT column is None")
    expect(math.isnan(df["ni"][1]), what + " NULL in an INTEGER column is NaN")
    expect_eq(df["i"][1], -2**63, what + " int64 min")
    expect_eq(df["i"][2], 2**63 - 1, what + " int64 max")


EXPORT_CASES = [
    ("plain.pkl", None, "none"),
    ("gzip.pkl", "gzip", "gzip"),
    ("zlib9.pkl", 9, "zlib"),
    ("ext.pkl.xz", None, "xz"),
    ("ext.pkl.bz2", None, "bz2"),
    ("lz4.pkl", "lz4:1", "lz4"),
]


@case
def test_export_reads_in_pandas():
    c = conn()
    make_source(c)
    for name, compress, comp in EXPORT_CASES:
        f = tmp(name)
        if compress is None:
            res = one(c, "SELECT joblib_export('SELECT * FROM src', ?)", f)
        else:
            res = one(c, "SELECT joblib_export('SELECT * FROM src', ?, ?)", f, compress)
        expect_eq(res, '["%s"]' % f, name + " result")
        expect_eq(jltest.compression_of(open(f, "rb").read())[0], comp, name + " container")
        check_frame(f, name)


@case
def test_export_attach_round_trip():
    c = conn()
    make_source(c)
    for name, compress, _ in EXPORT_CASES:
        f = tmp("rt_" + name)
        if compress is None:
            one(c, "SELECT joblib_export('SELECT * FROM src', ?)", f)
        else:
            one(c, "SELECT joblib_export('SELECT * FROM src', ?, ?)", f, compress)
        attach(c, "rt", f)
        expect_eq(one(c, "SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM rt)"), 0,
                  name + " src EXCEPT rt")
        expect_eq(one(c, "SELECT count(*) FROM (SELECT * FROM rt EXCEPT SELECT * FROM src)"), 0,
                  name + " rt EXCEPT src")
        expect_eq(one(c, "SELECT count(*) FROM rt"), len(SOURCE_ROWS), name + " row count")
    expect_eq(columns_of(c, "rt"), [("i", "INTEGER"), ("r", "REAL"), ("t", "TEXT"), ("b", "BLOB"),
                                    ("ni", "REAL"), ("nt", "TEXT"), ("mixed", "")], "declared types")
    c.execute("DROP TABLE rt")


@case
def test_export_empty_result():
    c = conn()
    make_source(c)
    f = tmp("empty.pkl")
    one(c, "SELECT joblib_export('SELECT * FROM src WHERE 0', ?)", f)
    df = pd.DataFrame(joblib.load(f))
    expect_eq(list(df.columns), SOURCE_COLS, "empty: columns")
    expect_eq(len(df), 0, "empty: no rows")
    expect_eq([str(t) for t in df.dtypes], ["int64", "float64", "object", "object", "int64", "object", "object"],
              "empty: dtypes from the declared types")


@case
def test_export_query_error():
    c = conn()
    msg = jltest.sql_error(c, "SELECT joblib_export('SELECT * FROM missing_table', ?)", tmp("never.pkl"))
    expect_eq(msg, "joblib: joblib_export(): cannot prepare select_sql: no such table: missing_table",
              "error quotes SQLite")
    expect(not os.path.exists(tmp("never.pkl")), "no file after an error")


# ---------------------------------------------------------------------------
# bundles from real joblib -> the virtual table

def sample_frame():
    return pd.DataFrame({
        "id": np.arange(5, dtype=np.int64),
        "score": np.array([0.5, np.nan, -1.25, 1e10, 3.0]),
        "name": ["a", "b", None, "d\u00e9", ""],
        "flag": np.array([True, False, True, True, False]),
        "small": np.array([1, -2, 3, -4, 5], dtype=np.int8),
        "when": pd.to_datetime(["2020-01-01", "2021-06-30 12:34:56", "1999-12-31",
                                "2000-02-29", "1970-01-01"]),
    })


@case
def test_attach_to_dict_list():
    c = conn()
    df = sample_frame().drop(columns=["when"])
    f = tmp("to_dict.pkl")
    joblib.dump(df.to_dict("list"), f)
    attach(c, "td", f)
    expect_eq(columns_of(c, "td"), [("id", "INTEGER"), ("score", "REAL"), ("name", "TEXT"),
                                    ("flag", "INTEGER"), ("small", "INTEGER")], "to_dict columns")
    got = c.execute("SELECT * FROM td").fetchall()
    want = [tuple(int(v) if isinstance(v, (bool, np.bool_)) else v for v in row)
            for row in df.itertuples(index=False)]
    expect_rows(got, want, "to_dict rows")
    expect_eq(one(c, "SELECT typeof(score) FROM td WHERE rowid = 1"), "null", "NaN is NULL")
    expect_eq(one(c, "SELECT name FROM td WHERE rowid = 3"), "d\u00e9", "text")


@case
def test_attach_dict_of_arrays():
    c = conn()
    df = sample_frame()
    f = tmp("arrays.pkl")
    joblib.dump({k: df[k].to_numpy() for k in df.columns}, f)
    attach(c, "da", f)
    expect_eq(columns_of(c, "da"), [("id", "INTEGER"), ("score", "REAL"), ("name", "TEXT"),
                                    ("flag", "INTEGER"), ("small", "INTEGER"), ("when", "TEXT")],
              "arrays columns")
    got = c.execute('SELECT id, score, name, flag, small, "when" FROM da').fetchall()
    want = [(int(r.id), float(r.score), r.name, int(r.flag), int(r.small)) for r in df.itertuples(index=False)]
    expect_rows([g[:5] for g in got], want, "arrays rows")
    # datetime64[ns] as ISO-8601 text: the same instants when parsed back
    expect_eq(got[1][5][:19], "2021-06-30T12:34:56", "datetime64 text")
    expect_eq([pd.Timestamp(g[5]) for g in got], list(df["when"]), "datetime64 as ISO-8601 text")
    # pandas reading the table back through SQL equals the frame
    back = pd.read_sql_query('SELECT * FROM da', c)
    expect_eq(list(back.columns), list(df.columns), "read_sql columns")
    expect_eq(list(back["id"]), list(df["id"]), "read_sql id")


@case
def test_attach_structured_array():
    c = conn()
    a = np.array([(1, 2.5, b"ab", "x\u00e9"), (2, -1.0, b"c", ""), (3, np.inf, b"", "long text")],
                 dtype=[("id", "<i4"), ("x", ">f8"), ("raw", "S2"), ("s", "<U10")])
    f = tmp("structured.pkl")
    joblib.dump({"table": a}, f)
    attach(c, "sa", f, "$.table")
    expect_eq(columns_of(c, "sa"), [("id", "INTEGER"), ("x", "REAL"), ("raw", "BLOB"), ("s", "TEXT")],
              "structured columns")
    got = c.execute("SELECT rowid, * FROM sa").fetchall()
    want = [(i, int(r["id"]), float(r["x"]), bytes(r["raw"]), str(r["s"])) for i, r in enumerate(a)]
    expect_rows(got, want, "structured rows")


@case
def test_attach_matrix_and_records():
    c = conn()
    m = np.arange(12, dtype=np.float32).reshape(4, 3) / 4
    for order in "CF":
        f = tmp("matrix_%s.pkl" % order)
        joblib.dump(np.asarray(m, order=order), f)
        attach(c, "mx", f)
        expect_eq(columns_of(c, "mx"), [("c0", "REAL"), ("c1", "REAL"), ("c2", "REAL")], "matrix columns")
        expect_rows(c.execute("SELECT * FROM mx").fetchall(), [tuple(float(v) for v in r) for r in m],
                    "matrix rows, order " + order)
    # a 3-D array is not a table, a 2-D slice of it is (C and F order)
    cube = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    f = tmp("cube.pkl")
    joblib.dump({"c": cube, "f": np.asfortranarray(cube)}, f)
    for key in "cf":
        attach(c, "cb", f, "$.%s[1]" % key)
        expect_rows(c.execute("SELECT * FROM cb").fetchall(), [tuple(int(v) for v in r) for r in cube[1]],
                    "2-D slice of a 3-D array, " + key)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad USING joblib('%s', '$.c')" % f)
    expect(msg.startswith("joblib: not table-shaped: a 3-D ndarray"), "3-D array: %r" % msg)
    recs = [{"a": 1, "b": "x"}, {"b": "y", "c": 2.5}, {"a": 3, "c": None}]
    f = tmp("records.pkl")
    joblib.dump(recs, f)
    attach(c, "rd", f)
    expect_eq(columns_of(c, "rd"), [("a", "INTEGER"), ("b", "TEXT"), ("c", "REAL")], "record columns")
    expect_rows(c.execute("SELECT * FROM rd").fetchall(),
                [(1, "x", None), (None, "y", 2.5), (3, None, None)], "record rows")
    # what DataFrame.to_dict('records') gives, and pandas agrees
    df = sample_frame().drop(columns=["when"])
    f = tmp("to_records.pkl")
    joblib.dump(df.to_dict("records"), f)
    attach(c, "tr", f)
    back = pd.read_sql_query("SELECT * FROM tr", c)
    expect_eq(list(back.columns), list(df.columns), "to_dict('records') columns")
    expect_eq(list(back["name"]), list(df["name"]), "to_dict('records') names")
    tuples = [(1, "a"), (2, "b", 3.0)]
    f = tmp("tuples.pkl")
    joblib.dump(tuples, f)
    attach(c, "tu", f)
    expect_rows(c.execute("SELECT * FROM tu").fetchall(), [(1, "a", None), (2, "b", 3.0)], "tuple rows")


@case
def test_attach_errors():
    c = conn()
    f = tmp("unequal.pkl")
    joblib.dump({"a": [1, 2, 3], "b": np.arange(2)}, f)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad USING joblib('%s')" % f)
    expect_eq(msg, "joblib: columns of unequal length: 'b' has 2 rows, 'a' has 3 (file '%s')" % f,
              "unequal columns")
    f = tmp("notable.pkl")
    joblib.dump({"a": 1}, f)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad USING joblib('%s')" % f)
    expect_eq(msg, "joblib: not table-shaped: column 'a' is an int, not a 1-D array or a list (file '%s')" % f,
              "not table-shaped")
    f = tmp("offset.pkl")
    joblib.dump(pd.offsets.Day(2), f)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad USING joblib('%s')" % f)
    expect(msg.startswith("joblib: not table-shaped: an object of class pandas._libs.tslibs.offsets.Day"),
           "a pickled pandas object that is no frame: %r" % msg)


# ---------------------------------------------------------------------------
# memory: 1,000,000 rows

WORKER = r"""
import os, sqlite3, sys
mode, path = sys.argv[1], sys.argv[2]
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(os.environ["JL_MODULE"])
ROWS = ("WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999) "
        "SELECT x AS id, x * 0.25 AS h, 'r' || x AS s, CASE WHEN x % 3 = 0 THEN NULL ELSE x END AS maybe "
        "FROM n")
NUM = ("WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 999999) "
       "SELECT x AS id, x * 0.5 AS h FROM n")
if mode == "base":
    print(c.execute("SELECT 1").fetchall())
elif mode == "export":
    print(c.execute("SELECT joblib_export(?, ?)", (ROWS, path)).fetchall())
elif mode == "export_num":
    print(c.execute("SELECT joblib_export(?, ?)", (NUM, path)).fetchall())
else:
    c.execute("CREATE VIRTUAL TABLE t USING joblib('%s')" % path.replace("'", "''"))
    if mode == "attach":
        print(c.execute("SELECT count(*), sum(id), sum(h), max(s), count(maybe), sum(maybe) FROM t").fetchall())
    elif mode == "scan":
        print(c.execute("SELECT sum(id), sum(h) FROM t").fetchall())
    else:  # point
        print(c.execute("SELECT id, h FROM t WHERE rowid = 999999").fetchall())
"""


# Runs WORKER as its own child and reports that child's peak RSS. The
# measuring process is a fresh, small Python: a child's ru_maxrss also
# counts what it inherited before its exec (a fork of this process, with
# numpy and pandas loaded, would start out at this process's size).
MEASURE = r"""
import resource, subprocess, sys
p = subprocess.run([sys.executable, "-c", sys.argv[1]] + sys.argv[2:], capture_output=True)
sys.stderr.write(p.stderr.decode(errors="replace"))
print(p.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(p.stdout.decode().strip())
"""


def child(mode, path):
    """Runs WORKER in a child; returns (its output, its peak RSS in bytes)."""
    p = subprocess.run([sys.executable, "-c", MEASURE, WORKER, mode, path], capture_output=True,
                       env=dict(os.environ, JL_MODULE=jltest.MODULE))
    lines = p.stdout.decode().split("\n", 2)
    if p.returncode != 0 or len(lines) < 3 or lines[0] != "0":
        raise AssertionError("child %s failed: %s %s" % (mode, p.stdout.decode(errors="replace"),
                                                         p.stderr.decode(errors="replace")))
    return lines[2].strip(), int(lines[1]) * 1024  # Linux: kilobytes


@case
def test_memory_million_rows():
    if os.environ.get("JL_PRELOAD"):
        raise jltest.Skip("peak RSS under AddressSanitizer says nothing")
    MB = 1 << 20
    _, base = child("base", "")
    big = tmp("million.pkl")
    out, peak_export = child("export", big)
    expect_eq(out, "[('[\"%s\"]',)]" % big, "export result")
    size = os.path.getsize(big)
    # The bundle: three 8 MB numeric columns and 1M short str (about 41 MB).
    # Export holds the column buffers (about the bundle's size) and the
    # pickler's memo for the 1M str (about 30 bytes each); the stream goes
    # to the file as it is made. Bound: 2.5 x. Holding the stream whole
    # (measured 2.9 x before it was streamed), or materializing the rows
    # once more, would cross it.
    expect(peak_export - base < 2.5 * size,
           "export of 1M rows: peak RSS %.1f MB over a %.1f MB baseline, bound 2.5 x %.1f MB"
           % ((peak_export - base) / MB, base / MB, size / MB))
    out, peak_attach = child("attach", big)
    # maybe: NULL every third row, so a <f8 column (sum is REAL)
    want = "[(1000000, 499999500000, 124999875000.0, 'r999999', 666666, %.1f)]" % (
        sum(x for x in range(1000000) if x % 3))
    expect_eq(out, want, "attach aggregates over 1M rows")
    # Attach maps the file (pages read count in RSS) and decodes the 1M str
    # as nodes (16 bytes each): measured 1.5 x the bundle; bound 2 x.
    expect(peak_attach - base < 2 * size,
           "attach of 1M rows: peak RSS %.1f MB over baseline, bound 2 x %.1f MB"
           % ((peak_attach - base) / MB, size / MB))
    # compressed: the stream is decompressed once: measured 1.6 x; bound 2.5 x
    gz = tmp("million.pkl.gz")
    child("export", gz)
    out, peak_gz = child("attach", gz)
    expect_eq(out, want, "attach of the gzip bundle")
    expect(peak_gz - base < 2.5 * size,
           "attach of 1M rows (gzip): peak RSS %.1f MB over baseline, bound 2.5 x %.1f MB"
           % ((peak_gz - base) / MB, size / MB))
    # numeric columns only: the column buffers and no second copy (the
    # stream is written to the file as it is made; it measured 2.1 x when
    # held whole); bound 1.5 x
    num = tmp("million_num.pkl")
    _, peak_num = child("export_num", num)
    nsize = os.path.getsize(num)
    expect(peak_num - base < 1.5 * nsize,
           "numeric export: peak RSS %.1f MB over baseline, bound 1.5 x %.1f MB"
           % ((peak_num - base) / MB, nsize / MB))
    # laziness: a full scan maps every page of the 16 MB file (measured
    # about 1 x its size); WHERE rowid = N reads one row (measured 4 MB,
    # a constant of opening, the same for 160 MB). Bound: half the scan's.
    out, peak_scan = child("scan", num)
    expect_eq(out, "[(499999500000, 249999750000.0)]", "full scan")
    out, peak_point = child("point", num)
    expect_eq(out, "[(999999, 499999.5)]", "point query")
    expect(peak_scan - base > 0.8 * nsize,
           "full scan: peak RSS %.1f MB over baseline, want about the bundle's %.1f MB"
           % ((peak_scan - base) / MB, nsize / MB))
    expect(peak_point - base < (peak_scan - base) / 2,
           "point query: peak RSS %.1f MB over baseline, bound half the full scan's %.1f MB"
           % ((peak_point - base) / MB, (peak_scan - base) / MB))


if __name__ == "__main__":
    jltest.run()
