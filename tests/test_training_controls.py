"""The training controls: dropout, batch norm, L2, clipping, early stopping,
adaptive step size, class weights, warm start and partial_fit."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sksnn import SNNClassifier, SNNRegressor, _data, _random
from sksnn._forward import BATCH_NORM_EPSILON, _selu, alpha_dropout_scale
from tests.conftest import FAST

ESTIMATORS = [SNNClassifier, SNNRegressor]


def _layer_types(estimator):
    return [type(layer).__name__ for layer in estimator.model_.layers]


def _quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


@pytest.mark.parametrize("activation, alpha", [("selu", 2), ("relu", 0)])
def test_dropout_layer_matches_activation(activation, alpha, iris, fitted_classifier):
    """dropout inserts AlphaDropout after SELU layers and Dropout after others."""
    import keras

    X, y = iris
    clf = SNNClassifier(**FAST, activation=activation, dropout=0.1, random_state=0)
    layers = clf.fit(X, y).model_.layers
    alphas = sum(isinstance(la, keras.layers.AlphaDropout) for la in layers)
    plain = sum(type(la) is keras.layers.Dropout for la in layers)
    assert (alphas, plain) == (alpha, 2 - alpha)
    assert not any("Dropout" in name for name in _layer_types(fitted_classifier))


def test_dropout_is_active_in_training_only(iris, fitted_classifier):
    """The network draws new dropout masks in each training pass, none at inference."""
    # That predict equals the inference output is checked by
    # tests/test_estimators.py::test_numpy_forward_matches_keras_model.
    X, y = iris
    clf = SNNClassifier(**FAST, dropout=0.3, random_state=0).fit(X, y)
    Xs = clf.scaler_.transform(X)
    inference = [np.asarray(clf.model_(Xs, training=False)) for _ in range(2)]
    training = [np.asarray(clf.model_(Xs, training=True)) for _ in range(2)]
    assert_array_equal(inference[0], inference[1])
    assert not np.allclose(training[0], training[1])
    assert not np.allclose(training[0], inference[0])
    # The same fit without dropout (the fixture) follows another loss curve.
    assert clf.loss_curve_ != fitted_classifier.loss_curve_


def test_alpha_dropout_keeps_selu_statistics():
    """AlphaDropout on SELU activations keeps mean 0 and variance 1 in training."""
    from sksnn._network import MeanFieldAlphaDropout

    x = np.random.RandomState(0).standard_normal((20000, 50))
    selu = _selu(x)
    dropped = np.asarray(MeanFieldAlphaDropout(0.1, seed=1)(selu, training=True))
    assert abs(selu.mean()) < 0.03 and abs(selu.std() - 1) < 0.03
    assert abs(dropped.mean()) < 0.03
    assert abs(dropped.std() - 1) < 0.03


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_alpha_dropout_predicts_with_the_expected_training_output(rate):
    """At inference the layer outputs the mean of Keras' training outputs, a * x."""
    from sksnn._network import MeanFieldAlphaDropout

    layer = MeanFieldAlphaDropout(rate, seed=1)
    values = np.array([[-1.5, -0.3, 0.0, 0.7, 2.0]])
    x = np.repeat(values, 200000, axis=0)
    training_mean = np.asarray(layer(x, training=True)).mean(axis=0)
    inference = np.asarray(layer(values, training=False))[0]
    # Standard errors of the means are below 0.003.
    assert_allclose(inference, training_mean, atol=0.01)
    assert_allclose(inference, alpha_dropout_scale(rate) * values[0])


def test_dropout_regressor_fits_its_training_data():
    """A SELU regressor with dropout 0.1 reaches R^2 > 0.5 on sklearn's check data."""
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.estimator_checks import _regression_dataset

    X, y = _regression_dataset()
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y.reshape(-1, 1)).ravel()
    reg = _quiet_fit(SNNRegressor(dropout=0.1, random_state=0), X, y)
    assert reg.score(X, y) > 0.5


def test_batch_norm_keeps_the_training_set_statistics(iris):
    """batch_norm adds a layer per hidden layer, kept with the training set's stats."""
    import keras

    X, y = iris
    clf = SNNClassifier(
        **FAST,
        activation="selu",
        batch_norm=True,
        early_stopping=False,
        numeric_embedding=None,  # the hand pass starts from standardized X
        random_state=0,
    )
    clf.fit(X, y)  # every row trains: the statistics are the 150 rows'
    assert _layer_types(clf).count("WeightedBatchNormalization") == 2
    # A hand forward pass in float64: each layer's mean and variance over the
    # 150 rows (a float32 network, JAX's without x64, rounds to about 1e-7).
    tol = 1e-7 if clf.coefs_[0].dtype == np.float64 else 1e-5
    out = (X - X.mean(axis=0)) / X.std(axis=0)
    for coef, intercept, norm in zip(clf.coefs_, clf.intercepts_, clf._batch_norms):
        gamma, beta, mean, variance = norm
        z = out @ coef + intercept
        assert_allclose(mean, z.mean(axis=0), rtol=tol, atol=tol)
        assert_allclose(variance, z.var(axis=0), rtol=tol)
        z = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + BATCH_NORM_EPSILON)
        out = np.asarray(keras.activations.selu(gamma * z + beta))
    assert clf.score(X, y) > 0.9


def test_alpha_shrinks_the_weights(diabetes):
    """A larger L2 penalty gives smaller kernels."""
    X, y = diabetes
    norms = [
        sum(
            (c**2).sum()
            for c in SNNRegressor(**FAST, alpha=a, random_state=0).fit(X, y).coefs_
        )
        for a in (0.0, 1.0, 10.0)
    ]
    assert norms[0] > norms[1] > norms[2]


@pytest.mark.parametrize("clip", [dict(clipvalue=0.01), dict(clipnorm=0.01)])
def test_clipping_bounds_the_update_on_an_exploding_net(clip, iris):
    """Clipping bounds the first SGD update of a deep N(0, 1) ReLU network."""
    X, y = iris
    exploding = dict(
        hidden_layer_sizes=(64,) * 8,
        activation="relu",
        kernel_initializer="normal",
        solver="sgd",
        batch_size=150,
        max_iter=1,
        random_state=0,
    )
    lr = 0.1
    start = _quiet_fit(SNNClassifier(**exploding, learning_rate_init=1e-30), X, y)
    free = _quiet_fit(SNNClassifier(**exploding, learning_rate_init=lr), X, y)
    clipped = SNNClassifier(**exploding, learning_rate_init=lr, **clip)
    _quiet_fit(clipped, X, y)
    # Nesterov SGD's first step is (1 + momentum) * lr * gradient.
    bound = 1.9 * lr * 0.01

    def size(delta):
        return np.abs(delta).max() if "clipvalue" in clip else np.linalg.norm(delta)

    for before, after, unclipped in zip(start.coefs_, clipped.coefs_, free.coefs_):
        assert size(after - before) <= bound * (1 + 1e-6)
    assert max(size(u - b) for u, b in zip(free.coefs_, start.coefs_)) > 100 * bound


def _overfitting_task():
    X, y = make_classification(
        n_samples=300, n_features=20, n_informative=3, flip_y=0.3, random_state=0
    )
    return X, y


def test_early_stopping_stops_and_restores_the_best_weights():
    """Early stopping stops before max_iter and keeps the best validation weights."""
    X, y = _overfitting_task()
    clf = SNNClassifier(
        hidden_layer_sizes=(256, 256),
        learning_rate_init=0.003,
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ < 300
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_validation_score_ >= clf.validation_scores_[-1]
    # Rebuild the held-out rows (fit's split, by row hash) to score the
    # kept weights on them.
    rows = _data.Data(X, y, y, np.ones(len(X)))
    _, val = _data.split(
        rows, validation_fraction=0.2, stratify=y, seed=_random.master_seed(0)
    )
    kept = clf.score(val.X, val.y)
    assert kept >= clf.best_validation_score_ - clf.tol
    assert kept >= clf.validation_scores_[-1]


def test_no_early_stopping_leaves_validation_attributes_none(iris):
    """validation_scores_ and best_validation_score_ are None without early stopping."""
    clf = SNNClassifier(**FAST, early_stopping=False, random_state=0).fit(*iris)
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None


def test_adaptive_learning_rate_follows_mlp(iris, capsys):
    """learning_rate='adaptive' divides the step by 5 on plateaus, as MLP does."""
    X, y = iris
    params = dict(
        learning_rate="adaptive", learning_rate_init=0.01, tol=10.0, n_iter_no_change=1
    )
    clf = SNNClassifier(hidden_layer_sizes=(16, 16), **params, verbose=1).fit(X, y)
    mlp = MLPClassifier(solver="sgd", **params).fit(X, y)
    assert clf.n_iter_ == mlp.n_iter_ == 15
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.002000" in out
    assert out.count("Setting learning rate") == 6  # 0.01 / 5**6 < 1e-6: stop


def test_class_weight_balanced_raises_minority_recall():
    """class_weight='balanced' raises the recall of a 10% minority class."""
    X, y = make_classification(
        n_samples=1000, weights=[0.9, 0.1], flip_y=0.0, class_sep=0.3, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    params = dict(
        hidden_layer_sizes=(16, 16),
        max_iter=20,
        learning_rate_init=0.003,
        learning_rate="constant",
        early_stopping=False,  # accuracy-based stopping would undo the weights
    )
    recall = {
        weight: recall_score(
            y_test,
            _quiet_fit(
                SNNClassifier(**params, class_weight=weight, random_state=0),
                X_train,
                y_train,
            ).predict(X_test),
        )
        for weight in (None, "balanced")
    }
    assert recall["balanced"] > recall[None] + 0.3  # measured: 0.28 -> 0.80


def test_class_weight_dict_equals_sample_weight(iris):
    """A class_weight dict acts as the matching sample weights."""
    X, y = iris
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = SNNClassifier(**FAST, class_weight=weights, random_state=0).fit(X, y)
    by_sample = SNNClassifier(**FAST, random_state=0).fit(
        X, y, sample_weight=np.vectorize(weights.get)(y)
    )
    assert_allclose(by_class.predict_proba(X), by_sample.predict_proba(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_continues_from_the_last_loss(Estimator, iris):
    """warm_start=True resumes from the previous weights; False starts over."""
    X, y = iris
    est = _quiet_fit(Estimator(**dict(FAST, max_iter=10), random_state=0), X, y)
    first = list(est.loss_curve_)
    _quiet_fit(est.set_params(warm_start=True), X, y)
    assert len(est.loss_curve_) == 20
    assert est.n_iter_ == 10  # the epochs of the last fit, as in MLP
    assert est.loss_curve_[10] < first[0]
    assert abs(est.loss_curve_[10] - first[-1]) < abs(first[0] - first[-1]) / 2
    _quiet_fit(est.set_params(warm_start=False), X, y)
    assert est.loss_curve_ == first


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_lowers_the_loss(Estimator, iris):
    """k calls of partial_fit run k epochs and lower the loss."""
    X, y = iris
    est = Estimator(**FAST, random_state=0)
    kwargs = {"classes": np.unique(y)} if Estimator is SNNClassifier else {}
    for _ in range(15):
        est.partial_fit(X, y, **kwargs)
    assert est.n_iter_ == 15
    assert est.loss_curve_[-1] < 0.7 * est.loss_curve_[0]


def test_partial_fit_on_batches_with_missing_classes(iris):
    """partial_fit learns all classes even when a batch holds only some."""
    X, y = iris
    clf = SNNClassifier(**FAST, random_state=0)
    order = np.argsort(y)
    for _ in range(10):
        for batch in np.array_split(order, 3):  # one class per batch
            clf.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (150, 3)
    # Every class is predicted, and well above chance (measured: 0.80-0.85
    # over random_state 0-3).
    assert_array_equal(np.unique(clf.predict(X)), [0, 1, 2])
    assert clf.score(X, y) > 0.7


# -- invalid combinations ----------------------------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_partial_fit_ignores_early_stopping(Estimator, iris):
    """partial_fit trains on every row under early_stopping='auto' (the
    default) or False, and refuses True, as MLP's does."""
    X, y = iris
    kwargs = dict(classes=np.unique(y)) if Estimator is SNNClassifier else {}
    fitted = []
    for early_stopping in ("auto", False):
        est = Estimator(hidden_layer_sizes=(8,), early_stopping=early_stopping)
        est.set_params(random_state=0)
        fitted.append(est.partial_fit(X, y, **kwargs).partial_fit(X, y))
    assert_array_equal(fitted[0].coefs_[0], fitted[1].coefs_[0])
    assert fitted[0].validation_scores_ is None
    # After a fit with early stopping too (scikit-learn issue 25693).
    est = Estimator(hidden_layer_sizes=(8,), max_iter=2, early_stopping=True)
    _quiet_fit(est, X, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        est.partial_fit(X, y)


def test_class_weight_on_the_regressor_is_refused():
    """The regressor has no class_weight parameter: both ways of setting it fail."""
    with pytest.raises(TypeError, match="unexpected keyword argument 'class_weight'"):
        SNNRegressor(class_weight="balanced")
    with pytest.raises(ValueError, match="Invalid parameter 'class_weight'"):
        SNNRegressor().set_params(class_weight="balanced")


def test_validation_fraction_too_small_to_stratify(iris):
    """A validation split smaller than the number of classes warns and grows."""
    X, y = iris
    msg = (
        "validation_fraction=0.01 of n_samples=150 gives 2 validation samples, "
        "fewer than the 3 needed to score on; holding out 3."
    )
    clf = SNNClassifier(**FAST, early_stopping=True, validation_fraction=0.01)
    with pytest.warns(UserWarning, match=re.escape(msg)):
        clf.fit(X, y)


def test_validation_fraction_too_large_for_the_data(iris):
    """A validation split that leaves no training rows is a clear error."""
    X, y = iris
    msg = (
        "early_stopping=True cannot hold out validation_fraction=0.999 of "
        "n_samples=150: it needs 150 validation samples and at least 1 training "
        "sample."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        SNNClassifier(early_stopping=True, validation_fraction=0.999).fit(X, y)


def test_partial_fit_refuses_balanced_class_weight(iris):
    """class_weight='balanced' with partial_fit raises a clear error."""
    X, y = iris
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported"):
        SNNClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_with_another_architecture(iris):
    """warm_start with different hidden_layer_sizes raises an error naming both."""
    X, y = iris
    clf = SNNClassifier(**FAST, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=re.escape("hidden_layer_sizes=(16, 16)")):
        clf.set_params(hidden_layer_sizes=(8,)).fit(X, y)
