"""Shared fixtures: small data sets and fitted models, fitted once per session."""

import os

import numpy as np
import pytest

# JAX computes in float32 unless jax_enable_x64 is on (sksnn itself never
# changes this setting). By default the JAX tests turn it on, because the
# checks compare float64 results at rtol 1e-7; SKSNN_TEST_JAX_X64=0 leaves it
# off to test the float32 path that most JAX users run (.ci/run does both).
if (
    os.environ.get("KERAS_BACKEND") == "jax"
    and os.environ.get("SKSNN_TEST_JAX_X64", "1") != "0"
):
    import jax

    jax.config.update("jax_enable_x64", True)
from sklearn.datasets import load_diabetes, load_iris

from sksnn import SNNClassifier, SNNRegressor

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
if BACKEND == "jax":
    import jax

    # True when JAX trains float64 input in float32 (jax_enable_x64 off).
    JAX_FLOAT32 = not jax.config.jax_enable_x64
else:
    JAX_FLOAT32 = False

# How closely the numpy forward pass of predict matches Keras' own output:
# TensorFlow's float64 kernels agree to rounding; XLA (JAX) approximates
# tanh, rsqrt and friends to about 1e-7.
KERAS_RTOL = 1e-9 if BACKEND == "tensorflow" else 1e-5

# Small settings that still learn: the behaviour tests check what the
# estimators do, not how well a big network trains.
FAST = dict(
    hidden_layer_sizes=(16, 16),
    max_iter=60,
    learning_rate_init=0.01,
    n_iter_no_change=10,
)


# Tests whose float64 expectations do not hold when JAX trains in float32
# (SKSNN_TEST_JAX_X64=0), where sksnn trains float64 input in float32 by
# design (sksnn._backend.float_dtype). Skipped: they test float64 training.
_JAX_FLOAT32_SKIPS = {
    "tests/test_estimators.py::test_training_dtype_follows_input[float64]": (
        "without jax_enable_x64, float64 input trains a float32 network"
    ),
    "tests/test_engine.py::test_other_shapes_get_their_own_network": (
        "without jax_enable_x64, float32 and float64 input share one float32 "
        "network, so there are 3 network shapes, not 4"
    ),
}


def pytest_collection_modifyitems(config, items):
    if not JAX_FLOAT32:
        return
    for item in items:
        if item.nodeid in _JAX_FLOAT32_SKIPS:
            reason = _JAX_FLOAT32_SKIPS[item.nodeid]
            item.add_marker(pytest.mark.skip(reason=f"JAX float32: {reason}"))


@pytest.fixture(scope="session")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="session")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture(scope="session")
def fitted_classifier(iris):
    X, y = iris
    return SNNClassifier(**FAST, random_state=0).fit(X, y)


@pytest.fixture(scope="session")
def fitted_regressor(diabetes):
    X, y = diabetes
    return SNNRegressor(**FAST, random_state=0).fit(X, y)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


def network_input(est, X):
    """X encoded and standardized, as a fitted network (and its model_) reads it."""
    from sksnn import _tabular

    table = _tabular.read(est, X, reset=False, mask=est.is_categorical_)
    return est._scale(est._encoding.transform(table, est.coefs_[0].dtype))
