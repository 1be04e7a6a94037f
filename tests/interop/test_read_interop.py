#!/usr/bin/env python3
"""Reading interop: bundles written by real joblib.dump, read through SQL.

Every bundle is made here, in a temporary directory, and every expected
value is computed by Python from the object that was dumped: array BLOBs
are numpy's own bytes (C order, native byte order), joblib_info's offsets
are the positions joblib's writer was at, joblib_tree's rows follow the
object graph (tests/interop/jltest.py, model()).

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_read_interop.py
(uses ../../build/joblib0.so).
"""
import os
import sys

import jltest
jltest.preload()

import io  # noqa: E402
import json  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(jltest.HERE), "fixtures"))
import make_fixtures as fx  # noqa: E402  (the shared object factories)

from jltest import case, add_case, expect, expect_eq, fail, one, sql_error  # noqa: E402

CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def tmp(name):
    return jltest.TempDir.path(name)


def info_of(src):
    text = one(conn(), "SELECT joblib_info(?)", src)
    expect(isinstance(text, str), "joblib_info returned %r, want JSON text" % type(text))
    return json.loads(text)


def check_info(src, obj, offsets, what, compression="none", protocol=None, fmt="joblib"):
    """joblib_info(src) against what Python knows about the bundle.
    offsets: from jltest.dump (where joblib wrote each array's data)."""
    info = info_of(src)
    expect_eq(info.get("format"), fmt, what + " info.format")
    expect_eq(info.get("compression"), compression, what + " info.compression")
    if protocol is not None:
        expect_eq(info.get("protocol"), protocol, what + " info.protocol")
    if protocol is not None and protocol >= 3:   # below, a pickle may not tell
        expect_eq(info.get("python"), 3, what + " info.python")
    for k in ("nodes", "size", "files", "arrays"):
        expect(k in info, "%s info has no %r: %s" % (what, k, jltest.short(info, 300)))
    if isinstance(src, str):
        files = info.get("files") or []
        expect(len(files) == 1 and os.path.basename(str(files[0])) == os.path.basename(src),
               "%s info.files = %r, want [%r]" % (what, files, src))
    rows = jltest.model(obj)
    want = jltest.expected_info_arrays(rows, offsets)
    got = {a.get("path"): a for a in info.get("arrays", [])}
    expect_eq(len(info.get("arrays", [])), len(want), what + " number of arrays")
    for w in want:
        g = got.get(w["path"])
        if g is None:
            fail("%s: info.arrays has no %s (has %s)" % (what, w["path"], sorted(got)))
            continue
        p = "%s info %s" % (what, w["path"])
        expect_eq(g.get("dtype"), w["dtype"], p + " dtype")
        expect_eq(g.get("shape"), w["shape"], p + " shape")
        expect_eq(g.get("order"), w["order"], p + " order")
        expect_eq(g.get("nbytes"), w["nbytes"], p + " nbytes")
        if not w["object"]:
            expect_eq(g.get("offset"), w["offset"], p + " offset")
    return info


def check_bundle(name, obj, compression="none", **kw):
    """Dump obj with real joblib and check tree, values and info."""
    path = tmp(name)
    offsets = jltest.dump(obj, path, **kw)
    jltest.check_tree(conn(), path, obj, name)
    # joblib.dump of something without arrays writes a plain pickle
    check_info(path, obj, offsets, name, compression=compression,
               protocol=jltest.stream(path)[1] if kw.get("protocol", 4) >= 2 else None,
               fmt="joblib" if offsets else "pickle")
    # the same bundle given as a BLOB reads the same
    blob = open(path, "rb").read()
    for r in jltest.model(obj):
        if r["type"] not in ("ref",) and r["value"] is not jltest.ANY:
            got = one(conn(), "SELECT joblib_load(?, ?)", blob, r["fullkey"])
            jltest.compare_value(got, r["value"], "%s (BLOB) %s" % (name, r["fullkey"]))
    return path


# --- every kind of content, at every protocol that can hold it -------------

CONTENT = [
    ("seed", lambda: fx.SEED),
    ("dtypes", fx.dtypes),
    ("bigendian", fx.big_endian),
    ("orders", fx.orders),
    ("shapes", fx.shapes),
    ("objects", fx.object_arrays),
    ("scalars", fx.scalars),
    ("matrix", lambda: np.matrix([[1, 2], [3, 4]], dtype="<i8")),
    ("nested", fx.nested),
    ("shared", fx.shared),
    ("selfref", fx.self_ref),
    ("bigints", lambda: fx.BIG_INTS),
    ("floats", lambda: fx.FLOATS),
    ("text", lambda: fx.TEXTS),
    ("bytes", lambda: fx.BYTES),
    ("sets", lambda: [{1, 2, 3}, frozenset([3]), set(), frozenset({"a"})]),
    ("complex", lambda: [1 + 2j, complex(0, -1)]),
    ("ordereddict", lambda: __import__("collections").OrderedDict([("z", 1), ("a", 2)])),
    ("sklearn", fx.sklearn_scaler),
    ("columns", fx.columns),
    ("protocol_object", fx.protocol_object),
]

for _name, _make in CONTENT:
    for _p in (2, 3, 4, 5):
        add_case("%s protocol %d" % (_name, _p),
                 lambda n=_name, m=_make, p=_p: check_bundle("%s_p%d.pkl" % (n, p), m(), protocol=p))

for _p in (0, 1):
    for _name, _make in (("seed", lambda: fx.SEED), ("protocol_object", fx.protocol_object),
                         ("bigints", lambda: fx.BIG_INTS), ("floats", lambda: fx.FLOATS),
                         ("text", lambda: fx.TEXTS), ("dtypes", fx.dtypes)):
        add_case("%s protocol %d" % (_name, _p),
                 lambda n=_name, m=_make, p=_p: check_bundle("%s_p%d.pkl" % (n, p), m(), protocol=p))

# --- every compressor -------------------------------------------------------

COMPRESSORS = [("zlib", ".z"), ("gzip", ".gz"), ("bz2", ".bz2"), ("lzma", ".lzma"),
               ("xz", ".xz"), ("lz4", ".lz4")]
for _method, _ext in COMPRESSORS:
    for _name, _make in (("seed", lambda: fx.SEED), ("dtypes", fx.dtypes),
                         ("objects", fx.object_arrays)):
        for _level in (1, 3, 9):
            add_case("%s %s level %d" % (_name, _method, _level),
                     lambda n=_name, m=_make, me=_method, e=_ext, lv=_level: check_bundle(
                         "%s_%d.pkl%s" % (n, lv, e), m(), compression=me, compress=(me, lv)))


@case
def compress_true_and_extensions():
    # compress=True is zlib level 3; a file extension picks the method
    for name, kw, method in (("ctrue.pkl", {"compress": True}, "zlib"),
                             ("cint.pkl", {"compress": 7}, "zlib"),
                             ("ext.pkl.gz", {}, "gzip"), ("ext.pkl.bz2", {}, "bz2"),
                             ("ext.pkl.xz", {}, "xz"), ("ext.pkl.lzma", {}, "lzma"),
                             ("ext.pkl.lz4", {}, "lz4"), ("ext.pkl.z", {}, "zlib")):
        check_bundle(name, fx.SEED, compression=method, **kw)


@case
def no_alignment_padding():
    # a destination without tell(): numpy_array_alignment_bytes is None
    path = tmp("noalign.pkl")
    obj = {"a": np.arange(5, dtype="<i8"), "b": np.arange(3, dtype=">f4")}
    offsets = jltest.dump(obj, path, notell=True)
    jltest.check_tree(conn(), path, obj, "noalign")
    check_info(path, obj, offsets, "noalign", protocol=4)


@case
def shared_array_written_twice():
    a = np.arange(3, dtype="<i8")
    path = check_bundle("shared_array.pkl", [a, a])
    for k in ("$[0]", "$[1]"):
        expect_eq(one(conn(), "SELECT type FROM joblib_tree(?) WHERE fullkey = ?", path, k),
                  "ndarray", "shared array %s type" % k)


@case
def shared_references_are_ref_rows():
    path = tmp("refs.pkl")
    a = [1]
    joblib.dump([a, a, {"again": a}], path)
    rows = conn().execute("SELECT fullkey, type, value FROM joblib_tree(?)", (path,)).fetchall()
    d = {r[0]: r for r in rows}
    expect_eq(d.get("$[0]", (None, None))[1], "list", "first occurrence is the list")
    expect_eq(d.get("$[1]", (None, None, None))[1:], ("ref", "$[0]"), "second occurrence")
    expect_eq(d.get("$[2].again", (None, None, None))[1:], ("ref", "$[0]"), "third occurrence")
    expect("$[1][0]" not in d, "a ref row has no children")
    # a ref path still selects the value
    expect_eq(one(conn(), "SELECT joblib_load(?, '$[1][0]')", path), 1, "load through a ref")


@case
def self_referencing_list():
    path = tmp("selfref.pkl")
    lst = [1]
    lst.append(lst)
    joblib.dump(lst, path)
    rows = conn().execute("SELECT fullkey, type, value FROM joblib_tree(?)", (path,)).fetchall()
    expect_eq([(r[0], r[1]) for r in rows], [("$", "list"), ("$[0]", "int"), ("$[1]", "ref")],
              "selfref fullkeys and types")
    expect_eq(rows[2][2] if len(rows) > 2 else None, "$", "selfref ref value")
    expect_eq(one(conn(), "SELECT joblib_load(?, '$[1][1][1][0]')", path), 1,
              "a path can go round the cycle")


# --- plain pickles (no joblib wrappers) ---------------------------------------

@case
def plain_pickles():
    import pickle
    for p in (0, 2, 4, 5):
        for name, obj in (("dict", {"a": 1, "b": [1, 2], "c": "text"}),
                          ("numpy", [np.arange(4, dtype="<i8"), np.float64(2.5),
                                     np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3))])):
            path = tmp("plain_%s_%d.pkl" % (name, p))
            with open(path, "wb") as f:
                pickle.dump(obj, f, protocol=p)
            what = "plain %s p%d" % (name, p)
            jltest.check_tree(conn(), path, obj, what, joblib_format=False)
            info = info_of(path)
            expect_eq(info.get("format"), "pickle", what + " info.format")
            expect_eq(info.get("protocol"), p if p >= 2 else info.get("protocol"), what + " protocol")


# --- paths, each, extract ------------------------------------------------------

@case
def paths_into_arrays():
    path = tmp("paths.pkl")
    m = np.arange(12, dtype="<i4").reshape(3, 4)
    v = np.arange(5, dtype=">f8") / 2
    joblib.dump({"m": m, "v": v, "l": [10, 20, 30], "o": fx.object_arrays()[1]}, path)
    q = lambda p: one(conn(), "SELECT joblib_load(?, ?)", path, p)  # noqa: E731
    expect_eq(q("$.m[1]"), m[1].tobytes(), "row 1 of a 2-D array")
    expect_eq(q("$.m[#-1]"), m[2].tobytes(), "last row of a 2-D array")
    expect_eq(q("$.m[1][2]"), 6, "element [1][2] of a 2-D array")
    expect_eq(q("$.v[3]"), 1.5, "element of a big-endian 1-D array")
    expect_eq(q("$.l[#-1]"), 30, "[#-1] of a list")
    expect_eq(q("$.l[#-3]"), 10, "[#-3] of a list")
    expect_eq(q("$.l[3]"), None, "index past the end selects nothing")
    expect_eq(q("$.m[3]"), None, "row past the end selects nothing")
    expect_eq(q("$.nokey"), None, "missing key selects nothing")
    expect_eq(q("$.o[1][1]"), "x", "object array element [1][1]")
    expect_eq(q("$.o[0][0]"), 1, "object array element [0][0]")
    expect_eq(q("$.o[0][1]"), None, "object array None element")


@case
def each_over_arrays():
    path = tmp("each.pkl")
    m = np.arange(12, dtype="<f4").reshape(3, 4)
    v = np.array([3, -1, 2**40], dtype=">i8")
    joblib.dump({"m": m, "v": v, "d": {"a": 1, "b": "x"}}, path)
    rows = conn().execute("SELECT key, value, type FROM joblib_each(?, '$.m')", (path,)).fetchall()
    expect_eq([r[0] for r in rows], [0, 1, 2], "each over 2-D: keys")
    expect_eq([r[1] for r in rows], [m[i].tobytes() for i in range(3)], "each over 2-D: row BLOBs")
    expect_eq({r[2] for r in rows}, {"ndarray"}, "each over 2-D: type")
    rows = conn().execute("SELECT key, value, type FROM joblib_each(?, '$.v')", (path,)).fetchall()
    expect_eq([r[1] for r in rows], [3, -1, 2**40], "each over 1-D big-endian: values")
    expect_eq({r[2] for r in rows}, {"scalar"}, "each over 1-D: type")
    rows = conn().execute("SELECT key, value, type, fullkey FROM joblib_each(?, '$.d')", (path,)).fetchall()
    expect_eq([tuple(r) for r in rows], [("a", 1, "int", "$.d.a"), ("b", "x", "str", "$.d.b")],
              "each over a dict")
    rows = conn().execute("SELECT key FROM joblib_each(?)", (path,)).fetchall()
    expect_eq([r[0] for r in rows], ["m", "v", "d"], "each over the root")


@case
def extract_round_trip():
    path = tmp("extract.pkl")
    obj = {"arr": np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
           "s": fx.structured(), "lst": [1, "two", 3.0], "o": fx.object_arrays()[0]}
    joblib.dump(obj, path)
    for key in ("arr", "s", "lst", "o"):
        blob = one(conn(), "SELECT joblib_extract(?, ?)", path, "$." + key)
        expect(isinstance(blob, bytes), "joblib_extract $.%s returned %r" % (key, type(blob)))
        if not isinstance(blob, bytes):
            continue
        back = joblib.load(io.BytesIO(blob))
        want = obj[key]
        if isinstance(want, np.ndarray):
            expect_eq(back.dtype.newbyteorder("="), want.dtype.newbyteorder("="), "extract %s dtype" % key)
            expect_eq(back.shape, want.shape, "extract %s shape" % key)
            if want.dtype.hasobject:
                expect_eq(back.tolist()[:2], want.tolist()[:2], "extract %s items" % key)
                expect_eq(back[2], want[2], "extract %s dict item" % key)
            else:
                expect_eq(jltest.native_bytes(back), jltest.native_bytes(want), "extract %s data" % key)
        else:
            expect_eq(back, want, "extract %s value" % key)
        # and the extracted bundle reads the same through SQL
        expect_eq(one(conn(), "SELECT joblib_load(joblib_extract(?, ?))", path, "$." + key),
                  one(conn(), "SELECT joblib_load(?, ?)", path, "$." + key),
                  "joblib_load(joblib_extract(%s))" % key)


# --- errors -------------------------------------------------------------------

@case
def errors_start_with_joblib():
    good = tmp("good.pkl")
    joblib.dump(fx.SEED, good)
    seed = open(good, "rb").read()
    import zlib
    bad = {
        "missing file": ("SELECT joblib_load(?)", (tmp("does-not-exist.pkl"),)),
        "empty blob": ("SELECT joblib_load(?)", (b"",)),
        "garbage blob": ("SELECT joblib_load(?)", (b"not a pickle at all",)),
        "truncated pickle": ("SELECT joblib_load(?)", (seed[:100],)),
        "truncated array data": ("SELECT joblib_load(?, '$[1][1]')", (seed[:280],)),
        "truncated zlib": ("SELECT joblib_load(?)", (zlib.compress(seed)[:50],)),
        "bad path": ("SELECT joblib_load(?, '$[')", (good,)),
        "bad path 2": ("SELECT joblib_load(?, 'nope')", (good,)),
        "info of garbage": ("SELECT joblib_info(?)", (b"\x80\x04\xff.",)),
        "tree of garbage": ("SELECT * FROM joblib_tree(?)", (b"\x80\x04\xff.",)),
        "each of garbage": ("SELECT * FROM joblib_each(?)", (b"\x80\x04\xff.",)),
        "unknown protocol": ("SELECT joblib_load(?)", (b"\x80\x09N.",)),
        "no STOP": ("SELECT joblib_load(?)", (b"\x80\x04K\x01",)),
        "unset memo": ("SELECT joblib_load(?)", (b"\x80\x04h\x05.",)),
        "stack underflow": ("SELECT joblib_load(?)", (b"\x80\x04a.",)),
        "huge BINBYTES8": ("SELECT joblib_load(?)", (b"\x80\x04\x8e" + b"\xff" * 8 + b".",)),
        "wrong src type": ("SELECT joblib_load(?)", (1.5,)),
        "extract of garbage": ("SELECT joblib_extract(?, '$')", (b"garbage",)),
    }
    for what, (sql, args) in bad.items():
        try:
            msg = sql_error(conn(), sql, *args)
        except AssertionError as e:
            fail("%s: %s" % (what, e))
            continue
        expect(msg.startswith("joblib:"), "%s: message %r does not start with 'joblib:'" % (what, msg))
    expect_eq(one(conn(), "SELECT joblib_load(NULL)"), None, "NULL src gives NULL")
    expect_eq(one(conn(), "SELECT joblib_load(?, NULL)", good), None, "NULL path gives NULL")


if __name__ == "__main__":
    jltest.run()
