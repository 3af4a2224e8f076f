"""Behaviour of the estimators: targets, reproducibility, training, attributes."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from sksnn import SNNClassifier, SNNRegressor, _options
from tests.conftest import FAST, KERAS_RTOL

ESTIMATORS = [SNNClassifier, SNNRegressor]


def test_multiclass_string_labels(iris):
    """String labels are learned and predicted back as strings."""
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    # Every epoch: patience on 30 validation rows can stop before 0.9.
    clf = SNNClassifier(**dict(FAST, n_iter_no_change=np.inf), random_state=0)
    clf.fit(X, names)
    assert_array_equal(clf.classes_, names[np.sort(np.unique(y, return_index=True)[1])])
    assert clf.predict(X).dtype == names.dtype
    assert clf.score(X, names) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=2 * np.finfo(proba.dtype).eps)
    assert clf.out_activation_ == "softmax"
    assert clf.n_outputs_ == 3


@pytest.mark.parametrize(
    "classes, y",
    [
        ([0, 1], [1, 0, 1, 1]),
        (["no", "yes"], ["yes", "yes", "no"]),
        ([2, 5, 9], [9, 2, 5, 9]),
        (["a", "b", "c", "d"], ["d", "b", "b"]),  # a subset of the classes
        ([-1.0, 0.0, 2.0], [2.0, -1.0]),
    ],
)
def test_one_hot_equals_label_binarizer(classes, y):
    """The one-hot shortcut equals LabelBinarizer.transform on the same classes."""
    from sklearn.preprocessing import LabelBinarizer

    est = SNNClassifier()
    est._label_binarizer = LabelBinarizer().fit(classes)
    est.classes_ = est._label_binarizer.classes_
    y = np.asarray(y, dtype=object if isinstance(y[0], str) else None)
    assert_array_equal(est._one_hot(y), est._label_binarizer.transform(y))


def test_binary_uses_one_logistic_output():
    """A binary target trains one logistic unit and predicts both probabilities."""
    X, y = make_classification(n_samples=200, random_state=0)
    clf = SNNClassifier(**FAST, random_state=0).fit(X, y)
    assert clf.n_outputs_ == 1
    assert clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.9


def test_multilabel_indicator():
    """A multilabel indicator target gives indicator predictions."""
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    clf = SNNClassifier(**FAST, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == (200, 4)
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == (200, 4)
    assert clf.score(X, Y) > 0.3  # subset accuracy; chance is about 0.05


def test_regressor_targets_in_the_thousands(diabetes):
    """A target scaled by 1000 fits as well as the original (internal scaling)."""
    X, y = diabetes
    # Every row and epoch: the score below is on the training rows.
    every_epoch = dict(FAST, n_iter_no_change=np.inf, early_stopping=False)
    small = SNNRegressor(**every_epoch, random_state=0).fit(X, y)
    large = SNNRegressor(**every_epoch, random_state=0).fit(X, y * 1000 + 5000)
    assert_allclose(large.predict(X), small.predict(X) * 1000 + 5000, rtol=1e-6)
    assert large.score(X, y * 1000 + 5000) > 0.5


def test_multi_output_regression(diabetes):
    """A 2-column target gives 2-column predictions."""
    X, y = diabetes
    Y = np.column_stack([y, -2 * y])
    reg = SNNRegressor(**FAST, random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 2
    P = reg.predict(X)
    assert P.shape == (len(X), 2)
    # Each column is learned (a linear model scores 0.52 on these rows) and the
    # two follow their targets' relation, not each other's noise.
    assert reg.score(X, Y) > 0.4
    assert np.corrcoef(P[:, 0], P[:, 1])[0, 1] < -0.9


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_random_state_reproducible(Estimator, iris):
    """Two fits with the same int random_state give identical predictions."""
    X, y = iris
    a, b, c = (Estimator(**FAST, random_state=seed).fit(X, y) for seed in (3, 3, 4))
    assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_fit_leaves_global_rng_state_alone(iris):
    """Fitting draws nothing from numpy's global RNG nor Keras' global seed."""
    import keras
    from keras.src.backend.common import global_state

    X, y = iris
    keras.random.SeedGenerator  # keras is imported before the state is read
    numpy_state = np.random.get_state()
    keras_seed = global_state.get_global_attribute("global_seed_generator")
    for random_state in (None, 0, np.random.RandomState(1)):
        SNNClassifier(**FAST, random_state=random_state).fit(X, y)
    after = np.random.get_state()
    assert after[0] == numpy_state[0]
    assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert global_state.get_global_attribute("global_seed_generator") is keras_seed


def test_fit_does_not_change_another_estimator(iris):
    """Fitting one estimator leaves another fitted estimator's predictions unchanged."""
    X, y = iris
    first = SNNClassifier(**FAST, random_state=0).fit(X, y)
    before = first.predict_proba(X)
    SNNClassifier(**FAST, random_state=1).fit(X[::-1], y[::-1])
    assert_array_equal(first.predict_proba(X), before)


@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_predict_on_threads_equals_predict_row_by_row(dtype, rtol, iris, monkeypatch):
    """Large inputs are predicted in chunks on threads, with the same result."""
    from sksnn import _predict

    X, y = iris
    X = X.astype(dtype)
    est = SNNClassifier(**FAST, random_state=0).fit(X, y)
    big = np.tile(X, (40, 1))  # 6,000 rows
    rows = np.concatenate([est.predict_proba(big[i : i + 1]) for i in range(150)])
    threads, size = _predict.chunking(len(big))
    assert size <= _predict.PREDICT_CHUNK_ROWS
    chunks = []
    real = _predict.forward
    monkeypatch.setattr(
        _predict, "forward", lambda X, *a: chunks.append(len(X)) or real(X, *a)
    )
    once, again = est.predict_proba(big), est.predict_proba(big)
    # Equal chunks, a multiple of the threads, no row twice.
    assert set(chunks) == {size} and sum(chunks) == 2 * len(big)
    assert len(chunks) // 2 % threads == 0
    assert_array_equal(once, again)
    if est.coefs_[0].dtype == np.float32:  # JAX without x64 trains in float32
        rtol = max(rtol, 1e-5)
    assert_allclose(once, np.tile(rows, (40, 1)), rtol=rtol, atol=rtol)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_predict_threads_follow_the_blas_limit():
    """Large predicts use as many threads as BLAS may, and 1 under a 1-thread limit."""
    from threadpoolctl import threadpool_limits

    from sksnn import _predict

    rows = _predict.PREDICT_CHUNK_ROWS
    assert _predict.chunking(100_000)[0] == min(min(_blas_threads()), 50)
    assert _predict.chunking(rows) == (1, rows)
    with threadpool_limits(1, user_api="blas"):
        threads, size = _predict.chunking(100_000)
    assert threads == 1 and size <= rows


@pytest.mark.parametrize(
    "copies, repeats", [(1, 20), (40, 2)], ids=["one-chunk", "threaded-chunks"]
)
def test_concurrent_predicts_match_serial(copies, repeats, fitted_classifier, iris):
    """predict_proba from 8 threads at once gives the serial result; BLAS as found."""
    import threading

    X, _ = iris
    rows = np.tile(X, (copies, 1))  # 40 copies: 6,000 rows, predicted in chunks
    before = _blas_threads()
    expected = fitted_classifier.predict_proba(rows)
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        results[i] = [fitted_classifier.predict_proba(rows) for _ in range(repeats)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _blas_threads() == before
    assert all(len(per_thread) == repeats for per_thread in results)
    for per_thread in results:
        for proba in per_thread:
            if expected.dtype == np.float64:
                assert_array_equal(proba, expected)
            else:  # float32 BLAS kernels round by the chunk's alignment
                assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_plain_arrays_skip_validate_data_with_the_same_result(
    Estimator, iris, monkeypatch
):
    """predict's shortcut for finite float arrays changes no result."""
    from sksnn import _data

    X, y = iris
    est = Estimator(**{**FAST, "max_iter": 5}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    # A list goes through validate_data.
    rows = (X, X[:1], np.asfortranarray(X), X.astype(np.float32))
    validated = [est.predict(r.tolist()) for r in rows]
    calls = []
    real = _data.validate
    monkeypatch.setattr(
        _data, "validate", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    for r, expected in zip(rows, validated):
        assert_array_equal(est.predict(r), expected)
    assert calls == []
    # Finite values whose float32 sum overflows take the checked path.
    large = np.full((100, X.shape[1]), 1e37, dtype=np.float32)
    assert np.isfinite(est.predict(large)).all()
    assert calls == [1]
    # Missing values take it too, and count as the training mean.
    holes = np.where(X == X[0, 0], np.nan, X)
    filled = np.where(np.isnan(holes), X.mean(axis=0), holes)
    np.testing.assert_allclose(est.predict(holes), est.predict(filled), rtol=1e-12)
    assert calls == [1, 1]


# Every hidden activation (selu is the default), and the layers that change
# the forward pass: batch norm, and AlphaDropout's inference scale.
FORWARD_SETTINGS = [
    pytest.param(SNNClassifier, {}, id="classifier-selu"),
    pytest.param(SNNRegressor, {}, id="regressor-selu"),
    *(
        pytest.param(SNNClassifier, {"activation": activation}, id=activation)
        for activation in _options.ACTIVATIONS
        if activation != "selu"  # the two cases above
    ),
    pytest.param(SNNClassifier, {"batch_norm": True}, id="batch_norm"),
    pytest.param(SNNClassifier, {"dropout": 0.3}, id="alpha-dropout"),
    pytest.param(SNNClassifier, {"activation": "relu", "dropout": 0.3}, id="dropout"),
]


@pytest.mark.parametrize("Estimator, params", FORWARD_SETTINGS)
def test_numpy_forward_matches_keras_model(Estimator, params, iris):
    """Each setting trains, and predict's numpy forward pass equals Keras' output."""
    X, y = iris
    # Every epoch: logistic units learn too slowly for patience on 30 rows.
    # One network: the ensemble's forward pass is tested in test_ensembles.py.
    settings = dict(FAST, n_iter_no_change=np.inf, n_ensembles=1, **params)
    est = Estimator(**settings, random_state=0).fit(X, y)
    logits = np.asarray(est.model_.predict_on_batch(est.scaler_.transform(X)))
    assert_allclose(est._logits(X), logits, rtol=KERAS_RTOL, atol=KERAS_RTOL)
    assert est.score(X, y) > 0.6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_dtype_follows_input(dtype, iris):
    """float32 input trains a float32 network, float64 input a float64 one."""
    X, y = iris
    clf = SNNClassifier(**FAST, random_state=0).fit(X.astype(dtype), y)
    assert all(coef.dtype == dtype for coef in clf.coefs_)
    assert clf.predict_proba(X).dtype == dtype


@pytest.mark.parametrize("n_ensembles, members", [("auto", (4,)), (1, ())])
def test_fitted_attributes(iris, n_ensembles, members):
    """Fitted attributes have MLP's shapes (one per member for an ensemble,
    four by default) and types."""
    X, y = iris
    # Without early stopping, so that the scaler sees every row.
    clf = SNNClassifier(
        **FAST, n_ensembles=n_ensembles, early_stopping=False, random_state=0
    ).fit(X, y)
    assert clf.n_features_in_ == 4
    assert clf.n_layers_ == 4
    # The first layer reads the 4 features, then 3 periodic features of each.
    shapes = [(4 + 4 * 3, 16), (16, 16), (16, 3)]
    assert [c.shape for c in clf.coefs_] == [members + s for s in shapes]
    assert [b.shape for b in clf.intercepts_] == [members + s[1:] for s in shapes]
    assert isinstance(clf.loss_curve_, list)
    assert all(isinstance(loss, float) for loss in clf.loss_curve_)
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert_allclose(clf.scaler_.mean_, X.mean(axis=0))
    assert_allclose(clf.scaler_.scale_, X.std(axis=0))


def test_standardize_false_has_no_scaler(iris):
    """standardize=False trains on the raw input and sets scaler_ to None."""
    X, y = iris
    clf = SNNClassifier(**FAST, standardize=False, random_state=0).fit(X, y)
    assert clf.scaler_ is None
    assert clf.score(X, y) > 0.8


def test_sample_weight_reaches_the_scaler(iris):
    """The built-in scaler is fitted with the sample weights."""
    X, y = iris
    weights = np.where(y == 0, 10.0, 1.0)
    clf = SNNClassifier(**FAST, early_stopping=False, random_state=0)
    clf.fit(X, y, sample_weight=weights)
    expected = np.average(X, axis=0, weights=weights)
    assert_allclose(clf.scaler_.mean_, expected)


def test_sample_weight_equals_repetition(iris):
    """Integer weights give the same model as repeating the rows (full batch)."""
    X, y = iris
    weights = np.tile([0, 1, 2], 50)
    params = dict(FAST, batch_size=400, random_state=0)
    weighted = SNNClassifier(**params).fit(X, y, sample_weight=weights)
    repeated = SNNClassifier(**params).fit(X.repeat(weights, axis=0), y.repeat(weights))
    assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=KERAS_RTOL * 100
    )


def test_early_stop_on_training_loss_follows_mlp(iris):
    """With a large tol, training stops after as many epochs as MLP's does."""
    from sklearn.neural_network import MLPClassifier

    X, y = iris
    settings = dict(FAST, tol=10.0, n_iter_no_change=3, early_stopping=False)
    clf = SNNClassifier(**settings).fit(X, y)
    mlp = MLPClassifier(tol=10.0, n_iter_no_change=3).fit(X, y)
    assert clf.n_iter_ == mlp.n_iter_ == 5  # 1 improvement on inf, then 3 + 1


@pytest.mark.parametrize(
    "params",
    [
        dict(learning_rate="constant"),
        dict(learning_rate="constant", early_stopping=False),
        dict(n_iter_no_change=np.inf, early_stopping=False),
        dict(early_stopping=False),  # coslog4, but no best epoch kept
    ],
)
def test_convergence_warning_at_max_iter(iris, params):
    """Reaching max_iter before convergence warns like MLP."""
    X, y = iris
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\) reached"):
        SNNClassifier(**{**FAST, "max_iter": 2, **params}).fit(X, y)


@pytest.mark.parametrize(
    "params", [dict(n_iter_no_change=np.inf), dict(learning_rate="cosine"), {}]
)
def test_no_convergence_warning_when_the_budget_is_the_plan(iris, params):
    """With early stopping, no patience or a schedule over max_iter (the
    defaults: coslog4) plans the epochs: reaching max_iter is no warning."""
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = SNNClassifier(**{**FAST, "max_iter": 2, **params}).fit(X, y)
    assert est.n_iter_ == 2 and est.validation_scores_ is not None


def test_verbose_prints_one_line_per_epoch(iris, capsys):
    """verbose=1 prints the loss of every epoch; verbose=0 prints nothing."""
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SNNClassifier(**dict(FAST, max_iter=3), verbose=1).fit(X, y)
        lines = capsys.readouterr().out.splitlines()
        SNNClassifier(**dict(FAST, max_iter=3)).fit(X, y)
    assert [line.split(",")[0] for line in lines] == [
        f"Iteration {i}" for i in (1, 2, 3)
    ]
    assert capsys.readouterr() == ("", "")


def test_batch_size_larger_than_data_is_clipped(iris):
    """batch_size above n_samples warns, as MLP does, and trains as n_samples."""
    X, y = iris
    params = dict(FAST, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="batch_size=500 is larger than"):
            large = SNNClassifier(**params, batch_size=500).fit(X, y)
        full = SNNClassifier(**params, batch_size=len(X)).fit(X, y)
    assert_array_equal(large.coefs_[0], full.coefs_[0])


@pytest.mark.parametrize("hidden", [(), (10, 0), (10, -3), 0, (2.5,), "10"])
def test_bad_hidden_layer_sizes(hidden, iris):
    """Empty, zero, negative or non-integer hidden_layer_sizes raise a clear error."""
    X, y = iris
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        SNNClassifier(hidden_layer_sizes=hidden).fit(X, y)


@pytest.mark.parametrize(
    "param, value",
    [
        ("activation", "softplus"),
        ("kernel_initializer", "zeros"),
        ("solver", "newton"),
        ("learning_rate_init", 0.0),
        ("batch_size", 0),
        ("max_iter", 0),
        ("device", "tpu"),
    ],
)
def test_invalid_parameters_are_named(param, value, iris):
    """An invalid parameter raises InvalidParameterError naming it."""
    X, y = iris
    with pytest.raises(ValueError, match=f"The '{param}' parameter of SNNClassifier"):
        SNNClassifier(**{param: value}).fit(X, y)


@pytest.mark.parametrize("initializer", _options.INITIALIZERS)
def test_initializer_sets_weight_scale(initializer, iris):
    """Each initializer gives first-layer weights of its expected spread."""
    X, y = iris
    clf = SNNClassifier(
        hidden_layer_sizes=(2000,),
        kernel_initializer=initializer,
        numeric_embedding=None,  # the first layer reads the 4 features alone
        max_iter=1,
        learning_rate_init=1e-12,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    fan_in, fan_out = 4, 2000
    expected = {
        "lecun": np.sqrt(1 / fan_in),
        "glorot": np.sqrt(2 / (fan_in + fan_out)),
        "he": np.sqrt(2 / fan_in),
        "normal": 1.0,
    }[initializer.split("_")[0]]
    assert_allclose(clf.coefs_[0].std(), expected, rtol=0.1)


@pytest.mark.parametrize("solver", ["nadam", "adam", "sgd", "rmsprop"])
def test_every_solver_lowers_the_loss(solver, iris):
    """Each solver lowers the training loss."""
    X, y = iris
    clf = SNNClassifier(**FAST, solver=solver, random_state=0).fit(X, y)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_device_cpu_trains(iris):
    """device='cpu' gives the same model as device='auto' on a CPU machine."""
    from sksnn import _backend

    if _backend._count_gpus():
        pytest.skip("this machine has a GPU: 'auto' would train there")
    X, y = iris
    cpu = SNNClassifier(**FAST, device="cpu", random_state=0).fit(X, y)
    auto = SNNClassifier(**FAST, random_state=0).fit(X, y)
    assert_array_equal(cpu.predict_proba(X), auto.predict_proba(X))


def test_device_gpu_without_gpu_is_a_clear_error(iris, monkeypatch):
    """device='gpu' on a machine without a GPU raises a ValueError saying so."""
    from sksnn import _backend

    monkeypatch.setattr(_backend, "_count_gpus", lambda: 0)
    X, y = iris
    with pytest.raises(ValueError, match="device='gpu' was requested, but the Keras"):
        SNNClassifier(**FAST, device="gpu").fit(X, y)


def test_deep_seed_setting_trains():
    """The seeds' 20 x 100 SELU network trains well on digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = SNNClassifier(hidden_layer_sizes=(100,) * 20, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train.astype(np.float32), y_train)
    # 0.929 at random_state=0; a network that does not train scores 0.1.
    assert clf.score(X_test.astype(np.float32), y_test) > 0.92
