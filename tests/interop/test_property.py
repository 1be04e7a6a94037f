#!/usr/bin/env python3
"""Property test (issue 12): random values through real joblib and the extension.

Read direction: a random Python value (nested list / tuple / dict / set /
frozenset with shared references and cycles, odd dict keys, numpy arrays of
every dtype joblib writes in both byte orders and both memory orders, 0-d
and empty arrays, numpy scalars, big ints, NaN) is written by real
joblib.dump at a random protocol (0-5) and a random compressor and level,
then read through SQL and checked against oracles computed from the Python
value:

  [model]   joblib_tree rows against jltest.model() (types, SQL values, array
            BLOBs in C order and native byte order, dtypes, shapes, refs);
  [select]  every row's fullkey, given to joblib_load, selects that row's
            node (same SQL value), and every ref row names a real node;
  [json]    the JSON text of every compound node against this file's
            rendering of README "Paths, types and values" (cycles as
            {"__ref__": path}, bytes base64, datetime64 as numpy prints it,
            class names as written or as Python 3 loads them, ...);
  [info]    joblib_info: compression, protocol (pickletools: the PROTO
            opcode, else the highest protocol of the opcodes used), arrays.

Write direction: a random SQL expression (joblib_list / joblib_tuple /
joblib_dict with random keys, joblib_ndarray of random dtypes, shapes,
orders and byte orders, json() input, SQL atoms, nested bundles written by
real joblib) is written by joblib_dumps or joblib_dump at a random compress
and protocol, then

  [write]   joblib.load gives the Python value expected from the expression
            (types, dict key order, dtypes, array bytes, shared identity);
  [retree]  joblib_tree of the written bundle is joblib_tree of the value
            built in SQL (every column);
  [model]   joblib_tree of the written bundle against jltest.model() of the
            expected value.

Every case has its own seed, derived from --seed and its number, and a
failing case prints the command that replays it alone. Disagreements that
are known defects (being fixed on other branches) are listed in KNOWN
below: a predicate over the features of the value plus a pattern over the
failure message. A case whose every failure matches a known entry is
reported as "known" and does not fail the run; delete the entry when the
fix lands (a known entry that no longer fires is reported at the end).

  test_property.py [--seed N] [--count N] [--seconds S] [--case I]
                   [--direction read|write|both] [--verbose]
                   [--strict | --without-known NAME]

--strict ignores the table (every disagreement fails); --without-known NAME
ignores one entry, to check that a fix makes its disagreements go away.

ctest runs it with the defaults: a fixed seed, a small count, a few
seconds. scripts/proptest runs it for minutes with random seeds.
"""
import _compat_pickle
import argparse
import base64
import collections
import io
import json
import math
import os
import pickletools
import random
import re
import sqlite3
import sys
import time
import traceback

import jltest
jltest.preload()

import joblib  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT_SEED = 20261206


# The contract fixes a fullkey only as "a path joblib_load accepts that
# selects the node": a quoted key may carry its non-ASCII characters as
# they are or as \u escapes. The extension writes them as they are (UTF-8);
# jltest.model() spells them with json.dumps' \u escapes, so here model()
# predicts the extension's spelling. ([select] checks that each fullkey
# selects its node whatever its spelling.)
def _json_str(k):
    """json.dumps(k) with non-ASCII characters as they are, but a lone
    surrogate (which UTF-8 cannot carry) as its \\u escape."""
    return re.sub("[\ud800-\udfff]", lambda m: "\\u%04x" % ord(m.group()),
                  json.dumps(k, ensure_ascii=False))


def _key_path(k):
    if isinstance(k, np.generic):
        return None     # numpy.str_ is a str, but "Keys match by type": not .name
    if isinstance(k, str):
        if jltest.has_surrogate_pair(k):
            return None     # no literal: positional [#-K] (README "Paths")
        if jltest.IDENT.match(k):
            return "." + k
        return "." + _json_str(k)
    lit = _json_key_literal(k)
    return None if lit is None else "[" + lit + "]"


def _json_key_literal(k):
    if isinstance(k, np.generic):
        return None
    if isinstance(k, tuple):
        parts = [_json_key_literal(x) if not isinstance(x, str) else
                 (None if jltest.has_surrogate_pair(x) else _json_str(x)) for x in k]
        return None if any(p is None for p in parts) else "[" + ",".join(parts) + "]"
    return _orig_json_key_literal(k)


_orig_json_key_literal = jltest.json_key_literal
jltest.key_path = _key_path
jltest.json_key_literal = _json_key_literal


# Two more corrections to model() for values it was not written for:
# - a big-endian structured array converted by numpy's astype keeps no
#   padding bytes (they are whatever memory held), so its expected BLOB is
#   built field by field into zeroed memory (the generator zeroes padding);
# - datetime64 / timedelta64 scalars are numpy integers to isinstance, but
#   their value is not int(v): left to this file's own checks ([json]).
def _native_bytes(a):
    a = np.asarray(a)
    if a.dtype.fields is not None:
        out = np.zeros(a.shape, a.dtype.newbyteorder("="))
        out[...] = a
        return out.tobytes()
    return _orig_native_bytes(a)


def _sql_value(v):
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return jltest.ANY
    return _orig_sql_value(v)


def _json_value(v, _seen=None):
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return jltest.ANY
    return _orig_json_value(v, _seen)


class InDtype(float):
    """A float16/float32 element in JSON: the contract says neither the
    exact double nor the shortest text of the element, so any number that
    rounds to the element in its own dtype matches (numpy's repr and the
    extension print 0.1 for float32(0.1); tolist() gives 0.10000000149011612)."""
    def __new__(cls, value, dtype):
        f = float.__new__(cls, value)
        f.dtype = np.dtype(dtype)
        return f

    def __eq__(self, other):
        if not isinstance(other, (int, float)):
            return NotImplemented
        with np.errstate(all="ignore"):
            return np.array(other, self.dtype).tobytes() == np.array(float(self), self.dtype).tobytes()

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    __hash__ = float.__hash__


def in_dtype(x, dtype):
    """A nested list of float16/float32 elements with each as InDtype."""
    if isinstance(x, list):
        return [in_dtype(y, dtype) for y in x]
    if isinstance(x, float) and not (math.isnan(x) or math.isinf(x)):
        return InDtype(x, dtype)
    return x


def json_text_of(s):
    """A str as JSON text can only say it: two surrogates that form a UTF-16
    pair are read back as the character they stand for."""
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _json_value2(v, _seen=None):
    if isinstance(v, str) and not isinstance(v, np.generic):
        return json_text_of(v)
    if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.dtype.itemsize > 8:
        return jltest._nan_to_none(v.astype(np.float64).tolist())   # long double: as a double
    if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.dtype.itemsize < 8:
        return in_dtype(jltest._nan_to_none(v.tolist()), v.dtype.newbyteorder("="))
    if isinstance(v, np.floating) and v.dtype.itemsize < 8:
        f = float(v)
        return None if (math.isnan(f) or math.isinf(f)) else InDtype(f, v.dtype)
    return _json_value(v, _seen)


_orig_native_bytes, _orig_sql_value, _orig_json_value = jltest.native_bytes, jltest.sql_value, jltest.json_value
jltest.native_bytes, jltest.sql_value, jltest.json_value = _native_bytes, _sql_value, _json_value2
DEFAULT_COUNT = 60
DEFAULT_SECONDS = 12.0

# ---------------------------------------------------------------------------
# Known disagreements. Each: name, the issue text, a predicate over the
# case's features (a set of strings computed from the value, see
# features()), and a regex over one failure message. A failure message is
# "known" when some entry's predicate holds for its case and its pattern
# matches the message.

Known = collections.namedtuple("Known", "name issue applies pattern")

# Empty since the fixes of issue 12 landed (fullkeys of odd keys, refs
# under quoted keys, merged written keys, protocol-0 text, protocol 1,
# Python 2 names, S in JSON, the protocol of files holding object arrays).
KNOWN = []


def classify(feats, msgs):
    """(unexplained messages, names of the known entries that explain the rest)."""
    left, names = [], set()
    for m in msgs:
        hit = [k for k in KNOWN if k.applies(feats) and re.search(k.pattern, m)]
        if hit:
            names.add(hit[0].name)
        else:
            left.append(m)
    return left, names


# ---------------------------------------------------------------------------
# Pools

IDENTS = ["a", "x", "_p", "mean_", "k2", "Name"]
ODD_TEXT = ["", "\u00e9", "\U0001f600", "a\"b", "it's", "a.b", "[0]", "x[1].y", "$", " ", "\\",
            "\n", "\x00", "\u4e2d\u6587", "{}", "'\"", "tab\t", "\u2028", "#-1", "null"]


def rand_str(rng, odd=True):
    if not odd or rng.random() < 0.3:
        return rng.choice(IDENTS)
    return "".join(rng.choice(ODD_TEXT + IDENTS) for _ in range(rng.randint(1, 3)))


FLOATS = [0.0, -0.0, 1.5, -2.25, 1e300, -1e-300, 5e-324, math.inf, -math.inf, math.nan, 0.1,
          2.0 ** 53, 123456.789]
INTS = [0, 1, -1, 255, 256, -129, 2 ** 31, 2 ** 63 - 1, -2 ** 63, 2 ** 63, 2 ** 64, -2 ** 64 - 1,
        2 ** 100, -(3 ** 70), 10 ** 30]


def rand_int(rng):
    return rng.choice(INTS) if rng.random() < 0.5 else rng.randint(-1000, 1000)


def rand_float(rng):
    return rng.choice(FLOATS) if rng.random() < 0.6 else rng.uniform(-1e6, 1e6)


def rand_bytes(rng, n=None):
    n = rng.randint(0, 6) if n is None else n
    return bytes(rng.getrandbits(8) for _ in range(n))


# ---------------------------------------------------------------------------
# numpy dtypes joblib writes

def _dt(s):
    return np.dtype(s)


BASE_DTYPES = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "g",
               "c8", "c16", "G", "S1", "S5", "U1", "U3", "M8[D]", "M8[s]", "M8[ns]", "M8[Y]",
               "M8[ms]", "M8[5m]", "m8[s]", "m8[us]", "m8[D]", "m8[h]"]
UNITS_PER_YEAR = {"D": 365.25, "s": 365.25 * 86400, "ns": 365.25 * 86400e9, "Y": 1,
                  "ms": 365.25 * 86400e3, "5m": 365.25 * 288, "us": 365.25 * 86400e6,
                  "h": 365.25 * 24}


def structured_dtype(rng, order):
    fields = [("x", order + "i4"), ("y", order + "f8"), ("s", "S3"), ("v", order + "f4", (2,)),
              ("n", [("a", "u1"), ("b", order + "i2")]), ("u", order + "U2"), ("t", order + "M8[s]")]
    pick = rng.sample(fields, rng.randint(1, 4))
    return np.dtype(pick, align=rng.random() < 0.2)


def rand_dtype(rng, allow_object=True):
    r = rng.random()
    order = rng.choice("<>")
    if r < 0.08:
        return structured_dtype(rng, order)
    if r < 0.13 and allow_object:
        return np.dtype(object)
    dt = _dt(rng.choice(BASE_DTYPES))
    if dt.itemsize > 1 or dt.kind == "U":
        dt = dt.newbyteorder(order)
    return dt


def _datetime_ints(rng, dt, n):
    """int64 values for a datetime64/timedelta64 dtype: mostly years 1900-2100,
    sometimes NaT, sometimes far years."""
    unit = np.datetime_data(dt)[0]
    if np.datetime_data(dt)[1] != 1:
        unit = "%d%s" % (np.datetime_data(dt)[1], unit)
    per = UNITS_PER_YEAR.get(unit, 365.25)
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(np.iinfo("i8").min)          # NaT
        elif r < 0.12:
            # years 10000-14000, or before year 0 (offsets from 1970)
            out.append(int(rng.uniform(8030, 12030) * per) if rng.random() < 0.5
                       else int(rng.uniform(-4000, -1971) * per))
        else:
            out.append(int(rng.uniform(-70, 130) * per))
    lim = 2 ** 63 - 1
    return [max(-lim, min(lim, x)) if x != np.iinfo("i8").min else x for x in out]


def rand_elements(rng, dt, n, gen=None, depth=0):
    """A flat 1-D array of n elements of dt (native or not)."""
    if dt.hasobject:
        a = np.empty(n, dtype=object)
        for i in range(n):
            a[i] = gen.value(depth - 1) if gen else rand_int(rng)
        return a
    if dt.fields is not None:
        # padding bytes stay zero: their content is not part of the value
        # (joblib.load's byte swap does not keep them either)
        a = np.zeros(n, dtype=dt)
        for name in dt.names:
            sub = dt.fields[name][0]
            vals = rand_elements(rng, sub.base, n * max(1, int(np.prod(sub.shape))))
            a[name] = vals.reshape((n,) + sub.shape)
        return a
    k = dt.kind
    if k == "b":
        return np.array([rng.random() < 0.5 for _ in range(n)], dtype=dt)
    if k in "iu":
        raw = bytes(rng.getrandbits(8) for _ in range(n * dt.itemsize))
        return np.frombuffer(raw, dtype=dt).copy()
    if k == "f":
        if dt.itemsize <= 8 and rng.random() < 0.3:
            raw = bytes(rng.getrandbits(8) for _ in range(n * dt.itemsize))
            return np.frombuffer(raw, dtype=dt).copy()
        return np.array([rand_float(rng) for _ in range(n)], dtype=np.float64).astype(dt)
    if k == "c":
        return np.array([complex(rand_float(rng), rand_float(rng)) for _ in range(n)]).astype(dt)
    if k == "S":
        pool = [b"", b"a", b"\x00", b"a\x00b", b"\xff\xfe", b"xyz", b"hello", b"\x00\x00z"]
        return np.array([rng.choice(pool)[:dt.itemsize] for _ in range(n)], dtype=dt)
    if k == "U":
        pool = ["", "a", "\u00e9", "\U0001f600", "ab", "a\"", "\x00x", "\u4e2d"]
        return np.array([rng.choice(pool)[:dt.itemsize // 4] for _ in range(n)], dtype=dt)
    if k in "Mm":
        native = np.array(_datetime_ints(rng, dt, n), dtype="i8").view(dt.newbyteorder("="))
        return native.astype(dt)
    raise ValueError(dt)


def rand_shape(rng):
    nd = rng.choice([0, 1, 1, 1, 2, 2, 3])
    return tuple(rng.choice([0, 1, 2, 3, 4]) if rng.random() < 0.15 else rng.randint(1, 4)
                 for _ in range(nd))


def rand_array(rng, gen=None, depth=0, dt=None):
    dt = dt if dt is not None else rand_dtype(rng, allow_object=gen is not None)
    shape = rand_shape(rng)
    n = int(np.prod(shape)) if shape else 1
    a = rand_elements(rng, dt, n, gen, depth).reshape(shape)
    if a.ndim >= 2 and rng.random() < 0.35:
        if a.dtype.fields is not None:
            # numpy copies records field by field: padding would be garbage
            f = np.zeros(a.shape, a.dtype, order="F")
            f[...] = a
            a = f
        else:
            a = np.asfortranarray(a)
    elif a.ndim == 1 and len(a) > 2 and rng.random() < 0.1:
        a = a[::2]                                   # a non-contiguous view
    return a


def rand_numpy_scalar(rng):
    dt = rand_dtype(rng, allow_object=False)
    return rand_elements(rng, dt, 1)[0]


# ---------------------------------------------------------------------------
# Read direction: random Python values

class Gen:
    """Random Python values, with shared references and cycles."""

    def __init__(self, rng, budget):
        self.rng = rng
        self.budget = budget
        self.done = []      # finished containers (for shared references)
        self.open = []      # containers being filled (for cycles)

    def atom(self):
        rng = self.rng
        r = rng.random()
        if r < 0.06:
            return None
        if r < 0.12:
            return rng.random() < 0.5
        if r < 0.3:
            return rand_int(rng)
        if r < 0.45:
            return rand_float(rng)
        if r < 0.62:
            return rand_str(rng)
        if r < 0.7:
            return rand_bytes(rng)
        if r < 0.74:
            return complex(rand_float(rng), rand_float(rng))
        if r < 0.77:
            return bytearray(rand_bytes(rng))
        if r < 0.8:   # classes, functions and reduced builtins (py2 names below protocol 3)
            return rng.choice([int, len, float, range(rng.randint(0, 5)), slice(1, rng.randint(2, 9))])
        return rand_numpy_scalar(rng)

    def key(self, depth=1):
        """A hashable value (dict key, set element)."""
        rng = self.rng
        r = rng.random()
        if r < 0.08:
            return None
        if r < 0.14:
            return rng.random() < 0.5
        if r < 0.35:
            return rand_int(rng)
        if r < 0.45:
            return rand_float(rng)
        if r < 0.75:
            s = rand_str(rng)
            r2 = rng.random()
            if r2 < 0.04:
                s += "\ud800"                        # a lone surrogate
            elif r2 < 0.08:
                # two surrogates that are a pair in UTF-16, and the character they stand for
                s += rng.choice(["\ud83d\ude00", "\U0001f600"])
            return s
        if r < 0.82:
            return rand_bytes(rng)
        if r < 0.92 and depth > 0:
            return tuple(self.key(depth - 1) for _ in range(rng.randint(0, 3)))
        if r < 0.95 and depth > 0:
            return frozenset(self.key(0) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.4:
            # numpy scalars equal to plain keys, or close to them (float32(0.1) != 0.1)
            v = rng.choice([np.float32(0.1), np.float32(1.5), np.float16(0.1), np.int64(3), np.str_("a"),
                            np.float64(0.1), 0.1, 1.5, 3])
            return (v,) if rng.random() < 0.3 else v
        dt = _dt(rng.choice(["i8", "f8", "i4", "u1", "?", "U2"]))
        return rand_elements(rng, dt, 1)[0]

    def value(self, depth):
        rng = self.rng
        self.budget -= 1
        r = rng.random()
        if depth <= 0 or self.budget <= 0 or r < 0.35:
            return self.atom()
        if r < 0.42 and self.open:
            return rng.choice(self.open)             # a cycle
        if r < 0.5 and self.done:
            return rng.choice(self.done)             # a shared reference
        if r < 0.65:
            return rand_array(rng, self, depth)
        kind = rng.choice(["list", "list", "tuple", "dict", "dict", "set", "frozenset"])
        n = rng.randint(0, 4)
        if kind == "list":
            v = []
            self.open.append(v)
            v.extend(self.value(depth - 1) for _ in range(n))
            self.open.pop()
        elif kind == "dict":
            v = {}
            self.open.append(v)
            for _ in range(n):
                v[self.key()] = self.value(depth - 1)
            self.open.pop()
        elif kind == "tuple":
            v = tuple(self.value(depth - 1) for _ in range(n))
        else:
            items = [self.key() for _ in range(n)]
            v = set(items) if kind == "set" else frozenset(items)
        self.done.append(v)
        return v


def gen_read_value(rng):
    g = Gen(rng, budget=rng.randint(3, 40))
    v = g.value(rng.randint(1, 4))
    if rng.random() < 0.5 and not isinstance(v, (list, dict)):
        v = [v, g.value(2)]
    if rng.random() < 0.05:
        # a cycle under a key that needs quoting in a path
        lst = [g.atom()]
        lst.append(lst)
        v = {rand_str(rng): lst, "k": v}
    return v


COMPRESSORS = ["zlib", "gzip", "bz2", "lzma", "xz", "lz4"]


def have_lz4():
    try:
        import lz4.frame  # noqa: F401
        return True
    except ImportError:
        return False


def rand_compress(rng):
    r = rng.random()
    if r < 0.35:
        return 0
    if r < 0.42:
        return rng.randint(1, 9)
    if r < 0.46:
        return True
    methods = COMPRESSORS if have_lz4() else COMPRESSORS[:-1]
    return (rng.choice(methods), rng.randint(1, 9))


# ---------------------------------------------------------------------------
# Features of a value (for the KNOWN predicates)

class KeyOf:
    def __init__(self, key):
        self.key = key


class InObjectArray:
    def __init__(self, value):
        self.value = value


def walk_values(v, out=None, seen=None):
    """Every object reachable from v (each container once); those inside
    an object array (at any depth) wrapped in InObjectArray."""
    out = [] if out is None else out
    seen = set() if seen is None else seen
    stack = [(v, False)]
    while stack:
        x, inobj = stack.pop()
        if isinstance(x, (list, tuple, dict, set, frozenset, np.ndarray)):
            if (id(x), inobj) in seen:
                continue
            seen.add((id(x), inobj))
        out.append(InObjectArray(x) if inobj else x)
        if isinstance(x, dict):
            for k, y in x.items():
                out.append(KeyOf(k))
                stack.append((k, inobj))
                stack.append((y, inobj))
        elif isinstance(x, (list, tuple, set, frozenset)):
            stack.extend((y, inobj) for y in x)
        elif isinstance(x, np.ndarray) and x.dtype.hasobject:
            stack.extend((y, True) for y in x.ravel(order="K"))
    return out


def _has_float(k):
    if isinstance(k, (float, np.floating)):
        return True
    if isinstance(k, (tuple, frozenset)):
        return any(_has_float(x) for x in k)
    return False


def _has_surrogate(k):
    if isinstance(k, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in k)
    if isinstance(k, (tuple, frozenset)):
        return any(_has_surrogate(x) for x in k)
    return False


def _has_npscalar(k):
    if isinstance(k, np.generic):
        return True
    if isinstance(k, (tuple, frozenset)):
        return any(_has_npscalar(x) for x in k)
    return False


def _dt_big_year(dt, values):
    """True when a datetime64 value of dt lies outside years 0000-9999."""
    if dt.kind != "M":
        return False
    try:
        years = np.asarray(values).astype("M8[Y]").astype("i8")
    except (OverflowError, ValueError):
        return True
    nat = np.isnat(np.asarray(values))
    years = years[~nat] + 1970
    return bool((years > 9999).any())


def _dt_negative_year(dt, values):
    """True when a datetime64 value of dt lies before year 0."""
    if dt.kind != "M":
        return False
    try:
        years = np.asarray(values).astype("M8[Y]").astype("i8")
    except (OverflowError, ValueError):
        return True
    nat = np.isnat(np.asarray(values))
    return bool((years[~nat] + 1970 < 0).any())


def _field_has(dt, pred):
    if dt.fields is None:
        return pred(dt.base) if dt.subdtype else pred(dt)
    return any(_field_has(dt.fields[n][0], pred) for n in dt.names)


def _p0_text_len(x):
    """Bytes of protocol-0 UNICODE text that pickle writes for str / bytes x."""
    if isinstance(x, bytes):
        x = x.decode("latin-1")
    return len(x.replace("\\", "\\u005c").replace("\n", "\\u000a").encode("raw-unicode-escape"))


def features(obj, stream=None, protocol=None):
    f = set()
    for x in walk_values(obj):
        if isinstance(x, InObjectArray):
            # joblib pickles object arrays with protocol 2 (py2 names) at any protocol
            x = x.value
            if isinstance(x, (type, range, slice)) or type(x).__name__ == "builtin_function_or_method":
                f.add("py2-names")
        if protocol is not None and protocol < 3 and \
                (isinstance(x, (type, range, slice)) or type(x).__name__ == "builtin_function_or_method"):
            f.add("py2-names")
        if protocol == 0 and isinstance(x, (str, bytes)) and _p0_text_len(x) > 65536:
            f.add("p0-long-text")
        if protocol == 0 and isinstance(x, KeyOf) and isinstance(x.key, (str, bytes)) and \
                _p0_text_len(x.key) > 65536:
            f.add("p0-long-text")
        if isinstance(x, KeyOf):
            k = x.key
            if _has_npscalar(k):
                f.add("key:numpy-scalar")
            if isinstance(k, (tuple, frozenset)) and _has_float(k):
                f.add("key:float-tuple")
            if _has_surrogate(k):
                f.add("key:surrogate")
            continue
        if isinstance(x, np.ndarray):
            dt = x.dtype
            if protocol is not None and protocol < 2 and dt.hasobject:
                f.add("p01-object-array")
            if _field_has(dt, lambda d: d.kind == "S"):
                f.add("S-json")
            if dt.kind == "M" and x.size and _dt_big_year(dt, x.ravel()):
                f.add("dt64:big-year")
            if dt.kind == "M" and x.size and _dt_negative_year(dt, x.ravel()):
                f.add("dt64:negative-year")
            if dt.fields is not None:
                for n in dt.names:
                    sub = x[n]
                    if sub.dtype.base.kind == "M" and sub.size and _dt_big_year(sub.dtype.base, sub.ravel()):
                        f.add("dt64:big-year")
                    if sub.dtype.base.kind == "M" and sub.size and _dt_negative_year(sub.dtype.base, sub.ravel()):
                        f.add("dt64:negative-year")
        elif isinstance(x, np.generic):
            if isinstance(x, np.bytes_) or (isinstance(x, np.void) and _field_has(x.dtype, lambda d: d.kind == "S")):
                f.add("S-json")
            if isinstance(x, np.datetime64) and _dt_big_year(x.dtype, [x]):
                f.add("dt64:big-year")
            if isinstance(x, np.datetime64) and _dt_negative_year(x.dtype, [x]):
                f.add("dt64:negative-year")
    if stream is not None:
        f |= stream_features(stream)
    return f


def pickle_ops(data):
    """(pickletools' opcodes of the pickle in data, complete?). joblib's
    array data lies in the stream between opcodes, where pickletools stops:
    then the opcodes before the first array."""
    ops = []
    try:
        for op in pickletools.genops(data):
            ops.append(op)
        return ops, True
    except Exception:  # noqa: BLE001
        return ops, False


def stream_features(data):
    f = set()
    ops, _ = pickle_ops(data)
    if not ops:
        return f
    proto = expected_protocol(ops)
    if proto == 1:
        f.add("protocol1")
    for op, arg, _ in ops:
        if op.name in ("UNICODE", "STRING") and isinstance(arg, (str, bytes)) and \
                len(str(arg).encode("raw_unicode_escape")) > 65000:
            f.add("p0-long-text")
    return f


def expected_protocol(ops):
    """The file's protocol: its PROTO, else the highest protocol of its
    opcodes before a nested pickle (an object array's payload, which joblib
    pickles with protocol 2) begins with a PROTO of its own."""
    if ops[0][0].name == "PROTO":
        return ops[0][1]
    top = []
    for op, _, _ in ops:
        if op.name == "PROTO":
            break
        top.append(op.proto)
    return max(top)


# ---------------------------------------------------------------------------
# The JSON rendering oracle (README "Paths, types and values")

ANY = jltest.ANY
IDENT = jltest.IDENT


class Unfixed(Exception):
    """The contract does not fix this part of the rendering."""


def iso(v):
    """The text of a datetime64 scalar (None for NaT): ISO-8601 as numpy
    prints it, years past 9999 and before 0 included ('12000-01-01',
    '-001-01-01'), the rule main adopted with the year-9999 fix (45de5fb)."""
    if np.isnat(v):
        return None
    return np.datetime_as_string(v)


def key_text(k):
    """A non-str dict key as JSON object key text (Unfixed when not fixed)."""
    if isinstance(k, str):
        return json_text_of(k)
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, int):
        return str(k)
    if isinstance(k, bytes):
        return base64.b64encode(k).decode("ascii")
    if isinstance(k, tuple):
        text = json.dumps([render(x, "$", {}) for x in k], separators=(",", ":"), ensure_ascii=False)
        # a lone surrogate cannot be UTF-8: JSON text carries it as a \u escape
        return re.sub("[\ud800-\udfff]", lambda m: "\\u%04x" % ord(m.group()), text)
    raise Unfixed()


def path_step(k):
    """The fullkey step our paths use for key k (Unfixed when not fixed)."""
    if isinstance(k, np.generic):
        raise Unfixed()
    if isinstance(k, str):
        if jltest.has_surrogate_pair(k):
            raise Unfixed()
        if IDENT.match(k):
            return "." + k
        return "." + _json_str(k)
    if k is None or isinstance(k, (bool, int)):
        return "[" + key_text(k) + "]"
    if isinstance(k, tuple):
        lit = _json_key_literal(k)      # only tuples of literals have one
        if lit is None:
            raise Unfixed()
        return "[" + lit + "]"
    raise Unfixed()


class Render:
    def __init__(self):
        self.ref_under_quoted = False
        self.in_object_array = False
        self.quoted = {}


def render(v, path, stack, st=None, q=False):
    """JSON value (Python) of v rendered at `path` (relative to the rendered
    root), `stack` mapping id -> path of the enclosing compound nodes.
    Parts the contract leaves open are ANY. q: the path has a quoted part
    (a str key that is not an identifier, a key with a str inside)."""
    st = st or Render()
    if isinstance(v, (list, tuple, set, frozenset, dict)) or (isinstance(v, np.ndarray) and v.dtype.hasobject):
        if id(v) in stack:
            p = stack[id(v)]
            if st.quoted.get(id(v)):
                st.ref_under_quoted = True
            if p is ANY:
                return ANY
            return {"__ref__": p}
        stack = dict(stack)
        stack[id(v)] = path
        st.quoted[id(v)] = q
    if isinstance(v, str):
        return json_text_of(v)
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return None if (math.isnan(v) or math.isinf(v)) else v
    if isinstance(v, np.bytes_):   # a numpy scalar, though a bytes subclass
        return bytes(v).decode("latin-1")
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, (list, tuple, set, frozenset)):
        return [render(x, "%s[%d]" % (path, i) if path is not ANY else ANY, stack, st, q)
                for i, x in enumerate(v)]
    if isinstance(v, dict):
        pairs = []
        for k, x in v.items():
            try:
                kt = key_text(k)
            except Unfixed:
                kt = ANY
            try:
                sub = path + path_step(k) if path is not ANY else ANY
            except Unfixed:
                sub = ANY
            pairs.append((kt, render(x, sub, stack, st, q or needs_quote(k))))
        return Pairs(pairs)
    if isinstance(v, np.ndarray):
        return render_array(v, path, stack, st, q)
    if isinstance(v, np.generic):
        return render_scalar(v)
    if isinstance(v, type) or type(v).__name__ == "builtin_function_or_method":
        return ClassName(v.__module__, v.__qualname__)
    if isinstance(v, (range, slice)):
        return Pairs([("__class__", ClassName("builtins", type(v).__name__)),
                      ("__args__", [v.start, v.stop, v.step])])
    return ANY


def needs_quote(k):
    """A key whose fullkey step has a '"' in it."""
    if isinstance(k, str):
        return isinstance(k, np.generic) or not IDENT.match(k)
    if isinstance(k, (tuple, frozenset)):
        return any(needs_quote(x) or isinstance(x, str) for x in k)
    return False


def render_scalar(v):
    if isinstance(v, np.datetime64):
        return iso(v) if not np.isnat(v) else ANY
    if isinstance(v, np.timedelta64):
        return ANY
    if isinstance(v, (np.bool_, np.integer)):
        return v.item()
    if isinstance(v, np.floating):
        if v.dtype.itemsize > 8:
            return ANY
        f = float(v)
        if math.isnan(f) or math.isinf(f):
            return None
        return InDtype(f, v.dtype) if v.dtype.itemsize < 8 else f
    if isinstance(v, np.str_):
        return str(v)
    if isinstance(v, np.bytes_):   # S elements and bytes_ scalars: one code point per byte
        return bytes(v).decode("latin-1")
    if isinstance(v, np.datetime64):
        return iso(v) if not np.isnat(v) else ANY
    return ANY


def render_array(a, path, stack, st, q=False):
    k = a.dtype.kind
    if a.dtype.fields is not None or k in "cmV" or (k == "f" and a.dtype.itemsize > 8):
        return ANY
    if a.dtype.hasobject:
        outer = not st.in_object_array
        if outer:
            # joblib pickles an object array with a pickler of its own: a
            # memo of its own, where the array is the root. What it holds
            # from outside comes back as copies, so a cycle through it
            # closes on the array, not on the containers around it.
            stack = {id(a): path}
            st.in_object_array = True
        flat = list(a.ravel(order="C"))
        idx = list(np.ndindex(*a.shape)) if a.shape else [()]
        items = [render(x, (path + "".join("[%d]" % i for i in ix)) if path is not ANY else ANY, stack, st, q)
                 for x, ix in zip(flat, idx)]
        if outer:
            st.in_object_array = False
        return jltest._reshape(items, a.shape)
    flat = list(a.ravel(order="C"))
    items = [render_scalar(x) if k != "M" else (iso(x) if not np.isnat(x) else ANY) for x in flat]
    return jltest._reshape(items, a.shape)


class ClassName(str):
    """A class or function name in JSON: "the name as written stays in the
    JSON" (README on main, 45de5fb), so the Python 2 name that pickle writes
    at protocols 0-2 (and inside object arrays) matches too."""
    def __new__(cls, module, name):
        self = str.__new__(cls, module + "." + name)
        py2 = _compat_pickle.REVERSE_NAME_MAPPING.get((module, name))
        if py2 is None:
            py2 = (_compat_pickle.REVERSE_IMPORT_MAPPING.get(module, module), name)
        self.alias = py2[0] + "." + py2[1]
        return self

    def __eq__(self, other):
        return str.__eq__(self, other) or other == self.alias

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def py3_names(text):
    """Python 2 class names in a value's JSON text spelt the Python 3 way."""
    if not isinstance(text, str) or "__builtin__" not in text:
        return text
    for (m, n), (m3, n3) in _compat_pickle.NAME_MAPPING.items():
        if m == "__builtin__":
            text = text.replace('"%s.%s"' % (m, n), '"%s.%s"' % (m3, n3))
    return text.replace('"__builtin__.', '"builtins.')


class Pairs(list):
    """A JSON object as its list of (key, value) pairs, in order."""


def json_match(got, want, where, out):
    """Compare a json.loads(object_pairs_hook=Pairs) value with render()'s."""
    if want is ANY:
        return
    if isinstance(want, Pairs):
        if not isinstance(got, Pairs):
            out.append("%s: got %s, want an object" % (where, jltest.short(got, 80)))
            return
        if len(got) != len(want):
            out.append("%s: %d keys, want %d" % (where, len(got), len(want)))
            return
        for (gk, gv), (wk, wv) in zip(got, want):
            if wk is not ANY and gk != wk:
                out.append("%s: key %r, want %r" % (where, gk, wk))
            json_match(gv, wv, "%s{%s}" % (where, jltest.short(wk, 40)), out)
        return
    if isinstance(want, dict):      # {"__ref__": path}
        if not (isinstance(got, Pairs) and len(got) == 1 and got[0][0] == "__ref__"):
            out.append("%s: got %s, want %s" % (where, jltest.short(got, 80), want))
        elif got[0][1] != want["__ref__"]:
            out.append("%s: __ref__ %r, want %r" % (where, got[0][1], want["__ref__"]))
        return
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            out.append("%s: got %s, want %s" % (where, jltest.short(got, 80), jltest.short(want, 80)))
            return
        for i, (g, w) in enumerate(zip(got, want)):
            json_match(g, w, "%s[%d]" % (where, i), out)
        return
    if not jltest.same(got, want):
        out.append("%s: got %s, want %s" % (where, jltest.short(got, 80), jltest.short(want, 80)))


# ---------------------------------------------------------------------------
# Soft checks collected per case

class Case:
    def __init__(self):
        self.msgs = []

    def add(self, tag, msg):
        self.msgs.append("[%s] %s" % (tag, msg))

    def run_model(self, conn, src, obj, what, joblib_format=True):
        """jltest.check_tree, its failures collected under [model]."""
        saved = jltest._failures
        jltest._failures = []
        try:
            jltest.check_tree(conn, src, obj, what, joblib_format)
        except Exception as e:  # noqa: BLE001
            jltest._failures.append("check_tree raised %s: %s" % (type(e).__name__, e))
        finally:
            got, jltest._failures = jltest._failures, saved
        blind = blind_paths(obj)
        for m in got:
            if not any(re.search(re.escape(p) + r"(?=[\[. ]|$)", m) for p in blind):
                self.add("model", m)


def blind_paths(obj):
    """Fixed fullkeys of shared objects first met (in pickle order) under a
    key whose fullkey model() cannot spell (float, bytes, frozenset, ... keys):
    there the extension rightly has a ref row model() cannot predict."""
    first, blind = {}, []

    def walk(v, fk):
        if isinstance(v, (list, dict, set, frozenset)) or (isinstance(v, tuple) and v):
            if id(v) in first:
                if first[id(v)] is None and fk is not None:
                    blind.append(fk)
                return
            first[id(v)] = fk
        if isinstance(v, (list, tuple, set, frozenset)):
            for i, x in enumerate(v):
                walk(x, None if fk is None else "%s[%d]" % (fk, i))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k, None)
                step = jltest.key_path(k)
                walk(x, None if (fk is None or step is None) else fk + step)
    walk(obj, "$")
    return blind


def sql_same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return type(a) is type(b) and a == b


TREE_ALL = ("SELECT key, type, atom, id, parent, fullkey, path, class, dtype, shape, nbytes, value "
            "FROM joblib_tree(?)")


def check_select(case, conn, src):
    """[select]: every fullkey selects its own row's value; refs name nodes."""
    rows = conn.execute(TREE_ALL, (src,)).fetchall()
    keys = {r[5]: r for r in rows}
    if len(keys) != len(rows):
        case.add("select", "duplicate fullkeys: %s" % jltest.short(
            [k for k, n in collections.Counter(r[5] for r in rows).items() if n > 1], 200))
    for r in rows:
        typ, fk, val = r[1], r[5], r[11]
        if typ == "ref":
            if val not in keys or keys[val][1] == "ref":
                case.add("select", "ref row %s names %r, not a node of the tree" % (fk, val))
            continue
        try:
            got = jltest.one(conn, "SELECT joblib_load(?, ?)", src, fk)
        except Exception as e:  # noqa: BLE001
            case.add("select", "joblib_load(src, %r): %s" % (fk, e))
            continue
        if not sql_same(got, val):
            case.add("select", "fullkey %s (%s) selects another node: joblib_load gives %s, the row has %s"
                     % (fk, typ, jltest.short(got, 80), jltest.short(val, 80)))
    return rows


def node_paths(obj):
    """(fullkey, object) of the nodes whose fullkey is fixed, first occurrences."""
    out, first = [], set()

    def walk(v, fk):
        if isinstance(v, (list, dict, set, frozenset)) or (isinstance(v, tuple) and v):
            if id(v) in first:
                return
            first.add(id(v))
        out.append((fk, v))
        if isinstance(v, (list, tuple, set, frozenset)):
            for i, x in enumerate(v):
                walk(x, "%s[%d]" % (fk, i))
        elif isinstance(v, dict):
            for k, x in v.items():
                try:
                    walk(x, fk + path_step(k))
                except Unfixed:
                    pass
    walk(obj, "$")
    return out


def check_json(case, conn, src, obj, feats):
    """[json]: each compound node's JSON text against render()."""
    rows = dict((r[0], r) for r in conn.execute("SELECT fullkey, type, value FROM joblib_tree(?)", (src,)))
    for fk, v in node_paths(obj):
        compound = isinstance(v, (list, tuple, dict, set, frozenset)) or \
            (isinstance(v, np.ndarray) and v.dtype.hasobject)
        if not compound or fk not in rows or rows[fk][1] == "ref":
            continue
        st = Render()
        want = render(v, "$", {}, st)
        if st.ref_under_quoted:
            feats.add("ref-under-quoted-key")
        text = rows[fk][2]
        if not isinstance(text, str):
            case.add("json", "%s: value %s, want JSON text" % (fk, jltest.short(text, 80)))
            continue
        try:
            got = json.loads(text, object_pairs_hook=Pairs)
        except ValueError as e:
            case.add("json", "%s: not JSON (%s): %s" % (fk, e, jltest.short(text, 200)))
            continue
        out = []
        json_match(got, want, fk, out)
        for m in out[:5]:
            case.add("json", m)


def check_scalars(case, conn, src, obj):
    """[json] datetime64 scalars as ISO-8601 text (model() leaves them open)."""
    for fk, v in node_paths(obj):
        if isinstance(v, np.datetime64) and not np.isnat(v):
            got = jltest.one(conn, "SELECT joblib_load(?, ?)", src, fk)
            if got != iso(v):
                case.add("json", "%s: datetime64 %r as %r, want %r" % (fk, v, got, iso(v)))


def check_info(case, conn, src, obj, data, compression):
    try:
        info = json.loads(jltest.one(conn, "SELECT joblib_info(?)", src))
    except Exception as e:  # noqa: BLE001
        case.add("info", "joblib_info: %s" % e)
        return
    if info.get("compression") != compression:
        case.add("info", "compression: got %r, want %r" % (info.get("compression"), compression))
    ops, complete = pickle_ops(jltest.stream(data))
    p = expected_protocol(ops) if ops else None
    if p is not None and (complete or p >= 1):   # a partial list may miss protocol-1 opcodes
        if info.get("protocol") != p:
            case.add("info", "protocol: got %r, want %r" % (info.get("protocol"), p))
    want, nested = count_arrays(obj)
    got = [a.get("path") for a in info.get("arrays", [])]
    if not nested and len(got) != want:
        case.add("info", "arrays: got %d (%s), want %d" % (len(got), jltest.short(got, 100), want))


def count_arrays(obj):
    """(arrays joblib writes: each occurrence, containers once; whether an
    object array holds arrays, where the count is not fixed)."""
    n, nested, seen = 0, False, set()
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, np.ndarray):
            n += 1
            if x.dtype.hasobject:
                nested = nested or any(isinstance(y, (np.ndarray, list, tuple, dict, set, frozenset))
                                       for y in x.ravel(order="K"))
            continue
        if isinstance(x, (list, tuple, dict, set, frozenset)):
            if id(x) in seen:
                continue
            seen.add(id(x))
            stack.extend(x.values() if isinstance(x, dict) else x)
            if isinstance(x, dict):
                stack.extend(k for k in x if isinstance(k, tuple))
    return n, nested


# ---------------------------------------------------------------------------
# Read cases

def compression_name(compress):
    if compress in (0, False):
        return "none"
    if compress is True or isinstance(compress, int):
        return "zlib"
    return compress[0]


def read_case(conn, rng, tmpdir, verbose):
    """One read-direction case: returns (description, features, Case)."""
    obj = gen_read_value(rng)
    protocol = rng.randint(0, 5)
    compress = rand_compress(rng)
    if protocol == 0 and rng.random() < 0.15:
        obj = [obj, "\u4e2d" * rng.randint(11000, 12000)]    # > 64 KiB of protocol-0 text
    desc = "joblib.dump(%s, protocol=%d, compress=%r)" % (jltest.short(obj, 400), protocol, compress)
    case = Case()
    path = os.path.join(tmpdir, "r.pkl")
    jltest.dump(obj, path, protocol=protocol, compress=compress)
    with open(path, "rb") as f:
        data = f.read()
    feats = features(obj, jltest.stream(data), protocol)
    try:
        check_select(case, conn, path)
    except sqlite3.Error as e:
        case.add("select", "joblib_tree: %s" % e)
        return desc, feats, case
    case.run_model(conn, path, obj, "read")
    check_json(case, conn, path, obj, feats)
    check_scalars(case, conn, path, obj)
    check_info(case, conn, path, obj, data, compression_name(compress))
    # the same bundle as a BLOB reads the same at the root
    try:
        a = jltest.one(conn, "SELECT joblib_load(?)", path)
        b = jltest.one(conn, "SELECT joblib_load(?)", data)
        if not sql_same(a, b):
            case.add("select", "path and BLOB differ at $: %s vs %s" % (jltest.short(a), jltest.short(b)))
    except sqlite3.Error as e:
        case.add("select", "joblib_load: %s" % e)
    return desc, feats, case


# ---------------------------------------------------------------------------
# Write direction: random SQL expressions and the Python value they stand for

class SqlGen:
    def __init__(self, rng, budget):
        self.rng = rng
        self.budget = budget
        self.feats = set()

    def atom(self):
        """(sql, params, python value)."""
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            return "NULL", [], None
        if r < 0.35:
            i = rng.choice([0, 1, -1, 2 ** 63 - 1, -2 ** 63, 42]) if rng.random() < 0.4 else rng.randint(-10 ** 6, 10 ** 6)
            return "?", [i], i
        if r < 0.5:
            f = rng.choice([0.0, -0.0, 1.5, 1e300, -2.5e-300, 5e-324, 0.1, math.inf, -math.inf]) \
                if rng.random() < 0.5 else rng.uniform(-1e9, 1e9)
            if math.isinf(f):
                return ("9e999" if f > 0 else "-9e999"), [], f
            return "?", [f], f
        if r < 0.75:
            s = rand_str(rng)
            return "?", [s], s
        if r < 0.85:
            b = rand_bytes(rng)
            return "?", [b], b
        # json() input
        v = self.json_value(2)
        return "json(?)", [json.dumps(v, ensure_ascii=rng.random() < 0.5)], v

    def json_value(self, depth):
        rng = self.rng
        r = rng.random()
        if depth <= 0 or r < 0.5:
            return rng.choice([None, True, False, 0, -7, 2 ** 70, -(2 ** 65), 1.5, -0.25, 1e300,
                               "", "\u00e9\U0001f600", "a\"b\\", rand_str(rng)])
        if r < 0.75:
            return [self.json_value(depth - 1) for _ in range(rng.randint(0, 3))]
        return {rand_str(rng): self.json_value(depth - 1) for _ in range(rng.randint(0, 3))}

    def key(self):
        """(sql, params, python key) for joblib_dict."""
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            return "NULL", [], None
        if r < 0.3:
            i = rng.choice([0, 1, -1, 2, 2 ** 63 - 1])
            return "?", [i], i
        if r < 0.4:
            f = rng.choice([0.0, 1.0, 1.5, -2.0, -0.0, 2.0 ** 70])
            return "?", [f], f
        if r < 0.47:
            b = rng.random() < 0.5
            return "json(?)", ["true" if b else "false"], b
        if r < 0.8:
            s = rand_str(rng)
            return "?", [s], s
        if r < 0.88:
            b = rand_bytes(rng)
            return "?", [b], b
        parts = [self.key() for _ in range(rng.randint(0, 3))]
        parts = [p for p in parts if not isinstance(p[2], (list, dict))]
        return ("joblib_tuple(%s)" % ", ".join(p[0] for p in parts), sum((p[1] for p in parts), []),
                tuple(p[2] for p in parts))

    def ndarray(self):
        rng = self.rng
        a = rand_array(rng, None)
        want = a
        f_order = a.ndim >= 2 and a.flags.f_contiguous and not a.flags.c_contiguous
        if not (a.flags.c_contiguous or a.flags.f_contiguous):
            if a.dtype.fields is not None:
                c = np.zeros(a.shape, a.dtype)   # records copied field by field: padding stays zero
                c[...] = a
                a = c
            else:
                a = np.ascontiguousarray(a)
            want = a
        if a.dtype.fields is not None:
            descr = json.dumps(jltest.file_descr(a.dtype))
        else:
            descr = a.dtype.str
        data = a.tobytes(order="F" if f_order else "C")
        args = ["?", "?"]
        params = [data, descr]
        if a.ndim != 1 or rng.random() < 0.5:
            if a.ndim == 1 and rng.random() < 0.5:
                args.append("?")
                params.append(a.shape[0])
            else:
                args.append("?")
                params.append(json.dumps(list(a.shape)))
            if f_order or rng.random() < 0.3:
                args.append("?")
                params.append("F" if f_order else "C")
        return "joblib_ndarray(%s)" % ", ".join(args), params, want

    def nested(self):
        rng = self.rng
        obj = gen_read_value(rng)
        f = io.BytesIO()
        protocol = rng.choice([2, 3, 4, 5])
        joblib.dump(obj, f, compress=rand_compress(rng), protocol=protocol)
        blob = f.getvalue()
        self.feats |= features(obj, protocol=protocol)
        return "joblib(?)", [blob], joblib.load(io.BytesIO(blob))

    def value(self, depth):
        rng = self.rng
        self.budget -= 1
        r = rng.random()
        if depth <= 0 or self.budget <= 0 or r < 0.35:
            return self.atom()
        if r < 0.5:
            return self.ndarray()
        if r < 0.58:
            return self.nested()
        kind = rng.choice(["list", "tuple", "dict", "dict"])
        n = rng.randint(0, 4)
        if kind in ("list", "tuple"):
            kids = [self.value(depth - 1) for _ in range(n)]
            v = [k[2] for k in kids]
            return ("joblib_%s(%s)" % (kind, ", ".join(k[0] for k in kids)),
                    sum((k[1] for k in kids), []), v if kind == "list" else tuple(v))
        sql, params, d, seen = [], [], {}, []
        for _ in range(n):
            ks, kp, kv = self.key()
            vs, vp, vv = self.value(depth - 1)
            for s in seen:
                if s == kv:         # Python merges the two keys
                    self.feats.add("write:merged-keys")
            seen.append(kv)
            d[kv] = vv
            sql += [ks, vs]
            params += kp + vp
        return "joblib_dict(%s)" % ", ".join(sql), params, d


def same_key(a, b):
    """a and b are the same key (same type all the way down), not just equal."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_key(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return _feq(a, b)
    return a == b


def rand_sql_compress(rng):
    r = rng.random()
    if r < 0.3:
        return None
    if r < 0.4:
        return 0
    if r < 0.5:
        return rng.randint(1, 9)
    methods = COMPRESSORS if have_lz4() else COMPRESSORS[:-1]
    m = rng.choice(methods)
    return m if rng.random() < 0.3 else "%s:%d" % (m, rng.randint(1, 9))


# deep equality with types and identity (as tests/interop/test_roundtrip.py)

class Diff(Exception):
    pass


def _feq(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def deq(a, b, where, seen):
    if type(a) is not type(b):
        raise Diff("%s: type %s, want %s (%s vs %s)" % (where, type(b).__name__, type(a).__name__,
                                                     jltest.short(b, 60), jltest.short(a, 60)))
    if isinstance(a, (list, dict, set, np.ndarray, bytearray)):
        if id(a) in seen:
            if seen[id(a)] != id(b):
                raise Diff("%s: shared in the expected value, a separate copy here" % where)
            return
        seen[id(a)] = id(b)
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype:
            raise Diff("%s: dtype %r, want %r" % (where, b.dtype, a.dtype))
        if a.shape != b.shape:
            raise Diff("%s: shape %r, want %r" % (where, b.shape, a.shape))
        fa = a.flags.f_contiguous and not a.flags.c_contiguous
        fb = b.flags.f_contiguous and not b.flags.c_contiguous
        if fa != fb:
            raise Diff("%s: F order %r, want %r" % (where, fb, fa))
        if a.dtype.hasobject:
            for i, (x, y) in enumerate(zip(a.ravel(order="K"), b.ravel(order="K"))):
                deq(x, y, "%s.flat[%d]" % (where, i), seen)
        elif a.dtype.fields is not None:
            if field_bytes(a) != field_bytes(b):
                raise Diff("%s: data differs (field by field)" % where)
        elif np.ascontiguousarray(a).tobytes() != np.ascontiguousarray(b).tobytes():
            raise Diff("%s: data %s, want %s" % (where, jltest.short(b, 80), jltest.short(a, 80)))
        return
    if isinstance(a, np.generic):
        if a.dtype != b.dtype or a.tobytes() != b.tobytes():
            raise Diff("%s: scalar %r, want %r" % (where, b, a))
        return
    if isinstance(a, float):
        if not _feq(a, b):
            raise Diff("%s: %r, want %r" % (where, b, a))
        return
    if isinstance(a, complex):
        if not (_feq(a.real, b.real) and _feq(a.imag, b.imag)):
            raise Diff("%s: %r, want %r" % (where, b, a))
        return
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise Diff("%s: length %d, want %d" % (where, len(b), len(a)))
        for i, (x, y) in enumerate(zip(a, b)):
            deq(x, y, "%s[%d]" % (where, i), seen)
        return
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        if len(ka) != len(kb) or not all(same_key(x, y) for x, y in zip(ka, kb)):
            raise Diff("%s: keys %s, want %s" % (where, jltest.short(kb, 100), jltest.short(ka, 100)))
        for (k, x), (_, y) in zip(a.items(), b.items()):   # by position: NaN keys
            deq(x, y, "%s[%r]" % (where, k), seen)
        return
    if isinstance(a, (set, frozenset)) and a != b and len(a) == len(b):
        # NaN inside: match element by element
        rest = list(b)
        for x in a:
            for i, y in enumerate(rest):
                try:
                    deq(x, y, where, dict(seen))
                except Diff:
                    continue
                del rest[i]
                break
            else:
                raise Diff("%s: %s, want %s" % (where, jltest.short(b), jltest.short(a)))
        return
    if a != b:
        raise Diff("%s: %s, want %s" % (where, jltest.short(b), jltest.short(a)))


def field_bytes(a):
    """The bytes of a structured array's named fields, recursively (padding
    bytes are not part of the value: numpy's byte swap leaves them undefined)."""
    if a.dtype.fields is None:
        if a.dtype.subdtype is not None:
            return np.ascontiguousarray(a).tobytes()
        return np.ascontiguousarray(a).tobytes()
    return b"".join(field_bytes(np.ascontiguousarray(a[n])) for n in a.dtype.names if n)


TREE_NAMES = ["key", "type", "atom", "id", "parent", "fullkey", "path", "class", "dtype", "shape",
              "nbytes", "value"]


def diff_window(a, b, width=120):
    """(a, b) shortened to the region around their first difference."""
    if not (isinstance(a, str) and isinstance(b, str)):
        return jltest.short(a, 2 * width), jltest.short(b, 2 * width)
    k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
    lo = max(0, k - width // 2)
    return tuple(("..." if lo else "") + repr(x[lo:k + width])[1:-1] + ("..." if k + width < len(x) else "")
                 for x in (a, b))


def tree_rows(conn, src_sql, params):
    sql = ("SELECT key, type, atom, id, parent, fullkey, path, class, dtype, shape, nbytes, "
           "CASE WHEN typeof(value) = 'blob' THEN 'x' || hex(value) ELSE value END "
           "FROM joblib_tree(%s)" % src_sql)
    return conn.execute(sql, params).fetchall()


def write_case(conn, rng, tmpdir, verbose):
    g = SqlGen(rng, budget=rng.randint(2, 25))
    sql, params, want = g.value(rng.randint(1, 4))
    compress = rand_sql_compress(rng)
    protocol = rng.choice([None, 2, 3, 4, 5])
    to_file = rng.random() < 0.4
    args = [sql]
    extra = []
    if compress is not None or protocol is not None:
        args.append("?")
        extra.append(compress if compress is not None else 0)
    if protocol is not None:
        args.append("?")
        extra.append(protocol)
    case = Case()
    feats = set(g.feats)
    if to_file:
        ext = rng.choice(["", "", ".gz", ".bz2", ".xz", ".lzma", ".z"] + ([".lz4"] if have_lz4() else []))
        path = os.path.join(tmpdir, "w.pkl" + ext)
        call = "joblib_dump(%s, ?%s)" % (sql, "".join(", " + a for a in args[1:]))
        full = "SELECT " + call
        allp = params + [path] + extra
    else:
        call = "joblib_dumps(%s)" % ", ".join(args)
        full = "SELECT " + call
        allp = params + extra
    desc = "%s  -- params %s; want %s" % (full, jltest.short(allp, 300), jltest.short(want, 300))
    try:
        out = jltest.one(conn, full, *allp)
    except sqlite3.Error as e:
        case.add("write", "%s: %s" % (call[:12], e))
        return desc, feats, case
    if to_file:
        with open(path, "rb") as f:
            blob = f.read()
        src = path
    else:
        blob = out
        src = blob
    try:
        got = joblib.load(io.BytesIO(blob))
    except Exception as e:  # noqa: BLE001
        case.add("write", "joblib.load: %s: %s" % (type(e).__name__, e))
        return desc, feats, case
    # what joblib itself gives back for the expected value (big-endian arrays native)
    f = io.BytesIO()
    joblib.dump(want, f)
    want_loaded = joblib.load(io.BytesIO(f.getvalue()))
    try:
        deq(want_loaded, got, "$", {})
    except Diff as e:
        case.add("write", "joblib.load: %s" % e)
    # our reading of the written bundle = our reading of the SQL-built value
    try:
        a = tree_rows(conn, "joblib_dumps(%s)" % sql, params)
        b = tree_rows(conn, "?", [src])
    except sqlite3.Error as e:
        case.add("retree", "joblib_tree: %s" % e)
        return desc, feats, case
    # a protocol-2 rewrite writes Python 2 names, which the JSON of a node
    # keeps as written: compared the Python 3 way
    a = [r[:2] + (py3_names(r[2]),) + r[3:11] + (py3_names(r[11]),) for r in a]
    b = [r[:2] + (py3_names(r[2]),) + r[3:11] + (py3_names(r[11]),) for r in b]
    if a != b:
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                col = next(j for j in range(len(x)) if x[j] != y[j])
                case.add("retree", "row %d (%s) column %s: written %s, built %s"
                         % (i, x[5], TREE_NAMES[col], *diff_window(y[col], x[col])))
                break
        else:
            case.add("retree", "%d rows written, %d built" % (len(b), len(a)))
    feats |= {x for x in features(want, protocol=protocol or 4) if x == "py2-names"}
    # (a set loaded by Python iterates in hash order, not in the written order)
    if not any(isinstance(getattr(x, "value", x), (set, frozenset)) for x in walk_values(want_loaded)):
        case.run_model(conn, src, want, "written")
    return desc, feats, case


# ---------------------------------------------------------------------------
# Driver

def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT, help="cases per direction")
    ap.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                    help="stop starting new cases after this long (0: no limit)")
    ap.add_argument("--case", type=int, default=None, help="run only case number I (replay)")
    ap.add_argument("--direction", choices=["read", "write", "both"], default="both")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--strict", action="store_true", help="ignore the KNOWN table: every disagreement fails")
    ap.add_argument("--without-known", metavar="NAME", help="drop the KNOWN entry NAME "
                    "(to check a fix: its disagreements then fail)", default=None)
    opts = ap.parse_args(argv)
    if opts.strict:
        del KNOWN[:]
    if opts.without_known:
        KNOWN[:] = [k for k in KNOWN if k.name != opts.without_known]

    try:
        conn = jltest.connect()
    except jltest.ModuleLoadError as e:
        print("FAIL connect: %s" % e)
        print("0 passed, 1 failed")
        return 1
    conn.text_factory = lambda b: b.decode("utf-8", "surrogatepass")
    tmpdir = jltest.TempDir.path("prop")
    os.makedirs(tmpdir, exist_ok=True)
    np.seterr(all="ignore")
    import warnings
    warnings.simplefilter("ignore")

    directions = ["read", "write"] if opts.direction == "both" else [opts.direction]
    start = time.monotonic()
    stats = collections.Counter()
    known_hits = collections.Counter()
    failed = []
    numbers = [opts.case] if opts.case is not None else range(opts.count)
    for i in numbers:
        if opts.seconds and opts.case is None and time.monotonic() - start > opts.seconds:
            break
        for d in directions:
            rng = random.Random("%d:%s:%d" % (opts.seed, d, i))
            replay = "test_property.py --seed %d --case %d --direction %s" % (opts.seed, i, d)
            try:
                desc, feats, case = (read_case if d == "read" else write_case)(conn, rng, tmpdir, opts.verbose)
                msgs = case.msgs
            except Exception:  # noqa: BLE001
                desc, feats, msgs = "(generation or check raised)", set(), [
                    "[crash] " + traceback.format_exc().rstrip()]
            left, names = classify(feats, msgs)
            stats[d] += 1
            if left:
                failed.append(replay)
                print("FAIL %s case %d (seed %d): replay with %s" % (d, i, opts.seed, replay))
                print("    value: %s" % desc)
                print("    features: %s" % sorted(feats))
                for m in left[:12]:
                    print("    " + m.replace("\n", "\n    "))
                if len(left) > 12:
                    print("    ... and %d more" % (len(left) - 12))
            elif names:
                for n in names:
                    known_hits[n] += 1
                print("known %s case %d: %s" % (d, i, ", ".join(sorted(names))))
                if opts.verbose:
                    print("    value: %s" % desc)
                    for m in msgs[:6]:
                        print("    " + m)
            elif opts.verbose:
                print("ok   %s case %d" % (d, i))
    took = time.monotonic() - start
    print("seed %d: %d read cases, %d write cases in %.1f s" % (opts.seed, stats["read"], stats["write"], took))
    for k in KNOWN:
        print("  known %-22s %4d cases  (%s)" % (k.name, known_hits[k.name], k.issue))
    total = stats["read"] + stats["write"]
    print("%d passed, %d failed" % (total - len(failed), len(failed)))
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
