#!/usr/bin/env python3
"""joblib_export stacks vector columns (issue 15), checked with joblib.load:

  - a column of ndarray bundles (joblib_ndarray(v, '<f4')) of one dtype
    and shape, 2,000 x 384 float32 embeddings, loads as the float32
    (2000, 384) matrix equal to the source; so does a column declared
    `float32[384]` holding the raw row bytes, and the vector column of a
    joblib virtual table (bundle -> table -> export gives the same matrix,
    and the export attaches back with BLOB rows equal to the source rows);
  - N-D rows (joblib_ndarray(..., shape)), F-order and big-endian bundles
    stack in native C order;
  - mixed shapes, mixed dtypes, a NULL, a BLOB that is not an ndarray
    bundle, or raw BLOBs of the wrong size stay an object array of bytes;
  - as 'dataframe' a stacked column is an object column of 1-D arrays; as
    'records' each record holds its row as an ndarray.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_export_vectors.py.
"""
import os
import tempfile

import jltest
jltest.preload()

joblib, np, pandas = jltest.require("joblib", "numpy", "pandas")

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_expvec_")
N = 2000
rng = np.random.RandomState(3)
E = rng.standard_normal((N, 384)).astype("<f4")


def path(name):
    return os.path.join(TMP, name)


def export(conn, sql, name, *rest):
    f = path(name)
    conn.execute("SELECT joblib_export(?, ?%s)" % (", ?" * len(rest)), (sql, f) + rest).fetchall()
    return joblib.load(f)


def same_matrix(got, want, what):
    expect(isinstance(got, np.ndarray), "%s: an ndarray, not %s" % (what, type(got).__name__))
    if not isinstance(got, np.ndarray):
        return
    expect_eq((str(got.dtype), got.shape), (str(want.dtype), want.shape), what + ": dtype and shape")
    expect(got.shape == want.shape and got.tobytes() == np.ascontiguousarray(want).tobytes(),
           what + ": the same bytes")


@case
def test_bundles_stack():
    c = jltest.connect()
    c.execute("CREATE TABLE vecs(id INTEGER, v BLOB)")
    c.executemany("INSERT INTO vecs VALUES (?, joblib_ndarray(?, '<f4'))",
                  [(i, E[i].tobytes()) for i in range(N)])
    d = export(c, "SELECT id, v FROM vecs ORDER BY id", "bundles.pkl")
    expect_eq(list(d), ["id", "v"], "columns")
    same_matrix(d["v"], E, "ndarray bundles")
    expect_eq(d["id"].tolist(), list(range(N)), "ids")
    # the file attaches back: one BLOB row per source row
    c.execute("CREATE VIRTUAL TABLE back USING joblib('%s')" % path("bundles.pkl"))
    expect_eq(c.execute("SELECT type FROM pragma_table_info('back') WHERE name = 'v'").fetchall(),
              [("float32[384]",)], "declared type of the attached column")
    rows = c.execute("SELECT id, v FROM back ORDER BY rowid").fetchall()
    expect_eq(rows, [(i, E[i].tobytes()) for i in range(N)], "attached rows equal the source rows")


@case
def test_declared_raw_rows():
    c = jltest.connect()
    c.execute("CREATE TABLE raw(id INTEGER, v float32[384])")
    c.executemany("INSERT INTO raw VALUES (?, ?)", [(i, E[i].tobytes()) for i in range(N)])
    same_matrix(export(c, "raw", "raw.pkl")["v"], E, "declared float32[384] raw BLOBs")
    # no rows: an empty (0, 384) array of the declared dtype
    same_matrix(export(c, "SELECT v FROM raw WHERE 0", "raw0.pkl")["v"], E[:0], "no rows")
    # a row of another size: the bytes as they are
    c.execute("INSERT INTO raw VALUES (-1, x'00')")
    v = export(c, "SELECT v FROM raw ORDER BY id", "rawbad.pkl")["v"]
    expect_eq((str(v.dtype), v.shape, v[0], v[1]), ("object", (N + 1,), b"\x00", E[0].tobytes()),
              "a short row: object array of bytes")
    # the same short row last, after rows that stacked: they come back as bytes too
    v = export(c, "SELECT v FROM raw ORDER BY id DESC", "rawbad2.pkl")["v"]
    expect_eq((str(v.dtype), v.shape), ("object", (N + 1,)), "a short row last: object array")
    expect_eq(list(v), [E[i].tobytes() for i in range(N - 1, -1, -1)] + [b"\x00"], "every row's bytes")
    v = export(c, "SELECT v FROM raw WHERE id >= 0 UNION ALL SELECT NULL", "rawnull.pkl")["v"]
    expect_eq(list(v), [E[i].tobytes() for i in range(N)] + [None], "a NULL last: bytes and None")
    # names that are not numpy's own do not stack ("float" is numpy's float64, sqlite-vec's float32)
    c.execute("CREATE TABLE other(v float[2])")
    c.execute("INSERT INTO other VALUES (?)", (E[0, :2].tobytes(),))
    v = export(c, "other", "other.pkl")["v"]
    expect_eq((str(v.dtype), v.tolist()), ("object", [E[0, :2].tobytes()]), "float[2] is not a vector type")


@case
def test_table_round_trip():
    src = path("emb.pkl")
    ids = np.arange(N, dtype="<i8") * 7
    joblib.dump({"ids": ids, "emb": E}, src)
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE docs USING joblib('%s')" % src)
    d = export(c, "SELECT ids, emb FROM docs", "docs_out.pkl")
    same_matrix(d["emb"], E, "bundle -> table -> export")
    same_matrix(d["ids"], ids, "ids")
    # a 3-D, F-order, big-endian source
    cube = np.asfortranarray((np.arange(6 * 4 * 3) / 5).astype(">f8").reshape(6, 4, 3))
    joblib.dump({"cube": cube}, path("cube.pkl"))
    c.execute("CREATE VIRTUAL TABLE cube USING joblib('%s')" % path("cube.pkl"))
    same_matrix(export(c, "cube", "cube_out.pkl")["cube"], cube.astype("<f8"), "3-D F-order big-endian")


@case
def test_bundle_shapes_and_orders():
    c = jltest.connect()
    m = np.arange(3 * 2 * 2, dtype="<i2").reshape(3, 2, 2)
    c.execute("CREATE TABLE t(k INTEGER, v BLOB)")
    for i in range(3):
        c.execute("INSERT INTO t VALUES (?, joblib_ndarray(?, '<i2', json('[2,2]')))", (i, m[i].tobytes()))
    same_matrix(export(c, "SELECT v FROM t ORDER BY k", "nd.pkl")["v"], m, "(2, 2) rows")
    # big-endian bundles stack as native numbers
    c.execute("CREATE TABLE be(v BLOB)")
    for i in range(3):
        c.execute("INSERT INTO be VALUES (joblib_ndarray(?, '>f8'))", (E[i, :4].astype(">f8").tobytes(),))
    same_matrix(export(c, "be", "be.pkl")["v"], E[:3, :4].astype("<f8"), ">f8 bundles")
    # F-order rows from joblib_extract of a bundle's arrays
    f = np.asfortranarray(np.arange(12, dtype="<u4").reshape(3, 4))
    joblib.dump([f, f + 100], path("forder.pkl"))
    v = export(c, "SELECT joblib_extract('%s', '$[0]') AS v UNION ALL SELECT joblib_extract('%s', '$[1]')"
               % (path("forder.pkl"), path("forder.pkl")), "forder_out.pkl")["v"]
    same_matrix(v, np.stack([f, f + 100]), "F-order bundles")


@case
def test_fallbacks():
    c = jltest.connect()
    cases = {
        "shapes": ["joblib_ndarray(x'0000803f00000040', '<f4')", "joblib_ndarray(x'0000803f', '<f4')"],
        "dtypes": ["joblib_ndarray(x'0000803f00000040', '<f4')", "joblib_ndarray(x'0100000002000000', '<i4')"],
        "null": ["joblib_ndarray(x'0000803f00000040', '<f4')", "NULL"],
        "notbundle": ["joblib_ndarray(x'0000803f00000040', '<f4')", "x'0102'"],
        "notarray": ["joblib_ndarray(x'0000803f00000040', '<f4')", "joblib_dumps(1)"],
        "number": ["joblib_ndarray(x'0000803f00000040', '<f4')", "7"],
    }
    for name, values in cases.items():
        c.execute("CREATE TABLE f_%s(k INTEGER, v BLOB)" % name)
        for k, sql in enumerate(values):
            c.execute("INSERT INTO f_%s VALUES (%d, %s)" % (name, k, sql))
        want = [r[0] for r in c.execute("SELECT v FROM f_%s ORDER BY k" % name)]
        v = export(c, "SELECT v FROM f_%s ORDER BY k" % name, "fb_%s.pkl" % name)["v"]
        expect_eq((str(v.dtype), v.shape, v.tolist()), ("object", (2,), want), name + ": object array as before")


@case
def test_dataframe_and_records():
    c = jltest.connect()
    c.execute("CREATE TABLE vecs(id INTEGER, v BLOB)")
    c.executemany("INSERT INTO vecs VALUES (?, joblib_ndarray(?, '<f4'))", [(i, E[i, :3].tobytes()) for i in range(4)])
    df = export(c, "SELECT id, v FROM vecs ORDER BY id", "vecs_df.pkl", None, "dataframe")
    expect_eq((type(df).__name__, dict(df.dtypes.astype(str))), ("DataFrame", {"id": "int64", "v": "object"}),
              "a DataFrame with an object column")
    expect_eq([(type(x).__name__, str(x.dtype), x.tolist()) for x in df["v"]],
              [("ndarray", "float32", E[i, :3].tolist()) for i in range(4)], "cells are 1-D float32 arrays")
    recs = export(c, "SELECT id, v FROM vecs ORDER BY id", "vecs_rec.pkl", None, "records")
    expect_eq([(r["id"], str(r["v"].dtype), r["v"].tolist()) for r in recs],
              [(i, "float32", E[i, :3].tolist()) for i in range(4)], "records hold ndarrays")


if __name__ == "__main__":
    jltest.run()
