#!/usr/bin/env python3
"""Faults on write: joblib_dump over an existing file, killed with SIGKILL
at many moments, leaves either the old file or the complete new one (read
back with real joblib.load), and the next successful dump removes the
temporary files the killed writers left. Also: a dump into a directory
that cannot be written leaves nothing behind.
Prints 'N passed, N failed'."""
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

import joblib

N = 4 << 20  # float64 elements of the new value: 32 MiB, compressed slowly


def shell(cwd, sql):
    """A sqlite3 shell running sql, with the extension loaded."""
    env = dict(os.environ)
    if env.get("JL_PRELOAD"):
        env["LD_PRELOAD"] = env["JL_PRELOAD"]
        env["ASAN_OPTIONS"] = "detect_leaks=0"
    return subprocess.Popen([os.environ.get("JL_SQLITE3", "sqlite3"), "-bail", ":memory:",
                             "-cmd", ".load " + os.environ["JL_MODULE"]],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=cwd, env=env, text=True), sql


def run(cwd, sql, kill_after=None):
    p, sql = shell(cwd, sql)
    if kill_after is None:
        out, err = p.communicate(sql, timeout=300)
        return p.returncode, out, err
    p.stdin.write(sql)
    p.stdin.flush()
    time.sleep(kill_after)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    return p.returncode, "", ""


DUMP_NEW = ("SELECT joblib_dump(joblib_ndarray(randomblob(%d), '<f8'), 'dest.pkl', 'zlib:9');\n" % (N * 8))


def leftovers(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".jltmp"))


def main():
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))

    with tempfile.TemporaryDirectory() as d:
        old = {"old": np.arange(10)}
        joblib.dump(old, os.path.join(d, "dest.pkl"))
        with open(os.path.join(d, "dest.pkl"), "rb") as f:
            old_bytes = f.read()
        kinds = {"old": 0, "new": 0}
        # the kill lands while writing the temporary file, or around the rename
        for i, delay in enumerate([0.01, 0.05, 0.2, 0.4, 0.8, 1.2, 1.6, 2.0, 3.0, 5.0, 8.0]):
            run(d, DUMP_NEW, kill_after=delay)
            path = os.path.join(d, "dest.pkl")
            with open(path, "rb") as f:
                data = f.read()
            if data == old_bytes:
                kinds["old"] += 1
                check("kill after %.2fs: the old file is intact" % delay, True)
            else:
                try:
                    got = joblib.load(path)
                    ok = isinstance(got, np.ndarray) and got.shape == (N,) and got.dtype == np.float64
                except Exception as e:  # a torn file would land here
                    ok, got = False, e
                kinds["new"] += 1
                check("kill after %.2fs: the complete new file" % delay, ok, repr(got)[:200])
                # back to the old file for the next round
                with open(path, "wb") as f:
                    f.write(old_bytes)
        check("kills landed both before and after the rename", kinds["old"] > 0 and kinds["new"] > 0, str(kinds))
        # what a writer killed mid-write leaves (whether or not a kill above
        # landed inside the write): its pid is gone; and a live writer's file
        dead = subprocess.Popen(["true"])
        dead.wait()
        with open(os.path.join(d, ".dest.pkl.%d-00112233aabbccdd.jltmp" % dead.pid), "wb") as f:
            f.write(b"partial")
        live = ".dest.pkl.%d-00112233aabbccdd.jltmp" % os.getpid()
        with open(os.path.join(d, live), "wb") as f:
            f.write(b"in progress")
        before = leftovers(d)
        rc, out, err = run(d, "SELECT joblib_dump(json('[1, 2]'), 'dest.pkl');\n")
        check("the next dump succeeds", rc == 0 and out.strip() == '["dest.pkl"]', out + err)
        check("and removes what the killed writers left, not a live writer's file", leftovers(d) == [live],
              "before %s, after %s" % (before, leftovers(d)))
        os.unlink(os.path.join(d, live))
        check("the new file loads", joblib.load(os.path.join(d, "dest.pkl")) == [1, 2])

        # a directory that cannot be written: an error, and nothing behind
        ro = os.path.join(d, "ro")
        os.mkdir(ro)
        os.chmod(ro, 0o555)
        rc, out, err = run(d, "SELECT joblib_dump(1, 'ro/x.pkl');\n")
        if os.geteuid() != 0:
            check("no write permission: a joblib: error", rc != 0 and "joblib:" in err, err)
            check("no write permission: nothing left", os.listdir(ro) == [], str(os.listdir(ro)))
        os.chmod(ro, 0o755)
        # root writes anywhere: an immutable directory (chattr +i) refuses
        # even root; where chattr cannot, /sys refuses file creation
        imm = os.path.join(d, "imm")
        os.mkdir(imm)
        joblib.dump(old, os.path.join(imm, "dest.pkl"))
        if subprocess.run(["chattr", "+i", imm], capture_output=True).returncode == 0:
            try:
                rc, out, err = run(d, "SELECT joblib_dump(json('[1]'), 'imm/dest.pkl');\n")
                check("no permission: a joblib: error naming the directory",
                      rc != 0 and "joblib:" in err and "imm" in err, err)
                with open(os.path.join(imm, "dest.pkl"), "rb") as f:
                    check("no permission: the old file is untouched", f.read() == old_bytes)
                check("no permission: nothing else left", os.listdir(imm) == ["dest.pkl"], str(os.listdir(imm)))
            finally:
                subprocess.run(["chattr", "-i", imm])
        else:
            rc, out, err = run(d, "SELECT joblib_dump(1, '/sys/jl_test_write_faults.pkl');\n")
            check("no permission (/sys): a joblib: error", rc != 0 and "joblib:" in err and "Permission denied" in err,
                  err)
            check("no permission (/sys): nothing left", not os.path.exists("/sys/jl_test_write_faults.pkl"))
        rc, out, err = run(d, "SELECT joblib_dump(1, 'missing/x.pkl');\n")
        check("missing directory: a joblib: error naming it", rc != 0 and "joblib:" in err and "missing" in err, err)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
