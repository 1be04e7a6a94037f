#!/usr/bin/env python3
"""Bundles found in the wild that the reader once got wrong (issue 12).

Each case reproduces one defect with real joblib / pickle output, or with
the bytes of tests/fixtures/make_wild_fixtures.py (pickles of classes that
are not installed here: old pandas, cloudpickle), made in a temporary
directory at test time. Corpus files ($JL_CORPUS_DIR) are copied to a
temporary directory before they are rewritten; cases that need the corpus
skip when it is absent. Prints 'N passed, N failed'.
"""
import os
import pickle
import shutil
import sys
import tempfile
import warnings

import jltest
jltest.preload()

import json  # noqa: E402

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from joblib.numpy_pickle_compat import read_zfile, write_zfile  # noqa: E402

from jltest import case, expect_eq, one, sql_error  # noqa: E402

sys.path.insert(0, os.path.join(jltest.SOURCE_DIR, "tests", "fixtures"))
import make_wild_fixtures as wild  # noqa: E402

CONN = None
warnings.simplefilter("ignore", DeprecationWarning)  # joblib.load of files older than 0.10


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def corpus(name):
    path = os.path.join(jltest.CORPUS_DIR, name)
    if not os.path.exists(path):
        raise jltest.Skip("corpus file %s is absent" % name)
    return path


def copy_bundle(main, tmp):
    """Copies a corpus main file and its sidecars into tmp; returns the new main path."""
    src = corpus(main)
    for n in os.listdir(jltest.CORPUS_DIR):
        if n == main or n.startswith(main + "_"):
            shutil.copy(os.path.join(jltest.CORPUS_DIR, n), os.path.join(tmp, n))
    return os.path.join(tmp, os.path.basename(src))


def rewrite(path, old, new, zf=False):
    """Renames a GLOBAL module line in a bundle (a ZF one is decompressed first)."""
    with open(path, "rb") as f:
        data = read_zfile(f) if zf else f.read()
    assert old in data, (path, old)
    data = data.replace(old, new)
    with open(path, "wb") as f:
        if zf:
            write_zfile(f, data)
        else:
            f.write(data)


# ---------------------------------------------------------------------------
# 1. wrapper classes under every module name joblib.load resolves

LEGACY_MODULES = [b"joblib.numpy_pickle_compat", b"sklearn.externals.joblib.numpy_pickle",
                  b"sklearn.externals.joblib.numpy_pickle_compat"]


def check_corpus_arrays(path, what, files):
    c = conn()
    expect_eq(one(c, "SELECT joblib_load(?, '$[0]')", path), np.arange(5, dtype="<i8").tobytes(), what + " $[0]")
    expect_eq(one(c, "SELECT joblib_load(?, '$[1]')", path), np.arange(5, dtype="<f8").tobytes(), what + " $[1]")
    expect_eq(json.loads(one(c, "SELECT joblib_load(?, '$[2]')", path)), [1, "abc", {"a": 1, "b": 2}], what + " $[2]")
    expect_eq(one(c, "SELECT type || ' ' || (class LIKE 'numpy.%matrix') FROM joblib_tree(?) WHERE fullkey = '$[4]'",
                  path), "ndarray 1", what + " $[4]")
    info = json.loads(one(c, "SELECT joblib_info(?)", path))
    expect_eq(len(info["files"]), files, what + " files")
    expect_eq([a["path"] for a in info["arrays"]], ["$[0]", "$[1]", "$[2]", "$[4]"], what + " arrays")


def wrapper_case(main, old, module, zf, files, fmt):
    def run():
        for m in [module] if isinstance(module, bytes) else module:
            with tempfile.TemporaryDirectory(prefix="jlwild-") as tmp:
                path = copy_bundle(main, tmp)
                rewrite(path, b"c" + old + b"\n", b"c" + m + b"\n", zf)
                what = "%s as %s" % (main, m.decode())
                if m.startswith(b"joblib.") and "py27" not in main:  # joblib reads it (no sklearn copy here)
                    expect_eq(joblib.load(path)[0].tolist(), [0, 1, 2, 3, 4], what + " joblib.load")
                check_corpus_arrays(path, what, files)
                expect_eq(one(conn(), "SELECT joblib_info(?) ->> 'format'", path), fmt, what + " format")
    return run


jltest.add_case("wrapper NDArrayWrapper (py3) under compat / sklearn modules",
                wrapper_case("joblib_0.9.2_pickle_py34_np19.pkl", b"joblib.numpy_pickle", LEGACY_MODULES,
                             False, 5, "joblib-legacy"))
jltest.add_case("wrapper NDArrayWrapper (py2) under compat / sklearn modules",
                wrapper_case("joblib_0.9.2_pickle_py27_np17.pkl", b"joblib.numpy_pickle", LEGACY_MODULES,
                             False, 5, "joblib-legacy"))
jltest.add_case("wrapper ZNDArrayWrapper under compat / sklearn modules",
                wrapper_case("joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz", b"joblib.numpy_pickle",
                             LEGACY_MODULES, True, 4, "joblib-zf"))
jltest.add_case("wrapper NumpyArrayWrapper under sklearn.externals.joblib.numpy_pickle",
                wrapper_case("joblib_0.10.0_pickle_py34_np19.pkl", b"joblib.numpy_pickle",
                             b"sklearn.externals.joblib.numpy_pickle", False, 1, "joblib"))


# ---------------------------------------------------------------------------
# 2. protocol 0 text lines longer than 64 KiB; the digit bound of INT/LONG

@case
def protocol0_long_str():
    blob = pickle.dumps("a" * 70000, protocol=0)
    expect_eq(one(conn(), "SELECT joblib_load(?)", blob), "a" * 70000, "70000-char str at protocol 0")


@case
def protocol0_array_bytes():
    a = np.arange(10000.)
    blob = pickle.dumps(a, protocol=0)
    expect_eq(one(conn(), "SELECT joblib_load(?)", blob), a.tobytes(), "arange(10000.) at protocol 0")


@case
def protocol0_joblib_dump():
    with tempfile.TemporaryDirectory(prefix="jlwild-") as tmp:
        path = os.path.join(tmp, "p0.pkl")
        joblib.dump(["x" * 70000], path, protocol=0)
        expect_eq(joblib.load(path), ["x" * 70000], "joblib.load")
        expect_eq(one(conn(), "SELECT joblib_load(?, '$[0]')", path), "x" * 70000, "joblib_load")


@case
def int_text_digit_bound():
    c = conn()
    for op in (b"I", b"L"):
        tail = b"L" if op == b"L" else b""
        ok = op + b"1" * 4300 + tail + b"\n."
        expect_eq(one(c, "SELECT joblib_load(?)", ok), "1" * 4300, "%s of 4300 digits" % op)
        neg = op + b"-" + b"7" * 4300 + tail + b"\n."
        expect_eq(one(c, "SELECT joblib_load(?)", neg), "-" + "7" * 4300, "%s of -4300 digits" % op)
        bad = op + b"1" * 4301 + tail + b"\n."
        expect_eq(sql_error(c, "SELECT joblib_load(?)", bad),
                  "joblib: integer text of 4301 digits, more than the limit of 4300 at byte 0 (%s)"
                  % ("INT" if op == b"I" else "LONG"), "%s of 4301 digits" % op)


@case
def text_line_bound_is_max_alloc():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_alloc', 100000)")
    blob = b"V" + b"a" * 100001
    expect_eq(sql_error(c, "SELECT joblib_load(?)", blob),
              "joblib: text argument longer than max_alloc (100000 bytes) at byte 0 (UNICODE): "
              "raise it with joblib_config('max_alloc', N)", "line past max_alloc")
    expect_eq(sql_error(c, "SELECT joblib_load(?)", b"V" + b"a" * 1000),
              "joblib: file is truncated: UNICODE at byte 0 needs a line but the last 1000 bytes have no end of line", "line without its end")


# ---------------------------------------------------------------------------
# 3. joblib_info's offset: null for bytes decoded from text

def info_arrays(src):
    return json.loads(one(conn(), "SELECT joblib_info(?)", src))["arrays"]


@case
def offset_null_for_decoded_array_bytes():
    # joblib wraps only exact ndarray / matrix / memmap: a recarray is pickled by
    # numpy's reducer, its bytes as _codecs.encode(text, 'latin1') below protocol 3
    rec = np.rec.fromarrays([np.arange(3), np.arange(3.)], names="a,b")
    for protocol in (0, 1, 2, 3, 4):
        with tempfile.TemporaryDirectory(prefix="jlwild-") as tmp:
            path = os.path.join(tmp, "rec.pkl")
            joblib.dump([rec, np.arange(4)], path, protocol=protocol)
            with open(path, "rb") as f:
                stream = f.read()
            arrays = info_arrays(path)
            offsets = [a.get("offset") for a in arrays]
            if protocol < 3:
                expect_eq(offsets[0], None, "protocol %d recarray offset" % protocol)
            else:  # BINBYTES: the bytes lie as they are
                off = offsets[0]
                expect_eq(stream[off:off + 48] if off is not None else None, rec.tobytes(),
                          "protocol %d recarray bytes at offset" % protocol)
            off = offsets[1]  # the wrapped array's bytes follow its pickle, at every protocol
            expect_eq(stream[off:off + 32] if off is not None else None, np.arange(4).tobytes(),
                      "protocol %d wrapped array bytes at offset" % protocol)
            expect_eq(one(conn(), "SELECT joblib_load(?, '$[0]')", path), rec.tobytes(), "recarray bytes")


@case
def offset_null_for_plain_pickle_text():
    for protocol in (0, 1, 2):
        blob = pickle.dumps(np.arange(3.), protocol=protocol)
        expect_eq([a.get("offset") for a in info_arrays(blob)], [None], "pickle protocol %d" % protocol)


@case
def offset_null_for_python2_string():
    blob = wild.py2_protocol0_array()
    expect_eq(one(conn(), "SELECT joblib_load(?)", blob), np.arange(3.).tobytes(), "py2 STRING array bytes")
    expect_eq(info_arrays(blob), [{"path": "$", "dtype": "<f8", "shape": [3], "order": "C", "nbytes": 24,
                                   "offset": None}], "py2 STRING array info")
    expect_eq(one(conn(), "SELECT joblib_info(?) ->> 'python'", blob), 2, "python 2")


@case
def offset_kept_for_python2_binstring():
    # the Python 2 corpus files keep small arrays inline as BINSTRING: offsets stay
    path = corpus("joblib_0.8.4_compressed_pickle_py27_np17.gz")
    with open(path, "rb") as f:
        stream = read_zfile(f)
    arrays = info_arrays(path)
    for a, want in zip(arrays[:2], (np.arange(5, dtype="<i8"), np.arange(5, dtype="<f8"))):
        off = a.get("offset")
        expect_eq(stream[off:off + 40] if off is not None else None, want.tobytes(), "corpus %s" % a["path"])


# ---------------------------------------------------------------------------
# 4. ndarray subclasses with extra state (old pandas Index: (ndarray_state, name))

def tree_rows(src):
    return conn().execute("SELECT fullkey, type, class, atom, dtype, shape FROM joblib_tree(?)", (src,)).fetchall()


@case
def old_pandas_index_extra_state():
    for blob, name in ((wild.old_pandas_int64index(), None), (wild.old_pandas_int64index_named(), "ids")):
        expect_eq(tree_rows(blob), [
            ("$", "object", "pandas.core.index.Int64Index", None, None, None),
            ("$.__state__", "tuple", None, None, None, None),
            ("$.__state__[0]", "ndarray", "pandas.core.index.Int64Index", None, "<i8", "[3]"),
            ("$.__state__[1]", "null" if name is None else "str", None, name, None, None),
        ], "tree of Int64Index named %r" % name)
        expect_eq(one(conn(), "SELECT joblib_load(?, '$.__state__[0]')", blob), np.arange(3).tobytes(), "array bytes")
        expect_eq(one(conn(), "SELECT joblib_load(?, '$.__state__[1]')", blob), name, "extra state")
        arrays = json.loads(one(conn(), "SELECT joblib_info(?)", blob))["arrays"]
        expect_eq([(a["path"], a["class"]) for a in arrays], [("$.__state__[0]", "pandas.core.index.Int64Index")],
                  "info arrays")
    expect_eq(one(conn(), "SELECT joblib_show(?)", wild.old_pandas_int64index_named()),
              "$: object pandas.core.index.Int64Index\n"
              "\u2514\u2500\u2500 .__state__: tuple len=2\n"
              "    \u251c\u2500\u2500 [0]: ndarray pandas.core.index.Int64Index <i8 (3,) = [0, 1, 2]\n"
              "    \u2514\u2500\u2500 [1]: str = 'ids'", "joblib_show")


# ---------------------------------------------------------------------------
# 5. protocol 1; Python 2 names; datetime64 past 9999; cloudpickle's classes

@case
def protocol1_inferred():
    c = conn()
    for protocol in range(6):
        blob = pickle.dumps([1, 2.5, "a"], protocol=protocol)
        expect_eq(one(c, "SELECT joblib_info(?) ->> 'protocol'", blob), protocol, "protocol %d" % protocol)
    expect_eq(one(c, "SELECT joblib_info(?) ->> 'protocol'", wild.protocol1_list()), 1, "fixture")
    with tempfile.TemporaryDirectory(prefix="jlwild-") as tmp:
        path = os.path.join(tmp, "p1.pkl")
        joblib.dump({"a": np.arange(3)}, path, protocol=1)
        expect_eq(one(c, "SELECT joblib_info(?) ->> 'protocol'", path), 1, "joblib.dump protocol 1")


@case
def python2_names_mapped_for_display():
    import collections
    c = conn()
    blob = pickle.dumps([list, collections.UserDict({"a": 1}), ValueError("x"), range], protocol=2)
    expect_eq(b"c__builtin__\nlist\n" in blob and b"cUserDict\nIterableUserDict\n" in blob, True, "Python 2 names written")
    rows = c.execute("SELECT fullkey, type, class, atom FROM joblib_tree(?) WHERE fullkey GLOB '$[[]?]'", (blob,)).fetchall()
    expect_eq(rows, [("$[0]", "global", "builtins.list", '"__builtin__.list"'),
                     ("$[1]", "object", "collections.UserDict", None),
                     ("$[2]", "object", "builtins.ValueError", None),
                     ("$[3]", "global", "builtins.range", '"__builtin__.xrange"')], "class column and raw atom")
    expect_eq(one(c, "SELECT joblib_show(?)", blob),
              "$: list len=4\n"
              "\u251c\u2500\u2500 [0]: global builtins.list\n"
              "\u251c\u2500\u2500 [1]: object collections.UserDict\n"
              "\u2502   \u2514\u2500\u2500 .data: dict len=1\n"
              "\u2502       \u2514\u2500\u2500 .a: int = 1\n"
              "\u251c\u2500\u2500 [2]: object builtins.ValueError\n"
              "\u2502   \u2514\u2500\u2500 .__args__: tuple len=1\n"
              "\u2502       \u2514\u2500\u2500 [0]: str = 'x'\n"
              "\u2514\u2500\u2500 [3]: global builtins.range", "joblib_show")
    # protocol 3 and later are not mapped (Python does not either)
    crafted = b"\x80\x03c__builtin__\nlist\n."
    expect_eq(one(c, "SELECT class FROM joblib_tree(?)", crafted), "__builtin__.list", "protocol 3 kept")
    # info's class of an array subclass from a Python 2 file (numpy names are not mapped)
    path = corpus("joblib_0.10.0_pickle_py27_np17.pkl")
    expect_eq(json.loads(one(c, "SELECT joblib_info(?)", path))["arrays"][3]["class"],
              "numpy.matrixlib.defmatrix.matrix", "py2 matrix class")


@case
def datetime64_beyond_9999_as_numpy_prints():
    c = conn()
    a = np.array(["10000-01-01", "2020-01-01", "-0001-01-01"], dtype="M8[D]")
    t = np.array(["10000-01-01T01:02:03.500", "12345-06-07T08:09:10.000"], dtype="M8[ms]")
    d = {"a": a, "t": t, "s": np.datetime64("10000-01-01"), "y": np.array(["12000"], dtype="M8[Y]")}
    blob = pickle.dumps(d, protocol=4)
    want = {k: [str(x) for x in v] if isinstance(v, np.ndarray) else str(v) for k, v in d.items()}
    expect_eq(want["a"], ["10000-01-01", "2020-01-01", "-001-01-01"], "numpy's own text")
    expect_eq(json.loads(one(c, "SELECT joblib_load(?)", blob)), want, "JSON")
    expect_eq(one(c, "SELECT joblib_load(?, '$.s')", blob), "10000-01-01", "scalar")
    expect_eq(one(c, "SELECT joblib_show(?, '$.a')", blob),
              "$.a: ndarray <M8[D] (3,) = ['10000-01-01', '2020-01-01', '-001-01-01']", "joblib_show")


@case
def cloudpickle_class_built_in_pickle():
    c = conn()
    for blob in (wild.cloudpickle2_point(), wild.cloudpickle3_point()):
        expect_eq(c.execute("SELECT fullkey, type, class, atom FROM joblib_tree(?)", (blob,)).fetchall(),
                  [("$", "object", "__main__.Point", None), ("$.x", "int", None, 1), ("$.y", "int", None, 2)],
                  "tree")
        expect_eq(one(c, "SELECT joblib_show(?)", blob),
                  "$: object __main__.Point\n\u251c\u2500\u2500 .x: int = 1\n\u2514\u2500\u2500 .y: int = 2",
                  "joblib_show")
        expect_eq(one(c, "SELECT joblib_load(?, '$.__class__.__args__[1]')", blob), "Point", "class name argument")
        expect_eq(one(c, "SELECT joblib_load(?, '$.__class__.__state__[0].kind')", blob), "point",
                  "class dict reachable")


if __name__ == "__main__":
    jltest.run()
