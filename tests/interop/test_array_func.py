#!/usr/bin/env python3
"""joblib_array(src [, path]) (issue 15): an array with its dtype and shape
in one call, as the JSON object
{"dtype": "<f4", "shape": [2, 3], "order": "C", "data": "<base64>"}:

  - round trip with numpy: np.frombuffer(base64.b64decode(data),
    dtype).reshape(shape) equals the array joblib.load gives, for C and
    F order, big-endian, bool, ints, floats, complex, datetime64, bytes
    and str dtypes, 0-d scalars, empty arrays and an array row ($.m[1]);
  - structured dtypes: dtype is the descr as a JSON list;
  - a path that selects nothing gives NULL; other nodes and object arrays
    are errors naming the path, what is there and the file.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3
test_array_func.py (uses ../../build/joblib0.so).
"""
import base64
import json
import os
import tempfile

import jltest
jltest.preload()

joblib, np = jltest.require("joblib", "numpy")

from jltest import case, expect, expect_eq  # noqa: E402

TMP = tempfile.mkdtemp(prefix="jl_array_")
F = os.path.join(TMP, "a.pkl")
ARRAYS = {
    "f4": np.arange(6, dtype="<f4").reshape(2, 3),
    "be": np.arange(6, dtype=">f8").reshape(3, 2),
    "fort": np.asfortranarray(np.arange(12, dtype="<i8").reshape(3, 4)),
    "bool": np.array([True, False, True]),
    "u2": np.array([1, 65535], dtype="<u2"),
    "c16": np.array([1 + 2j, -3.5j]),
    "dt": np.array(["2020-01-01", "NaT"], dtype="M8[D]"),
    "S": np.array([b"ab", b"c"]),
    "U": np.array(["héllo", "x"]),
    "empty": np.zeros((0, 384), dtype="<f4"),
    "cube": np.arange(24, dtype="<i2").reshape(2, 3, 4),
}
OTHER = {"scalar": np.float32(1.5), "rec": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
         "obj": np.array([1, "a"], dtype=object), "d": {"a": 1}}
joblib.dump(dict(ARRAYS, **OTHER), F)


def array_of(conn, path):
    text = conn.execute("SELECT joblib_array(?, ?)", (F, path)).fetchone()[0]
    d = json.loads(text)
    expect_eq(sorted(d), ["data", "dtype", "order", "shape"], path + " fields")
    expect_eq(d["order"], "C", path + " order")
    return d, np.frombuffer(base64.b64decode(d["data"]), dtype=d["dtype"]).reshape(d["shape"])


@case
def test_round_trip():
    c = jltest.connect()
    loaded = joblib.load(F)
    for name, want in ARRAYS.items():
        d, got = array_of(c, "$." + name)
        expect_eq(d["shape"], list(want.shape), name + " shape")
        expect_eq(np.dtype(d["dtype"]), want.dtype.newbyteorder("="), name + " dtype (native order)")
        if name == "dt":   # NaT never equals itself
            expect_eq(list(got.astype(str)), ["2020-01-01", "NaT"], name + " values")
        else:
            expect(np.array_equal(got, loaded[name]), "%s equal: %r vs %r" % (name, got, loaded[name]))
    d, got = array_of(c, "$.f4[1]")
    expect_eq((d["dtype"], d["shape"], got.tolist()), ("<f4", [3], [3.0, 4.0, 5.0]), "a row")
    d, got = array_of(c, "$.scalar")
    expect_eq((d["dtype"], d["shape"], got.item()), ("<f4", [], 1.5), "a numpy scalar: shape []")
    text = c.execute("SELECT joblib_array(?, '$.f4')", (F,)).fetchone()[0]
    expect_eq(text, '{"dtype":"<f4","shape":[2,3],"order":"C","data":"AAAAAAAAgD8AAABAAABAQAAAgEAAAKBA"}',
              "exact text")


@case
def test_structured():
    c = jltest.connect()
    d = json.loads(c.execute("SELECT joblib_array(?, '$.rec')", (F,)).fetchone()[0])
    expect_eq(d["dtype"], [["a", "<i4"], ["b", "<f8"]], "descr as a JSON list")
    got = np.frombuffer(base64.b64decode(d["data"]), dtype=[tuple(f) for f in d["dtype"]])
    expect_eq(got.tolist(), [(1, 2.0)], "records")


@case
def test_errors():
    c = jltest.connect()

    def err(path):
        try:
            c.execute("SELECT joblib_array(?, ?)", (F, path)).fetchone()
        except Exception as e:  # noqa: BLE001
            return str(e)
        return None

    expect_eq(c.execute("SELECT joblib_array(?, '$.nope')", (F,)).fetchone()[0], None, "nothing there: NULL")
    expect_eq(err("$.d"), "joblib: joblib_array(): the node at $.d has type dict, not ndarray (file '%s')" % F,
              "a dict")
    expect_eq(err("$"), "joblib: joblib_array(): the node at $ has type dict, not ndarray (file '%s')" % F,
              "the root")
    expect_eq(err("$.obj"), "joblib: joblib_array(): the node at $.obj is an object array: its elements have "
              "no fixed-size bytes (joblib_json or joblib_each read them) (file '%s')" % F, "object array")
    expect_eq(c.execute("SELECT joblib_array(NULL, '$')").fetchone()[0], None, "NULL src")


if __name__ == "__main__":
    jltest.run()
