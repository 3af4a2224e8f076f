"""scikit-learn's estimator checks, on fast settings and on the defaults."""

import pytest
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from sksnn import SNNClassifier, SNNRegressor

FAST_CHECK_PARAMS = dict(hidden_layer_sizes=(32, 32), max_iter=100, random_state=0)


@parametrize_with_checks(
    [SNNClassifier(**FAST_CHECK_PARAMS), SNNRegressor(**FAST_CHECK_PARAMS)]
)
def test_sklearn_compatible_estimator(estimator, check):
    """Each scikit-learn estimator check passes on fast settings."""
    check(estimator)


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_check_estimator_defaults(Estimator):
    """check_estimator passes with default parameters, no check failing."""
    results = check_estimator(Estimator(), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
