#!/usr/bin/env python3
"""Fits a small scikit-learn model and dumps it with joblib, for sql/demo.sql:
a LogisticRegression on the iris data set that scikit-learn ships.
Usage: make_demo_model.py OUT.joblib"""
import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression


def main(out):
    X, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), out, compress=3)


if __name__ == "__main__":
    main(sys.argv[1])
