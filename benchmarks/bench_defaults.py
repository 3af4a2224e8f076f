"""Choose the defaults: cross-validated scores of a few depths and step sizes.

Prints one row per setting and data set (bundled with scikit-learn), with
sklearn's MLP (default settings, standardized input; on the regression set
also a standardized target, as SNNRegressor standardizes its own) as the
reference. Every model of a data set is scored on the same 5 folds. This is
an accuracy benchmark: the seconds printed are for orientation only. Run:
    python benchmarks/bench_defaults.py
    python benchmarks/bench_defaults.py --quick          # 2 depths, 1 step size
    python benchmarks/bench_defaults.py --data diabetes --models mlp
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
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
                dict(
                    hidden_layer_sizes=(100,) * depth,
                    n_ensembles=1,
                    learning_rate_init=rate,
                ),
            )


def mlp_reference(is_clf):
    """scikit-learn's MLP with its defaults on standardized input; the
    regressor's target standardized too (SNNRegressor does that itself)."""
    if is_clf:
        return make_pipeline(StandardScaler(), MLPClassifier(random_state=0))
    return TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
        transformer=StandardScaler(),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 depths, 1 step size")
    parser.add_argument(
        "--data", nargs="+", choices=list(DATASETS), default=list(DATASETS)
    )
    parser.add_argument(
        "--models", nargs="+", choices=["snn", "mlp"], default=["snn", "mlp"]
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{'data':<14} {'model':<24} {'score':>14} {'seconds':>8}")
    results = {}
    for data_name in args.data:
        load, is_clf = DATASETS[data_name]
        X, y = load(return_X_y=True)
        X = X.astype(np.float32)
        cv = (StratifiedKFold if is_clf else KFold)(5, shuffle=True, random_state=0)
        folds = list(cv.split(X, y))  # the same folds for every model
        SNN = SNNClassifier if is_clf else SNNRegressor
        rows = []
        if "snn" in args.models:
            rows += [
                (name, SNN(**params, random_state=0))
                for name, params in settings(args.quick)
            ]
        if "mlp" in args.models:
            rows.append(("sklearn MLP (scaled)", mlp_reference(is_clf)))
        for name, est in rows:
            start = time.perf_counter()
            scores = cross_val_score(est, X, y, cv=folds)
            took = time.perf_counter() - start
            mean, std = scores.mean(), scores.std()
            results[data_name, name] = (mean, std)
            print(
                f"{data_name:<14} {name:<24} {mean:.4f}+-{std:.3f} {took:8.1f}",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main()
