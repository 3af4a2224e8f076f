"""MLPClassifier/MLPRegressor's parameters, attributes and semantics in sksnn.

scikit-learn's own test module runs in tests/test_mlp_dropin.py (TensorFlow
only); these tests check the same features on every backend.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from sksnn import SNNClassifier, SNNRegressor
from tests.conftest import BACKEND, FAST, JAX_FLOAT32

X_DIGITS, Y_DIGITS = load_digits(n_class=3, return_X_y=True)
X_DIGITS, Y_DIGITS = X_DIGITS[:150], Y_DIGITS[:150]
X_REG, Y_REG = make_regression(n_samples=120, n_features=5, noise=5, random_state=0)
SMALL = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)


def _quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


# -- solver='lbfgs' -------------------------------------------------------------


def test_lbfgs_fits_and_follows_max_iter():
    clf = _quiet_fit(
        SNNClassifier((16,), solver="lbfgs", max_iter=30, random_state=0),
        X_DIGITS,
        Y_DIGITS,
    )
    assert clf.score(X_DIGITS, Y_DIGITS) > 0.95
    assert 1 <= clf.n_iter_ <= 30
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.loss_ == pytest.approx(min(clf.loss_curve_), rel=1e-6)
    assert clf.validation_scores_ is None  # L-BFGS trains on every row


def test_lbfgs_warns_when_max_fun_stops_it():
    reg = SNNRegressor((16,), solver="lbfgs", max_fun=5, tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        reg.fit(X_REG, Y_REG)
    assert reg.n_iter_ <= 5


@pytest.mark.skipif(JAX_FLOAT32, reason="finite differences need float64")
@pytest.mark.xfail(
    BACKEND == "torch",
    reason="on PyTorch the finite differences disagree with the gradient (not "
    "yet explained; the L-BFGS fits above pass there)",
    strict=False,
)
def test_lbfgs_gradient_matches_finite_differences():
    """The backend's gradient of the full-batch loss (L2 penalty included).

    ReLU: XLA approximates tanh to about 1e-7, too coarse for the
    differences."""
    from sksnn import _backend, _network

    rng = np.random.RandomState(0)
    X = rng.randn(6, 3)
    Y = rng.rand(6, 1)
    w = np.ones(6)
    model = _network.build_network(
        3, [4], 1, activation="relu", kernel_initializer="lecun_normal",
        seeds=[1, 2], dtype="float64", dropout=0.0, dropout_seeds=[3, 4],
        batch_norm=False, l2=0.05,
    )  # fmt: skip
    f = _backend.make_loss_and_gradient(model, _network.LOSSES["logistic"])
    loss, grads = f(X, Y, w)
    kernel = model.trainable_variables[0]
    base = np.array(kernel.numpy())
    numeric = np.zeros_like(base)
    eps = 1e-6
    for index in np.ndindex(base.shape):
        for sign in (1, -1):
            moved = base.copy()
            moved[index] += sign * eps
            kernel.assign(moved)
            numeric[index] += sign * f(X, Y, w)[0] / (2 * eps)
    kernel.assign(base)
    np.testing.assert_allclose(grads[0], numeric, rtol=1e-4, atol=1e-7)
    assert np.isfinite(loss)


def test_lbfgs_has_no_partial_fit_and_refuses_random_training():
    assert not hasattr(SNNClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(SNNClassifier(solver="adam"), "partial_fit")
    with pytest.raises(ValueError, match="solver='lbfgs' minimizes one"):
        SNNClassifier(solver="lbfgs", dropout=0.1).fit(X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="which solver='lbfgs' does not do"):
        SNNClassifier(solver="lbfgs").fit(
            X_DIGITS, Y_DIGITS, X_val=X_DIGITS, y_val=Y_DIGITS
        )


# -- the stochastic solvers' MLP parameters --------------------------------------


@pytest.mark.parametrize(
    "solver, changed",
    [
        ("sgd", {"momentum": 0.0}),
        ("sgd", {"nesterovs_momentum": False}),
        ("adam", {"beta_1": 0.5}),
        ("nadam", {"beta_2": 0.9}),
        ("adam", {"epsilon": 1e-2}),
        ("sgd", {"shuffle": False}),
    ],
)
def test_solver_parameters_change_the_training(solver, changed):
    params = dict(SMALL, solver=solver, learning_rate_init=0.05, batch_size=16)
    base = _quiet_fit(SNNRegressor(**params), X_REG, Y_REG)
    again = _quiet_fit(SNNRegressor(**params), X_REG, Y_REG)
    other = _quiet_fit(SNNRegressor(**params, **changed), X_REG, Y_REG)
    np.testing.assert_array_equal(base.coefs_[0], again.coefs_[0])
    assert not np.allclose(base.coefs_[0], other.coefs_[0])


def test_invscaling_follows_power_t():
    params = dict(SMALL, solver="sgd", learning_rate_init=0.01)
    constant = _quiet_fit(
        SNNRegressor(**params, learning_rate="constant"), X_REG, Y_REG
    )
    flat = _quiet_fit(
        SNNRegressor(**params, learning_rate="invscaling", power_t=0.0), X_REG, Y_REG
    )
    scaled = _quiet_fit(
        SNNRegressor(**params, learning_rate="invscaling", power_t=0.5), X_REG, Y_REG
    )
    np.testing.assert_allclose(flat.coefs_[0], constant.coefs_[0])
    assert not np.allclose(scaled.coefs_[0], constant.coefs_[0])
    n_train = X_REG.shape[0]  # 120 rows: 'auto' holds out 24 of them
    assert scaled.t_ == scaled.n_iter_ * (n_train - 24)


def test_partial_fit_continues_the_adaptive_step_size_as_mlp(capsys):
    # tol=1e9: no call improves, so every third call after the first divides
    # the step size by 5, and the next calls go on from the divided one.
    from sklearn.neural_network import MLPClassifier

    params = dict(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.001,
        tol=1e9,
        n_iter_no_change=2,
        verbose=True,
        random_state=0,
    )
    messages = {}
    for Estimator in (MLPClassifier, SNNClassifier):
        est = Estimator(**params)
        for _ in range(12):
            est.partial_fit(X_DIGITS, Y_DIGITS, classes=[0, 1, 2])
        out = capsys.readouterr().out
        messages[Estimator] = [
            line for line in out.splitlines() if "Setting learning rate" in line
        ]
        assert est._no_improvement_count == 2
    assert messages[SNNClassifier] == messages[MLPClassifier]
    assert len(messages[SNNClassifier]) == 3


# -- attributes and methods -------------------------------------------------------


def test_predict_log_proba_is_the_log_of_predict_proba():
    clf = _quiet_fit(SNNClassifier(**SMALL), X_DIGITS, Y_DIGITS)
    np.testing.assert_allclose(
        clf.predict_log_proba(X_DIGITS), np.log(clf.predict_proba(X_DIGITS))
    )


def test_sparse_input_predicts_as_dense():
    X = X_DIGITS / 16
    dense = _quiet_fit(SNNClassifier(**SMALL), X, Y_DIGITS)
    csr = _quiet_fit(SNNClassifier(**SMALL), sparse.csr_matrix(X), Y_DIGITS)
    np.testing.assert_allclose(
        dense.predict_proba(X), csr.predict_proba(sparse.csc_matrix(X)), rtol=1e-5
    )
    codes = np.random.RandomState(0).randint(0, 4, size=(150, 2)).astype(str)
    pipe = make_pipeline(OneHotEncoder(), SNNClassifier(**SMALL))
    assert _quiet_fit(pipe, codes, Y_DIGITS).predict(codes).shape == (150,)


def test_poisson_loss_predicts_positive_means():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 2))
    y = rng.poisson(np.exp(1 + X[:, 0]))
    reg = SNNRegressor(
        (1,), loss="poisson", activation="identity", solver="lbfgs", random_state=0
    ).fit(X, y)
    assert reg.out_activation_ == "exp" and reg.target_scaler_ is None
    prediction = reg.predict(X)
    assert (prediction > 0).all()
    # The fitted log-mean is linear in X[:, 0] with slope near 1.
    assert np.corrcoef(np.log(prediction), X[:, 0])[0, 1] > 0.9
    with pytest.raises(ValueError, match="negative values"):
        SNNRegressor(loss="poisson").fit(X, -y - 1.0)


def test_float32_and_float64_fits_agree():
    X = X_DIGITS.astype(np.float64)
    fits = [
        _quiet_fit(SNNClassifier(**FAST, random_state=1), X.astype(d), Y_DIGITS)
        for d in (np.float64, np.float32)
    ]
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    np.testing.assert_allclose(
        fits[0].predict_proba(X), fits[1].predict_proba(X), atol=1e-2
    )


def test_single_class_predicts_it():
    clf = _quiet_fit(SNNClassifier(**SMALL), X_DIGITS[:20], np.full(20, "a"))
    assert (clf.predict(X_DIGITS[:3]) == "a").all()
    np.testing.assert_array_equal(clf.predict_proba(X_DIGITS[:3]), np.ones((3, 1)))


# -- semantics of continued training ----------------------------------------------


def test_warm_start_trains_max_iter_more_epochs_and_counts_them():
    est = SNNRegressor(**{**SMALL, "max_iter": 3}, warm_start=True)
    _quiet_fit(est, X_REG, Y_REG)
    first = [c.copy() for c in est.coefs_]
    est.set_params(max_iter=4)
    _quiet_fit(est, X_REG, Y_REG)
    assert est.n_iter_ == 4
    assert len(est.loss_curve_) == 7
    assert not np.allclose(first[0], est.coefs_[0])


def test_warm_start_and_partial_fit_refuse_other_classes():
    clf = _quiet_fit(SNNClassifier(**SMALL, warm_start=True), X_DIGITS, Y_DIGITS)
    with pytest.raises(ValueError, match="warm_start can only be used where"):
        _quiet_fit(clf, X_DIGITS, Y_DIGITS % 2)
    stream = SNNClassifier(**SMALL).partial_fit(X_DIGITS, Y_DIGITS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes=.* differs from the classes"):
        stream.partial_fit(X_DIGITS, Y_DIGITS, classes=[0, 1, 3])


def test_early_stopping_auto():
    """'auto': a split from 10 validation rows up in fit, none in partial_fit."""
    big = _quiet_fit(SNNClassifier(**SMALL), X_DIGITS, Y_DIGITS)
    assert len(big.validation_scores_) == big.n_iter_ and big.best_loss_ is None
    small = _quiet_fit(SNNClassifier(**SMALL), X_DIGITS[:30], Y_DIGITS[:30])
    assert small.validation_scores_ is None and small.best_loss_ is not None
    stream = SNNClassifier(**SMALL).partial_fit(X_DIGITS, Y_DIGITS, classes=[0, 1, 2])
    assert stream.n_iter_ == 1
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        SNNClassifier(early_stopping=True).partial_fit(
            X_DIGITS, Y_DIGITS, classes=[0, 1, 2]
        )
