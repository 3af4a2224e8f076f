"""Choose the defaults: cross-validated scores of a few depths and step sizes.

Prints one row per setting and data set (bundled with scikit-learn), with
sklearn's MLP (default settings) as the reference. Run:
    python benchmarks/bench_defaults.py
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksnn import SNNClassifier, SNNRegressor

DATASETS = {
    "digits": (load_digits, True),
    "breast_cancer": (load_breast_cancer, True),
    "wine": (load_wine, True),
    "diabetes": (load_diabetes, False),
}


def settings(quick):
    depths = [2, 4] if quick else [1, 2, 4, 8, 20]
    rates = [1e-3] if quick else [1e-3, 3e-3]
    for depth in depths:
        for rate in rates:
            yield (
                f"SNN {depth}x100 lr={rate:g}",
                dict(hidden_layer_sizes=(100,) * depth, learning_rate_init=rate),
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{'data':<14} {'model':<24} {'score':>14} {'seconds':>8}")
    for data_name, (load, is_clf) in DATASETS.items():
        X, y = load(return_X_y=True)
        X = X.astype(np.float32)
        cv = (StratifiedKFold if is_clf else KFold)(5, shuffle=True, random_state=0)
        SNN, MLP = (
            (SNNClassifier, MLPClassifier) if is_clf else (SNNRegressor, MLPRegressor)
        )
        rows = [
            (name, SNN(**params, random_state=0))
            for name, params in settings(args.quick)
        ]
        rows.append(
            (
                "sklearn MLP (scaled)",
                make_pipeline(StandardScaler(), MLP(random_state=0)),
            )
        )
        for name, est in rows:
            start = time.perf_counter()
            scores = cross_val_score(est, X, y, cv=cv)
            took = time.perf_counter() - start
            mean, std = scores.mean(), scores.std()
            print(f"{data_name:<14} {name:<24} {mean:.4f}+-{std:.3f} {took:8.1f}")


if __name__ == "__main__":
    main()
