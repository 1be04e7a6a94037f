#!/usr/bin/env python3
"""xz files of many Blocks read by their own Index (issue 14,
codec/io/xz_index.c): a bundle written by real joblib uncompressed (over
8 MiB, so it is decoded as it inflates and its big arrays are read on
demand), recompressed by the `xz` command with --block-size=1MiB, single-
and multi-threaded, and named .xz. joblib.load reads each file; every
array read through SQL equals the uncompressed copy's, whether it is the
first statement on the file or comes after others on the same connection
(the cached structure, whose reads go through the Index), in file order
and backwards, whole and by row. The same bundle recompressed by `xz`
with one Block (what Python's lzma writes) answers the same.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_xz_blocks.py
"""
import json
import os
import shutil
import subprocess

import jltest
jltest.preload()
from jltest import case, expect, expect_eq, one

joblib, np = jltest.require("joblib", "numpy")

rng = np.random.default_rng(1414)
OBJ = {
    "a": np.round(rng.standard_normal(1 << 20), 3),                       # 8 MiB
    "meta": {"name": "between the arrays", "n": 3},
    "b": np.arange(700 * 600, dtype=np.int32).reshape(700, 600),          # 1.7 MB
    "c": np.asfortranarray(rng.integers(0, 1000, (400, 900)).astype(np.int64)),  # 2.9 MB, F order
    "small": np.arange(10, dtype=np.int16),
    "last": np.linspace(0, 1, 600_000),                                   # 4.8 MB, the stream's end
}

# (name, xz options): multi-Block files, and a one-Block file for comparison
VARIANTS = [
    ("blocks-t1", ["-1", "-T1", "--block-size=1MiB"]),
    ("blocks-t2", ["-1", "-T2", "--block-size=1MiB"]),
    ("one-block", ["-1", "-T1"]),
]


def files():
    if getattr(files, "base", None):
        return files.base
    xz = shutil.which("xz")
    if not xz:
        raise jltest.Skip("no xz command (scripts/install-deps installs xz-utils)")
    base = jltest.TempDir.path("bundle")
    joblib.dump(OBJ, base + ".none")
    for name, opts in VARIANTS:
        with open(base + ".none", "rb") as src, open("%s.%s.xz" % (base, name), "wb") as dst:
            subprocess.run([xz, "-c"] + opts, stdin=src, stdout=dst, check=True)
    files.base = base
    return base


def blocks_of(path):
    """Blocks per `xz --robot --list` (the file's own Index)."""
    out = subprocess.run(["xz", "--robot", "--list", path], capture_output=True, text=True, check=True).stdout
    return int(next(line for line in out.splitlines() if line.startswith("file\t")).split("\t")[2])


def array_paths(con, src):
    return [a["path"] for a in json.loads(one(con, "SELECT joblib_info(?)", src))["arrays"]]


def check(name):
    base = files()
    path = "%s.%s.xz" % (base, name)
    nblocks = blocks_of(path)
    expect(nblocks == 1 if name == "one-block" else nblocks >= 17, "%s has %d Blocks" % (name, nblocks))
    got = joblib.load(path)
    for k, v in OBJ.items():
        if isinstance(v, np.ndarray):
            expect(np.array_equal(got[k], v) and got[k].dtype == v.dtype, "joblib.load %s: %s" % (name, k))
        else:
            expect_eq(got[k], v, "joblib.load %s: %s" % (name, k))

    ref = jltest.connect()
    con = jltest.connect()
    paths = array_paths(ref, base + ".none")
    expect_eq(paths, ["$.a", "$.b", "$.c", "$.small", "$.last"], "arrays")
    want = {p: one(ref, "SELECT joblib_load(?, ?)", base + ".none", p) for p in paths}
    # the first statement on the file reads the last array; then the
    # structure is cached and every other read goes through the Index
    expect_eq(one(con, "SELECT joblib_load(?, '$.last')", path), want["$.last"], "%s: $.last first" % name)
    expect_eq(array_paths(con, path), paths, "%s: joblib_info" % name)
    for p in reversed(paths):
        expect_eq(one(con, "SELECT joblib_load(?, ?)", path, p), want[p], "%s: %s after others" % (name, p))
    for p in paths:
        expect_eq(one(con, "SELECT joblib_load(?, ?)", path, p), want[p], "%s: %s again" % (name, p))
    for q in ["SELECT joblib_load(?1, '$.b[699]')", "SELECT joblib_json(?1, '$.c[399]')",
              "SELECT joblib_load(?1, '$.a[1048575]')", "SELECT joblib_load(?1, '$.meta.name')",
              "SELECT sum(length(value)) FROM joblib_each(?1, '$.b')"]:
        expect_eq(one(con, q, path), one(ref, q, base + ".none"), "%s: %s" % (name, q))
    stats = json.loads(one(con, "SELECT joblib_config('cache_stats')"))
    expect_eq(stats["misses"], 1, "%s: opened once on the connection" % name)
    # a fresh connection whose first statement is a row of the first array
    fresh = jltest.connect()
    expect_eq(one(fresh, "SELECT joblib_load(?, '$.b[3]')", path), one(ref, "SELECT joblib_load(?, '$.b[3]')",
                                                                        base + ".none"), "%s: $.b[3] first" % name)
    for c in (ref, con, fresh):
        c.close()


for name, _ in VARIANTS:
    jltest.add_case("xz_" + name, check, name)


@case
def cut_multi_block():
    """A multi-Block file without its footer: no Index to use; joblib
    fails to load it, and so do we, with the container's message."""
    base = files()
    data = open(base + ".blocks-t2.xz", "rb").read()
    path = jltest.TempDir.path("cut.xz")
    with open(path, "wb") as f:
        f.write(data[:-12])
    try:
        joblib.load(path)
        jltest.fail("joblib.load of a cut xz file succeeded")
    except Exception:  # noqa: BLE001 - any failure is joblib's answer
        pass
    con = jltest.connect()
    msg = jltest.sql_error(con, "SELECT joblib_info(?)", path)
    expect(msg.startswith("joblib: file is truncated: ") and
           ("the xz stream stops after %d compressed bytes, before its end" % (len(data) - 12)) in msg, msg)
    con.close()


if __name__ == "__main__":
    jltest.run()
