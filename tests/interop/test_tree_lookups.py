#!/usr/bin/env python3
"""Look-ups in joblib_tree, and fullkey in joblib_each (issue 15):

  - joblib_tree takes key = ?, key IN (...), id = ? and fullkey = ? through
    xBestIndex (EXPLAIN QUERY PLAN: "INDEX n:key" / "n:id" / "n:fullkey"):
    it still walks (ids are walk order) but filters in C, prunes subtrees
    a fullkey cannot be under and stops after a unique match;
  - joblib_each takes fullkey = ? (a list or array child directly, "[N]";
    dict and object children filtered in C);
  - every result equals the same query with the constraint hidden from the
    virtual table (`+col = ?`): for every fullkey, id and key of several
    bundles (shared refs, cycles, object arrays, dicts with int, float and
    tuple keys, objects, a scikit-learn model);
  - a join of two joblib_tree on fullkey plans the look-up on the inner side.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_tree_lookups.py (uses ../../build/joblib0.so).
"""
import os
import tempfile

import jltest
jltest.preload()

joblib, np = jltest.require("joblib", "numpy")

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_tree_keys_")


class Thing:
    def __init__(self):
        self.a = [1, 2]
        self.b = {"c": 3}


def bundles():
    shared = [1]
    cyc = [shared, shared]
    cyc.append(cyc)
    oa = np.empty((2, 2), dtype=object)
    oa[0, 0], oa[0, 1], oa[1, 0], oa[1, 1] = {"x": 1}, [1, 2], "s", None
    oa[1, 1] = oa[0, 0]
    objs = {"t": Thing(), "keys": {1: "one", 2.5: "f", (1, "a"): "tup", "1": "str one", True: "bool"},
            "nested": {"a": {"a": {"a": 1}}, "aa": 2}, "oa": oa, "arr": np.arange(6).reshape(2, 3),
            "cyc": cyc}
    out = {}
    for name, obj in (("objs", objs), ("cyc", cyc)):
        f = os.path.join(TMP, name + ".pkl")
        joblib.dump(obj, f)
        out[name] = f
    try:
        from sklearn.tree import DecisionTreeClassifier
        m = DecisionTreeClassifier(max_depth=2, random_state=0).fit([[0], [1], [2], [3]], [0, 0, 1, 1])
        f = os.path.join(TMP, "tree.joblib")
        joblib.dump(m, f)
        out["sklearn"] = f
    except ImportError:
        pass
    return out


FILES = bundles()
COLS = "id, parent, key, type, fullkey, path, value, class"


def rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def plan(conn, sql, *args):
    return " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, args))


def check_same(conn, fn, f, col, v, root=None):
    src = "%s(?%s)" % (fn, ", ?" if root else "")
    args = (f, root) if root else (f,)
    q = "SELECT %s FROM %s WHERE %s = ?" % (COLS, src, col)
    plain = "SELECT %s FROM %s WHERE +%s = ?" % (COLS, src, col)
    got, want = rows(conn, q, *args, v), rows(conn, plain, *args, v)
    return expect_eq(got, want, "%s %s %s = %r" % (fn, os.path.basename(f), col, v))


@case
def test_tree_every_row():
    c = jltest.connect()
    for f in FILES.values():
        all_rows = rows(c, "SELECT id, key, fullkey FROM joblib_tree(?)", f)
        expect(len(all_rows) >= 5, "rows of " + f)
        for col, i in (("id", 0), ("key", 1), ("fullkey", 2)):
            for v in sorted({r[i] for r in all_rows if r[i] is not None}, key=repr):
                if not check_same(c, "joblib_tree", f, col, v):
                    break
        for v in (-1, 10 ** 6, "$.nope", "$", "$[0", 2.5, 1.0, "1", None):
            for col in ("id", "key", "fullkey"):
                check_same(c, "joblib_tree", f, col, v)


@case
def test_each_every_row():
    c = jltest.connect()
    f = FILES["objs"]
    roots = ["$"] + [r[0] for r in rows(c, "SELECT fullkey FROM joblib_tree(?) WHERE type "
                                        "IN ('dict', 'list', 'object', 'ndarray')", f)]
    for root in roots:
        kids = rows(c, "SELECT fullkey FROM joblib_each(?, ?)", f, root)
        for (fk,) in kids + [(root + "[99]",), (root + "[01]",), (root + ".zz",)]:
            check_same(c, "joblib_each", f, "fullkey", fk, root)


@case
def test_tree_values():
    c = jltest.connect()
    f = FILES["objs"]
    q = "SELECT id, fullkey, value FROM joblib_tree(?) WHERE fullkey = ?"
    expect_eq(rows(c, q, f, "$.nested.a.a.a"), [(15, "$.nested.a.a.a", 1)], "deep fullkey")
    expect_eq(rows(c, q, f, "$.t.b.c"), [(6, "$.t.b.c", 3)], "through an object")
    expect_eq(rows(c, q, f, "$.oa[1][1]"), [(26, "$.oa[1][1]", "$.oa[0][0]")], "ref inside an object array")
    q = "SELECT fullkey FROM joblib_tree(?) WHERE key = 'a'"
    expect_eq(rows(c, q, f), [("$.t.a",), ("$.nested.a",), ("$.nested.a.a",), ("$.nested.a.a.a",)],
              "key anywhere in the tree")
    q = "SELECT fullkey FROM joblib_tree(?) WHERE key IN ('aa', 'c', 'zz') ORDER BY id"
    expect_eq(rows(c, q, f), [("$.t.b.c",), ("$.nested.aa",)], "key IN")
    q = "SELECT id, fullkey FROM joblib_tree(?) WHERE id IN (3, 1, 99999)"
    expect_eq(rows(c, q, f), [(1, "$.t"), (3, "$.t.a[0]")], "id IN")
    q = "SELECT fullkey FROM joblib_tree(?, '$.nested') WHERE fullkey IN ('$.nested.aa', '$.nested.a.a', '$.t')"
    expect_eq(rows(c, q, f), [("$.nested.a.a",), ("$.nested.aa",)], "fullkey IN under a root")
    q = "SELECT key, fullkey FROM joblib_each(?, '$.arr') WHERE fullkey = '$.arr[1]'"
    expect_eq(rows(c, q, f), [(1, "$.arr[1]")], "each: array row by fullkey")
    q = "SELECT key, value FROM joblib_each(?, '$.keys') WHERE fullkey = '$.keys[[1,\"a\"]]'"
    expect_eq(rows(c, q, f), [("[1,\"a\"]", "tup")], "each: tuple key by fullkey")


@case
def test_plans():
    c = jltest.connect()
    f = FILES["objs"]
    for col, idx in (("key", "INDEX 5:key"), ("id", "INDEX 9:id"), ("fullkey", "INDEX 33:fullkey")):
        p = plan(c, "SELECT * FROM joblib_tree(?) WHERE %s = ?" % col, f, 1)
        expect(idx in p, "joblib_tree %s: %s" % (col, p))
    p = plan(c, "SELECT * FROM joblib_each(?, '$.arr') WHERE fullkey = ?", f, "$.arr[0]")
    expect("INDEX 35:fullkey" in p, "joblib_each fullkey: " + p)
    p = plan(c, "SELECT * FROM joblib_tree(?) WHERE key IN ('a', 'b')", f)
    expect("INDEX 21:key" in p, "joblib_tree key IN: " + p)
    # two models compared by fullkey: the inner side is a look-up
    q = ("SELECT a.fullkey FROM joblib_tree(?1) a JOIN joblib_tree(?2) b ON b.fullkey = a.fullkey "
         "WHERE a.atom IS NOT b.atom")
    expect("INDEX 33:fullkey" in plan(c, q, f, f), "join plan: " + plan(c, q, f, f))
    expect_eq(rows(c, q, f, f), [], "a bundle against itself: nothing differs")


if __name__ == "__main__":
    jltest.run()
