"""The estimators inside scikit-learn's tools: pipelines, searches, CV, pandas."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    check_cv,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sksnn import SNNClassifier, SNNRegressor
from tests.conftest import FAST


def test_classifier_and_regressor_are_recognised():
    """is_classifier / is_regressor see the estimators, so CV is stratified."""
    assert is_classifier(SNNClassifier())
    assert is_regressor(SNNRegressor())
    cv = check_cv(3, np.array([0, 1] * 10), classifier=is_classifier(SNNClassifier()))
    assert isinstance(cv, StratifiedKFold)


def test_grid_search_over_the_controls_in_a_pipeline(iris):
    """A 16-point grid over four controls in a pipeline runs in parallel and refits."""
    # That the scores do not depend on n_jobs or the joblib backend is checked
    # by tests/test_scale_out.py::test_parallel_search_matches_serial.
    X, y = iris
    search = GridSearchCV(
        make_pipeline(
            MinMaxScaler(), SNNClassifier(**dict(FAST, max_iter=20), random_state=0)
        ),
        {
            "snnclassifier__activation": ["selu", "relu"],
            "snnclassifier__kernel_initializer": ["lecun_normal", "he_normal"],
            "snnclassifier__dropout": [0.0, 0.1],
            "snnclassifier__batch_norm": [False, True],
        },
        cv=3,
        n_jobs=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 16
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.8
    # The refit is the best candidate fitted on all the rows.
    refit = clone(search.estimator).set_params(**search.best_params_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refit.fit(X, y)
    assert_array_equal(search.predict_proba(X), refit.predict_proba(X))
    assert search.score(X, y) > 0.8


def test_cross_val_score_regressor(diabetes):
    """cross_val_score runs on the regressor and gives a useful R^2."""
    X, y = diabetes
    scores = cross_val_score(SNNRegressor(**FAST, random_state=0), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.3


def test_clone_keeps_parameters():
    """clone gives an unfitted copy with equal parameters."""
    est = SNNClassifier(hidden_layer_sizes=[8, 8], activation="tanh", random_state=7)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert copy.hidden_layer_sizes == [8, 8]
    assert est.hidden_layer_sizes == [8, 8]  # stored verbatim, never converted


def test_dataframe_and_series(iris):
    """DataFrame X and Series y work and set feature_names_in_."""
    X, y = iris
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    frame = pd.DataFrame(X, columns=columns)
    labels = pd.Series(np.array(["a", "b", "c"])[y], name="species")
    clf = SNNClassifier(**FAST, random_state=0).fit(frame, labels)
    assert_array_equal(clf.feature_names_in_, columns)
    assert clf.score(frame, labels) > 0.9
    reg = SNNRegressor(**FAST, random_state=0).fit(frame, pd.Series(X[:, 0]))
    assert_array_equal(reg.feature_names_in_, columns)


def test_dataframe_with_other_columns_at_predict(iris):
    """Other column names at predict get scikit-learn's error."""
    X, y = iris
    frame = pd.DataFrame(X, columns=list("abcd"))
    clf = SNNClassifier(**FAST, random_state=0).fit(frame, y)
    renamed = frame.rename(columns={"a": "z"})
    msg = "The feature names should match those that were passed during fit."
    with pytest.raises(ValueError, match=re.escape(msg)):
        clf.predict(renamed)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        clf.predict(X)
