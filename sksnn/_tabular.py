"""Raw tables in: categorical columns and missing values, encoded for the network.

``fit`` learns an ``Encoding`` of X's columns; it turns any X with those
columns into the float matrix that the network reads::

    [numeric columns | missing indicators | one-hot blocks | category codes]

Numeric and bool columns keep their values; a missing value becomes the
column's (weighted) training mean, and a column that had missing values in
fit gains an indicator column, 1 where the value is missing. A categorical
column of few levels becomes a one-hot block; one of many levels becomes one
code column: the row of its level in a learned embedding that the network's
first layer looks up (``_network.CategoryEmbedding``, ``_forward.embed``).
Code 0 is the slot of missing and unseen levels. The built-in StandardScaler
standardizes every column but the codes.

numpy and pandas only; polars frames are read column by column.
"""

import numbers

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils.validation import validate_data

# pandas' inferred types of an object column that hold numbers only.
_NUMBER_TYPES = ("integer", "floating", "mixed-integer-float", "decimal", "boolean")


class Encoding:
    """The fitted encoding of a table's columns (see the module docstring).

    Parameters
    ----------
    n_features : int
        Columns of X.
    numeric : ndarray of int
        Indices of the numeric (and bool) columns, in X's order.
    fill : ndarray of float
        The value of a missing entry, per numeric column.
    indicated : ndarray of int
        Positions in ``numeric`` of the columns that get a missing indicator.
    categorical : ndarray of int
        Indices of the categorical columns.
    levels : list of list
        The levels of each categorical column, in code order (codes start at 1).
    onehot : ndarray of bool
        Per categorical column: one-hot block (True) or embedding (False).
    missing_slot : ndarray of bool
        Per categorical column: whether its one-hot block has a column for
        missing and unseen levels (when fit saw missing values in it).
    names : list of str
        Column names for messages (``"column 3"`` without feature names).
    """

    def __init__(
        self, n_features, numeric, fill, indicated, categorical, levels, onehot,
        missing_slot, names,
    ):  # fmt: skip
        self.n_features = n_features
        self.numeric = np.asarray(numeric, dtype=np.intp)
        self.fill = np.asarray(fill, dtype=np.float64)
        self.indicated = np.asarray(indicated, dtype=np.intp)
        self.categorical = np.asarray(categorical, dtype=np.intp)
        self.levels = [list(column) for column in levels]
        self.onehot = np.asarray(onehot, dtype=bool)
        self.missing_slot = np.asarray(missing_slot, dtype=bool)
        self.names = list(names)
        self._index_levels()

    def _index_levels(self):
        self._indexes = [pd.Index(column, dtype=object) for column in self.levels]

    def __getstate__(self):
        # The indexes are rebuilt from the levels: pickles stay plain data,
        # which skops.io (that cannot store pandas objects) needs.
        state = self.__dict__.copy()
        del state["_indexes"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._index_levels()

    # -- the layout of the network's input ------------------------------------

    @property
    def is_identity(self):
        """Whether the encoded matrix is X itself (all numeric, no indicator)."""
        return self.categorical.size == 0 and self.indicated.size == 0

    @property
    def n_dense(self):
        """Columns before the codes: numbers, indicators and one-hot blocks."""
        widths = [
            len(levels) + slot
            for levels, hot, slot in zip(self.levels, self.onehot, self.missing_slot)
            if hot
        ]
        return self.numeric.size + self.indicated.size + sum(widths)

    @property
    def embedding_sizes(self):
        """Rows of each embedded column's table: its levels and slot 0."""
        return [len(lv) + 1 for lv, hot in zip(self.levels, self.onehot) if not hot]

    @property
    def n_inputs(self):
        """Width of the encoded matrix."""
        return self.n_dense + len(self.embedding_sizes)

    # -- encoding ------------------------------------------------------------------

    def transform(self, table, dtype):
        """The encoded matrix of a ``Table`` read with this encoding's columns."""
        numbers = table.numbers
        missing = np.isnan(numbers) if self.fill.size else None
        if missing is not None and missing.any():
            numbers = np.where(missing, self.fill.astype(numbers.dtype), numbers)
        if self.is_identity:
            return numbers.astype(dtype, copy=False)
        blocks = [numbers, missing[:, self.indicated]] if missing is not None else []
        codes = [self._codes(i, values) for i, values in enumerate(table.categories)]
        for code, hot, slot, levels in zip(
            codes, self.onehot, self.missing_slot, self.levels
        ):
            if hot:
                # Code 0 (missing, unseen) is the slot's column or all zeros.
                eye = np.eye(len(levels) + 1, dtype=dtype)[:, 1 - int(slot) :]
                blocks.append(eye[code])
        blocks += [code[:, None] for code, hot in zip(codes, self.onehot) if not hot]
        n_rows = table.n_rows
        blocks = [b.astype(dtype, copy=False).reshape(n_rows, -1) for b in blocks]
        return np.hstack(blocks) if blocks else np.empty((n_rows, 0), dtype)

    def _codes(self, i, values):
        """Codes of one categorical column: 1 + the level's index, 0 if unknown."""
        try:
            return self._indexes[i].get_indexer(values) + 1
        except TypeError as error:  # unhashable values
            raise _unhashable(self.names[self.categorical[i]], error) from None

    # -- persistence ---------------------------------------------------------------

    def to_document(self):
        """The encoding as JSON-ready values (levels must be str, int, float, bool)."""
        for j, levels in zip(self.categorical, self.levels):
            odd = [lv for lv in levels if not isinstance(lv, str | numbers.Real)]
            if odd:
                raise TypeError(
                    f"The levels of categorical {self.names[j]} include "
                    f"{odd[0]!r} of type {type(odd[0]).__name__}, which cannot be "
                    "saved; convert the column to strings (astype(str)) before "
                    "fit, or pickle the estimator instead."
                )
        return {
            "n_features": self.n_features,
            "numeric": self.numeric.tolist(),
            "fill": self.fill.tolist(),
            "indicated": self.indicated.tolist(),
            "categorical": self.categorical.tolist(),
            "levels": [[_plain(lv) for lv in levels] for levels in self.levels],
            "onehot": self.onehot.tolist(),
            "missing_slot": self.missing_slot.tolist(),
            "names": self.names,
        }

    @classmethod
    def from_document(cls, document):
        return cls(**document)


def identity(n_features, fill):
    """The encoding of all-numeric X without missing values in fit.

    What estimators saved or pickled before categorical support hold.
    """
    return Encoding(
        n_features, np.arange(n_features), fill, [], [], [], [], [],
        [f"column {j}" for j in range(n_features)],
    )  # fmt: skip


def _plain(level):
    return level.item() if isinstance(level, np.generic) else level


class Table:
    """X read column by column: numbers as one float matrix, categories apart.

    Attributes
    ----------
    numbers : ndarray of shape (n_rows, n_numeric)
        The numeric and bool columns, missing values as NaN.
    categories : list of array-like
        The values of each categorical column (missing as NaN or None).
    mask : ndarray of bool or None
        Which of X's columns are categorical; None when none is.
    names : list of str
        X's column names, for messages (``"column 3"`` without names).
    """

    def __init__(self, numbers, categories, mask, names):
        self.numbers, self.categories = numbers, categories
        self.mask, self.names = mask, names
        self.n_rows = numbers.shape[0]

    def check_finite(self):
        """Refuse infinite numbers, naming the first column that holds one."""
        numbers = self.numbers
        if (
            not numbers.size
            or np.isfinite(numbers.sum())
            or not np.isinf(numbers).any()
        ):
            return
        j = int(np.flatnonzero(np.isinf(numbers).any(axis=0))[0])
        row = int(np.flatnonzero(np.isinf(numbers[:, j]))[0])
        name = self.names[np.flatnonzero(~self._full_mask())[j]]
        raise ValueError(
            f"{_title(name)} holds an infinite value (row {row}). sksnn accepts "
            "missing values (NaN) but not infinities: replace them, e.g. with "
            "NaN, or clip them."
        )

    def _full_mask(self):
        if self.mask is None:
            return np.zeros(len(self.names), dtype=bool)
        return self.mask


# -- reading X -------------------------------------------------------------------


def is_frame(X):
    """Whether X is a pandas or polars DataFrame."""
    return isinstance(X, pd.DataFrame) or type(X).__module__.startswith("polars")


def _frame_columns(X):
    """``[(name, values, kind)]``; kind is 'number', 'category' or 'text'."""
    if isinstance(X, pd.DataFrame):
        columns = [_pandas_column(str(name), X.iloc[:, j]) for j, name in enumerate(X)]
    else:
        columns = [_polars_column(X.get_column(name)) for name in X.columns]
    # Text columns that hold numbers only (numbers stored as objects) are numbers.
    return [
        (name, _as_numbers(name, values, kind), "number")
        if kind == "text" and _holds_numbers(values)
        else (name, values, kind)
        for name, values, kind in columns
    ]


def _pandas_column(name, series):
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return name, series.array, "category"
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(f"Column {name!r} holds complex numbers; sksnn needs reals.")
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return name, series.to_numpy(dtype=np.float64, na_value=np.nan), "number"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return name, series.to_numpy(dtype=object), "text"
    raise TypeError(
        f"Column {name!r} has dtype {dtype}, which sksnn cannot use as a feature. "
        "Convert it to numbers (for dates, e.g. .dt.year or .dt.dayofyear) or "
        "to a category, or drop it."
    )


def _polars_column(series):
    name, dtype = series.name, series.dtype
    kind = dtype.__name__ if isinstance(dtype, type) else type(dtype).__name__
    if kind in ("Categorical", "Enum"):
        return name, pd.Categorical(series.to_list()), "category"
    if kind in ("String", "Utf8", "Object"):
        return name, np.asarray(series.to_list(), dtype=object), "text"
    if kind == "Boolean" or dtype.is_numeric():
        return name, series.cast(float).to_numpy().astype(np.float64), "number"
    raise TypeError(
        f"Column {name!r} has dtype {dtype}, which sksnn cannot use as a feature. "
        "Convert it to numbers or to a category, or drop it."
    )


def _holds_numbers(values):
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("mixed", "mixed-integer"):  # e.g. ints with Decimals
        present = [v for v in values if not pd.isna(v)]
        return all(isinstance(v, numbers.Number | bool) for v in present) and not any(
            isinstance(v, complex) for v in present
        )
    return kind in _NUMBER_TYPES


def categorical_mask(categorical_features, n_features, kinds=None, columns=None):
    """HistGradientBoosting's ``categorical_features`` as a boolean mask, or None.

    ``kinds`` are the column kinds and ``columns`` the column names of a
    frame; both are None for an array.
    """
    if categorical_features is None:
        return None
    if isinstance(categorical_features, str):  # 'from_dtype'
        if kinds is None:
            return None
        mask = np.array([kind != "number" for kind in kinds], dtype=bool)
        return mask if mask.any() else None
    features = np.asarray(categorical_features)
    if features.size == 0:
        return None
    if features.dtype.kind == "b":
        if features.shape != (n_features,):
            raise ValueError(
                "categorical_features as a boolean mask must have one entry per "
                f"feature ({n_features}); got shape {features.shape}."
            )
        return features.copy() if features.any() else None
    mask = np.zeros(n_features, dtype=bool)
    if features.dtype.kind in "iu" and features.ndim == 1:
        bad = features[(features < 0) | (features >= n_features)]
        if bad.size:
            raise ValueError(
                f"categorical_features holds the index {bad[0]}, outside the "
                f"{n_features} features of X (0 to {n_features - 1})."
            )
        mask[features] = True
        return mask
    if features.ndim == 1 and all(isinstance(f, str) for f in features):
        if columns is None:
            raise ValueError(
                "categorical_features names columns, but X has no column names; "
                "pass a DataFrame, or give the columns as integer indices or a "
                "boolean mask."
            )
        for feature in features:
            if feature not in columns:
                raise ValueError(
                    f"categorical_features names the column {feature!r}, which X "
                    f"does not have. X's columns: {columns}."
                )
            mask[columns.index(feature)] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, or an array-like of "
        f"bool, int or str; got {categorical_features!r}."
    )


def read(estimator, X, *, reset, categorical_features=None, mask=None):
    """Validate X's shape and names, and read it as a ``Table``.

    With ``reset=True`` (fit) the categorical columns follow
    ``categorical_features``; otherwise they are ``mask``, the fitted ones.
    Arrays without categorical columns go through scikit-learn's
    ``validate_data`` whole; DataFrames and arrays with categorical columns
    are read column by column. Infinite numbers raise a ValueError naming
    their column.
    """
    from sksnn._data import validate

    if sparse.issparse(X):
        # The first layer is dense: a sparse X (the output of OneHotEncoder
        # or ColumnTransformer) is read as the dense array it stands for.
        X = X.toarray()
    frame = is_frame(X)
    if reset:  # an array has categorical columns only when told which
        listed = not (
            categorical_features is None or isinstance(categorical_features, str)
        )
    else:
        listed = mask is not None
    if not frame and not listed:
        numbers = validate(
            estimator,
            X,
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,  # NaN is missing; check_finite names infinities
        )
        table = Table(numbers, [], None, column_names(estimator, numbers.shape[1]))
        table.check_finite()
        return table
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    if frame:
        columns = _frame_columns(X)
    else:
        array = np.asarray(X, dtype=object)
        if array.ndim != 2:
            raise ValueError(
                f"Expected a 2D array, got an array of shape {array.shape}: "
                "reshape it, e.g. with X.reshape(-1, 1) for a single feature."
            )
        columns = [(None, array[:, j], "text") for j in range(array.shape[1])]
    names = column_names(estimator, len(columns))
    n_rows = len(columns[0][1]) if columns else 0
    if n_rows == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape=({n_rows}, {len(columns)})) "
            f"while a minimum of 1 is required by {type(estimator).__name__}."
        )
    if reset:
        mask = categorical_mask(
            categorical_features,
            len(columns),
            [kind for _, _, kind in columns] if frame else None,
            list(X.columns) if frame else None,
        )
    categorical = np.zeros(len(columns), dtype=bool) if mask is None else mask
    numbers = [
        _as_numbers(name, values, kind)
        for name, (_, values, kind), is_cat in zip(names, columns, categorical)
        if not is_cat
    ]
    categories = [
        values for (_, values, _), is_cat in zip(columns, categorical) if is_cat
    ]
    matrix = np.column_stack(numbers) if numbers else np.empty((n_rows, 0))
    table = Table(matrix, categories, mask, names)
    table.check_finite()
    return table


def _as_numbers(name, values, kind):
    """A non-categorical column as floats, or an error that names it."""
    if kind == "number":
        return values
    values = np.asarray(values, dtype=object)
    try:
        return pd.to_numeric(pd.Series(values, dtype=object)).to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError):
        text = next(
            (v for v in values if not isinstance(v, numbers.Real) and pd.notna(v)),
            None,
        )
        raise ValueError(
            f"{_title(name)} is not categorical but holds values that are not "
            f"numbers (e.g. {text!r}). Add it to categorical_features (or give "
            "it a category dtype and keep categorical_features='from_dtype'), "
            "or convert it to numbers."
        ) from None


def column_names(estimator, n_features):
    """X's columns as messages name them: ``"column 'age'"``, or ``"column 3"``."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [f"column {str(name)!r}" for name in names]
    return [f"column {j}" for j in range(n_features)]


def _title(name):
    return name[0].upper() + name[1:]


# -- fitting ---------------------------------------------------------------------


def fit(table, mask, sample_weight, *, max_onehot_levels, names):
    """Learn the ``Encoding`` of ``table``, whose categorical columns ``mask`` marks."""
    n_features = len(names)
    mask = np.zeros(n_features, dtype=bool) if mask is None else mask
    numeric, categorical = np.flatnonzero(~mask), np.flatnonzero(mask)
    numbers = table.numbers
    missing = np.isnan(numbers)
    # The weighted mean of the values seen (0 for a column of missing values
    # only, or whose rows seen all weigh 0).
    if missing.any():
        seen = np.where(missing, 0.0, sample_weight[:, None])
        values, total = np.where(missing, 0.0, numbers), seen.sum(axis=0)
        sums = (values * seen).sum(axis=0)
    else:  # no temporary of X's size
        total = np.full(numbers.shape[1], sample_weight.sum())
        sums = sample_weight @ numbers
    fill = np.divide(sums, total, out=np.zeros_like(total), where=total > 0)
    levels, slots = [], []
    for j, values in zip(categorical, table.categories):
        levels.append(_levels(names[j], values, table.n_rows))
        slots.append(bool(pd.isna(values).any()))
    onehot = [len(lv) + slot <= max_onehot_levels for lv, slot in zip(levels, slots)]
    return Encoding(
        n_features,
        numeric,
        fill,
        np.flatnonzero(missing.any(axis=0)),
        categorical,
        levels,
        onehot,
        slots,
        names,
    )


def _levels(name, values, n_rows):
    """The levels seen in a categorical column: in its dtype's order, or sorted.

    A level that fit does not see is unknown, as a missing value is: a
    category declared by the dtype but absent from the training rows gets no
    weights of its own that training never updates.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.array
    if isinstance(values, pd.Categorical):
        declared = values.categories
        if len(declared) > n_rows:
            raise ValueError(
                f"Categorical {name} declares {len(declared)} categories, "
                f"more than the {n_rows} rows of X: too few rows to learn them "
                "from. Drop unused ones (X[col].cat.remove_unused_categories()), "
                "group rare ones, or drop the column."
            )
        return list(declared[np.unique(values.codes[values.codes >= 0])])
    try:
        seen = pd.unique(pd.Series(values, dtype=object).dropna())
    except TypeError as error:
        raise _unhashable(name, error) from None
    try:
        return sorted(seen)
    except TypeError:  # mixed types: a stable order all the same
        return sorted(seen, key=lambda v: (type(v).__name__, repr(v)))


def _unhashable(name, error):
    return TypeError(
        f"Categorical {name} holds unhashable values ({error}); its "
        "levels must be strings, numbers or other hashable values."
    )
