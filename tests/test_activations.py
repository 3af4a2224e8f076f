"""PReLU and RReLU: the activations with parameters of their own."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sksnn
from sksnn import SNNClassifier, SNNRegressor
from sksnn._forward import RRELU_LOWER, RRELU_UPPER

# One network (not the default ensemble): the hand-written passes below.
FAST = dict(hidden_layer_sizes=(12, 7), n_ensembles=1, max_iter=20, random_state=0)


@pytest.fixture
def prelu(iris):
    X, y = iris
    return SNNClassifier(activation="prelu", **FAST).fit(X, y), X, y


def test_prelu_learns_one_slope_per_unit(prelu):
    est, X, _ = prelu
    assert [s.shape for s in est._slopes] == [(12,), (7,)]
    for slope in est._slopes:
        assert np.ptp(slope) > 1e-4  # trained apart, from 0.25 each
    # predict's slopes are the learned ones: the network by hand.
    z = est._scale(X)
    for coef, intercept, slope in zip(est.coefs_, est.intercepts_, est._slopes):
        z = z @ coef + intercept
        z = np.where(z > 0, z, slope * z)
    logits = z @ est.coefs_[-1] + est.intercepts_[-1]
    assert_allclose(est._network_logits(X), logits, rtol=1e-10)


def test_prelu_slopes_survive_save_and_pickle(prelu, tmp_path):
    import pickle

    est, X, _ = prelu
    est.save(tmp_path / "m.sksnn")
    for loaded in (sksnn.load(tmp_path / "m.sksnn"), pickle.loads(pickle.dumps(est))):
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        assert_array_equal(loaded._slopes[1], est._slopes[1])


def test_prelu_warm_start_continues_the_slopes(prelu):
    est, X, y = prelu
    before = [s.copy() for s in est._slopes]
    est.set_params(warm_start=True, max_iter=3).fit(X, y)
    moved = max(np.abs(a - b).max() for a, b in zip(est._slopes, before))
    assert 0 < moved < 0.05  # continued from the fitted slopes, not from 0.25


def test_layer_statistics_use_the_learned_slopes(prelu):
    est, X, _ = prelu
    stats = sksnn.layer_statistics(est, X)
    z = est._scale(X) @ est.coefs_[0] + est.intercepts_[0]
    a = np.where(z > 0, z, est._slopes[0] * z)
    assert_allclose(stats["activation_mean"][0], a.mean(), rtol=1e-10)


def test_rrelu_layer_draws_slopes_in_training_and_uses_their_mean_after():
    from sksnn._network import RandomLeakyReLU

    layer = RandomLeakyReLU(seed=0, dtype="float64")
    x = -np.ones((2000, 5))
    trained = np.asarray(layer(x, training=True))
    assert np.all((-RRELU_UPPER <= trained) & (trained <= -RRELU_LOWER))
    assert trained.std() > 0.05  # a slope per unit and row
    assert trained.mean() == pytest.approx(-(RRELU_LOWER + RRELU_UPPER) / 2, abs=0.005)
    assert_allclose(np.asarray(layer(x)), -(RRELU_LOWER + RRELU_UPPER) / 2)
    positive = np.abs(np.random.default_rng(0).normal(size=(10, 5)))
    assert_array_equal(np.asarray(layer(positive, training=True)), positive)


def test_rrelu_training_is_reproducible(diabetes):
    X, y = diabetes
    fits = [SNNRegressor(activation="rrelu", **FAST).fit(X, y) for _ in range(2)]
    assert_array_equal(fits[0].coefs_[0], fits[1].coefs_[0])
