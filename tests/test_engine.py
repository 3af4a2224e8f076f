"""Networks and traced epochs are reused across fits of the same shapes."""

import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV

from sksnn import SNNClassifier, SNNRegressor, _engine
from tests.conftest import FAST

SMALL = dict(FAST, max_iter=5)


@pytest.fixture(autouse=True)
def empty_pool():
    _engine.POOL.clear()
    yield
    _engine.POOL.clear()


def _fit(Estimator, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Estimator(**{**SMALL, **params}).fit(X, y)


def _weights(est):
    return est.coefs_ + est.intercepts_


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kernel_initializer": "glorot_uniform", "random_state": 3},
        {"dropout": 0.1},
        {"batch_norm": True},
        {"alpha": 0.01, "solver": "adam"},
    ],
    ids=["defaults", "other-initializer", "dropout", "batch_norm", "l2-adam"],
)
def test_reused_network_trains_like_a_new_one(iris, params):
    """A fit on a pooled network gives exactly the weights of a newly built one."""
    X, y = iris
    params = {"random_state": 0, **params}
    new = _fit(SNNClassifier, X, y, **params)
    engine = new._trainer
    del new  # its network goes back to the pool
    assert len(_engine.POOL) == 1
    # A different seed and initializer first, so that the reuse must reset.
    other = _fit(SNNClassifier, X, y, **{**params, "random_state": 99})
    assert other._trainer is engine
    del other
    reused = _fit(SNNClassifier, X, y, **params)
    assert reused._trainer is engine
    assert engine.fits == 3
    _engine.POOL.clear()
    again_new = _fit(SNNClassifier, X, y, **params)
    assert again_new._trainer is not engine
    for a, b in zip(_weights(reused), _weights(again_new)):
        assert_array_equal(a, b)
    assert reused.loss_curve_ == again_new.loss_curve_


def test_second_fit_does_not_trace_again(iris):
    X, y = iris
    first = _fit(SNNClassifier, X, y, random_state=0)
    epoch = first._trainer.epoch
    traces = epoch.traces
    if traces == 0:
        pytest.skip("this backend traces nothing (eager PyTorch)")
    del first
    second = _fit(SNNClassifier, X, y, random_state=1)
    assert second._trainer.epoch is epoch
    assert epoch.traces == traces == 1
    # The same estimator fitted again keeps its network.
    second.fit(X, y)
    assert second._trainer.epoch is epoch
    assert epoch.traces == 1


def test_other_shapes_get_their_own_network(iris):
    X, y = iris
    a = _fit(SNNClassifier, X, y, random_state=0)
    b = _fit(SNNClassifier, X[:, :3], y, random_state=0)
    c = _fit(SNNClassifier, X, y, random_state=0, hidden_layer_sizes=(8,))
    d = _fit(SNNClassifier, X.astype(np.float32), y, random_state=0)
    engines = {id(e._trainer) for e in (a, b, c, d)}
    assert len(engines) == 4


def test_refit_with_other_shapes_returns_the_network(iris):
    X, y = iris
    est = _fit(SNNClassifier, X, y, random_state=0)
    first = est._trainer
    est.set_params(hidden_layer_sizes=(8,)).fit(X, y)
    assert est._trainer is not first
    assert _engine.POOL.take(first.key) is first


def test_model_given_to_the_user_is_not_reused(iris):
    X, y = iris
    est = _fit(SNNClassifier, X, y, random_state=0)
    model = est.model_
    del est
    assert len(_engine.POOL) == 0
    assert model.get_weights()  # still intact, still the user's


def test_partial_fit_continues_its_own_network(diabetes):
    X, y = diabetes
    est = SNNRegressor(**SMALL, random_state=0)
    est.partial_fit(X, y)
    engine = est._trainer
    other = _fit(SNNRegressor, X, y, random_state=1)  # same shapes
    assert other._trainer is not engine
    est.partial_fit(X, y)
    assert est._trainer is engine
    assert est.n_iter_ == 2


def test_pool_is_bounded():
    pool = _engine.Pool(max_idle=3)
    engines = [_engine.Engine(("k", i % 2), None, None, None, []) for i in range(5)]
    for engine in engines:
        pool.give(engine)
    assert len(pool) == 3
    assert pool.take(("k", 0)) is engines[4]
    assert pool.take(("k", 1)) is engines[3]


def test_grid_search_builds_one_network_per_shape(iris):
    X, y = iris
    grid = GridSearchCV(
        SNNClassifier(**SMALL, batch_size=32, random_state=0),
        {"kernel_initializer": ["lecun_normal", "glorot_uniform", "he_normal"]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid.fit(X, y)
    # 9 fits on folds of 100 rows and the refit on 150 share one network.
    assert len(_engine.POOL) == 0
    assert grid.best_estimator_._trainer.fits == 10


def test_threads_fit_on_separate_networks(iris):
    X, y = iris
    serial = [_fit(SNNClassifier, X, y, random_state=s) for s in range(4)]
    results = [None] * 4

    def fit(seed):
        results[seed] = _fit(SNNClassifier, X, y, random_state=seed)

    threads = [threading.Thread(target=fit, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(r._trainer) for r in results}) == 4
    for a, b in zip(serial, results):
        for wa, wb in zip(_weights(a), _weights(b)):
            assert_array_equal(wa, wb)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"dropout": 0.1},
        {"batch_norm": True},
        {"alpha": 0.01, "clipnorm": 1.0},
        {"solver": "adam", "clipvalue": 0.5},
        {"solver": "sgd", "learning_rate_init": 0.01},
        {"solver": "rmsprop", "hidden_layer_sizes": (7, 5, 3, 2, 4)},
    ],
    ids=[
        "defaults",
        "dropout",
        "batch_norm",
        "l2-clipnorm",
        "adam-clipvalue",
        "sgd",
        "rmsprop-5-layers",
    ],
)
def test_compiled_epoch_equals_keras_train_step(diabetes, monkeypatch, params):
    """sksnn's one-program epoch takes the steps of Keras' own train_on_batch."""
    from sksnn import _backend

    if _backend.backend_name() not in _backend._EPOCHS:
        pytest.skip("this backend trains with Keras' train step itself")
    X, y = diabetes
    # float32: Keras' own TensorFlow train step fails on float64 with an L2
    # penalty (it sums the float64 penalty into a float32 total).
    X = X.astype(np.float32)
    params = dict(random_state=0, batch_size=50, **params)  # 8 full batches + 42
    ours = _fit(SNNRegressor, X, y, **params)
    _engine.POOL.clear()
    monkeypatch.setattr(_backend, "_EPOCHS", {})
    keras_step = _fit(SNNRegressor, X, y, **params)
    # Not the weights themselves: with batch_norm the hidden biases get no
    # gradient but rounding noise, which Adam's scaling turns into steps.
    rtol = 1e-4
    np.testing.assert_allclose(ours.loss_curve_, keras_step.loss_curve_, rtol=rtol)
    np.testing.assert_allclose(
        ours.predict(X), keras_step.predict(X), rtol=rtol, atol=rtol * y.std()
    )
