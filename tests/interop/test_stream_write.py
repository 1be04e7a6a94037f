#!/usr/bin/env python3
"""Compressed writes stream the pickle into the compressor (README "Writing
compressed bundles"): the peak RSS (VmHWM) a compressed joblib_dump or
joblib_export adds over the same write uncompressed (which was already
streamed to its file) stays within the compressor's buffers, far below the
uncompressed stream the old writer built whole; and what they write is
what joblib.load reads back. Each measure runs in a fresh child process.
Prints 'N passed, N failed'."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

import jltest
from jltest import case, expect, expect_eq

jltest.preload()
np, joblib = jltest.require("numpy", "joblib")

TMP = tempfile.mkdtemp(prefix="jl_stream_write_")
MiB = 1 << 20
ARRAY_MIB = 96
ROWS = 1_500_000
BUFFERS = 32 * MiB  # what compressing may add: the parts, a block per thread, the output

CHILD = r"""
import json, sqlite3, sys
import numpy as np
lib, what, tmp, mib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            return int(line.split()[1]) * 1024
c = sqlite3.connect(tmp + '/t.db')
c.enable_load_extension(True)
c.load_extension(lib)
if what.startswith('dump'):
    a = np.round(np.random.default_rng(1).standard_normal((mib << 20) // 8), 3)
    b = memoryview(a).cast('B')
open('/proc/self/clear_refs', 'w').write('5')
base = hwm()
if what == 'dump0':
    c.execute("SELECT joblib_dump(joblib_ndarray(?, '<f8'), ?, 0)", (b, tmp + '/a.pkl')).fetchall()
elif what == 'dump3':
    c.execute("SELECT joblib_dump(joblib_ndarray(?, '<f8'), ?, 3)", (b, tmp + '/a.pkl.z')).fetchall()
elif what == 'export0':
    c.execute("SELECT joblib_export('SELECT * FROM t', ?)", (tmp + '/e.pkl',)).fetchall()
elif what == 'export3':
    c.execute("SELECT joblib_export('SELECT * FROM t', ?, 3)", (tmp + '/e.pkl.z',)).fetchall()
print(json.dumps(hwm() - base))
"""


def rise(what):
    p = subprocess.run([sys.executable, "-c", CHILD, jltest.MODULE, what, TMP, str(ARRAY_MIB)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("%s failed: %s" % (what, p.stderr[-2000:]))
    return json.loads(p.stdout)


def memory_case(fn):
    def run():
        if os.environ.get("JL_PRELOAD"):
            raise jltest.Skip("RSS under ASan says nothing of the writer's buffers")
        fn()
    return case(run, fn.__name__)


@memory_case
def compressed_dump_holds_no_stream():
    plain, packed = rise("dump0"), rise("dump3")
    expect(packed - plain <= BUFFERS,
           "compress=3 adds %.1f MiB over the uncompressed dump (stream: %d MiB)"
           % ((packed - plain) / MiB, ARRAY_MIB))
    a = np.round(np.random.default_rng(1).standard_normal((ARRAY_MIB << 20) // 8), 3)
    expect(np.array_equal(joblib.load(os.path.join(TMP, "a.pkl.z")), a), "joblib reads it back")
    expect(np.array_equal(joblib.load(os.path.join(TMP, "a.pkl")), a), "and the uncompressed one")


@memory_case
def compressed_export_holds_no_stream():
    c = sqlite3.connect(os.path.join(TMP, "t.db"))
    c.execute("CREATE TABLE IF NOT EXISTS t(a INTEGER, b REAL, c REAL, d TEXT, e INTEGER)")
    c.execute("DELETE FROM t")
    c.execute("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d) "
              "INSERT INTO t SELECT i, i * 0.5, (i * 7919 %% 10007) * 0.001, 'name' || (i %% 1000), i %% 7 FROM s"
              % (ROWS - 1))
    c.commit()
    c.close()
    plain, packed = rise("export0"), rise("export3")
    stream = os.path.getsize(os.path.join(TMP, "e.pkl"))
    expect(packed - plain <= BUFFERS,
           "compress=3 adds %.1f MiB over the uncompressed export (stream: %.1f MiB)"
           % ((packed - plain) / MiB, stream / MiB))
    got = joblib.load(os.path.join(TMP, "e.pkl.z"))
    expect_eq(sorted(got), ["a", "b", "c", "d", "e"], "columns")
    expect_eq((len(got["a"]), int(got["a"][-1]), float(got["b"][1]), float(got["c"][1]), got["d"][1001],
               int(got["e"][9])), (ROWS, ROWS - 1, 0.5, 7919 * 0.001, "name1", 2), "values")


if __name__ == "__main__":
    jltest.run()
