#!/usr/bin/python3
"""Benchmark harness: each SQL query of the extension beside the Python code
a joblib user would write for the same answer, in one run on one machine.

Not a test: it gates nothing. `--tiny` runs everything once on tiny sizes
(CI, ctest `bench.tiny`) to prove the harness and the SQL surface work; it
fails only when a case errors or gives a wrong answer, never on a target.

    /usr/bin/python3 tests/bench/bench.py --lib build-bench/joblib0.so
    /usr/bin/python3 tests/bench/bench.py --tiny --lib build/joblib0.so --out /tmp/b.md
    scripts/bench [--tiny]            (builds Release build-bench/ and runs this)

What is measured, per case:
  in-process     a worker process does the setup (imports, connection,
                 .load) once, then runs the case `repeat` times after one
                 warm-up run; each run is timed alone. Peak memory is the
                 rise of the worker's peak RSS during the run (VmHWM after
                 /proc/self/clear_refs, so it includes mapped file pages)
                 and the rise of its anonymous RSS sampled by this process
                 every 2 ms (memory the run allocated, without file pages).
  whole-process  the command (sqlite3 shell, python3 -c, cat) is started
                 `repeat` times after one warm-up; wall time from fork to
                 exit and the child's peak RSS (ru_maxrss).
Timings are medians with min-max; ratios are medians of the reference over
medians of the SQL case (above 1 = SQL is faster). Workloads are made by
workloads.py with real joblib and kept between runs.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20

# ---------------------------------------------------------------------------
# worker: runs one in-process case, talks to the parent over a pipe
# ---------------------------------------------------------------------------


def _status(field):
    """A field of /proc/self/status in bytes (kB in the file)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _clear_peak():
    """Resets VmHWM to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker_main():
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints of the case go to stderr, not the protocol

    def send(**kw):
        proto.write(json.dumps(kw) + "\n")

    spec = json.loads(sys.stdin.readline())
    g = {"__name__": "__bench__", "P": spec["paths"], "LIB": spec["lib"], "OUT": spec["out"]}
    try:
        exec(PRELUDE, g)
        exec(spec["setup"], g)
    except Exception as e:  # reported, the case is marked failed
        send(ev="error", where="setup", msg="%s: %s" % (type(e).__name__, e))
        return 1
    send(ev="ready")
    code = compile(spec["run"], "<run>", "exec")
    after = compile(spec.get("after") or "pass", "<after>", "exec")
    runs = spec["warmup"] + spec["repeat"]
    batch = 1  # runs of the code per timed run: sub-millisecond cases are timed over a batch
    i = 0
    while i < runs:
        gc.collect()
        can_peak = _clear_peak()
        rss0 = _status("VmRSS")
        send(ev="begin", i=i)
        sys.stdin.readline()  # the parent's sampler is running
        try:
            c0 = time.process_time()
            t0 = time.perf_counter()
            for _ in range(batch):
                exec(code, g)
            t1 = time.perf_counter()
            c1 = time.process_time()
        except Exception as e:
            send(ev="error", where="run", msg="%s: %s" % (type(e).__name__, e))
            return 1
        hwm = _status("VmHWM") if can_peak else 0
        send(ev="end", i=i, t=(t1 - t0) / batch, cpu=(c1 - c0) / batch, batch=batch,
             peak=max(0, hwm - rss0) if can_peak else None)
        sys.stdin.readline()  # the parent took its last sample while the result is alive
        g.pop("r", None)
        exec(after, g)
        # a slow case runs fewer times; a fast one in batches of >= 20 ms
        if i == 0 and t1 - t0 > spec["slow_s"]:
            runs = min(runs, spec["warmup"] + spec["slow_repeat"])
        if i == 0 and spec["warmup"] and t1 - t0 < 0.005:
            batch = int(min(1000, max(1, 0.02 / max(t1 - t0, 1e-6))))
        i += 1
    info = None
    if spec.get("check"):
        try:
            exec(spec["check"], g)
            info = g.get("info")
        except Exception as e:
            send(ev="error", where="check", msg="%s: %s" % (type(e).__name__, e))
            return 1
    send(ev="done", info=info)
    return 0


# Names every in-process case can use.
PRELUDE = r"""
import os, sys, json, zlib, gzip, sqlite3
import numpy as np
import joblib

def connect(db=":memory:", cache=False):
    # the cases measure a cold open unless they say cache=True: the cache
    # across statements (issue 14) would otherwise answer every timed run
    # after the warm-up; a build without cache_bytes has nothing to turn off
    con = sqlite3.connect(db)
    con.enable_load_extension(True)
    con.load_extension(LIB)
    con.enable_load_extension(False)
    if not cache:
        try:
            con.execute("SELECT joblib_config('cache_bytes', 0)")
        except sqlite3.Error:
            pass
    return con

def one(con, sql, *args):
    return con.execute(sql, args).fetchone()[0]

def count_nodes(o):
    n = 1
    if isinstance(o, dict):
        for v in o.values():
            n += count_nodes(v)
    elif isinstance(o, (list, tuple)):
        for v in o:
            n += count_nodes(v)
    return n

def rm(*paths):
    for p in paths:
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
"""

# ---------------------------------------------------------------------------
# parent: runs cases
# ---------------------------------------------------------------------------


class AnonSampler:
    """Samples RssAnon of a process every `period` seconds in a thread."""

    def __init__(self, pid, period=0.002):
        self.path = "/proc/%d/status" % pid
        self.period = period
        self.stop = threading.Event()
        self.peak = 0
        self.base = self.read()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def read(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return 0
        m = re.search(rb"RssAnon:\s+(\d+)", data)
        return int(m.group(1)) * 1024 if m else 0

    def loop(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.read())
            self.stop.wait(self.period)

    def finish(self):
        self.peak = max(self.peak, self.read())
        self.stop.set()
        self.thread.join()
        return max(0, self.peak - self.base)


def child_env(extra=None):
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_inprocess(case, ctx):
    spec = {
        "paths": ctx.paths, "lib": case.get("lib"), "out": ctx.out_dir,
        "setup": case.get("setup", ""), "run": case["run"], "after": case.get("after"),
        "check": case.get("check"), "warmup": case.get("warmup", ctx.warmup),
        "repeat": ctx.repeat, "slow_repeat": ctx.slow_repeat, "slow_s": ctx.slow_s,
    }
    p = subprocess.Popen([ctx.python, os.path.abspath(__file__), "--worker"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env=child_env(case.get("env")), cwd=ctx.out_dir)
    p.stdin.write(json.dumps(spec) + "\n")
    p.stdin.flush()
    res = {"times": [], "cpu": [], "peaks": [], "anon": [], "info": None, "error": None}
    warm = spec["warmup"]
    sampler = None
    try:
        for line in p.stdout:
            ev = json.loads(line)
            kind = ev["ev"]
            if kind == "begin":
                sampler = AnonSampler(p.pid)
                p.stdin.write("go\n")
                p.stdin.flush()
            elif kind == "end":
                anon = sampler.finish()
                sampler = None
                if ev["i"] >= warm:
                    res["times"].append(ev["t"])
                    res["cpu"].append(ev["cpu"])
                    res["batch"] = ev.get("batch", 1)
                    res["peaks"].append(ev["peak"])
                    res["anon"].append(anon)
                p.stdin.write("ok\n")
                p.stdin.flush()
            elif kind == "error":
                res["error"] = "%s: %s" % (ev["where"], ev["msg"])
            elif kind == "done":
                res["info"] = ev.get("info")
    finally:
        if sampler:
            sampler.finish()
        p.stdin.close()
        rc = p.wait()
    if rc and not res["error"]:
        res["error"] = "worker exited with %d" % rc
    return res


# ru_maxrss of a child counts the RSS of the process that forked it (Linux
# carries the old mm's high-water mark across exec), so a command started
# from this Python process would show at least this process's RSS. A tiny
# C launcher forks the command from a ~1 MiB image and reports its peak.
RUNMAX_C = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 3) return 125;
    pid_t pid = fork();
    if (pid < 0) return 126;
    if (pid == 0) { execvp(argv[2], argv + 2); _exit(127); }
    int st; struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) return 126;
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%ld %.6f\n", ru.ru_maxrss,
                ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
"""


def runmax_path(ctx):
    """Builds the launcher once into the data directory; None without a C compiler."""
    import hashlib
    tag = hashlib.sha1(RUNMAX_C.encode()).hexdigest()[:8]
    exe = os.path.join(ctx.data_dir, "runmax-" + tag)
    if os.path.exists(exe):
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    src = exe + ".c"
    with open(src, "w") as f:
        f.write(RUNMAX_C)
    r = subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True)
    return exe if r.returncode == 0 else None


def inflate_alone_path(ctx):
    """Builds tests/bench/inflate_alone.c (inflate a zlib/gzip file alone
    with ISA-L or zlib) once into the data directory, with ISA-L when its
    headers are there; None without a C compiler."""
    import hashlib
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inflate_alone.c")
    with open(src, "rb") as f:
        tag = hashlib.sha1(f.read()).hexdigest()[:8]
    exe = os.path.join(ctx.data_dir, "inflate_alone-" + tag)
    if os.path.exists(exe):
        return exe
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    for extra in (["-lisal", "-lz"], ["-DNO_ISAL", "-lz"]):
        r = subprocess.run([cc, "-O2", "-o", exe, src] + extra, capture_output=True)
        if r.returncode == 0:
            return exe
    return None


def run_whole_cmd(cmd, ctx, env=None):
    """(exit code, seconds, CPU seconds, peak RSS bytes, stdout, stderr); CPU
    and peak are None without the launcher."""
    launcher = runmax_path(ctx)
    rss_file = os.path.join(ctx.out_dir, ".maxrss")
    full = [launcher, rss_file] + cmd if launcher else cmd
    t0 = time.perf_counter()
    p = subprocess.run(full, stdin=subprocess.DEVNULL, capture_output=True, env=child_env(env),
                       cwd=ctx.out_dir)
    t1 = time.perf_counter()
    peak = cpu = None
    if launcher:
        try:
            with open(rss_file) as f:
                kb, cpu = f.read().split()
            peak, cpu = int(kb) * 1024, float(cpu)
            os.unlink(rss_file)
        except (OSError, ValueError):
            pass
    return (p.returncode, t1 - t0, cpu, peak, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


def run_whole(case, ctx):
    res = {"times": [], "cpu": [], "peaks": [], "anon": [], "info": None, "error": None}
    warm = case.get("warmup", ctx.warmup)
    n = warm + ctx.repeat
    i = 0
    while i < n:
        for f in case.get("remove", ()):
            if os.path.exists(f):
                os.unlink(f)
        rc, t, cpu, peak, out, err = run_whole_cmd(case["cmd"], ctx, case.get("env"))
        if rc != 0:
            res["error"] = "exit %d: %s" % (rc, err.strip()[-400:])
            return res
        if i >= warm:
            res["times"].append(t)
            res["cpu"].append(cpu)
            res["peaks"].append(peak)
            res["anon"].append(None)
        if i == 0 and t > ctx.slow_s:
            n = min(n, warm + ctx.slow_repeat)
        res["info"] = out.strip()
        i += 1
    return res


# ---------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------


def sql_lit(s):
    return "'" + s.replace("'", "''") + "'"


def build_cases(ctx):
    """Every case: id, group, label, side (sql / python / baseline), where
    (in / whole), the code or command, and for in-process cases a check that
    the answer is right. SQL cases are made once per --lib when `per_lib`."""
    P = ctx.paths
    N = ctx.sizes["array_mib"] * MiB
    cases = []

    def add(**c):
        cases.append(c)

    def add_sql(per_lib=False, **c):
        libs = ctx.libs.items() if per_lib else [next(iter(ctx.libs.items()))]
        for name, path in libs:
            d = dict(c)
            d["lib"] = path
            if per_lib and len(ctx.libs) > 1:
                d["id"] = c["id"] + "@" + name
                d["label"] = c["label"] + " [" + name + "]"
            d["libname"] = name
            cases.append(d)

    def shell(db, sql, lib):
        return [ctx.sqlite3, db, "-cmd", ".load " + lib, sql]

    # -- uncompressed array --------------------------------------------------
    g = "array"
    add(id="load.py", group=g, side="python", where="in", size=N,
        label="joblib.load(arr.pkl)",
        run="r = joblib.load(P['arr.pkl'])")
    add_sql(id="load.sql", group=g, side="sql", where="in", size=N,
            label="Python sqlite3: SELECT joblib_load(path) -> bytes",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_load(?)', P['arr.pkl'])",
            check="a = joblib.load(P['arr.pkl']); assert one(con, 'SELECT joblib_load(?)', P['arr.pkl']) == a.tobytes()")
    add_sql(id="load.sqllen", group=g, side="sql", where="in", size=N,
            label="Python sqlite3: SELECT length(joblib_load(path)) (no bytes object)",
            setup="con = connect()",
            run="r = one(con, 'SELECT length(joblib_load(?))', P['arr.pkl'])",
            check="assert one(con, 'SELECT length(joblib_load(?))', P['arr.pkl']) == %d" % N)
    thp = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
    add(id="load.pythp", group=g, side="python", where="in", size=N, env=thp,
        label="joblib.load(arr.pkl), GLIBC_TUNABLES=glibc.malloc.hugetlb=1",
        run="r = joblib.load(P['arr.pkl'])")
    add_sql(id="load.sqlthp", group=g, side="sql", where="in", size=N, env=thp,
            label="Python sqlite3: SELECT joblib_load(path) -> bytes, GLIBC_TUNABLES=glibc.malloc.hugetlb=1",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_load(?)', P['arr.pkl'])")
    add(id="load.read", group=g, side="baseline", where="in", size=N,
        label="baseline: open(arr.pkl).read() (fresh bytes)",
        run="with open(P['arr.pkl'], 'rb') as f: r = f.read()")
    add(id="load.bytes", group=g, side="baseline", where="in", size=N,
        label="baseline: bytes(buf) copy into fresh memory (what Python's sqlite3 does to a BLOB)",
        setup="buf = bytearray(%d); buf[::4096] = b'x' * len(buf[::4096])" % N,
        run="r = bytes(buf)")
    add(id="load.cat", group=g, side="baseline", where="whole", size=N,
        label="baseline: cat arr.pkl > /dev/null",
        cmd=["sh", "-c", "cat \"$0\" > /dev/null", P["arr.pkl"]])
    add(id="load.pyw", group=g, side="python", where="whole", size=N,
        label="python3 -c 'joblib.load(arr.pkl)'",
        cmd=[ctx.python, "-c", "import sys, joblib; joblib.load(sys.argv[1])", P["arr.pkl"]])
    add_sql(id="load.shell", group=g, side="sql", where="whole", size=N,
            label="sqlite3 shell: SELECT length(joblib_load(path))",
            cmd=None, shell_sql="SELECT length(joblib_load(%s))" % sql_lit(P["arr.pkl"]),
            expect=str(N))

    # -- compressed array ----------------------------------------------------
    for ext, name, wbits in ((".z", "zlib", 15), (".gz", "gzip", 31)):
        g = "array-" + name
        f = "arr.pkl" + ext
        add(id="%s.py" % name, group=g, side="python", where="in", size=N,
            label="joblib.load(%s)" % f, run="r = joblib.load(P[%r])" % f)
        add_sql(per_lib=True, id="%s.sql" % name, group=g, side="sql", where="in", size=N,
                label="Python sqlite3: SELECT joblib_load(%s) -> bytes" % f,
                setup="con = connect()",
                run="r = one(con, 'SELECT joblib_load(?)', P[%r])" % f,
                check="assert one(con, 'SELECT joblib_load(?)', P[%r]) == joblib.load(P['arr.pkl']).tobytes()" % f)
        add_sql(per_lib=True, id="%s.sqllen" % name, group=g, side="sql", where="in", size=N,
                label="Python sqlite3: SELECT length(joblib_load(%s))" % f,
                setup="con = connect()",
                run="r = one(con, 'SELECT length(joblib_load(?))', P[%r])" % f)
        add(id="%s.inflate" % name, group=g, side="baseline", where="in", size=N,
            label="baseline: Python zlib.decompress(file bytes, wbits=%d)" % wbits,
            setup="data = open(P[%r], 'rb').read()" % f,
            run="r = zlib.decompress(data, %d)" % wbits)
        add(id="%s.pyw" % name, group=g, side="python", where="whole", size=N,
            label="python3 -c 'joblib.load(%s)'" % f,
            cmd=[ctx.python, "-c", "import sys, joblib; joblib.load(sys.argv[1])", P[f]])
        add_sql(per_lib=True, id="%s.shell" % name, group=g, side="sql", where="whole", size=N,
                label="sqlite3 shell: SELECT length(joblib_load(%s))" % f,
                shell_sql="SELECT length(joblib_load(%s))" % sql_lit(P[f]), expect=str(N))

    # -- which arrays a bundle holds --------------------------------------------
    g = "info"
    add_sql(id="info.sql", group=g, side="sql", where="in",
            label="Python sqlite3: SELECT joblib_info(arr.pkl)",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_info(?)', P['arr.pkl'])",
            check="j = json.loads(one(con, 'SELECT joblib_info(?)', P['arr.pkl'])); "
                  "assert j['arrays'][0]['nbytes'] == %d, j; info = j['arrays'][0]" % N)
    add_sql(id="info.sqlz", group=g, side="sql", where="in",
            label="Python sqlite3: SELECT joblib_info(arr.pkl.z)",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_info(?)', P['arr.pkl.z'])",
            check="j = json.loads(one(con, 'SELECT joblib_info(?)', P['arr.pkl.z'])); "
                  "assert j['arrays'][0]['nbytes'] == %d, j" % N)
    add(id="info.py", group=g, side="python", where="in",
        label="Python: a = joblib.load(arr.pkl); a.dtype, a.shape, a.nbytes",
        run="a = joblib.load(P['arr.pkl']); r = (a.dtype.str, a.shape, a.nbytes); del a")
    add(id="info.pyz", group=g, side="python", where="in",
        label="Python: a = joblib.load(arr.pkl.z); a.dtype, a.shape, a.nbytes",
        run="a = joblib.load(P['arr.pkl.z']); r = (a.dtype.str, a.shape, a.nbytes); del a")
    add_sql(id="info.shell", group=g, side="sql", where="whole",
            label="sqlite3 shell: SELECT joblib_info(arr.pkl)",
            shell_sql="SELECT joblib_info(%s)" % sql_lit(P["arr.pkl"]))

    # -- issue 14: structure of big compressed bundles in bounded memory ----------
    g = "stream"
    for ext, name, wbits in ((".z", "zlib", 15), (".gz", "gzip", 31)):
        f = "arr.pkl" + ext
        add_sql(per_lib=True, id="s14info.%s" % name, group=g, side="sql", where="in", size=N,
                label="Python sqlite3: SELECT joblib_info(%s) (structure only)" % f,
                setup="con = connect()",
                run="r = one(con, 'SELECT joblib_info(?)', P[%r])" % f,
                check="j = json.loads(one(con, 'SELECT joblib_info(?)', P[%r])); "
                      "assert j['arrays'][0]['nbytes'] == %d, j" % (f, N))
        add_sql(per_lib=True, id="s14tree.%s" % name, group=g, side="sql", where="in", size=N,
                label="Python sqlite3: SELECT count(*) FROM joblib_tree(%s)" % f,
                setup="con = connect()",
                run="r = one(con, 'SELECT count(*) FROM joblib_tree(?)', P[%r])" % f,
                check="assert one(con, 'SELECT count(*) FROM joblib_tree(?)', P[%r]) == 1" % f)
        add(id="s14inflate.%s" % name, group=g, side="baseline", where="in", size=N,
            label="baseline: Python zlib.decompressobj(wbits=%d) over %s in 1 MiB pieces, dropped" % (wbits, f),
            run="d = zlib.decompressobj(%d)\n"
                "with open(P[%r], 'rb') as fh:\n"
                "    while True:\n"
                "        b = fh.read(1 << 20)\n"
                "        if not b: break\n"
                "        while b:\n"
                "            d.decompress(b, 1 << 20); b = d.unconsumed_tail\n"
                "r = d.flush()" % (wbits, f))
        alone = inflate_alone_path(ctx)
        for engine in ("isal", "zlib") if alone else ():
            add(id="s14%s.%s" % (engine, name), group=g, side="baseline", where="whole", size=N,
                label="baseline: tests/bench/inflate_alone.c %s %s %s (C, 1 MiB output buffer, "
                      "output dropped; whole process)" % (engine, name, f),
                cmd=[alone, engine, name, P[f]])
    add_sql(per_lib=True, id="s14last.sql", group=g, side="sql", where="in", size=N // 64,
            label="Python sqlite3: SELECT length(joblib_load(arr64.pkl.z, '$.a63')) (one statement)",
            setup="con = connect(); one(con, 'SELECT joblib_info(?)', P['arr64.pkl.z'])",
            run="r = one(con, \"SELECT length(joblib_load(?, '$.a63'))\", P['arr64.pkl.z'])",
            check="assert one(con, \"SELECT joblib_load(?, '$.a63')\", P['arr64.pkl.z']) == "
                  "joblib.load(P['arr64.pkl.z'])['a63'].tobytes()")
    add(id="s14last.py", group=g, side="python", where="in", size=N // 64,
        label="joblib.load(arr64.pkl.z)['a63']",
        run="r = joblib.load(P['arr64.pkl.z'])['a63']")

    # -- a pickle of many small dicts --------------------------------------------
    g = "tree"
    add_sql(id="tree.sql", group=g, side="sql", where="in", nodes=ctx.nodes,
            label="Python sqlite3: SELECT count(*) FROM joblib_tree(dicts.pkl)",
            setup="con = connect()",
            run="r = one(con, 'SELECT count(*) FROM joblib_tree(?)', P['dicts.pkl'])",
            check="info = one(con, 'SELECT count(*) FROM joblib_tree(?)', P['dicts.pkl']); "
                  "assert info == %d, info" % ctx.nodes)
    add_sql(id="tree.json", group=g, side="baseline", where="in", nodes=ctx.nodes,
            label="Python sqlite3: SELECT count(*) FROM json_tree(?) (dicts.json text bound)",
            setup="con = connect(); J = open(P['dicts.json']).read()",
            run="r = one(con, 'SELECT count(*) FROM json_tree(?)', J)",
            check="info = one(con, 'SELECT count(*) FROM json_tree(?)', J); "
                  "assert info == %d, info" % ctx.nodes)
    add(id="tree.py", group=g, side="python", where="in", nodes=ctx.nodes,
        label="Python: count_nodes(joblib.load(dicts.pkl))",
        run="r = count_nodes(joblib.load(P['dicts.pkl']))",
        check="info = count_nodes(joblib.load(P['dicts.pkl'])); assert info == %d, info" % ctx.nodes)
    add(id="tree.pyload", group=g, side="python", where="in", nodes=ctx.nodes,
        label="Python: joblib.load(dicts.pkl) alone",
        run="r = joblib.load(P['dicts.pkl'])")
    add_sql(id="tree.shell", group=g, side="sql", where="whole", nodes=ctx.nodes,
            label="sqlite3 shell: SELECT count(*) FROM joblib_tree(dicts.pkl)",
            shell_sql="SELECT count(*) FROM joblib_tree(%s)" % sql_lit(P["dicts.pkl"]),
            expect=str(ctx.nodes))
    add_sql(id="tree.jsonshell", group=g, side="baseline", where="whole", nodes=ctx.nodes,
            label="sqlite3 shell: SELECT count(*) FROM json_tree(readfile(dicts.json))",
            shell_sql="SELECT count(*) FROM json_tree(readfile(%s))" % sql_lit(P["dicts.json"]),
            expect=str(ctx.nodes))

    # -- dump the array ----------------------------------------------------------
    for level in (3, 0):
        g = "dump-zlib3" if level else "dump-none"
        setup_a = "a = joblib.load(P['arr.pkl'])"
        py_out = os.path.join(ctx.out_dir, "dump_py_%d.pkl" % level)
        sql_out = os.path.join(ctx.out_dir, "dump_sql_%d.pkl" % level)
        add(id="dump%d.py" % level, group=g, side="python", where="in", size=N, warmup=0,
            label="joblib.dump(a, f, compress=%d)" % level,
            setup=setup_a, run="r = joblib.dump(a, %r, compress=%d)" % (py_out, level),
            after="rm(%r)" % py_out)
        add_sql(per_lib=bool(level), id="dump%d.sql" % level, group=g, side="sql", where="in",
                size=N, warmup=0,
                label="Python sqlite3: SELECT joblib_dump(joblib_ndarray(?, '<f8'), f, %d)" % level,
                setup=setup_a + "; con = connect()",
                run="r = one(con, \"SELECT joblib_dump(joblib_ndarray(?, '<f8'), ?, %d)\", memoryview(a), %r)"
                    % (level, sql_out),
                after="rm(%r)" % sql_out,
                check="one(con, \"SELECT joblib_dump(joblib_ndarray(?, '<f8'), ?, %d)\", memoryview(a), %r); "
                      "b = joblib.load(%r); assert b.dtype == a.dtype and np.array_equal(a, b); "
                      "info = os.path.getsize(%r); rm(%r)" % (level, sql_out, sql_out, sql_out, sql_out))
        # whole-process: re-dump an existing bundle (array read from arr.pkl)
        src = P["arr.pkl"]
        w_py = os.path.join(ctx.out_dir, "re_py.pkl")
        w_sql = os.path.join(ctx.out_dir, "re_sql.pkl")
        add(id="dump%d.pyw" % level, group=g, side="python", where="whole", size=N, warmup=0,
            label="python3 -c 'joblib.dump(joblib.load(arr.pkl), f, compress=%d)'" % level,
            cmd=[ctx.python, "-c",
                 "import sys, joblib; joblib.dump(joblib.load(sys.argv[1]), sys.argv[2], compress=%d)"
                 % level, src, w_py], remove=[w_py])
        add_sql(per_lib=bool(level), id="dump%d.shell" % level, group=g, side="sql",
                where="whole", size=N, warmup=0, remove=[w_sql],
                label="sqlite3 shell: SELECT joblib_dump(joblib_extract(arr.pkl, '$'), f, %d)" % level,
                shell_sql="SELECT joblib_dump(joblib_extract(%s, '$'), %s, %d)"
                          % (sql_lit(src), sql_lit(w_sql), level))

    # -- export a table ------------------------------------------------------------
    g = "export"
    rows = ctx.sizes["table_rows"]
    e_sql = os.path.join(ctx.out_dir, "export_sql.pkl")
    e_py = os.path.join(ctx.out_dir, "export_py.pkl")
    add_sql(id="export.sql", group=g, side="sql", where="in", rows=rows, warmup=0,
            label="Python sqlite3: SELECT joblib_export('SELECT * FROM t', f)",
            setup="con = connect(P['table.db'])",
            run="r = one(con, 'SELECT joblib_export(?, ?)', 'SELECT * FROM t', %r)" % e_sql,
            after="rm(%r)" % e_sql,
            check="import pandas as pd; one(con, 'SELECT joblib_export(?, ?)', 'SELECT * FROM t', %r); "
                  "df = pd.DataFrame(joblib.load(%r)); ref = pd.read_sql('SELECT * FROM t', con); "
                  "assert list(df.columns) == list(ref.columns), df.columns; "
                  "assert df.equals(ref), (df.dtypes, ref.dtypes); info = len(df); rm(%r)"
                  % (e_sql, e_sql, e_sql))
    add(id="export.py", group=g, side="python", where="in", rows=rows, warmup=0,
        label="pandas: joblib.dump(read_sql('SELECT * FROM t').to_dict('list'), f)",
        setup="import pandas as pd; con = sqlite3.connect(P['table.db'])",
        run="r = joblib.dump(pd.read_sql('SELECT * FROM t', con).to_dict('list'), %r)" % e_py,
        after="rm(%r)" % e_py)
    add(id="export.pycols", group=g, side="python", where="in", rows=rows, warmup=0,
        label="pandas: joblib.dump({c: df[c].to_numpy() for c in df}, f), df = read_sql(...)",
        setup="import pandas as pd; con = sqlite3.connect(P['table.db'])",
        run="df = pd.read_sql('SELECT * FROM t', con); "
            "r = joblib.dump({c: df[c].to_numpy() for c in df.columns}, %r); del df" % e_py,
        after="rm(%r)" % e_py)
    add_sql(id="export.shell", group=g, side="sql", where="whole", rows=rows, warmup=0,
            remove=[e_sql], db=P["table.db"],
            label="sqlite3 shell: SELECT joblib_export('SELECT * FROM t', f)",
            shell_sql="SELECT joblib_export('SELECT * FROM t', %s)" % sql_lit(e_sql))
    add(id="export.pyw", group=g, side="python", where="whole", rows=rows, warmup=0,
        remove=[e_py],
        label="python3 -c 'joblib.dump(pd.read_sql(...).to_dict(\"list\"), f)'",
        cmd=[ctx.python, "-c",
             "import sys, sqlite3, joblib, pandas as pd; "
             "joblib.dump(pd.read_sql('SELECT * FROM t', sqlite3.connect(sys.argv[1])).to_dict('list'), sys.argv[2])",
             P["table.db"], e_py])

    # -- issue 13: export a table as a pandas DataFrame ------------------------------
    # The dataframe export beside today's dict export (the same query, rows and
    # file system) and beside read_sql + joblib.dump(df). The check (not timed)
    # loads the dataframe export with joblib and compares it with read_sql.
    g = "export-dataframe"
    q = "SELECT * FROM t"
    x_df = os.path.join(ctx.out_dir, "exdf_sql.pkl")
    x_dict = os.path.join(ctx.out_dir, "exdf_dict.pkl")
    x_py = os.path.join(ctx.out_dir, "exdf_py.pkl")
    add_sql(id="exdf.sql", group=g, side="sql", where="in", rows=rows, warmup=0, show_info=True,
            label="Python sqlite3: SELECT joblib_export('%s', f, NULL, 'dataframe')" % q,
            setup="con = connect(P['table.db'])",
            run="r = one(con, 'SELECT joblib_export(?, ?, NULL, ?)', %r, %r, 'dataframe')" % (q, x_df),
            after="rm(%r)" % x_df,
            check="import pandas as pd; "
                  "one(con, 'SELECT joblib_export(?, ?, NULL, ?)', %r, %r, 'dataframe'); "
                  "df = joblib.load(%r); ref = pd.read_sql(%r, con); rm(%r); "
                  "pd.testing.assert_frame_equal(df, ref); "
                  "info = 'pandas.testing.assert_frame_equal(joblib.load(dataframe export), "
                  "pandas.read_sql(q, con)): equal, %%d rows x %%d columns (%%s)' %% "
                  "(len(df), len(df.columns), ', '.join('%%s %%s' %% (c, t) for c, t in df.dtypes.items()))"
                  % (q, x_df, x_df, q, x_df))
    add_sql(id="exdf.dict", group=g, side="baseline", where="in", rows=rows, warmup=0,
            label="Python sqlite3: SELECT joblib_export('%s', f) (today's dict export)" % q,
            setup="con = connect(P['table.db'])",
            run="r = one(con, 'SELECT joblib_export(?, ?)', %r, %r)" % (q, x_dict),
            after="rm(%r)" % x_dict)
    add(id="exdf.py", group=g, side="python", where="in", rows=rows, warmup=0,
        label="pandas: joblib.dump(pd.read_sql('%s', con), f)" % q,
        setup="import pandas as pd; con = sqlite3.connect(P['table.db'])",
        run="df = pd.read_sql(%r, con); r = joblib.dump(df, %r); del df" % (q, x_py),
        after="rm(%r)" % x_py)

    # -- issue 16: sqlite_joblib.array, the Python package's numpy map ---------------
    # Every side reads every byte of the array it gets (a.sum()), so a lazy
    # map is not free. The package is imported from the source tree; its
    # connection loads the lib under test (connect()).
    g = "array-numpy"
    pydir = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python")
    first_lib = next(iter(ctx.libs.values()))
    pkg_env = {"SQLITE_JOBLIB_MODULE": first_lib}
    add_sql(id="npmap.sql", group=g, side="sql", where="in", size=N, env=pkg_env,
            label="sqlite_joblib.array(con, arr.pkl).sum() (numpy.memmap at joblib_info's offset)",
            setup="sys.path.insert(0, %r); import sqlite_joblib; con = connect()" % pydir,
            run="a = sqlite_joblib.array(con, P['arr.pkl']); r = float(a.sum()); del a",
            check="a = sqlite_joblib.array(con, P['arr.pkl']); b = joblib.load(P['arr.pkl']); "
                  "assert isinstance(a, np.memmap), type(a); "
                  "assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b); "
                  "assert float(a.sum()) == float(b.sum()); info = type(a).__name__; del a, b")
    add(id="npmap.py", group=g, side="python", where="in", size=N,
        label="joblib.load(arr.pkl).sum()",
        run="a = joblib.load(P['arr.pkl']); r = float(a.sum()); del a")
    add(id="npmap.pymm", group=g, side="python", where="in", size=N,
        label="joblib.load(arr.pkl, mmap_mode='r').sum()",
        run="a = joblib.load(P['arr.pkl'], mmap_mode='r'); r = float(a.sum()); del a")

    # -- embeddings matrix -------------------------------------------------------------
    g = "embeddings"
    er = ctx.sizes["emb_rows"]
    k = er // 2
    emb_n = er * ctx.sizes["emb_dim"] * 4
    mk = "con.execute('DROP TABLE IF EXISTS emb'); con.execute('CREATE TABLE emb(id INTEGER PRIMARY KEY, v BLOB)'); "
    add_sql(id="emb.sql", group=g, side="sql", where="in", rows=er, size=emb_n,
            label="INSERT INTO emb SELECT key, value FROM joblib_each(emb.pkl)",
            setup="con = connect()",
            run=mk + "con.execute('INSERT INTO emb SELECT key, value FROM joblib_each(?)', (P['emb.pkl'],)); con.commit()",
            check="m = joblib.load(P['emb.pkl']); "
                  "assert one(con, 'SELECT count(*) FROM emb') == %d; "
                  "assert one(con, 'SELECT v FROM emb WHERE id = ?', %d) == m[%d].tobytes()" % (er, k, k))
    add(id="emb.py", group=g, side="python", where="in", rows=er, size=emb_n,
        label="m = joblib.load(emb.pkl); executemany(INSERT, (i, m[i].tobytes()))",
        setup="con = sqlite3.connect(':memory:')",
        run=mk + "m = joblib.load(P['emb.pkl']); "
                 "con.executemany('INSERT INTO emb VALUES (?, ?)', ((i, m[i].tobytes()) for i in range(len(m)))); "
                 "con.commit(); del m")
    add_sql(id="emb.row", group=g, side="sql", where="in",
            label="SELECT joblib_load(emb.pkl, '$[%d]') (one row)" % k,
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_load(?, ?)', P['emb.pkl'], '$[%d]')" % k,
            check="assert one(con, 'SELECT joblib_load(?, ?)', P['emb.pkl'], '$[%d]') == "
                  "joblib.load(P['emb.pkl'])[%d].tobytes()" % (k, k))
    add(id="emb.pyrow", group=g, side="python", where="in",
        label="joblib.load(emb.pkl)[%d].tobytes()" % k,
        run="r = joblib.load(P['emb.pkl'])[%d].tobytes()" % k)
    add(id="emb.pyrowmm", group=g, side="python", where="in",
        label="joblib.load(emb.pkl, mmap_mode='r')[%d].tobytes()" % k,
        run="r = joblib.load(P['emb.pkl'], mmap_mode='r')[%d].tobytes()" % k)

    # -- ids and a matrix joined on key (issue 15: key look-ups in joblib_each) --------
    # side by side: the same join in SQL (two joblib_each; a real table and
    # joblib_each) and in Python; before key look-ups the SQL join scanned
    # the matrix once per id (318 s for 50,000 x 384)
    g = "join"
    jf = os.path.join(os.path.dirname(P["emb.pkl"]), "ids_emb.pkl")
    mkj = ("import joblib, numpy\n"
           "if not os.path.exists(%r): joblib.dump({'ids': list(range(%d)), "
           "'emb': numpy.arange(%d, dtype='<f4').reshape(%d, %d)}, %r)\n"
           % (jf, er, er * ctx.sizes["emb_dim"], er, ctx.sizes["emb_dim"], jf))
    jq = ("SELECT i.value, e.value FROM joblib_each(?1, '$.ids') i "
          "JOIN joblib_each(?1, '$.emb') e ON e.key = i.key")
    add_sql(id="join.sql", group=g, side="sql", where="in", rows=er,
            label="SELECT i.value, e.value FROM joblib_each(f,'$.ids') i JOIN joblib_each(f,'$.emb') e ON e.key = i.key",
            setup=mkj + "con = connect()",
            run="r = con.execute(%r, (%r,)).fetchall()" % (jq, jf),
            check="assert len(con.execute(%r, (%r,)).fetchall()) == %d" % (jq, jf, er))
    tq = "SELECT ids.k, e.value FROM ids JOIN joblib_each(?1, '$.emb') e ON e.key = ids.k"
    add_sql(id="join.table", group=g, side="sql", where="in", rows=er,
            label="SELECT ids.k, e.value FROM ids JOIN joblib_each(f,'$.emb') e ON e.key = ids.k",
            setup=mkj + "con = connect(); con.execute('CREATE TABLE ids(k INTEGER)'); "
                  "con.executemany('INSERT INTO ids VALUES (?)', ((i,) for i in range(%d)))" % er,
            run="r = con.execute(%r, (%r,)).fetchall()" % (tq, jf),
            check="assert len(con.execute(%r, (%r,)).fetchall()) == %d" % (tq, jf, er))
    add(id="join.py", group=g, side="python", where="in", rows=er,
        label="b = joblib.load(f); [(i, b['emb'][k].tobytes()) for k, i in enumerate(b['ids'])]",
        setup=mkj,
        run="b = joblib.load(%r); r = [(i, b['emb'][k].tobytes()) for k, i in enumerate(b['ids'])]" % jf)

    # -- issue 15: ids and vectors as one table, vectors exported as a matrix -----------
    # The 50,000 x 384 float32 at full scale (a quarter of emb_rows).
    # vec.table reads {'ids', 'emb'} through the joblib table (emb a vector
    # column, one BLOB per row); vexp.* export a SQL table of such rows and
    # get the (n, 384) float32 matrix: raw rows in a column declared
    # float32[384], or ndarray bundles (joblib_ndarray(v, '<f4')) in a BLOB
    # column (group vector-export); vexp.py is the Python a user writes for
    # the same file.
    g = "vectors"
    vr = max(1000, er // 4)
    dim = ctx.sizes["emb_dim"]
    vf = os.path.join(os.path.dirname(P["emb.pkl"]), "ids_vec_%d.pkl" % vr)
    mkv = ("import joblib, numpy\n"
           "if not os.path.exists(%r): joblib.dump({'ids': numpy.arange(%d) * 3, "
           "'emb': numpy.random.default_rng(5).standard_normal((%d, %d), dtype=numpy.float32)}, %r)\n"
           % (vf, vr, vr, dim, vf))
    add_sql(id="vec.table", group=g, side="sql", where="in", rows=vr, size=vr * dim * 4,
            label="CREATE VIRTUAL TABLE docs USING joblib(f); SELECT ids, emb FROM docs",
            setup=mkv + "con = connect(); con.execute(\"CREATE VIRTUAL TABLE docs USING joblib('%s')\")" % vf,
            run="r = con.execute('SELECT ids, emb FROM docs').fetchall()",
            check="b = joblib.load(%r); got = con.execute('SELECT ids, emb FROM docs').fetchall(); "
                  "assert got == [(int(i), b['emb'][k].tobytes()) for k, i in enumerate(b['ids'])]; "
                  "info = one(con, \"SELECT type FROM pragma_table_info('docs') WHERE name = 'emb'\")" % vf)
    add(id="vec.py", group=g, side="python", where="in", rows=vr, size=vr * dim * 4,
        label="b = joblib.load(f); [(i, b['emb'][k].tobytes()) for k, i in enumerate(b['ids'])]",
        setup=mkv,
        run="b = joblib.load(%r); r = [(int(i), b['emb'][k].tobytes()) for k, i in enumerate(b['ids'])]" % vf)
    mkt = (mkv + "con = connect(); b = joblib.load(%r); "
           "con.execute('CREATE TABLE raw(id INTEGER, v float32[%d])'); "
           "con.execute('CREATE TABLE bun(id INTEGER, v BLOB)'); "
           "con.executemany('INSERT INTO raw VALUES (?, ?)', ((int(i), b['emb'][k].tobytes()) for k, i in enumerate(b['ids']))); "
           "con.execute('INSERT INTO bun SELECT id, joblib_ndarray(v, \\'<f4\\') FROM raw'); con.commit()\n"
           % (vf, dim))
    g = "vector-export"
    vo = os.path.join(ctx.out_dir, "vexp_sql.pkl")
    vcheck = ("one(con, 'SELECT joblib_export(?, ?)', QUERY, %r); d = joblib.load(%r); rm(%r); "
              "assert d['v'].dtype == numpy.float32 and d['v'].shape == (%d, %d), (d['v'].dtype, d['v'].shape); "
              "assert numpy.array_equal(d['v'], b['emb']) and numpy.array_equal(d['id'], b['ids']); "
              "info = '%%s %%s' %% (d['v'].dtype, d['v'].shape)" % (vo, vo, vo, vr, dim))
    for cid, table, what in (("vexp.raw", "raw", "v float32[%d], raw rows" % dim),
                             ("vexp.bundles", "bun", "v BLOB, joblib_ndarray bundles")):
        q = "SELECT id, v FROM %s" % table
        add_sql(id=cid, group=g, side="sql", where="in", rows=vr, size=vr * dim * 4, warmup=0, show_info=True,
                label="SELECT joblib_export('%s', f) (%s)" % (q, what),
                setup=mkt,
                run="r = one(con, 'SELECT joblib_export(?, ?)', %r, %r)" % (q, vo),
                after="rm(%r)" % vo,
                check=vcheck.replace("QUERY", repr(q)))
    vp = os.path.join(ctx.out_dir, "vexp_py.pkl")
    add(id="vexp.py", group=g, side="python", where="in", rows=vr, size=vr * dim * 4, warmup=0,
        label="rows = execute('SELECT id, v FROM raw'); joblib.dump({'id': ..., 'v': frombuffer(b''.join(v)).reshape(n, %d)}, f)" % dim,
        setup=mkt.replace("con = connect()", "con = sqlite3.connect(':memory:')").replace(
            "con.execute('INSERT INTO bun SELECT id, joblib_ndarray(v, \\'<f4\\') FROM raw'); ", ""),
        run="rows = con.execute('SELECT id, v FROM raw').fetchall(); "
            "r = joblib.dump({'id': numpy.array([x[0] for x in rows], dtype=numpy.int64), "
            "'v': numpy.frombuffer(b''.join(x[1] for x in rows), dtype='<f4').reshape(len(rows), %d)}, %r); del rows"
            % (dim, vp),
        after="rm(%r)" % vp)

    # -- a fitted scikit-learn model ---------------------------------------------------
    g = "model"
    add_sql(id="rf.sql", group=g, side="sql", where="in",
            label="SELECT joblib_load(rf.pkl, '$.n_estimators')",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_load(?, ?)', P['rf.pkl'], '$.n_estimators')",
            check="assert one(con, 'SELECT joblib_load(?, ?)', P['rf.pkl'], '$.n_estimators') == "
                  "joblib.load(P['rf.pkl']).n_estimators")
    add(id="rf.py", group=g, side="python", where="in",
        label="joblib.load(rf.pkl).n_estimators",
        run="r = joblib.load(P['rf.pkl']).n_estimators")
    add_sql(id="rf.info", group=g, side="sql", where="in",
            label="SELECT joblib_info(rf.pkl)",
            setup="con = connect()",
            run="r = one(con, 'SELECT joblib_info(?)', P['rf.pkl'])",
            check="j = json.loads(one(con, 'SELECT joblib_info(?)', P['rf.pkl'])); info = len(j['arrays'])")
    add_sql(id="rf.tree", group=g, side="sql", where="in",
            label="SELECT count(*) FROM joblib_tree(rf.pkl)",
            setup="con = connect()",
            run="r = one(con, 'SELECT count(*) FROM joblib_tree(?)', P['rf.pkl'])",
            check="info = one(con, 'SELECT count(*) FROM joblib_tree(?)', P['rf.pkl'])")

    # -- issue 14: the cache across statements; compressed writes in bounded memory --
    # A scalar of a compressed model read by a second statement (the cache's
    # answer) beside the same read opening the file each time. rf.pkl.xz is
    # the model joblib.dump'ed with compress='xz' (made in the setup, untimed).
    g = "cache"
    rfxz = os.path.join(ctx.out_dir, "rf.pkl.xz")
    mk_xz = ("if not os.path.exists(%r): joblib.dump(joblib.load(P['rf.pkl']), %r, compress='xz')"
             % (rfxz, rfxz))
    q_rf = "r = one(con, 'SELECT joblib_load(?, ?)', %r, '$.n_estimators')" % rfxz
    add_sql(id="cache.cold", group=g, side="sql", where="in",
            label="SELECT joblib_load(rf.pkl.xz, '$.n_estimators'), cache_bytes 0 (opens each time)",
            setup=mk_xz + "\ncon = connect()", run=q_rf)
    add_sql(id="cache.warm", group=g, side="sql", where="in",
            label="the same, a later statement on a connection that read it before (cached)",
            setup=mk_xz + "\ncon = connect(cache=True); one(con, 'SELECT joblib_info(?)', %r)" % rfxz,
            run=q_rf,
            check="s = json.loads(one(con, \"SELECT joblib_config('cache_stats')\")); "
                  "assert s['hits'] >= 1 and s['misses'] == 1, s; info = s['hits']")
    # compressed joblib_export (the array dump with compress=3 is dump3.sql above)
    g = "export-zlib3"
    ez_sql = os.path.join(ctx.out_dir, "export_sql.pkl.z")
    add_sql(id="exportz.sql", group=g, side="sql", where="in", rows=rows, warmup=0,
            label="Python sqlite3: SELECT joblib_export('SELECT * FROM t', f, 3)",
            setup="con = connect(P['table.db'])",
            run="r = one(con, 'SELECT joblib_export(?, ?, 3)', 'SELECT * FROM t', %r)" % ez_sql,
            after="rm(%r)" % ez_sql,
            check="one(con, 'SELECT joblib_export(?, ?, 3)', 'SELECT * FROM t', %r); "
                  "d = joblib.load(%r); info = len(next(iter(d.values()))); rm(%r)" % (ez_sql, ez_sql, ez_sql))
    add_sql(id="export0.sql", group=g, side="sql", where="in", rows=rows, warmup=0,
            label="Python sqlite3: SELECT joblib_export('SELECT * FROM t', f) (uncompressed, streamed)",
            setup="con = connect(P['table.db'])",
            run="r = one(con, 'SELECT joblib_export(?, ?)', 'SELECT * FROM t', %r)" % e_sql,
            after="rm(%r)" % e_sql)

    for c in cases:
        if c["where"] == "whole" and c.get("shell_sql"):
            c["cmd"] = shell(c.get("db", ":memory:"), c["shell_sql"], c["lib"])
    return cases


# Targets of the issue: (id, text, kind, sql case, reference case, threshold).
# kind "speed": median(ref) / median(sql) >= threshold; "time": median(sql)
# <= threshold seconds; "riseover": peak(sql) <= peak(ref) + threshold bytes;
# "mem": peak(sql) <= threshold * array bytes + 32 MiB ("array"),
# "memratio": peak(sql) <= threshold * peak(ref).
def targets(ctx):
    t = []
    zl = "zlib" if "zlib" in ctx.libs else next(iter(ctx.libs))
    isal = "isal" if "isal" in ctx.libs else None

    def at(cid, lib):
        return cid + "@" + lib if len(ctx.libs) > 1 else cid

    t.append(("A1", "uncompressed array -> BLOB, Python sqlite3 vs joblib.load (in-process)",
              "speed", "load.sql", "load.py", 1.0))
    t.append(("A2", "uncompressed array -> BLOB, sqlite3 shell vs cat (whole-process)",
              "speed", "load.shell", "load.cat", 0.9))
    t.append(("A3", "peak memory of the sqlite3 shell load <= array + 32 MiB",
              "mem", "load.shell", None, 1.0))
    t.append(("A4", "peak memory of the Python sqlite3 load <= array + 32 MiB (RSS rise)",
              "mem", "load.sql", None, 1.0))
    t.append(("A5", "as A1, both with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (THP for malloc)",
              "speed", "load.sqlthp", "load.pythp", 1.0))
    for name in ("zlib", "gzip"):
        t.append(("B-%s" % name, "%s bundle load, Python sqlite3 vs joblib.load, zlib only" % name,
                  "speed", at(name + ".sql", zl), name + ".py", 3.0))
        t.append(("B-%s-isal" % name, "%s bundle load, Python sqlite3 vs joblib.load, ISA-L" % name,
                  "speed", at(name + ".sql", isal) if isal else None, name + ".py", 8.0))
    t.append(("C", "joblib_info vs joblib.load on the uncompressed bundle", "speed",
              "info.sql", "info.py", 1000.0))
    t.append(("D1", "joblib_tree nodes/s vs json_tree on the same data as JSON", "speed",
              "tree.sql", "tree.json", 2.0))
    t.append(("D2", "joblib_tree peak memory <= half of json_tree's", "memratio",
              "tree.sql", "tree.json", 0.5))
    t.append(("E1", "dump compress=3 vs joblib.dump, zlib only (parallel deflate)", "speed",
              at("dump3.sql", zl), "dump3.py", 1.8))
    t.append(("E2", "dump compress=3 vs joblib.dump, ISA-L", "speed",
              at("dump3.sql", isal) if isal else None, "dump3.py", 8.0))
    t.append(("E3", "uncompressed dump vs joblib.dump (array bound from Python)", "speed",
              "dump0.sql", "dump0.py", 1.0))
    t.append(("E4", "uncompressed re-dump of arr.pkl, sqlite3 shell vs python3 (whole-process)",
              "speed", "dump0.shell", "dump0.pyw", 1.0))
    t.append(("F1", "joblib_export vs read_sql + to_dict('list') + joblib.dump", "speed",
              "export.sql", "export.py", 1.0))
    t.append(("F2", "joblib_export vs read_sql + {column: ndarray} + joblib.dump (same answer)",
              "speed", "export.sql", "export.pycols", 1.0))
    t.append(("F3", "joblib_export(q, f, NULL, 'dataframe') vs today's dict export (at least as fast)",
              "speed", "exdf.sql", "exdf.dict", 0.95))
    t.append(("F4", "joblib_export(q, f, NULL, 'dataframe') vs joblib.dump(pd.read_sql(q, con), f)",
              "speed", "exdf.sql", "exdf.py", 1.0))
    first = next(iter(ctx.libs))
    for name in ("zlib", "gzip"):
        t.append(("S14-%s-mem" % name, "joblib_info of the %s bundle: peak memory <= 32 MiB (structure only)" % name,
                  "mem", at("s14info." + name, first), None, 0.0))
        t.append(("S14-%s-time" % name, "joblib_info of the %s bundle within 1.1x of inflating it alone" % name,
                  "speed", at("s14info." + name, first), "s14inflate." + name, 1 / 1.1))
        t.append(("S14-%s-tree" % name, "count(*) FROM joblib_tree of the %s bundle within 1.1x of inflating it" % name,
                  "speed", at("s14tree." + name, first), "s14inflate." + name, 1 / 1.1))
        # the same engine: an ISA-L build (named 'isal', or the only one) against
        # ISA-L inflating the file alone (tests/bench/inflate_alone.c)
        il = isal or (first if len(ctx.libs) == 1 else None)
        t.append(("S14-%s-isal" % name, "joblib_info of the %s bundle within 1.1x of ISA-L inflating it alone "
                  "(ISA-L build)" % name, "speed", at("s14info." + name, il) if il else None,
                  "s14isal." + name, 1 / 1.1))
        t.append(("S14-%s-isal-tree" % name, "count(*) FROM joblib_tree of the %s bundle within 1.1x of ISA-L "
                  "inflating it alone (ISA-L build)" % name, "speed", at("s14tree." + name, il) if il else None,
                  "s14isal." + name, 1 / 1.1))
    t.append(("G1", "sqlite_joblib.array(...).sum() vs joblib.load(f).sum()",
              "speed", "npmap.sql", "npmap.py", 1.0))
    t.append(("G2", "sqlite_joblib.array(...).sum() vs joblib.load(f, mmap_mode='r').sum()",
              "speed", "npmap.sql", "npmap.pymm", 1 / 1.2))
    t.append(("H1", "a scalar of the xz model read by a second statement (cached) under 1 ms",
              "time", "cache.warm", None, 1e-3))
    t.append(("H2", "joblib_dump compress=3 of the array: peak RSS <= the uncompressed dump's + 64 MiB "
              "(both hold the bound array and the joblib_ndarray BLOB)",
              "riseover", at("dump3.sql", zl), "dump0.sql", 64 * MiB))
    t.append(("H3", "compressed joblib_export: peak RSS <= the uncompressed export's + 64 MiB",
              "riseover", "exportz.sql", "export0.sql", 64 * MiB))
    return t


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def fmt_t(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return "%.0f us" % (s * 1e6)
    if s < 1:
        return "%.1f ms" % (s * 1e3)
    return "%.2f s" % s


def fmt_mib(b):
    return "-" if b is None else "%.0f" % (b / MiB) if b >= 10 * MiB else "%.1f" % (b / MiB)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def throughput(c, t):
    if not t:
        return "-"
    if c.get("nodes"):
        return "%.2f M nodes/s" % (c["nodes"] / t / 1e6)
    if c.get("size"):
        return "%.2f GB/s" % (c["size"] / t / 1e9)
    if c.get("rows"):
        return "%.2f M rows/s" % (c["rows"] / t / 1e6)
    return "-"


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(ctx):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / (1 << 20))
    except OSError:
        pass
    thp = ""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read().strip()
    except OSError:
        pass
    vers = sh([ctx.python, "-c",
               "import sys, numpy, joblib, sqlite3, sklearn, pandas; "
               "print('Python %s, numpy %s, joblib %s, scikit-learn %s, pandas %s, SQLite (Python) %s' % ("
               "sys.version.split()[0], numpy.__version__, joblib.__version__, sklearn.__version__, "
               "pandas.__version__, sqlite3.sqlite_version))"])
    root = os.path.dirname(os.path.dirname(HERE))
    commit = sh(["git", "-C", root, "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu, "cores": os.cpu_count(), "memory": mem, "kernel": platform.release(),
        "thp": thp, "versions": vers,
        "sqlite3 shell": sh([ctx.sqlite3, "-version"]).split(" ")[0],
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "libs": ", ".join("%s=%s" % kv for kv in ctx.libs.items()),
    }


def write_report(ctx, cases, results, machine, load_before, load_after, path):
    L = []
    L.append("# Benchmark results")
    L.append("")
    L.append("Made by `tests/bench/bench.py`%s. Not a test: nothing here gates CI."
             % (" --tiny (sizes too small for the figures to mean anything)" if ctx.tiny else ""))
    L.append("")
    L.append("## Machine")
    L.append("")
    for k in ("date", "cpu", "cores", "memory", "kernel", "thp", "versions", "sqlite3 shell",
              "commit", "libs"):
        L.append("- %s: %s" % (k, machine[k]))
    L.append("- load average before / after the run: %s / %s" % (load_before, load_after))
    L.append("- sizes: %s" % ", ".join("%s=%s" % kv for kv in ctx.sizes.items()))
    L.append("- runs: %d timed after %d warm-up (cases over %.0f s: %d)%s"
             % (ctx.repeat, ctx.warmup, ctx.slow_s, ctx.slow_repeat,
                "; dumps and exports: no warm-up" if not ctx.tiny else ""))
    if ctx.note:
        L.append("")
        L.append("**Note:** " + ctx.note)
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("Ratios of medians in this run (above 1: the SQL side is faster).")
    L.append("")
    L.append("| | target | SQL | reference | measured | wanted | met |")
    L.append("|---|---|---|---|---|---|---|")
    byid = {c["id"]: c for c in cases}
    N = ctx.sizes["array_mib"] * MiB
    summary = []
    for tid, text, kind, sid, rid, thr in targets(ctx):
        rs = results.get(sid) if sid else None
        rr = results.get(rid) if rid else None
        got, want, ok = "not measured", "", None
        if kind == "speed":
            want = ">= %gx" % round(thr, 3)
            if rs and rr and not rs["error"] and not rr["error"] and rs["times"] and rr["times"]:
                ratio = median(rr["times"]) / median(rs["times"])
                got, ok = "%.2fx" % ratio, ratio >= thr
        elif kind == "mem":
            want = "<= %s MiB" % fmt_mib(N + 32 * MiB)
            if rs and not rs["error"] and rs["peaks"] and median(rs["peaks"]) is not None:
                pk = max(p for p in rs["peaks"] if p is not None)
                got, ok = "%s MiB" % fmt_mib(pk), pk <= N + 32 * MiB
        elif kind == "time":
            want = "<= %s" % fmt_t(thr)
            if rs and not rs["error"] and rs["times"]:
                m = median(rs["times"])
                got, ok = fmt_t(m), m <= thr
        elif kind == "riseover":
            base = max(rr["peaks"]) if rr and not rr["error"] and rr["peaks"] else None
            want = "<= ref + %s MiB" % fmt_mib(thr)
            if rs and not rs["error"] and rs["peaks"] and base is not None:
                pk = max(p for p in rs["peaks"] if p is not None)
                got, ok = "%s MiB" % fmt_mib(pk), pk <= base + thr
        elif kind == "memratio":
            want = "<= %g x" % thr
            if rs and rr and not rs["error"] and not rr["error"] and rs["peaks"] and rr["peaks"]:
                a, b = max(rs["peaks"]), max(rr["peaks"])
                if b:
                    got = "%s / %s MiB = %.2f" % (fmt_mib(a), fmt_mib(b), a / b)
                    ok = a <= thr * b
        mark = "-" if ok is None else ("yes" if ok else "**no**")
        summary.append((tid, ok))
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            tid, text, "`%s`" % sid if sid else "-", "`%s`" % rid if rid else "-", got, want, mark))
    L.append("")
    groups = []
    for c in cases:
        if c["group"] not in groups:
            groups.append(c["group"])
    for g in groups:
        L.append("## %s" % g)
        L.append("")
        L.append("| case | what | where | median | min - max | CPU | throughput | peak RSS MiB | anon rise MiB | vs SQL |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        gc_ = [c for c in cases if c["group"] == g]
        sqls = [c for c in gc_ if c["side"] == "sql"]
        for c in gc_:
            r = results.get(c["id"])
            if not r:
                continue
            if r["error"]:
                L.append("| `%s` | %s | %s | **failed** | %s | | | | | |" % (
                    c["id"], c["label"], c["where"], r["error"].replace("|", "\\|")[:300]))
                continue
            m = median(r["times"])
            lo, hi = min(r["times"]), max(r["times"])
            # ratio against the first SQL case of the same group and place (and lib)
            vs = "-"
            if c["side"] != "sql":
                peers = [s for s in sqls if s["where"] == c["where"] and s["id"] in results
                         and not results[s["id"]]["error"]]
                if peers:
                    s = peers[0]
                    vs = "%.2fx (`%s`)" % (m / median(results[s["id"]]["times"]), s["id"])
            pk = median(r["peaks"])
            an = median(r["anon"])
            where = "in-process" if c["where"] == "in" else "whole-process"
            L.append("| `%s` | %s | %s | %s | %s - %s | %s | %s | %s | %s | %s |" % (
                c["id"], c["label"].replace("|", "\\|"), where, fmt_t(m), fmt_t(lo), fmt_t(hi),
                fmt_t(median(r.get("cpu", []))), throughput(c, m), fmt_mib(pk), fmt_mib(an), vs))
        L.append("")
        for c in gc_:
            r = results.get(c["id"])
            if c.get("show_info") and r and not r["error"]:
                L.append("Check of `%s` (not timed): %s" % (c["id"], r["info"]))
                L.append("")
    L.append("In-process cases under 5 ms are timed over batches of >= 20 ms (per-run time shown). "
             "CPU: user + system time of the process (all threads), median; on a shared "
             "machine it moves less than wall time. "
             "Peak RSS: in-process, the rise of VmHWM over the RSS before the run "
             "(includes mapped file pages); whole-process, the child's ru_maxrss. "
             "Anon rise: anonymous memory sampled every 2 ms (misses spikes shorter than that). "
             "vs SQL: median of the case over the median of the first SQL case of its group "
             "at the same place (above 1: SQL faster).")
    L.append("")
    text = "\n".join(L)
    with open(path, "w") as f:
        f.write(text)
    return summary


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


class Ctx:
    pass


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", action="append", default=[],
                    help="NAME=PATH or PATH of joblib0.so; repeat to compare builds "
                         "(names 'zlib' and 'isal' feed the ISA-L targets)")
    ap.add_argument("--tiny", action="store_true", help="tiny sizes, 1 run (CI smoke test)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply the issue's sizes (512 MiB array, 1e6 dicts, ...)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--slow-repeat", type=int, default=3,
                    help="runs of a case whose first run takes over --slow-s seconds")
    ap.add_argument("--slow-s", type=float, default=5.0)
    ap.add_argument("--data", help="workload directory (kept between runs)")
    ap.add_argument("--out", help="Markdown report (default tests/bench/RESULTS.md; "
                                  "--tiny: <data>/RESULTS-tiny.md)")
    ap.add_argument("--json", help="also write the raw results as JSON here")
    ap.add_argument("--only", help="regular expression on case ids (e.g. 'load|info')")
    ap.add_argument("--note", default="", help="a sentence for the report (e.g. machine shared)")
    ap.add_argument("--sqlite3", default=shutil.which("sqlite3") or "sqlite3")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args(argv)

    import workloads

    ctx = Ctx()
    ctx.tiny = a.tiny
    ctx.python = a.python
    ctx.sqlite3 = a.sqlite3
    ctx.repeat = 1 if a.tiny else a.repeat
    ctx.warmup = 0 if a.tiny else 1
    ctx.slow_repeat = 1 if a.tiny else a.slow_repeat
    ctx.slow_s = a.slow_s
    ctx.note = a.note
    ctx.libs = {}
    for spec in a.lib or [os.environ.get("JL_MODULE", "")]:
        name, _, path = spec.rpartition("=")
        if not path:
            ap.error("give --lib PATH of joblib0.so (or set JL_MODULE)")
        ctx.libs[name or ("default" if not ctx.libs else "lib%d" % len(ctx.libs))] = os.path.abspath(path)
    for p in ctx.libs.values():
        if not os.path.exists(p):
            ap.error("no such library: %s" % p)
    ctx.sizes = workloads.TINY if a.tiny else workloads.scaled(a.scale)
    build = os.environ.get("JL_BUILD_DIR")
    data = a.data or os.path.join(build or "/tmp", "bench-data" + ("-tiny" if a.tiny else ""))
    ctx.data_dir = os.path.abspath(data)
    ctx.out_dir = os.path.join(ctx.data_dir, "out")
    os.makedirs(ctx.out_dir, exist_ok=True)
    out = a.out or (os.path.join(ctx.data_dir, "RESULTS-tiny.md") if a.tiny
                    else os.path.join(HERE, "RESULTS.md"))

    def log(msg):
        print("bench: " + msg, flush=True)

    t_start = time.time()
    ctx.paths = workloads.generate(ctx.data_dir, ctx.sizes, log=log)
    d = ctx.sizes["dicts"]
    ctx.nodes = 1 + d * 5  # the list, each dict and its 4 values
    cases = build_cases(ctx)
    if a.only:
        rx = re.compile(a.only)
        cases = [c for c in cases if rx.search(c["id"])]
    load_before = loadavg()
    machine = machine_info(ctx)
    results = {}
    failed = 0
    for c in cases:
        log("%-22s %s" % (c["id"], c["label"]))
        r = run_inprocess(c, ctx) if c["where"] == "in" else run_whole(c, ctx)
        if not r["error"] and c.get("expect") is not None and r["info"] != c["expect"]:
            r["error"] = "check: printed %r, expected %r" % (r["info"], c["expect"])
        results[c["id"]] = r
        if r["error"]:
            failed += 1
            log("   FAILED %s" % r["error"])
        else:
            log("   median %s  peak %s MiB  %s" % (fmt_t(median(r["times"])), fmt_mib(median(r["peaks"])),
                                                  throughput(c, median(r["times"]))))
            if c.get("show_info"):
                log("   check: %s" % r["info"])
    load_after = loadavg()
    summary = write_report(ctx, cases, results, machine, load_before, load_after, out)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine, "sizes": ctx.sizes, "results": results}, f, indent=1)
    met = sum(1 for _, ok in summary if ok)
    missed = sum(1 for _, ok in summary if ok is False)
    log("report: %s (%d cases in %.0f s; targets met %d, missed %d)"
        % (out, len(cases), time.time() - t_start, met, missed))
    # the closing line test runners read: cases that ran and gave the right answer
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


def reexec_with_preload():
    """A sanitized joblib0.so loads only into a process whose first library is
    the ASan runtime ($JL_PRELOAD, set by tests/CMakeLists.txt)."""
    rt = os.environ.get("JL_PRELOAD")
    if not rt or rt in os.environ.get("LD_PRELOAD", ""):
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = (rt + " " + env.get("LD_PRELOAD", "")).strip()
    env["ASAN_OPTIONS"] = "detect_leaks=0"
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.exit(worker_main())
    reexec_with_preload()
    sys.path.insert(0, HERE)
    sys.exit(main(sys.argv[1:]))
