"""Layer diagnostics: does the signal keep its scale through the layers?

Everything here is numpy on the estimator's weights, so it works the same on
every Keras backend, at initialization and after training.
"""

from functools import partial

import numpy as np
import pandas as pd
from scipy.special import erf, expit, softmax
from sklearn.base import is_classifier
from sklearn.utils.validation import check_array

from sksnn import _options, _random
from sksnn._data import check_hidden_layer_sizes, input_levers, n_members
from sksnn._forward import (
    BATCH_NORM_EPSILON,
    LEAKY_RELU_SLOPE,
    PRELU_INITIAL_SLOPE,
    RRELU_SLOPE,
    SELU_ALPHA,
    SELU_SCALE,
    Periodic,
    hidden_activation,
    network_input,
)

SATURATION = 0.01  # a unit is saturated where f'(z) < 1% of f's largest slope


def _gelu_slope(z):
    return 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-0.5 * z**2) / np.sqrt(
        2 * np.pi
    )


def _leaky_slope(z, negative):
    return np.where(z > 0, 1.0, negative)


def _blend_slope(slope, z, weight):
    return 1 + weight * (slope(z) - 1)


def _swish_slope(z):
    s = expit(z)
    return s + z * s * (1 - s)


# f'(z) of each activation, and the largest |f'| it reaches.
SLOPES = {
    "selu": (
        lambda z: (
            SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0)))
        ),
        SELU_SCALE * SELU_ALPHA,
    ),
    "elu": (lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))), 1.0),
    "relu": (lambda z: (z > 0).astype(z.dtype), 1.0),
    "leaky_relu": (lambda z: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE), 1.0),
    "prelu": (lambda z: np.where(z > 0, 1.0, PRELU_INITIAL_SLOPE), 1.0),
    "rrelu": (lambda z: np.where(z > 0, 1.0, RRELU_SLOPE), 1.0),
    "tanh": (lambda z: 1 - np.tanh(z) ** 2, 1.0),
    "logistic": (lambda z: expit(z) * (1 - expit(z)), 0.25),
    "gelu": (_gelu_slope, 1.129),
    "swish": (_swish_slope, 1.0998),
    "identity": (lambda z: np.ones_like(z), 1.0),
}
SLOPES["sigmoid"] = SLOPES["logistic"]
SLOPES["pselu"] = SLOPES["selu"]  # at its start; learned blends: _blend_slope
SLOPES = _options.registry("activation", SLOPES, _options.ACTIVATIONS)


def _initial_weights(estimator, n_features, n_outputs):
    """The weights ``fit`` would start from, drawn with Keras' initializers."""
    from sksnn import _network

    hidden = check_hidden_layer_sizes(estimator.hidden_layer_sizes)
    seed = _random.master_seed(estimator.random_state)
    _, embedding = input_levers(estimator)
    periodic = Periodic(n_features) if embedding else None
    model = _network.build_network(
        n_features,
        hidden,
        n_outputs,
        activation=estimator.activation,
        kernel_initializer=estimator.kernel_initializer,
        seeds=_random.member_seeds(
            seed, _random.INIT_STREAM, len(hidden) + 1, n_members(estimator)
        ),
        dtype="float64",
        periodic=periodic,
        periodic_seeds=[_random.periodic_seed(seed)],
    )
    weights = _network.get_weights(model)
    return weights.coefs, weights.intercepts, [], None, weights.periodic


def _fitted_inputs(estimator, X):
    """What a fitted network's first dense layer reads for X, in float64.

    X is read and encoded as predict does it (categorical columns, missing
    values), standardized, and its category codes embedded.
    """
    from sksnn import _tabular

    table = _tabular.read(estimator, X, reset=False, mask=estimator.is_categorical_)
    dtype = estimator.coefs_[0].dtype
    Z = estimator._scale(estimator._encoding.transform(table, dtype))
    Z = network_input(
        Z,
        estimator._embedding,
        estimator._embedding_layout(),
        estimator._periodic,
        estimator._periodic_layout(),
    )
    return Z.astype(np.float64)


def _weights(estimator, X, Y):
    if hasattr(estimator, "coefs_"):
        return (
            estimator.coefs_,
            estimator.intercepts_,
            estimator._batch_norms,
            estimator._slopes,
            None,  # the fitted inputs hold the periodic features
        )
    if estimator.batch_norm:
        raise ValueError(
            "layer_statistics needs a fitted estimator when batch_norm=True: the "
            "batch statistics exist only after training."
        )
    n_outputs = Y.shape[1] if Y is not None else 1
    return _initial_weights(estimator, X.shape[1], n_outputs)


def _targets(estimator, y):
    """y as the network's 2-D target and its output activation, or None."""
    if y is None:
        return None, None
    if is_classifier(estimator):
        from sklearn.preprocessing import LabelBinarizer

        binarizer = getattr(estimator, "_label_binarizer", None)
        if binarizer is None:
            binarizer = LabelBinarizer().fit(y)
        out = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
        return binarizer.transform(y).astype(float), out
    Y = np.asarray(y, dtype=float).reshape(len(y), -1)
    scaler = getattr(estimator, "target_scaler_", None)
    if scaler is None:
        std = Y.std(axis=0)
        return (Y - Y.mean(axis=0)) / np.where(std > 0, std, 1), "identity"
    return scaler.transform(Y), "identity"


def _output_delta(logits, Y, out_activation):
    """dLoss/dlogits of sksnn's loss (mean over the rows)."""
    n = len(logits)
    if out_activation == "identity":
        return (logits - Y) / (n * Y.shape[1])
    if out_activation == "softmax":
        return (softmax(logits, axis=1) - Y) / n
    return (expit(logits) - Y) / n


def layer_statistics(estimator, X, y=None):
    """Per-layer statistics of the signal, and of the gradient when y is given.

    Parameters
    ----------
    estimator : SNNClassifier or SNNRegressor
        Fitted, or unfitted: then the statistics are those of the weights
        ``fit`` would start from (same ``random_state``), "at initialization".
    X : {array-like, DataFrame} of shape (n_samples, n_features)
        Input, encoded and standardized as the estimator would (by its fitted
        encoding and scaler, or by a scaler fitted on X for an unfitted
        estimator with ``standardize=True``; an unfitted estimator takes
        numeric X only). Layer 1's input is the encoded X with its category
        codes embedded and, with ``numeric_embedding='periodic'``, the
        periodic features of its numbers.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Targets; when given, the norm of the loss gradient with respect to
        each layer's kernel is reported too.

    Returns
    -------
    statistics : pandas.DataFrame
        One row per hidden layer (``layer`` 1 is the first), with the mean and
        standard deviation of the pre-activations and the activations, the
        fraction of (sample, unit) pairs where the unit is saturated (its
        slope below 1% of the activation's largest slope), the fraction of
        dead units (saturated on every sample), and ``grad_norm`` (NaN
        without y). For an ensemble (``n_ensembles > 1``) a ``member``
        column numbers the networks, each with its rows.
    """
    fitted = hasattr(estimator, "coefs_")
    if fitted:
        X = _fitted_inputs(estimator, X)
    else:
        X = check_array(X, dtype=np.float64, ensure_all_finite=True)
    Y, out_activation = _targets(estimator, y)
    n_rows = X.shape[-2]  # an ensemble's embedded X: (n_members, n_rows, width)
    if Y is not None and len(Y) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but y has {len(Y)}; pass the targets of X's rows."
        )
    coefs, intercepts, norms, slopes, periodic = _weights(estimator, X, Y)
    if not fitted and estimator.standardize:
        X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    if periodic is not None:  # an unfitted network's embedding of X's numbers
        X = network_input(X, None, None, periodic, Periodic(X.shape[1]))
    activation = estimator.activation
    if coefs[0].ndim == 2:
        return pd.DataFrame(
            _statistics(
                X, Y, out_activation, activation, coefs, intercepts, norms, slopes
            )
        )
    frames = []
    for m in range(coefs[0].shape[0]):
        rows = _statistics(
            X[m] if X.ndim == 3 else X,  # each member's own embedding
            Y,
            out_activation,
            activation,
            [coef[m] for coef in coefs],
            [intercept[m] for intercept in intercepts],
            norms,
            slopes and [slope[m] for slope in slopes],
        )
        frames.append(pd.DataFrame(rows).assign(member=m))
    frame = pd.concat(frames, ignore_index=True)
    return frame[["member", *frame.columns[:-1]]]


def _statistics(X, Y, out_activation, activation, coefs, intercepts, norms, slopes):
    """The rows of ``layer_statistics`` for one network."""
    _, largest = SLOPES[activation]
    rows, inputs, pre_activations, derivatives = [], [X], [], []
    out = X
    for i, (coef, intercept) in enumerate(zip(coefs[:-1], intercepts[:-1])):
        hidden = hidden_activation(activation, slopes[i] if slopes else None)
        slope = SLOPES[activation][0]
        if slopes and activation == "pselu":  # d/dz of z + a (selu(z) - z)
            slope = partial(_blend_slope, SLOPES["selu"][0], weight=slopes[i])
        elif slopes:  # PReLU's learned slopes
            slope = partial(_leaky_slope, negative=slopes[i])
        derivatives.append(slope)
        z = out @ coef + intercept
        if norms:
            gamma, beta, mean, variance = norms[i]
            z = (z - mean) * (gamma / np.sqrt(variance + BATCH_NORM_EPSILON)) + beta
        out = hidden(z)
        saturated = np.abs(slope(z)) < SATURATION * largest
        rows.append(
            {
                "layer": i + 1,
                "units": coef.shape[1],
                "pre_activation_mean": z.mean(),
                "pre_activation_std": z.std(),
                "activation_mean": out.mean(),
                "activation_std": out.std(),
                "saturated_fraction": saturated.mean(),
                "dead_fraction": saturated.all(axis=0).mean(),
                "grad_norm": np.nan,
            }
        )
        inputs.append(out)
        pre_activations.append(z)
    if Y is not None:
        if norms:
            raise ValueError(
                "layer_statistics computes gradient norms for networks without "
                "batch normalization; call it without y for batch_norm=True."
            )
        logits = out @ coefs[-1] + intercepts[-1]
        delta = _output_delta(logits, Y, out_activation)
        for i in range(len(coefs) - 1, 0, -1):
            delta = (delta @ coefs[i].T) * derivatives[i - 1](pre_activations[i - 1])
            rows[i - 1]["grad_norm"] = np.linalg.norm(inputs[i - 1].T @ delta)
    return rows
