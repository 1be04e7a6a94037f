#!/usr/bin/env python3
"""numpy's own files as sources: .npy (numpy.save, numpy.lib.format
versions 1.0, 2.0, 3.0) and .npz (numpy.savez, savez_compressed), made here
by real numpy and read through SQL; plus the messages for files that are
not bundles at all (a SQLite database, CSV, JSON, HDF5, a zip, a PNG, text).

Expected values come from numpy: an array's BLOB is arr's bytes in C order
and native byte order (jltest.native_bytes), its dtype in joblib_info the
descr as stored, an .npz's keys numpy.load's names in archive order.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_npy_sources.py
"""
import json
import sqlite3
import warnings
import zipfile

import jltest
jltest.preload()

import joblib  # noqa: E402
import numpy as np  # noqa: E402

warnings.simplefilter("ignore", UserWarning)  # numpy's note on format 3.0

from jltest import case, add_case, expect, expect_eq, one, sql_error  # noqa: E402

conn = jltest.shared_conn


def tmp(name):
    return jltest.TempDir.path(name)


def info_of(src):
    return jltest.info_of(conn(), src)


# every dtype numpy.save writes without pickling, in both byte orders
BASE = ["|b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16",
        "S5", "U3", "M8[ns]", "M8[D]", "M8[s]", "m8[ms]", "m8[h]", "V4"]
STRUCT = [("a", "i4"), ("b", "f8", (2,)), ("c", "S3"), ("d", [("x", "u2"), ("y", "M8[us]")])]


def sample(dt, shape):
    """Deterministic data of dtype dt and shape."""
    dt = np.dtype(dt)
    count = int(np.prod(shape))
    raw = (np.arange(count * dt.itemsize, dtype=np.uint32) * 37 % 251).astype(np.uint8)
    if dt.kind in "fc":
        a = (np.arange(count) * 1.5 - 2).astype(dt)
    elif dt.kind == "b":
        a = (np.arange(count) % 3 == 0)
    elif dt.kind == "U":
        a = np.array(["a\u00e9%d" % i for i in range(count)], dtype=dt)
    elif dt.kind == "S":
        a = np.array([b"x%d" % i for i in range(count)], dtype=dt)
    else:
        a = raw.view(dt)
    return np.asarray(a).astype(dt).reshape(shape)


def orders(base):
    if base[0] in "|" or np.dtype(base).itemsize == 1 or base.startswith(("S", "V")):
        return [np.dtype(base)]
    return [np.dtype("<" + base), np.dtype(">" + base)]


def check_npy(path, arr, what):
    """joblib_load / joblib_info / BLOB source on the .npy at path."""
    c = conn()
    want = jltest.native_bytes(arr)
    expect_eq(one(c, "SELECT joblib_load(?)", path), want, what + ": joblib_load BLOB")
    with open(path, "rb") as f:
        data = f.read()
    expect_eq(one(c, "SELECT joblib_load(?)", data), want, what + ": joblib_load of the BLOB")
    info = info_of(path)
    expect_eq(info["format"], "npy", what + ": format")
    expect_eq(len(info["arrays"]), 1, what + ": one array")
    if info["arrays"]:
        a = info["arrays"][0]
        expect_eq(a["path"], "$", what + ": array path")
        expect_eq(a["dtype"], jltest.file_descr(arr.dtype), what + ": dtype")
        expect_eq(a["shape"], list(arr.shape), what + ": shape")
        expect_eq(a["nbytes"], arr.nbytes, what + ": nbytes")
        expect_eq(a["order"], "F" if arr.ndim > 1 and np.isfortran(arr) else "C", what + ": order")
        expect_eq(a["offset"], len(data) - arr.nbytes, what + ": offset of the data")


def dtype_case(dt, shape, fortran):
    arr = sample(dt, shape)
    if fortran:
        arr = np.asfortranarray(arr)
    name = "%s_%s_%s" % (dt.str.replace("[", "").replace("]", ""), "x".join(map(str, shape)) or "0d",
                         "F" if fortran else "C")
    path = tmp(name.replace("<", "le").replace(">", "be").replace("|", "na") + ".npy")
    np.save(path, arr)
    check_npy(path, arr, "np.save %s %s %s" % (dt.str, shape, "F" if fortran else "C"))


for _base in BASE:
    for _dt in orders(_base):
        add_case("npy %s" % _dt.str, dtype_case, _dt, (2, 3), False)
        add_case("npy %s fortran" % _dt.str, dtype_case, _dt, (2, 3), True)
for _dt in (np.dtype(STRUCT), np.dtype(STRUCT).newbyteorder(">")):
    add_case("npy structured %s" % _dt.byteorder, dtype_case, _dt, (3,), False)
    add_case("npy structured %s fortran" % _dt.byteorder, dtype_case, _dt, (2, 2), True)
for _shape in [(), (0,), (2, 0), (1, 1, 1, 2)]:
    add_case("npy <f8 shape %s" % (_shape,), dtype_case, np.dtype("<f8"), _shape, False)
    add_case("npy >i2 shape %s" % (_shape,), dtype_case, np.dtype(">i2"), _shape, False)


@case
def npy_format_versions():
    for version in [(1, 0), (2, 0), (3, 0)]:
        arr = sample(">i4", (3, 2))
        path = tmp("v%d.npy" % version[0])
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
        with open(path, "rb") as f:
            expect_eq(f.read(8)[6:], bytes(version), "file is version %s" % (version,))
        check_npy(path, arr, "version %d.%d" % version)
    # 3.0 exists for field names that are not latin-1
    arr = np.zeros(2, dtype=[("\u4e2d", "<i2")])
    path = tmp("v3-utf8.npy")
    np.save(path, arr)
    with open(path, "rb") as f:
        expect_eq(f.read(8)[6:], b"\x03\x00", "numpy wrote 3.0")
    check_npy(path, arr, "utf-8 field name")


@case
def npy_functions():
    arr = np.arange(6, dtype="<f4").reshape(3, 2)
    path = tmp("emb.npy")
    np.save(path, arr)
    c = conn()
    rows = c.execute("SELECT key, value, dtype, shape FROM joblib_each(?)", (path,)).fetchall()
    expect_eq(rows, [(i, arr[i].tobytes(), "<f4", "[2]") for i in range(3)], "joblib_each rows")
    rows = c.execute("SELECT fullkey, type, dtype, shape FROM joblib_tree(?)", (path,)).fetchall()
    expect_eq(rows, [("$", "ndarray", "<f4", "[3,2]")], "joblib_tree rows")
    expect_eq(one(c, "SELECT joblib_show(?)", path), "$: ndarray <f4 (3, 2) = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]",
              "joblib_show")
    expect_eq(one(c, "SELECT joblib_load(?, '$[2]')", path), arr[2].tobytes(), "path into the array")
    c.execute("CREATE VIRTUAL TABLE npy_emb USING joblib('%s')" % path)
    expect_eq(c.execute("SELECT rowid, c0, c1 FROM npy_emb").fetchall(),
              [(0, 0.0, 1.0), (1, 2.0, 3.0), (2, 4.0, 5.0)], "virtual table over a 2-D .npy")
    rec = np.array([(1, 0.5), (2, 1.5)], dtype=[("id", "<i8"), ("score", ">f8")])
    rpath = tmp("rec.npy")
    np.save(rpath, rec)
    c.execute("CREATE VIRTUAL TABLE npy_rec USING joblib('%s')" % rpath)
    expect_eq(c.execute("SELECT id, score FROM npy_rec").fetchall(), [(1, 0.5), (2, 1.5)],
              "virtual table over a structured .npy")
    # the bytes of a .npy stored in a table
    c.execute("CREATE TABLE npy_blobs(b BLOB)")
    with open(path, "rb") as f:
        c.execute("INSERT INTO npy_blobs VALUES (?)", (f.read(),))
    expect_eq(one(c, "SELECT joblib_load(b, '$[1]') FROM npy_blobs"), arr[1].tobytes(), "BLOB column source")
    expect_eq(one(c, "SELECT json_extract(joblib_info(b), '$.format') FROM npy_blobs"), "npy", "BLOB column info")


@case
def npy_object_array():
    arr = np.array([1, "a", None, [2, 3]], dtype=object)
    path = tmp("obj.npy")
    np.save(path, arr, allow_pickle=True)
    c = conn()
    expect_eq(json.loads(one(c, "SELECT joblib_load(?)", path)), [1, "a", None, [2, 3]], "object array as JSON")
    expect_eq(one(c, "SELECT joblib_load(?, '$[1]')", path), "a", "element of an object array")
    info = info_of(path)
    expect_eq((info["format"], info["arrays"][0]["dtype"]), ("npy", "|O"), "object array info")
    # the pickle inside is decoded, never run: an os.system reduction stays data
    evil = np.array([None], dtype=object)
    epath = tmp("evil.npy")
    with open(epath, "wb") as f:
        np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(evil))
        f.write(b"\x80\x03cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02"
                b"c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07"
                b"\x87q\x08Rq\t(K\x01K\x01\x85q\ncnumpy\ndtype\nq\x0bX\x02\x00\x00\x00O8q\x0cK\x00K\x01"
                b"\x87q\rRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tq\x10b"
                b"\x89]q\x11cos\nsystem\nX\x05\x00\x00\x00falseq\x12\x85q\x13Rq\x14atq\x15b.")
    expect_eq(json.loads(one(c, "SELECT joblib_load(?)", epath)),
              [{"__class__": "os.system", "__args__": ["false"]}], "a reduction in an .npy pickle is data")


@case
def npz_archives():
    c = conn()
    arrays = {"zeta": np.arange(5, dtype=">i8"), "alpha": np.eye(3, dtype="<f4"),
              "mid": np.array([b"ab", b"c"]), "empty": np.zeros((0, 2), dtype="<u2"),
              "scalar": np.array(7.5), "fort": np.asfortranarray(np.arange(6, dtype="<i2").reshape(2, 3))}
    for fn, comp in ((np.savez, "stored"), (np.savez_compressed, "deflated")):
        path = tmp("arrays-%s.npz" % comp)
        fn(path, **arrays)
        names = np.load(path).files
        expect_eq(names, list(arrays), comp + ": numpy's order")
        keys = [r[0] for r in c.execute("SELECT key FROM joblib_each(?)", (path,))]
        expect_eq(keys, names, comp + ": joblib_each keys in archive order")
        for k, a in arrays.items():
            expect_eq(one(c, "SELECT joblib_load(?, ?)", path, "$." + k), jltest.native_bytes(a),
                      "%s: $.%s BLOB" % (comp, k))
        info = info_of(path)
        expect_eq(info["format"], "npz", comp + ": format")
        expect_eq([(a["path"], a["dtype"], a["shape"]) for a in info["arrays"]],
                  [("$." + k, a.dtype.str, list(a.shape)) for k, a in arrays.items()], comp + ": arrays")
        with open(path, "rb") as f:
            expect_eq(one(c, "SELECT joblib_load(?, '$.zeta')", f.read()), jltest.native_bytes(arrays["zeta"]),
                      comp + ": BLOB source")
    # positional arrays are arr_0, arr_1; a table-shaped archive is a table
    path = tmp("pos.npz")
    np.savez(path, np.arange(2), np.ones(2))
    expect_eq([r[0] for r in c.execute("SELECT key FROM joblib_each(?)", (path,))], ["arr_0", "arr_1"],
              "positional names")
    path = tmp("table.npz")
    np.savez(path, id=np.arange(3), score=np.array([0.5, 1.5, 2.5]))
    c.execute("CREATE VIRTUAL TABLE npz_table USING joblib('%s')" % path)
    expect_eq(c.execute("SELECT rowid, id, score FROM npz_table").fetchall(),
              [(0, 0, 0.5), (1, 1, 1.5), (2, 2, 2.5)], "virtual table over an .npz")
    expect_eq(one(c, "SELECT joblib_show(?)", path),
              "$: dict len=2\n├── .id: ndarray <i8 (3,) = [0, 1, 2]\n"
              "└── .score: ndarray <f8 (3,) = [0.5, 1.5, 2.5]", "joblib_show of an .npz")
    # an empty archive (numpy.savez with no arrays) is an empty dict
    path = tmp("none.npz")
    np.savez(path)
    expect_eq(one(c, "SELECT joblib_load(?)", path), "{}", "empty .npz")
    # object arrays inside an .npz go through the safe VM too
    path = tmp("objects.npz")
    np.savez(path, o=np.array(["x", 1], dtype=object), n=np.arange(2))
    expect_eq(json.loads(one(c, "SELECT joblib_load(?, '$.o')", path)), ["x", 1], "object array member")


@case
def numpy_files_nest_into_bundles():
    """A .npy or .npz BLOB nests in the write functions like a bundle."""
    c = conn()
    grid = np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3))
    npy_path, npz_path, out = tmp("nest.npy"), tmp("nest.npz"), tmp("nested.pkl")
    np.save(npy_path, grid)
    np.savez_compressed(npz_path, first=np.arange(3), second=np.eye(2, dtype="<f4"))
    with open(npy_path, "rb") as f, open(npz_path, "rb") as g:
        c.execute("SELECT joblib_dump(joblib_list(joblib(?), joblib(?), joblib_extract(?, '$.second')), ?)",
                  (f.read(), g.read(), npz_path, out))
    back = joblib.load(out)
    # joblib.load gives native byte order
    expect(np.array_equal(back[0], grid) and back[0].dtype == grid.dtype.newbyteorder("="),
           "the .npy array: %r" % (back[0],))
    expect_eq(list(back[1]), ["first", "second"], "the .npz keys")
    expect(np.array_equal(back[1]["second"], np.eye(2)) and np.array_equal(back[2], np.eye(2)),
           "the .npz arrays: %r" % (back[1:],))


@case
def npz_member_not_npy():
    """numpy.load returns a member not named *.npy as its bytes, under its full name."""
    path = tmp("mixed.npz")
    with zipfile.ZipFile(path, "w") as z:
        with z.open("a.npy", "w") as f:
            np.lib.format.write_array(f, np.arange(3, dtype="<i4"))
        z.writestr("notes.txt", b"hello")
    with np.load(path) as npz:
        expect_eq(npz.files, ["a", "notes.txt"], "numpy's keys")
        expect_eq(npz["notes.txt"], b"hello", "numpy gives bytes")
    c = conn()
    expect_eq(c.execute("SELECT key, value FROM joblib_each(?)", (path,)).fetchall(),
              [("a", np.arange(3, dtype="<i4").tobytes()), ("notes.txt", b"hello")], "keys and values")
    # a member named .npy that is not one
    bad = tmp("bad-member.npz")
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("x.npy", b"plain text")
    expect_eq(sql_error(c, "SELECT joblib_load(?)", bad),
              "joblib: not an .npy file (no \\x93NUMPY magic) in member 'x.npy' (file '%s')" % bad,
              "member named .npy without the magic")


@case
def truncated_files():
    c = conn()
    arr = np.arange(10, dtype="<f8")
    path = tmp("full.npy")
    np.save(path, arr)
    with open(path, "rb") as f:
        data = f.read()
    cut = tmp("cut.npy")
    with open(cut, "wb") as f:
        f.write(data[:-20])
    expect_eq(sql_error(c, "SELECT joblib_load(?)", cut),
              "joblib: truncated .npy: the header needs 80 bytes of data, 60 are present (file '%s')" % cut,
              "truncated .npy data")
    with open(cut, "wb") as f:
        f.write(data[:40])
    msg = sql_error(c, "SELECT joblib_load(?)", cut)
    expect(msg.startswith("joblib: npy header claims 118 bytes but only 30 follow") and cut in msg,
           "truncated .npy header: %r" % msg)
    expect_eq(sql_error(c, "SELECT joblib_load(?)", data[:-20]),
              "joblib: truncated .npy: the header needs 80 bytes of data, 60 are present", "truncated .npy BLOB")
    npz = tmp("full.npz")
    np.savez(npz, a=arr, b=arr)
    with open(npz, "rb") as f:
        zdata = f.read()
    cutz = tmp("cut.npz")
    with open(cutz, "wb") as f:
        f.write(zdata[:len(zdata) // 2])
    msg = sql_error(c, "SELECT joblib_load(?)", cutz)
    expect(msg.startswith("joblib: truncated or damaged zip archive (.npz)") and cutz in msg,
           "truncated .npz: %r" % msg)


@case
def npz_limits():
    c = jltest.connect()
    path = tmp("big.npz")
    np.savez_compressed(path, z=np.zeros(100000))
    c.execute("SELECT joblib_config('max_decompressed', 1000)")
    msg = sql_error(c, "SELECT joblib_load(?)", path)
    expect("zip member 'z.npy' claims 800128 bytes" in msg and "max_decompressed" in msg, "limit: %r" % msg)
    c.execute("SELECT joblib_config('max_decompressed', 1 << 30)")
    c.execute("SELECT joblib_config('max_alloc', 1000)")
    msg = sql_error(c, "SELECT joblib_load(?)", path)
    expect("zip member 'z.npy' claims 800128 bytes, more than max_alloc (1000)" in msg, "max_alloc: %r" % msg)


# ---- files that are not bundles --------------------------------------------

def sniff_files():
    """name -> (bytes or a writer, the kind the message names)."""
    def sqlite_db(path):
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE t(x)")
        db.execute("INSERT INTO t VALUES (1)")
        db.commit()
        db.close()

    def plain_zip(path):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("readme.txt", "hi")
    return {
        "data.db": (sqlite_db, "a SQLite database"),
        "data.csv": (b"id,name,score\n1,a,0.5\n2,b,1.5\n", "CSV text"),
        "names.csv": (b"name,age\nann,3\n", "CSV text"),
        "data.json": (json.dumps({"a": [1, 2], "b": None}).encode(), "JSON"),
        "list.json": (b"  [1, 2, 3]\n", "JSON"),
        "data.h5": (b"\x89HDF\r\n\x1a\n" + bytes(64), "an HDF5 file"),
        "data.parquet": (b"PAR1" + bytes(32) + b"PAR1", "a Parquet file"),
        "archive.zip": (plain_zip, "a zip archive"),
        "image.png": (b"\x89PNG\r\n\x1a\n" + bytes(32), "a PNG image"),
        "doc.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF"),
        "notes.txt": (b"hello world\nthis is text\n", "text"),
        "readme.md": ("# T\u00edtulo\n\nSome text.\n".encode(), "text"),
    }


def sniff_case(name, content, kind):
    path = tmp(name)
    if callable(content):
        content(path)
    else:
        with open(path, "wb") as f:
            f.write(content)
    c = conn()
    want = "joblib: not a joblib bundle or pickle: it looks like %s" % kind
    expect_eq(sql_error(c, "SELECT joblib_load(?)", path), "%s (file '%s')" % (want, path), name + " by path")
    with open(path, "rb") as f:
        data = f.read()
    expect_eq(sql_error(c, "SELECT joblib_info(?)", data), want, name + " as a BLOB")
    expect_eq(sql_error(c, "SELECT * FROM joblib_tree(?)", path), "%s (file '%s')" % (want, path),
              name + " in joblib_tree")


for _name, (_content, _kind) in sniff_files().items():
    add_case("sniff %s" % _name, sniff_case, _name, _content, _kind)


@case
def sniff_unknown_bytes():
    expect_eq(sql_error(conn(), "SELECT joblib_load(?)", b"\x01\x02\x03\xfe\xff"),
              "joblib: not a joblib bundle or pickle: it starts with bytes 01 02 03 fe ff", "unknown binary")


@case
def old_protocols_still_read():
    """Pickles that start with protocol-0/1 opcodes are not taken for text."""
    import pickle
    values = [[1, 2, 3], {"a": 1, "b": [None, True]}, 42, -7, 3.25, "text, with comma\n", b"bytes",
              ("t", 1), {"nested": {"x": ["y"]}}, [], {}, None, 2 ** 70, "caf\u00e9"]
    c = conn()
    for proto in (0, 1):
        for v in values:
            data = pickle.dumps(v, protocol=proto)
            got = one(c, "SELECT joblib_load(?)", data)
            if isinstance(v, (list, tuple, dict)):
                got = json.loads(got)
                v = json.loads(json.dumps(v))
            elif isinstance(v, int) and abs(v) >= 2 ** 63:
                got = int(got)
            expect_eq(got, v, "protocol %d %r (%r...)" % (proto, v, data[:12]))
    path = tmp("p0.pkl")
    joblib.dump({"a": np.arange(3)}, path, protocol=0)
    expect_eq(one(c, "SELECT joblib_load(?, '$.a')", path), np.arange(3).tobytes(), "joblib.dump protocol 0")


if __name__ == "__main__":
    jltest.run()
