#!/usr/bin/env python3
"""Damaged bundles: the extension loads exactly what joblib loads.

Real joblib bundles (protocols 2-5, every compressor, with and without
arrays) are damaged deterministically (seeded) in the ways files get
damaged in the wild:

  - cut short: every length in the last bytes of the file (a compressed
    stream's checksum or trailer, the pickle's STOP, array data) and a few
    cuts further in;
  - a FRAME length changed: bytes of the 8-byte length flipped, lengths
    set just past what remains, or a few bytes short;
  - the byte-order character of a pickled dtype replaced.

For each: joblib.load succeeds <=> joblib_info / joblib_tree succeed, and
when both do the values are equal (arrays by their bytes, through
jltest.check_tree). Then exact messages for truncation in the pickle and in
every compressor, and joblib_info's "damaged" field.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_damaged.py
"""
import bz2
import functools
import gzip
import io
import lzma
import os
import pickletools
import random
import sqlite3
import struct
import warnings
import zlib

import jltest
jltest.preload()

import joblib  # noqa: E402
import numpy as np  # noqa: E402

from jltest import case, add_case, expect, expect_eq, fail, one, sql_error  # noqa: E402

try:
    import lz4.frame as lz4f
except ImportError:  # pragma: no cover
    lz4f = None

SEED = 12
conn = functools.lru_cache(maxsize=None)(jltest.connect)  # one connection, made when first used
tmp = jltest.TempDir.path


# --- bundles ------------------------------------------------------------------

def objects():
    return {
        "arrays": {"w": np.arange(12, dtype="<f8").reshape(3, 4), "i": np.arange(5, dtype="<i4"),
                   "name": "model", "n": [1, 2, 3]},
        "plain": {"a": [1, 2.5, "text", b"bytes"], "b": ("x", None, True), "c": list(range(40))},
        "objarray": [np.array(["a", 1, None], dtype=object), np.arange(3, dtype=">i8")],
    }


COMPRESSORS = ["none", "zlib", "gzip", "bz2", "lzma", "xz"] + (["lz4"] if lz4f else [])


def recompress(method, data):
    """The stream compressed as joblib's writers do (a damaged stream goes back in)."""
    if method == "none":
        return data
    if method == "zlib":
        return zlib.compress(data, 3)
    if method == "gzip":
        return gzip.compress(data, 3, mtime=0)
    if method == "bz2":
        return bz2.compress(data, 3)
    if method == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_ALONE, preset=3)
    if method == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=3)
    if method == "lz4":
        return lz4f.compress(data, compression_level=3, block_size=lz4f.BLOCKSIZE_MAX64KB,
                             content_checksum=False, block_linked=True)
    raise ValueError(method)


_bundles = {}


def bundle(name, protocol, method):
    """(file bytes, uncompressed stream) of a real joblib.dump."""
    key = (name, protocol, method)
    if key not in _bundles:
        path = tmp("src_%s_p%d_%s.pkl" % key)
        kw = {} if method == "none" else {"compress": (method, 3)}
        joblib.dump(objects()[name], path, protocol=protocol, **kw)
        data = open(path, "rb").read()
        _bundles[key] = (data, jltest.stream(data))
    return _bundles[key]


def frames(stream):
    """Offsets of the FRAME opcodes of a stream's pickle (array data, which
    joblib writes between frames, stops pickletools: frames after it are
    found by their layout, a FRAME right after the data)."""
    out = []
    try:
        for op, arg, pos in pickletools.genops(io.BytesIO(stream)):
            if op.name == "FRAME":
                out.append(pos)
            if op.name == "STOP":
                break
    except Exception:
        pass
    return out


# --- the comparison -------------------------------------------------------------

def joblib_loads(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, joblib.load(path), None
    except BaseException as e:  # noqa: B902 (MemoryError, EOFError, ... all count)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return False, None, "%s: %s" % (type(e).__name__, e)


def ours(path):
    try:
        return True, one(conn(), "SELECT joblib_info(?)", path), None
    except sqlite3.Error as e:
        return False, None, str(e)


stats = {"both": 0, "neither": 0}


def tree_rows(path):
    return conn().execute("SELECT * FROM joblib_tree(?)", (path,)).fetchall()


def differ(label, data, fix=None, same_as=None):
    """joblib.load(data) succeeds <=> the extension reads it; same values
    (fix: what the loaded object is compared as; same_as: rows of
    joblib_tree to compare with instead, for files whose class names
    model() spells otherwise)."""
    path = tmp("damaged.pkl")
    with open(path, "wb") as f:
        f.write(data)
    py_ok, obj, py_err = joblib_loads(path)
    ok, info, err = ours(path)
    if py_ok != ok:
        fail("%s: joblib %s, extension %s" % (label, "loads" if py_ok else "fails (%s)" % py_err,
                                               "loads" if ok else "fails (%s)" % err))
        return None
    stats["both" if ok else "neither"] += 1
    if ok:
        if same_as is not None:
            expect(tree_rows(path) == same_as, "%s: joblib_tree differs from the whole file's" % label)
        else:
            jltest.check_tree(conn(), path, fix(obj) if fix else obj, label)
        return __import__("json").loads(info)
    expect(err.startswith("joblib: "), "%s: error %r" % (label, err))
    return None


def damaged_cuts(rng, data):
    n = len(data)
    cuts = set(range(max(1, n - 40), n))
    cuts.update(rng.randrange(1, n) for _ in range(4))
    return sorted(cuts)


def cut_case(name, protocol, method):
    rng = random.Random("%d %s %d %s" % (SEED, name, protocol, method))
    data, _ = bundle(name, protocol, method)
    for cut in damaged_cuts(rng, data):
        differ("%s p%d %s cut at %d of %d" % (name, protocol, method, cut, len(data)), data[:cut])


def frame_case(name, protocol, method):
    rng = random.Random("%d frame %s %d %s" % (SEED, name, protocol, method))
    _, stream = bundle(name, protocol, method)
    at = frames(stream)
    if not at:
        fail("%s p%d: no FRAME found" % (name, protocol))
        return
    for pos in at:
        size = struct.unpack_from("<Q", stream, pos + 1)[0]
        rem = len(stream) - (pos + 9)
        # lengths Python can allocate (a claim of terabytes is a MemoryError
        # there, depending on the machine: see README "Security and limits")
        sizes = {size ^ (0xFF << (8 * b)) for b in range(3)}
        sizes |= {rem + 1, rem + 26, rem + 1000, size + 1, max(0, size - 1), max(0, size - 3), 0}
        sizes |= {rng.randrange(0, 2 * rem + 2) for _ in range(3)}
        for s in sorted(sizes):
            d = bytearray(stream)
            struct.pack_into("<Q", d, pos + 1, s)
            cut = len(d) - rng.randrange(0, 3) if rng.random() < 0.3 else len(d)
            differ("%s p%d %s FRAME at %d: %d -> %d (cut %d of %d)" % (
                name, protocol, method, pos, size, s, cut, len(d)),
                recompress(method, bytes(d[:cut])))


def native(obj):
    """obj with '|f8'-style arrays as the native dtype they read as."""
    if isinstance(obj, dict):
        return {k: native(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray) and obj.dtype.byteorder == "|" and obj.dtype.itemsize > 1:
        return obj.view(np.dtype("<" + obj.dtype.str[1:]))
    return obj


def byteorder_case(protocol):
    _, stream = bundle("arrays", protocol, "none")
    pats = [b"\x8c\x01<\x94", b"X\x01\x00\x00\x00<", b"U\x01<"]
    for ch in b"<>=|x!\x00":
        for pat in pats:
            at = stream.find(pat)
            if at < 0:
                continue
            d = bytearray(stream)
            d[at + len(pat) - (2 if pat.endswith(b"\x94") else 1)] = ch
            # numpy keeps '|' on a multi-byte type ('|f8', read as native):
            # the extension says '<f8', the same bytes
            differ("arrays p%d byte order %r" % (protocol, chr(ch)), bytes(d),
                   fix=native if ch == ord("|") else None)
            break


def corpus_case():
    """Files joblib 0.8-0.14 wrote (the upstream corpus), cut in their last
    bytes; legacy bundles with sidecars, and files this joblib cannot load
    whole, are left out."""
    d = jltest.CORPUS_DIR
    if not os.path.isdir(d):
        raise jltest.Skip("corpus not found (set JL_CORPUS_DIR)")
    names = sorted(n for n in os.listdir(d) if n.startswith("joblib_") and ".npy" not in n)
    sidecars = {n.split(".pkl")[0] for n in os.listdir(d) if ".npy" in n}
    tried = 0
    for n in names:
        if n.split(".pkl")[0] in sidecars:
            continue
        data = open(os.path.join(d, n), "rb").read()
        whole = write("whole.pkl", data)
        if not joblib_loads(whole)[0]:
            continue
        rows = tree_rows(whole)
        tried += 1
        for cut in range(max(1, len(data) - 24), len(data)):
            differ("corpus %s cut at %d of %d" % (n, cut, len(data)), data[:cut], same_as=rows)
    expect(tried > 10, "only %d corpus files" % tried)


add_case("corpus cuts", corpus_case)

for _name in ("arrays", "plain", "objarray"):
    for _p in (2, 3, 4, 5):
        for _m in COMPRESSORS:
            add_case("cut %s p%d %s" % (_name, _p, _m), cut_case, _name, _p, _m)
    for _p in (4, 5):
        for _m in ("none", "zlib", "xz"):
            add_case("frame %s p%d %s" % (_name, _p, _m), frame_case, _name, _p, _m)
for _p in (2, 3, 4, 5):
    add_case("byte order p%d" % _p, byteorder_case, _p)


# --- exact messages and joblib_info's "damaged" ---------------------------------

def write(name, data):
    path = tmp(name)
    with open(path, "wb") as f:
        f.write(data)
    return path


@case
def truncated_pickle_messages():
    """A plain pickle cut inside an argument, before its STOP, inside array data."""
    data, _ = bundle("plain", 2, "none")
    # "plain" at protocol 2: PROTO, EMPTY_DICT, ... cut in the middle of a BINUNICODE
    ops = [(op.name, pos) for op, arg, pos in pickletools.genops(data)]
    name, pos = next((n, p) for n, p in ops if n == "BINUNICODE")
    path = write("cut_arg.pkl", data[:pos + 5])
    want = ("joblib: file is truncated: BINUNICODE at byte %d needs 1 byte but only 0 remain "
            "(file '%s')" % (pos, path))
    expect_eq(sql_error(conn(), "SELECT joblib_info(?)", path), want, "cut in an argument")
    path = write("cut_stop.pkl", data[:-1])
    expect_eq(sql_error(conn(), "SELECT joblib_info(?)", path),
              "joblib: file is truncated: the pickle ends at byte %d without its STOP opcode "
              "(file '%s')" % (len(data) - 1, path), "cut before STOP")
    path = tmp("one_array.pkl")
    joblib.dump(np.arange(100, dtype="<i8"), path, protocol=4)
    arr = open(path, "rb").read()
    path = write("cut_array.pkl", arr[:-30])
    msg = sql_error(conn(), "SELECT joblib_info(?)", path)
    want = "joblib: file is truncated: the array needs 800 bytes but only 771 remain at byte "
    expect(msg.startswith(want) and msg.endswith(" (BUILD) (file '%s')" % path),
           "cut in array data: %r" % msg)


@case
def truncated_container_messages():
    """Each compressor cut in the middle: the pickle's need, then where the
    container stops; a cut before any output: the container alone."""
    for method in COMPRESSORS[1:]:
        data, stream = bundle("plain", 4, method)
        for cut in (len(data) // 2, len(data) - 20):
            path = write("cut.pkl", data[:cut])
            msg = sql_error(conn(), "SELECT joblib_info(?)", path)
            tail = ("the %s stream stops after %d compressed bytes, before its end (" % (method, cut))
            expect(msg.startswith("joblib: file is truncated: ") and tail in msg,
                   "%s cut at %d: %r" % (method, cut, msg))
        head = {"zlib": 2, "gzip": 10, "bz2": 4, "lzma": 13, "xz": 12, "lz4": 7}[method]
        path = write("cut.pkl", data[:head + 1])
        expect_eq(sql_error(conn(), "SELECT joblib_info(?)", path),
                  "joblib: file is truncated: the %s stream stops after %d compressed bytes, "
                  "before its end (0 bytes decompressed) (file '%s')" % (method, head + 1, path),
                  "%s cut after its header" % method)


@case
def zf_truncated_messages():
    """joblib <= 0.9.4's ZF layout: joblib inflates it whole, a cut always fails."""
    stream = bundle("plain", 2, "none")[0]
    comp = zlib.compress(stream)
    zf = b"ZF0x%x" % len(stream)
    zf += b" " * (21 - len(zf)) + comp
    path = write("old.pkl", zf[:-4])
    expect_eq(sql_error(conn(), "SELECT joblib_info(?)", path),
              "joblib: file is truncated: the ZF header announces %d bytes but its zlib stream "
              "stops after %d compressed bytes, with %d decompressed (file '%s')"
              % (len(stream), len(zf) - 4, len(stream), path), "ZF without its adler32")
    path = write("old.pkl", zf[:12])
    expect_eq(sql_error(conn(), "SELECT joblib_info(?)", path),
              "joblib: file is truncated: the ZF header needs 21 bytes but the file has 12 (file '%s')"
              % path, "ZF header cut")


@case
def damaged_field():
    """joblib_info says what joblib read past; null when intact."""
    import json
    data, stream = bundle("arrays", 4, "zlib")
    info = json.loads(one(conn(), "SELECT joblib_info(?)", write("ok.pkl", data)))
    expect("damaged" in info and info["damaged"] is None, "intact: %r" % info.get("damaged"))
    path = write("cut.pkl", data[:-3])
    info = json.loads(one(conn(), "SELECT joblib_info(?)", path))
    expect_eq(info.get("damaged"),
              "the zlib stream stops after %d compressed bytes, before its end (%d bytes decompressed)"
              % (len(data) - 3, len(stream)), "zlib without its adler32")
    raw, _ = bundle("plain", 4, "none")
    d = bytearray(raw)
    size = struct.unpack_from("<Q", d, 3)[0]
    struct.pack_into("<Q", d, 3, size + 26)
    info = json.loads(one(conn(), "SELECT joblib_info(?)", write("frame.pkl", bytes(d))))
    expect_eq(info.get("damaged"), "FRAME at byte 2 claims %d bytes but only %d remain"
              % (size + 26, len(raw) - 11), "FRAME claiming more")


@case
def summary():
    expect(stats["both"] > 50 and stats["neither"] > 50, "few cases: %r" % stats)


if __name__ == "__main__":
    jltest.run()
