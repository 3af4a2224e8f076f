"""n_ensembles: several SNNs trained as one network, predicting together."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax

import sksnn
from sksnn import SNNClassifier, SNNRegressor, _engine, layer_statistics
from tests.conftest import FAST, network_input

K = 3
# Every epoch and row: member 0 must follow a single network step by step
# (the members share the periodic embedding of the numbers, so without it).
ALONE = dict(
    hidden_layer_sizes=(8, 8),
    max_iter=8,
    early_stopping=False,
    numeric_embedding=None,
)


def _fit(Estimator, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Estimator(**params).fit(X, y)


def _rtol(est, float64_rtol):
    """The tolerance of a comparison of predictions: float32 networks (JAX
    without jax_enable_x64) round at about 1e-7 of each value."""
    return float64_rtol if est.coefs_[0].dtype == np.float64 else 1e-5


def _member(est, m):
    """Member m of a fitted ensemble as a fitted single network."""
    single = copy.deepcopy(est)
    single.n_ensembles = 1
    single.coefs_ = [coef[m] for coef in est.coefs_]
    single.intercepts_ = [intercept[m] for intercept in est.intercepts_]
    if est._slopes is not None:
        single._slopes = [slope[m] for slope in est._slopes]
    return single


@pytest.mark.parametrize("solver", ["nadam", "sgd"])
@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_each_member_trains_as_if_alone(Estimator, solver, iris):
    """Member 0 of an ensemble gets the weights of a single network of its seed."""
    X, y = iris
    params = dict(ALONE, solver=solver, alpha=1e-3, random_state=0)
    single = _fit(Estimator, X, y, **params, n_ensembles=1)
    ensemble = _fit(Estimator, X, y, **params, n_ensembles=K)
    for a, b in zip(single.coefs_ + single.intercepts_,
                    ensemble.coefs_ + ensemble.intercepts_):  # fmt: skip
        assert b.shape == (K, *a.shape)
        assert_allclose(b[0], a, rtol=1e-5, atol=1e-6)
    for a, b in zip(single.coefs_, ensemble.coefs_):
        # The other members start from seeds of their own.
        assert not np.allclose(b[1], a, atol=1e-3)
    # The loss curve is the members' mean: member 0's is the single one.
    assert len(ensemble.loss_curve_) == len(single.loss_curve_)
    assert not np.allclose(ensemble.loss_curve_, single.loss_curve_)


def test_classifier_averages_the_members_probabilities(iris):
    """predict_proba is the mean of the members' own predict_proba."""
    X, y = iris
    est = _fit(
        SNNClassifier, X, y, **FAST, n_ensembles=K, early_stopping=False, random_state=0
    )
    members = [_member(est, m).predict_proba(X) for m in range(K)]
    expected = np.mean(members, axis=0)
    assert_allclose(est.predict_proba(X), expected, rtol=_rtol(est, 1e-10))
    assert_array_equal(est.predict(X), est.classes_[est.predict_proba(X).argmax(1)])
    assert est.score(X, y) > 0.9


def test_multilabel_averages_each_label(iris):
    """With several labels, each label's probability is the members' mean."""
    X, _ = iris
    Y = np.column_stack([X[:, 0] > 5.8, X[:, 2] > 4.3]).astype(int)
    est = _fit(SNNClassifier, X, Y, **FAST, n_ensembles=K, random_state=0)
    members = [_member(est, m).predict_proba(X) for m in range(K)]
    proba = est.predict_proba(X)
    assert_allclose(proba, np.mean(members, axis=0), rtol=_rtol(est, 1e-10))
    assert_array_equal(est.predict(X), (proba > 0.5).astype(int))


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_mean_and_std_of_the_members(diabetes, loss):
    """predict is the members' mean; return_std gives their spread."""
    X, y = diabetes
    est = _fit(SNNRegressor, X, y, **FAST, n_ensembles=K, loss=loss, random_state=0)
    members = np.array([_member(est, m).predict(X) for m in range(K)])
    mean, std = est.predict(X, return_std=True)
    assert_allclose(mean, members.mean(axis=0), rtol=_rtol(est, 1e-9))
    scale = np.abs(members).max()
    assert_allclose(std, members.std(axis=0), rtol=_rtol(est, 1e-7), atol=1e-7 * scale)
    assert_array_equal(est.predict(X), mean)
    assert (std > 0).all()


def test_single_network_std_is_zero(diabetes):
    X, y = diabetes
    est = _fit(SNNRegressor, X, y, **FAST, n_ensembles=1, random_state=0)
    mean, std = est.predict(X, return_std=True)
    assert_array_equal(mean, est.predict(X))
    assert_array_equal(std, np.zeros_like(mean))


def test_keras_model_outputs_every_member(iris):
    """model_ gives (batch, member, output) logits equal to the numpy pass."""
    X, y = iris
    est = _fit(
        SNNClassifier, X, y, **FAST, n_ensembles=K, activation="prelu", random_state=0
    )
    keras_logits = np.asarray(est.model_.predict_on_batch(est._scale(X)))
    numpy_logits = est._members_logits(X)
    assert keras_logits.shape == (len(X), K, 3)
    assert_allclose(keras_logits.transpose(1, 0, 2), numpy_logits, rtol=1e-5, atol=1e-6)


def test_early_stopping_keeps_the_ensembles_best_epoch(iris):
    """The kept epoch is the one whose mean prediction scored best."""
    X, y = iris
    rng = np.random.default_rng(0)
    val = rng.permutation(len(X))[:40]
    train = np.setdiff1d(np.arange(len(X)), val)
    est = SNNClassifier(**FAST, n_ensembles=K, early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[train], y[train], X_val=X[val], y_val=y[val])
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X[val], y[val]) == est.best_validation_score_


def test_round_trips(tmp_path, diabetes):
    """pickle and save/load keep every member."""
    X, y = diabetes
    est = _fit(SNNRegressor, X, y, **FAST, n_ensembles=K, dropout=0.1, random_state=0)
    expected = est.predict(X, return_std=True)
    est.save(tmp_path / "ensemble.sksnn")
    for loaded in (
        pickle.loads(pickle.dumps(est)),
        sksnn.load(tmp_path / "ensemble.sksnn"),
    ):
        for a, b in zip(loaded.predict(X, return_std=True), expected):
            assert_array_equal(a, b)


def test_warm_start_and_partial_fit_continue_every_member(iris):
    X, y = iris
    est = _fit(SNNClassifier, X, y, **ALONE, n_ensembles=K, warm_start=True,
               random_state=0)  # fmt: skip
    before = [coef.copy() for coef in est.coefs_]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert all(not np.allclose(a, b) for a, b in zip(before, est.coefs_))
    with pytest.raises(ValueError, match="n_ensembles=2 differs from the 3"):
        est.set_params(n_ensembles=2).fit(X, y)
    inc = SNNClassifier(**ALONE, n_ensembles=K, random_state=0)
    inc.partial_fit(X, y, classes=[0, 1, 2])
    first = inc.coefs_[0].copy()
    inc.partial_fit(X, y)
    assert inc.coefs_[0].shape == (K, 4, 8)
    assert not np.allclose(first, inc.coefs_[0])


def test_batch_norm_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="batch_norm=True is not supported with"):
        SNNClassifier(n_ensembles=2, batch_norm=True).fit(X, y)


def test_auto_is_four_members_and_one_network_with_batch_norm(iris):
    """n_ensembles='auto' (the default) trains four members; with
    batch_norm=True one network; a continued fit may name the 4 it resolved to."""
    X, y = iris
    params = dict(ALONE, random_state=0)
    auto = _fit(SNNClassifier, X, y, **params)
    four = _fit(SNNClassifier, X, y, **params, n_ensembles=4)
    assert auto.coefs_[0].shape == (4, 4, 8)
    assert_array_equal(auto.predict_proba(X), four.predict_proba(X))
    norm = _fit(SNNClassifier, X, y, **params, batch_norm=True)
    assert norm.coefs_[0].shape == (4, 8)
    auto.set_params(n_ensembles=4, warm_start=True, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="n_ensembles=2 differs from the 4"):
        auto.set_params(n_ensembles=2).fit(X, y)


def test_an_ensemble_has_its_own_network(iris):
    """The engine pool keeps ensembles apart from single networks."""
    X, y = iris
    _engine.POOL.clear()
    _fit(SNNClassifier, X, y, **ALONE, n_ensembles=1, random_state=0)
    _fit(SNNClassifier, X, y, **ALONE, n_ensembles=K, random_state=0)
    idle = [e for engines in _engine.POOL._idle.values() for e in engines]
    assert len(idle) == 2
    _engine.POOL.clear()


def test_layer_statistics_per_member(iris):
    """One block of rows per member; member 0's are the single network's."""
    X, y = iris
    params = dict(hidden_layer_sizes=(8, 8), random_state=0)
    single = layer_statistics(SNNClassifier(**params, n_ensembles=1), X, y)
    stats = layer_statistics(SNNClassifier(**params, n_ensembles=K), X, y)
    assert list(stats["member"]) == [0, 0, 1, 1, 2, 2]
    first = stats[stats["member"] == 0].drop(columns="member").reset_index(drop=True)
    assert_allclose(first.to_numpy(float), single.to_numpy(float), rtol=1e-10)
    assert not np.allclose(
        stats[stats["member"] == 1]["grad_norm"], single["grad_norm"]
    )


def test_member_means_match_the_probabilities():
    """The combined logits give exactly the mean probability and mean value."""
    from sksnn._forward import combine_members

    z = np.random.default_rng(0).normal(scale=5, size=(4, 6, 3))
    assert_allclose(
        softmax(combine_members(z, "softmax"), axis=-1),
        softmax(z, axis=-1).mean(0),
        rtol=1e-12,
    )
    assert_allclose(expit(combine_members(z, "logistic")), expit(z).mean(0), rtol=1e-12)
    assert_allclose(np.exp(combine_members(z, "exp")), np.exp(z).mean(0), rtol=1e-12)
    assert_allclose(combine_members(z, "identity"), z.mean(0), rtol=1e-12)


def _frame(iris):
    """iris with a categorical column (embedded: max_onehot_levels=0, the
    default) and a missing value."""
    import pandas as pd

    X, y = iris
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["kind"] = pd.Categorical(np.array(list("uvwxyz"))[np.arange(len(X)) % 6])
    frame.loc[3, "a"] = np.nan
    return frame, y


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_each_member_learns_its_own_embedding(Estimator, iris):
    """Member 0's tables and weights are the single network's; the others'
    tables start from their own seeds (shared tables would learn from the
    sum of every member's loss, so no member would train as alone)."""
    X, y = _frame(iris)
    params = dict(ALONE, max_onehot_levels=0, random_state=0)
    single = _fit(Estimator, X, y, **params, n_ensembles=1)
    ensemble = _fit(Estimator, X, y, **params, n_ensembles=K)
    assert single._embedding.ndim == 2
    assert ensemble._embedding.shape == (K, *single._embedding.shape)
    assert_allclose(ensemble._embedding[0], single._embedding, rtol=1e-5, atol=1e-6)
    assert not np.allclose(ensemble._embedding[1], single._embedding, atol=1e-3)
    for a, b in zip(single.coefs_, ensemble.coefs_):
        assert_allclose(b[0], a, rtol=1e-5, atol=1e-6)
    assert_allclose(
        ensemble._members_logits(X)[0], single._members_logits(X), rtol=1e-5, atol=1e-6
    )


def test_embedded_ensemble_keras_persistence_and_statistics(tmp_path, iris):
    """model_, pickle, save/load and layer_statistics with per-member tables."""
    X, y = _frame(iris)
    est = _fit(SNNClassifier, X, y, **FAST, n_ensembles=K, random_state=0)
    keras_logits = np.asarray(est.model_.predict_on_batch(network_input(est, X)))
    assert_allclose(
        keras_logits.transpose(1, 0, 2), est._members_logits(X), rtol=1e-5, atol=1e-6
    )
    expected = est.predict_proba(X)
    est.save(tmp_path / "embedded.sksnn")
    for loaded in (
        pickle.loads(pickle.dumps(est)),
        sksnn.load(tmp_path / "embedded.sksnn"),
    ):
        assert_array_equal(loaded.predict_proba(X), expected)
    stats = layer_statistics(est, X, y)
    member = _member(est, 1)
    member._embedding = est._embedding[1]
    alone = layer_statistics(member, X, y)
    second = stats[stats["member"] == 1].drop(columns="member").reset_index(drop=True)
    assert_allclose(second.to_numpy(float), alone.to_numpy(float), rtol=1e-10)
