#!/usr/bin/env python3
"""Object arrays are compound nodes in joblib_tree and joblib_each (issue 15):

  - joblib_tree lists the elements of a 1-D object array as [i] children
    and the rows of an N-D one as [i] (ndarray rows of ndim-1) whose
    elements are [i][j], with the type, class, value and ref rows of
    list elements;
  - joblib_each over an object array gives its elements (1-D) or its rows
    (N-D); key look-ups on a 1-D one keep ref rows refs;
  - joblib_info lists arrays held inside object arrays, never the rows
    of N-D object arrays (views the walk makes);
  - real scikit-learn: a GradientBoostingClassifier keeps its trees in
    estimators_, an object array of shape (n_estimators, K); joblib_tree
    reaches every tree's max_depth, joblib_each lists the trees' classes.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_object_arrays.py (uses ../../build/joblib0.so).
"""
import json
import os
import tempfile

import jltest
jltest.preload()

joblib, np = jltest.require("joblib", "numpy")

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_objarr_")
F = os.path.join(TMP, "oa.pkl")
_shared = {"x": 1}
_a2 = np.empty((2, 2), dtype=object)
_a2[0, 0], _a2[0, 1], _a2[1, 0], _a2[1, 1] = _shared, [1, 2], "s", _shared
joblib.dump({"a": _a2, "b": np.array([{"k": 1}, 3, None], dtype=object), "n": np.arange(3)}, F)

TREE_ROWS = [
    (0, None, "$", "dict", None),
    (1, 0, "$.a", "ndarray", "a"),
    (2, 1, "$.a[0]", "ndarray", 0),
    (3, 2, "$.a[0][0]", "dict", 0),
    (4, 3, "$.a[0][0].x", "int", "x"),
    (5, 2, "$.a[0][1]", "list", 1),
    (6, 5, "$.a[0][1][0]", "int", 0),
    (7, 5, "$.a[0][1][1]", "int", 1),
    (8, 1, "$.a[1]", "ndarray", 1),
    (9, 8, "$.a[1][0]", "str", 0),
    (10, 8, "$.a[1][1]", "ref", 1),
    (11, 0, "$.b", "ndarray", "b"),
    (12, 11, "$.b[0]", "dict", 0),
    (13, 12, "$.b[0].k", "int", "k"),
    (14, 11, "$.b[1]", "int", 1),
    (15, 11, "$.b[2]", "null", 2),
    (16, 0, "$.n", "ndarray", "n"),   # numbers: a leaf
]


@case
def test_tree_rows():
    c = jltest.connect()
    got = c.execute("SELECT id, parent, fullkey, type, key FROM joblib_tree(?)", (F,)).fetchall()
    expect_eq(got, TREE_ROWS, "joblib_tree rows")
    # a ref names the first occurrence; rows of rows carry dtype and shape
    expect_eq(c.execute("SELECT value FROM joblib_tree(?) WHERE fullkey = '$.a[1][1]'", (F,)).fetchall(),
              [("$.a[0][0]",)], "ref row value")
    expect_eq(c.execute("SELECT dtype, shape, value FROM joblib_tree(?) WHERE fullkey = '$.a[1]'",
                        (F,)).fetchall(), [("|O", "[2]", '["s",{"x":1}]')], "row of a 2-D object array")
    # every fullkey selects its node
    for fk, want in (("$.a[0][1]", "[1,2]"), ("$.b[0]", '{"k":1}'), ("$.a[1][0]", "s")):
        expect_eq(c.execute("SELECT joblib_load(?, ?)", (F, fk)).fetchone()[0], want, "joblib_load " + fk)


@case
def test_each_rows():
    c = jltest.connect()
    got = c.execute("SELECT key, fullkey, type, shape FROM joblib_each(?, '$.a')", (F,)).fetchall()
    expect_eq(got, [(0, "$.a[0]", "ndarray", "[2]"), (1, "$.a[1]", "ndarray", "[2]")], "rows of a 2-D")
    got = c.execute("SELECT key, fullkey, type, value FROM joblib_each(?, '$.a[1]')", (F,)).fetchall()
    expect_eq(got, [(0, "$.a[1][0]", "str", "s"), (1, "$.a[1][1]", "dict", '{"x":1}')],
              "elements of a row (its own root: the dict is not a ref there)")
    got = c.execute("SELECT key, type, value FROM joblib_each(?, '$.b')", (F,)).fetchall()
    expect_eq(got, [(0, "dict", '{"k":1}'), (1, "int", 3), (2, "null", None)], "1-D elements")


@case
def test_each_lookup_keeps_refs():
    f = os.path.join(TMP, "refs.pkl")
    d = {"z": 0}
    joblib.dump(np.array([d, 5, d], dtype=object), f)
    c = jltest.connect()
    full = c.execute("SELECT key, type, value FROM joblib_each(?)", (f,)).fetchall()
    expect_eq(full, [(0, "dict", '{"z":0}'), (1, "int", 5), (2, "ref", "$[0]")], "full scan")
    for k in range(3):
        expect_eq(c.execute("SELECT key, type, value FROM joblib_each(?) WHERE key = ?", (f, k)).fetchall(),
                  [full[k]], "look-up of element %d" % k)


@case
def test_info_arrays():
    c = jltest.connect()
    f = os.path.join(TMP, "nested.pkl")
    joblib.dump([np.array([np.arange(3, dtype="<i4"), b"raw"], dtype=object),
                 np.array([[1, 2], [3, 4]], dtype=object)], f)
    info = json.loads(c.execute("SELECT joblib_info(?)", (f,)).fetchone()[0])
    expect_eq([(a["path"], a["dtype"], a["shape"]) for a in info["arrays"]],
              [("$[0]", "|O", [2]), ("$[0][0]", "<i4", [3]), ("$[1]", "|O", [2, 2])],
              "arrays: the nested one, not the rows of $[1]")


def gradient_boosting(n_classes, n_estimators):
    from sklearn.ensemble import GradientBoostingClassifier
    rng = np.random.RandomState(0)
    x = rng.rand(90, 3)
    y = (x[:, 0] * n_classes).astype(int)
    return GradientBoostingClassifier(n_estimators=n_estimators, max_depth=2, random_state=0).fit(x, y)


def check_gradient_boosting(n_classes, n_estimators):
    m = gradient_boosting(n_classes, n_estimators)
    k = m.estimators_.shape[1]
    expect_eq(m.estimators_.shape, (n_estimators, 1 if n_classes == 2 else n_classes), "sklearn's shape")
    f = os.path.join(TMP, "gb%d.joblib" % n_classes)
    joblib.dump(m, f)
    c = jltest.connect()
    reg = "sklearn.tree._classes.DecisionTreeRegressor"
    # the model's own max_depth, and per tree the estimator's and its tree_'s
    got = c.execute("SELECT fullkey, value FROM joblib_tree(?) WHERE key = 'max_depth'", (f,)).fetchall()
    want = [("$.max_depth", 2)]
    for i in range(n_estimators):
        for j in range(k):
            e = m.estimators_[i, j]
            want.append(("$.estimators_[%d][%d].max_depth" % (i, j), e.max_depth))
            want.append(("$.estimators_[%d][%d].tree_.max_depth" % (i, j), e.tree_.max_depth))
    expect_eq(len(got), 1 + 2 * n_estimators * k, "max_depth rows: 1 + 2 * n_estimators_ * K")
    expect_eq(got, want, "max_depth rows and values")
    trees = c.execute("SELECT count(*) FROM joblib_tree(?, '$.estimators_') WHERE class = ?",
                      (f, reg)).fetchone()[0]
    expect_eq(trees, n_estimators * k, "DecisionTreeRegressor rows")
    rows = c.execute("SELECT key, type, shape FROM joblib_each(?, '$.estimators_')", (f,)).fetchall()
    expect_eq(rows, [(i, "ndarray", "[%d]" % k) for i in range(n_estimators)], "rows of estimators_")
    classes = c.execute("SELECT r.key, e.key, e.class FROM joblib_each(?1, '$.estimators_') r, "
                        "joblib_each(?1, r.fullkey) e", (f,)).fetchall()
    expect_eq(classes, [(i, j, reg) for i in range(n_estimators) for j in range(k)],
              "each row's elements are the trees")


@case
def test_sklearn_gradient_boosting_binary():
    jltest.require("sklearn")
    check_gradient_boosting(2, 20)


@case
def test_sklearn_gradient_boosting_multiclass():
    jltest.require("sklearn")
    check_gradient_boosting(3, 5)


if __name__ == "__main__":
    jltest.run()
