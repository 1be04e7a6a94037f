#!/usr/bin/env python3
"""The joblib virtual table when its file is replaced after CREATE (issue 15):
the columns are fixed at CREATE, so

  - a file replaced (new inode, or rewritten in place) with the same
    columns gives its new rows at the next scan;
  - other columns are an error naming the table, the file, the columns
    now and at CREATE, and what to do (DROP and CREATE again); the table
    still works once the file has its columns again;
  - a file that is no longer table-shaped is an error saying so;
  - a scan started while another scan of the table is open keeps reading
    the bundle both started with (a self-join stays consistent);
  - a file removed after CREATE: the table keeps what it read.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_table_changes.py (uses ../../build/joblib0.so).
"""
import os
import tempfile

import jltest
jltest.preload()

joblib, = jltest.require("joblib")

from jltest import case, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_tchange_")


def error_of(conn, sql):
    try:
        conn.execute(sql).fetchall()
    except Exception as e:  # noqa: BLE001
        return str(e)
    return None


@case
def test_same_columns_new_rows():
    f = os.path.join(TMP, "same.pkl")
    joblib.dump({"a": [1, 2]}, f)
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE t USING joblib(%r)" % f)
    expect_eq(c.execute("SELECT a FROM t").fetchall(), [(1,), (2,)], "at CREATE")
    joblib.dump({"a": [1, 2, 3]}, f + ".new")
    os.replace(f + ".new", f)
    expect_eq(c.execute("SELECT a FROM t").fetchall(), [(1,), (2,), (3,)], "replaced by rename")
    joblib.dump({"a": [7]}, f)
    expect_eq(c.execute("SELECT a, rowid FROM t").fetchall(), [(7, 0)], "rewritten in place")


@case
def test_other_columns():
    f = os.path.join(TMP, "other.pkl")
    joblib.dump({"a": [1, 2]}, f)
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE t2 USING joblib(%r)" % f)
    joblib.dump({"a": [1.5], "b": ["x"]}, f)
    expect_eq(error_of(c, "SELECT * FROM t2"),
              "joblib: table t2: '%s' changed since CREATE VIRTUAL TABLE: its columns are now "
              "(a REAL, b TEXT), not (a INTEGER); DROP TABLE t2 and CREATE it again" % f, "columns changed")
    joblib.dump(5, f)
    expect_eq(error_of(c, "SELECT * FROM t2"),
              "joblib: table t2: its file changed since CREATE VIRTUAL TABLE and is no longer a table: "
              "not table-shaped: an int (expected a dict of columns, a 1-D structured array, a 2-D array "
              "or a list of records) (file '%s'); DROP TABLE t2 and CREATE it again" % f, "not a table")
    joblib.dump({"a": [9, 10]}, f)
    expect_eq(c.execute("SELECT a FROM t2").fetchall(), [(9,), (10,)], "its columns again")
    c.execute("DROP TABLE t2")
    joblib.dump({"a": [1.5], "b": ["x"]}, f)
    c.execute("CREATE VIRTUAL TABLE t2 USING joblib(%r)" % f)
    expect_eq(c.execute("SELECT a, b FROM t2").fetchall(), [(1.5, "x")], "DROP and CREATE again")


@case
def test_open_scans_and_removal():
    f = os.path.join(TMP, "join.pkl")
    joblib.dump({"a": [1, 2]}, f)
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE t3 USING joblib(%r)" % f)
    cur = c.execute("SELECT x.a FROM t3 x")
    expect_eq(cur.fetchone(), (1,), "first row")
    joblib.dump({"a": [5, 6, 7]}, f + ".new")
    os.replace(f + ".new", f)
    # a second scan while the first is open keeps the bundle both started with
    expect_eq(c.execute("SELECT count(*) FROM t3").fetchall(), [(2,)], "inner scan while one is open")
    expect_eq(cur.fetchall(), [(2,)], "the open scan goes on")
    expect_eq(c.execute("SELECT count(*) FROM t3").fetchall(), [(3,)], "next scan: the new rows")
    os.remove(f)
    expect_eq(c.execute("SELECT a FROM t3").fetchall(), [(5,), (6,), (7,)], "file removed: what was read")


if __name__ == "__main__":
    jltest.run()
