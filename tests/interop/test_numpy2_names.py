#!/usr/bin/env python3
"""numpy 2.x writes its reductions under numpy._core instead of numpy.core.
This machine has numpy 1.x, so the numpy 2 names are made by rewriting real
pickles from numpy 1.x: the GLOBAL lines of protocol 2 (_reconstruct, scalar)
and the SHORT_BINUNICODE module name of protocol 5 (_frombuffer, with its
FRAME length). The extension must read both spellings to the same values.
Prints 'N passed, N failed'."""
import os
import pickle
import sqlite3
import struct
import sys

import numpy as np

import jltest


def as_numpy2_p2(data):
    return data.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n")


def as_numpy2_p5(data):
    old, new = b"\x8c\x12numpy.core.numeric", b"\x8c\x13numpy._core.numeric"
    assert old in data
    out = data.replace(old, new)
    # the first FRAME (right after PROTO) holds the name: one byte longer
    assert out[2] == 0x95
    n = struct.unpack("<Q", out[3:11])[0]
    return out[:3] + struct.pack("<Q", n + 1) + out[11:]


def main():
    jltest.preload()
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(os.environ["JL_MODULE"])
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))

    arr = np.arange(6, dtype=">i4").reshape(2, 3)
    native = np.ascontiguousarray(arr).astype("<i4").tobytes()
    p2 = pickle.dumps([arr, np.float64(1.5)], protocol=2)
    n2 = as_numpy2_p2(p2)
    check("protocol 2 rewritten to numpy._core", b"numpy._core.multiarray" in n2 and b"numpy.core." not in n2)
    for name, blob in (("numpy 1 names", p2), ("numpy 2 names", n2)):
        got = conn.execute("SELECT joblib_load(?, '$[0]'), joblib_load(?, '$[1]')", (blob, blob)).fetchone()
        check("%s: _reconstruct array bytes (native order)" % name, got[0] == native, repr(got[0]))
        check("%s: scalar value" % name, got[1] == 1.5, repr(got[1]))
        rows = conn.execute("SELECT type, dtype, shape FROM joblib_tree(?) WHERE fullkey = '$[0]'", (blob,)).fetchall()
        check("%s: ndarray row" % name, rows == [("ndarray", "<i4", "[2,3]")], repr(rows))
    p5 = pickle.dumps(np.arange(4, dtype="<f8"), protocol=5)
    n5 = as_numpy2_p5(p5)
    for name, blob in (("numpy 1 names, protocol 5", p5), ("numpy 2 names, protocol 5", n5)):
        got = conn.execute("SELECT joblib_load(?), json_extract(joblib_info(?), '$.arrays[0].dtype')",
                           (blob, blob)).fetchone()
        check("%s: _frombuffer array" % name, got == (np.arange(4, dtype="<f8").tobytes(), "<f8"), repr(got))
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
