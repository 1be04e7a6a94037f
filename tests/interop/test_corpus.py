#!/usr/bin/env python3
"""Every main file of joblib's upstream test corpus, read through SQL.

The corpus ($JL_CORPUS_DIR, read in place) holds 43 bundles written by
joblib 0.8.4 - 0.12.2 under Python 2.7 and 3.3 - 3.6, each holding

    [np.arange(5, dtype='<i8'), np.arange(5, dtype='<f8'),
     np.array([1, 'abc', {'a': 1, 'b': 2}], dtype=object),
     bytes(range(256)),                 # a Python 2 str in the py27 files
     np.matrix([0, 1, 2], dtype='<i8'),
     "C'est l'\xe9t\xe9 !"]

plus the sidecar files of the legacy layouts (*_NN.npy, *_NN.npy.z). Every
element is checked in every main file, and joblib_info against what the
file's bytes say (magic, protocol, sidecars). Python's joblib itself cannot
read the 12 Python 2 files; the expectations here come from the list above
and from the bytes. Skips (77) when the corpus is absent.
"""
import os
import re
import sys

import jltest
jltest.preload()

import json  # noqa: E402

import numpy as np  # noqa: E402

from jltest import add_case, case, expect, expect_eq, fail, one  # noqa: E402

SIDECAR = re.compile(r"_\d\d+\.npy(\.z)?$")
TEXT = "C'est l'\xe9t\xe9 !"
CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def corpus_files():
    names = sorted(os.listdir(jltest.CORPUS_DIR))
    mains = [n for n in names if n.startswith("joblib_") and not SIDECAR.search(n)]
    sidecars = {m: sorted(n for n in names if n.startswith(m + "_") and SIDECAR.search(n[len(m):]))
                for m in mains}
    return mains, sidecars


def tree_row(path, fullkey):
    rows = conn().execute("SELECT type, class, dtype, shape, nbytes, value FROM joblib_tree(?) "
                          "WHERE fullkey = ?", (path, fullkey)).fetchall()
    if len(rows) != 1:
        fail("joblib_tree has %d rows with fullkey %s" % (len(rows), fullkey))
        return None
    return rows[0]


def check_file(name, sidecars):
    path = os.path.join(jltest.CORPUS_DIR, name)
    data = open(path, "rb").read()
    comp, zf = jltest.compression_of(data)
    stream = jltest.stream(data)
    q = lambda p: one(conn(), "SELECT joblib_load(?, ?)", path, p)  # noqa: E731

    # the six elements
    expect_eq(q("$[0]"), np.arange(5, dtype="<i8").tobytes(), "$[0] arange(5) <i8")
    expect_eq(q("$[1]"), np.arange(5, dtype="<f8").tobytes(), "$[1] arange(5) <f8")
    expect_eq(q("$[2][0]"), 1, "$[2][0]")
    expect_eq(q("$[2][1]"), "abc", "$[2][1]")
    expect_eq(q("$[2][2].a"), 1, "$[2][2].a")
    expect_eq(q("$[2][2].b"), 2, "$[2][2].b")
    expect_eq(q("$[2][#-1].b"), 2, "$[2][#-1].b")
    expect_eq(q("$[3]"), bytes(range(256)), "$[3] bytes(range(256)) as a BLOB")
    expect_eq(q("$[4]"), np.arange(3, dtype="<i8").tobytes(), "$[4] matrix data")
    expect_eq(q("$[5]"), TEXT, "$[5] text")
    expect_eq(q("$[6]"), None, "$[6] selects nothing")
    expect_eq(one(conn(), "SELECT count(*) FROM joblib_each(?)", path), 6, "six elements")

    obj = tree_row(path, "$[2]")
    if obj:
        expect_eq(obj[0], "ndarray", "$[2] type")
        expect(obj[2] in ("|O", "|O8"), "$[2] dtype %r, want |O" % (obj[2],))
        expect_eq(json.loads(obj[3]) if obj[3] else None, [3], "$[2] shape")
        j = json.loads(obj[5]) if isinstance(obj[5], str) else None
        expect_eq(j, [1, "abc", {"a": 1, "b": 2}], "$[2] value as JSON")
    mat = tree_row(path, "$[4]")
    if mat:
        want_cls = ("numpy.matrixlib.defmatrix.matrix" if b"numpy.matrixlib.defmatrix" in stream
                    else "numpy.matrix")
        expect_eq(mat[0], "ndarray", "$[4] type")
        expect_eq(mat[1], want_cls, "$[4] class")
        expect_eq(mat[2], "<i8", "$[4] dtype")
        expect_eq(json.loads(mat[3]) if mat[3] else None, [1, 3], "$[4] shape")
        expect_eq(mat[4], 24, "$[4] nbytes")
    for k, dt in (("$[0]", "<i8"), ("$[1]", "<f8")):
        r = tree_row(path, k)
        if r:
            expect_eq((r[0], r[2], json.loads(r[3]) if r[3] else None, r[4]),
                      ("ndarray", dt, [5], 40), k + " type, dtype, shape, nbytes")
    r = tree_row(path, "$[3]")
    if r:
        expect_eq(r[0], "bytes" if "py27" not in name else r[0], "$[3] type")
        expect(r[0] in ("bytes", "str"), "$[3] type %r" % (r[0],))
    r = tree_row(path, "$[5]")
    if r:
        expect_eq(r[0], "str", "$[5] type")

    # joblib_info
    text = one(conn(), "SELECT joblib_info(?)", path)
    info = json.loads(text)
    if zf:
        formats = {"joblib-zf", "joblib-legacy"} if sidecars else {"joblib-zf"}
        comps = {"zlib", "zf"}
    else:
        formats = {"joblib-legacy"} if sidecars else {"joblib"}
        comps = {comp}
    expect(info.get("format") in formats, "info.format %r, want %s" % (info.get("format"), formats))
    expect(info.get("compression") in comps,
           "info.compression %r, want %s" % (info.get("compression"), comps))
    expect_eq(stream[0], 0x80, "stream starts with PROTO")
    expect_eq(info.get("protocol"), stream[1], "info.protocol")
    expect_eq(info.get("python"), 2 if "_py27_" in name else 3, "info.python")
    files = sorted(os.path.basename(str(f)) for f in info.get("files", []))
    expect_eq(files, sorted([name] + sidecars), "info.files")
    arrays = {a.get("path"): a for a in info.get("arrays", [])}
    for p, dt, shape, nbytes, raw in (
            ("$[0]", "<i8", [5], 40, np.arange(5, dtype="<i8").tobytes()),
            ("$[1]", "<f8", [5], 40, np.arange(5, dtype="<f8").tobytes()),
            ("$[4]", "<i8", [1, 3], 24, np.arange(3, dtype="<i8").tobytes()),
            ("$[2]", None, [3], None, None)):
        a = arrays.get(p)
        if a is None:
            fail("info.arrays has no %s (has %s)" % (p, sorted(arrays)))
            continue
        if dt:
            expect_eq(a.get("dtype"), dt, "info %s dtype" % p)
        else:
            expect(a.get("dtype") in ("|O", "|O8"), "info %s dtype %r" % (p, a.get("dtype")))
        expect_eq(a.get("shape"), shape, "info %s shape" % p)
        expect_eq(a.get("order"), "C", "info %s order" % p)
        if nbytes is not None:
            expect_eq(a.get("nbytes"), nbytes, "info %s nbytes" % p)
        if a.get("file") is not None:
            expect(os.path.basename(a["file"]) in sidecars,
                   "info %s file %r is not a sidecar of %s" % (p, a["file"], name))
        elif raw is not None:
            off = a.get("offset")
            if not isinstance(off, int):
                fail("info %s has neither file nor offset: %r" % (p, a))
            else:
                expect_eq(stream[off:off + len(raw)], raw, "stream bytes at info %s offset %d" % (p, off))

    # the same bytes as a BLOB: fine without sidecars, a clear error with them
    if sidecars:
        try:
            v = one(conn(), "SELECT joblib_load(?, '$[0]')", data)
            fail("legacy bundle as a BLOB: want an error about sidecars, got %r" % (v,))
        except Exception as e:  # noqa: BLE001
            expect(str(e).startswith("joblib:"), "legacy BLOB error %r" % str(e))
    else:
        expect_eq(one(conn(), "SELECT joblib_load(?, '$[5]')", data), TEXT, "BLOB $[5]")
        expect_eq(one(conn(), "SELECT joblib_load(?, '$[1]')", data),
                  np.arange(5, dtype="<f8").tobytes(), "BLOB $[1]")


if not os.path.isdir(jltest.CORPUS_DIR):
    print("no corpus at %s: skipped" % jltest.CORPUS_DIR)
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(jltest.SKIP)

MAINS, SIDECARS = corpus_files()


@case
def corpus_has_43_main_files():
    expect_eq(len(MAINS), 43, "main files in the corpus")
    expect_eq(sum(len(v) for v in SIDECARS.values()), 23, "sidecar files in the corpus")


for _m in MAINS:
    add_case("corpus " + _m, check_file, _m, SIDECARS[_m])


@case
def compressed_sidecar_opened_alone():
    # a ZF array file of joblib 0.9's compressed layout is raw array bytes,
    # not a pickle: the message names the bundle that reads it
    zs = [(m, n) for m in MAINS for n in SIDECARS[m] if n.endswith(".npy.z")]
    if not expect(len(zs) > 0, "the corpus has compressed sidecars"):
        return
    main, name = zs[0]
    path = os.path.join(jltest.CORPUS_DIR, name)
    msg = jltest.sql_error(conn(), "SELECT joblib_info(?)", path)
    expect(msg.startswith("joblib: not a joblib bundle or pickle: it starts with bytes "), msg)
    expect(msg.endswith("; it is an array file of the legacy bundle '%s' (joblib < 0.10 writes one per array): "
                        "open that file (file '%s')" % (main, path)), msg)


if __name__ == "__main__":
    jltest.run()
