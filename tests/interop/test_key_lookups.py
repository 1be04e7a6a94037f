#!/usr/bin/env python3
"""Key look-ups in joblib_each (issue 15): `key = ?`, `key IN (...)` and
`id = ?` are direct child look-ups, shown by EXPLAIN QUERY PLAN as
"INDEX n:key" / "INDEX n:id", with exact results:

  - a list index or array row is an INTEGER key, a dict key its SQL value
    (str keys TEXT, int keys INTEGER); a missing key gives no row;
  - key IN (...) gives one row per present key, in walk order; id = n is
    the n-th child;
  - a join of two joblib_each on key, and of a real table on key, plans
    the look-up on the inner side and gives every pair once;
  - SQLite still compares the rows itself: TEXT '2' (a literal or a TEXT
    column) does not equal the INTEGER key 2, as without the look-up.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_key_lookups.py (uses ../../build/joblib0.so).
"""
import os
import sys
import tempfile

import jltest
jltest.preload()

joblib, np = jltest.require("joblib", "numpy")

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_keys_")
F = os.path.join(TMP, "b.pkl")
EMB = np.arange(12, dtype=np.float32).reshape(4, 3)
joblib.dump({"ids": [10, 11, 12, 13], "emb": EMB,
             "d": {"a": 1, "b": 2, 3: "x"}, "o": {"k": [1]}}, F)


def rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def plan(conn, sql, *args):
    return " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


@case
def test_list_key():
    c = jltest.connect()
    q = "SELECT key, value FROM joblib_each(?, '$.ids') WHERE key = ?"
    expect_eq(rows(c, q, F, 2), [(2, 12)], "list index 2")
    expect_eq(rows(c, q, F, 4), [], "past the end")
    expect_eq(rows(c, q, F, -1), [], "negative")
    expect_eq(rows(c, q, F, None), [], "NULL")
    expect_eq(rows(c, q, F, "2"), [], "TEXT '2' does not equal INTEGER 2")
    expect_eq(rows(c, q, F, 2.0), [(2, 12)], "REAL 2.0 equals 2")
    expect("INDEX 7:key" in plan(c, q, F, 2), "plan: " + plan(c, q, F, 2))


@case
def test_key_in():
    c = jltest.connect()
    # the whole IN list at once (idxNum 16): rows in walk order, each once
    q = "SELECT key, value FROM joblib_each(?, '$.ids') WHERE key IN (3, 0, 99, -1, 3)"
    expect_eq(rows(c, q, F), [(0, 10), (3, 13)], "key IN")
    expect("INDEX 23:key" in plan(c, q, F), "plan: " + plan(c, q, F))
    q2 = "SELECT key FROM joblib_each(?, '$.d') WHERE key IN ('b', 3, 'a', 'zz')"
    expect_eq(rows(c, q2, F), [("a",), ("b",), (3,)], "dict keys IN, in walk order")


@case
def test_dict_key():
    c = jltest.connect()
    q = "SELECT key, value, fullkey FROM joblib_each(?, '$.d') WHERE key = ?"
    expect_eq(rows(c, q, F, "b"), [("b", 2, "$.d.b")], "str key")
    expect_eq(rows(c, q, F, 3), [(3, "x", "$.d[3]")], "int key")
    expect_eq(rows(c, q, F, "zz"), [], "missing key")
    expect_eq(rows(c, q, F, "3"), [], "TEXT '3' is not the int key 3")


@case
def test_id():
    c = jltest.connect()
    q = "SELECT id, key, value FROM joblib_each(?, '$.ids') WHERE id = ?"
    expect_eq(rows(c, q, F, 3), [(3, 2, 12)], "id 3 is the third child")
    expect_eq(rows(c, q, F, 0), [], "id 0 is the root, not a child")
    expect_eq(rows(c, q, F, 5), [], "past the end")
    expect("INDEX 11:id" in plan(c, q, F, 3), "plan: " + plan(c, q, F, 3))
    q2 = "SELECT id, key FROM joblib_each(?, '$.d') WHERE id = 2"
    expect_eq(rows(c, q2, F), [(2, "b")], "dict id")


@case
def test_array_rows():
    c = jltest.connect()
    q = "SELECT key, value FROM joblib_each(?, '$.emb') WHERE key = 1"
    got = rows(c, q, F)
    expect_eq(got, [(1, EMB[1].tobytes())], "array row 1 as a BLOB")


@case
def test_join_two_each():
    c = jltest.connect()
    q = ("SELECT i.value, e.value FROM joblib_each(?1, '$.ids') i "
         "JOIN joblib_each(?1, '$.emb') e ON e.key = i.key")
    got = rows(c, q, F)
    expect_eq(got, [(10 + k, EMB[k].tobytes()) for k in range(4)], "join on key")
    expect("INDEX 7:key" in plan(c, q, F), "plan: " + plan(c, q, F))


@case
def test_join_table():
    c = jltest.connect()
    c.execute("CREATE TABLE ids(k INTEGER)")
    c.executemany("INSERT INTO ids VALUES (?)", [(3,), (1,), (7,)])
    q = ("SELECT ids.k, e.value FROM ids JOIN joblib_each(?, '$.emb') e "
         "ON e.key = ids.k ORDER BY ids.k")
    expect_eq(rows(c, q, F), [(1, EMB[1].tobytes()), (3, EMB[3].tobytes())], "table join")
    expect("INDEX 7:key" in plan(c, q, F), "plan: " + plan(c, q, F))
    c.execute("CREATE TABLE t(k TEXT)")
    c.executemany("INSERT INTO t VALUES (?)", [("2",), ("x",)])
    q2 = "SELECT t.k, e.value FROM t JOIN joblib_each(?, '$.ids') e ON e.key = t.k"
    # the key column has BLOB affinity: a TEXT '2' does not equal the key 2,
    # the same as without the look-up
    expect_eq(rows(c, q2, F), [], "TEXT column '2' does not join key 2")


@case
def test_object_scan():
    # object attributes are not positional: the constraint is checked by SQLite
    c = jltest.connect()
    q = "SELECT key FROM joblib_each(?, '$.o') WHERE key = 'k'"
    expect_eq(rows(c, q, F), [("k",)], "dict by key")


if __name__ == "__main__":
    jltest.run()
