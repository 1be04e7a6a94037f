#!/usr/bin/env python3
"""pandas Period, Interval and Sparse columns (and what stays refused),
from real pandas 1.5.3 pickles (DataFrame.to_pickle and joblib.dump),
compared cell by cell with pandas.read_pickle of the same file.

README "A DataFrame saved with joblib" defines the cells:
  - Period: TEXT, pandas' str(Period): '2024-01' (M), '2024Q1' (Q-*),
    '2024' (A-*), '2024-02-26/2024-03-03' (W-*), '2024-02-28' (D, B),
    '2024-02-28 13:00' (H) ... to nanoseconds; NaT is NULL;
  - Interval (int or float bounds): TEXT, pandas' str(Interval):
    '(0.0, 1.0]', '[0, 1]'; a missing interval is NULL;
  - Sparse: the dense values, the fill value where sp_index names no row
    (NULL when the fill is NaN / None);
  - refused (an error at CREATE naming the column, its dtype and where
    its raw values are): intervals of datetimes, Arrow-backed columns;
  - frames of pandas 1.x's ArrayManager (mode.data_manager = 'array');
  - archives: what to_pickle's zip and tar hold reads only when it is one
    pickle; other zips and tars, and zstd, keep their errors.

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set.
"""
import jltest
jltest.preload()

import json  # noqa: E402
import math  # noqa: E402

joblib, np, pd = jltest.require("joblib", "numpy", "pandas")

from jltest import case, expect_eq  # noqa: E402

conn = jltest.shared_conn
tmp = jltest.TempDir.path
NTABLE = [0]


def sqlval(v):
    """A cell of pandas as the joblib table gives it."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, (pd.Period, pd.Interval)):
        return str(v)
    return v


def expected(obj):
    if isinstance(obj, pd.Series):
        obj = obj.to_frame(name="value" if obj.name is None else obj.name)
    idx = obj.index
    names = [idx.name or "index"] + [str(c) for c in obj.columns]
    cols = [list(idx)] + [list(obj.iloc[:, p]) for p in range(obj.shape[1])]
    return names, [tuple(sqlval(c[r]) for c in cols) for r in range(len(obj))]


def attach(f, path=None):
    NTABLE[0] += 1
    t = "k%d" % NTABLE[0]
    conn().execute("CREATE VIRTUAL TABLE %s USING joblib('%s'%s)" % (t, f, ", '%s'" % path if path else ""))
    return t


def table_of(t):
    c = conn()
    names = [r[1] for r in c.execute("SELECT * FROM pragma_table_info(?)", (t,))]
    return names, c.execute('SELECT * FROM "%s" ORDER BY rowid' % t).fetchall()


def check(obj, name):
    """to_pickle and joblib.dump of obj read back as pandas reads them."""
    f = tmp(name + ".pkl")
    obj.to_pickle(f)
    t = attach(f)
    want = expected(pd.read_pickle(f))
    got = table_of(t)
    expect_eq(got[0], want[0], "%s: names" % name)
    for r, (g, w) in enumerate(zip(got[1], want[1])):
        if not expect_eq(g, w, "%s: row %d" % (name, r)):
            break
    expect_eq(len(got[1]), len(want[1]), "%s: rows" % name)
    g = tmp(name + ".joblib")
    joblib.dump(obj, g, compress=3)
    expect_eq(table_of(attach(g)), expected(joblib.load(g)), "%s (joblib.dump)" % name)
    return f, t


def info_dtypes(f):
    fr = json.loads(conn().execute("SELECT joblib_info(?)", (f,)).fetchone()[0])["frames"][0]
    return [c["dtype"] for c in fr["index"] + fr["columns"]], [c["type"] for c in fr["index"] + fr["columns"]]


def periods_frame():
    n = 5
    freqs = {"pM": ("2024-01", "M"), "pA": ("1969", "A-JUN"), "pY": ("2024", "A"), "pQ": ("2023Q3", "Q-NOV"),
             "pQD": ("1969Q4", "Q"), "pW": ("2024-02-28", "W-WED"), "pWS": ("1970-01-01", "W"),
             "pB": ("1969-12-25", "B"), "pD": ("1969-12-30", "3D"), "pH": ("2024-02-28 13:00", "H"),
             "pT": ("1969-12-31 23:58", "T"), "pS": ("2024-02-28 13:45:12", "S"),
             "pL": ("2024-02-28 13:45:12.123", "L"), "pU": ("1900-02-28 13:45:12.123456", "U"),
             "pN": ("1969-12-31 23:59:59.999999998", "N")}
    df = pd.DataFrame({k: pd.period_range(s, periods=n, freq=f) for k, (s, f) in freqs.items()})
    df.loc[2, "pM"] = pd.NaT
    df.loc[0, "pN"] = pd.NaT
    return df


@case
def test_periods():
    df = periods_frame()
    f, t = check(df, "periods")
    dt, types = info_dtypes(f)
    expect_eq(dt, ["int64"] + [str(d) for d in df.dtypes], "pandas' dtype names")
    expect_eq(types, ["INTEGER"] + ["TEXT"] * df.shape[1], "declared TEXT")
    expect_eq(conn().execute("SELECT pM, pQ, pW, pH FROM %s WHERE rowid = 1" % t).fetchone(),
              ("2024-02", "2023Q4", "2024-02-29/2024-03-06", "2024-02-28 14:00"), "one row")
    # a PeriodIndex and a Series of periods
    check(pd.DataFrame({"v": [1.5, 2.5]}, index=pd.period_range("2020Q1", periods=2, freq="Q", name="q")),
          "period_index")
    check(pd.Series(pd.period_range("2021-03-04", periods=3, freq="D"), name="day"), "period_series")
    c = conn()
    expect_eq(c.execute("SELECT joblib_load(?, '$.pM[0]'), joblib_load(?, '$.pM')", (f, f)).fetchone(),
              ("2024-01", '["2024-01","2024-02",null,"2024-04","2024-05"]'), "paths give the same text")


@case
def test_intervals():
    df = pd.DataFrame({
        "f": pd.arrays.IntervalArray.from_breaks([-np.inf, 0.0, 1.0, 2.5, 1e20, np.inf]),
        "i": pd.arrays.IntervalArray.from_breaks([0, 1, 2, 4, 8, 9], closed="both"),
        "n": pd.arrays.IntervalArray.from_tuples([(0.5, 1.0), None, (2, 3), (3, 4), (-1, 0.1)], closed="neither"),
        "l": pd.arrays.IntervalArray.from_arrays(np.arange(5, dtype="u1"), np.arange(5, dtype="u1") + 1,
                                                 closed="left"),
        "h": pd.arrays.IntervalArray.from_breaks(np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype="f4")),
    })
    f, t = check(df, "intervals")
    dt, types = info_dtypes(f)
    expect_eq(dt, ["int64"] + [str(d) for d in df.dtypes], "pandas' dtype names")
    expect_eq(types, ["INTEGER"] + ["TEXT"] * 5, "declared TEXT")
    expect_eq(conn().execute("SELECT f, i, n, l FROM %s WHERE rowid = 0" % t).fetchone(),
              ("(-inf, 0.0]", "[0, 1]", "(0.5, 1.0)", "[0, 1)"), "texts")
    check(pd.DataFrame({"v": [1, 2, 3]}, index=pd.interval_range(0.0, 1.5, periods=3, name="bin")), "interval_index")
    check(pd.Series(pd.cut([1, 5, 9], [0, 4, 8, 12]).astype("interval"), name="b"), "interval_series")


@case
def test_sparse():
    n = 7
    df = pd.DataFrame({
        "i0": pd.arrays.SparseArray([0, 1, 0, 0, 7, 0, 0]),
        "fnan": pd.arrays.SparseArray([np.nan, 1.5, np.nan, 2.0, np.nan, np.nan, -0.0]),
        "f0": pd.arrays.SparseArray([0.0, 1.5, 0.0, 0.0, np.nan, 0.0, 3.0], fill_value=0.0),
        "blk": pd.arrays.SparseArray([0, 1, 2, 0, 0, 5, 6], kind="block"),
        "b": pd.arrays.SparseArray([False, True, False, False, True, False, False]),
        "o": pd.arrays.SparseArray(["a", None, "b", None, None, "c", None], dtype=pd.SparseDtype(object, None)),
        "all": pd.arrays.SparseArray([3] * n, fill_value=3),
        "dense": pd.arrays.SparseArray(np.arange(n), fill_value=-1),
    })
    f, t = check(df, "sparse")
    dt, types = info_dtypes(f)
    expect_eq(dt, ["int64"] + [str(d) for d in df.dtypes], "pandas' dtype names")
    expect_eq(types, ["INTEGER", "INTEGER", "REAL", "REAL", "INTEGER", "INTEGER", "TEXT", "INTEGER", "INTEGER"],
              "declared types of the values")
    c = conn()
    expect_eq(c.execute("SELECT typeof(f0), f0, typeof(i0), i0 FROM %s WHERE rowid = 0" % t).fetchone(),
              ("real", 0.0, "integer", 0), "fill values keep the column's type")
    expect_eq(c.execute("SELECT joblib_load(?, '$.i0'), joblib_load(?, '$.blk[5]')", (f, f)).fetchone(),
              ("[0,1,0,0,7,0,0]", 5), "paths")
    check(pd.Series(pd.arrays.SparseArray([0.0, 2.0, 0.0]), name="s"), "sparse_series")
    # a long sparse column: a point query finds its row
    big = pd.DataFrame({"x": pd.arrays.SparseArray(np.where(np.arange(200000) % 1000 == 7, 1.5, 0.0),
                                                   fill_value=0.0)})
    g = tmp("sparse_big.pkl")
    big.to_pickle(g)
    t = attach(g)
    expect_eq(c.execute("SELECT x FROM %s WHERE rowid IN (6, 7, 199007, 199999)" % t).fetchall(),
              [(0.0,), (1.5,), (1.5,), (0.0,)], "point queries")
    expect_eq(c.execute("SELECT count(*), sum(x) FROM %s" % t).fetchone(), (200000, 300.0), "a scan")


@case
def test_refused():
    c = conn()
    df = pd.DataFrame({"a": [1, 2], "d": pd.interval_range(pd.Timestamp("2020-01-01"), periods=2)})
    f = tmp("dt_intervals.pkl")
    joblib.dump({"k": df}, f)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE r1 USING joblib('%s', '$.k')" % f)
    expect_eq(msg, "joblib: frame: column 'd' (dtype interval[datetime64[ns], right]): interval bounds of dtype "
              "datetime64[ns] (ints and floats are read); raw values at $.k._mgr.__args__[0][1].__args__[0] "
              "(file '%s', path $.k)" % f, "datetime intervals")
    left = "$.k._mgr.__args__[0][1].__args__[0].__state__[0]._left.__state__[1]"
    raw = c.execute("SELECT joblib_json(?, ?)", (f, left)).fetchone()[0]
    expect_eq(json.loads(raw), ["2020-01-01T00:00:00.000000000", "2020-01-02T00:00:00.000000000"],
              "the raw path reaches the values")
    # an Arrow-backed string column (pyarrow is not needed to write its pickle's shape)
    import old_pandas_pickles as old
    ArrowStringArray = old.old_class("pandas.core.arrays.string_arrow", "ArrowStringArray")
    StringDtype = old.old_class("pandas.core.arrays.string_", "StringDtype")
    restore = old.old_class("pyarrow.lib", "_restore_array")
    arr = ArrowStringArray({"_data": old.Call(restore, ("string", 2, [None, b"\x00" * 12, b"ab"], 0, 0, [])),
                            "_dtype": StringDtype({"storage": "pyarrow"})})
    fr = old.frame(old.index(["s"]), old.range_index(0, 2), [{"values": arr, "mgr_locs": slice(0, 1, 1)}])
    g = tmp("arrow.pkl")
    with open(g, "wb") as fh:
        old.Pickler(fh, protocol=2).dump(fr)
    msg = jltest.sql_error(c, "CREATE VIRTUAL TABLE r2 USING joblib('%s')" % g)
    expect_eq(msg, "joblib: frame: column 's' (dtype string[pyarrow]): Arrow-backed values (class "
              "pandas.core.arrays.string_arrow.ArrowStringArray) are not read; raw values at "
              "$._data.__state__[3].\"0.14.1\".blocks[0].values (file '%s')" % g, "Arrow-backed")
    cls = c.execute("""SELECT joblib_load(?, '$._data.__state__[3]."0.14.1".blocks[0].values._dtype.storage')""",
                    (g,)).fetchone()[0]
    expect_eq(cls, "pyarrow", "the raw path reaches the values")



@case
def test_array_manager():
    """pandas 1.x's ArrayManager (mode.data_manager = 'array'): one 1-D
    array per column, pickled as (arrays, [index, columns])."""
    with pd.option_context("mode.data_manager", "array"):
        df = pd.DataFrame({"a": [1, 2, 3], "s": ["x", None, "z"], "m": pd.array([1, None, 3], dtype="Int64"),
                           "c": pd.Categorical(["u", "v", "u"]), "p": pd.period_range("2020", periods=3, freq="A")},
                          index=pd.Index(["r", "q", "w"], name="k"))
        ser = pd.Series([1.5, None], name="v")
    expect_eq(type(df._mgr).__name__, "ArrayManager", "made by the ArrayManager")
    f, t = check(df, "array_manager")
    expect_eq(table_of(t)[1][1], ("q", 2, None, None, "v", "2021"), "a row")
    expect_eq(type(ser._mgr).__name__, "SingleArrayManager", "a series too")
    check(ser, "array_manager_series")


@case
def test_archives():
    """What to_pickle's zip and tar hold is read only when it is one
    pickle: other archives keep their usual errors; zstd is named."""
    import io
    import tarfile
    import zipfile
    c = conn()
    df = pd.DataFrame({"a": [1, 2]})
    two = tmp("two.zip")
    with zipfile.ZipFile(two, "w") as z:
        z.writestr("a.pkl", df.to_json())
        z.writestr("b.pkl", "x")
    expect_eq(jltest.sql_error(c, "SELECT joblib_load(?)", two),
              "joblib: not a joblib bundle or pickle: it looks like a zip archive (file '%s')" % two,
              "a zip of two members")
    csv = tmp("one.zip")
    with zipfile.ZipFile(csv, "w") as z:
        z.writestr("runs.csv", "id,name\n1,a\n")
    expect_eq(jltest.sql_error(c, "SELECT joblib_load(?)", csv),
              "joblib: not a joblib bundle or pickle: it looks like a zip archive (file '%s')" % csv,
              "a zip of one CSV")
    tar = tmp("two.tar")
    with tarfile.open(tar, "w") as t:
        for name in ("a.pkl", "b.pkl"):
            data = pd.DataFrame({"a": [1]}).to_json().encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    expect_eq(jltest.sql_error(c, "SELECT joblib_load(?)", tar),
              "joblib: not a joblib bundle or pickle: it looks like a tar archive (file '%s')" % tar,
              "a tar of two members")
    # a tar holding a directory and the pickle (pax headers too) reads as the pickle
    one = tmp("dir.tar")
    with tarfile.open(one, "w", format=tarfile.PAX_FORMAT) as t:
        d = tarfile.TarInfo("d")
        d.type = tarfile.DIRTYPE
        t.addfile(d)
        data = __import__("pickle").dumps(df, protocol=4)
        info = tarfile.TarInfo("d/\u00e9t\u00e9.pkl")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    t = attach(one)
    expect_eq(table_of(t), (["index", "a"], [(0, 1), (1, 2)]), "a pax tar with a directory")
    zst = tmp("f.pkl.zst")
    with open(zst, "wb") as fh:
        fh.write(b"\x28\xb5\x2f\xfd" + bytes(20))
    expect_eq(jltest.sql_error(c, "SELECT joblib_load(?)", zst),
              "joblib: not a joblib bundle or pickle: it looks like a zstd-compressed file (file '%s')" % zst,
              "zstd is not read")


if __name__ == "__main__":
    jltest.run()
