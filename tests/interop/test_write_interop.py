#!/usr/bin/env python3
"""Writing interop: bundles written through SQL, read back by real joblib.

Every bundle is made here with Python's sqlite3 and the extension
($JL_MODULE): joblib_dump / joblib_dumps, the constructors, the
aggregates, JSON input and nested bundles. Each one is then loaded with
joblib.load in the same test and compared with the Python object it should
be: values, dtypes, shapes, byte order handling, memory layout, identity of
shared references; where SQL can say the object directly, the bytes are also
compared with what joblib.dump itself writes.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_write_interop.py
(uses ../../build/joblib0.so).
"""
import os
import sys

import jltest
jltest.preload()

import collections  # noqa: E402
import datetime  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402

from jltest import case, add_case, expect, expect_eq, fail, one, sql_error  # noqa: E402

CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def tmp(name):
    return jltest.TempDir.path(name)


def jdump(obj, **kw):
    """What joblib.dump writes for obj (uncompressed unless kw says)."""
    f = io.BytesIO()
    joblib.dump(obj, f, **kw)
    return f.getvalue()


def load_blob(b):
    expect(isinstance(b, bytes), "expected a BLOB, got %r" % type(b))
    return joblib.load(io.BytesIO(b))


def q(sql, *args):
    return one(conn(), sql, *args)


def same_array(got, want, what):
    """Same class, dtype, shape, values (NaN == NaN), and layout flags."""
    if not expect(isinstance(got, np.ndarray), "%s: got %r, want an ndarray" % (what, type(got))):
        return
    expect_eq(type(got).__name__, type(want).__name__, what + " class")
    expect_eq(str(got.dtype), str(want.dtype), what + " dtype")
    expect_eq(got.dtype.descr, want.dtype.descr, what + " descr")
    expect_eq(got.shape, want.shape, what + " shape")
    if got.dtype.hasobject:
        expect_eq(got.tolist(), want.tolist(), what + " items")
    elif got.dtype == want.dtype:
        # the element bytes (NaN payloads and NaT included)
        expect_eq(np.ascontiguousarray(got).tobytes().hex(), np.ascontiguousarray(want).tobytes().hex(),
                  what + " values")
    expect_eq(bool(got.flags.f_contiguous and not got.flags.c_contiguous),
              bool(want.flags.f_contiguous and not want.flags.c_contiguous), what + " F order")


def same_value(got, want, what):
    """Deep equality with types (bool is not int, tuple is not list), arrays by same_array."""
    if isinstance(want, np.ndarray):
        return same_array(got, want, what)
    if type(got) is not type(want):
        fail("%s: got %s %s, want %s %s" % (what, type(got).__name__, jltest.short(got),
                                            type(want).__name__, jltest.short(want)))
        return
    if isinstance(want, (list, tuple)):
        if expect_eq(len(got), len(want), what + " length"):
            for i, (g, w) in enumerate(zip(got, want)):
                same_value(g, w, "%s[%d]" % (what, i))
    elif isinstance(want, dict):
        expect_eq(list(got.keys()), list(want.keys()), what + " keys")
        for k in want:
            if k in got:
                same_value(got[k], want[k], "%s[%r]" % (what, k))
    elif isinstance(want, float) and math.isnan(want):
        expect(math.isnan(got), "%s: got %r, want nan" % (what, got))
    elif isinstance(want, np.generic):
        expect_eq(got.dtype, want.dtype, what + " dtype")
        expect(got == want or (got != got and want != want), "%s: got %r, want %r" % (what, got, want))
    else:
        expect_eq(got, want, what)


# ---------------------------------------------------------------------------
# Arrays from joblib_ndarray: every dtype, byte order, layout

DTYPES = ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8",
          "<f16", "<c8", "<c16", "<c32", "|S5", "<U3", "<M8[ns]", "<M8[D]", "<m8[s]", "<M8[5m]",
          ">i2", ">i4", ">i8", ">u4", ">f4", ">f8", ">c16", ">U2", ">M8[us]"]


def sample(dtype, n=6):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.array([True, False, True, True, False, False][:n], dtype=dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = [0, 1, info.max, info.min, 7, info.max // 3][:n]
        return np.array(vals, dtype=dt)
    if dt.kind == "f":
        return np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 1e-3][:n], dtype=dt)
    if dt.kind == "c":
        return np.array([0, 1 + 2j, -3.5j, np.inf, complex(np.nan, 1), 2][:n], dtype=dt)
    if dt.kind == "S":
        return np.array([b"", b"ab", b"\x00\xff", b"hello", b"x", b"yz"][:n], dtype=dt)
    if dt.kind == "U":
        return np.array(["", "\u00e9", "ab", "\U0001f600", "z", "q"][:n], dtype=dt)
    if dt.kind in "Mm":
        return np.array([0, 1, -5, 1000000, np.iinfo("i8").min, 42][:n]).astype("i8").view(dt)
    raise ValueError(dtype)


def check_ndarray(want, descr=None, order=None, what=None):
    """joblib_ndarray(want's bytes in its layout, descr, shape, order) loads
    as joblib.load(joblib.dump(want)) does (big-endian data comes back native),
    from the very bytes joblib.dump writes."""
    descr = descr or (json.dumps(jltest.file_descr(want.dtype)) if want.dtype.fields else want.dtype.str)
    f_order = want.flags.f_contiguous and not want.flags.c_contiguous
    data = want.tobytes(order="F" if f_order else "C")
    shape = json.dumps(list(want.shape))
    b = q("SELECT joblib_ndarray(?, ?, ?, ?)", data, descr, shape, order or ("F" if f_order else "C"))
    got = load_blob(b)
    same_array(got, load_blob(jdump(want)), what or descr)
    if want.dtype.isnative:
        same_array(got, want, what or descr)
    # the same bundle bytes joblib.dump writes for that array
    expect_eq(b.hex(), jdump(want).hex(), (what or descr) + " bytes")
    return got


for _dt in DTYPES:
    add_case("ndarray_dtype_%s" % _dt, lambda d=_dt: check_ndarray(sample(d)))


@case
def ndarray_structured():
    dt = np.dtype([("x", "<i4"), ("y", ">f8"), ("s", "S3"), ("v", "<f4", (2,)),
                   ("n", [("a", "u1"), ("b", "<i2")])])
    a = np.zeros(3, dtype=dt)
    a["x"] = [1, -2, 3]
    a["y"] = [1.5, np.nan, -0.0]
    a["s"] = [b"ab", b"", b"xyz"]
    a["v"] = [[1, 2], [3, 4], [5, 6]]
    a["n"]["a"] = [7, 8, 9]
    a["n"]["b"] = [-1, 0, 1]
    descr = json.dumps(jltest.file_descr(dt))
    got = load_blob(q("SELECT joblib_ndarray(?, ?)", a.tobytes(), descr))
    expect_eq(got.dtype, dt, "structured dtype")
    for name in ("x", "s", "v"):
        expect(np.array_equal(got[name], a[name]), "field %s: %r vs %r" % (name, got[name], a[name]))
    expect(np.array_equal(got["y"], a["y"], equal_nan=True), "field y")
    expect(np.array_equal(got["n"]["b"], a["n"]["b"]), "nested field")


@case
def ndarray_layouts():
    base = np.arange(24, dtype="<i8").reshape(2, 3, 4)
    check_ndarray(base, what="3-d C")
    check_ndarray(np.asfortranarray(base), what="3-d F")
    check_ndarray(np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3)), what="F big-endian")
    check_ndarray(np.array(3.25), what="0-d")
    check_ndarray(np.zeros(0, "<f8"), what="empty")
    check_ndarray(np.zeros((3, 0), "<i4"), what="empty 2-d")
    check_ndarray(np.zeros((0, 5), "<i4", order="F"), what="empty 2-d F")
    check_ndarray(np.arange(5, dtype="<f4").reshape(5, 1), what="column")
    # shape as an INTEGER, default 1-D, numpy names
    got = load_blob(q("SELECT joblib_ndarray(?, 'float64', 2)", np.array([1.0, 2.0]).tobytes()))
    same_array(got, np.array([1.0, 2.0]), "float64 by name")
    got = load_blob(q("SELECT joblib_ndarray(?, 'int16')", np.arange(4, dtype="<i2").tobytes()))
    same_array(got, np.arange(4, dtype="<i2"), "default 1-D")


@case
def ndarray_big_endian_loads_native():
    got = load_blob(q("SELECT joblib_ndarray(x'3ff8000000000000', '>f8')"))
    expect_eq(got.tolist(), [1.5], "value")
    # joblib >= 1.1 swaps to native on load
    expect_eq(got.dtype.byteorder in "=<", True, "native after load")


@case
def ndarray_errors():
    c = conn()
    for sql, args, part in [
        ("SELECT joblib_ndarray(x'00', 'q9')", (), "joblib: joblib_ndarray: bad dtype 'q9'"),
        ("SELECT joblib_ndarray(x'000000', '<f4')", (), "not a multiple of the itemsize 4"),
        ("SELECT joblib_ndarray(zeroblob(12), '<f4', '[2,2]')", (), "shape [2,2] of <f4 needs 16 bytes, data has 12"),
        ("SELECT joblib_ndarray(zeroblob(8), '|O')", (), "holds Python objects"),
        ("SELECT joblib_ndarray(zeroblob(8), '<f8', 1, 'K')", (), "order must be 'C' or 'F'"),
    ]:
        msg = sql_error(c, sql, *args)
        expect(msg.startswith("joblib:") and part in msg, "%s: %s" % (sql, msg))


# ---------------------------------------------------------------------------
# Python values from SQL values, constructors and JSON

@case
def scalars_and_text():
    cases = [
        ("SELECT joblib_dumps(NULL)", None),
        ("SELECT joblib_dumps(0)", 0),
        ("SELECT joblib_dumps(-9223372036854775808)", -2 ** 63),
        ("SELECT joblib_dumps(1.0)", 1.0),
        ("SELECT joblib_dumps(9e999)", math.inf),
        ("SELECT joblib_dumps(-9e999)", -math.inf),
        ("SELECT joblib_dumps('')", ""),
        ("SELECT joblib_dumps('C''est l''\u00e9t\u00e9 \U0001f600 \u4e2d\u6587')", "C'est l'\u00e9t\u00e9 \U0001f600 \u4e2d\u6587"),
        ("SELECT joblib_dumps(x'')", b""),
        ("SELECT joblib_dumps(x'00ff10')", b"\x00\xff\x10"),
        ("SELECT joblib_dumps(json('true'))", True),
        ("SELECT joblib_dumps(json('false'))", False),
        ("SELECT joblib_dumps(json('null'))", None),
        ("SELECT joblib_dumps(json('170141183460469231731687303715884105728'))", 2 ** 127),
        ("SELECT joblib_dumps(json('-18446744073709551617'))", -2 ** 64 - 1),
        ("SELECT joblib_dumps(json('\"\\u00e9\\ud83d\\ude00\"'))", "\u00e9\U0001f600"),
        ("SELECT joblib_dumps(json('1.5e300'))", 1.5e300),
    ]
    for sql, want in cases:
        b = q(sql)
        same_value(load_blob(b), want, sql)
        expect_eq(b.hex(), jdump(want).hex(), sql + " bytes")


@case
def nan_from_sql():
    # SQLite has no NaN value; NaN comes from NULL in float arrays and from raw bytes
    got = load_blob(q("SELECT joblib_group_array(value) FROM json_each('[1.5, null]')"))
    expect(math.isnan(got[1]), "NULL as NaN: %r" % got)
    got = load_blob(q("SELECT joblib_ndarray(?, '<f8')", np.array([np.nan]).tobytes()))
    expect(math.isnan(got[0]), "NaN bytes")


@case
def nested_containers():
    sql = ("SELECT joblib_dumps(joblib_dict('list', joblib_list(1, 'a', joblib_tuple(2, x'01')),"
           " 'tuple', joblib_tuple(), 'json', json('{\"x\": [1, 2.5, {\"y\": null}], \"z\": [true, false]}'),"
           " 7, 'int key', NULL, 'none key', 2.5, 'float key', joblib_tuple(1, 'k'), 'tuple key',"
           " 'arr', joblib_ndarray(x'0100000002000000', '<i4', '[2,1]')))")
    want = {"list": [1, "a", (2, b"\x01")], "tuple": (),
            "json": {"x": [1, 2.5, {"y": None}], "z": [True, False]},
            7: "int key", None: "none key", 2.5: "float key", (1, "k"): "tuple key",
            "arr": np.array([[1], [2]], dtype="<i4")}
    b = q(sql)
    same_value(load_blob(b), want, "nested")
    expect_eq(b.hex(), jdump(want).hex(), "nested bytes")


@case
def dict_repeated_key():
    got = load_blob(q("SELECT joblib_dict('a', 1, 'b', 2, 'a', 3)"))
    expect_eq(got, {"a": 3, "b": 2}, "last value wins")


@case
def protocols():
    sql = ("SELECT joblib_dumps(joblib_list(1, 'x\u00e9', x'00ff', 2.5, json('[true, null]'), "
           "joblib_tuple(3), joblib_ndarray(x'0000803f', '<f4'), joblib_group_array(value)), 0, ?) "
           "FROM json_each('[\"a\", 1, null]')")
    want = [1, "x\u00e9", b"\x00\xff", 2.5, [True, None], (3,), np.array([1.0], "<f4"),
            np.array(["a", 1, None], dtype=object)]
    for p in (2, 3, 4, 5):
        b = q(sql, p)
        expect_eq(b[:2], bytes([0x80, p]), "protocol %d PROTO" % p)
        same_value(load_blob(b), want, "protocol %d" % p)
        expect_eq(b.hex(), jdump(want, protocol=p).hex(), "protocol %d bytes" % p)


# ---------------------------------------------------------------------------
# Aggregates

def agg_table():
    """A table agg(g, i, r, s, b) of three rows."""
    c = conn()
    c.execute("CREATE TABLE IF NOT EXISTS agg(g INTEGER, i INTEGER, r REAL, s TEXT, b BLOB)")
    c.execute("DELETE FROM agg")
    rows = [(1, 1, 0.5, "a", np.array([1, 2], "<f4").tobytes()),
            (1, 2, None, "\u00e9", np.array([3, 4], "<f4").tobytes()),
            (2, 3, 2.5, None, np.array([5, 6], "<f4").tobytes())]
    c.executemany("INSERT INTO agg VALUES (?,?,?,?,?)", rows)


@case
def aggregates():
    agg_table()
    got = load_blob(q("SELECT joblib_group_array(i) FROM agg"))
    same_array(got, np.array([1, 2, 3], "<i8"), "ints")
    got = load_blob(q("SELECT joblib_group_array(r) FROM agg"))
    same_array(got, np.array([0.5, np.nan, 2.5]), "reals with NULL")
    got = load_blob(q("SELECT joblib_group_array(CASE WHEN i = 2 THEN NULL ELSE i END) FROM agg"))
    same_array(got, np.array([1.0, np.nan, 3.0]), "ints with NULL")
    got = load_blob(q("SELECT joblib_group_array(s) FROM agg"))
    same_array(got, np.array(["a", "\u00e9", None], dtype=object), "text")
    got = load_blob(q("SELECT joblib_group_array(b, '<f4') FROM agg"))
    same_array(got, np.array([[1, 2], [3, 4], [5, 6]], "<f4"), "stacked BLOBs")
    got = load_blob(q("SELECT joblib_group_array(i, '>u2') FROM agg"))
    same_array(got, np.array([1, 2, 3], ">u2").astype("<u2"), "converted big-endian")
    got = load_blob(q("SELECT joblib_group_array(s, '<U2') FROM agg WHERE s IS NOT NULL"))
    same_array(got, np.array(["a", "\u00e9"], "<U2"), "unicode")
    got = load_blob(q("SELECT joblib_group_array(r, '<f2') FROM agg"))
    same_array(got, np.array([0.5, np.nan, 2.5], "<f2"), "half")
    got = load_blob(q("SELECT joblib_group_array(i, '<M8[s]') FROM agg"))
    same_array(got, np.array([1, 2, 3], "<M8[s]"), "datetime64")
    got = load_blob(q("SELECT joblib_group_list(joblib_tuple(i, s)) FROM agg"))
    expect_eq(got, [(1, "a"), (2, "\u00e9"), (3, None)], "group_list")
    got = load_blob(q("SELECT joblib_group_dict(s, r) FROM agg"))
    same_value(got, {"a": 0.5, "\u00e9": None, None: 2.5}, "group_dict")
    # per group, nested: {g: array}
    got = load_blob(q("SELECT joblib_group_dict(g, a) FROM (SELECT g, joblib_group_array(i) AS a FROM agg GROUP BY g)"))
    expect_eq(sorted(got), [1, 2], "nested group keys")
    # the inner arrays crossed a subquery: plain bytes unless marked; with joblib() they nest
    got = load_blob(q("SELECT joblib_group_dict(g, joblib(a)) FROM (SELECT g, joblib_group_array(i) AS a FROM agg "
                      "GROUP BY g)"))
    same_value(got, {1: np.array([1, 2]), 2: np.array([3])}, "nested groups")
    expect_eq(q("SELECT joblib_group_array(i) FROM agg WHERE 0"), None, "no rows")


@case
def pandas_style_columns():
    agg_table()
    got = load_blob(q("SELECT joblib_dict('i', joblib_group_array(i), 'r', joblib_group_array(r), "
                      "'s', joblib_group_array(s)) FROM agg"))
    import pandas
    df = pandas.DataFrame(got)
    expect_eq(list(df.columns), ["i", "r", "s"], "columns")
    expect_eq(str(df["i"].dtype), "int64", "i dtype")
    expect_eq(df["s"].tolist(), ["a", "\u00e9", None], "s values")


# ---------------------------------------------------------------------------
# Nesting bundles made by Python: nothing lost, sharing and cycles kept

class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


def python_objects():
    shared = [1, 2]
    arr = np.arange(6.0).reshape(2, 3)
    cyc = [0]
    cyc.append(cyc)
    return {
        "set": {1, 2, 3}, "frozenset": frozenset(["a"]), "complex": 1 + 2j,
        "bytearray": bytearray(b"ab\x00"),
        "scalars": [np.float64(1.5), np.int32(-2), np.str_("h\u00e9"), np.bool_(True)],
        "dates": [datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
                  datetime.timedelta(days=1, seconds=2)],
        "shared": [shared, shared], "arr_twice": [arr, arr],
        "objects": np.array([1, "a", {"k": [1]}, None], dtype=object),
        "matrix": np.matrix([[1, 2]]), "F": np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
        "be": np.array([1.5, -2.0], ">f8"), "point": Point(1, [2]), "cycle": cyc,
        "range": range(3), "big": 2 ** 100, "empty": np.zeros((0, 3)),
    }


@case
def nested_python_bundle():
    obj = python_objects()
    for compress in (0, 3, ("lz4", 1)):
        src = jdump(obj, compress=compress)
        b = q("SELECT joblib_dumps(joblib(?))", src)
        got = load_blob(b)
        expect_eq(sorted(got), sorted(obj), "keys")
        ref = load_blob(src)  # what joblib.load makes of the original (big-endian arrays native)
        for k in obj:
            if k in ("cycle", "arr_twice", "matrix"):
                continue
            same_value(got[k], ref[k], k)
        expect(got["shared"][0] is got["shared"][1], "a shared list stays shared")
        expect(got["cycle"][1] is got["cycle"], "a cycle stays a cycle")
        same_value(got["arr_twice"][0], obj["arr_twice"][0], "array written twice")
        expect_eq(type(got["matrix"]).__name__, "matrix", "matrix subclass")
        # the stream is the one joblib writes for the same object (but for where
        # CPython happens to share one str object between a dict key or module
        # name and a string the pickler makes up: dates, matrix, F)
        exact = {k: v for k, v in obj.items() if k not in ("dates", "matrix", "F")}
        b = q("SELECT joblib_dumps(joblib(?))", jdump(exact, compress=compress))
        expect_eq(b.hex(), jdump(exact).hex(), "bytes of the re-written bundle (compress=%r)" % (compress,))
        # nested one level deeper: inside a list next to SQL values
        got = load_blob(q("SELECT joblib_list(joblib(?), 'after')", src))
        expect(got[0]["shared"][0] is got[0]["shared"][1], "shared inside a list")
        expect_eq(got[1], "after", "sibling")


@case
def nested_ordered_dict():
    # the decoder reads an OrderedDict as a dict (README "Paths, types and values"):
    # it is written back as a dict with the same items in the same order
    od = collections.OrderedDict([("b", 1), ("a", 2)])
    got = load_blob(q("SELECT joblib_dumps(joblib(?))", jdump(od)))
    expect_eq(type(got).__name__, "dict", "type")
    expect_eq(list(got.items()), [("b", 1), ("a", 2)], "items")


@case
def nested_sklearn_estimator():
    try:
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise jltest.Skip("no scikit-learn")
    est = StandardScaler().fit(np.array([[1.0, 2.0], [3.0, 5.0]]))
    src = jdump(est)
    got = load_blob(q("SELECT joblib_dict('model', joblib(?), 'name', 'scaler')", src))
    model = got["model"]
    expect_eq(type(model).__name__, "StandardScaler", "class")
    same_array(model.mean_, est.mean_, "mean_")
    expect(np.allclose(model.transform([[1.0, 2.0]]), est.transform([[1.0, 2.0]])), "transform")


@case
def plain_blob_is_bytes():
    src = jdump([1, 2])
    got = load_blob(q("SELECT joblib_list(?)", src))
    expect_eq(got, [src], "an unmarked BLOB is bytes")
    msg = sql_error(conn(), "SELECT joblib(?)", b"not a bundle")
    expect(msg.startswith("joblib: "), msg)


# ---------------------------------------------------------------------------
# Files: compressors, extensions, mmap, atomicity

METHODS = {  # name: (magic, decompress)
    "zlib": b"\x78", "gzip": b"\x1f\x8b", "bz2": b"BZh", "lzma": b"\x5d\x00", "xz": b"\xfd7zXZ\x00",
    "lz4": b"\x04\x22\x4d\x18",
}
OBJ_SQL = ("joblib_dict('a', joblib_ndarray(?, '<f8', '[3,2]'), 'b', joblib_list(1, 'x', NULL), "
           "'c', joblib_ndarray(?, '>i4'))")


def obj_args():
    return np.arange(6.0).reshape(3, 2).tobytes(), np.arange(3, dtype=">i4").tobytes()


def obj_want():
    return {"a": np.arange(6.0).reshape(3, 2), "b": [1, "x", None], "c": np.arange(3, dtype=">i4")}


def check_file(path, magic, what, level=None, method=None):
    with open(path, "rb") as f:
        data = f.read()
    expect(data.startswith(magic), "%s: starts with %r, want %r" % (what, data[:6], magic))
    got = joblib.load(path)
    want = obj_want()
    want["c"] = want["c"].astype("<i4")  # joblib.load swaps to native
    same_value(got, want, what)
    # the uncompressed stream is the one joblib writes
    expect_eq(jltest.stream(data).hex(), jdump(obj_want()).hex(), what + " stream")
    if method is not None:
        ref = tmp("ref_" + os.path.basename(path))
        joblib.dump(obj_want(), ref, compress=(method, level))
        with open(ref, "rb") as f:
            ref_data = f.read()
        if method in ("zlib", "gzip", "bz2", "xz", "lzma"):
            expect_eq(data.hex(), ref_data.hex(), what + " bytes as joblib.dump compress=(%s, %s)" % (method, level))


for _m in METHODS:
    def _method_case(m=_m):
        path = tmp("c_%s.pkl" % m)
        res = q("SELECT joblib_dump(%s, ?, ?)" % OBJ_SQL, *obj_args(), path, m)
        expect_eq(json.loads(res), [path], "result")
        check_file(path, METHODS[m], "compress=%s" % m, level=3, method=m)
        path = tmp("c9_%s.pkl" % m)
        q("SELECT joblib_dump(%s, ?, ?)" % OBJ_SQL, *obj_args(), path, m + ":9")
        check_file(path, METHODS[m], "compress=%s:9" % m, level=9, method=m)
        # a BLOB from joblib_dumps is the file's bytes
        b = q("SELECT joblib_dumps(%s, ?)" % OBJ_SQL, *obj_args(), m + ":9")
        with open(path, "rb") as f:
            expect_eq(b.hex(), f.read().hex(), "joblib_dumps = file (%s)" % m)
    add_case("compress_" + _m, _method_case)


@case
def extension_picks_method():
    exts = {".z": ("zlib", 3), ".gz": ("gzip", 3), ".bz2": ("bz2", 9), ".lzma": ("lzma", 6),
            ".xz": ("xz", 6), ".lz4": ("lz4", 0)}
    for ext, (m, level) in exts.items():
        path = tmp("e" + ext.replace(".", "_") + ext)
        q("SELECT joblib_dump(%s, ?)" % OBJ_SQL, *obj_args(), path)
        check_file(path, METHODS[m], "extension %s" % ext, level=level, method=m)
        # the same as joblib.dump(obj, path) with no compress argument
        ref = tmp("ref" + ext)
        joblib.dump(obj_want(), ref)
        with open(ref, "rb") as f, open(path, "rb") as g:
            if m != "lz4":
                expect_eq(g.read().hex(), f.read().hex(), "joblib.dump(obj, 'x%s')" % ext)
    # an integer level with an extension keeps the extension's method
    path = tmp("lvl.pkl.bz2")
    q("SELECT joblib_dump(%s, ?, 5)" % OBJ_SQL, *obj_args(), path)
    check_file(path, b"BZh5", "bz2 level 5", level=5, method="bz2")
    # a level without extension is zlib; 0 is none
    path = tmp("lvl.pkl")
    q("SELECT joblib_dump(%s, ?, 5)" % OBJ_SQL, *obj_args(), path)
    check_file(path, b"\x78\x5e", "zlib level 5", level=5, method="zlib")
    q("SELECT joblib_dump(%s, ?, 0)" % OBJ_SQL, *obj_args(), path)
    check_file(path, b"\x80\x04", "none")


@case
def mmap_loading():
    path = tmp("mm.pkl")
    q("SELECT joblib_dump(%s, ?)" % OBJ_SQL, *obj_args(), path)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = joblib.load(path, mmap_mode="r")
    expect_eq([str(x.message) for x in w], [], "warnings")
    expect(isinstance(got["a"], np.memmap), "memmap: %r" % type(got["a"]))
    same_array(np.asarray(got["a"]), obj_want()["a"], "mmap a")
    expect_eq(np.asarray(got["c"]).tolist(), [0, 1, 2], "mmap c")


@case
def failed_writes_leave_nothing():
    d = tmp("fail")
    os.makedirs(d, exist_ok=True)
    keep = os.path.join(d, "keep.pkl")
    q("SELECT joblib_dump(1, ?)", keep)
    before = open(keep, "rb").read()
    c = conn()
    for sql, args, part in [
        ("SELECT joblib_dump(joblib_ndarray(x'00', 'q9'), ?)", (os.path.join(d, "a.pkl"),), "bad dtype"),
        ("SELECT joblib_dump(joblib_ndarray(x'000000', '<f4'), ?)", (keep,), "not a multiple"),
        ("SELECT joblib_dump(joblib_ndarray(zeroblob(12), '<f4', '[2,2]'), ?)", (keep,), "needs 16 bytes"),
        ("SELECT joblib_dump(1, ?, 'snappy')", (keep,), "unknown compressor 'snappy'"),
        ("SELECT joblib_dump(1, ?, 'npy:1')", (keep,), "compress 'npy' takes no level"),
        ("SELECT joblib_dump(1, ?)", (os.path.join(d, "missing", "x.pkl"),), "No such file or directory"),
        ("SELECT joblib_dump(1, ?)", (d,), "is a directory"),
        ("SELECT joblib_dump(1, ?, 0, 7)", (keep,), "protocol must be 2, 3, 4 or 5"),
    ]:
        msg = sql_error(c, sql, *args)
        expect(msg.startswith("joblib:") and part in msg, "%s: %s" % (sql, msg))
    expect_eq(sorted(os.listdir(d)), ["keep.pkl"], "files left")
    expect_eq(open(keep, "rb").read(), before, "previous file untouched")
    # a file size limit while writing (in a child: the limit is per process)
    import subprocess
    code = (
        "import resource, signal, sqlite3, sys\n"
        "sys.path.insert(0, %r)\n"
        "import jltest\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "c = jltest.connect()\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))\n"
        "try:\n"
        "    c.execute('SELECT joblib_dump(zeroblob(100000), ?)', (%r,)).fetchall()\n"
        "except sqlite3.Error as e:\n"
        "    print(e)\n" % (jltest.HERE, keep))
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    expect("joblib: cannot write" in out.stdout and "RLIMIT_FSIZE" in out.stdout,
           "RLIMIT_FSIZE: %r %r" % (out.stdout, out.stderr[-500:]))
    expect_eq(sorted(os.listdir(d)), ["keep.pkl"], "files left after RLIMIT_FSIZE")
    expect_eq(open(keep, "rb").read(), before, "previous file untouched after RLIMIT_FSIZE")


if __name__ == "__main__":
    jltest.run()
