"""A pytest plugin: scikit-learn's own MLP tests, run against sksnn.

``pytest -p tests.mlp_dropin.plugin --pyargs sklearn.neural_network.tests.test_mlp``
substitutes SNNClassifier and SNNRegressor for MLPClassifier and MLPRegressor
in ``sklearn.neural_network`` before the test module imports them, and marks
the tests that sksnn fails on purpose as strict expected failures, with the
reason (the README's table "Differences from MLPClassifier/MLPRegressor"
gives each one and how to get MLP's behaviour). A listed test that starts to
pass fails the run, so the list cannot go stale.
"""

import pytest
import sklearn.neural_network

from sksnn import SNNClassifier, SNNRegressor

PRIVATE = "reads or sets MLP's private training state"
PATIENCE = (
    "n_iter_no_change=np.inf is sksnn's default (the benchmark's choice): fit "
    "trains the whole budget, so a tol alone never stops it (MLP: 10)"
)

# Test name (as pytest prints it in the module) -> why sksnn differs.
EXPECTED_FAILURES = {
    "test_fit": f"{PRIVATE} (_coef_velocity, t_ ...) before partial_fit",
    "test_gradient": f"{PRIVATE}: calls MLP's _loss_grad_lbfgs",
    "test_learning_rate_warmstart": f"{PRIVATE}: reads MLP's _optimizer",
    "test_adaptive_learning_rate": f"{PATIENCE}; {PRIVATE}: reads _optimizer",
    "test_tolerance": PATIENCE,
    "test_early_stopping[SNNClassifier]": PATIENCE,
    "test_early_stopping[SNNRegressor]": PATIENCE,
    "test_partial_fit_regression": (
        "fit holds out 20% for early stopping and follows learning_rate="
        "'coslog4' (the defaults); 100 partial_fit calls train on every row"
    ),
    "test_multilabel_classification": (
        "partial_fit follows the default learning_rate='coslog4' over "
        "max_iter calls (0.88 subset accuracy after 100 calls; 1.0 with "
        "learning_rate='constant', MLP's default)"
    ),
    "test_mlp_regressor_dtypes_casting": (
        "the default ensemble's mean prediction is near 0 on 6 of the 60 "
        "rows, where float32 rounding (1.3e-5 absolute) exceeds rtol=5e-4; "
        "passes with n_ensembles=1"
    ),
    "test_nonfinite_params": (
        "sksnn refuses such X before training, with its own message: 'X holds "
        "values too large to standardize ... Rescale X'"
    ),
    "test_early_stopping_stratified": (
        "early stopping keeps the only row of a class in the training rows "
        "instead of refusing the split"
    ),
}


# Expected failures not run: each trains 3000 epochs to its failing assert
# (30-40 s apiece on 2 cores).
NOT_RUN = {
    "test_early_stopping[SNNClassifier]",
    "test_early_stopping[SNNRegressor]",
    "test_tolerance",
    "test_adaptive_learning_rate",
}


def pytest_configure(config):
    sklearn.neural_network.MLPClassifier = SNNClassifier
    sklearn.neural_network.MLPRegressor = SNNRegressor


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = EXPECTED_FAILURES.get(item.name)
        if reason is not None:
            run = item.name not in NOT_RUN
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True, run=run))
