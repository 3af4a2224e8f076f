"""The demo: ``python -m sksnn`` cross-validates an SNN on embedded data.

It trains on scikit-learn's bundled digits (1,797 8x8 images, 10 classes), so
it needs nothing beyond the base install and no network.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier

from sksnn import SNNClassifier


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksnn", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a small budget, for a smoke test"
    )
    parser.add_argument("--cv", type=int, default=3, help="number of CV folds")
    return parser.parse_args(argv)


def _cross_validate(name, estimator, X, y, cv):
    start = time.perf_counter()
    scores = cross_val_score(estimator, X, y, cv=cv)
    seconds = time.perf_counter() - start
    print(f"{name:<34} {scores.mean():.4f} +- {scores.std():.4f} {seconds:8.1f}")
    return scores


def main(argv=None):
    args = _parse_args(argv)
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    max_iter = 5 if args.quick else 100
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    print(f"digits: {X.shape[0]} samples, {X.shape[1]} features, 10 classes")
    print(f"{args.cv}-fold cross-validated accuracy, at most {max_iter} epochs\n")
    print(f"{'model':<34} {'accuracy':<15} {'seconds':>8}")
    _cross_validate(
        "SNN 8 x 100 (SELU, LeCun, Nadam)",
        SNNClassifier(hidden_layer_sizes=(100,) * 8, max_iter=max_iter, random_state=0),
        X,
        y,
        cv,
    )
    _cross_validate(
        "sklearn MLPClassifier 8 x 100",
        MLPClassifier(hidden_layer_sizes=(100,) * 8, max_iter=max_iter, random_state=0),
        X,
        y,
        cv,
    )


if __name__ == "__main__":
    main()
