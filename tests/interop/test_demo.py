#!/usr/bin/env python3
"""Runs sql/demo.sql as scripts/demo does (seed.pkl and a scikit-learn model
made on the spot by real joblib), and checks what it prints: the seed's
tree, its values and the model's arrays.
Prints 'N passed, N failed'."""
import os
import subprocess
import sys
import tempfile


def main():
    src = os.environ.get("JL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
    module = os.environ["JL_MODULE"]
    py = os.environ.get("JL_PYTHON", "/usr/bin/python3")
    checks = []
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([py, "-P", "-c", "import joblib, numpy as np; "
                        "joblib.dump([('a',[1,2,3]),('b',np.arange(10))], 'seed.pkl')"], cwd=d, check=True)
        subprocess.run([py, "-P", os.path.join(src, "sql", "make_demo_model.py"), "model.joblib"], cwd=d, check=True)
        env = dict(os.environ)
        if env.get("JL_PRELOAD"):
            env["LD_PRELOAD"] = env["JL_PRELOAD"]
        with open(os.path.join(src, "sql", "demo.sql"), encoding="utf-8") as f:
            r = subprocess.run([os.environ.get("JL_SQLITE3", "sqlite3"), "-bail", "-init", "/dev/null", ":memory:",
                                "-cmd", ".load " + module], stdin=f, cwd=d, capture_output=True, text=True, env=env)
    out = r.stdout
    checks.append(("exit status 0", r.returncode == 0))
    checks.append(("nothing on stderr", r.stderr == ""))
    checks.append(("joblib_info of the seed", 'joblib_info: {"format":"joblib","compression":"none","protocol":4' in out))
    checks.append(("joblib_show of the seed", "└── [1]: ndarray <i8 (10,) = [0, 1, 2, …, 7, 8, 9]" in out))
    checks.append(("sum of the array", "│ 45                   │" in out))
    checks.append(("model at a glance", "$: object sklearn.linear_model._logistic.LogisticRegression" in out))
    checks.append(("model arrays", "│ $.coef_      │ <f8   │ [3,4] │" in out))
    passed = sum(1 for _, ok in checks if ok)
    for name, ok in checks:
        print("%s %s" % ("ok  " if ok else "FAIL", name))
    if passed != len(checks):
        print(out)
        print(r.stderr)
    print("%d passed, %d failed" % (passed, len(checks) - passed))
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
