"""layer_statistics against independent computations, and its errors."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

import sksnn
from sksnn import SNNClassifier, SNNRegressor
from sksnn._forward import forward


def _tiny(Estimator, X, y, **params):
    return (
        Estimator(
            hidden_layer_sizes=(3, 3),
            n_ensembles=1,
            numeric_embedding=None,  # the hand passes start from standardized X
            max_iter=5,
            random_state=0,
            **params,
        )
        .set_params(early_stopping=False)
        .fit(X, y)
    )  # the scaler sees every row


def test_statistics_match_a_hand_forward_pass(iris):
    """Means and stds per layer equal a hand-written numpy forward pass."""
    X, y = iris
    clf = _tiny(SNNClassifier, X, y, activation="tanh")
    stats = sksnn.layer_statistics(clf, X)
    a = (X - X.mean(axis=0)) / X.std(axis=0)
    for layer, (W, b) in enumerate(zip(clf.coefs_[:-1], clf.intercepts_[:-1])):
        z = a @ W + b
        a = np.tanh(z)
        row = stats.iloc[layer]
        assert_allclose(row["pre_activation_mean"], z.mean(), rtol=1e-10)
        assert_allclose(row["pre_activation_std"], z.std(), rtol=1e-10)
        assert_allclose(row["activation_mean"], a.mean(), rtol=1e-10)
        assert_allclose(row["activation_std"], a.std(), rtol=1e-10)
        assert row["saturated_fraction"] == np.mean(1 - a**2 < 0.01)
    assert stats["grad_norm"].isna().all()


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_gradient_norms_match_finite_differences(Estimator, iris):
    """grad_norm equals the norm of a finite-difference gradient of the loss."""
    X, y = iris
    est = _tiny(Estimator, X, y)
    Xs = est._scale(X)
    Y = (
        est._label_binarizer.transform(y)
        if Estimator is SNNClassifier
        else est.target_scaler_.transform(y.reshape(-1, 1))
    )

    def loss(coefs):
        z = forward(Xs, coefs, est.intercepts_, est.activation, slopes=est._slopes)
        if Estimator is SNNRegressor:
            return 0.5 * np.mean((z - Y) ** 2)
        z = z - z.max(axis=1, keepdims=True)
        return -np.mean(
            np.sum(Y * (z - np.log(np.exp(z).sum(axis=1, keepdims=True))), axis=1)
        )

    stats = sksnn.layer_statistics(est, X, y)
    for layer in range(2):
        grad = np.zeros_like(est.coefs_[layer])
        for index in np.ndindex(grad.shape):
            step = [c.copy() for c in est.coefs_]
            step[layer][index] += 1e-6
            down = [c.copy() for c in est.coefs_]
            down[layer][index] -= 1e-6
            grad[index] = (loss(step) - loss(down)) / 2e-6
        assert_allclose(stats["grad_norm"].iloc[layer], np.linalg.norm(grad), rtol=1e-5)


def test_snn_keeps_mean_zero_variance_one_through_depth():
    """At initialization on standardized data, 20 SELU layers stay near (0, 1).

    The SNN itself: the periodic features of the default (about variance 0.2
    each at the start) would enter beside the standardized numbers."""
    X = np.random.RandomState(0).standard_normal((2000, 50))
    y = np.arange(2000) % 2
    snn = SNNClassifier(
        hidden_layer_sizes=(100,) * 20, numeric_embedding=None, random_state=0
    )
    stats = sksnn.layer_statistics(snn, X, y)
    assert (stats["activation_mean"].abs() < 0.2).all()
    assert stats["activation_std"].between(0.7, 1.3).all()


def test_logistic_normal_init_vanishes():
    """Logistic units with N(0, 1) weights: the first layer's gradient vanishes."""
    X = np.random.RandomState(0).standard_normal((2000, 50))
    y = np.arange(2000) % 2
    stats = sksnn.layer_statistics(
        SNNClassifier(
            hidden_layer_sizes=(100,) * 20,
            activation="logistic",
            kernel_initializer="normal",
            random_state=0,
        ),
        X,
        y,
    )
    assert stats["grad_norm"].iloc[0] < 0.1 * stats["grad_norm"].iloc[-1]
    assert stats["saturated_fraction"].iloc[-1] > 0.2


def test_unfitted_statistics_use_the_fit_initial_weights(iris):
    """An unfitted estimator reports the weights fit starts from."""
    X, y = iris
    est = SNNClassifier(
        hidden_layer_sizes=(5,),
        max_iter=1,
        learning_rate_init=1e-12,
        early_stopping=False,  # the scaler sees every row
        n_iter_no_change=10,  # and max_iter warns
        random_state=3,
    )
    before = sksnn.layer_statistics(est, X)
    with pytest.warns(Warning):
        est.fit(X, y)
    assert_allclose(
        sksnn.layer_statistics(est, X).values, before.values, rtol=1e-6, atol=1e-8
    )


def test_wrong_number_of_features(fitted_classifier, iris):
    """A fitted estimator refuses X with another number of features."""
    X, _ = iris
    with pytest.raises(
        ValueError,
        match=re.escape("X has 3 features, but SNNClassifier is expecting 4 features"),
    ):
        sksnn.layer_statistics(fitted_classifier, X[:, :3])


def test_unfitted_batch_norm_and_bad_shapes(iris):
    """Unfitted batch-norm nets and 1-D input get clear errors."""
    X, y = iris
    with pytest.raises(ValueError, match="needs a fitted estimator when batch_norm"):
        sksnn.layer_statistics(SNNClassifier(batch_norm=True), X)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        sksnn.layer_statistics(SNNClassifier(), X[:, 0])


def test_plots_draw_every_curve(iris, fitted_classifier):
    """plot_layer_statistics and plot_learning_curves draw one line per input."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sksnn.plotting import plot_layer_statistics, plot_learning_curves

    X, y = iris
    stats = {
        "a": sksnn.layer_statistics(fitted_classifier, X, y),
        "b": sksnn.layer_statistics(SNNClassifier(random_state=1), X, y),
    }
    axes = plot_layer_statistics(stats)
    assert [len(ax.get_lines()) for ax in axes] == [2, 2, 2]
    early = SNNClassifier(
        hidden_layer_sizes=(8,),
        max_iter=5,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    plain = SNNClassifier(**early.get_params()).set_params(early_stopping=False)
    early.fit(X, y)  # coslog4 plans the 5 epochs: no ConvergenceWarning
    with pytest.warns(Warning):
        plain.fit(X, y)
    axes = plot_learning_curves({"fitted": plain, "early": early})
    assert len(axes[0].get_lines()) == 2
    assert len(axes[1].get_lines()) == 1  # only the early-stopped one validates
