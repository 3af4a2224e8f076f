"""RealMLP's input levers: the learned per-column scale (``input_scale``) and
the periodic numeric embedding (``numeric_embedding='periodic'``, PBLD), each
checked against a construction of its own: a hand loop of the formula, the
Keras layer, the numpy predict, files and continued fits."""

import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sksnn import SNNClassifier, SNNRegressor, _network, _random, layer_statistics, load
from sksnn._forward import Periodic, forward, periodic_features

from .conftest import network_input

FAST = dict(hidden_layer_sizes=(8, 8), max_iter=3, random_state=0)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.lognormal(size=n),
            "kind": pd.Categorical(rng.choice(list("uvwxyz"), n)),
        }
    )
    X.loc[::9, "a"] = np.nan
    y = np.sin(2 * X["a"].fillna(0)) + np.log(X["b"]) + (X["kind"] == "u")
    return X, y.to_numpy()


def _by_hand(x, params):
    """PBLD of one row of numbers, a loop per column: its features and x."""
    frequencies, phases, kernel, bias = params
    out = []
    for i, value in enumerate(x):
        z = np.cos(2 * np.pi * value * frequencies[i] + phases[i])
        out.extend(z @ kernel[i] + bias[i])
    return np.array(out)


@pytest.mark.parametrize("n_members", [1, 3])
def test_periodic_features_follow_the_formula(n_members):
    rng = np.random.default_rng(1)
    layout = Periodic(4, n_frequencies=5, width=2)
    params = _network.initial_periodic(layout, range(n_members), np.float64)
    if n_members == 1:
        params = tuple(value[0] for value in params)
    X = rng.normal(size=(6, 7))  # 4 numbers, then 3 other columns
    got = periodic_features(X, params, 4)
    for m in range(n_members):
        member = params if n_members == 1 else tuple(v[m] for v in params)
        member_got = got if n_members == 1 else got[m]
        for row in range(6):
            assert_allclose(member_got[row], _by_hand(X[row, :4], member), atol=1e-12)


@pytest.mark.parametrize("n_ensembles", [1, 3])
@pytest.mark.parametrize("numeric_embedding", [None, "periodic"])
def test_keras_network_matches_numpy_predict(n_ensembles, numeric_embedding):
    X, y = _frame()
    est = SNNRegressor(
        **FAST, n_ensembles=n_ensembles, numeric_embedding=numeric_embedding
    ).fit(X, y)
    inputs = network_input(est, X)
    keras_logits = np.asarray(est.model_.predict_on_batch(inputs))
    numpy_logits = est._members_logits(X)
    if n_ensembles > 1:
        numpy_logits = np.transpose(numpy_logits, (1, 0, 2))
    assert_allclose(keras_logits, numpy_logits, rtol=1e-10, atol=1e-10)
    # The first layer reads each of the 2 numbers' 3 features beside the input.
    extra = 2 * 3 if numeric_embedding else 0
    assert est.coefs_[0].shape[-2] == est._embedding_layout().n_outputs + extra


def test_periodic_members_share_the_embedding_and_training_moves_it():
    X, y = _frame()
    est = SNNRegressor(**FAST, n_ensembles=3, numeric_embedding="periodic").fit(X, y)
    start = _network.initial_periodic(
        Periodic(2), [_random.periodic_seed(0)], np.float64
    )
    for initial, trained in zip(start, est._periodic):
        assert trained.shape == initial.shape[1:]  # one for the 3 members
        assert not np.allclose(initial[0], trained)


def test_periodic_without_numbers_is_the_plain_network():
    X, y = _frame()
    kinds = X[["kind"]]
    plain = SNNRegressor(**FAST).fit(kinds, y)
    periodic = SNNRegressor(**FAST, numeric_embedding="periodic").fit(kinds, y)
    assert periodic._periodic is None
    assert_array_equal(periodic.predict(kinds), plain.predict(kinds))


def test_periodic_survives_save_pickle_and_warm_start(tmp_path):
    X, y = _frame()
    est = SNNRegressor(**FAST, numeric_embedding="periodic", n_ensembles=2)
    est.fit(X, y)
    path = tmp_path / "model.sksnn"
    est.save(path)
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("model.json"))["format_version"] == 5
    for copy in (load(path), pickle.loads(pickle.dumps(est))):
        assert_array_equal(copy.predict(X), est.predict(X))
    # A warm start continues the fitted embedding; another kind is refused.
    est.set_params(warm_start=True, max_iter=1)
    before = [value.copy() for value in est._periodic]
    est.fit(X, y)
    assert not np.allclose(before[2], est._periodic[2])
    est.set_params(numeric_embedding=None)
    with pytest.raises(ValueError, match="numeric_embedding"):
        est.fit(X, y)


@pytest.mark.parametrize("fitted", [False, True])
def test_layer_statistics_reads_the_periodic_features(iris, fitted):
    """Layer 1's statistics are those of the first kernel on the input with
    its periodic features (a product of the wrong width would fail)."""
    X, y = iris
    est = SNNClassifier(**FAST, numeric_embedding="periodic")
    if fitted:
        est.fit(X, y)
    stats = layer_statistics(est, X, y)
    assert len(stats) == 4 * 2  # the default 4 members' 2 layers
    assert np.all(np.isfinite(stats["pre_activation_std"]))
    assert np.all(np.isfinite(stats["grad_norm"]))


@pytest.mark.parametrize("n_members", [1, 3])
def test_input_scale_folds_into_the_first_kernel(n_members):
    """The training network (scale, then kernel) and the folded weights that
    get_weights returns compute the same; set_weights resets the scale to 1."""
    rng = np.random.default_rng(0)
    model = _network.build_network(
        5, [7, 6], 2, activation="pselu", kernel_initializer="lecun_normal",
        seeds=list(range(3 * n_members)), dtype="float64", input_scale=True,
    )  # fmt: skip
    (scale,) = [
        layer for layer in model.layers if isinstance(layer, _network.InputScale)
    ]
    scale.unit.assign(rng.uniform(0, 1, scale.unit.shape))
    X = rng.normal(size=(4, 5))
    trained = np.asarray(model(X))
    weights = _network.get_weights(model)
    folded = forward(
        X, weights.coefs, weights.intercepts, "pselu", slopes=weights.slopes
    )
    if n_members > 1:
        folded = np.transpose(folded, (1, 0, 2))
    assert_allclose(folded, trained, atol=1e-12)
    _network.set_weights(model, weights)
    assert_allclose(scale.scale(), 1.0)
    assert_allclose(np.asarray(model(X)), trained, atol=1e-12)


def test_input_scale_learns_faster_than_the_weights(diabetes):
    """Adam's first step moves each parameter by the step size; the scale's
    by 6 times it: one batch changes the (folded) first kernel's rows by a
    factor 1 +- 6 lr, beside the kernel's own step."""
    X, y = diabetes
    one_step = dict(
        hidden_layer_sizes=(8,), max_iter=1, batch_size=len(X), early_stopping=False,
        learning_rate="constant", n_ensembles=1,
        solver="adam", numeric_embedding=None, random_state=0,
    )  # fmt: skip
    start = SNNRegressor(**one_step, learning_rate_init=1e-12, input_scale=False)
    start.fit(X, y)
    plain = SNNRegressor(**one_step, learning_rate_init=1e-3, input_scale=False)
    plain.fit(X, y)
    scaled = SNNRegressor(**one_step, learning_rate_init=1e-3, input_scale=True)
    scaled.fit(X, y)
    assert plain.coefs_[0].shape == scaled.coefs_[0].shape
    # Scaled: W (1 + 6 lr sign) + lr steps; the row ratio shows the scale.
    ratio = scaled.coefs_[0] / start.coefs_[0]
    plain_ratio = plain.coefs_[0] / start.coefs_[0]
    moved = np.median(np.abs(ratio - plain_ratio), axis=1)
    assert_allclose(moved, 6e-3, rtol=0.05)
