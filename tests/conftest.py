"""Shared fixtures: small data sets and fitted models, fitted once per session."""

import os

import numpy as np
import pytest

if os.environ.get("KERAS_BACKEND") == "jax":
    # The checks compare float64 results at rtol 1e-7; JAX computes in
    # float32 unless asked (sksnn itself never changes this setting).
    import jax

    jax.config.update("jax_enable_x64", True)
from sklearn.datasets import load_diabetes, load_iris

from sksnn import SNNClassifier, SNNRegressor

# How closely the numpy forward pass of predict matches Keras' own output:
# TensorFlow's float64 kernels agree to rounding; XLA (JAX) approximates
# tanh, rsqrt and friends to about 1e-7.
KERAS_RTOL = (
    1e-9 if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow" else 1e-5
)

# Small settings that still learn: the behaviour tests check what the
# estimators do, not how well a big network trains.
FAST = dict(hidden_layer_sizes=(16, 16), max_iter=60, learning_rate_init=0.01)


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
