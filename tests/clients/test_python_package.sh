#!/usr/bin/env bash
# test_python_package.sh - the Python package sqlite_joblib (python/) as a
# user installs it: a fresh venv with --system-site-packages (Debian's numpy
# and joblib), `pip install --no-build-isolation --no-index` of a copy of
# python/ (offline: no PyPI), the module taken from this build tree
# (SQLITE_JOBLIB_MODULE=$JL_MODULE, see python/setup.py), then in `python -c`
# from a directory holding joblib0.so:
#   - import joblib and sqlite_joblib side by side; loadable_path(), load();
#   - array() of arrays joblib.dump wrote: uncompressed -> a read-only
#     numpy.memmap of the file (C and Fortran order), compressed, BLOB and
#     big-endian sources -> an ndarray; values, dtype and shape equal to
#     joblib.load's; errors for a missing path and a non-array.
#
# Environment (ctest): JL_MODULE, JL_PYTHON, JL_SOURCE_DIR, JL_VERSION,
# JL_PRELOAD. Exit status: 0 passed, 1 failed, 77 skipped (no venv or pip
# for this Python).
set -uo pipefail

module=${JL_MODULE:?JL_MODULE must name joblib0.so}
python=${JL_PYTHON:-/usr/bin/python3}
src=${JL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
version=${JL_VERSION:?JL_VERSION must be the project version}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$python" -m venv --system-site-packages "$tmp/venv" >"$tmp/venv.log" 2>&1; then
  echo "skip: $python -m venv failed (python3-venv missing?)"
  cat "$tmp/venv.log"
  exit 77
fi
if ! "$tmp/venv/bin/python" -m pip --version >/dev/null 2>&1; then
  echo "skip: no pip in the venv"
  exit 77
fi

cp -r "$src/python" "$tmp/pkg"
rm -rf "$tmp/pkg/build" "$tmp/pkg"/*.egg-info "$tmp/pkg/sqlite_joblib/joblib0.so"
if ! SQLITE_JOBLIB_MODULE="$module" PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
     "$tmp/venv/bin/python" -m pip install --no-build-isolation --no-index "$tmp/pkg" >"$tmp/pip.log" 2>&1; then
  echo "FAIL pip install"
  cat "$tmp/pip.log"
  exit 1
fi
echo "ok   pip install --no-build-isolation --no-index"

if [[ -n "${JL_PRELOAD:-}" ]]; then
  export LD_PRELOAD="$JL_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
  export ASAN_OPTIONS=detect_leaks=0
fi

mkdir "$tmp/cwd"
cp "$module" "$tmp/cwd/joblib0.so"   # must not shadow anything
cd "$tmp/cwd" && "$tmp/venv/bin/python" -c '
import os, sqlite3, sys
import joblib, numpy as np
import sqlite_joblib

failed = []
def check(name, got, want):
    if got == want:
        print("ok   " + name)
    else:
        print("FAIL %s\n     got:  %r\n     want: %r" % (name, got, want))
        failed.append(name)

venv = os.path.realpath(sys.argv[1])
check("joblib is the package", os.path.realpath(joblib.__file__).startswith(os.path.realpath("/usr/lib/python3")) or "site-packages" in joblib.__file__, True)
import importlib.metadata
check("package version", (sqlite_joblib.__version__, importlib.metadata.version("sqlite-joblib")),
      (sys.argv[2], sys.argv[2]))
path = sqlite_joblib.loadable_path()
check("loadable_path() in the venv", (os.path.realpath(path).startswith(venv), os.path.basename(path), os.path.isfile(path)),
      (True, "joblib0.so", True))

data = {"emb": np.arange(12, dtype="float32").reshape(4, 3),
        "fortran": np.asfortranarray(np.arange(6, dtype="int64").reshape(2, 3)),
        "big": np.arange(5, dtype=">f8"),
        "empty": np.zeros((0, 2)),
        "name": "demo"}
joblib.dump(data, "plain.pkl")
joblib.dump(data, "small.pkl.gz", compress=3)

conn = sqlite3.connect(":memory:")
sqlite_joblib.load(conn)
check("joblib_version", conn.execute("SELECT json_extract(joblib_version(), \"$.version\")").fetchone()[0], sys.argv[2])
try:
    conn.execute("SELECT load_extension(?)", (path,)).fetchone()
    check("load() disables loading again", "loaded", "not authorized")
except sqlite3.Error as e:
    check("load() disables loading again", "not authorized" in str(e), True)

want = joblib.load("plain.pkl")
def same(name, got, ref, kind):
    check(name, (type(got).__name__, str(got.dtype), got.shape, got.flags.writeable, got.tolist()),
          (kind, str(ref.dtype), ref.shape, False, ref.tolist()))

same("big-endian: native, from the BLOB", sqlite_joblib.array(conn, "plain.pkl", "$.big"), want["big"], "ndarray")
for key in ("emb", "fortran"):
    same("memmap %s" % key, sqlite_joblib.array(conn, "plain.pkl", "$." + key), want[key], "memmap")
a = sqlite_joblib.array(conn, "plain.pkl", "$.fortran")
check("memmap keeps Fortran order", a.flags.f_contiguous, True)
check("memmap maps the file", os.path.realpath(a.filename), os.path.realpath("plain.pkl"))
same("memmap via a quoted path", sqlite_joblib.array(conn, "plain.pkl", "$[\"emb\"]"), want["emb"], "memmap")
same("empty array", sqlite_joblib.array(conn, "plain.pkl", "$.empty"), want["empty"], "ndarray")

gz = joblib.load("small.pkl.gz")
for key in ("emb", "fortran"):
    same("compressed %s" % key, sqlite_joblib.array(conn, "small.pkl.gz", "$." + key), gz[key], "ndarray")
big = sqlite_joblib.array(conn, "small.pkl.gz", "$.big")
check("compressed big-endian: native values", (big.dtype == np.dtype("float64"), big.tolist()), (True, gz["big"].tolist()))
blob = open("plain.pkl", "rb").read()
same("from a BLOB", sqlite_joblib.array(conn, blob, "$.emb"), want["emb"], "ndarray")

npy = np.arange(8, dtype="uint16").reshape(2, 2, 2)
np.save("a.npy", npy)
same("npy file", sqlite_joblib.array(conn, "a.npy"), npy, "memmap")

for p, exc in (("$.nope", ValueError), ("$.name", TypeError)):
    try:
        sqlite_joblib.array(conn, "plain.pkl", p)
        check("error for " + p, "no error", exc.__name__)
    except exc:
        check("error for " + p, exc.__name__, exc.__name__)
print("%d failed" % len(failed))
sys.exit(1 if failed else 0)
' "$tmp/venv" "$version"
