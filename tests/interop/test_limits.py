#!/usr/bin/env python3
"""Limit and memory errors (README "Limits"): a request past max_alloc or
max_decompressed is a joblib: error naming the size, the limit and the
joblib_config knob to raise, with the file and path; an allocation the
process cannot get (RLIMIT_AS in a child process) is a joblib: error naming
the size asked, never a bare SQLITE_NOMEM (Python's MemoryError).
Prints 'N passed, N failed'."""
import json
import os
import subprocess
import sys
import tempfile

import jltest
from jltest import case, expect, expect_eq, sql_error

jltest.preload()
np, joblib = jltest.require("numpy", "joblib")

TMP = tempfile.mkdtemp(prefix="jl_limits_")


def bundle(name, obj, **kw):
    path = os.path.join(TMP, name)
    joblib.dump(obj, path, **kw)
    return path


BIG = {"big": np.arange(1 << 17, dtype="<f8"), "small": 7}  # 1 MiB of array data
PLAIN = bundle("plain.joblib", BIG)
ZLIB = bundle("zlib.joblib", BIG, compress=3)


@case
def array_past_max_alloc():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_alloc', 1000000)")
    for f in (PLAIN, ZLIB):
        expect_eq(sql_error(c, "SELECT joblib_load(?, '$.big')", f),
                  "joblib: the array needs 1 MiB, more than max_alloc (976.6 KiB): raise it with "
                  "joblib_config('max_alloc', N) (file '%s', path $.big)" % f, "array > max_alloc")
        expect_eq(jltest.one(c, "SELECT joblib_load(?, '$.small')", f), 7, "the rest still reads")
    c.execute("SELECT joblib_config('max_alloc', 1 << 20)")
    expect_eq(jltest.one(c, "SELECT length(joblib_load(?, '$.big'))", PLAIN), 1 << 20, "exactly max_alloc")


@case
def json_past_max_alloc():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_alloc', 1000)")
    expect_eq(sql_error(c, "SELECT joblib_json(?, '$.big')", PLAIN),
              "joblib: the JSON text is longer than max_alloc (1000 bytes): raise it with "
              "joblib_config('max_alloc', N) (file '%s', path $.big)" % PLAIN, "joblib_json > max_alloc")


@case
def stream_past_max_decompressed():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_decompressed', 4096)")
    for q in ("SELECT joblib_load(?, '$.big')", "SELECT joblib_info(?)"):
        msg = sql_error(c, q, ZLIB)
        expect(msg.startswith("joblib: ") and msg.endswith(
            ": raise it with joblib_config('max_decompressed', N) (file '%s')" % ZLIB), "%s: %r" % (q, msg))
        expect("4096" in msg, "names the limit: %r" % msg)


@case
def nodes_past_max_nodes():
    c = jltest.connect()
    c.execute("SELECT joblib_config('max_nodes', 10)")
    msg = sql_error(c, "SELECT joblib_load(?)", bundle("nodes.joblib", list(range(100))))
    expect(msg.startswith("joblib: more than max_nodes (10) values")
           and ": raise it with joblib_config('max_nodes', N)" in msg, repr(msg))


# ---- allocations the process cannot get -----------------------------------

CHILD = r"""
import json, resource, sqlite3, sys
c = sqlite3.connect(':memory:')
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
vm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmSize')][0] * 1024
room = int(sys.argv[2]) << 20
resource.setrlimit(resource.RLIMIT_AS, (vm + room, vm + room))
out = []
for q in sys.argv[3:]:
    try:
        out.append(['ok', c.execute(q).fetchall()])
    except Exception as e:
        out.append([type(e).__name__, str(e)])
print(json.dumps(out))
"""


def in_child(room_mib, *queries):
    """Runs queries in a python child whose address space may grow by
    room_mib MiB past what it uses once the extension is loaded."""
    p = subprocess.run([sys.executable, "-c", CHILD, jltest.MODULE, str(room_mib)] + list(queries),
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("child failed: %s" % p.stderr[-2000:])
    return json.loads(p.stdout)


def rlimit_case(fn):
    def run():
        if os.environ.get("JL_PRELOAD"):
            raise jltest.Skip("ASan reserves more address space than RLIMIT_AS leaves")
        fn()
    return case(run, fn.__name__)


@rlimit_case
def failed_allocation_names_the_size():
    # a Fortran-order matrix is converted to C order in a buffer of its size:
    # 128 MiB that the child cannot get once the file (128 MiB) is mapped
    a = np.asfortranarray(np.ones((4096, 4096), dtype="<f8"))
    f = bundle("fortran.joblib", {"big": a, "small": 3})
    del a
    got = in_child(200, "SELECT length(joblib_load('%s', '$.big'))" % f,
                   "SELECT joblib_load('%s', '$.small')" % f)
    expect_eq(got[0], ["OperationalError",
                       "joblib: out of memory converting 134217728 array bytes: a request for 128 MiB "
                       "failed (file '%s', path $.big)" % f], "conversion buffer refused")
    expect_eq(got[1], ["ok", [[3]]], "the connection goes on")


@rlimit_case
def compressed_array_past_address_space():
    f = bundle("zeros.joblib", {"big": np.zeros(256 << 20, dtype="u1"), "small": 3}, compress=3)
    got = in_child(100, "SELECT length(joblib_load('%s', '$.big'))" % f)
    kind, msg = got[0]
    # the array is inflated when read (compressed streams keep big payloads
    # in the stream): the refused allocation is named with its size
    expect(kind == "OperationalError" and msg.startswith("joblib: ") and str(256 << 20) in msg
           and msg.endswith("(file '%s', path $.big)" % f), "no bare MemoryError: %r" % got[0])


if __name__ == "__main__":
    jltest.run()
