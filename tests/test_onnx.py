"""ONNX export (sksnn.onnx): the exported graph, run in onnxruntime, predicts
what predict / predict_proba do."""

import warnings

import numpy as np
import onnxruntime
import pandas as pd
import pytest
import skl2onnx
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksnn import SNNClassifier, SNNRegressor
from sksnn._options import ACTIVATIONS
from sksnn.onnx import register_converters, to_onnx

FAST = dict(max_iter=4, random_state=0)
PROBA_TOL = 1e-5  # float32 graph against the float64 numpy pass

_NUMPY_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(bool)": bool,
    "tensor(string)": object,
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def run(onx, X):
    """The outputs of the ONNX model on X (one input per column for a frame)."""
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    inputs = session.get_inputs()
    if not isinstance(X, pd.DataFrame):
        return session.run(None, {inputs[0].name: X})
    feed = {
        i.name: X[i.name].to_numpy().astype(_NUMPY_TYPES[i.type]).reshape(-1, 1)
        for i in inputs
    }
    return session.run(None, feed)


def iris32():
    X, y = load_iris(return_X_y=True)
    return X.astype(np.float32), y


def assert_classifier_matches(clf, X, onx=None):
    onx = onx or to_onnx(clf, X[:1], options={"zipmap": False})
    label, proba = run(onx, X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=PROBA_TOL)
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_every_activation(activation):
    X, y = iris32()
    clf = SNNClassifier((8, 8), activation=activation, **FAST).fit(X, y)
    assert_classifier_matches(clf, X)


@pytest.mark.parametrize(
    "params",
    [
        dict(dropout=0.2),  # AlphaDropout's inference scale
        dict(activation="relu", dropout=0.2),  # ordinary dropout
        dict(batch_norm=True),
        dict(n_ensembles=3),
        dict(n_ensembles=2, activation="prelu"),
        dict(n_ensembles=2, activation="pselu"),
        dict(input_clip=1.0),  # smooth clipping bites at 1 standard deviation
        dict(standardize=False),
        dict(numeric_embedding="periodic", n_ensembles=1),
        dict(numeric_embedding="periodic", n_ensembles=3, input_clip=1.0),
        dict(input_scale=True),
    ],
    ids=str,
)
def test_classifier_options(params):
    X, y = iris32()
    clf = SNNClassifier((8, 8), **FAST, **params).fit(X, y)
    assert_classifier_matches(clf, X)


@pytest.mark.parametrize("n_ensembles", [1, 3])
def test_binary_string_labels_and_zipmap(n_ensembles):
    X, y = iris32()
    labels = np.where(y == 0, "setosa", "other")
    clf = SNNClassifier((8,), n_ensembles=n_ensembles, **FAST).fit(X, labels)
    assert_classifier_matches(clf, X)
    # The default output: a ZipMap, one {class: probability} per row.
    label, maps = run(to_onnx(clf, X[:1]), X)
    np.testing.assert_array_equal(label, clf.predict(X))
    expected = clf.predict_proba(X)
    got = np.array([[row[c] for c in clf.classes_] for row in maps])
    np.testing.assert_allclose(got, expected, atol=PROBA_TOL)
    # Option nocl: labels are the classes' indices.
    label, _ = run(to_onnx(clf, X[:1], options={"zipmap": False, "nocl": True}), X)
    np.testing.assert_array_equal(label, np.searchsorted(clf.classes_, clf.predict(X)))


def test_multilabel():
    X, y = iris32()
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 5.8]).astype(int)
    clf = SNNClassifier((8,), **FAST).fit(X, Y)
    label, proba = run(to_onnx(clf, X[:1], options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=PROBA_TOL)
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(n_ensembles=3),
        dict(loss="poisson"),
        dict(loss="poisson", n_ensembles=2),
    ],
    ids=str,
)
def test_regressor(params):
    X, _ = iris32()
    reg = SNNRegressor((8,), **FAST, **params).fit(X[:, :3], X[:, 3])
    (pred,) = run(to_onnx(reg, X[:1, :3]), X[:, :3])
    assert pred.shape == (len(X), 1)
    expected = reg.predict(X[:, :3])
    np.testing.assert_allclose(pred.ravel(), expected, rtol=1e-5, atol=1e-5)


def test_multi_output_regressor():
    X, _ = iris32()
    reg = SNNRegressor((8,), n_ensembles=2, **FAST).fit(X[:, :2], X[:, 2:])
    (pred,) = run(to_onnx(reg, X[:1, :2]), X[:, :2])
    np.testing.assert_allclose(pred, reg.predict(X[:, :2]), rtol=1e-5, atol=1e-5)


def table(n=240, seed=0):
    """A raw frame: missing numbers, few- and many-level text, bools."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "few": rng.choice(["x", "y", "z"], n).astype(object),
            "many": rng.choice([f"l{i}" for i in range(30)], n),
            "flag": rng.random(n) > 0.5,
        }
    )
    X.loc[::7, "a"] = np.nan
    X.loc[::11, "few"] = None
    y = np.where(X["b"] + (X["few"] == "x") - X["flag"] > -0.2, 1, 0)
    return X, y


def onnx_frame(X):
    """X as ONNX inputs take it: missing levels as a string no level is."""
    X = X.copy()
    X["few"] = X["few"].fillna("").astype(str)
    return X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_onehot_levels", [0, 4])  # embeddings, then one-hot
@pytest.mark.parametrize("numeric_embedding", [None, "periodic"])
@pytest.mark.parametrize("n_ensembles", [1, 2])
def test_raw_frame(dtype, max_onehot_levels, numeric_embedding, n_ensembles):
    X, y = table()
    X = X.astype({"a": dtype, "b": dtype})
    clf = SNNClassifier(
        (8,),
        max_onehot_levels=max_onehot_levels,
        numeric_embedding=numeric_embedding,
        n_ensembles=n_ensembles,
        **FAST,
    ).fit(X, y)
    test, _ = table(seed=1)
    test = test.astype({"a": dtype, "b": dtype})
    test.loc[0, "many"] = "never seen"
    onx = to_onnx(clf, onnx_frame(test)[:1], options={"zipmap": False})
    label, proba = run(onx, onnx_frame(test))
    tolerance = PROBA_TOL if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(proba, clf.predict_proba(test), atol=tolerance)
    np.testing.assert_array_equal(label, clf.predict(test))


def test_numeric_categorical_columns_of_an_array():
    X, y = iris32()
    X = np.column_stack([X, y % 2]).astype(np.float32)
    clf = SNNClassifier((8,), categorical_features=[4], **FAST).fit(X, y)
    assert_classifier_matches(clf, X)


def test_pipeline_last_step():
    X, y = iris32()
    pipe = make_pipeline(StandardScaler(), SNNClassifier((8,), **FAST)).fit(X, y)
    register_converters()
    register_converters()  # again: harmless
    onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    label, proba = run(onx, X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), atol=PROBA_TOL)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_float_and_bool_classes_are_int64_labels():
    X, y = iris32()
    for labels in (y.astype(float) + 1, y == 1):
        clf = SNNClassifier((4,), **FAST).fit(X, labels)
        label, _ = run(to_onnx(clf, X[:1], options={"zipmap": False}), X)
        assert label.dtype == np.int64
        np.testing.assert_array_equal(label, clf.predict(X).astype(np.int64))


def test_input_of_the_wrong_width_is_refused():
    X, y = iris32()
    clf = SNNClassifier((4,), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 4 features"):
        to_onnx(clf, X[:1, :3], options={"zipmap": False})
