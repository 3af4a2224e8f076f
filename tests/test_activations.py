"""PReLU, PSELU and RReLU: the activations with parameters of their own."""

import json
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sksnn
from sksnn import SNNClassifier, SNNRegressor
from sksnn._forward import RRELU_LOWER, RRELU_UPPER, SELU_ALPHA, SELU_SCALE
from tests.conftest import KERAS_RTOL

# One network (not the default ensemble): the hand-written passes below.
# The numbers enter as they are (no periodic embedding): the hand forward
# passes below start from the standardized X.
FAST = dict(
    hidden_layer_sizes=(12, 7),
    n_ensembles=1,
    numeric_embedding=None,
    max_iter=20,
    random_state=0,
)


def _selu(z):
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))


# The activations with a learned parameter per unit: by hand, that
# parameter's start, and the oldest save format that holds them (format 3
# readers would take PSELU's blends for PReLU's slopes).
LEARNED = {
    "prelu": (lambda z, a: np.where(z > 0, z, a * z), 0.25, 3),
    "pselu": (lambda z, a: z + a * (_selu(z) - z), 1.0, 4),
}


@pytest.fixture(params=list(LEARNED))
def learned(request, iris):
    X, y = iris
    est = SNNClassifier(activation=request.param, **FAST).fit(X, y)
    return est, X, y, *LEARNED[request.param]


def test_one_learned_parameter_per_unit(learned):
    est, X, _, by_hand, start, _ = learned
    assert [s.shape for s in est._slopes] == [(12,), (7,)]
    for values in est._slopes:
        assert np.ptp(values) > 1e-4  # trained apart from their common start
        assert not np.allclose(values, start)
    # predict uses the learned parameters: the network by hand ...
    z = est._scale(X)
    for coef, intercept, values in zip(est.coefs_, est.intercepts_, est._slopes):
        z = by_hand(z @ coef + intercept, values)
    logits = z @ est.coefs_[-1] + est.intercepts_[-1]
    assert_allclose(est._network_logits(X), logits, rtol=1e-10)
    # ... as the Keras network does.
    keras_out = np.asarray(est.model_.predict_on_batch(est._scale(X)))
    assert_allclose(logits, keras_out, rtol=KERAS_RTOL, atol=KERAS_RTOL)


def test_learned_parameters_survive_save_pickle_and_warm_start(learned, tmp_path):
    import pickle

    est, X, y, _, start, version = learned
    est.save(tmp_path / "m.sksnn")
    with zipfile.ZipFile(tmp_path / "m.sksnn") as archive:
        assert json.loads(archive.read("model.json"))["format_version"] == version
    for loaded in (sksnn.load(tmp_path / "m.sksnn"), pickle.loads(pickle.dumps(est))):
        assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
        assert_array_equal(loaded._slopes[1], est._slopes[1])
    before = [s.copy() for s in est._slopes]
    est.set_params(warm_start=True, max_iter=3).fit(X, y)
    moved = max(np.abs(a - b).max() for a, b in zip(est._slopes, before))
    assert 0 < moved < 0.05  # continued from the fitted values, not the start


def test_layer_statistics_use_the_learned_parameters(learned):
    est, X, _, by_hand, _, _ = learned
    stats = sksnn.layer_statistics(est, X)
    z = est._scale(X) @ est.coefs_[0] + est.intercepts_[0]
    a = by_hand(z, est._slopes[0])
    assert_allclose(stats["activation_mean"][0], a.mean(), rtol=1e-10)


def test_pselu_starts_as_selu(diabetes):
    X, y = diabetes
    one_step = {**FAST, "max_iter": 1, "batch_size": len(X), "early_stopping": False}
    fresh = SNNRegressor(activation="pselu", **one_step)
    selu = SNNRegressor(activation="selu", **one_step)
    # At its start PSELU is SELU: the same gradients, the same first step.
    assert_allclose(fresh.fit(X, y).coefs_[1], selu.fit(X, y).coefs_[1], rtol=1e-6)
    assert_array_equal(fresh._slopes[0] != 1, True)  # and then it learned


def test_pselu_ensemble_members_learn_their_own_blends(diabetes):
    X, y = diabetes
    est = SNNRegressor(activation="pselu", **{**FAST, "n_ensembles": 3}).fit(X, y)
    assert [s.shape for s in est._slopes] == [(3, 12), (3, 7)]
    assert np.abs(est._slopes[0][0] - est._slopes[0][1]).max() > 1e-4
    keras_out = np.asarray(est.model_.predict_on_batch(est._scale(X)))
    assert_allclose(est._members_logits(X), np.moveaxis(keras_out, 1, 0),
                    rtol=KERAS_RTOL, atol=KERAS_RTOL)  # fmt: skip


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
