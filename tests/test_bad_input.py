"""Bad input at every public entry point gets a clear ValueError or TypeError."""

import io
import json
import zipfile

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.exceptions import NotFittedError

import sksnn
from sksnn import SNNClassifier, SNNRegressor

X, Y = load_iris(return_X_y=True)
TINY = dict(hidden_layer_sizes=(4,), max_iter=2)
FITTED = {}


def fitted(kind):
    """A fitted classifier, regressor or batch-norm classifier, shared by cases."""
    if kind not in FITTED:
        estimator = {
            "clf": SNNClassifier(**TINY),
            "reg": SNNRegressor(**TINY),
            "batch_norm": SNNClassifier(**TINY, batch_norm=True),
        }[kind]
        FITTED[kind] = estimator.fit(X, X[:, 0] if kind == "reg" else Y)
    return FITTED[kind]


def multilabel():
    return make_multilabel_classification(n_samples=50, n_classes=3, random_state=0)


def with_value(value, row=0, col=0, dtype=float):
    bad = X.astype(dtype)
    bad[row, col] = value
    return bad


def y_with(value):
    bad = X[:, 0].copy()
    bad[3] = value
    return bad


def strings():
    return with_value("red", dtype=object)


# (id, call, exception, message fragment): each call is one bad input.
CASES = [
    # -- fit -----------------------------------------------------------------
    (
        "fit-inf-X",
        lambda: SNNRegressor(**TINY).fit(with_value(np.inf), Y),
        ValueError,
        "Column 0 holds an infinite value (row 0). sksnn accepts missing values",
    ),
    (
        "fit-nan-y",
        lambda: SNNRegressor(**TINY).fit(X, y_with(np.nan)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "fit-inf-y",
        lambda: SNNRegressor(**TINY).fit(X, y_with(np.inf)),
        ValueError,
        "Input y contains infinity",
    ),
    (
        "fit-nan-label",
        lambda: SNNClassifier(**TINY).fit(X, y_with(np.nan)),
        ValueError,
        "Input y contains NaN",
    ),
    (
        "fit-empty-X",
        lambda: SNNClassifier(**TINY).fit(X[:0], Y[:0]),
        ValueError,
        "Found array with 0 sample",
    ),
    (
        "fit-1d-X",
        lambda: SNNClassifier(**TINY).fit(X[:, 0], Y),
        ValueError,
        "Expected 2D array, got 1D array",
    ),
    (
        "fit-3d-X",
        lambda: SNNClassifier(**TINY).fit(X.reshape(150, 2, 2), Y),
        ValueError,
        "Found array with dim 3",
    ),
    (
        "fit-string-features",
        lambda: SNNClassifier(**TINY).fit(strings(), Y),
        ValueError,
        "or list them in categorical_features",
    ),
    (
        "fit-complex-features",
        lambda: SNNClassifier(**TINY).fit(X + 1j, Y),
        ValueError,
        "Complex data not supported",
    ),
    (
        "fit-continuous-labels",
        lambda: SNNClassifier(**TINY).fit(X, X[:, 0]),
        ValueError,
        "Unknown label type: continuous",
    ),
    (
        "fit-length-mismatch",
        lambda: SNNClassifier(**TINY).fit(X, Y[:100]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "fit-weight-length",
        lambda: SNNClassifier(**TINY).fit(X, Y, np.ones(10)),
        ValueError,
        "sample_weight.shape == (10,), expected (150,)",
    ),
    (
        "fit-negative-weight",
        lambda: SNNClassifier(**TINY).fit(X, Y, -np.ones(150)),
        ValueError,
        "Negative values in data passed to `sample_weight`",
    ),
    (
        "fit-zero-weights",
        lambda: SNNClassifier(**TINY).fit(X, Y, np.zeros(150)),
        ValueError,
        "Sample weights must contain at least one non-zero number",
    ),
    (
        "fit-huge-X",
        lambda: SNNClassifier(**TINY).fit(X * 1e200, Y),
        ValueError,
        "X holds values too large to standardize in float64",
    ),
    (
        "fit-huge-y",
        lambda: SNNRegressor(**TINY).fit(X, X[:, 0] * 1e200),
        ValueError,
        "y holds values too large to standardize in float64",
    ),
    (
        "fit-int-overflow",
        lambda: SNNClassifier(**TINY).fit([[10**400] * 4] * 150, Y),
        ValueError,
        "int too large to convert to float",
    ),
    (
        "fit-empty-hidden",
        lambda: SNNClassifier(hidden_layer_sizes=()).fit(X, Y),
        ValueError,
        "hidden_layer_sizes must be a positive int or a non-empty",
    ),
    (
        "fit-zero-width",
        lambda: SNNClassifier(hidden_layer_sizes=(8, 0)).fit(X, Y),
        ValueError,
        "hidden_layer_sizes must be a positive int or a non-empty",
    ),
    (
        "fit-bad-param",
        lambda: SNNRegressor(dropout=1.0).fit(X, Y),
        ValueError,
        "The 'dropout' parameter of SNNRegressor must be",
    ),
    (
        "fit-class-weight-multilabel",
        lambda: SNNClassifier(**TINY, class_weight={0: 2.0}).fit(*multilabel()),
        ValueError,
        "class_weight is not supported for multilabel targets; pass sample_weight "
        "instead.",
    ),
    (
        "fit-zero-class-weights",
        lambda: SNNClassifier(**TINY, class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, Y),
        ValueError,
        "sample_weight must be finite and give at least one training sample a "
        "positive weight; got weights summing to 0.0.",
    ),
    (
        "fit-weights-overflow",
        # Finite float32 weights whose float32 sum overflows.
        lambda: SNNClassifier(**TINY).fit(
            X.astype(np.float32), Y, np.full(150, 3e38, dtype=np.float32)
        ),
        ValueError,
        "sample_weight must be finite and give at least one training sample a "
        "positive weight; got weights summing to inf.",
    ),
    (
        # Each unit's first pre-activation overflows: no weights give finite
        # outputs, not even the initial ones.
        "fit-diverged-from-the-start",
        lambda: SNNClassifier(
            hidden_layer_sizes=(64,),
            standardize=False,
            max_iter=2,
            early_stopping=False,  # equal rows: no validation split either
            random_state=0,
        ).fit(np.full((150, 4), 1.7e308), Y),
        ValueError,
        "Training diverged at epoch 1, and no weights of the last two epochs give "
        "finite outputs. Lower learning_rate_init",
    ),
    (
        "warm-start-n-outputs",
        lambda: SNNRegressor(**TINY, warm_start=True).fit(X, X[:, 0]).fit(X, X[:, :2]),
        ValueError,
        "y has 2 outputs, but the fitted network has 1. Set warm_start=False to "
        "train a new network.",
    ),
    # -- partial_fit -----------------------------------------------------------
    (
        "partial-fit-no-classes",
        lambda: SNNClassifier(**TINY).partial_fit(X, Y),
        ValueError,
        "classes must be passed on the first call to partial_fit",
    ),
    (
        "partial-fit-n-features",
        lambda: SNNRegressor(**TINY).partial_fit(X, Y).partial_fit(X[:, :3], Y),
        ValueError,
        "X has 3 features, but SNNRegressor is expecting 4 features as input",
    ),
    (
        "partial-fit-n-outputs",
        lambda: SNNRegressor(**TINY).partial_fit(X, X[:, 0]).partial_fit(X, X[:, :2]),
        ValueError,
        "y has 2 outputs, but the fitted network has 1.",
    ),
    (
        "partial-fit-unseen-label",
        lambda: (
            SNNClassifier(**TINY)
            .partial_fit(X, Y, classes=[0, 1, 2])
            .partial_fit(X, Y + 1)
        ),
        ValueError,
        "y holds labels [3] that the fitted classes [0, 1, 2] do not include",
    ),
    # -- predict, predict_proba, score ------------------------------------------
    (
        "predict-unfitted",
        lambda: SNNClassifier().predict(X),
        NotFittedError,
        "This SNNClassifier instance is not fitted yet",
    ),
    (
        "predict-n-features",
        lambda: fitted("clf").predict(X[:, :3]),
        ValueError,
        "X has 3 features, but SNNClassifier is expecting 4",
    ),
    (
        "predict-1d",
        lambda: fitted("clf").predict(X[0]),
        ValueError,
        "Expected 2D array, got 1D array",
    ),
    (
        "predict-3d",
        lambda: fitted("reg").predict(X.reshape(150, 2, 2)),
        ValueError,
        "Found array with dim 3",
    ),
    (
        "predict-empty",
        lambda: fitted("reg").predict(X[:0]),
        ValueError,
        "Found array with 0 sample",
    ),
    (
        "predict-strings",
        lambda: fitted("clf").predict(strings()),
        ValueError,
        "or list them in categorical_features",
    ),
    (
        "predict-proba-inf",
        lambda: fitted("clf").predict_proba(with_value(np.inf)),
        ValueError,
        "Column 0 holds an infinite value (row 0)",
    ),
    (
        "predict-proba-complex",
        lambda: fitted("clf").predict_proba(X + 1j),
        ValueError,
        "Complex data not supported",
    ),
    (
        "score-length-mismatch",
        lambda: fitted("reg").score(X, X[:10, 0]),
        ValueError,
        "inconsistent numbers of samples",
    ),
    (
        "score-nan-y",
        lambda: fitted("reg").score(X, y_with(np.nan)),
        ValueError,
        "Input contains NaN",
    ),
    # -- layer_statistics --------------------------------------------------------
    (
        "layer-statistics-gradient-batch-norm",
        lambda: sksnn.layer_statistics(fitted("batch_norm"), X, Y),
        ValueError,
        "layer_statistics computes gradient norms for networks without batch "
        "normalization; call it without y for batch_norm=True.",
    ),
    (
        # Unfitted: layer_statistics draws the initial weights from random_state.
        "layer-statistics-bad-random-state",
        lambda: sksnn.layer_statistics(SNNClassifier(random_state="0"), X),
        ValueError,
        "random_state must be None, an int or a numpy RandomState; got '0'.",
    ),
]


@pytest.mark.parametrize(
    "call, exception, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_gets_a_clear_error(call, exception, message):
    """A bad input raises the expected error, whose message names the problem."""
    with pytest.raises(exception) as info:
        call()
    assert message in str(info.value)
    assert "keras" not in type(info.value).__module__
    assert "tensorflow" not in type(info.value).__module__


def edited_file(folder, document=None, drop=()):
    """Save a fitted classifier, then rewrite its model.json or drop arrays."""
    path = folder / "model.sksnn"
    fitted("clf").save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    saved = json.loads(members["model.json"])
    members["model.json"] = json.dumps({**saved, **(document or {})})
    arrays = np.load(io.BytesIO(members["arrays.npz"]))
    buffer = io.BytesIO()
    np.savez(buffer, **{k: arrays[k] for k in arrays.files if k not in drop})
    members["arrays.npz"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# (id, call(folder), exception, message fragment): save and load in a folder.
FILE_CASES = [
    (
        "save-unrepresentable-param",
        lambda folder: (
            SNNClassifier(hidden_layer_sizes=range(4, 6), max_iter=2)
            .fit(X, Y)
            .save(folder / "model.sksnn")
        ),
        TypeError,
        "The estimator cannot be saved: a parameter or fitted value is not "
        "representable in the file (Object of type range is not JSON serializable)",
    ),
    (
        "load-no-header",
        lambda folder: sksnn.load(edited_file(folder, {"format": "zip-of-mine"})),
        ValueError,
        "model.sksnn is not an sksnn model file: it has no sksnn header.",
    ),
    (
        "load-unknown-estimator",
        lambda folder: sksnn.load(edited_file(folder, {"class": "MLPClassifier"})),
        ValueError,
        "model.sksnn holds an unknown estimator 'MLPClassifier'.",
    ),
    (
        "load-missing-array",
        lambda folder: sksnn.load(edited_file(folder, drop=["coef_1"])),
        ValueError,
        "model.sksnn is an sksnn model file with missing or inconsistent content "
        "(KeyError",
    ),
]


@pytest.mark.parametrize(
    "call, exception, message",
    [c[1:] for c in FILE_CASES],
    ids=[c[0] for c in FILE_CASES],
)
def test_bad_model_file_gets_a_clear_error(call, exception, message, tmp_path):
    """save of an unrepresentable model and load of a bad file raise clear errors."""
    with pytest.raises(exception) as info:
        call(tmp_path)
    assert message in str(info.value)
