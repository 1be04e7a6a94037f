#!/usr/bin/env python3
"""sqlite-joblib from Python: the standard sqlite3 module with the extension
loaded, writing a bundle that joblib.load reads and reading one that
joblib.dump wrote.

    python3 example.py /path/to/joblib0.so

Needs a Python whose sqlite3 allows extensions (Debian's does) and, for
the round trip, numpy and joblib.
"""
import os
import sqlite3
import struct
import sys
import tempfile


def main():
    module = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JL_MODULE")
    if not module:
        sys.exit("usage: example.py /path/to/joblib0.so")
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(module)  # the entry point comes from the file name
    conn.enable_load_extension(False)

    (version,) = conn.execute("SELECT json_extract(joblib_version(), '$.version')").fetchone()
    print("sqlite-joblib", version)

    with tempfile.TemporaryDirectory() as tmp:
        # SQL writes a bundle ...
        path = os.path.join(tmp, "model.pkl")
        conn.execute(
            "SELECT joblib_dump(joblib_dict('coef', joblib_ndarray(?, '<f8', '[2, 2]'),"
            " 'name', 'demo', 'params', json(?)), ?)",
            (struct.pack("<4d", 1.0, 2.0, 3.0, 4.0), '{"alpha": 0.5, "fit": true}', path))
        print(conn.execute("SELECT joblib_show(?)", (path,)).fetchone()[0])

        # ... that joblib reads
        try:
            import joblib
        except ImportError:
            print("(joblib is not installed: skipping the Python side)")
            return
        model = joblib.load(path)
        print("joblib.load:", model["name"], model["coef"].tolist(), model["params"])

        # and joblib writes a bundle that SQL reads
        import numpy as np
        joblib.dump({"weights": np.arange(6, dtype=np.float32).reshape(2, 3), "labels": ["a", "b"]},
                    os.path.join(tmp, "dumped.pkl.xz"))
        rows = conn.execute("SELECT fullkey, type, dtype, shape FROM joblib_tree(?)",
                            (os.path.join(tmp, "dumped.pkl.xz"),)).fetchall()
        for row in rows:
            print(*(column for column in row if column is not None))
        (blob,) = conn.execute("SELECT joblib_load(?, '$.weights[1]')",
                               (os.path.join(tmp, "dumped.pkl.xz"),)).fetchone()
        print("row 1 of weights:", np.frombuffer(blob, dtype=np.float32).tolist())
    conn.close()


if __name__ == "__main__":
    main()
