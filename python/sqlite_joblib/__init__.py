"""sqlite-joblib for Python's sqlite3: the SQLite extension that reads and
writes joblib bundles, packaged with its loadable module, and numpy arrays
out of bundles in one call.

    import sqlite3, sqlite_joblib
    conn = sqlite3.connect(":memory:")
    sqlite_joblib.load(conn)
    conn.execute("SELECT joblib_show('model.joblib')").fetchone()[0]
    coef = sqlite_joblib.array(conn, "model.joblib", "$.coef_")
"""
import json
import os
import re

__all__ = ["loadable_path", "load", "array"]
__version__ = "0.1.0"

_HERE = os.path.dirname(os.path.abspath(__file__))


def loadable_path():
    """The path of the packaged loadable module, joblib0.so, for
    conn.load_extension(), the sqlite3 shell's .load, or another binding.
    Its entry point sqlite3_joblib_init is derived from the file name."""
    return os.path.join(_HERE, "joblib0.so")


def load(conn):
    """Loads the extension into a sqlite3.Connection: enables extension
    loading, loads joblib0.so, and disables loading again (so SQL cannot
    load_extension() anything else)."""
    conn.enable_load_extension(True)
    try:
        conn.load_extension(loadable_path())
    finally:
        conn.enable_load_extension(False)


# '$["name"]' -> '$.name' for names joblib_info writes with a dot
_QUOTED_NAME = re.compile(r'\["([A-Za-z_][A-Za-z0-9_]*)"\]')


def _file_path(src):
    if isinstance(src, os.PathLike):
        src = os.fspath(src)
    return src if isinstance(src, str) else None


def array(conn, src, path="$"):
    """The numpy array at `path` of a bundle (or .npy/.npz file), with its
    dtype and shape, in one call.

    src is a file path (str or os.PathLike) or the bytes of a bundle;
    conn is a sqlite3.Connection the extension is loaded into (load(conn)).

    From an uncompressed file whose array joblib_info locates (`offset`),
    the array is a read-only numpy.memmap of the file itself: no copy, C or
    Fortran order as stored. Otherwise (compressed files, BLOBs, legacy
    sidecar bundles, .npz members, empty arrays, big-endian data on a
    little-endian machine) it comes from the BLOB joblib_load returns: a
    read-only array over it, C order. Either way the dtype is in native
    byte order, as joblib.load gives it.

    Raises ValueError when the path selects nothing and TypeError when it
    selects something that is not an ndarray (object arrays included)."""
    import numpy as np

    fname = _file_path(src)
    arg = fname if fname is not None else bytes(src)
    row = conn.execute("SELECT fullkey, type, dtype, shape FROM joblib_tree(?, ?) WHERE id = 0",
                       (arg, path)).fetchone()
    if row is None:
        raise ValueError("sqlite_joblib.array: %r selects nothing" % path)
    fullkey, kind, dtype, shape = row
    if kind != "ndarray":
        raise TypeError("sqlite_joblib.array: %s is a %s, not an ndarray" % (fullkey, kind))
    if dtype is None or dtype.endswith("O"):
        raise TypeError("sqlite_joblib.array: %s is an object array (dtype %s)" % (fullkey, dtype))
    shape = tuple(json.loads(shape))

    if fname is not None:
        mapped = _memmap(conn, fname, fullkey)
        if mapped is not None:
            return mapped
    blob = conn.execute("SELECT joblib_load(?, ?)", (arg, fullkey)).fetchone()[0]
    return np.frombuffer(blob, dtype=np.dtype(json.loads(dtype) if dtype.startswith("[") else dtype)
                         ).reshape(shape)


def _memmap(conn, fname, fullkey):
    """A read-only memmap of the array at fullkey in fname, or None when the
    array's bytes do not lie as they are in the file."""
    import numpy as np

    info = json.loads(conn.execute("SELECT joblib_info(?)", (fname,)).fetchone()[0])
    if info.get("compression") != "none" or info.get("format") not in ("joblib", "pickle", "npy"):
        return None
    want = _QUOTED_NAME.sub(r".\1", fullkey)
    for a in info.get("arrays", ()):
        if a.get("path") not in (fullkey, want):
            continue
        if "file" in a or "offset" not in a or not isinstance(a.get("dtype"), str) \
                or a.get("nbytes", 0) == 0 or a.get("order") not in ("C", "F"):
            return None
        dtype = np.dtype(a["dtype"])
        if not dtype.isnative:  # joblib.load gives native byte order: so do we
            return None
        return np.memmap(fname, dtype=dtype, mode="r", offset=a["offset"],
                         shape=tuple(a["shape"]), order=a["order"])
    return None
