"""Parallel search on one machine: GridSearchCV wall time, n_jobs=2 over n_jobs=1.

Each joblib (loky) worker limits TensorFlow's and XLA's thread pools to its
share of the cores, so two workers on two cores do not fight over them. A
ratio below 1 means the parallel search is faster. Run:
    python benchmarks/bench_n_jobs.py
"""

import argparse
import json
import os
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sksnn import SNNClassifier


def search_seconds(X, y, n_jobs, max_iter):
    search = GridSearchCV(
        SNNClassifier(
            hidden_layer_sizes=(128, 128, 128),
            n_ensembles=1,
            max_iter=max_iter,
            random_state=0,
        ),
        {
            "activation": ["selu", "relu"],
            "kernel_initializer": ["lecun_normal", "he_normal"],
        },
        cv=3,
        n_jobs=n_jobs,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return time.perf_counter() - start, search.cv_results_["mean_test_score"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--max-iter", type=int, default=8)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--quick", action="store_true", help="600 rows, 2 epochs: for the tests"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.max_iter = 600, 2
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(n_samples=args.samples, n_features=40, random_state=0)
    X = X.astype(np.float32)
    search_seconds(X[:300], y[:300], 2, 1)  # start the workers once
    one, scores_one = search_seconds(X, y, 1, args.max_iter)
    two, scores_two = search_seconds(X, y, 2, args.max_iter)
    result = {
        "cores": os.cpu_count(),
        "n_jobs_1_seconds": round(one, 2),
        "n_jobs_2_seconds": round(two, 2),
        "ratio_2_over_1": round(two / one, 3),
        "same_scores": bool(np.array_equal(scores_one, scores_two)),
    }
    for key, value in result.items():
        print(f"{key:<18} {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
