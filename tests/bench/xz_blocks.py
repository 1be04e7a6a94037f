#!/usr/bin/env python3
"""Issue 14, xz Blocks: the last array of a multi-Block .xz bundle read as
the second statement on one connection (the first, joblib_info, leaves
the structure in the connection's cache; the second reads the array: from
the start of the stream without an index, from its Block with one).

  /usr/bin/python3 tests/bench/xz_blocks.py DIR MODULE [MODULE...]

DIR receives bundle.pkl (256 MiB: 32 float64 arrays of 8 MiB, normals
rounded to 3 decimals, real joblib.dump, uncompressed) and bundle.pkl.xz
(`xz -1 -T2 --block-size=4MiB`; preset 1 because the default 6 takes
most of an hour on a shared 2-core machine), made once. Each MODULE (a
joblib0.so, e.g. a Release build before and after) is loaded in a child
process per round; each statement's wall and CPU time (user+sys of the
process) is printed, and the second statement's length is checked
(the values are the tests' business: tests/interop/test_xz_blocks.py).
"""
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time

ARRAYS, ROWS = 32, 1 << 20  # 32 x 8 MiB
ROUNDS = 3
STATEMENTS = [
    ("joblib_info(f)", "SELECT length(joblib_info(?1))"),
    ("length(joblib_load(f, '$.a31'))", "SELECT length(joblib_load(?1, '$.a31'))"),
    ("joblib_load(f, '$.a00[5]')", "SELECT joblib_load(?1, '$.a00[5]')"),
]


def make(d):
    pkl, xz = os.path.join(d, "bundle.pkl"), os.path.join(d, "bundle.pkl.xz")
    if not os.path.exists(xz):
        import joblib
        import numpy as np
        rng = np.random.default_rng(14)
        obj = {"a%02d" % i: np.round(rng.standard_normal(ROWS), 3) for i in range(ARRAYS)}
        joblib.dump(obj, pkl)
        with open(pkl, "rb") as src, open(xz + ".tmp", "wb") as dst:
            subprocess.run(["xz", "-c", "-1", "-T2", "--block-size=4MiB"], stdin=src, stdout=dst, check=True)
        os.rename(xz + ".tmp", xz)
    return pkl, xz


def child(module, path):
    con = sqlite3.connect(":memory:")
    con.enable_load_extension(True)
    con.load_extension(module)
    out = []
    for name, sql in STATEMENTS:
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        value = con.execute(sql, (path,)).fetchone()[0]
        t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out.append({"statement": name, "wall": t1 - t0, "cpu": cpu, "value": value})
    print(json.dumps(out))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    d, modules = sys.argv[1], sys.argv[2:]
    os.makedirs(d, exist_ok=True)
    pkl, xz = make(d)
    blocks = subprocess.run(["xz", "--robot", "--list", xz], capture_output=True, text=True, check=True).stdout
    nblocks = next(line for line in blocks.splitlines() if line.startswith("file\t")).split("\t")[2]
    print("%s: %d bytes, %s Blocks; %s: %d bytes" % (xz, os.path.getsize(xz), nblocks, pkl, os.path.getsize(pkl)))
    want = ROWS * 8
    for module in modules:
        for r in range(ROUNDS):
            res = subprocess.run([sys.executable, __file__, "--child", module, xz], capture_output=True, text=True,
                                 check=True)
            rows = json.loads(res.stdout)
            if rows[1]["value"] != want:
                raise SystemExit("%s: $.a31 has %r bytes, want %d" % (module, rows[1]["value"], want))
            print("%s round %d: %s" % (module, r + 1, "; ".join(
                "%s %.3f s wall / %.3f s CPU" % (x["statement"], x["wall"], x["cpu"]) for x in rows)))


if __name__ == "__main__":
    main()
