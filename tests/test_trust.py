"""No silently wrong result: each test here failed on sksnn 0.1.0's code."""

import os
import pickle
import re
import warnings
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.utils.estimator_checks import check_class_weight_classifiers

import sksnn
from sksnn import SNNClassifier, SNNRegressor
from tests.conftest import FAST, KERAS_RTOL

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")


def _quiet(method, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return method(*args, **kwargs)


def test_warm_start_with_new_dropout_predicts_as_its_network(iris):
    """warm_start, then dropout=0.3: predict follows the network trained with it."""
    X, y = iris
    clf = SNNClassifier(
        (32, 32), n_ensembles=1, max_iter=20, random_state=0, warm_start=True
    )
    _quiet(clf.fit, X, y)
    _quiet(clf.set_params(dropout=0.3).fit, X, y)
    assert "MeanFieldAlphaDropout" in [type(x).__name__ for x in clf.model_.layers]
    keras_logits = np.asarray(clf.model_.predict_on_batch(clf.scaler_.transform(X)))
    assert_allclose(
        clf.predict_proba(X), softmax(keras_logits, axis=1), atol=10 * KERAS_RTOL
    )


@pytest.mark.parametrize(
    "param, value",
    [
        ("dropout", 0.3),
        ("activation", "relu"),
        ("batch_norm", True),
        ("solver", "sgd"),
        ("clipnorm", 1.0),
        ("hidden_layer_sizes", (16, 8)),
    ],
)
def test_partial_fit_refuses_a_changed_network_parameter(param, value, iris):
    """partial_fit after set_params of a network or solver parameter raises."""
    X, y = iris
    clf = SNNClassifier(**FAST, random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    old = clf.get_params()[param]
    clf.set_params(**{param: value})
    message = (
        f"{param}={value!r} differs from the {old!r} the network was fitted with, "
        "and partial_fit continues the fitted network and its solver state. "
        f"Set {param}={old!r} again"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1


@pytest.mark.parametrize("param, value", [("activation", "tanh"), ("batch_norm", True)])
def test_warm_start_refuses_a_changed_architecture(param, value, iris):
    """warm_start=True with another activation or batch_norm raises, naming it."""
    X, y = iris
    clf = _quiet(SNNClassifier(**FAST, warm_start=True, random_state=0).fit, X, y)
    clf.set_params(**{param: value})
    with pytest.raises(ValueError, match=f"^{param}={value!r} differs from"):
        clf.fit(X, y)


def test_partial_fit_follows_a_new_step_size(diabetes):
    """partial_fit honours learning_rate_init changed between calls."""
    X, y = diabetes
    reg = SNNRegressor(**FAST, random_state=0).partial_fit(X, y)
    before = [c.copy() for c in reg.coefs_]
    reg.set_params(learning_rate_init=1e-12).partial_fit(X, y)
    assert_allclose(reg.coefs_[0], before[0], atol=1e-9)
    reg.set_params(learning_rate_init=0.01).partial_fit(X, y)
    assert np.abs(reg.coefs_[0] - before[0]).max() > 1e-4


def test_fitted_estimator_pickles_its_weights_once(iris):
    """A fitted 2 x 64 model pickles to little more than its weights."""
    X, y = iris
    clf = _quiet(SNNClassifier((64, 64), max_iter=5, random_state=0).fit, X, y)
    weight_bytes = sum(a.nbytes for a in clf.coefs_ + clf.intercepts_)
    assert len(pickle.dumps(clf)) < 1.2 * weight_bytes


def test_score_counts_unseen_labels_as_wrong(iris):
    """score on labels unseen in fit is the accuracy over all rows."""
    X, y = iris
    seen = y < 2
    clf = _quiet(SNNClassifier(**FAST, random_state=0).fit, X[seen], y[seen])
    score = clf.score(X, y)
    assert score == np.mean(clf.predict(X) == y)
    assert score <= seen.mean()


def test_failed_save_leaves_the_old_file_intact(iris, tmp_path, monkeypatch):
    """A save that fails while writing keeps the file it would replace."""
    X, y = iris
    clf = _quiet(SNNClassifier(**FAST, random_state=0).fit, X, y)
    path = tmp_path / "model.sksnn"
    clf.save(path)
    real = zipfile.ZipFile.writestr

    def disk_full(self, name, data, *args, **kwargs):
        if name == "arrays.npz":
            raise OSError(28, "No space left on device")
        return real(self, name, data, *args, **kwargs)

    other = _quiet(SNNClassifier((8,), max_iter=3, random_state=1).fit, X, y)
    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        other.save(path)
    monkeypatch.undo()
    assert_array_equal(sksnn.load(path).predict_proba(X), clf.predict_proba(X))
    assert os.listdir(tmp_path) == ["model.sksnn"]  # no temporary file left


def test_save_holds_array_parameters(iris, tmp_path):
    """hidden_layer_sizes given as an array saves and loads as an array."""
    X, y = iris
    clf = SNNClassifier(np.array([8, 8]), max_iter=3, random_state=0)
    _quiet(clf.fit, X, y)
    clf.save(tmp_path / "m.sksnn")
    loaded = sksnn.load(tmp_path / "m.sksnn")
    assert_array_equal(loaded.hidden_layer_sizes, [8, 8])
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.skipif(BACKEND == "torch", reason="Keras' torch train step: unweighted")
def test_batch_norm_passes_the_class_weight_check():
    """With batch_norm=True, scikit-learn's class-weight check passes.

    Without early stopping: the check trains on 50 rows with
    n_iter_no_change=20, which on a 10-row validation split stops on its
    coarse accuracy (the defaults, early stopping included, pass this check
    in test_common).
    """
    clf = SNNClassifier(
        hidden_layer_sizes=(32, 32), max_iter=100, batch_norm=True,
        early_stopping=False,
    )  # fmt: skip
    check_class_weight_classifiers("SNNClassifier", clf.set_params(random_state=0))


def test_weighted_batch_norm_equals_repeated_rows():
    """Weighted batch statistics equal Keras' own on rows repeated by weight."""
    import keras

    from sksnn._network import WeightedBatchNormalization

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype("float32")
    w = np.array([1, 3, 0, 2, 1, 1], dtype="float32")
    ours = WeightedBatchNormalization(momentum=0.5)
    keras_layer = keras.layers.BatchNormalization(momentum=0.5)
    for layer in (ours, keras_layer):
        layer.build(x.shape)
        layer.gamma.assign(np.array([1.5, 0.5, 2.0], "float32"))
        layer.beta.assign(np.array([0.1, -0.2, 0.3], "float32"))
    numpy = keras.ops.convert_to_numpy
    out = numpy(ours(x, training=True, sample_weight=w))
    rows = np.repeat(np.arange(len(x)), w.astype(int))
    expected = numpy(keras_layer(x[rows], training=True))
    first = np.searchsorted(rows, np.flatnonzero(w > 0))  # each row's first copy
    assert_allclose(out[w > 0], expected[first], rtol=1e-5, atol=1e-6)
    for name in ("moving_mean", "moving_variance"):
        ours_value, keras_value = getattr(ours, name), getattr(keras_layer, name)
        assert_allclose(ours_value.numpy(), keras_value.numpy(), rtol=1e-5)


def test_regressor_predict_never_returns_inf(fitted_regressor):
    """An input that overflows the target's scaling raises instead of inf."""
    X = np.full((2, fitted_regressor.n_features_in_), 1e308)
    with pytest.raises(ValueError, match="^The prediction is not finite for 2 of 2"):
        fitted_regressor.predict(X)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="patches TensorFlow's update")
def test_an_update_that_stops_reaching_the_weights_fails_loudly(iris, monkeypatch):
    """If Keras' writes no longer pass where sksnn reroutes them, fit raises."""
    from sksnn import _backend, _engine

    _engine.POOL.clear()
    # As if a Keras release wrote new values by another method.
    monkeypatch.setattr(_backend, "OPTIMIZER_WRITES", ())
    X, y = iris
    with pytest.raises(RuntimeError, match="grouped update no longer reaches"):
        SNNClassifier(**FAST, random_state=0).fit(X, y)
    _engine.POOL.clear()
