"""Shared helpers for the interop tests (tests/interop/test_*.py).

The tests run under Debian's /usr/bin/python3 with real numpy and joblib on
one side and the extension, loaded into Python's sqlite3, on the other.
This module gives them:

  - preload():    re-executes the test under the ASan runtime when the
                  extension was built with sanitizers ($JL_PRELOAD);
  - connect():    a connection with the extension loaded ($JL_MODULE);
  - a tiny runner: @case functions with soft checks (expect, expect_eq),
                  closing with the line "N passed, N failed" and exit
                  status 0 / 1 (77 when everything skipped);
  - dump():       joblib.dump that also records where each array's data
                  starts in the uncompressed stream;
  - stream():     the uncompressed stream of a bundle (every container,
                  including the old ZF one), as joblib reads it;
  - model():      what joblib_tree / joblib_info should say about a Python
                  object, derived from README "Paths, types and values": rows with fullkey,
                  type, SQL value, JSON value, dtype, shape, ref targets.

Nothing here needs pytest. tests/fixtures/make_fixtures.py imports model()
and dump() to write its manifest.
"""
import base64
import bz2
import collections
import gzip
import json
import lzma
import math
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import traceback
import zlib

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("JL_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get("JL_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
MODULE = os.environ.get("JL_MODULE", os.path.join(BUILD_DIR, "joblib0.so"))
CORPUS_DIR = os.environ.get("JL_CORPUS_DIR", os.path.join(
    SOURCE_DIR, "..", "shared", "corpus", "joblib-upstream"))


# ---------------------------------------------------------------------------
# Environment

def preload():
    """Re-exec this process with the ASan runtime preloaded, when needed.

    A sanitized joblib0.so can only be loaded into a process whose first
    library is the ASan runtime. Python leaks by design, so leak detection
    is off in these processes (the cmocka tests check leaks)."""
    rt = os.environ.get("JL_PRELOAD")
    if not rt or rt in os.environ.get("LD_PRELOAD", ""):
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = (rt + " " + env.get("LD_PRELOAD", "")).strip()
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


class ModuleLoadError(Exception):
    """The extension cannot be loaded: every case would fail the same way."""


def require(*names):
    """Imports the modules a test needs and returns them in order; when one
    is missing, the test says so and exits 77 (skipped)."""
    import importlib
    try:
        return tuple(importlib.import_module(n) for n in names)
    except ImportError as e:
        print("SKIP: %s" % e)
        print("0 passed, 0 failed, 1 skipped")
        sys.exit(SKIP)


def connect(path=":memory:"):
    """A sqlite3 connection with the extension loaded."""
    if not os.path.exists(MODULE):
        raise ModuleLoadError("the extension %s does not exist (build it first)" % MODULE)
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    try:
        conn.load_extension(MODULE)
    except sqlite3.Error as e:
        # SQLite reports its last attempt (MODULE + ".so"); dlopen says why
        import ctypes
        try:
            ctypes.CDLL(MODULE)
            why = str(e)
        except OSError as oe:
            why = str(oe)
        raise ModuleLoadError("cannot load %s: %s" % (MODULE, why)) from None
    conn.enable_load_extension(False)
    return conn


_shared_conn = None


def shared_conn():
    """One connection with the extension loaded, made on first use and
    shared by the cases of a test."""
    global _shared_conn
    if _shared_conn is None:
        _shared_conn = connect()
    return _shared_conn


# The start of a child script measuring its peak RSS: `module` (a name the
# script set) loaded into `conn`, status(key) reading /proc/self/status in
# KiB, VmHWM reset and the baseline RSS in `base`.
RSS_PRELUDE = '''
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(module)
conn.execute("SELECT 1").fetchall()
def status(key):
    return [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)][0]
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM := VmRSS
base = status("VmRSS")
'''


def vm_size():
    """Address space (bytes) of a child Python that loaded the extension and
    nothing else: the baseline of tests that limit RLIMIT_AS."""
    code = ("import sqlite3,sys; c=sqlite3.connect(':memory:'); c.enable_load_extension(True);"
            "c.load_extension(sys.argv[1]);"
            "print([l for l in open('/proc/self/status') if l.startswith('VmSize')][0].split()[1])")
    return int(subprocess.check_output([sys.executable, "-c", code, MODULE]).decode()) << 10


def info_of(conn, src):
    """joblib_info(src) parsed."""
    return json.loads(one(conn, "SELECT joblib_info(?)", src))


def one(conn, sql, *args):
    """The single value of a one-row, one-column query."""
    rows = conn.execute(sql, args).fetchall()
    if len(rows) != 1 or len(rows[0]) != 1:
        raise AssertionError("%s %r: expected one value, got %r" % (sql, args, rows))
    return rows[0][0]


def sql_error(conn, sql, *args):
    """The error message of a query that must fail (AssertionError if it does not)."""
    try:
        rows = conn.execute(sql, args).fetchall()
    except sqlite3.Error as e:
        return str(e)
    raise AssertionError("%s %r: expected an error, got %r" % (sql, args, rows))


# ---------------------------------------------------------------------------
# A tiny test runner with soft checks

class Skip(Exception):
    pass


_cases = []
_failures = None


def case(fn=None, name=None):
    """Register fn as a test case (usable as @case or case(fn, name))."""
    if fn is None:
        return lambda f: case(f, name)
    _cases.append((name or fn.__name__, fn))
    return fn


def add_case(name, fn, *args):
    _cases.append((name, lambda: fn(*args)))


def fail(msg):
    """Record a failure in the current case and go on."""
    if _failures is None:
        raise AssertionError(msg)
    _failures.append(msg)


def expect(cond, msg):
    if not cond:
        fail(msg)
    return bool(cond)


def same(a, b):
    """Equality that treats NaN as equal to NaN, and lists/tuples alike."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if type(a) is bool or type(b) is bool:
        return a == b and type(a) is type(b)
    return a == b and (isinstance(a, (bytes, bytearray)) == isinstance(b, (bytes, bytearray)))


def short(v, n=120):
    r = repr(v)
    return r if len(r) <= n else r[:n] + "...(%d chars)" % len(r)


def expect_eq(got, want, what):
    if same(got, want):
        return True
    fail("%s: got %s, want %s" % (what, short(got), short(want)))
    return False


def run():
    """Run every registered case; print the closing line; exit."""
    global _failures
    passed = failed = skipped = 0
    for name, fn in _cases:
        _failures = []
        try:
            fn()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e))
            continue
        except ModuleLoadError as e:
            print("FAIL %s: %s" % (name, e))
            failed += len(_cases) - passed - skipped
            print("%d passed, %d failed" % (passed, failed))
            sys.exit(1)
        except Exception:  # noqa: BLE001 - report every kind of failure
            _failures.append(traceback.format_exc().rstrip())
        if _failures:
            failed += 1
            print("FAIL %s" % name)
            for f in _failures[:40]:
                print("    " + f.replace("\n", "\n    "))
            if len(_failures) > 40:
                print("    ... and %d more" % (len(_failures) - 40))
        else:
            passed += 1
            print("ok   %s" % name)
    _failures = None
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    sys.stdout.flush()
    if failed:
        sys.exit(1)
    if skipped and not passed:
        sys.exit(SKIP)
    sys.exit(0)


class TempDir:
    """A temporary directory removed at exit (a module-level singleton)."""
    _dir = None

    @classmethod
    def path(cls, *parts):
        if cls._dir is None:
            cls._dir = tempfile.TemporaryDirectory(prefix="jltest-")
        return os.path.join(cls._dir.name, *parts)


# ---------------------------------------------------------------------------
# Writing bundles with real joblib, recording where array data lands

class NoTell:
    """A write-only file without tell(): joblib then writes no alignment
    padding (numpy_array_alignment_bytes: None). Counts what it writes."""
    def __init__(self, f):
        self.f = f
        self.written = 0

    def write(self, b):
        self.written += len(b)
        return self.f.write(b)

    def tell(self):
        import io
        raise io.UnsupportedOperation("tell")


def dump(obj, path, notell=False, **kw):
    """joblib.dump(obj, path, **kw); returns {id(array): [offsets...]}: the
    position in the uncompressed stream where each array's payload starts
    (its first element after the alignment padding; for object arrays, the
    first byte of the nested pickle), in writing order. With notell, the
    bundle is written through a file object without tell() (no padding)."""
    import joblib
    import joblib.numpy_pickle as jnp
    offsets = collections.defaultdict(list)
    orig = jnp.NumpyArrayWrapper.write_array

    def pos(fh):
        return fh.written if isinstance(fh, NoTell) else fh.tell()

    def write_array(self, array, pickler):
        start = pos(pickler.file_handle)
        orig(self, array, pickler)
        if array.dtype.hasobject:
            offsets[id(array)].append(start)
        else:
            offsets[id(array)].append(pos(pickler.file_handle) - array.nbytes)

    jnp.NumpyArrayWrapper.write_array = write_array
    try:
        if notell:
            with open(path, "wb") as f:
                jnp.NumpyPickler(NoTell(f), protocol=kw.get("protocol")).dump(obj)
        else:
            joblib.dump(obj, path, **kw)
    finally:
        jnp.NumpyArrayWrapper.write_array = orig
    return dict(offsets)


# ---------------------------------------------------------------------------
# Containers

MAGIC = [  # (prefix, compression name) in the order joblib tests them
    (b"ZF", "zlib"),
    (b"\x78", "zlib"),
    (b"\x1f\x8b", "gzip"),
    (b"BZ", "bz2"),
    (b"\x5d\x00", "lzma"),
    (b"\xfd\x37\x7a\x58\x5a", "xz"),
    (b"\x04\x22\x4d\x18", "lz4"),
]


def compression_of(data):
    """(compression name, is the old ZF layout) by magic bytes."""
    for prefix, name in MAGIC:
        if data.startswith(prefix):
            return name, prefix == b"ZF"
    return "none", False


def stream(src):
    """The uncompressed stream of a bundle (path or bytes)."""
    data = src if isinstance(src, (bytes, bytearray)) else open(src, "rb").read()
    name, zf = compression_of(data)
    if zf:
        size = int(data[2:21].decode("ascii").strip(), 16)
        start = 22 if data[21:22] == b" " else 21
        out = zlib.decompress(data[start:])
        assert len(out) == size, "ZF size %d != %d" % (len(out), size)
        return out
    if name == "zlib":
        return zlib.decompress(data)
    if name == "gzip":
        return gzip.decompress(data)
    if name == "bz2":
        return bz2.decompress(data)
    if name == "lzma":
        return lzma.decompress(data, format=lzma.FORMAT_ALONE)
    if name == "xz":
        return lzma.decompress(data, format=lzma.FORMAT_XZ)
    if name == "lz4":
        import lz4.frame
        return lz4.frame.decompress(data)
    return bytes(data)


# ---------------------------------------------------------------------------
# The expected view of a Python object (README "Paths, types and values")

class Any:
    """A value the contract leaves open: matches anything."""
    def __repr__(self):
        return "<any>"


ANY = Any()
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")  # \Z: "$" would match before a final newline


def np():
    import numpy
    return numpy


def native_bytes(a):
    """The SQL value of a fixed-size ndarray: C order, native byte order."""
    n = np()
    a = n.asarray(a)
    return n.ascontiguousarray(a).astype(a.dtype.newbyteorder("="), copy=False).tobytes()


def file_descr(dt):
    """joblib_info's dtype: the descr as stored, a JSON list when structured."""
    if dt.fields is not None:
        return _descr_json(dt.descr)
    return dt.str


def _descr_json(descr):
    out = []
    for item in descr:
        name, sub = item[0], item[1]
        sub = _descr_json(sub) if isinstance(sub, list) else sub
        out.append([name, sub] + ([list(item[2])] if len(item) > 2 else []))
    return out


def native_descr(dt):
    return file_descr(dt.newbyteorder("="))


def has_surrogate_pair(s):
    """True when str s holds a high and a low surrogate as two code points:
    its JSON text would read back as the one character they stand for, so
    such a key has no literal step (README "Paths": positional [#-K])."""
    return any("\ud800" <= a <= "\udbff" and "\udc00" <= b <= "\udfff" for a, b in zip(s, s[1:]))


def key_path(k):
    """The path step that selects key k of a dict."""
    if isinstance(k, str):
        if has_surrogate_pair(k):
            return None
        if IDENT.match(k):
            return "." + k
        return "." + json.dumps(k)
    lit = json_key_literal(k)
    if lit is None:
        return None
    return "[" + lit + "]"


def json_key_literal(k):
    """A non-str dict key written as JSON text (None when the contract leaves it open)."""
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, tuple):
        parts = [json_key_literal(x) if not isinstance(x, str) else
                 (None if has_surrogate_pair(x) else json.dumps(x)) for x in k]
        if any(p is None for p in parts):
            return None
        return "[" + ",".join(parts) + "]"
    return None  # floats and the rest: spelling not fixed by the contract


def type_word(v):
    n = np()
    if v is None:
        return "null"
    if isinstance(v, n.ndarray):
        return "ndarray"
    if isinstance(v, n.generic):
        return "scalar"
    if isinstance(v, type) or type(v).__name__ in ("function", "builtin_function_or_method"):
        return "global"
    for t, w in ((bool, "bool"), (int, "int"), (float, "float"), (complex, "complex"),
                 (str, "str"), (bytes, "bytes"), (bytearray, "bytearray"),
                 (list, "list"), (tuple, "tuple"), (dict, "dict"),
                 (frozenset, "frozenset"), (set, "set")):
        if isinstance(v, t) and (t is not int or not isinstance(v, bool)):
            if t is dict and type(v) not in (dict, collections.OrderedDict):
                return "object"   # defaultdict, Counter, ...: reductions of their own
            return w
    return "object"


COMPOUND = {"list", "tuple", "dict", "set", "frozenset", "ndarray", "object"}


def sql_value(v):
    """The SQL value joblib_load gives for v, as Python's sqlite3 returns it
    (ANY where the contract leaves it open, JsonOf for JSON text)."""
    n = np()
    w = type_word(v)
    if w == "null":
        return None
    if w == "bool":
        return int(v)
    if w == "int":
        return v if -2**63 <= v < 2**63 else str(v)
    if w == "float":
        return None if math.isnan(v) else v   # SQLite stores NaN as NULL
    if w == "str":
        return v
    if w in ("bytes", "bytearray"):
        return bytes(v)
    if w == "ndarray" and not v.dtype.hasobject:
        return native_bytes(v)
    if w == "scalar":
        if isinstance(v, n.bool_):
            return int(v)
        if isinstance(v, n.integer):
            i = int(v)
            return i if -2**63 <= i < 2**63 else str(i)
        if isinstance(v, n.floating) and v.dtype.itemsize <= 8:
            f = float(v)
            return None if math.isnan(f) else f
        if isinstance(v, n.str_):
            return str(v)
        return ANY
    j = json_value(v)
    return ANY if j is ANY else JsonOf(j)


class JsonOf:
    """Expected JSON text: compared after json.loads."""
    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "json(%s)" % short(self.value, 200)


def json_value(v, _seen=None):
    """The JSON rendering of v (as a Python value), or ANY when open."""
    n = np()
    seen = _seen or set()
    w = type_word(v)
    if w in COMPOUND:
        if id(v) in seen:
            return ANY   # a cycle: rendering not fixed by the contract
        seen = seen | {id(v)}
    if w in ("null", "bool", "str"):
        return v
    if w == "int":
        return v
    if w == "float":
        return None if (math.isnan(v) or math.isinf(v)) else v
    if w in ("bytes", "bytearray"):
        return base64.b64encode(bytes(v)).decode("ascii")
    if w in ("list", "tuple", "set", "frozenset"):
        items = [json_value(x, seen) for x in v]
        return ANY if any(x is ANY for x in items) else items
    if w == "dict":
        out = {}
        for k, x in v.items():
            ks = k if isinstance(k, str) else json_key_literal(k)
            xv = json_value(x, seen)
            if ks is None or xv is ANY:
                return ANY
            out[ks] = xv
        return out
    if w == "ndarray":
        if v.dtype.kind in "biuf":
            return _nan_to_none(v.tolist())
        if v.dtype.hasobject and v.dtype.fields is None:
            items = [json_value(x, seen) for x in v.ravel(order="C")]
            if any(x is ANY for x in items):
                return ANY
            return _reshape(items, v.shape)
        return ANY
    if w == "scalar":
        if isinstance(v, (n.bool_, n.integer)) or (isinstance(v, n.floating) and v.dtype.itemsize <= 8):
            return json_value(v.item(), seen)
        return ANY
    if w == "object":
        st = object_state(v)
        if st is None or st[0]:
            return ANY
        out = {"__class__": object_class(v)}
        for k, x in st[1].items():
            xv = json_value(x, seen)
            if not isinstance(k, str) or xv is ANY:
                return ANY
            out[k] = xv
        return out
    return ANY


def _nan_to_none(x):
    if isinstance(x, list):
        return [_nan_to_none(y) for y in x]
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    return x


def _reshape(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_reshape(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def object_class(v):
    t = type(v)
    return t.__module__ + "." + t.__qualname__


def object_state(v):
    """(args, state dict) of an instance pickled by NEWOBJ + BUILD, or None."""
    try:
        rv = v.__reduce_ex__(4)
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(rv, tuple) or len(rv) < 2 or getattr(rv[0], "__name__", "") != "__newobj__":
        return None
    args = rv[1][1:]
    state = rv[2] if len(rv) > 2 else None
    if len(rv) > 3 and (rv[3] is not None or (len(rv) > 4 and rv[4] is not None)):
        return None
    if state is not None and not isinstance(state, dict):
        return None
    return args, state or {}


class Row(dict):
    """One expected joblib_tree row; `open` marks a subtree the model does not describe."""


def model(obj, joblib_format=True):
    """Expected joblib_tree rows (depth-first, parents first) for obj.

    Each row: fullkey, type, value (SQL value / JsonOf / ANY), and for
    arrays dtype (native descr), shape, nbytes, array (the object itself).
    Compound nodes met again are 'ref' rows whose value is the first
    fullkey. With joblib_format, ndarrays are never refs (joblib writes a
    shared array twice). Empty tuples are never refs (pickle does not
    memoize them). A row with open=True has children the model cannot
    predict (not listed)."""
    rows = []
    first = {}
    views = []   # rows of N-D object arrays, kept alive so their id()s stay unique

    def walk(v, fullkey, view=False, inside=False):
        w = type_word(v)
        shareable = w in COMPOUND and not (w == "tuple" and len(v) == 0) \
            and not (w == "ndarray" and (joblib_format or view))
        if shareable and id(v) in first:
            rows.append(Row(fullkey=fullkey, type="ref", value=first[id(v)]))
            return
        if shareable:
            first[id(v)] = fullkey
        row = Row(fullkey=fullkey, type=w, value=sql_value(v))
        if view:
            row["view"] = True
        if inside:
            row["inside"] = True   # under an object array: pickled as a plain pickle
        rows.append(row)
        if w == "ndarray":
            row.update(dtype=native_descr(v.dtype), shape=list(v.shape), nbytes=v.nbytes,
                       array=v, cls=object_class(v) if type(v) is not np().ndarray else None)
            if v.dtype != object or v.ndim == 0:
                return
            # object arrays: elements [i] of a 1-D one, rows [i] (views) of an N-D one
            for i in range(v.shape[0]):
                if v.ndim == 1:
                    walk(v[i], "%s[%d]" % (fullkey, i), inside=True)
                else:
                    views.append(v[i])
                    walk(views[-1], "%s[%d]" % (fullkey, i), view=True, inside=True)
        if w == "scalar":
            row.update(dtype=native_descr(v.dtype))
            return
        if w in ("list", "tuple", "set", "frozenset"):
            for i, x in enumerate(v):
                walk(x, "%s[%d]" % (fullkey, i), inside=inside)
        elif w == "dict":
            for k, x in v.items():
                step = key_path(k)
                if step is None:
                    row["open"] = True
                    continue
                walk(x, fullkey + step, inside=inside)
        elif w == "object":
            row["cls"] = object_class(v)
            st = object_state(v)
            if st is None or st[0]:
                row["open"] = True
                return
            for k, x in st[1].items():
                step = key_path(k)
                if step is None:
                    row["open"] = True
                    continue
                walk(x, fullkey + step, inside=inside)
        if row["value"] is not ANY and _has_ref_below(rows, row):
            row["value"] = ANY   # JSON of shared/cyclic structure: not fixed

    walk(obj, "$")
    return rows


def below(key, prefix):
    """True when fullkey `key` is `prefix` or a node under it."""
    return key == prefix or (key.startswith(prefix) and key[len(prefix)] in "[.")


def _has_ref_below(rows, row):
    i = next(j for j, r in enumerate(rows) if r is row)
    pre = row["fullkey"]
    for r in rows[i + 1:]:
        if not below(r["fullkey"], pre):
            break
        if r["type"] == "ref":
            return True
    return False


def arrays_of(rows):
    """The ndarray rows of a model (the arrays joblib wraps), in stream order;
    not the rows of N-D object arrays (views, no array of their own)."""
    return [r for r in rows if r["type"] == "ndarray" and not r.get("view")]


def expected_info_arrays(rows, offsets):
    """joblib_info's arrays[] for a bundle written by dump(): per path,
    dtype as stored, shape, order, nbytes and offset."""
    used = collections.defaultdict(int)
    out = []
    for r in arrays_of(rows):
        a = r["array"]
        offs = offsets.get(id(a), [])
        k = used[id(a)]
        used[id(a)] += 1
        order = "F" if (a.flags.f_contiguous and not a.flags.c_contiguous) else "C"
        out.append({"path": r["fullkey"], "dtype": file_descr(a.dtype), "shape": list(a.shape),
                    "order": order, "nbytes": a.nbytes,
                    "offset": offs[k] if k < len(offs) else None,
                    "object": bool(a.dtype.hasobject)})
    return out


def compare_value(got, want, what):
    """Compare a SQL value with sql_value()'s expectation."""
    if want is ANY:
        return True
    if isinstance(want, JsonOf):
        if not isinstance(got, str):
            return expect_eq(got, want.value, what + " (JSON text)")
        try:
            parsed = json.loads(got)
        except ValueError as e:
            fail("%s: not JSON (%s): %s" % (what, e, short(got)))
            return False
        return expect_eq(parsed, want.value, what + " (JSON)")
    return expect_eq(got, want, what)


TREE_COLUMNS = "fullkey, type, value, class, dtype, shape, nbytes"


def check_tree(conn, src, obj, what, joblib_format=True):
    """Check joblib_tree(src) row by row against model(obj), and that
    joblib_load(src, fullkey) gives each node's value."""
    want = model(obj, joblib_format)
    got = conn.execute("SELECT %s FROM joblib_tree(?)" % TREE_COLUMNS, (src,)).fetchall()
    by_key = {}
    for g in got:
        by_key.setdefault(g[0], g)
    got_keys = [g[0] for g in got]
    # order: the expected rows must appear in this order (open subtrees may add rows)
    pos = {k: i for i, k in reversed(list(enumerate(got_keys)))}
    last = -1
    for r in want:
        g = by_key.get(r["fullkey"])
        if g is None:
            fail("%s: no joblib_tree row with fullkey %s (want type %s)" % (what, r["fullkey"], r["type"]))
            continue
        if pos[r["fullkey"]] < last:
            fail("%s: row %s out of depth-first order" % (what, r["fullkey"]))
        last = pos[r["fullkey"]]
        w = "%s %s" % (what, r["fullkey"])
        if not expect_eq(g[1], r["type"], w + " type"):
            continue
        compare_value(g[2], r["value"], w + " value")
        if r.get("cls"):
            expect_eq(g[3], r["cls"], w + " class")
        if "dtype" in r and isinstance(r["dtype"], str):
            expect_eq(g[4], r["dtype"], w + " dtype")
        if "shape" in r:
            try:
                expect_eq(json.loads(g[5]) if g[5] is not None else None, r["shape"], w + " shape")
            except (TypeError, ValueError):
                fail("%s shape: not a JSON array: %r" % (w, g[5]))
        if "nbytes" in r:
            expect_eq(g[6], r["nbytes"], w + " nbytes")
    open_prefixes = [r["fullkey"] for r in want if r.get("open")]
    known = {r["fullkey"] for r in want}
    for k in got_keys:
        if k not in known and not any(below(k, p) for p in open_prefixes):
            fail("%s: unexpected joblib_tree row %s" % (what, k))
    if len(set(got_keys)) != len(got_keys):
        fail("%s: duplicate fullkeys in joblib_tree" % what)
    # every fullkey selects its node
    for r in want:
        if r["type"] != "ref" and r["value"] is not ANY:
            try:
                v = one(conn, "SELECT joblib_load(?, ?)", src, r["fullkey"])
            except Exception as e:  # noqa: BLE001
                fail("%s joblib_load(src, %r): %s" % (what, r["fullkey"], e))
                continue
            compare_value(v, r["value"], "%s joblib_load %s" % (what, r["fullkey"]))
    return want

