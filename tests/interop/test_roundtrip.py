#!/usr/bin/env python3
"""Round trips: read a bundle with the extension, write it back, load it in
Python, and read the rewrite with the extension again.

For every main file of joblib's upstream corpus ($JL_CORPUS_DIR, read in
place: 43 files, sidecars *_NN.npy / *_NN.npy.z skipped) and for bundles
made here with real joblib.dump (every dtype kind, nested containers,
shared references, self-referencing containers, numpy scalars and dtypes,
object arrays, a fitted sklearn StandardScaler; each at protocols 2-5):

  1. joblib_dumps(joblib_extract(src, '$')) loads in Python equal to what
     joblib.load(src) returns: same types, dtypes, shapes, memory order,
     values, and the same sharing of references (for the Python 2 corpus
     files, which joblib refuses, equal to their known content instead);
  2. joblib_tree over the rewrite gives the same rows as over the source
     (key, type, atom, fullkey, dtype, shape, value; BLOBs compared as hex);
  3. the same with joblib_dump(..., 'npy'): the legacy layout of joblib
     < 0.10, a main pickle plus one .npy sidecar per non-object array;
     joblib.load reads it (with its DeprecationWarning), each sidecar is
     byte for byte what numpy.save writes for its array, and joblib_info
     says 'joblib-legacy' and lists the files written.

Cases over the corpus skip when it is absent; the rest still run. Prints
"N passed, N failed"; exit 77 only when every case skipped.
"""
import os
import re
import sys

import jltest
jltest.preload()

import collections  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import pickletools  # noqa: E402
import warnings  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402

from jltest import Skip, add_case, case, expect, expect_eq, fail, one, sql_error  # noqa: E402

SIDECAR = re.compile(r"_\d\d+\.npy(\.z)?$")
CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def tmp(*parts):
    p = jltest.TempDir.path(*parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def load(path):
    """joblib.load, without the DeprecationWarning of legacy files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return joblib.load(path)


# ---------------------------------------------------------------------------
# Deep equality of Python values, with identity

class Diff(Exception):
    pass


def _float_eq(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _array_eq(a, b, where, seen, opts):
    if a.dtype != b.dtype:
        raise Diff("%s: dtype %r != %r" % (where, b.dtype, a.dtype))
    # (the .npy format has no place for numpy's align flag: np.save and
    # np.load lose it too, so the legacy layout does)
    if a.dtype.isalignedstruct != b.dtype.isalignedstruct and not opts.get("legacy"):
        raise Diff("%s: aligned struct %r != %r" % (where, b.dtype.isalignedstruct, a.dtype.isalignedstruct))
    if a.dtype.byteorder != b.dtype.byteorder and a.dtype.itemsize > 1 and a.dtype.fields is None:
        raise Diff("%s: byte order %r != %r" % (where, b.dtype.byteorder, a.dtype.byteorder))
    if a.shape != b.shape:
        raise Diff("%s: shape %r != %r" % (where, b.shape, a.shape))
    fa = a.flags.f_contiguous and not a.flags.c_contiguous
    fb = b.flags.f_contiguous and not b.flags.c_contiguous
    if fa != fb:
        raise Diff("%s: F order %r != %r" % (where, fb, fa))
    if a.dtype.fields is not None:
        # field by field: the padding bytes between fields are whatever
        # memory joblib.load's copy left there
        for name in a.dtype.names:
            _array_eq(np.ascontiguousarray(a[name]), np.ascontiguousarray(b[name]),
                      "%s[%r]" % (where, name), seen, opts)
        return
    if a.dtype.hasobject:
        for i, (x, y) in enumerate(zip(a.ravel(order="K"), b.ravel(order="K"))):
            deq(x, y, "%s.flat[%d]" % (where, i), seen, opts)
        return
    # the bytes as they lie in memory (NaN payloads, -0.0, padding of records)
    if a.tobytes(order="A") != b.tobytes(order="A"):
        raise Diff("%s: data differs: %r != %r" % (where, b, a))


def deq(a, b, where="$", seen=None, opts=None):
    """Raises Diff unless b equals a: same types, values, and b shares
    objects exactly where a does (seen maps id(a part) -> id(b part)).
    opts: unordered (dict key order not compared), legacy (b comes from
    the .npy layout)."""
    if seen is None:
        seen = {}
    if opts is None:
        opts = {}
    # An OrderedDict reads as a dict (README "Paths, types and values", known reductions), so
    # the rewrite holds a dict: expected.
    if type(a) is collections.OrderedDict and type(b) is dict:
        a = dict(a)
    if type(a) is not type(b):
        raise Diff("%s: type %s != %s (%r vs %r)" % (where, type(b).__name__, type(a).__name__,
                                                      jltest.short(b, 60), jltest.short(a, 60)))
    if isinstance(a, (list, dict, set, np.ndarray)) or hasattr(a, "__dict__"):
        if id(a) in seen:
            if seen[id(a)] != id(b):
                raise Diff("%s: shared in the source, a separate copy here" % where)
            return
        if id(b) in seen.values():
            raise Diff("%s: a separate object in the source, shared here" % where)
        seen[id(a)] = id(b)
    if isinstance(a, np.ndarray):
        return _array_eq(a, b, where, seen, opts)
    if isinstance(a, np.generic):
        if a.dtype != b.dtype or a.tobytes() != b.tobytes():
            raise Diff("%s: scalar %r != %r" % (where, b, a))
        return
    if isinstance(a, float):
        if not _float_eq(a, b):
            raise Diff("%s: %r != %r" % (where, b, a))
        return
    if isinstance(a, complex):
        if not (_float_eq(a.real, b.real) and _float_eq(a.imag, b.imag)):
            raise Diff("%s: %r != %r" % (where, b, a))
        return
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise Diff("%s: length %d != %d" % (where, len(b), len(a)))
        for i, (x, y) in enumerate(zip(a, b)):
            deq(x, y, "%s[%d]" % (where, i), seen, opts)
        return
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if (set(ka) != set(kb)) if opts.get("unordered") else (ka != kb):
            raise Diff("%s: keys %r != %r" % (where, kb, ka))
        for k in ka:
            deq(a[k], b[k], "%s[%r]" % (where, k), seen, opts)
        return
    if isinstance(a, (set, frozenset)):
        if a != b:
            raise Diff("%s: %r != %r" % (where, b, a))
        return
    if hasattr(a, "__dict__") and not isinstance(a, type):
        deq(vars(a), vars(b), where + ".__dict__", seen, opts)
        return
    if a != b:
        raise Diff("%s: %r != %r" % (where, jltest.short(b), jltest.short(a)))


def expect_deq(want, got, what, **opts):
    try:
        deq(want, got, "$", None, opts)
        return True
    except Diff as e:
        fail("%s: %s" % (what, e))
        return False


# ---------------------------------------------------------------------------
# What the extension says about a bundle

TREE_SQL = ("SELECT key, type, atom, fullkey, dtype, shape, "
            "CASE WHEN typeof(value) = 'blob' THEN 'x' || hex(value) ELSE value END "
            "FROM joblib_tree(?)")


# Python 2 module names that CPython's pickler writes for protocols 0-2
# (fix_imports) and that a reader keeps as written; a rewrite at protocol
# 3+ spells them the Python 3 way: expected, so both sides are compared in
# Python 3 spelling.
PY2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}


def _py3_names(v):
    if not isinstance(v, str):
        return v
    for old, new in PY2_MODULES.items():
        v = v.replace('"%s.' % old, '"%s.' % new)
        if v.startswith(old + "."):
            v = new + v[len(old):]
    return v


def tree(src):
    return [r[:2] + (_py3_names(r[2]),) + r[3:6] + (_py3_names(r[6]),)
            for r in conn().execute(TREE_SQL, (src,)).fetchall()]


def expect_same_tree(want, got, what):
    """joblib_tree rows of the rewrite equal those of the source."""
    if want == got:
        return True
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            fail("%s: joblib_tree row %d differs:\n  source  %s\n  rewrite %s"
                 % (what, i, jltest.short(w, 300), jltest.short(g, 300)))
            return False
    fail("%s: %d joblib_tree rows, the source has %d" % (what, len(got), len(want)))
    return False


def rewrite_blob(src, *args):
    """joblib_dumps(joblib_extract(src, '$') [, compress [, protocol]])."""
    marks = ", ".join("?" for _ in args)
    sql = "SELECT joblib_dumps(joblib_extract(?, '$')%s)" % (", " + marks if args else "")
    return one(conn(), sql, src, *args)


def rewrite_npy(src, dest, protocol=None):
    """joblib_dump(joblib_extract(src, '$'), dest, 'npy' [, protocol]): the list of files."""
    if protocol is None:
        text = one(conn(), "SELECT joblib_dump(joblib_extract(?, '$'), ?, 'npy')", src, dest)
    else:
        text = one(conn(), "SELECT joblib_dump(joblib_extract(?, '$'), ?, 'npy', ?)", src, dest, protocol)
    return json.loads(text)


def pickle_ops(data):
    """(opcode name, argument) pairs of a pickle; raises on a broken one."""
    return [(op.name, arg) for op, arg, _ in pickletools.genops(data)]


def check_legacy_files(dest, files, protocol, what):
    """The files of a compress='npy' dump: names, main pickle, sidecars."""
    expect_eq(files[0] if files else None, dest, what + ": first file is dest")
    for k, f in enumerate(files[1:], 1):
        expect_eq(f, "%s_%02d.npy" % (dest, k), what + ": sidecar %d name" % k)
    d = os.path.dirname(dest)
    expect_eq(sorted(os.path.join(d, n) for n in os.listdir(d)), sorted(files), what + ": files in the directory")
    data = open(dest, "rb").read()
    expect_eq(data[:2], bytes([0x80, protocol]), what + ": PROTO")
    try:
        ops = pickle_ops(data)
    except Exception as e:  # noqa: BLE001
        fail("%s: main file is not a valid pickle: %s" % (what, e))
        return
    # every NDArrayWrapper names its sidecar, in order
    names = [a for op, a in ops if op in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8")
             and isinstance(a, str) and SIDECAR.search(a)]
    expect_eq(names, [os.path.basename(f) for f in files[1:]], what + ": sidecar names in the pickle")
    # (the global is memoized: written once, then fetched)
    wrapper = any(a in ("NDArrayWrapper", "joblib.numpy_pickle NDArrayWrapper") for _, a in ops)
    expect_eq(wrapper, len(files) > 1, what + ": NDArrayWrapper global")
    expect(not any(a == "NumpyArrayWrapper" or a == "joblib.numpy_pickle NumpyArrayWrapper" for _, a in ops),
           what + ": no NumpyArrayWrapper in the legacy layout")
    # each sidecar is what numpy.save writes for the array it holds
    import io
    for f in files[1:]:
        raw = open(f, "rb").read()
        arr = np.load(f, allow_pickle=False)
        out = io.BytesIO()
        np.save(out, arr)
        expect_eq(out.getvalue(), raw, what + ": %s is numpy.save's bytes" % os.path.basename(f))
    # our reader: the legacy layout and its files
    info = json.loads(one(conn(), "SELECT joblib_info(?)", dest))
    # (without sidecars nor joblib wrappers it is a plain pickle)
    expect_eq(info.get("format"), "joblib-legacy" if len(files) > 1 else "pickle", what + ": info.format")
    expect_eq(info.get("protocol"), protocol, what + ": info.protocol")
    expect_eq(sorted(info.get("files", [])), sorted(files), what + ": info.files")
    # info.arrays has no entries for arrays inside object arrays: the
    # others name their sidecars in order
    sidecar_arrays = [a.get("file") for a in info.get("arrays", []) if a.get("file")]
    it = iter(files[1:])
    expect(all(f in it for f in sidecar_arrays), what + ": info.arrays files %r not in the order of %r"
           % (sidecar_arrays, files[1:]))
    # joblib.load warns about the old layout, as for any file of joblib < 0.10
    if len(files) > 1:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            joblib.load(dest)
        expect(any(issubclass(x.category, DeprecationWarning) and "less than 0.10" in str(x.message) for x in w),
               what + ": joblib.load's DeprecationWarning for the old layout: %r" % [str(x.message) for x in w])


# ---------------------------------------------------------------------------
# The corpus

# The content of every corpus file. In the Python 2 files the strings are
# Python 2 str: 'abc' is ASCII, so it reads (and is rewritten) as a str;
# bytes(range(256)) is not, so it reads and is rewritten as bytes. Their
# dict may have been pickled as {'b': 2, 'a': 1}: compared without key
# order. The joblib_tree rows are the same on both sides.
CORPUS_CONTENT = [np.arange(5, dtype="<i8"), np.arange(5, dtype="<f8"),
                  np.array([1, "abc", {"a": 1, "b": 2}], dtype=object),
                  bytes(range(256)), np.matrix([0, 1, 2], dtype="<i8"), "C'est l'\xe9t\xe9 !"]


def corpus_mains():
    if not os.path.isdir(jltest.CORPUS_DIR):
        return []
    names = sorted(os.listdir(jltest.CORPUS_DIR))
    return [n for n in names if n.startswith("joblib_") and not SIDECAR.search(n)]


def corpus_case(name):
    if not os.path.isdir(jltest.CORPUS_DIR):
        raise Skip("no corpus at %s" % jltest.CORPUS_DIR)
    src = os.path.join(jltest.CORPUS_DIR, name)
    py2 = json.loads(one(conn(), "SELECT joblib_info(?)", src)).get("python") == 2
    expect_eq(py2, "_py27_" in name, "Python 2 file")
    if py2:
        # joblib refuses Python 2 pickles: the known content stands in
        try:
            load(src)
            fail("joblib.load read a Python 2 file: the test's premise is wrong")
        except ValueError:
            pass
        want, unordered = CORPUS_CONTENT, True
    else:
        want, unordered = load(src), False
        expect_deq(CORPUS_CONTENT, want, "joblib.load(source) vs the known content", unordered=True)
    src_tree = tree(src)
    # the list, its 6 items, and the object array's 3 elements and the dict's 2 entries
    expect_eq(len(src_tree), 12, "joblib_tree rows of the source")

    blob = rewrite_blob(src)
    path = tmp("corpus", name + ".rt.pkl")
    with open(path, "wb") as f:
        f.write(blob)
    expect_deq(want, load(path), "joblib.load(rewrite)", unordered=unordered)
    expect_same_tree(src_tree, tree(blob), "rewrite")

    # the legacy layout: two sidecars for the arrays, one for the matrix;
    # the object array is pickled inline
    dest = tmp("corpus-npy-" + name, "main.pkl")
    files = rewrite_npy(src, dest)
    expect_eq(len(files), 4, "npy: files written")
    check_legacy_files(dest, files, 4, "npy")
    expect_deq(want, load(dest), "joblib.load(npy rewrite)", unordered=unordered, legacy=True)
    expect_same_tree(src_tree, tree(dest), "npy rewrite")


@case
def corpus_has_43_main_files():
    if not os.path.isdir(jltest.CORPUS_DIR):
        raise Skip("no corpus at %s" % jltest.CORPUS_DIR)
    expect_eq(len(corpus_mains()), 43, "main files in the corpus")


for _m in corpus_mains() or ["(corpus absent)"]:
    add_case("corpus " + _m, corpus_case, _m)


# ---------------------------------------------------------------------------
# Bundles made here with joblib.dump

class Plain:
    """An instance pickled as NEWOBJ + BUILD of its __dict__."""
    def __init__(self, **kw):
        self.__dict__.update(kw)


def dtype_arrays():
    r = np.arange(6)
    out = collections.OrderedDict()
    for dt in ["?", "i1", "<i2", "<i4", "<i8", ">i2", ">i4", ">i8", "u1", "<u2", "<u4", "<u8", ">u4",
               "<f2", "<f4", "<f8", ">f4", ">f8", np.longdouble, "<c8", "<c16", ">c16", np.clongdouble]:
        out[np.dtype(dt).str] = (r * 7 - 3).astype(dt)
    out["nan"] = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-310])
    out["S5"] = np.array([b"ab", b"", b"\x00\xffz"], dtype="S5")
    out["U3"] = np.array(["\xe9t\xe9", "", "\u20ac"], dtype="<U3")
    out[">U2"] = np.array(["ab", "c"], dtype=">U2")
    out["V4"] = np.frombuffer(b"\x01\x02\x03\x04\x05\x06\x07\x08", dtype="V4")
    out["M8[ns]"] = np.array(["2020-01-01T00:00:00.123456789", "NaT"], dtype="<M8[ns]")
    out["M8[D]"] = np.array(["1970-01-02", "2038-01-19"], dtype="M8[D]")
    out[">M8[s]"] = np.array(["2001-02-03T04:05:06"], dtype=">M8[s]")
    out["m8[5s]"] = np.array([1, -2], dtype="m8[5s]")
    out["m8"] = np.array([3], dtype="m8")
    out["record"] = np.zeros(3, dtype=[("x", "<i4"), ("y", ">f8", (2,)), ("s", "S3")])
    out["record"]["x"] = [1, 2, 3]
    out["record"]["y"] = [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]
    out["nested"] = np.ones(2, dtype=[("n", [("p", "u1"), ("q", "<i8")]), ("u", "<U2")])
    out["aligned"] = np.zeros(2, dtype=np.dtype([("a", "u1"), ("b", "<i4")], align=True))
    out["titled"] = np.zeros(2, dtype=[(("title", "t"), "<i2")])
    out["F"] = np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4))
    out["F3"] = np.asfortranarray(np.arange(24, dtype=">i2").reshape(2, 3, 4))
    out["0d"] = np.array(2.5)
    out["empty"] = np.zeros((0, 3))
    out["strided"] = np.arange(20)[::3]
    out["matrix"] = np.matrix([[1, 2], [3, 4]], dtype="<i8")
    return dict(out)


def containers():
    return {"list": [1, -1, 2**63, -2**64 - 5, 2**200, 0.5, float("nan"), -0.0, True, False, None],
            "tuple": (1, (2, (3, ())), "t"),
            "dict": {1: "int key", (1, "a"): "tuple key", None: "none", 2.5: "float", "k": {"deep": [[[]]]}},
            "set": {1, "a", (2, 3)}, "frozenset": frozenset({b"x", 2}),
            "str": "\xe9\u20ac\U0001f600", "bytes": b"\x00\xff", "bytearray": bytearray(b"ba"),
            "complex": 1.5 - 2j, "empty": [[], {}, (), set(), "", b""],
            "obj": Plain(a=1, b=[1, 2], c=np.arange(3)), "global": np.ndarray, "func": len,
            "ordered": collections.OrderedDict([("z", 1), ("a", 2)])}


def shared_refs():
    s = [1, 2]
    t = (s, "x")
    d = {"k": s}
    a = np.arange(4)
    # joblib writes an array at each occurrence: it loads as two arrays
    # on both sides (the memo holds the wrapper, not the array)
    return {"s1": s, "s2": s, "t1": t, "t2": t, "d": d, "dd": [d, d], "a1": a, "a2": a}


def self_refs():
    lst = [1, "a"]
    lst.append(lst)
    d = {"x": 1}
    d["me"] = d
    inner = [lst, d]
    return [lst, d, inner, inner]


def object_arrays():
    o2 = np.empty((2, 2), dtype=object)
    o2[0, 0], o2[0, 1], o2[1, 0], o2[1, 1] = 1, "two", [3.0], {"four": 4}
    withnp = np.empty(3, dtype=object)
    withnp[0], withnp[1], withnp[2] = np.arange(3), np.array(["a"]), None
    itself = np.empty(2, dtype=object)  # an object array that contains itself
    itself[0], itself[1] = itself, "x"
    return {"mixed": np.array([1, "abc", {"a": 1}, None, (1, 2)], dtype=object), "2d": o2, "itself": itself,
            "F": np.asfortranarray(o2), "withnp": withnp, "floats": np.array([1.5, float("nan")], dtype=object),
            "record_obj": np.array([(1, "x")], dtype=[("i", "<i4"), ("o", "O")])}


def scalars():
    return [np.float64(1.5), np.float32(-0.0), np.int32(-3), np.uint64(2**64 - 1), np.bool_(True),
            np.str_("\xe9"), np.bytes_(b"y"), np.datetime64("2020-01-01"), np.timedelta64(5, "s"),
            np.complex64(1 + 2j), np.longdouble(1) / 3, np.dtype("<f4"), np.dtype(">i8"),
            np.dtype([("a", "i4"), ("b", "S2")]), np.dtype("M8[ns]")]


def sklearn_scaler():
    from sklearn.preprocessing import StandardScaler
    x = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 9.0]])
    return StandardScaler().fit(x)


GENERATED = [("dtypes", dtype_arrays), ("containers", containers), ("shared", shared_refs),
             ("selfref", self_refs), ("objects", object_arrays), ("scalars", scalars),
             ("sklearn", sklearn_scaler)]


def generated_case(name, make, protocol):
    obj = make()
    src = tmp("gen", "%s_p%d.pkl" % (name, protocol))
    joblib.dump(obj, src, protocol=protocol)
    want = load(src)
    # joblib itself keeps the object: the reference for the rewrites
    expect_deq(want, load(src), "joblib.load twice")
    src_tree = tree(src)
    expect(len(src_tree) > 1, "joblib_tree rows of the source")

    # the default rewrite (protocol 4) and one at the source's protocol
    for args in [(), (0, protocol)]:
        what = "rewrite%s" % (" at protocol %d" % protocol if args else "")
        blob = rewrite_blob(src, *args)
        expect_eq(blob[:2], bytes([0x80, args[1] if args else 4]), what + ": PROTO")
        path = tmp("gen", "%s_p%d_rt%d.pkl" % (name, protocol, len(args)))
        with open(path, "wb") as f:
            f.write(blob)
        expect_deq(want, load(path), "joblib.load(%s)" % what)
        expect_same_tree(src_tree, tree(blob), what)

    # the legacy layout at the source's protocol
    dest = tmp("gen-npy-%s-p%d" % (name, protocol), "main.pkl")
    files = rewrite_npy(src, dest, protocol)
    check_legacy_files(dest, files, protocol, "npy")
    expect_deq(want, load(dest), "joblib.load(npy rewrite)", legacy=True)
    expect_same_tree(src_tree, tree(dest), "npy rewrite")
    return files


for _name, _make in GENERATED:
    for _p in (2, 3, 4, 5):
        add_case("generated %s protocol %d" % (_name, _p), generated_case, _name, _make, _p)


# ---------------------------------------------------------------------------
# compress='npy' specifics

@case
def npy_sidecars_in_pickling_order():
    # arrays (also inside an object array) get sidecars in pickling order,
    # an array met twice gets two; object arrays stay inline
    a = np.arange(3, dtype="<i2")
    o = np.empty(2, dtype=object)
    o[0], o[1] = np.array([7.5]), "s"
    src = tmp("order", "src.pkl")
    joblib.dump([a, {"o": o, "b": np.array([b"q"])}, a], src)
    dest = tmp("order-npy", "m.pkl")
    files = rewrite_npy(src, dest)
    check_legacy_files(dest, files, 4, "order")
    expect_eq(len(files), 5, "main + 4 sidecars")
    loaded = [np.load(f) for f in files[1:]]
    expect_eq([x.dtype.str for x in loaded], ["<i2", "<f8", "|S1", "<i2"], "sidecar dtypes in pickling order")
    got = load(dest)
    expect(got[0] is not got[2], "an array met twice loads as two arrays, as joblib writes it")
    expect_deq(load(src), got, "joblib.load")


@case
def npy_default_protocol_and_no_arrays():
    dest = tmp("noarr", "x.pkl")
    files = json.loads(one(conn(), "SELECT joblib_dump(json('{\"a\":[1,2]}'), ?, 'npy')", dest))
    expect_eq(files, [dest], "no arrays: only the main file")
    expect_eq(open(dest, "rb").read()[:2], b"\x80\x04", "default protocol 4")
    expect_eq(load(dest), {"a": [1, 2]}, "joblib.load")
    expect_eq(json.loads(one(conn(), "SELECT joblib_info(?)", dest)).get("format"), "pickle", "info.format")
    # a relative dest: the names stay relative, as joblib.dump's list does
    cwd = os.getcwd()
    os.chdir(os.path.dirname(tmp("rel", "x")))
    try:
        files = json.loads(one(conn(), "SELECT joblib_dump(joblib_ndarray(x'0102', '|u1'), 'r.pkl', 'npy')"))
        expect_eq(files, ["r.pkl", "r.pkl_01.npy"], "relative names")
        expect_eq(load("r.pkl").tolist(), [1, 2], "joblib.load of a relative legacy bundle")
        # a sidecar name is stored without the directory: moving the pair
        # together keeps it readable
        os.makedirs("moved", exist_ok=True)
        for f in files:
            os.rename(f, os.path.join("moved", f))
        expect_eq(load(os.path.join("moved", "r.pkl")).tolist(), [1, 2], "moved together")
        expect_eq(one(conn(), "SELECT hex(joblib_load('moved/r.pkl'))"), "0102", "our reader, moved")
    finally:
        os.chdir(cwd)


@case
def npy_errors_write_nothing():
    d = os.path.dirname(tmp("npyfail", "x"))
    dest = os.path.join(d, "m.pkl")
    # a directory where the second sidecar goes: nothing at all is written
    os.makedirs(dest + "_02.npy")
    c = conn()
    msg = sql_error(c, "SELECT joblib_dump(joblib_list(joblib_ndarray(x'01', '|u1'), "
                       "joblib_ndarray(x'02', '|u1')), ?, 'npy')", dest)
    expect(msg.startswith("joblib:") and "m.pkl_02.npy" in msg, "error naming the sidecar: %r" % msg)
    expect_eq(sorted(os.listdir(d)), ["m.pkl_02.npy"], "files left after a failed npy dump")
    for sql, args, part in [
        ("SELECT joblib_dumps(1, 'npy')", (), "joblib_dumps: compress 'npy' (the legacy layout with .npy sidecar files) is supported by joblib_dump only"),
        ("SELECT joblib_dump(1, ?, 'npy:3')", (dest,), "compress 'npy' takes no level"),
        ("SELECT joblib_dump(1, ?, 'npy', 6)", (dest,), "protocol must be 2, 3, 4 or 5"),
        ("SELECT joblib_dump(1, ?, 'npy')", (d + "/",), "names a directory"),
    ]:
        msg = sql_error(c, sql, *args)
        expect(msg.startswith("joblib:") and part in msg, "%s: %r" % (sql, msg))
    expect_eq(sorted(os.listdir(d)), ["m.pkl_02.npy"], "files left after the errors")


if __name__ == "__main__":
    jltest.run()
