#!/usr/bin/env python3
"""Well-known values inside objects (codec/tree/wellknown.c), dumped by real
joblib: pandas Timestamp / Timedelta / NaT / NA, datetime.datetime / date /
time / timedelta, decimal.Decimal and uuid.UUID come back as their natural
SQL values from joblib_load, as JSON in joblib_load of the whole list, in
joblib_tree's value column (with the class still in the `class` column) and
in a table attached over DataFrame.to_dict('list').

Exit 77 when pandas is missing. Run by ctest with JL_MODULE set; by hand:
/usr/bin/python3 test_wellknown_values.py (uses ../../build/joblib0.so).
"""
import datetime as dt
import decimal
import json
import sys
import uuid

import jltest
jltest.preload()

joblib, pd, pytz = jltest.require("joblib", "pandas", "pytz")

from jltest import case, expect_eq, one  # noqa: E402

U = uuid.UUID("12345678-9abc-def0-8123-456789abcdef")
# (value, SQL value, JSON value)
VALUES = [
    (pd.Timestamp("2020-01-02 03:04:05.123456789"), "2020-01-02T03:04:05.123456789", None),
    (pd.Timestamp("2020-01-02 01:00", tz="Europe/Paris"), "2020-01-02T00:00:00.000000000Z", None),
    (pd.Timestamp("2020-01-02", tz="UTC"), "2020-01-02T00:00:00.000000000Z", None),
    (pd.Timedelta("1 days 2 s"), 86402, None),
    (pd.Timedelta("1.5 s"), 1.5, None),
    (pd.NaT, None, None),
    (pd.NA, None, None),
    (dt.datetime(2020, 1, 2, 3, 4, 5, 6), "2020-01-02T03:04:05.000006", None),
    (dt.datetime(2020, 1, 2, 3, 4, 5), "2020-01-02T03:04:05", None),
    (dt.datetime(2020, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2019-12-31T23:00:00Z", None),
    (dt.datetime(2020, 1, 2, tzinfo=dt.timezone.utc), "2020-01-02T00:00:00Z", None),
    (dt.datetime(2020, 1, 2, tzinfo=pytz.utc), "2020-01-02T00:00:00Z", None),
    (dt.date(2020, 1, 2), "2020-01-02", None),
    (dt.time(3, 4, 5), "03:04:05", None),
    (dt.time(3, 4, 5, 250000), "03:04:05.250000", None),
    (dt.timedelta(days=1, seconds=2, microseconds=3), 86402.000003, None),
    (dt.timedelta(days=-1), -86400, None),
    (decimal.Decimal("1.10"), "1.10", None),
    (decimal.Decimal("12345678901234567890.123456789"), "12345678901234567890.123456789", None),
    (decimal.Decimal("NaN"), None, None),
    (uuid.UUID(int=5), "00000000-0000-0000-0000-000000000005", None),
    (U, str(U), None),
]

CONN = None


def conn():
    global CONN
    if CONN is None:
        CONN = jltest.connect()
    return CONN


def tmp(name):
    return jltest.TempDir.path(name)


@case
def test_sql_values():
    c = conn()
    f = tmp("values.pkl")
    joblib.dump([v for v, _, _ in VALUES], f)
    for k, (v, want, _) in enumerate(VALUES):
        expect_eq(one(c, "SELECT joblib_load(?, ?)", f, "$[%d]" % k), want, "joblib_load of %r" % (v,))
    got = json.loads(one(c, "SELECT joblib_load(?)", f))
    expect_eq(got, [w for _, w, _ in VALUES], "the JSON of the list")
    rows = c.execute("SELECT value, class FROM joblib_each(?) ORDER BY key", (f,)).fetchall()
    expect_eq([r[0] for r in rows], [w for _, w, _ in VALUES], "joblib_each values")
    expect_eq(rows[7][1], "datetime.datetime", "joblib_each keeps the class")
    expect_eq(rows[17][1], "decimal.Decimal", "joblib_each keeps the class of a Decimal")
    rows = c.execute("SELECT value, class FROM joblib_tree(?) WHERE parent = 0 ORDER BY key", (f,)).fetchall()
    expect_eq([r[0] for r in rows], [w for _, w, _ in VALUES], "joblib_tree values")
    expect_eq(rows[20][1], "uuid.UUID", "joblib_tree keeps the class")


@case
def test_in_to_dict_list():
    c = conn()
    df = pd.DataFrame({
        "when": [dt.datetime(2020, 1, 2, 3, 4, 5), dt.datetime(2021, 6, 7)],
        "day": [dt.date(2020, 1, 2), None],
        "amount": [decimal.Decimal("1.10"), decimal.Decimal("2")],
        "id": [uuid.UUID(int=1), uuid.UUID(int=2)],
        "ts": [pd.Timestamp("2020-01-02"), pd.NaT],
    }, dtype=object)
    f = tmp("dict_list.pkl")
    joblib.dump(df.to_dict("list"), f)
    c.execute("DROP TABLE IF EXISTS wk")
    c.execute("CREATE VIRTUAL TABLE wk USING joblib('%s')" % f.replace("'", "''"))
    expect_eq(c.execute("SELECT * FROM wk").fetchall(), [
        ("2020-01-02T03:04:05", "2020-01-02", "1.10", "00000000-0000-0000-0000-000000000001",
         "2020-01-02T00:00:00.000000000"),
        ("2021-06-07T00:00:00", None, "2", "00000000-0000-0000-0000-000000000002", None),
    ], "table rows")
    expect_eq(json.loads(one(c, "SELECT joblib_load(?, '$.when')", f)),
              ["2020-01-02T03:04:05", "2021-06-07T00:00:00"], "a list in JSON")
    c.execute("DROP TABLE wk")


if __name__ == "__main__":
    jltest.run()
