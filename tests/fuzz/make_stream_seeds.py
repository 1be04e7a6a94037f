#!/usr/bin/env python3
"""Writes tests/fuzz/seeds/fuzz_stream_decode/: inputs of fuzz_stream_decode
(byte 0 the compressor, byte 1 the thresholds, then an uncompressed stream):
bundles written by real joblib (arrays of several dtypes and orders, an
object array, a shared list, a DataFrame) and the pickles of the
fuzz_decode seeds, each under two or three control bytes.

Run with /usr/bin/python3 (joblib, numpy, pandas); the output is committed.
"""
import io
import os
import pickle

import joblib
import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "fuzz_stream_decode")


def dumped(value):
    f = io.BytesIO()
    joblib.dump(value, f)
    return f.getvalue()


def bundles():
    shared = [1, "two", 3.0]
    yield "arrays", dumped({"a": np.arange(40, dtype="<f8"), "f": np.asfortranarray(np.arange(60).reshape(6, 10)),
                            "b": np.arange(30, dtype=">i2"), "o": np.array([1, "x", None], dtype=object),
                            "s": shared, "t": shared, "e": np.zeros((0, 4))})
    yield "nested", dumped([np.arange(i * 8, dtype="u1") for i in range(1, 9)])
    yield "frame", dumped(pd.DataFrame({"x": np.arange(20.0), "y": list("ab") * 10}))
    yield "plain", pickle.dumps({"k": b"\x00" * 300, "n": list(range(50))}, protocol=5)
    for name in ("kinds.pkl", "series.pkl"):
        with open(os.path.join(HERE, "seeds", "fuzz_decode", name), "rb") as f:
            yield name.split(".")[0], f.read()


def main():
    os.makedirs(OUT, exist_ok=True)
    # (compressor index, thresholds byte): zlib whole-at-once 1 / lazy 1;
    # xz 129 / 49; lz4 65 / 169 (fuzz_stream_decode.c decodes the byte)
    controls = [(0, 0x00), (3, 0x48), (4, 0xe4)]
    for name, data in bundles():
        for c, t in controls:
            with open(os.path.join(OUT, "%s-%d-%02x" % (name, c, t)), "wb") as f:
                f.write(bytes([c, t]) + data)


if __name__ == "__main__":
    main()
