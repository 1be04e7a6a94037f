#!/usr/bin/env python3
"""Vector columns of the joblib virtual table (issue 15): in a dict of
columns, an N-D ndarray of fixed-size elements is one column whose rows
are its sub-arrays along the first axis, each a BLOB of the bytes numpy's
`a[i].tobytes()` gives after `np.ascontiguousarray(a.astype(native))`:

  - {'ids': int64 (n,), 'emb': float32 (n, 384)} is one table; every emb
    cell equals E[i].tobytes(), through a scan and through rowid = N;
  - the declared type is numpy's dtype name and the row shape:
    'float32[384]', 'int16[4][3]', 'datetime64[ns][2]', 'bool[3]';
  - F-order and big-endian sources (float64, complex128, structured)
    come back as native C-order row bytes; a compressed bundle too;
  - zero-width rows are empty BLOBs;
  - a first axis that differs from the other columns' length, and an
    N-D object array, are errors at CREATE with exact messages.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_vector_columns.py.
"""
import os
import tempfile

import jltest
jltest.preload()

joblib, np = jltest.require("joblib", "numpy")

from jltest import case, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_vec_")
N = 2000
rng = np.random.RandomState(7)
E = rng.standard_normal((N, 384)).astype("<f4")
IDS = np.arange(100, 100 + N, dtype="<i8")
EMB = os.path.join(TMP, "emb.pkl")
joblib.dump({"ids": IDS, "emb": E}, EMB)


def rows(conn, sql, *args):
    return conn.execute(sql, args).fetchall()


def native_rows(a):
    """What each row must be: C order, native byte order."""
    c = np.ascontiguousarray(a.astype(a.dtype.newbyteorder("=")))
    return [c[i].tobytes() for i in range(len(c))]


def types(conn, table):
    return rows(conn, "SELECT name, type FROM pragma_table_info(?)", table)


@case
def test_ids_and_embeddings():
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE docs USING joblib('%s')" % EMB)
    expect_eq(types(c, "docs"), [("ids", "INTEGER"), ("emb", "float32[384]")], "declared types")
    got = rows(c, "SELECT rowid, ids, emb FROM docs")
    expect_eq(len(got), N, "rows")
    expect_eq([r[0] for r in got], list(range(N)), "rowid")
    expect_eq([r[1] for r in got], IDS.tolist(), "ids")
    expect_eq([r[2] for r in got], [E[i].tobytes() for i in range(N)], "each emb row is E[i].tobytes()")
    expect_eq(rows(c, "SELECT ids, emb, typeof(emb), length(emb) FROM docs WHERE rowid = 1234"),
              [(1334, E[1234].tobytes(), "blob", 384 * 4)], "rowid = N")
    # the rows compare as BLOBs (the declared type's affinity does not touch them)
    expect_eq(rows(c, "SELECT ids FROM docs WHERE emb = ?", E[17].tobytes()), [(117,)],
              "a row found by its bytes")
    # the dtype and shape also from joblib_info of the source
    expect_eq(rows(c, "SELECT j.value ->> 'dtype', j.value ->> 'shape' FROM "
                      "json_each(joblib_info(?), '$.arrays') j WHERE j.value ->> 'path' = '$.emb'", EMB),
              [("<f4", "[%d,384]" % N)], "joblib_info")


@case
def test_layouts_and_dtypes():
    n = 5
    cube = np.arange(n * 4 * 3, dtype="<i2").reshape(n, 4, 3)
    f64 = np.asfortranarray(np.arange(n * 3 * 2, dtype=">f8").reshape(n, 3, 2) / 7)
    cplx = (np.arange(n * 2) + 1j * np.arange(n * 2)).astype(">c16").reshape(n, 2)
    stamps = np.arange(n * 2).astype("M8[ns]").reshape(n, 2)
    flags = (np.arange(n * 3) % 2 == 0).reshape(n, 3)
    rec = np.zeros((n, 2), dtype=[("a", "<i4"), ("b", ">f8")])
    rec["a"] = np.arange(n * 2).reshape(n, 2)
    rec["b"] = np.arange(n * 2).reshape(n, 2) / 3
    empty = np.zeros((n, 0), dtype="<f4")
    fcube = np.asfortranarray(cube.astype("<u4"))
    cols = {"cube": cube, "f64": f64, "cplx": cplx, "stamps": stamps, "flags": flags, "rec": rec,
            "empty": empty, "fcube": fcube}
    for compress in (0, 3):
        path = os.path.join(TMP, "layouts%d.pkl" % compress)
        joblib.dump(cols, path, compress=compress)
        c = jltest.connect()
        c.execute("CREATE VIRTUAL TABLE t USING joblib('%s')" % path)
        expect_eq(types(c, "t"), [("cube", "int16[4][3]"), ("f64", "float64[3][2]"),
                                  ("cplx", "complex128[2]"), ("stamps", "datetime64[ns][2]"),
                                  ("flags", "bool[3]"), ("rec", "void96[2]"), ("empty", "float32[0]"),
                                  ("fcube", "uint32[4][3]")], "declared types, compress %d" % compress)
        got = rows(c, "SELECT %s FROM t ORDER BY rowid" % ", ".join(cols))
        for j, (name, a) in enumerate(cols.items()):
            expect_eq([r[j] for r in got], native_rows(a), "%s rows, compress %d" % (name, compress))
        expect_eq(rows(c, "SELECT f64, fcube FROM t WHERE rowid = 3"),
                  [(native_rows(f64)[3], native_rows(fcube)[3])], "F order, one row")
        expect_eq(rows(c, "SELECT typeof(empty), length(empty) FROM t WHERE rowid = 0"), [("blob", 0)],
                  "zero-width rows are empty BLOBs")


@case
def test_vector_only_and_path():
    path = os.path.join(TMP, "nested.pkl")
    joblib.dump({"model": {"vectors": E[:10]}}, path)
    c = jltest.connect()
    c.execute("CREATE VIRTUAL TABLE v USING joblib('%s', '$.model')" % path)
    expect_eq(types(c, "v"), [("vectors", "float32[384]")], "a table of one vector column")
    expect_eq([r[0] for r in rows(c, "SELECT vectors FROM v")], [E[i].tobytes() for i in range(10)],
              "rows")


@case
def test_errors():
    c = jltest.connect()
    bad = os.path.join(TMP, "bad.pkl")
    joblib.dump({"ids": np.arange(3), "emb": E[:4]}, bad)
    expect_eq(jltest.sql_error(c, "CREATE VIRTUAL TABLE b USING joblib('%s')" % bad),
              "joblib: columns of unequal length: 'emb' has 4 rows, 'ids' has 3 (file '%s')" % bad,
              "first axis differs")
    bad2 = os.path.join(TMP, "bad2.pkl")
    joblib.dump({"emb": E[:4], "ids": [1, 2]}, bad2)
    expect_eq(jltest.sql_error(c, "CREATE VIRTUAL TABLE b USING joblib('%s')" % bad2),
              "joblib: columns of unequal length: 'ids' has 2 rows, 'emb' has 4 (file '%s')" % bad2,
              "first axis differs, vector column first")
    obj = os.path.join(TMP, "obj.pkl")
    o = np.empty((2, 2), dtype=object)
    o[:] = [["a", "b"], ["c", "d"]]
    joblib.dump({"o": o}, obj)
    expect_eq(jltest.sql_error(c, "CREATE VIRTUAL TABLE b USING joblib('%s')" % obj),
              "joblib: column 'o' is a 2-D object ndarray: only arrays of fixed-size elements are "
              "vector columns (file '%s')" % obj, "object arrays")


if __name__ == "__main__":
    jltest.run()
