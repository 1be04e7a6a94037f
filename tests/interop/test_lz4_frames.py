#!/usr/bin/env python3
"""Random access into lz4 bundles (codec/io/lz4_index.c): bundles over
8 MiB of many arrays, written by real joblib with compress='lz4'
(python-lz4's LZ4FrameFile: 64 KiB linked blocks) and by python-lz4's
lz4.frame with other framings (independent blocks with block and
content checksums, 4 MiB linked blocks with the content size, two frames
one after the other), answer every array read exactly as the
uncompressed copy does: read first, read last, read again on the same
connection (the cached doc and its index), read by element.  joblib
itself loads the lz4.frame files, so they are bundles, not inventions.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_lz4_frames.py
"""
import os

import jltest
jltest.preload()
from jltest import case, expect_eq, one

joblib, np = jltest.require("joblib", "numpy")
try:
    import lz4.frame as lz4f
except ImportError:  # pragma: no cover
    lz4f = None

rng = np.random.default_rng(1414)
N = 24
OBJ = {"a%02d" % i: np.round(rng.standard_normal(1 << 17), 3) for i in range(N)}  # 1 MiB each
OBJ["ints"] = np.arange(300_000, dtype=np.int32)
OBJ["name"] = "after the arrays"

# name -> lz4.frame.compress arguments for the whole uncompressed bundle
FRAMINGS = {
    "independent": dict(block_linked=False, block_checksum=True, content_checksum=True,
                        block_size=lz4f.BLOCKSIZE_MAX256KB if lz4f else 0),
    "linked_4mb": dict(block_linked=True, store_size=True, block_size=lz4f.BLOCKSIZE_MAX4MB if lz4f else 0),
}


def files():
    base = jltest.TempDir.path("lz4frames")
    if not os.path.exists(base + ".none"):
        joblib.dump(OBJ, base + ".none")
        joblib.dump(OBJ, base + ".joblib", compress="lz4")
        raw = open(base + ".none", "rb").read()
        for name, kw in FRAMINGS.items():
            with open(base + "." + name, "wb") as f:
                f.write(lz4f.compress(raw, **kw))
        half = len(raw) // 2  # two frames, the cut inside an array
        with open(base + ".two", "wb") as f:
            f.write(lz4f.compress(raw[:half], block_linked=False) + lz4f.compress(raw[half:]))
    return base


def check(kind):
    if lz4f is None:
        raise jltest.Skip("python3-lz4 is not installed")
    base = files()
    path = base + "." + kind
    expect_eq(os.path.getsize(base + ".none") > 8 << 20, True, "the bundle passes 8 MiB")
    loaded = joblib.load(path)  # joblib reads the framing too
    expect_eq(np.array_equal(loaded["a%02d" % (N - 1)], OBJ["a%02d" % (N - 1)]), True, "joblib reads " + kind)
    con = jltest.connect()
    # the last array as the second statement on one connection: the doc
    # is cached, its arrays read through the index
    expect_eq(one(con, "SELECT joblib_load(?, '$.name')", path), OBJ["name"], "$.name of " + kind)
    order = ["a%02d" % (N - 1), "a00", "a%02d" % (N // 2), "ints"] + ["a%02d" % i for i in range(N)]
    for key in order:
        want = one(con, "SELECT joblib_load(?, '$.%s')" % key, base + ".none")
        got = one(con, "SELECT joblib_load(?, '$.%s')" % key, path)
        expect_eq(got, want, "$.%s of %s" % (key, kind))
    for key, i in (("a05", 77777), ("a%02d" % (N - 1), (1 << 17) - 1), ("ints", 299_999)):
        want = one(con, "SELECT joblib_load(?, '$.%s[%d]')" % (key, i), base + ".none")
        expect_eq(one(con, "SELECT joblib_load(?, '$.%s[%d]')" % (key, i), path), want,
                  "$.%s[%d] of %s" % (key, i, kind))
    expect_eq(one(con, "SELECT sum(length(value)) FROM joblib_each(?)", path),
              one(con, "SELECT sum(length(value)) FROM joblib_each(?)", base + ".none"), "joblib_each of " + kind)


for k in ["joblib"] + list(FRAMINGS) + ["two"]:
    jltest.add_case("lz4_" + k, check, k)


@case
def cut_lz4():
    """The joblib lz4 file cut in its last array: the arrays before load;
    the last one reports the cut."""
    if lz4f is None:
        raise jltest.Skip("python3-lz4 is not installed")
    base = files()
    data = open(base + ".joblib", "rb").read()
    path = jltest.TempDir.path("cut.lz4")
    with open(path, "wb") as f:
        f.write(data[: len(data) - 200_000])
    con = jltest.connect()
    want = one(con, "SELECT joblib_load(?, '$.a00')", base + ".none")
    try:
        got = one(con, "SELECT joblib_load(?, '$.a00')", path)
    except Exception as e:  # noqa: BLE001 - the pickle itself is cut: an error, in words
        expect_eq("truncated" in str(e), True, "error of the cut file: %s" % e)
        return
    expect_eq(got, want, "$.a00 of the cut file")


if __name__ == "__main__":
    jltest.run()
