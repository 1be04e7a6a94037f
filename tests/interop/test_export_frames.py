#!/usr/bin/env python3
"""joblib_export(select_sql, dest, compress, as) with as 'dataframe' and
'records', read by real joblib + pandas:

  - 'dataframe': joblib.load gives a pandas.DataFrame equal to
    pandas.read_sql(query, con) (assert_frame_equal, dtypes and index
    included) for a mixed table with NULLs, a subset of its columns and an
    empty result, with every compressor;
  - 'records': joblib.load gives [dict(r) for r in rows] (sqlite3.Row);
  - the 'dataframe' file attaches again (CREATE VIRTUAL TABLE ... USING
    joblib) as the source table plus the frame's `index` column;
  - a bad `as` is an error naming the choices.

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set; by hand:
/usr/bin/python3 test_export_frames.py (uses ../../build/joblib0.so).
"""
import sqlite3
import sys

import jltest
jltest.preload()

joblib, pd = jltest.require("joblib", "pandas")

from jltest import case, expect, expect_eq, fail, one, sql_error  # noqa: E402

ROWS = [
    (1, None, 1.5, "a", b"\x00\xff", None, 1),
    (-2**63, 3, None, None, None, None, "x"),
    (2**63 - 1, 4, -0.0, "h\u00e9llo \u2603", b"", None, 2.5),
    (0, -5, 1e300, "", b"A", None, None),
]
QUERIES = [
    "SELECT * FROM src",
    "SELECT i, r, t FROM src WHERE i >= 0",
    "SELECT * FROM src WHERE 0",
    "SELECT n AS only_n FROM src",
]
COMPRESS = [None, "gzip", "zlib:9", "bz2", "xz", "lzma", "lz4:1"]

CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
        CONN.execute("CREATE TABLE src(i INTEGER, n INTEGER, r REAL, t TEXT, b BLOB, z, m)")
        CONN.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    return CONN


def tmp(name):
    return jltest.TempDir.path(name)


@case
def test_dataframe_equals_read_sql():
    c = conn()
    for q in QUERIES:
        want = pd.read_sql(q, c)
        for comp in COMPRESS:
            f = tmp("frame.pkl")
            expect_eq(one(c, "SELECT joblib_export(?, ?, ?, 'dataframe')", q, f, comp), '["%s"]' % f,
                      "%s / %s: result" % (q, comp))
            got = joblib.load(f)
            expect(isinstance(got, pd.DataFrame), "%s / %s: got %s" % (q, comp, type(got)))
            try:
                pd.testing.assert_frame_equal(got, want, check_exact=True)
            except AssertionError as e:
                fail("%s / %s: frame differs from read_sql: %s" % (q, comp, e))


@case
def test_records_equal_rows():
    c = conn()
    for q in QUERIES:
        for comp in (None, "gzip"):
            f = tmp("records.pkl")
            one(c, "SELECT joblib_export(?, ?, ?, 'records')", q, f, comp)
            c.row_factory = sqlite3.Row
            try:
                want = [dict(r) for r in c.execute(q)]
            finally:
                c.row_factory = None
            expect_eq(joblib.load(f), want, "%s / %s: records" % (q, comp))


@case
def test_dict_is_the_default():
    c = conn()
    f = tmp("dict.pkl")
    one(c, "SELECT joblib_export('SELECT i FROM src', ?, NULL, 'dict')", f)
    expect(isinstance(joblib.load(f), dict), "as => 'dict' writes a dict")
    one(c, "SELECT joblib_export('SELECT i FROM src', ?, NULL, NULL)", f)
    expect(isinstance(joblib.load(f), dict), "as NULL writes a dict")


@case
def test_dataframe_attaches_back():
    c = conn()
    f = tmp("rt.pkl")
    one(c, "SELECT joblib_export('SELECT * FROM src', ?, NULL, 'dataframe')", f)
    c.execute("DROP TABLE IF EXISTS rt")
    c.execute("CREATE VIRTUAL TABLE rt USING joblib('%s')" % f.replace("'", "''"))
    cols = "i, n, r, t, b, z, m"
    expect_eq(one(c, "SELECT count(*) FROM (SELECT %s FROM src EXCEPT SELECT %s FROM rt)" % (cols, cols)), 0,
              "src EXCEPT rt")
    expect_eq(one(c, "SELECT count(*) FROM (SELECT %s FROM rt EXCEPT SELECT %s FROM src)" % (cols, cols)), 0,
              "rt EXCEPT src")
    expect_eq(one(c, "SELECT group_concat(\"index\") FROM rt"), "0,1,2,3", "the frame's index column")
    c.execute("DROP TABLE rt")


@case
def test_bad_as():
    c = conn()
    f = tmp("bad.pkl")
    msg = sql_error(c, "SELECT joblib_export('SELECT 1', ?, NULL, 'frame')", f)
    expect("'dict', 'dataframe' or 'records'" in msg, "bad as: %s" % msg)
    msg = sql_error(c, "SELECT joblib_export('SELECT 1', ?, NULL, 3)", f)
    expect("must be TEXT" in msg, "as INTEGER: %s" % msg)


if __name__ == "__main__":
    jltest.run()
