"""Networks and traced epochs are reused across fits of the same shapes."""

import contextlib
import threading
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV

import sksnn
from sksnn import SNNClassifier, SNNRegressor, _engine
from tests.conftest import FAST

# No held-out rows: the training rows (and so the batch shape) must not depend on
# the seed, which picks the validation rows.
SMALL = dict(FAST, max_iter=5, early_stopping=False)


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


def _idle():
    """The engines idle in the pool."""
    return [engine for engines in _engine.POOL._idle.values() for engine in engines]


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
    _fit(SNNClassifier, X, y, **params)
    (engine,) = _idle()  # the fit gave its network back
    # A different seed and initializer first, so that the reuse must reset.
    _fit(SNNClassifier, X, y, **{**params, "random_state": 99})
    reused = _fit(SNNClassifier, X, y, **params)
    assert _idle() == [engine]
    assert engine.fits == 3
    _engine.POOL.clear()
    again_new = _fit(SNNClassifier, X, y, **params)
    assert _idle()[0] is not engine
    for a, b in zip(_weights(reused), _weights(again_new)):
        assert_array_equal(a, b)
    assert reused.loss_curve_ == again_new.loss_curve_


def test_second_fit_does_not_trace_again(iris):
    """A second estimator of the same shapes reuses the traced epoch."""
    X, y = iris
    first = _fit(SNNClassifier, X, y, random_state=0)
    (engine,) = _idle()
    if engine.epoch.traces == 0:
        pytest.skip("this backend traces nothing (eager PyTorch)")
    _fit(SNNClassifier, X, y, random_state=1)
    first.fit(X, y)
    assert _idle() == [engine]
    assert engine.epoch.traces == 1


def test_other_shapes_get_their_own_network(iris):
    """Other features, widths or dtypes build other networks."""
    X, y = iris
    _fit(SNNClassifier, X, y, random_state=0)
    _fit(SNNClassifier, X[:, :3], y, random_state=0)
    est = _fit(SNNClassifier, X, y, random_state=0, hidden_layer_sizes=(8,))
    _fit(SNNClassifier, X.astype(np.float32), y, random_state=0)
    assert len({engine.key for engine in _idle()}) == 4
    est.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    assert len(_idle()) == 5


def test_model_is_built_apart_from_the_pool(iris):
    """Reading model_ changes nothing in the pool, and later fits leave it alone."""
    X, y = iris
    est = _fit(SNNClassifier, X, y, random_state=0)
    (engine,) = _idle()
    model = est.model_
    assert model is not engine.model and _idle() == [engine]
    before = [w.copy() for w in model.get_weights()]
    _fit(SNNClassifier, X, y, random_state=5)  # trains on the pooled network
    for a, b in zip(before, model.get_weights()):
        assert_array_equal(a, b)


@pytest.mark.parametrize("params", [{}, {"dropout": 0.2}, {"batch_norm": True}])
def test_partial_fit_between_other_fits_continues_as_alone(diabetes, params):
    """Another fit on the pooled network between partial_fit calls changes nothing."""
    X, y = diabetes
    alone = SNNRegressor(**SMALL, **params, random_state=0)
    for _ in range(3):
        alone.partial_fit(X, y)
    interleaved = SNNRegressor(**SMALL, **params, random_state=0)
    for _ in range(3):
        interleaved.partial_fit(X, y)
        # Same shapes, so the same network, trained by another estimator.
        _fit(SNNRegressor, X, y, **params, random_state=1)
    assert len(_idle()) == 1
    for a, b in zip(_weights(alone), _weights(interleaved)):
        assert_array_equal(a, b)
    assert interleaved.n_iter_ == 3


def test_pool_is_bounded():
    """At most max_idle engines stay idle; the least recently used go first."""
    pool = _engine.Pool(max_idle=3)
    engines = [_engine.Engine(("k", i % 2), None, None, None, []) for i in range(5)]
    with contextlib.ExitStack() as stack:  # all five lent at once
        for engine in engines:
            stack.enter_context(pool.borrow(engine.key, lambda e=engine: e))
        assert len(pool) == 0
    # Given back in reverse order: the last three given are engines 2, 1, 0.
    idle = [engine for engines in pool._idle.values() for engine in engines]
    assert sorted(map(engines.index, idle)) == [0, 1, 2]
    with pool.borrow(("k", 1), None) as engine:
        assert engine is engines[1]


def test_a_failed_fit_gives_its_network_back(iris):
    """An error during training still returns the borrowed network."""
    X, y = iris
    est = _fit(SNNClassifier, X, y, random_state=0)
    with pytest.raises(ValueError, match="do not include"):
        est.partial_fit(X, np.where(y == 2, 7, y))
    assert len(_idle()) == 1


def test_clear_network_cache_drops_the_idle_networks(iris):
    """sksnn.clear_network_cache empties the pool and reports how many it dropped."""
    X, y = iris
    _fit(SNNClassifier, X, y, random_state=0)
    _fit(SNNClassifier, X, y, random_state=0, hidden_layer_sizes=(8,))
    assert sksnn.clear_network_cache() == 2
    assert len(_engine.POOL) == 0
    assert sksnn.clear_network_cache() == 0


def test_grid_search_builds_one_network_per_shape(iris):
    """9 fits on folds of 100 rows and the refit on 150 share one network."""
    X, y = iris
    grid = GridSearchCV(
        SNNClassifier(**SMALL, batch_size=32, random_state=0),
        {"kernel_initializer": ["lecun_normal", "glorot_uniform", "he_normal"]},
        cv=3,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid.fit(X, y)
    (engine,) = _idle()
    assert engine.fits == 10


def test_threads_fit_on_separate_networks(iris):
    """Fits in 4 threads at once give the serial results."""
    X, y = iris
    serial = [_fit(SNNClassifier, X, y, random_state=s) for s in range(4)]
    results = [None] * 4
    barrier = threading.Barrier(4)

    def fit(seed):
        barrier.wait()
        results[seed] = _fit(SNNClassifier, X, y, random_state=seed)

    threads = [threading.Thread(target=fit, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(_idle()) <= 4
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
