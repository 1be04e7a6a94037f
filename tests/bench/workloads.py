"""Workloads of the benchmark, written with real joblib (tests/bench/bench.py).

Each workload is a file (or a SQLite database) in the data directory, made
by the Python code a joblib user would run. A manifest (workloads.json)
records the sizes they were made with (and, for the arrays, a tag naming
their data); files whose entry changed are made again, the others are kept
(making the full set takes minutes).

    arr.pkl      float64 array of `array_mib` MiB, joblib.dump, uncompressed
    arr.pkl.z    the same array, compress=3 (zlib level 3)
    arr.pkl.gz   the same array, compress=('gzip', 3)
    arr64.pkl.z  a dict of 64 arrays (a0 ... a63) of `array_mib`/64 MiB each
                 of the same data, compress=3 (issue 14: the last one read)
    dicts.pkl    a list of `dicts` small dicts (str keys; int, str, float, bool values)
    dicts.json   the same list as JSON text (for json_tree)
    emb.pkl      float32 embeddings matrix of `emb_rows` x `emb_dim`
    rf.pkl       a fitted scikit-learn RandomForestClassifier
    table.db     SQLite table t of `table_rows` rows (INTEGER, REAL, REAL, TEXT, INTEGER)

The array holds random normals rounded to 3 decimals: zlib level 3 shrinks
it ~3.0x, the ratio the issue's compressed array has (raw normals shrink
only ~4% and would measure a nearly stored stream).
"""

import json
import os
import sqlite3

import joblib
import numpy as np

MANIFEST = "workloads.json"

# The sizes ("full") and the CI smoke test's ("tiny").
FULL = dict(array_mib=512, dicts=1_000_000, emb_rows=200_000, emb_dim=384,
            rf_trees=100, rf_samples=20_000, rf_features=20, table_rows=1_000_000)
TINY = dict(array_mib=1, dicts=2_000, emb_rows=1_000, emb_dim=384,
            rf_trees=4, rf_samples=300, rf_features=8, table_rows=2_000)


def scaled(factor):
    """The full sizes times factor (counts rounded, at least the tiny ones)."""
    out = {}
    for k, v in FULL.items():
        if k in ("emb_dim", "rf_features"):
            out[k] = v
        else:
            out[k] = max(TINY[k], int(round(v * factor)))
    return out


def _dicts(n):
    return [{"id": i, "name": "user%d" % i, "score": i * 0.5, "active": i % 3 == 0}
            for i in range(n)]


def _make_arrays(d, s):
    n = (s["array_mib"] << 20) // 8
    a = np.round(np.random.default_rng(42).standard_normal(n), 3)
    joblib.dump(a, os.path.join(d, "arr.pkl"))
    joblib.dump(a, os.path.join(d, "arr.pkl.z"), compress=3)
    joblib.dump(a, os.path.join(d, "arr.pkl.gz"), compress=("gzip", 3))


def _make_arr64(d, s):
    n = max(1, (s["array_mib"] << 20) // 8 // 64)
    a = np.round(np.random.default_rng(42).standard_normal(n * 64), 3)
    joblib.dump({"a%d" % i: a[i * n:(i + 1) * n] for i in range(64)}, os.path.join(d, "arr64.pkl.z"),
                compress=3)


def _make_dicts(d, s):
    data = _dicts(s["dicts"])
    joblib.dump(data, os.path.join(d, "dicts.pkl"))
    with open(os.path.join(d, "dicts.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))


def _make_emb(d, s):
    rng = np.random.default_rng(7)
    m = rng.standard_normal((s["emb_rows"], s["emb_dim"]), dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    joblib.dump(m, os.path.join(d, "emb.pkl"))


def _make_rf(d, s):
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    X, y = make_classification(n_samples=s["rf_samples"], n_features=s["rf_features"],
                               n_informative=max(2, s["rf_features"] // 2), random_state=0)
    rf = RandomForestClassifier(n_estimators=s["rf_trees"], max_depth=12, random_state=0,
                                n_jobs=1).fit(X, y)
    joblib.dump(rf, os.path.join(d, "rf.pkl"))


def _make_table(d, s):
    path = os.path.join(d, "table.db")
    if os.path.exists(path):
        os.unlink(path)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t(id INTEGER, x REAL, y REAL, city TEXT, n INTEGER)")
    rng = np.random.default_rng(3)
    rows = s["table_rows"]
    cities = ["Paris", "Lyon", "Nantes", "Lille", "Brest", "Nice", "Metz", "Pau"]
    chunk = 100_000
    for start in range(0, rows, chunk):
        k = min(chunk, rows - start)
        x = rng.standard_normal(k)
        y = rng.random(k) * 100
        c = rng.integers(0, len(cities), k)
        n = rng.integers(-1000, 1000, k)
        con.executemany("INSERT INTO t VALUES (?,?,?,?,?)",
                        ((start + i, float(x[i]), float(y[i]), cities[c[i]], int(n[i]))
                         for i in range(k)))
    con.commit()
    con.close()


# What the array holds (its manifest entry carries it, so a change of data
# makes the files again).
ARRAY_DATA = "normal-round3"

# name -> (maker, size keys it depends on, files it writes)
MAKERS = {
    "arrays": (_make_arrays, ("array_mib",), ("arr.pkl", "arr.pkl.z", "arr.pkl.gz")),
    "arr64": (_make_arr64, ("array_mib",), ("arr64.pkl.z",)),
    "dicts": (_make_dicts, ("dicts",), ("dicts.pkl", "dicts.json")),
    "emb": (_make_emb, ("emb_rows", "emb_dim"), ("emb.pkl",)),
    "rf": (_make_rf, ("rf_trees", "rf_samples", "rf_features"), ("rf.pkl",)),
    "table": (_make_table, ("table_rows",), ("table.db",)),
}


def generate(data_dir, sizes, log=print):
    """Makes the workloads in data_dir for `sizes` (missing or stale ones
    only) and returns {name: path}."""
    os.makedirs(data_dir, exist_ok=True)
    man_path = os.path.join(data_dir, MANIFEST)
    try:
        with open(man_path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        manifest = {}
    for name, (maker, keys, files) in MAKERS.items():
        want = {k: sizes[k] for k in keys}
        if name == "arrays":
            want["data"] = ARRAY_DATA
        have = all(os.path.exists(os.path.join(data_dir, f)) for f in files)
        if have and manifest.get(name) == want:
            continue
        log("making workload %s %s" % (name, want))
        maker(data_dir, sizes)
        manifest[name] = want
        with open(man_path, "w") as f:
            json.dump(manifest, f, indent=1)
    paths = {}
    for _, (_, _, files) in MAKERS.items():
        for f in files:
            paths[f] = os.path.join(data_dir, f)
    return paths
