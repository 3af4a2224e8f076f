"""scikit-learn's estimator checks, on fast settings and on the defaults."""

import os

import pytest
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from sksnn import SNNClassifier, SNNRegressor
from sksnn._data import input_levers

FAST_CHECK_PARAMS = dict(
    hidden_layer_sizes=(32, 32), max_iter=100, n_iter_no_change=10, random_state=0
)

# Settings whose training depends on the rows themselves: the dropout masks,
# under which weighted rows cannot equal repeated rows; and the batch
# statistics, which sksnn weighs on TensorFlow and JAX
# (the check's data fit in one mini-batch, whose weighted moments equal
# those of the repeated rows) but Keras' PyTorch train step does not.
ROW_DEPENDENT_SETTINGS = [
    dict(dropout=0.1),
    dict(batch_norm=True),
]
ROW_DEPENDENT_REASON = (
    "weighted rows cannot equal repeated rows when dropout masks or batch "
    "statistics depend on the rows"
)


# Keras' PyTorch train step gives batch norms no sample weights: rows of
# class weight 1e-4 still set the batch statistics (with Keras' own layer,
# 64-70% of the test rows went to the heavy class, where the check wants 87%).
BATCH_NORM_CLASS_WEIGHT_REASON = (
    "batch statistics are unweighted on PyTorch, so near-zero-weight rows still "
    "shape them"
)
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
WEIGHTED_BATCH_NORM = BACKEND in ("tensorflow", "jax")


# Measured on PyTorch, whose per-batch Keras train step sums in another order
# than the weighted and the repeated rows: relative differences of 1.3e-7 to
# 2e-7 on one prediction. (JAX passed with Keras' per-batch step at 3e-7 to
# 1e-6 off; its one-program epoch now passes.)
ROUNDING_REASON = (
    "per-batch float64 rounding differs by about 2e-7, above the check's rtol of 1e-7"
)


# Measured on JAX (float64) on 2026-12-08 with the periodic embedding of the
# numbers: one of 15 predictions of the one-network regressor 1.5e-6 relative
# (6.8e-9 absolute) off; TensorFlow passes.
PERIODIC_ROUNDING_REASON = (
    "JAX's float64 sums of the periodic features round differently for weighted "
    "and repeated rows, by about 1.5e-6 of one prediction"
)


def expected_failed_checks(estimator):
    """The checks allowed to fail: row-dependent settings, and rounding."""
    params = estimator.get_params()
    expected = {}
    reason = None
    if BACKEND not in ("tensorflow", "jax"):
        reason = ROUNDING_REASON
    elif BACKEND == "jax" and input_levers(params)[1] is not None:
        reason = PERIODIC_ROUNDING_REASON
    unweighted_norm = params["batch_norm"] and not WEIGHTED_BATCH_NORM
    if params["dropout"] > 0 or unweighted_norm:
        reason = ROW_DEPENDENT_REASON
    if reason is not None:
        # Sparse X is densified: the same training as on the dense data.
        for kind in ("dense", "sparse"):
            expected[f"check_sample_weight_equivalence_on_{kind}_data"] = reason
    if unweighted_norm:
        expected["check_class_weight_classifiers"] = BATCH_NORM_CLASS_WEIGHT_REASON
    return expected


@parametrize_with_checks(
    [
        Estimator(**FAST_CHECK_PARAMS, **setting)
        # {} stops early (the default): its validation split hashes each
        # row's content, so weighted rows still equal repeated ones. {} is
        # also the default ensemble of four; n_ensembles=1 one network.
        for setting in [
            {},
            dict(early_stopping=False),
            dict(n_ensembles=1),
            *ROW_DEPENDENT_SETTINGS,
        ]
        for Estimator in (SNNClassifier, SNNRegressor)
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    """Each scikit-learn estimator check passes on fast settings."""
    name = getattr(check, "func", check).__name__
    fast = type(estimator)(**FAST_CHECK_PARAMS).get_params()
    changed = estimator.get_params() != fast
    if name in INPUT_CHECKS and changed:
        # Sparse X (about 17 s a check) is densified, and X is validated,
        # before anything the settings change: the fast settings' own run
        # covers these.
        pytest.skip("input handling precedes the network: checked on the fast settings")
    check(estimator)


INPUT_CHECKS = {
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_classifier_data_not_an_array",
    "check_regressor_data_not_an_array",
    "check_n_features_in_after_fitting",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_complex_data",
    "check_fit2d_predict1d",
}


@pytest.mark.slow  # 125 s and 101 s; the fast settings run every check by default
@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_check_estimator_defaults(Estimator):
    """check_estimator passes with default parameters, no check failing."""
    results = check_estimator(Estimator(), on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 50


@pytest.mark.slow
@pytest.mark.parametrize("setting", ROW_DEPENDENT_SETTINGS, ids=str)
@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_check_estimator_row_dependent_settings(Estimator, setting):
    """check_estimator passes for dropout and batch_norm on the defaults."""
    estimator = Estimator(**setting)
    results = check_estimator(
        estimator,
        on_fail=None,
        expected_failed_checks=expected_failed_checks(estimator),
    )
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
