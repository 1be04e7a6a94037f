#!/usr/bin/env python3
"""joblib_export(q, f, NULL, 'dataframe') of a 1,000,000-row mixed table:
joblib.load of the file equals pandas.read_sql(q, con)
(pandas.testing.assert_frame_equal: values, dtypes, index, names).

The table (made by a recursive CTE, so the test spends its time on the
export and the comparison) has every column kind the export maps:
INTEGER (int64), INTEGER with NULLs (float64), REAL, REAL with NULLs,
TEXT with NULLs and non-ASCII text (object), BLOB (object of bytes),
a mixed column (object: ints, reals, text), and a column of only NULLs
(object of None). Also the same query through gzip, and a 100,000-row
slice with a WHERE. Timing is the benchmark's job (tests/bench, exdf.*);
this checks equality at full size.

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set.
"""
import os
import time

import jltest
jltest.preload()

joblib, pd = jltest.require("joblib", "pandas")

from jltest import case, expect, expect_eq  # noqa: E402

N = 1000000

TABLE = """
CREATE TABLE big(id INTEGER, n INTEGER, x REAL, y REAL, city TEXT, raw BLOB, mixed, empty);
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < %d)
INSERT INTO big
SELECT i,
       CASE WHEN i %% 7 = 3 THEN NULL ELSE i * 3 - 1000000 END,
       i * 0.25 - 17.5,
       CASE WHEN i %% 11 = 5 THEN NULL ELSE 1.0 / (i + 1) END,
       CASE i %% 5 WHEN 0 THEN 'north' WHEN 1 THEN 'south' WHEN 2 THEN NULL WHEN 3 THEN 'zürich'
                   ELSE 'east-' || (i %% 13) END,
       CASE WHEN i %% 97 = 0 THEN NULL ELSE CAST(x'00ff' || char(65 + i %% 26) AS BLOB) END,
       CASE i %% 4 WHEN 0 THEN i WHEN 1 THEN i * 0.5 WHEN 2 THEN 'v' || i ELSE NULL END,
       NULL
FROM k;
""" % (N - 1)


@case
def test_million_rows():
    con = jltest.connect()
    t0 = time.time()
    con.executescript(TABLE)
    expect_eq(con.execute("SELECT count(*) FROM big").fetchone()[0], N, "rows made")
    d = jltest.TempDir.path()
    q = "SELECT * FROM big"
    f = os.path.join(d, "big_df.pkl")
    con.execute("SELECT joblib_export(?, ?, NULL, 'dataframe')", (q, f)).fetchone()
    t1 = time.time()
    df = joblib.load(f)
    ref = pd.read_sql(q, con)
    pd.testing.assert_frame_equal(df, ref)
    expect_eq({c: str(t) for c, t in df.dtypes.items()},
              {"id": "int64", "n": "float64", "x": "float64", "y": "float64", "city": "object", "raw": "object",
               "mixed": "object", "empty": "object"}, "dtypes as read_sql gives them")
    expect_eq((df.shape, df["raw"].iloc[1], df["mixed"].iloc[2], df["n"].isna().sum()),
              ((N, 8), b"\x00\xffB", "v2", len(range(3, N, 7))), "some cells")
    t2 = time.time()
    g = os.path.join(d, "big_df.pkl.gz")
    q2 = "SELECT id, x, city FROM big WHERE id % 10 = 0"
    con.execute("SELECT joblib_export(?, ?, 'gzip', 'dataframe')", (q2, g)).fetchone()
    pd.testing.assert_frame_equal(joblib.load(g), pd.read_sql(q2, con))
    expect(len(joblib.load(g)) == N // 10, "the 100,000-row slice")
    print("made + exported %.1f s, loaded + compared %.1f s, slice %.1f s" % (t1 - t0, t2 - t1, time.time() - t2))


if __name__ == "__main__":
    jltest.run()
