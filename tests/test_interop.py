"""Around the model: the SNN stack in plain Keras and in scikeras, .keras
files of model_, and skops.io persistence."""

import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.base import is_classifier
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksnn import SNNClassifier, SNNRegressor
from sksnn.keras import build_snn
from tests.conftest import network_input

FAST = dict(max_iter=4, random_state=0)
# What skops.io.load must be told to trust for any fitted sksnn estimator
# (the README lists the same).
SKOPS_TRUSTED = {
    "SNNClassifier": ["sksnn._classes.SNNClassifier", "sksnn._tabular.Encoding"],
    "SNNRegressor": ["sksnn._classes.SNNRegressor", "sksnn._tabular.Encoding"],
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def iris_scaled():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X).astype("float32"), y


# -- build_snn in Keras ----------------------------------------------------------------


def test_build_snn_trains_in_plain_keras():
    X, y = iris_scaled()
    model = build_snn(4, (16, 16), 3, out_activation="softmax", random_state=0)
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["Dense", "Dense", "Dense", "Activation"]
    assert model.layers[0].get_config()["activation"] == "selu"
    model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy")
    # Keras' fit shuffles with TensorFlow's global seed: scikeras, once it ran
    # with a random_state in this process, turns on op determinism, which
    # refuses unseeded random ops.
    keras.utils.set_random_seed(0)
    history = model.fit(X, y, epochs=5, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    proba = np.asarray(model.predict_on_batch(X))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_build_snn_is_reproducible_and_self_normalizing():
    """One seed, one network; LeCun-normal SELU layers keep mean ~0, std ~1."""
    a = build_snn(64, (256, 256, 256), 1, random_state=3, dtype="float64")
    b = build_snn(64, (256, 256, 256), 1, random_state=3, dtype="float64")
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    X = np.random.default_rng(0).standard_normal((4096, 64))
    hidden = keras.Sequential(a.layers[:-1])  # the third hidden layer's output
    out = np.asarray(hidden.predict_on_batch(X))
    assert abs(out.mean()) < 0.15 and abs(out.std() - 1) < 0.15


def test_build_snn_with_dropout_and_batch_norm():
    model = build_snn(4, (8,), 2, dropout=0.1, batch_norm=True, random_state=0)
    names = [type(layer).__name__ for layer in model.layers]
    assert "MeanFieldAlphaDropout" in names and "WeightedBatchNormalization" in names


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(activation="softsign"), "activation must be one of"),
        (dict(kernel_initializer="zeros"), "kernel_initializer must be one of"),
        (dict(out_activation="softplus"), "out_activation must be one of"),
        (dict(hidden_layer_sizes=(8, 0)), "hidden_layer_sizes must hold positive"),
        (dict(dropout=1.0), r"dropout must be in \[0, 1\)"),
        (dict(n_features=0), "n_features must hold positive"),
    ],
)
def test_build_snn_refuses_bad_arguments(kwargs, message):
    arguments = dict(n_features=4, hidden_layer_sizes=(8,), n_outputs=2) | kwargs
    with pytest.raises(ValueError, match=message):
        build_snn(**arguments)


# -- scikeras --------------------------------------------------------------------------


def snn_model(meta, hidden_layer_sizes=(16,)):
    """scikeras' model= callable: the network sized by what fit saw."""
    return build_snn(
        meta["n_features_in_"],
        hidden_layer_sizes,
        meta["n_classes_"],
        out_activation="softmax",
        random_state=0,
    )


def scikeras_classifier(**kwargs):
    from scikeras.wrappers import KerasClassifier

    return KerasClassifier(
        model=snn_model,
        loss="sparse_categorical_crossentropy",
        optimizer="nadam",
        verbose=0,
        random_state=0,
        **kwargs,
    )


def test_scikeras_fits_and_predicts_the_snn():
    X, y = load_iris(return_X_y=True)
    clf = scikeras_classifier(model__hidden_layer_sizes=(16, 16), epochs=40)
    pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    assert pipe.score(X, y) > 0.85
    proba = pipe.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_array_equal(pipe.predict(X), proba.argmax(axis=1))
    assert clf.model_.layers[0].units == 16 and len(clf.model_.layers) == 4


@pytest.mark.xfail(
    strict=True,
    reason="scikeras 0.13 declares no estimator type to scikit-learn >= 1.6 "
    "(its tags predate __sklearn_tags__): is_classifier is False, so "
    "cross-validation does not stratify and meta-estimators that need a "
    "classifier refuse it. The README says so.",
)
def test_scikeras_is_a_classifier_to_scikit_learn():
    assert is_classifier(scikeras_classifier())


# -- .keras files of model_ ------------------------------------------------------------


def test_model_keras_file_reloads_in_plain_keras(tmp_path):
    """model_.save(...) then keras.saving.load_model in a fresh process (after
    import sksnn.keras) gives the same logits; every custom layer included."""
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["c"] = pd.Categorical(np.array(list("uvwxyz"))[np.arange(150) % 6])
    estimators = {
        "ensemble": (SNNClassifier((8,), n_ensembles=3, **FAST), X),
        "layers": (
            SNNClassifier((8, 8), activation="prelu", batch_norm=True, dropout=0.1,
                          **FAST),
            X,
        ),
        "rrelu": (SNNRegressor((8,), activation="rrelu", **FAST), X),
        "pselu": (SNNRegressor((8,), activation="pselu", n_ensembles=2, **FAST), X),
        "embedding": (SNNClassifier((8,), max_onehot_levels=2, **FAST), frame),
        "periodic": (
            SNNClassifier((8,), numeric_embedding="periodic", n_ensembles=2, **FAST),
            frame,
        ),
    }  # fmt: skip
    expected = {}
    for name, (est, data) in estimators.items():
        est.fit(data, y)
        inputs = network_input(est, data)
        np.save(tmp_path / f"{name}-in.npy", inputs)
        est.model_.save(tmp_path / f"{name}.keras")
        expected[name] = np.asarray(est.model_.predict_on_batch(inputs))
    script = textwrap.dedent(
        f"""
        import pathlib, numpy as np, keras
        import sksnn.keras  # registers sksnn's layers
        folder = pathlib.Path({str(tmp_path)!r})
        for name in {list(estimators)!r}:
            model = keras.saving.load_model(folder / f"{{name}}.keras")
            inputs = np.load(folder / f"{{name}}-in.npy")
            np.save(folder / f"{{name}}-out.npy", model.predict_on_batch(inputs))
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    for name in estimators:
        got = np.load(tmp_path / f"{name}-out.npy")
        np.testing.assert_array_equal(got, expected[name])


# -- skops.io --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "est, table",
    [
        (SNNClassifier((8,), n_ensembles=2, **FAST), False),
        (SNNClassifier((8,), batch_norm=True, activation="prelu", early_stopping=True,
                       **FAST), True),
        (SNNRegressor((8,), **FAST), True),
    ],
    ids=["ensemble", "raw-table", "regressor"],
)  # fmt: skip
def test_skops_round_trip(est, table, tmp_path):
    X, y = load_iris(return_X_y=True)
    if table:
        X = pd.DataFrame(X, columns=list("abcd"))
        X["kind"] = np.where(np.arange(150) % 3 == 0, "u", "v")
        X.loc[::9, "a"] = np.nan
    est.fit(X, y)
    path = tmp_path / "model.skops"
    skops.io.dump(est, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    assert sorted(untrusted) == sorted(SKOPS_TRUSTED[type(est).__name__])
    back = skops.io.load(path, trusted=untrusted)
    predict = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(back, predict)(X), getattr(est, predict)(X))
    with pytest.raises(skops.io.exceptions.UntrustedTypesFoundException):
        skops.io.load(path)
