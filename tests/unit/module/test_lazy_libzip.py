#!/usr/bin/env python3
"""test_lazy_libzip.py - joblib0.so loads libzip only for .npz input
(codec/io/zipload.c): the module's DT_NEEDED entries name neither libzip
nor libcrypto (read with readelf -d or objdump -p; that part skips when
neither tool is installed), loading the module into Python's sqlite3 does
not map libzip into the process, and reading an .npz (stored and deflated
members, made here with zipfile) still works and then has libzip mapped.
A build without libzip ($JL_HAVE_LIBZIP=0) says "this build has no zip
support" instead.

Run by ctest (unit.module_lazy_libzip) with JL_MODULE set; exit 77 when
nothing could be checked. Python 3 standard library only.
"""
import io
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile

SKIP = 77
MODULE = os.environ.get("JL_MODULE", "build/joblib0.so")
HAVE_LIBZIP = os.environ.get("JL_HAVE_LIBZIP", "1") not in ("0", "", "OFF", "FALSE")
failed = []
checked = 0


def check(cond, what):
    global checked
    checked += 1
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failed.append(what)


def preload():
    """Under sanitizers the module loads only after the ASan runtime."""
    rt = os.environ.get("JL_PRELOAD")
    if rt and rt not in os.environ.get("LD_PRELOAD", ""):
        env = dict(os.environ, LD_PRELOAD=(rt + " " + os.environ.get("LD_PRELOAD", "")).strip(),
                   ASAN_OPTIONS="detect_leaks=0")
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def needed(path):
    """The DT_NEEDED sonames of path, or None when no tool reads them."""
    for tool, arg, pattern in (("readelf", "-d", r"\(NEEDED\).*\[([^\]]+)\]"),
                               ("objdump", "-p", r"^\s*NEEDED\s+(\S+)")):
        exe = shutil.which(tool)
        if not exe:
            continue
        out = subprocess.run([exe, arg, path], check=True, capture_output=True, text=True).stdout
        return tool, re.findall(pattern, out, re.M)
    return None


def mapped(word):
    """1 when a file whose name holds word is mapped into this process,
    None when /proc/self/maps cannot be read."""
    try:
        with open("/proc/self/maps") as f:
            return any(word in line for line in f)
    except OSError:
        return None


def npy(values):
    """A .npy file (format 1.0) of a little-endian int64 vector."""
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    header += " " * (63 - (10 + len(header) + 1) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")
            + struct.pack("<%dq" % len(values), *values))


def npz():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("a.npy"), npy([1, 2, 3]))  # stored
        z.writestr("b.npy", npy([-4, 5]), compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def main():
    preload()
    if not os.path.exists(MODULE):
        print("FAIL the module %s does not exist (build it first)" % MODULE)
        return 1

    found = needed(MODULE)
    if found is None:
        print("skip DT_NEEDED: neither readelf nor objdump is installed")
    else:
        tool, libs = found
        check(bool(libs), "%s lists the module's DT_NEEDED: %s" % (tool, ", ".join(libs)))
        check(not any("libzip" in n for n in libs), "libzip is not in DT_NEEDED (loaded at the first .npz)")
        check(not any("libcrypto" in n for n in libs), "libcrypto is not in DT_NEEDED")

    before = mapped("libzip")  # True already: something else loaded it; nothing to learn
    conn = sqlite3.connect(":memory:")
    if not hasattr(conn, "enable_load_extension"):
        print("skip loading: this Python's sqlite3 cannot load extensions (use /usr/bin/python3)")
        print("%d checked, %d failed" % (checked, len(failed)))
        return 1 if failed else (0 if checked else SKIP)
    conn.enable_load_extension(True)
    conn.load_extension(MODULE)
    conn.enable_load_extension(False)
    if before is False:
        check(mapped("libzip") is False, "loading the module does not map libzip")
    check(conn.execute("SELECT joblib_load(?, '$')", (npy([7, 8]),)).fetchone()[0] == struct.pack("=2q", 7, 8),
          "a .npy BLOB reads without libzip")
    if before is False:
        check(mapped("libzip") is False, "reading a .npy does not map libzip")

    data = npz()
    if HAVE_LIBZIP:
        got = conn.execute("SELECT joblib_load(?, '$.a'), joblib_load(?, '$.b')", (data, data)).fetchone()
        check(got == (struct.pack("=3q", 1, 2, 3), struct.pack("=2q", -4, 5)),
              "an .npz BLOB reads (stored and deflated members)")
        keys = [r[0] for r in conn.execute("SELECT key FROM joblib_each(?)", (data,))]
        check(keys == ["a", "b"], "its keys in archive order: %s" % keys)
        if before is False:
            check(mapped("libzip") is True, "the first .npz mapped libzip")
    else:
        try:
            conn.execute("SELECT joblib_load(?)", (data,)).fetchone()
            check(False, "an .npz in a build without libzip fails")
        except sqlite3.Error as e:
            check("this build has no zip support" in str(e), "no zip support: %s" % e)

    print("%d checked, %d failed" % (checked, len(failed)))
    return 1 if failed else (0 if checked else SKIP)


if __name__ == "__main__":
    sys.exit(main())
