"""The training levers of the defaults benchmark: input clipping, label
smoothing and learning-rate schedules, each checked against an independent
construction of what it should do."""

import copy
import json
import pickle
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import sksnn
from sksnn import SNNClassifier, SNNRegressor
from sksnn._forward import smooth_clip

SMALL = dict(hidden_layer_sizes=(16, 16), random_state=0)

# Short or patience-stopped fits: their ConvergenceWarnings are expected here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def outlying():
    """Regression data whose first column holds a few extreme values."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    X[:4, 0] = [40.0, -25.0, 60.0, 15.0]
    y = X[:, 1] - 0.5 * X[:, 2] + np.tanh(X[:, 0])
    return X, y


def test_smooth_clip_is_near_identity_inside_and_bounded_outside():
    x = np.array([-1e9, -30.0, -0.1, 0.0, 0.05, 0.3, 30.0, 1e9])
    clipped = smooth_clip(x, 3.0)
    assert np.all(np.abs(clipped) <= 3.0)
    assert np.all(np.diff(clipped) > 0)  # order kept
    small = np.abs(x) <= 0.3
    assert_allclose(clipped[small], x[small], rtol=0.006)
    assert clipped[-1] == pytest.approx(3.0)


def test_input_clip_equals_clipping_the_standardized_input_by_hand(outlying):
    """Training and predict both read smooth_clip((X - mean) / std)."""
    X, y = outlying
    params = dict(max_iter=30, early_stopping=False, **SMALL)  # scaler: all rows
    clipped = SNNRegressor(input_clip=1.5, **params).fit(X, y)
    Z = smooth_clip((X - X.mean(axis=0)) / X.std(axis=0), 1.5)
    by_hand = SNNRegressor(standardize=False, **params).fit(Z, y)
    assert_allclose(clipped.coefs_[0], by_hand.coefs_[0], rtol=1e-5, atol=1e-8)
    assert_allclose(clipped.predict(X), by_hand.predict(Z), rtol=1e-5, atol=1e-6)
    plain = SNNRegressor(**params).fit(X, y)
    assert not np.allclose(plain.predict(X), clipped.predict(X), atol=1e-3)


def test_input_clip_bounds_the_effect_of_an_extreme_value(outlying):
    X, y = outlying
    est = SNNRegressor(input_clip=3.0, max_iter=30, **SMALL).fit(X, y)
    far, farther = X[:1].copy(), X[:1].copy()
    far[0, 0], farther[0, 0] = 1e4, 1e6
    assert est.predict(far) == pytest.approx(est.predict(farther)[0], rel=1e-4)
    plain = SNNRegressor(max_iter=30, **SMALL).fit(X, y)
    assert abs(plain.predict(farther) - plain.predict(far))[0] > 1.0


def test_input_clip_leaves_indicators_and_categories_alone():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "x": np.where(rng.random(80) < 0.1, np.nan, rng.normal(size=80)),
            "c": pd.Categorical(rng.choice(list("ab"), 80)),
        }
    )
    y = rng.normal(size=80)
    est = SNNRegressor(input_clip=0.5, max_onehot_levels=5, max_iter=5, **SMALL)
    est.fit(X, y)
    Z = est._scale(est._encoding.transform(sksnn._tabular.read(
        est, X, reset=False, mask=est.is_categorical_), "float64"))  # fmt: skip
    assert np.all(np.abs(Z[:, 0]) < 0.5)  # the number is clipped
    assert np.abs(Z[:, 1:]).max() > 0.9  # its indicator and the one-hot are not


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_keeps_probabilities_off_the_extremes(n_classes):
    rng = np.random.default_rng(0)
    y = np.arange(150) % n_classes
    X = rng.normal(size=(150, 2)) + 8 * y[:, None]  # separable
    params = dict(max_iter=150, n_iter_no_change=np.inf, learning_rate_init=0.01)
    params.update(SMALL)
    sharp = SNNClassifier(**params).fit(X, y)
    smooth = SNNClassifier(label_smoothing=0.2, **params).fit(X, y)
    top = 1 - 0.2 + 0.2 / n_classes  # the smoothed target of the true class
    # The typical confidence goes to the smoothed target, not to 1.
    assert np.median(sharp.predict_proba(X).max(axis=1)) > top + 0.05
    assert np.median(smooth.predict_proba(X).max(axis=1)) == pytest.approx(
        top, abs=0.04
    )
    assert_array_equal(smooth.predict(X), y)
    # The smoothed log-loss is bounded below by the smoothed targets' entropy.
    p = np.array([top] + [0.2 / n_classes] * (n_classes - 1))
    entropy = (
        -(p * np.log(p)).sum()
        if n_classes > 2
        else -(top * np.log(top) + (1 - top) * np.log(1 - top))
    )
    assert smooth.loss_curve_[-1] >= entropy - 1e-6
    assert sharp.loss_curve_[-1] < entropy


@pytest.mark.parametrize(
    "schedule, factor",
    [
        ("cosine", lambda t: (1 + np.cos(np.pi * t)) / 2),
        ("coslog4", lambda t: (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t))) / 2),
    ],
)
def test_schedule_sets_each_epochs_step_size(iris, schedule, factor):
    """Epoch k of max_iter trains at learning_rate_init * factor((k + 0.5) / n)."""
    X, y = iris
    n = 4
    scheduled = SNNClassifier(
        learning_rate=schedule,
        learning_rate_init=0.01,
        max_iter=n,
        early_stopping=False,  # as partial_fit: every row
        **SMALL,
    )
    scheduled.fit(X, y)
    # The same epochs one by one at constant, hand-computed step sizes.
    by_hand = SNNClassifier(
        learning_rate="constant", learning_rate_init=0.01 * factor(0.5 / n), **SMALL
    )
    by_hand.partial_fit(X, y, classes=np.unique(y))
    for k in range(1, n):
        by_hand.set_params(learning_rate_init=0.01 * factor((k + 0.5) / n))
        by_hand.partial_fit(X, y)
    assert_allclose(scheduled.coefs_[1], by_hand.coefs_[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("schedule, stops_at", [("constant", 4), ("coslog4", 28)])
def test_coslog4_warm_up_does_not_stop_training(iris, schedule, stops_at):
    """No epoch but the first (on an infinite best) improves by tol=1e9, so
    the third epoch after it stops training, unless it falls in coslog4's
    warm-up (epochs 1 to 27 of 1000): then the first epoch after that does."""
    X, y = iris
    est = SNNClassifier(
        learning_rate=schedule,
        max_iter=1000,
        n_iter_no_change=2,
        tol=1e9,
        early_stopping=False,
        **SMALL,
    )
    est.fit(X, y)
    assert est.n_iter_ == stops_at
    assert est._no_improvement_count == 3  # MLP's count when it stops


@pytest.mark.parametrize("schedule", ["constant", "coslog4"])
def test_every_epoch_counts_towards_patience(iris, schedule):
    # With an infinite patience the count runs to the end of the plan: every
    # epoch but the first fails tol=1e9, those of coslog4's warm-up (epochs 1
    # and 2 of 100) included, as in MLP (its test_n_iter_no_change_inf).
    X, y = iris
    est = SNNClassifier(
        learning_rate=schedule,
        max_iter=100,
        n_iter_no_change=np.inf,
        tol=1e9,
        early_stopping=False,
        **SMALL,
    )
    est.fit(X, y)
    assert est.n_iter_ == 100
    assert est._no_improvement_count == 100 - 1


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_batch_norm_validation_scores_the_statistics_predict_uses(Estimator):
    """With batch_norm, each epoch's validation score is the score predict
    gives with that epoch's weights, whose statistics are exact on the
    training rows (the moving averages lag on a few batches per epoch)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=300)
    if Estimator is SNNClassifier:
        y = (y > np.median(y)).astype(int)
    est = Estimator(batch_norm=True, max_iter=6, **SMALL)
    est.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    score = est.score(X[200:], y[200:])
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert np.isclose(est.validation_scores_, score, rtol=0, atol=1e-9).any()


def test_partial_fit_schedule_starts_again_after_max_iter(iris):
    """Call k trains at the factor of ((k mod max_iter) + 0.5) / max_iter."""
    X, y = iris
    cosine = [(1 + np.cos(np.pi * t)) / 2 for t in (0.25, 0.75, 0.25)]
    scheduled = SNNClassifier(
        learning_rate="cosine", learning_rate_init=0.001, max_iter=2, **SMALL
    )
    by_hand = SNNClassifier(learning_rate="constant", **SMALL)
    for factor in cosine:
        scheduled.partial_fit(X, y, classes=np.unique(y))
        by_hand.set_params(learning_rate_init=0.001 * factor)
        by_hand.partial_fit(X, y, classes=np.unique(y))
    assert_allclose(scheduled.coefs_[1], by_hand.coefs_[1], rtol=1e-5, atol=1e-7)


def test_partial_fit_after_an_early_stopped_fit_starts_a_new_plan(iris, tmp_path):
    """A fit stopped by patience after 3 of 10 epochs; the partial_fit calls
    that follow start the schedule from its beginning, not from epoch 4,
    also after save and load."""
    X, y = iris
    cosine = lambda t: (1 + np.cos(np.pi * t)) / 2  # noqa: E731
    est = SNNClassifier(
        learning_rate="cosine",
        learning_rate_init=0.01,
        max_iter=10,
        n_iter_no_change=1,
        tol=1e9,
        early_stopping=False,
        **SMALL,
    )
    est.fit(X, y)
    assert est.n_iter_ == 3
    est.save(tmp_path / "m.sksnn")
    loaded = sksnn.load(tmp_path / "m.sksnn")
    by_hand = copy.deepcopy(est).set_params(
        learning_rate="constant", learning_rate_init=0.01 * cosine(0.5 / 10)
    )
    for model in (est, loaded, by_hand):
        model.partial_fit(X, y)
    assert_allclose(est.coefs_[1], by_hand.coefs_[1], rtol=1e-5, atol=1e-7)
    assert_array_equal(loaded.coefs_[1], est.coefs_[1])


def test_pickle_from_before_the_levers_loads_without_them(diabetes):
    """An estimator pickled before input_clip existed was fitted without it."""
    X, y = diabetes
    est = SNNRegressor(max_iter=5, **SMALL).fit(X, y)
    state = est.__getstate__()
    del state["input_clip"]
    del state["_network_params"]["input_clip"]
    old = SNNRegressor.__new__(SNNRegressor)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert old.get_params()["input_clip"] is None
    assert_array_equal(old.predict(X), est.predict(X))


def test_file_from_before_the_levers_loads_without_them(tmp_path, iris):
    X, y = iris
    est = SNNClassifier(max_iter=5, **SMALL).fit(X, y)
    path = tmp_path / "old.sksnn"
    est.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["model.json"])
    for name in ("input_clip", "label_smoothing"):
        del document["params"][name]
        document["fitted"]["_network_params"]["__dict__"] = [
            pair
            for pair in document["fitted"]["_network_params"]["__dict__"]
            if pair[0] != name
        ]
    members["model.json"] = json.dumps(document)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    loaded = sksnn.load(path)
    assert loaded.input_clip is None and loaded.label_smoothing == 0.0
    assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


# -- the validation split of early stopping ------------------------------------


def _split(X, y, w, fraction=0.2, seed=0, stratify=True):
    from sksnn._data import Data, split

    data = Data(X, y, y.reshape(-1, 1).astype(float), w.astype(float))
    return split(
        data,
        validation_fraction=fraction,
        stratify=y if stratify else None,
        seed=seed,
    )


def test_split_holds_out_weighted_rows_as_their_repeats():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 3, 60)
    w = rng.integers(0, 4, 60)
    _, val_weighted = _split(X, y, w)
    _, val_repeated = _split(X.repeat(w, axis=0), y.repeat(w), np.ones(w.sum()))
    weighted = {tuple(r) for r, wi in zip(val_weighted.X, val_weighted.w) if wi > 0}
    assert weighted == {tuple(r) for r in val_repeated.X}
    # Equal rows never straddle the split.
    train, val = _split(X.repeat(2, axis=0), y.repeat(2), np.ones(120))
    assert not {tuple(r) for r in train.X} & {tuple(r) for r in val.X}


def test_a_class_of_one_row_refuses_early_stopping_true_only():
    """As MLP's split does, early_stopping=True refuses to stratify a class
    of one row; 'auto' keeps that row in the training rows."""
    X = np.arange(120, dtype=float).reshape(-1, 2)
    y = np.array(["a"] * 30 + ["b"] * 29 + ["c"])
    est = SNNClassifier(early_stopping=True, max_iter=2, **SMALL)
    with pytest.raises(ValueError, match=r"too few members are: \['c'\]"):
        est.fit(X, y)
    # A weight of zero counts as no row.
    w = np.ones(len(y))
    w[-2] = 0.0
    y2 = y.copy()
    y2[-2] = "c"
    with pytest.raises(ValueError, match=r"too few members are: \['c'\]"):
        est.fit(X, y2, sample_weight=w)
    auto = SNNClassifier(early_stopping="auto", validation_fraction=0.2, max_iter=2,
                         **SMALL).fit(X, y)  # fmt: skip
    assert auto.validation_scores_ is not None
    assert_array_equal(auto.classes_, ["a", "b", "c"])


@pytest.mark.parametrize("stratify", [True, False])
def test_split_holds_out_the_fraction_of_the_weight(stratify):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(1000, 2)), rng.integers(0, 2, 1000)
    w = rng.integers(1, 3, 1000)
    train, val = _split(X, y, w, fraction=0.25, stratify=stratify)
    share = val.w.sum() / w.sum()
    assert 0.25 <= share < 0.25 + 3 / w.sum()
    if stratify:
        for c in (0, 1):
            held = val.w[val.y == c].sum() / w[y == c].sum()
            assert 0.25 <= held < 0.25 + 3 / w[y == c].sum()
    assert len(train.X) + len(val.X) == 1000
    other_seed = _split(X, y, w, fraction=0.25, seed=1, stratify=stratify)[1]
    assert {tuple(r) for r in other_seed.X} != {tuple(r) for r in val.X}


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_scoring_loss_early_stops_on_the_validation_loss(Estimator):
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int) + (X[:, 1] > 1)
    if Estimator is SNNRegressor:
        y = X[:, 0] + 0.3 * rng.normal(size=200)
    w_val = rng.integers(1, 3, 50).astype(float)
    est = Estimator(early_stopping=True, scoring="loss", tol=0.0, max_iter=8, **SMALL)
    est.fit(X[:150], y[:150], X_val=X[150:], y_val=y[150:], sample_weight_val=w_val)
    if Estimator is SNNClassifier:
        kept = -log_loss(y[150:], est.predict_proba(X[150:]), sample_weight=w_val)
    else:
        error = (est.predict(X[150:]) - y[150:]) / est.target_scaler_.scale_[0]
        kept = -np.average(0.5 * error**2, weights=w_val)
    assert est.best_validation_score_ == pytest.approx(kept, rel=1e-6)
    assert max(est.validation_scores_) == est.best_validation_score_
    assert len(est.validation_scores_) == est.n_iter_


def test_split_of_integer_and_float_targets_is_the_same():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(80, 2)), rng.integers(0, 9, 80)
    w = np.ones(80)
    held_int = _split(X, y, w, stratify=False)[1].X
    held_float = _split(X, y.astype(float), w, stratify=False)[1].X
    assert_array_equal(held_int, held_float)
