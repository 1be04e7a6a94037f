#!/usr/bin/env python3
"""The cache of opened files across statements (README "The cache of opened
files"), observed through joblib_config('cache_stats'): a second statement
reading the same file takes the cached doc; a file rewritten in place (same
size, another mtime) or replaced by rename is read afresh; cache_bytes 0
turns it off; a small cache_bytes evicts the least recently used doc; docs
in use by a running statement are not freed; every reader goes through it.
Prints 'N passed, N failed'."""
import json
import os
import tempfile

import jltest
from jltest import case, expect, expect_eq, one, sql_error

jltest.preload()
np, joblib = jltest.require("numpy", "joblib")

TMP = tempfile.mkdtemp(prefix="jl_cache_")


def bundle(name, obj, **kw):
    path = os.path.join(TMP, name)
    joblib.dump(obj, path, **kw)
    return path


def stats(c):
    return json.loads(one(c, "SELECT joblib_config('cache_stats')"))


def fresh():
    c = jltest.connect()
    return c, stats(c)


def delta(c, before):
    now = stats(c)
    return {k: now[k] - before[k] for k in ("hits", "misses", "evictions", "stale")}


ZBIG = bundle("big.joblib", {"big": np.arange(1 << 18, dtype="<f8"), "small": 7, "name": "x",
                             "cols": {"a": np.arange(3), "b": np.ones(3)}}, compress=3)


@case
def second_statement_hits():
    c, s0 = fresh()
    expect_eq(one(c, "SELECT joblib_load(?, '$.small')", ZBIG), 7, "first")
    expect_eq(delta(c, s0), {"hits": 0, "misses": 1, "evictions": 0, "stale": 0}, "first statement opens")
    expect_eq(one(c, "SELECT joblib_load(?, '$.name')", ZBIG), "x", "second")
    expect_eq(delta(c, s0), {"hits": 1, "misses": 1, "evictions": 0, "stale": 0}, "second takes the cached doc")
    s = stats(c)
    expect(s["docs"] == 1 and s["bytes"] >= 2 << 20, "the inflated stream is counted: %r" % s)


@case
def every_reader_goes_through_it():
    c, s0 = fresh()
    one(c, "SELECT joblib_info(?)", ZBIG)
    expect_eq(one(c, "SELECT count(*) FROM joblib_tree(?)", ZBIG), 7, "joblib_tree rows")
    expect_eq(one(c, "SELECT count(*) FROM joblib_each(?)", ZBIG), 4, "joblib_each rows")
    expect(one(c, "SELECT joblib_show(?)", ZBIG).startswith("$: dict len=4"), "joblib_show")
    expect_eq(one(c, "SELECT joblib_json(?, '$.small')", ZBIG), "7", "joblib_json")
    expect_eq(len(one(c, "SELECT joblib_extract(?, '$.big')", ZBIG)) > 2 << 20, True, "joblib_extract")
    c.execute("CREATE VIRTUAL TABLE temp.t USING joblib('%s', '$.cols')" % ZBIG)
    expect_eq(one(c, "SELECT sum(a) + sum(b) FROM temp.t"), 6, "table rows")
    expect_eq(delta(c, s0), {"hits": 6, "misses": 1, "evictions": 0, "stale": 0}, "one open for all")


@case
def rewritten_same_size_is_read_again():
    f = os.path.join(TMP, "same.joblib")
    joblib.dump({"v": 7}, f, compress=3)
    size = os.path.getsize(f)
    c, s0 = fresh()
    expect_eq(one(c, "SELECT joblib_load(?, '$.v')", f), 7, "old content")
    st = os.stat(f)
    joblib.dump({"v": 8}, os.path.join(TMP, "tmp.joblib"), compress=3)
    with open(os.path.join(TMP, "tmp.joblib"), "rb") as src, open(f, "r+b") as dst:  # in place: same inode
        dst.write(src.read())
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1000))
    expect_eq(os.path.getsize(f), size, "same size")
    expect_eq(os.stat(f).st_ino, st.st_ino, "same inode")
    expect_eq(one(c, "SELECT joblib_load(?, '$.v')", f), 8, "new content")
    expect_eq(delta(c, s0), {"hits": 0, "misses": 2, "evictions": 0, "stale": 1}, "stale entry dropped")


@case
def replaced_by_rename_is_read_again():
    f = os.path.join(TMP, "renamed.joblib")
    joblib.dump({"v": [1, 2]}, f, compress="xz")
    c, s0 = fresh()
    expect_eq(one(c, "SELECT joblib_json(?, '$.v')", f), "[1,2]", "old content")
    new = os.path.join(TMP, "renamed.new")
    joblib.dump({"v": [3, 4]}, new, compress="xz")
    st = os.stat(f)
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the inode tells
    os.rename(new, f)
    expect_eq(one(c, "SELECT joblib_json(?, '$.v')", f), "[3,4]", "new content")
    expect_eq(one(c, "SELECT joblib_json(?, '$.v')", f), "[3,4]", "then cached")
    expect_eq(delta(c, s0), {"hits": 1, "misses": 2, "evictions": 0, "stale": 1}, "counts")


@case
def cache_bytes_zero_turns_it_off():
    c, s0 = fresh()
    expect_eq(one(c, "SELECT joblib_config('cache_bytes', 0)"), 0, "set")
    expect_eq(json.loads(one(c, "SELECT joblib_config()"))["cache_bytes"], 0, "joblib_config() shows it")
    for _ in range(3):
        expect_eq(one(c, "SELECT joblib_load(?, '$.small')", ZBIG), 7, "value")
    expect_eq(delta(c, s0), {"hits": 0, "misses": 3, "evictions": 0, "stale": 0}, "no hits")
    expect_eq((stats(c)["docs"], stats(c)["bytes"]), (0, 0), "nothing kept")


@case
def default_and_errors():
    c = jltest.connect()
    expect_eq(json.loads(one(c, "SELECT joblib_config()"))["cache_bytes"], 256 << 20, "default 256 MiB")
    expect_eq(sql_error(c, "SELECT joblib_config('cache_stats', 1)"),
              "joblib: joblib_config(): cache_stats cannot be set", "read only")
    expect_eq(sql_error(c, "SELECT joblib_config('cache_bytes', -1)"),
              "joblib: joblib_config(): argument 2 (value) must be a non-negative integer, not -1", "negative")


@case
def small_cache_evicts_least_recent():
    a = bundle("a.joblib", {"a": np.zeros(1 << 17)}, compress=3)  # 1 MiB inflated each
    b = bundle("b.joblib", {"b": np.ones(1 << 17)}, compress=3)
    c, s0 = fresh()
    c.execute("SELECT joblib_config('cache_bytes', 1536 * 1024)")  # room for one
    one(c, "SELECT joblib_info(?)", a)
    one(c, "SELECT joblib_info(?)", b)  # a goes
    one(c, "SELECT joblib_info(?)", b)  # hit
    one(c, "SELECT joblib_info(?)", a)  # miss again, b goes
    expect_eq(delta(c, s0), {"hits": 1, "misses": 3, "evictions": 2, "stale": 0}, "LRU")
    s = stats(c)
    expect(s["docs"] == 1 and 1 << 20 < s["bytes"] <= 1536 * 1024, "within cache_bytes: %r" % s)
    c.execute("SELECT joblib_config('cache_bytes', 1000)")  # larger than the budget: not kept
    one(c, "SELECT joblib_info(?)", b)
    expect_eq((stats(c)["docs"], stats(c)["bytes"]), (0, 0), "a doc larger than the cache is not kept")


@case
def docs_in_use_are_not_freed():
    c, s0 = fresh()
    # the cursor holds the doc while the cache is turned off under it
    rows = c.execute("SELECT key, joblib_config('cache_bytes', 0), joblib_load(?1, '$.small') "
                     "FROM joblib_each(?1)", (ZBIG,)).fetchall()
    expect_eq(rows, [("big", 0, 7), ("small", 0, 7), ("name", 0, 7), ("cols", 0, 7)], "rows")
    expect_eq((stats(c)["docs"], stats(c)["bytes"]), (0, 0), "freed once released")


@case
def two_cursors_on_one_file():
    f = bundle("pairs.joblib", {"a": [1, 2, 3], "b": [[4, 5], [6]]}, compress=3)
    c = jltest.connect()
    one(c, "SELECT joblib_info(?)", f)  # cached
    rows = c.execute("SELECT x.fullkey, y.fullkey FROM joblib_tree(?1) x, joblib_tree(?1) y "
                     "WHERE x.type = 'list' AND y.type = 'int' ORDER BY 1, 2", (f,)).fetchall()
    want = sorted((x, y) for x in ("$.a", "$.b", "$.b[0]", "$.b[1]")
                  for y in ("$.a[0]", "$.a[1]", "$.a[2]", "$.b[0][0]", "$.b[0][1]", "$.b[1][0]"))
    expect_eq(rows, want, "a cursor's marks do not disturb the other's")


@case
def new_limits_drop_cached_docs():
    c, s0 = fresh()
    one(c, "SELECT joblib_info(?)", ZBIG)
    c.execute("SELECT joblib_config('max_decompressed', 4096)")
    expect_eq(stats(c)["docs"], 0, "dropped")
    expect(sql_error(c, "SELECT joblib_info(?)", ZBIG).startswith("joblib: decompressed size exceeds"),
           "the new limit applies")


@case
def blob_sources_are_not_cached():
    with open(ZBIG, "rb") as fh:
        blob = fh.read()
    c, s0 = fresh()
    for _ in range(2):
        expect_eq(one(c, "SELECT joblib_load(?, '$.small')", blob), 7, "value")
    expect_eq(delta(c, s0), {"hits": 0, "misses": 0, "evictions": 0, "stale": 0}, "no lookups")
    expect_eq(stats(c)["docs"], 0, "none kept")


if __name__ == "__main__":
    jltest.run()
