#!/usr/bin/env python3
"""joblib_files(dir [, pattern [, recursive]]) (issue 15): a folder of
bundles as a table, checked on a folder of 20 real scikit-learn models
dumped by joblib at test time (some compressed) beside a CSV and a
truncated bundle:

  - all 22 files are rows, sorted by path; each model has its class
    (module.QualName of the Python object), format, compression, protocol,
    nodes and array count equal to what joblib_info says of it, and size
    and mtime equal to os.stat; error is NULL;
  - the CSV and the truncated bundle have every bundle column NULL and
    error equal to the message joblib_info gives for them;
  - pattern is fnmatch on the name; recursive 0/1 (a symlinked directory,
    here a loop, is not entered); a bad argument or a missing directory is
    a joblib: error; the connection's limits apply to each file;
  - like the other file readers, an untrusted schema cannot use it.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_files.py.
"""
import fnmatch
import os
import sqlite3
import tempfile

import jltest
jltest.preload()

joblib, np, sklearn = jltest.require("joblib", "numpy", "sklearn")

from sklearn import cluster, decomposition, ensemble, linear_model, naive_bayes  # noqa: E402
from sklearn import neighbors, pipeline, preprocessing, svm, tree  # noqa: E402

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_files_")
MODELS = os.path.join(TMP, "models")
ARCHIVE = os.path.join(MODELS, "archive")
os.makedirs(ARCHIVE)

rng = np.random.RandomState(0)
X = rng.rand(40, 4)
y = (X[:, 0] > 0.5).astype(int)
yr = X @ np.array([1.0, -2.0, 0.5, 0.0])

# (file name under models/, estimator, compress); names ending in .joblib,
# .pkl, .pkl.gz; the last three go to models/archive/
SPECS = [
    ("logreg.joblib", linear_model.LogisticRegression().fit(X, y), 0),
    ("tree.joblib", tree.DecisionTreeClassifier(max_depth=3).fit(X, y), 3),
    ("forest.joblib", ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), 0),
    ("scaler.joblib", preprocessing.StandardScaler().fit(X), 0),
    ("minmax.pkl", preprocessing.MinMaxScaler().fit(X), 0),
    ("kmeans.joblib", cluster.KMeans(n_clusters=2, n_init=1, random_state=0).fit(X), ("gzip", 3)),
    ("linreg.pkl", linear_model.LinearRegression().fit(X, yr), 0),
    ("ridge.joblib", linear_model.Ridge().fit(X, yr), ("bz2", 3)),
    ("lasso.joblib", linear_model.Lasso(alpha=0.01).fit(X, yr), 0),
    ("svc.joblib", svm.SVC().fit(X, y), ("lzma", 3)),
    ("knn.pkl.gz", neighbors.KNeighborsClassifier(n_neighbors=3).fit(X, y), ("gzip", 3)),
    ("nb.joblib", naive_bayes.GaussianNB().fit(X, y), 0),
    ("pca.joblib", decomposition.PCA(n_components=2).fit(X), 0),
    ("gboost.joblib", ensemble.GradientBoostingClassifier(n_estimators=3).fit(X, y), 3),
    ("extra.joblib", ensemble.ExtraTreesClassifier(n_estimators=2, random_state=0).fit(X, y), 0),
    ("treereg.pkl", tree.DecisionTreeRegressor(max_depth=2).fit(X, yr), 0),
    ("pipe.joblib", pipeline.make_pipeline(preprocessing.StandardScaler(),
                                           linear_model.LogisticRegression()).fit(X, y), 0),
    ("archive/onehot.joblib", preprocessing.OneHotEncoder().fit([["a"], ["b"], ["a"]]), 0),
    ("archive/labels.joblib", preprocessing.LabelEncoder().fit(["x", "y", "x"]), ("zlib", 1)),
    ("archive/svr.pkl", svm.SVR().fit(X, yr), 0),
]
assert len(SPECS) == 20

CLASS = {}
for name, est, compress in SPECS:
    path = os.path.join(MODELS, name)
    joblib.dump(est, path, compress=compress)
    CLASS[path] = "%s.%s" % (type(est).__module__, type(est).__qualname__)

CSV = os.path.join(MODELS, "notes.csv")
with open(CSV, "w") as f:
    f.write("model,score\nlogreg,0.5\n")
CUT = os.path.join(MODELS, "cut.joblib")
with open(os.path.join(MODELS, "forest.joblib"), "rb") as f:
    whole = f.read()
with open(CUT, "wb") as f:
    f.write(whole[:len(whole) // 2])
# a link back up: recursion must not follow it
os.symlink("..", os.path.join(ARCHIVE, "loop"))

ALL = sorted(list(CLASS) + [CSV, CUT])
TOP = [p for p in ALL if os.path.dirname(p) == MODELS]

COLS = "path, size, mtime, format, compression, protocol, class, type, nodes, arrays, error"


def rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def info_error(conn, path):
    try:
        conn.execute("SELECT joblib_info(?)", (path,)).fetchall()
    except sqlite3.Error as e:
        return str(e)
    return None


@case
def test_folder_of_models():
    c = jltest.connect()
    got = rows(c, "SELECT %s FROM joblib_files(?, NULL, 1)" % COLS, MODELS)
    expect_eq([r[0] for r in got], ALL, "all 22 files, sorted by path")
    expect_eq(len(got), 22, "22 rows")
    for (path, size, mtime, fmt, comp, proto, cls, typ, nodes, arrays, error) in got:
        st = os.stat(path)
        expect_eq((size, mtime), (st.st_size, int(st.st_mtime)), path + ": size, mtime")
        if path in CLASS:
            info = jltest.info_of(c, path)
            expect_eq((fmt, comp, proto, cls, typ, nodes, arrays, error),
                      (info["format"], info["compression"], info["protocol"], CLASS[path],
                       "object", info["nodes"], len(info["arrays"]), None), path)
        else:
            expect_eq((fmt, comp, proto, cls, typ, nodes, arrays),
                      (None,) * 7, path + ": no bundle columns")
            expect_eq(error, info_error(c, path), path + ": error is joblib_info's")
    expect_eq(rows(c, "SELECT error FROM joblib_files(?) WHERE path = ?", MODELS, CSV),
              [("joblib: not a joblib bundle or pickle: it looks like CSV text (file '%s')" % CSV,)],
              "the CSV's error")
    err = one_error(c, CUT)
    expect(err.startswith("joblib: file is truncated: "), "the cut file's error: " + err)
    # the compressions as dumped, and the models' arrays really are there
    comp = dict(rows(c, "SELECT path, compression FROM joblib_files(?, NULL, 1) "
                        "WHERE error IS NULL", MODELS))
    expect_eq((comp[os.path.join(MODELS, "tree.joblib")], comp[os.path.join(MODELS, "ridge.joblib")],
               comp[os.path.join(MODELS, "svc.joblib")], comp[os.path.join(ARCHIVE, "labels.joblib")],
               comp[os.path.join(MODELS, "scaler.joblib")]),
              ("zlib", "bz2", "lzma", "zlib", "none"), "compressions")
    expect_eq(rows(c, "SELECT arrays FROM joblib_files(?) WHERE path LIKE '%/scaler.joblib'",
                   MODELS), [(3,)], "StandardScaler: mean_, var_, scale_")


def one_error(conn, path):
    r = rows(conn, "SELECT error FROM joblib_files(?, ?) ", os.path.dirname(path),
             os.path.basename(path))
    return r[0][0] if len(r) == 1 and r[0][0] else "(no error row: %r)" % (r,)


@case
def test_pattern_and_recursive():
    c = jltest.connect()
    q = "SELECT path FROM joblib_files(?, ?, ?)"
    for pattern in ("*.joblib", "*.pkl", "*.pkl.gz", "[lm]*", "nothing*"):
        for rec in (0, 1):
            want = [p for p in (ALL if rec else TOP) if fnmatch.fnmatchcase(os.path.basename(p), pattern)]
            expect_eq([r[0] for r in rows(c, q, MODELS, pattern, rec)], want,
                      "pattern %s recursive %d" % (pattern, rec))
    expect_eq([r[0] for r in rows(c, "SELECT path FROM joblib_files(?)", MODELS)], TOP,
              "default: every file, not recursive")
    expect_eq(len(rows(c, q, MODELS, "*.joblib", 1)), 16, "16 .joblib files (cut.joblib too)")
    # a trailing '/' is not doubled
    expect_eq(rows(c, q, MODELS + "/", "scaler.*", 0), [(os.path.join(MODELS, "scaler.joblib"),)],
              "dir with a trailing slash")
    # hidden columns show the arguments
    expect_eq(rows(c, "SELECT dir, pattern, recursive FROM joblib_files(?, '*.pkl', 1) LIMIT 1",
                   MODELS), [(MODELS, "*.pkl", 1)], "hidden columns")
    # the table joins: every model's top-level keys, through joblib_each
    n = rows(c, "SELECT count(*) FROM joblib_files(?, '*.joblib') f, joblib_each(f.path) e "
                "WHERE f.error IS NULL AND e.key = 'n_features_in_'", MODELS)
    # 13 top-level .joblib models; a Pipeline's n_features_in_ is a property, not state
    expect_eq(n, [(12,)], "top-level .joblib models with n_features_in_")


@case
def test_errors():
    c = jltest.connect()
    jltest.expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(?)", os.path.join(TMP, "nope")),
                     "joblib: cannot open directory '%s': No such file or directory"
                     % os.path.join(TMP, "nope"), "missing dir")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(?)", CSV),
              "joblib: cannot open directory '%s': Not a directory" % CSV, "a file as dir")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(?, 1)", MODELS),
              "joblib: joblib_files(): argument 2 (pattern) must be TEXT such as '*.joblib', "
              "not INTEGER", "pattern type")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(?, NULL, 2)", MODELS),
              "joblib: joblib_files(): argument 3 (recursive) must be 0 or 1, not 2", "recursive 2")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(?, NULL, 'yes')", MODELS),
              "joblib: joblib_files(): argument 3 (recursive) must be 0 or 1, not TEXT",
              "recursive TEXT")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files(x'00')"),
              "joblib: joblib_files(): argument 1 (dir) must be TEXT, not BLOB", "dir type")
    expect_eq(jltest.sql_error(c, "SELECT * FROM joblib_files"),
              "joblib: joblib_files() needs a dir argument: "
              "joblib_files(dir [, pattern [, recursive]])", "no dir")
    expect_eq(rows(c, "SELECT * FROM joblib_files(NULL)"), [], "NULL dir: no rows")


@case
def test_unreadable_subdir():
    if os.geteuid() == 0:
        # root reads any directory: make one that cannot be listed another way
        print("  (as root: a dangling link stands for an entry that cannot be read)")
        d = tempfile.mkdtemp(prefix="jl_files_bad_")
        os.symlink(os.path.join(d, "gone.pkl"), os.path.join(d, "dangling.pkl"))
        joblib.dump([1], os.path.join(d, "ok.pkl"))
        c = jltest.connect()
        expect_eq(rows(c, "SELECT path, size, class, error FROM joblib_files(?)", d),
                  [(os.path.join(d, "dangling.pkl"), None, None,
                    "joblib: cannot stat '%s': No such file or directory"
                    % os.path.join(d, "dangling.pkl")),
                   (os.path.join(d, "ok.pkl"), os.path.getsize(os.path.join(d, "ok.pkl")), None,
                    None)], "a dangling link is an error row")
        return
    d = tempfile.mkdtemp(prefix="jl_files_bad_")
    locked = os.path.join(d, "locked")
    os.makedirs(locked)
    joblib.dump([1], os.path.join(d, "ok.pkl"))
    os.chmod(locked, 0)
    try:
        c = jltest.connect()
        expect_eq(rows(c, "SELECT path, error FROM joblib_files(?, NULL, 1)", d),
                  [(locked, "joblib: cannot open directory '%s': Permission denied" % locked),
                   (os.path.join(d, "ok.pkl"), None)], "an unreadable subdirectory is an error row")
    finally:
        os.chmod(locked, 0o700)


@case
def test_limits_apply():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_decompressed', 100)")
    got = dict(rows(c, "SELECT path, error FROM joblib_files(?, 'ridge.joblib')", MODELS))
    p = os.path.join(MODELS, "ridge.joblib")
    expect_eq(got, {p: "joblib: decompressed size exceeds the limit of 100 bytes: raise it with "
                  "joblib_config('max_decompressed', N) (file '%s')" % p},
              "max_decompressed applies to each file")


@case
def test_untrusted_schema():
    c = jltest.connect()
    c.execute("CREATE VIEW v AS SELECT path FROM joblib_files('%s')" % MODELS)
    expect_eq(len(rows(c, "SELECT * FROM v")), len(TOP), "the view works with a trusted schema")
    c.execute("PRAGMA trusted_schema = OFF")
    expect_eq(jltest.sql_error(c, "SELECT * FROM v"), "unsafe use of virtual table \"joblib_files\"",
              "not from an untrusted schema")


if __name__ == "__main__":
    jltest.run()
