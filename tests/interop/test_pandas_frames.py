#!/usr/bin/env python3
"""pandas frames interop: DataFrames and Series pickled by real pandas
(DataFrame.to_pickle, joblib.dump) attached with the `joblib` virtual table
and compared cell by cell with pandas.read_pickle of the same file.

  - every column kind: bool, ints, floats, object (str, bytes, None,
    mixed), datetime64 with and without a tz, timedelta64, category,
    Int64 / Float64 / boolean masked arrays, string with pd.NA;
  - indexes: RangeIndex (steps too), Int64Index, str Index, DatetimeIndex
    with a tz, MultiIndex; MultiIndex and int column labels;
  - a Series (named and unnamed), empty frames, duplicate labels, a
    2-D block in F order, a frame with one block of many columns;
  - every compressor of to_pickle (none, gzip, bz2, xz, zip, tar and
    tar inside gzip/bz2/xz, by name or by 'infer'; zstd is refused, see
    test_pandas_kinds.py) and of joblib.dump (zlib, gzip, bz2, lzma, xz,
    lz4);
  - declared types from dtypes; names as frame.h defines them;
  - bad frames (crafted from real ones) are `joblib:` errors naming what
    is wrong;
  - pandas 0.2x's pickle shapes, written by old_pandas_pickles.py (and
    read back by pandas 1.5.3 itself as a check of the stand-ins);
  - joblib_info's frames and joblib_show's summary.

Expected values follow README "A DataFrame saved with joblib": NaN, NaT,
NA, None -> NULL; bool -> 0/1; datetimes ISO-8601 text with 9 digits of
fraction (tz-aware ones in UTC with "Z"); timedeltas -> INTEGER ns.

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set.
"""
import sys

import jltest
jltest.preload()

import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402

joblib, np, pd = jltest.require("joblib", "numpy", "pandas")

from jltest import case, expect, expect_eq  # noqa: E402

NTABLE = [0]
conn = jltest.shared_conn
tmp = jltest.TempDir.path


# ---------------------------------------------------------------------------
# What the table should hold, from pandas

def iso(ts):
    """Timestamp -> our ISO text (UTC with Z when tz-aware)."""
    z = ""
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
        z = "Z"
    ns = ts.value % 10**9
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + ".%09d" % ns + z


def sqlval(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, pd.Timestamp):
        return iso(v)
    if isinstance(v, np.datetime64):
        return iso(pd.Timestamp(v))
    if isinstance(v, (pd.Timedelta, np.timedelta64)):
        return pd.Timedelta(v).value
    if isinstance(v, (pd.Period, pd.Interval)):
        return str(v)
    return v


def label(x):
    if isinstance(x, tuple):
        return "|".join(label(p) for p in x)
    if x is None:
        return ""
    return str(x)


def unique(names):
    out = []
    for n in names:
        base, k = n, 0
        while any(o.lower() == n.lower() for o in out):
            k += 1
            n = "%s:%d" % (base, k)
        out.append(n)
    return out


def expected(obj):
    """(column names, rows) the virtual table should give for obj."""
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(name="value" if obj.name is None else obj.name)
    idx = obj.index
    if isinstance(idx, pd.MultiIndex):
        inames = [n if n is not None else "level_%d" % i for i, n in enumerate(idx.names)]
        icols = [idx.get_level_values(i) for i in range(idx.nlevels)]
    else:
        inames = [idx.name if idx.name is not None else "index"]
        icols = [idx]
    names = unique([label(n) for n in inames] + [label(c) for c in obj.columns])
    cols = [list(c) for c in icols] + [list(obj.iloc[:, p]) for p in range(obj.shape[1])]
    rows = [tuple(sqlval(c[r]) for c in cols) for r in range(len(obj))]
    return names, rows


def attach(src, path=None):
    c = conn()
    NTABLE[0] += 1
    t = "f%d" % NTABLE[0]
    args = "'%s'" % src + (", '%s'" % path if path else "")
    c.execute("CREATE VIRTUAL TABLE %s USING joblib(%s)" % (t, args))
    return t


def table_of(t):
    c = conn()
    names = [r[1] for r in c.execute("SELECT * FROM pragma_table_info(?)", (t,))]
    rows = c.execute('SELECT * FROM "%s" ORDER BY rowid' % t).fetchall()
    return names, rows


def decls(t):
    return {r[1]: r[2] for r in conn().execute("SELECT * FROM pragma_table_info(?)", (t,))}


def check_file(f, what):
    """The table over file f equals pandas.read_pickle(f) cell by cell."""
    want = expected(pd.read_pickle(f))
    t = attach(f)
    got = table_of(t)
    expect_eq(got[0], want[0], "%s: column names" % what)
    expect_eq(len(got[1]), len(want[1]), "%s: row count" % what)
    for r, (g, w) in enumerate(zip(got[1], want[1])):
        if not expect_eq(g, w, "%s: row %d" % (what, r)):
            break
    return t


def check(obj, name, what=None, **dump):
    """to_pickle and joblib.dump of obj, each compared with what pandas reads."""
    f = tmp(name + ".pkl")
    obj.to_pickle(f)
    t = check_file(f, what or name)
    g = tmp(name + ".joblib")
    joblib.dump(obj, g, **dump)
    want = expected(joblib.load(g))
    got = table_of(attach(g))
    expect_eq(got, want, "%s (joblib.dump)" % (what or name))
    return t


# ---------------------------------------------------------------------------
# Column kinds

def kinds_frame():
    n = 5
    return pd.DataFrame({
        "b": [True, False, True, True, False],
        "i8": np.arange(n, dtype="i8") - 2,
        "i1": np.arange(n, dtype="i1"),
        "u4": np.arange(n, dtype="u4") * 7,
        "f8": [1.5, np.nan, -2.25, 1e300, 0.0],
        "f4": np.array([0.5, 1.5, np.nan, 3.5, 4.5], dtype="f4"),
        "s": ["x", None, "zé", "", "long text " * 3],
        "by": [b"a", b"\x00\xff", None, b"", b"z"],
        "mixed": [1, "two", 3.5, None, b"five"],
        "t": pd.to_datetime(["2020-01-01", None, "1969-12-31 23:59:59.123456789", "2262-04-11", "1677-09-22"]),
        "tz": pd.date_range("2020-03-29", periods=n, freq="6H", tz="Europe/Paris"),
        "td": pd.to_timedelta([1, None, -3, 0, 86400], unit="s"),
        "cat": pd.Categorical(["a", "b", None, "a", "c"]),
        "icat": pd.Categorical([10, 20, 10, None, 30]),
        "mI": pd.array([1, None, 3, -4, None], dtype="Int64"),
        "mI8": pd.array([1, None, 3, -4, 5], dtype="Int8"),
        "mF": pd.array([1.5, None, 3.0, np.nan, 2.0], dtype="Float64"),
        "mB": pd.array([True, None, False, True, None], dtype="boolean"),
        "mS": pd.array(["p", None, "r", "s", pd.NA], dtype="string"),
    })


def kinds_file(name):
    """kinds_frame() and the file to_pickle wrote it to."""
    df = kinds_frame()
    f = tmp(name)
    df.to_pickle(f)
    return df, f


@case
def test_column_kinds():
    df = kinds_frame()
    t = check(df, "kinds")
    d = decls(t)
    want = {"index": "INTEGER", "b": "INTEGER", "i8": "INTEGER", "i1": "INTEGER", "u4": "INTEGER",
            "f8": "REAL", "f4": "REAL", "s": "TEXT", "by": "BLOB", "mixed": "", "t": "TEXT", "tz": "TEXT",
            "td": "INTEGER", "cat": "TEXT", "icat": "INTEGER", "mI": "INTEGER", "mI8": "INTEGER", "mF": "REAL",
            "mB": "INTEGER", "mS": "TEXT"}
    expect_eq(d, want, "declared types")


@case
def test_compressors():
    df = kinds_frame()
    for comp in ["gzip", "bz2", "xz", "zip", "tar"]:
        f = tmp("c.pkl." + {"gzip": "gz", "bz2": "bz2", "xz": "xz", "zip": "zip", "tar": "tar"}[comp])
        df.to_pickle(f, compression=comp)
        check_file(f, "to_pickle %s" % comp)
    # compression='infer' (the default) by the name's extension: a .tar.gz
    # is a tar inside gzip; a zip member stored rather than deflated
    for name in ["i.pkl.gz", "i.pkl.bz2", "i.pkl.xz", "i.pkl.zip", "i.pkl.tar", "i.tar.gz", "i.tar.bz2", "i.tar.xz"]:
        f = tmp(name)
        df.to_pickle(f)
        check_file(f, "to_pickle infer %s" % name)
    import zipfile
    f = tmp("stored.zip")
    df.to_pickle(f, compression={"method": "zip", "compression": zipfile.ZIP_STORED})
    check_file(f, "to_pickle zip stored")
    for comp in ["zlib", "gzip", "bz2", "lzma", "xz", "lz4"]:
        g = tmp("c_%s.joblib" % comp)
        joblib.dump(df, g, compress=(comp, 3))
        got = table_of(attach(g))
        expect_eq(got, expected(joblib.load(g)), "joblib.dump %s" % comp)
    for proto in [2, 3, 4, 5]:
        f = tmp("p%d.pkl" % proto)
        with open(f, "wb") as fh:
            pickle.dump(df, fh, protocol=proto)
        check_file(f, "protocol %d" % proto)


# ---------------------------------------------------------------------------
# Indexes and labels

@case
def test_indexes():
    n = 4
    vals = {"v": np.arange(n) * 1.5, "w": list("abcd")}
    check(pd.DataFrame(vals, index=pd.RangeIndex(10, 10 + 3 * n, 3)), "range_step")
    check(pd.DataFrame(vals, index=pd.RangeIndex(5, 5 - n, -1, name="down")), "range_neg")
    check(pd.DataFrame(vals, index=pd.Index([7, 3, 9, -1], name="id")), "int_index")
    check(pd.DataFrame(vals, index=pd.Index(list("pqrs"))), "str_index")
    check(pd.DataFrame(vals, index=pd.Index([0.5, np.nan, 2.5, 3.0])), "float_index")
    check(pd.DataFrame(vals, index=pd.date_range("2021-01-01", periods=n, tz="UTC", name="when")), "dt_tz_index")
    check(pd.DataFrame(vals, index=pd.date_range("2021-01-01", periods=n, freq="H")), "dt_index")
    check(pd.DataFrame(vals, index=pd.CategoricalIndex(list("abab"), name="c")), "cat_index")
    mi = pd.MultiIndex.from_tuples([(1, "p"), (1, "q"), (2, "p"), (3, None)], names=["k1", "k2"])
    t = check(pd.DataFrame(vals, index=mi), "multi_index")
    expect_eq(table_of(t)[0][:2], ["k1", "k2"], "MultiIndex level columns")
    mi2 = pd.MultiIndex.from_product([["a", "b"], [1, 2]])
    t = check(pd.DataFrame(vals, index=mi2), "multi_unnamed")
    expect_eq(table_of(t)[0][:2], ["level_0", "level_1"], "unnamed levels")


@case
def test_labels():
    cols = pd.MultiIndex.from_tuples([("x", "a"), ("x", "b"), ("y", "a")])
    t = check(pd.DataFrame(np.arange(6).reshape(2, 3), columns=cols), "multi_columns")
    expect_eq(table_of(t)[0], ["index", "x|a", "x|b", "y|a"], "MultiIndex labels joined by |")
    t = check(pd.DataFrame(np.arange(6.0).reshape(2, 3)), "int_labels")
    expect_eq(table_of(t)[0], ["index", "0", "1", "2"], "RangeIndex labels")
    t = check(pd.DataFrame([[1, 2, 3]], columns=["a", "A", "a"]), "duplicates")
    expect_eq(table_of(t)[0], ["index", "a", "A:1", "a:2"], "duplicate labels")
    t = check(pd.DataFrame({"b": [1], "B": [pd.NA]}, dtype="Int64"), "case_labels")
    expect_eq(table_of(t)[0], ["index", "b", "B:1"], "labels equal without case")
    t = check(pd.DataFrame({"index": [1, 2]}), "index_label")
    expect_eq(table_of(t)[0], ["index", "index:1"], "a column named index")


@case
def test_series():
    t = check(pd.Series([1.5, None, 3.0], name="amount"), "series_named")
    expect_eq(table_of(t)[0], ["index", "amount"], "series name")
    t = check(pd.Series(["a", "b"], index=pd.Index(["r1", "r2"], name="row")), "series_unnamed")
    expect_eq(table_of(t)[0], ["row", "value"], "unnamed series")
    check(pd.Series(pd.Categorical(["u", "v", "u"]), name="c"), "series_cat")
    check(pd.Series(pd.date_range("2020-01-01", periods=3, tz="US/Eastern"), name="d"), "series_tz")
    check(pd.Series(pd.array([1, None], dtype="Int64"), name="m"), "series_masked")


@case
def test_shapes():
    check(pd.DataFrame(), "empty")
    check(pd.DataFrame({"a": pd.Series([], dtype="i8"), "b": pd.Series([], dtype=object)}), "no_rows")
    check(pd.DataFrame(index=pd.RangeIndex(3)), "no_columns")
    wide = pd.DataFrame(np.arange(40.0).reshape(4, 10), columns=["c%d" % i for i in range(10)])
    check(wide, "one_block")
    # interleaved blocks: mgr_locs become arrays
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [3, 4], "d": ["z", "w"], "e": [5.0, 6.0]})
    df = df[["e", "a", "d", "c", "b"]]
    check(df, "interleaved")
    # a frame whose block values are F order (a transposed C array)
    check(pd.DataFrame(np.asfortranarray(np.arange(12).reshape(3, 4))), "fortran")
    big = pd.DataFrame({"x": np.arange(100000), "y": np.arange(100000) * 0.5})
    t = check(big, "big")
    expect_eq(conn().execute("SELECT x, y FROM %s WHERE rowid = 99999" % t).fetchall(), [(99999, 49999.5)],
              "a point query")


# ---------------------------------------------------------------------------
# Bad frames: real pickles with one part changed

def crafted(name, df, change):
    """to_pickle bytes of df with `change(bytes)` applied, written to name."""
    f = tmp(name)
    data = pickle.dumps(df, protocol=4)
    data = change(data)
    with open(f, "wb") as fh:
        fh.write(data)
    return f


@case
def test_bad_frames():
    c = conn()
    df = pd.DataFrame({"a": [1, 2, 3], "b": [1.5, 2.5, 3.5]})
    # the int block placed at position 7 instead of 0: slice(0, 1, 1) -> slice(7, 8, 1)
    data = pickle.dumps(df, protocol=4)
    marker = b"\x8c\x05slice\x94\x93\x94K\x00K\x01K\x01\x87"
    expect(marker in data, "the slice of the first block is where the test expects it")
    f = crafted("badloc.pkl", df, lambda d: d.replace(marker, b"\x8c\x05slice\x94\x93\x94K\x07K\x08K\x01\x87", 1))
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad1 USING joblib('%s')" % f)
    expect_eq(msg, "joblib: frame: block 0 places a column at position 7 of 2 (file '%s')" % f, "mgr_locs")
    # a RangeIndex of 4 rows for 3 values
    marker = b"\x8c\x04stop\x94K\x03"
    f = crafted("badlen.pkl", df, lambda d: d.replace(marker, b"\x8c\x04stop\x94K\x04", 1))
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad2 USING joblib('%s')" % f)
    expect_eq(msg, "joblib: frame: column 'a': 3 values where the index has 4 (file '%s')" % f, "lengths")
    # an unknown block class
    f = crafted("badblock.pkl", df, lambda d: d.replace(b"_unpickle_block", b"_unpickle_bloke"))
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad3 USING joblib('%s')" % f)
    expect_eq(msg, "joblib: frame: block 0 is pandas._libs.internals._unpickle_bloke, not a pandas block "
              "(file '%s')" % f, "block class")
    # unsupported values: intervals of datetimes (test_pandas_kinds.py has more)
    sp = pd.DataFrame({"s": pd.interval_range(pd.Timestamp("2020-01-01"), periods=3)})
    f = tmp("dtiv.pkl")
    sp.to_pickle(f)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad4 USING joblib('%s')" % f)
    expect(msg.startswith("joblib: frame: column 's' (dtype interval[datetime64[ns], right]): "), msg)
    # a frame inside a list or a dict: the error gives the path that attaches it
    h = tmp("in_list.pkl")
    joblib.dump([df, df], h)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad6 USING joblib('%s')" % h)
    expect_eq(msg, "joblib: not table-shaped: a list holding a pandas DataFrame at $[0] (attach that path: "
              "joblib(src, '$[0]')) (file '%s')" % h, "a frame in a list")
    h = tmp("in_dict.pkl")
    joblib.dump({"meta": {"v": 1}, "s": df["a"]}, h)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad7 USING joblib('%s')" % h)
    expect_eq(msg, "joblib: not table-shaped: a dict holding a pandas Series at $.s (attach that path: "
              "joblib(src, '$.s')) (file '%s')" % h, "a series in a dict")
    expect_eq(table_of(attach(h, "$.s"))[1], [(0, 1), (1, 2), (2, 3)], "attached by that path")
    # a path into a frame picks the raw view: the manager is no table
    g = tmp("ok.pkl")
    df.to_pickle(g)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE bad5 USING joblib('%s', '$._mgr')" % g)
    expect(msg.startswith("joblib: not table-shaped: an object of class "
                          "pandas.core.internals.managers.BlockManager"), msg)


@case
def test_info_frames():
    c = conn()
    df, f = kinds_file("info.pkl")
    info = json.loads(c.execute("SELECT joblib_info(?)", (f,)).fetchone()[0])
    fr = info["frames"]
    expect_eq(len(fr), 1, "one frame")
    expect_eq(fr[0]["path"], "$", "path")
    expect_eq(fr[0]["kind"], "DataFrame", "kind")
    expect_eq(fr[0]["shape"], list(df.shape), "shape")
    expect_eq([x["name"] for x in fr[0]["columns"]], list(df.columns), "column names")
    expect_eq([x["dtype"] for x in fr[0]["columns"]], [str(d) for d in df.dtypes], "pandas dtypes")
    expect_eq(fr[0]["index"], [{"name": "index", "dtype": "int64", "type": "INTEGER"}], "index")
    t = attach(f)
    expect_eq([x["type"] for x in fr[0]["columns"]], [decls(t)[n] for n in df.columns], "declared types")
    s = pd.Series(pd.array([1, None], dtype="UInt16"), name="u", index=pd.Index(["a", "b"], name="k"))
    g = tmp("info2.pkl")
    joblib.dump({"s": s, "bad": "x", "df": pd.DataFrame({"a": [1]})}, g)
    fr = json.loads(c.execute("SELECT joblib_info(?)", (g,)).fetchone()[0])["frames"]
    expect_eq(fr[0], {"path": "$.s", "kind": "Series", "shape": [2, 1],
                      "index": [{"name": "k", "dtype": "object", "type": "TEXT"}],
                      "columns": [{"name": "u", "dtype": "UInt16", "type": "INTEGER"}]}, "a series")
    expect_eq((fr[1]["path"], fr[1]["shape"]), ("$.df", [1, 1]), "second frame")
    df = pd.DataFrame({"a": [1, 2]})
    data = pickle.dumps(df, protocol=4).replace(b"_unpickle_block", b"_unpickle_bloke")
    info = json.loads(c.execute("SELECT joblib_info(?)", (data,)).fetchone()[0])
    expect_eq(info["frames"], [{"path": "$", "kind": "DataFrame",
                                "error": "frame: block 0 is pandas._libs.internals._unpickle_bloke, "
                                         "not a pandas block"}], "a bad frame")
    info = json.loads(c.execute("SELECT joblib_info(?)", (pickle.dumps([1], protocol=4),)).fetchone()[0])
    expect("frames" not in info, "no frames key without frames")


@case
def test_show():
    c = conn()
    f = tmp("show.pkl")
    pd.DataFrame({"a": np.arange(12), "b": ["x"] * 12}, index=pd.RangeIndex(0, 24, 2, name="r")).to_pickle(f)
    text = c.execute("SELECT joblib_show(?)", (f,)).fetchone()[0].split("\n")
    expect_eq(text[:5], ["DataFrame: 12 rows \u00d7 2 columns", "index: r int64", "columns: a int64, b object",
                         "r   a   b", "0   0   x"], "summary head")
    expect_eq(text[8:11], ["8   4   x", "\u2026 2 more rows", "14  7   x"], "rows elided in the middle")
    expect_eq(text[15], "$: object pandas.core.frame.DataFrame", "then the tree")
    expect_eq(len(text), 21, "one level of parts")
    deep = c.execute("SELECT joblib_show(?, '$', 2)", (f,)).fetchone()[0].split("\n")
    expect(len(deep) > 21, "a depth argument shows more of the parts")
    s = tmp("show_empty.pkl")
    pd.DataFrame().to_pickle(s)
    text = c.execute("SELECT joblib_show(?)", (s,)).fetchone()[0].split("\n")
    expect_eq(text[:4], ["DataFrame: 0 rows \u00d7 0 columns", "index: index object", "columns:", "index"],
              "an empty frame")
    df = pd.DataFrame({"a": [1, 2]})
    data = pickle.dumps(df, protocol=4).replace(b"_unpickle_block", b"_unpickle_bloke")
    text = c.execute("SELECT joblib_show(?)", (data,)).fetchone()[0].split("\n")
    expect_eq(text[0], "DataFrame: not readable as a table: frame: block 0 is "
              "pandas._libs.internals._unpickle_bloke, not a pandas block", "a bad frame")


@case
def test_old_pandas_shapes():
    """pandas 0.2x's pickles (old_pandas_pickles.py): the manager's BUILD
    state, `_data`, DatetimeIndex values, old Categoricals, MultiIndex
    labels; what the table holds equals the generator's expectation and
    what pandas 1.5.3 itself reads from the same file."""
    import old_pandas_pickles
    for path, want in old_pandas_pickles.write(jltest.TempDir.path()).items():
        got = table_of(attach(path))
        expect_eq(got, (want[0], want[1]), "%s: as written" % os.path.basename(path))
        expect_eq(got, expected(pd.read_pickle(path)), "%s: as pandas reads it" % os.path.basename(path))


@case
def test_new_pandas_shapes():
    """pandas 2.x's pickles (new_pandas_pickles.py): _unpickle_block and
    BlockManager reduces as 1.x, PeriodDtype by name, a Series's '_name',
    NDArrayBacked state with data and dtype swapped, numpy 2's names; what
    the table holds equals the generator's expectation and, where pandas
    1.5.3 loads the file, what it reads."""
    import new_pandas_pickles
    c = conn()
    for path, (want, loadable) in new_pandas_pickles.write(jltest.TempDir.path()).items():
        got = table_of(attach(path))
        name = os.path.basename(path)
        expect_eq(got, (want[0], want[1]), "%s: as written" % name)
        if not loadable:
            continue
        obj = pd.read_pickle(path)
        expect_eq(got, expected(obj), "%s: as pandas reads it" % name)
        fr = json.loads(c.execute("SELECT joblib_info(?)", (path,)).fetchone()[0])["frames"][0]
        dtypes = [str(obj.dtype)] if isinstance(obj, pd.Series) else [str(d) for d in obj.dtypes]
        expect_eq([x["dtype"] for x in fr["columns"]], dtypes, "%s: pandas dtypes" % name)
    f = os.path.join(jltest.TempDir.path(), "new_frame.pkl")
    expect_eq(c.execute("SELECT joblib_load(?, '$.per[2]'), joblib_load(?, '$.tz[0]')", (f, f)).fetchone(),
              ("2024-03", "2024-03-01T10:00:00.000000000Z"), "paths")


@case
def test_paths():
    c = conn()
    df, f = kinds_file("paths.pkl")
    names, rows = expected(df)

    def load(path):
        return c.execute("SELECT joblib_load(?, ?)", (f, path)).fetchone()[0]

    for j, name in enumerate(names):
        if name in ("by", "mixed"):
            continue  # bytes are base64 in JSON; checked per cell below
        path = "$.%s" % name if name.isidentifier() else '$."%s"' % name
        want = [r[j] for r in rows]
        as_json = [v if v is None or name not in ("b", "mB") else bool(v) for v in want]
        col = df[name] if name in df.columns else None  # else the index
        if col is not None and col.dtype.kind in "biufc" and type(col.dtype).__module__.startswith("numpy"):
            # a plain numpy column is its ndarray: the bytes pandas holds
            expect_eq(load(path), np.ascontiguousarray(col.to_numpy()).tobytes(), "column %s as an array" % name)
            expect_eq(c.execute("SELECT dtype, shape FROM joblib_each(?) WHERE key = ?", (f, name)).fetchone(),
                      (col.dtype.str, "[%d]" % len(col)), "column %s: dtype and shape" % name)
        else:
            expect_eq(json.loads(load(path)), as_json, "column %s as a list" % name)
        for r in (0, len(rows) - 1):
            expect_eq(load("%s[%d]" % (path, r)), want[r], "cell %s[%d]" % (name, r))
    expect_eq(load("$.by[1]"), b"\x00\xff", "a bytes cell")
    expect_eq(load("$.mixed[4]"), b"five", "a mixed cell")
    expect_eq(json.loads(load("$.__index__")), list(range(5)), "the index")
    expect_eq(load("$._typ"), "dataframe", "the raw view first")
    expect_eq(load("$.nope"), None, "no such column")
    expect_eq(load("$.i8[99]"), None, "no such row")
    g = tmp("paths_multi.pkl")
    mi = pd.MultiIndex.from_tuples([(1, "p"), (2, "q")], names=["k1", "k2"])
    pd.DataFrame({("x", "a"): [1.5, 2.5]}, index=mi).to_pickle(g)
    expect_eq(json.loads(c.execute("SELECT joblib_load(?, '$.__index__')", (g,)).fetchone()[0]),
              [[1, "p"], [2, "q"]], "a MultiIndex as tuples")
    expect_eq(c.execute("""SELECT joblib_load(?, '$."x|a"[1]'), joblib_load(?, '$.k2[0]')""", (g, g)).fetchone(),
              (2.5, "p"), "labels with | and index levels by name")
    rows = c.execute("SELECT key, value, type FROM joblib_each(?, '$.k1')", (g,)).fetchall()
    expect_eq(rows, [(0, 1, "int"), (1, 2, "int")], "joblib_each over a column")
    rows = c.execute("SELECT key, type, fullkey, joblib_load(?, fullkey) = value FROM joblib_each(?)",
                     (g, g)).fetchall()
    expect_eq(rows, [("k1", "list", "$.k1", 1), ("k2", "list", "$.k2", 1), ("x|a", "ndarray", '$."x|a"', 1)],
              "joblib_each over a frame lists its columns, fullkeys select them")
    expect_eq(c.execute("SELECT fullkey FROM joblib_tree(?) LIMIT 2", (g,)).fetchall(), [("$",), ("$._mgr",)],
              "joblib_tree walks the pickled parts")
    data = pickle.dumps(pd.DataFrame({"a": [1]}), protocol=4).replace(b"_unpickle_block", b"_unpickle_bloke")
    msg = jltest.sql_error(c, "SELECT joblib_load(?, '$.a')", data)
    expect_eq(msg, "joblib: frame: block 0 is pandas._libs.internals._unpickle_bloke, not a pandas block "
              "(path $.a)", "a bad frame under a label path")


@case
def test_frame_in_a_bundle():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    f = tmp("nested.pkl")
    joblib.dump({"meta": {"v": 1}, "frame": df}, f)
    t = attach(f, "$.frame")
    expect_eq(table_of(t), (["index", "a", "b"], [(0, 1, "x"), (1, 2, "y")]), "a frame under a path")


if __name__ == "__main__":
    jltest.run()
