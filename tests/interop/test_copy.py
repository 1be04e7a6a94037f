#!/usr/bin/env python3
"""joblib_copy(src, dest [, compress [, path [, protocol]]]) re-dumps a
bundle (README "Writing"): joblib.load(dest) must equal joblib.load(src)
(or the value at path) for every source format and compression we read
and every destination compression, with shared values still shared and
classes the extension does not know kept as they are.

  - matrix: a bundle of arrays (C and F order, one over the 8 MiB a
    compressed file is streamed from, so its payloads stay in the stream),
    a shared list, a class of a module made here, written by real joblib
    uncompressed and with zlib, gzip, bz2, xz and lz4, copied to no
    compression and each method;
  - the legacy layouts of joblib < 0.10 from the upstream corpus (a pickle
    with .npy files, a ZF file with .npy.z files), a fitted scikit-learn
    model, a pandas DataFrame, the legacy 'npy' output, protocol 2;
  - joblib_dump(joblib_extract(src, '$'), dest) still writes the same value;
  - errors: exact "joblib:" messages; nothing left behind;
  - memory: a bundle of a 256 MiB array, xz -> zlib, copied in a child whose
    address space is limited to its baseline plus 0.75 times the array,
    where joblib_dump(joblib_extract(...)) fails; the copy's peak RSS rise
    (VmHWM after clear_refs) stays under 48 MiB.

Run by ctest with JL_MODULE set; by hand: /usr/bin/python3 test_copy.py
"""
import json
import os
import subprocess
import sys
import warnings

import jltest
jltest.preload()
from jltest import case, expect, expect_eq

joblib, np = jltest.require("joblib", "numpy")

MIB = 1 << 20
TMP = jltest.TempDir.path
SOURCES = [None, "zlib", "gzip", "bz2", "xz"]
DESTS = [None, "zlib", "gzip", "bz2", "lzma", "xz"]
try:
    import lz4.frame  # noqa: F401
    SOURCES.append("lz4")
    DESTS.append("lz4")
except ImportError:  # pragma: no cover
    pass

# A class the extension knows nothing of, importable by joblib.load.
MODULE_SRC = '''
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)
'''


def point_class():
    d = TMP("mods")
    if not os.path.isdir(d):
        os.mkdir(d)
        with open(os.path.join(d, "copymod.py"), "w") as f:
            f.write(MODULE_SRC)
        sys.path.insert(0, d)
    import copymod
    return copymod.Point


def equal(a, b, where="$"):
    """None when a and b are equal as joblib.load values, else where not."""
    if type(a) is not type(b):
        return "%s: type %s vs %s" % (where, type(a).__name__, type(b).__name__)
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return "%s: %s%s vs %s%s" % (where, a.dtype, a.shape, b.dtype, b.shape)
        if a.flags.f_contiguous != b.flags.f_contiguous or a.flags.c_contiguous != b.flags.c_contiguous:
            return "%s: order differs" % where
        if a.dtype.hasobject:
            return next((w for w in (equal(x, y, "%s[%d]" % (where, i))
                                     for i, (x, y) in enumerate(zip(a.ravel(), b.ravel()))) if w), None)
        return None if np.array_equal(a, b, equal_nan=a.dtype.kind in "fc") else "%s: values differ" % where
    if isinstance(a, dict):
        if list(a) != list(b):
            return "%s: keys %r vs %r" % (where, list(a), list(b))
        return next((w for w in (equal(a[k], b[k], "%s[%r]" % (where, k)) for k in a) if w), None)
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return "%s: length %d vs %d" % (where, len(a), len(b))
        return next((w for w in (equal(x, y, "%s[%d]" % (where, i)) for i, (x, y) in enumerate(zip(a, b))) if w),
                    None)
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return equal(vars(a), vars(b), where + ".__dict__")
    return None if a == b else "%s: %r vs %r" % (where, a, b)


def suffix(comp):
    return {None: "", "zlib": ".z", "gzip": ".gz", "bz2": ".bz2", "lzma": ".lzma", "xz": ".xz", "lz4": ".lz4"}[comp]


def source_value():
    Point = point_class()
    shared = [1, "two", 3.0]
    return {
        "big": np.arange(1_200_000, dtype="<f8"),  # 9.2 MiB: the stream is read as it inflates
        "fortran": np.asfortranarray(np.arange(300_000, dtype="<i4").reshape(600, 500)),
        "small": np.arange(10, dtype=">i2"),
        "objects": np.array([1, "a", None], dtype=object),
        "a": shared,
        "b": shared,
        "point": Point(1, 2),
        "empty": np.zeros((0, 3)),
    }


def source(comp):
    path = TMP("src.pkl" + suffix(comp))
    if not os.path.exists(path):
        joblib.dump(source_value(), path, compress=(comp, 1) if comp else 0)
    return path


def copy(conn, *args):
    return json.loads(jltest.one(conn, "SELECT joblib_copy(%s)" % ", ".join("?" * len(args)), *args))


def check_copy(conn, src, dest, compress, want, *more):
    """joblib_copy(src, dest, compress, *more): the files it names, and
    joblib.load(dest) equal to want."""
    got = copy(conn, src, dest, compress, *more)
    expect_eq(got, [dest], "joblib_copy(%r, %r, %r) result" % (src, dest, compress))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = joblib.load(dest)
    diff = equal(want, value)
    expect(diff is None, "%s -> %s (%r): %s" % (os.path.basename(src), os.path.basename(dest), compress, diff))
    return value


def matrix(src_comp):
    conn = jltest.connect()
    src = source(src_comp)
    want = joblib.load(src)
    for d in DESTS:
        dest = TMP("copy_%s_to_%s.pkl" % (src_comp, d))
        value = check_copy(conn, src, dest, "%s:1" % d if d else 0, want)
        expect(value["a"] is value["b"], "%s -> %s: the shared list stays shared" % (src_comp, d))
        expect_eq(jltest.info_of(conn, dest)["compression"], d or "none", "compression of " + dest)


for c in SOURCES:
    jltest.add_case("copy_from_%s" % c, matrix, c)


@case
def suffix_picks_method():
    conn = jltest.connect()
    dest = TMP("by_suffix.pkl.gz")
    check_copy(conn, source("xz"), dest, None, joblib.load(source("xz")))
    expect_eq(jltest.info_of(conn, dest)["compression"], "gzip", "dest suffix .gz")


@case
def path_argument():
    conn = jltest.connect()
    want = joblib.load(source("zlib"))
    for path, value in (("$.big", want["big"]), ("$.a", want["a"]), ("$.fortran", want["fortran"]),
                        ("$.point", want["point"])):
        check_copy(conn, source("zlib"), TMP("path_%s.pkl" % path[2:]), "xz:1", value, path)
    # a row of the big array: a view into the stream
    check_copy(conn, source("gzip"), TMP("row.pkl"), 0, np.ascontiguousarray(want["fortran"][3]), "$.fortran[3]")


@case
def protocol_argument():
    conn = jltest.connect()
    dest = TMP("proto2.pkl")
    check_copy(conn, source("bz2"), dest, 0, joblib.load(source("bz2")), "$", 2)
    expect_eq(jltest.info_of(conn, dest)["protocol"], 2, "protocol of the copy")


@case
def legacy_npy_output():
    conn = jltest.connect()
    dest = TMP("legacy_out.pkl")
    got = copy(conn, source("xz"), dest, "npy")
    expect_eq(got, [dest] + ["%s_%02d.npy" % (dest, i) for i in range(1, 5)], "files of the 'npy' layout")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = joblib.load(dest)
    diff = equal(joblib.load(source("xz")), value)
    expect(diff is None, "xz -> npy layout: %s" % diff)


@case
def blob_source():
    conn = jltest.connect()
    with open(source("lz4" if "lz4" in SOURCES else "gzip"), "rb") as f:
        data = f.read()
    dest = TMP("from_blob.pkl")
    got = json.loads(jltest.one(conn, "SELECT joblib_copy(?, ?, 'zlib:1')", data, dest))
    expect_eq(got, [dest], "result")
    diff = equal(joblib.load(source("gzip")), joblib.load(dest))
    expect(diff is None, "BLOB src: %s" % diff)


def corpus_file(name):
    path = os.path.join(jltest.CORPUS_DIR, name)
    if not os.path.exists(path):
        raise jltest.Skip("the upstream corpus has no %s (%s)" % (name, jltest.CORPUS_DIR))
    return path


def legacy(name):
    src = corpus_file(name)
    conn = jltest.connect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = joblib.load(src)
    for d in DESTS:
        check_copy(conn, src, TMP("legacy_%s_%s.pkl" % (name[:12], d)), "%s:1" % d if d else 0, want)


jltest.add_case("legacy_npy_sidecars", legacy, "joblib_0.9.2_pickle_py35_np19.pkl")
jltest.add_case("legacy_zf_sidecars", legacy, "joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz")


@case
def sklearn_model():
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise jltest.Skip("scikit-learn is not installed")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((200, 5))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    src = TMP("model.pkl.xz")
    joblib.dump(model, src, compress=("xz", 1))
    conn = jltest.connect()
    for d in DESTS:
        got = check_copy(conn, src, TMP("model_%s.pkl" % d), "%s:1" % d if d else 0, joblib.load(src))
        expect(np.array_equal(got.predict(x), model.predict(x)), "model copied to %s predicts the same" % d)


@case
def pandas_frame():
    try:
        import pandas as pd
    except ImportError:
        raise jltest.Skip("pandas is not installed")
    n = 400_000  # over 8 MiB: the columns stay in the stream
    df = pd.DataFrame({"x": np.arange(n, dtype="f8"), "y": np.arange(n) % 7, "s": ["a", "b"] * (n // 2)})
    src = TMP("frame.pkl.gz")
    joblib.dump(df, src, compress=("gzip", 1))
    conn = jltest.connect()
    for d in DESTS:
        dest = TMP("frame_%s.pkl" % d)
        expect_eq(copy(conn, src, dest, "%s:1" % d if d else 0), [dest], "result")
        got = joblib.load(dest)
        expect(isinstance(got, pd.DataFrame) and got.equals(df), "frame copied to %s equals the source" % d)


@case
def dump_of_extract_still_works():
    conn = jltest.connect()
    for c in ("xz", None):
        dest = TMP("dump_extract_%s.pkl.z" % c)
        got = json.loads(jltest.one(conn, "SELECT joblib_dump(joblib_extract(?, '$'), ?)", source(c), dest))
        expect_eq(got, [dest], "joblib_dump result")
        diff = equal(joblib.load(source(c)), joblib.load(dest))
        expect(diff is None, "joblib_dump(joblib_extract(%s)): %s" % (c, diff))


@case
def null_arguments():
    conn = jltest.connect()
    for args in ((None, TMP("n.pkl")), (source(None), None), (source(None), TMP("n.pkl"), 0, None)):
        expect_eq(jltest.one(conn, "SELECT joblib_copy(%s)" % ", ".join("?" * len(args)), *args), None,
                  "joblib_copy%r" % (args,))
    expect(not os.path.exists(TMP("n.pkl")), "NULL arguments write nothing")


def temp_files(folder):
    return sorted(f for f in os.listdir(folder) if f.startswith("."))


@case
def errors():
    conn = jltest.connect()
    src = source("xz")
    before = temp_files(TMP())
    missing = TMP("no_such.pkl")
    cases = [
        ((missing, TMP("e1.pkl")), "joblib: cannot open '%s': No such file or directory" % missing),
        ((src, TMP("e2.pkl"), 0, "$["), "joblib: bad path '$[': expected ']' at character 2 (file '%s', path $[)" % src),
        ((src, TMP("e3.pkl"), 0, "$.nope"),
         "joblib: joblib_copy: the path '$.nope' selects nothing in '%s': nothing was written" % src),
        ((src, TMP("no_dir", "e4.pkl")),
         "joblib: cannot write to directory '%s': No such file or directory (file '%s')"
         % (TMP("no_dir"), TMP("no_dir", "e4.pkl"))),
        ((src, TMP("e5.pkl"), "brotli"),
         "joblib: joblib_copy: unknown compressor 'brotli' (expected zlib, gzip, bz2, lzma, xz, lz4 or a level "
         "0-9, optionally as 'method:level')"),
        ((src, TMP("e6.pkl"), 0, "$", 7), "joblib: joblib_copy: protocol must be 2, 3, 4 or 5, not 7"),
        ((src, 3), "joblib: joblib_copy: dest must be TEXT (a file name), not INTEGER"),
        ((src, TMP("e7.pkl"), 0, 5), "joblib: joblib_copy: path must be TEXT such as '$.a[0]', not INTEGER"),
        ((3.5, TMP("e8.pkl")),
         "joblib: joblib_copy(): argument 1 (src) must be a file path (TEXT) or the bytes of a bundle (BLOB), not REAL"),
    ]
    for args, want in cases:
        msg = jltest.sql_error(conn, "SELECT joblib_copy(%s)" % ", ".join("?" * len(args)), *args)
        expect(msg.startswith("joblib: "), "%r: %r does not start with 'joblib: '" % (args, msg))
        expect_eq(msg, want, "error of joblib_copy%r" % (args,))
        if isinstance(args[1], str):
            expect(not os.path.exists(args[1]), "%s left behind" % args[1])
    expect_eq(temp_files(TMP()), before, "temporary files left in the folder")


# ---- memory -------------------------------------------------------------------

BIG_MIB = int(os.environ.get("JL_COPY_MIB", "256"))
BIG = BIG_MIB * MIB
RSS_MAX_MIB = 48

CHILD = r"""
import json, resource, sqlite3, sys
module, sql, src, dest, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
""" + jltest.RSS_PRELUDE + r"""
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    out = {"result": conn.execute(sql, (src, dest)).fetchone()[0]}
except sqlite3.Error as e:
    out = {"error": str(e)}
except MemoryError:
    out = {"error": "MemoryError"}
out["rise_kib"] = status("VmHWM") - base
print(json.dumps(out))
"""


def child(sql, src, dest, limit):
    r = subprocess.run([sys.executable, "-c", CHILD, jltest.MODULE, sql, src, dest, str(limit)],
                       capture_output=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError("child failed (%d): %s" % (r.returncode, r.stderr.decode()[-2000:]))
    return json.loads(r.stdout)


@case
def bounded_memory():
    if os.environ.get("JL_PRELOAD"):
        raise jltest.Skip("address-space limits and peak RSS are not the module's under ASan")
    src = TMP("big.pkl.xz")
    joblib.dump({"big": np.zeros(BIG // 8), "small": 42}, src, compress=("xz", 1))
    limit = jltest.vm_size() + int(BIG * 0.75)
    dest = TMP("big_copy.pkl.z")
    got = child("SELECT joblib_copy(?, ?, 'zlib:1')", src, dest, limit)
    if expect_eq(got.get("result"), json.dumps([dest]).replace(" ", ""), "joblib_copy under the limit (%r)" % got):
        value = joblib.load(dest)
        expect_eq(value["small"], 42, "small value of the copy")
        expect(value["big"].shape == (BIG // 8,) and value["big"].dtype == np.float64 and not value["big"].any(),
               "the copy's big array: %s %s" % (value["big"].dtype, value["big"].shape))
        del value
    old = child("SELECT joblib_dump(joblib_extract(?, '$'), ?, 'zlib:1')", src, TMP("big_old.pkl.z"), limit)
    expect("error" in old and old["error"].startswith("joblib: ") and str(BIG) in old["error"],
           "joblib_dump(joblib_extract(...)) should fail under the same limit naming %d bytes, got %r" % (BIG, old))
    expect(not os.path.exists(TMP("big_old.pkl.z")), "the failed dump left its file")
    free = child("SELECT joblib_copy(?, ?, 'zlib:1')", src, TMP("big_copy2.pkl.z"), 0)
    rise = free["rise_kib"] >> 10
    print("    copy of %d MiB xz -> zlib: peak RSS rise %d MiB" % (BIG_MIB, rise))
    expect(rise < RSS_MAX_MIB, "peak RSS rise of the copy %d MiB, want under %d MiB" % (rise, RSS_MAX_MIB))


if __name__ == "__main__":
    jltest.run()
