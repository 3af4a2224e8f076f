"""Shared fixtures: small data sets and fitted models, fitted once per session."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris

from sksnn import SNNClassifier, SNNRegressor

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
