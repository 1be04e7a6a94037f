#!/usr/bin/env python3
"""Compressed bundles decoded as they inflate (issue 14): a bundle whose
stream passes 8 MiB, written by real joblib uncompressed and with every
compressor, answers every question exactly as its uncompressed copy does
(the mapped file is the oracle, and joblib's own offsets check it):
arrays skipped while decoding (C and F order, read whole, by row, as
JSON, through joblib_each and joblib_tree values, extracted), small
arrays, strings and an object array that come after them (offsets in
joblib_info past the skipped payloads, checked against joblib's own), a pandas DataFrame's columns, and
a file cut short after its pickle (damaged, still loads).

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_stream_decode.py
"""
import json
import os

import jltest
jltest.preload()
from jltest import case, expect, expect_eq, one

joblib, np, pd = jltest.require("joblib", "numpy", "pandas")

COMPRESSORS = ["zlib", "gzip", "bz2", "xz"]
try:
    import lz4.frame  # noqa: F401
    COMPRESSORS.append("lz4")
except ImportError:  # pragma: no cover
    pass

rng = np.random.default_rng(14)
OBJ = {
    "big": np.round(rng.standard_normal(1 << 20), 2),                   # 8 MiB, skipped
    "fort": np.asfortranarray(np.arange(600 * 500, dtype=np.int32).reshape(600, 500)),  # 1.2 MB, F order
    "name": "after the big arrays",
    "small": np.arange(10, dtype=np.int16),
    "obj": np.array(["x", 1, None], dtype=object),
    "df": pd.DataFrame({"amount": np.arange(200_000, dtype=np.float64) / 4,
                        "n": np.arange(200_000, dtype=np.int64)}),
    "tail": [1.5, "z", b"\x00\x01"],
}

QUERIES = [
    "SELECT json_extract(joblib_info(?1), '$.arrays')",
    "SELECT json_extract(joblib_info(?1), '$.stream_size')",
    "SELECT json_extract(joblib_info(?1), '$.frames')",
    "SELECT count(*) FROM joblib_tree(?1)",
    "SELECT group_concat(fullkey || ':' || type, ',') FROM joblib_tree(?1)",
    "SELECT joblib_load(?1, '$.big')",
    "SELECT joblib_load(?1, '$.big[123456]')",
    "SELECT joblib_load(?1, '$.fort')",
    "SELECT joblib_json(?1, '$.fort[599]')",
    "SELECT joblib_load(?1, '$.name')",
    "SELECT joblib_load(?1, '$.small')",
    "SELECT joblib_json(?1, '$.obj')",
    "SELECT joblib_json(?1, '$.tail')",
    "SELECT joblib_load(?1, '$.df.amount[199999]')",
    "SELECT joblib_extract(?1, '$.fort')",
    "SELECT group_concat(key || '=' || length(value), ',') FROM joblib_each(?1)",
    "SELECT sum(length(value)) FROM joblib_tree(?1) WHERE type = 'ndarray'",
    "SELECT substr(joblib_show(?1), 1, 400)",
    "SELECT count(*) || ' ' || sum(value) FROM joblib_each(?1, '$.big')",
    "SELECT sum(length(value)) FROM joblib_each(?1, '$.fort')",
    "SELECT value FROM joblib_tree(?1) WHERE fullkey = '$.name'",
]


def files():
    base = jltest.TempDir.path("stream")
    if not os.path.exists(base + ".none"):
        offsets = jltest.dump(OBJ, base + ".none")
        for c in COMPRESSORS:
            joblib.dump(OBJ, base + "." + c, compress=(c, 1))
        files.offsets = offsets
    return base


def answers(con, src):
    out = []
    for q in QUERIES:
        try:
            out.append(one(con, q, src))
        except Exception as e:  # noqa: BLE001 - the error is the answer
            out.append("error: %s" % e)
    return out


def check(comp):
    base = files()
    con = jltest.shared_conn()
    want = answers(con, base + ".none")
    got = answers(con, base + "." + comp)
    for q, w, g in zip(QUERIES, want, got):
        if isinstance(w, str) and w.startswith("error"):
            jltest.fail("the uncompressed oracle failed: %s: %s" % (q, w))
        expect_eq(g, w, "%s on %s" % (q, comp))
    info = json.loads(one(con, "SELECT joblib_info(?)", base + "." + comp))
    expect_eq(info["compression"], comp, "compression")
    offs = {a["path"]: a["offset"] for a in info["arrays"]}
    expect_eq(offs["$.big"], files.offsets[id(OBJ["big"])][0], "offset of $.big")
    expect_eq(offs["$.fort"], files.offsets[id(OBJ["fort"])][0], "offset of $.fort (after a skipped payload)")
    expect_eq(offs["$.small"], files.offsets[id(OBJ["small"])][0], "offset of $.small (after two)")
    expect_eq(offs["$.obj"], None, "offset of $.obj (object arrays have none)")


def cut_after_pickle():
    """A zlib file without its last 4 bytes (the Adler-32): loads, damaged."""
    base = files()
    data = open(base + ".zlib", "rb").read()
    path = jltest.TempDir.path("cut.zlib")
    with open(path, "wb") as f:
        f.write(data[:-4])
    con = jltest.shared_conn()
    info = json.loads(one(con, "SELECT joblib_info(?)", path))
    expect(info["damaged"] and info["damaged"].startswith("the zlib stream stops after %d compressed bytes"
                                                          % (len(data) - 4)), "damaged: %r" % info["damaged"])
    expect_eq(one(con, "SELECT joblib_load(?, '$.big')", path), OBJ["big"].tobytes(), "$.big of the cut file")
    expect_eq(one(con, "SELECT joblib_load(?, '$.name')", path), OBJ["name"], "$.name of the cut file")


def bz2_many_arrays():
    """bz2 at level 9 (900 kB blocks), 24 arrays of 512 KiB: after the
    first statement, each array read through the block index (issue 14),
    last first, equals numpy's bytes and the uncompressed copy."""
    r = np.random.default_rng(15)
    obj = {"a%02d" % i: np.round(r.standard_normal(1 << 16), 3) for i in range(24)}
    obj["tail"] = "after"
    path = jltest.TempDir.path("many.bz2")
    plain = jltest.TempDir.path("many.none")
    joblib.dump(obj, path, compress=("bz2", 9))
    joblib.dump(obj, plain)
    con = jltest.shared_conn()
    info = json.loads(one(con, "SELECT joblib_info(?)", path))
    expect_eq(info["compression"], "bz2", "compression")
    expect_eq(len(info["arrays"]), 24, "arrays")
    for i in list(range(23, -1, -1)) + [0, 12, 23]:
        k = "a%02d" % i
        got = one(con, "SELECT joblib_load(?, '$.%s')" % k, path)
        expect_eq(got, obj[k].tobytes(), "$.%s of the bz2 bundle" % k)
        expect_eq(got, one(con, "SELECT joblib_load(?, '$.%s')" % k, plain), "$.%s against the uncompressed copy" % k)
    expect_eq(one(con, "SELECT joblib_json(?, '$.a17[40000]')", path), json.dumps(float(obj["a17"][40000])),
              "$.a17[40000]")
    expect_eq(one(con, "SELECT sum(length(value)) FROM joblib_tree(?) WHERE type = 'ndarray'", path), 24 << 19,
              "all arrays through joblib_tree")
    expect_eq(one(con, "SELECT joblib_load(?, '$.tail')", path), "after", "$.tail")


for c in COMPRESSORS:
    jltest.add_case("stream_" + c, check, c)
case(cut_after_pickle)
case(bz2_many_arrays)

if __name__ == "__main__":
    jltest.run()
