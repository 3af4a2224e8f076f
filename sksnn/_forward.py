"""The forward pass in numpy, used at predict time.

Keras is not needed to predict: a fitted estimator keeps its weights as numpy
arrays (``coefs_``, ``intercepts_``), and this module evaluates the network on
them. It is exact in float64, independent of the batch size, and costs
microseconds for one row, where a Keras call costs milliseconds.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import erf, expit, log_softmax, logsumexp

from sksnn import _options

# The constants of Klambauer et al. (2017), as Keras uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LEAKY_RELU_SLOPE = 0.2  # the negative slope of Keras' leaky_relu
# PReLU (He et al. 2015) learns a negative slope per unit, from 0.25 as
# there and in PyTorch; RReLU (Xu et al. 2015) draws one per unit and row
# from U(1/8, 1/3) in training (PyTorch's bounds) and uses their mean after.
PRELU_INITIAL_SLOPE = 0.25
RRELU_LOWER, RRELU_UPPER = 1 / 8, 1 / 3
RRELU_SLOPE = (RRELU_LOWER + RRELU_UPPER) / 2
BATCH_NORM_EPSILON = 1e-3
# The activations after which dropout is AlphaDropout: SELU, and PSELU, which
# starts as SELU.
SELU_FAMILY = ("selu", "pselu")


def _selu(x):
    return _selu_in_place(np.array(x))


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _relu(x):
    return np.maximum(x, 0)


def _leaky_relu(x):
    return np.where(x > 0, x, LEAKY_RELU_SLOPE * x)


def leaky(x, slope):
    """``x`` where positive, ``slope * x`` elsewhere (slope: scalar or per unit)."""
    return np.where(x > 0, x, slope * x)


def blend(x, f, weight):
    """``x + weight * (f(x) - x)``: RealMLP's parametric activation
    (Holzmueller et al. 2024), ``f`` at weight 1, the identity at 0."""
    return x + weight * (f(x) - x)


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x * (1.0 / np.sqrt(2.0))))


def _swish(x):
    return x * expit(x)


def _identity(x):
    return x


ACTIVATIONS = _options.registry(
    "activation",
    {
        "selu": _selu,
        "elu": _elu,
        "relu": _relu,
        "leaky_relu": _leaky_relu,
        # Before training: PReLU's initial slope; RReLU's predict-time slope.
        "prelu": lambda x: leaky(x, PRELU_INITIAL_SLOPE),
        "pselu": _selu,  # its blend weights start at 1
        "rrelu": lambda x: leaky(x, RRELU_SLOPE),
        "tanh": np.tanh,
        "logistic": expit,
        "sigmoid": expit,
        "gelu": _gelu,
        "swish": _swish,
        "identity": _identity,
    },
    _options.ACTIVATIONS,
)


def _selu_in_place(x):
    # scale * (max(x, 0) + alpha * expm1(min(x, 0))), with one temporary.
    negative = np.minimum(x, 0)
    np.expm1(negative, out=negative)
    negative *= SELU_ALPHA
    np.maximum(x, 0, out=x)
    x += negative
    x *= SELU_SCALE
    return x


def _pselu_in_place(x, weight):
    # x + weight * (selu(x) - x), with one temporary.
    change = _selu_in_place(x.copy())
    change -= x
    change *= weight
    x += change
    return x


def _relu_in_place(x):
    return np.maximum(x, 0, out=x)


def _tanh_in_place(x):
    return np.tanh(x, out=x)


# The same functions, overwriting their argument (forward's own arrays).
_IN_PLACE = {"selu": _selu_in_place, "relu": _relu_in_place, "tanh": _tanh_in_place}


class Weights(NamedTuple):
    """A network's weights as numpy arrays, the layout Keras and numpy share.

    ``batch_norms`` holds ``(gamma, beta, moving_mean, moving_variance)`` of
    each hidden layer, or is empty when the network has no batch
    normalization.
    """

    coefs: list
    intercepts: list
    batch_norms: list
    embedding: np.ndarray | None = None  # the tables of CategoryEmbedding, stacked
    # The learned parameters of the hidden activation per hidden layer (PReLU's
    # negative slopes, PSELU's blend weights), or None.
    slopes: list | None = None
    # The periodic embedding's (frequencies, phases, kernel, bias) (see
    # ``periodic_features``), or None.
    periodic: tuple | None = None


def hidden_activation(activation, slope=None, *, in_place=False):
    """The numpy activation of a hidden layer; ``slope``: its learned
    parameters (PReLU's slopes, PSELU's blend weights), or None.

    ``in_place=True`` may return a function that overwrites its argument.
    """
    if slope is not None and activation == "pselu":
        if in_place:
            return lambda x: _pselu_in_place(x, slope)
        return lambda x: blend(x, _selu, slope)
    if slope is not None:
        return lambda x: leaky(x, slope)
    if in_place:
        return _IN_PLACE.get(activation, ACTIVATIONS[activation])
    return ACTIVATIONS[activation]


class Embedding(NamedTuple):
    """Where the network's input holds category codes, and their tables' sizes.

    The input's first ``n_dense`` columns pass through; each further column
    holds a code, a row of its own table (``sizes`` rows each, stacked in
    one array of ``dim`` columns), which replaces it.
    """

    n_dense: int
    sizes: tuple
    dim: int

    @property
    def offsets(self):
        """The first row of each column's table in the stacked array."""
        return np.cumsum((0,) + tuple(self.sizes[:-1]), dtype=np.intp)

    @property
    def n_outputs(self):
        """Width of the embedded input: the first layer's fan-in."""
        return self.n_dense + len(self.sizes) * self.dim


def embed(X, table, embedding):
    """X with each code column replaced by its row of ``table`` (numpy).

    Parameters
    ----------
    X : ndarray of shape (n_samples, embedding.n_dense + len(embedding.sizes))
        The network's input, codes last (integers stored as floats).
    table : ndarray of shape (sum(embedding.sizes), embedding.dim)
        The stacked tables; (n_members, sum(embedding.sizes), embedding.dim)
        for an ensemble, whose members each have their own.
    embedding : Embedding

    Returns
    -------
    out : ndarray of shape (n_samples, embedding.n_outputs)
        Or (n_members, n_samples, embedding.n_outputs) for an ensemble.
    """
    codes = X[:, embedding.n_dense :].astype(np.intp) + embedding.offsets
    dense = X[:, : embedding.n_dense]
    if table.ndim == 2:
        rows = table[codes].reshape(X.shape[0], -1).astype(X.dtype, copy=False)
        return np.hstack([dense, rows])
    k = table.shape[0]
    rows = table[:, codes].reshape(k, X.shape[0], -1).astype(X.dtype, copy=False)
    return np.concatenate([np.broadcast_to(dense, (k, *dense.shape)), rows], axis=-1)


class Periodic(NamedTuple):
    """The periodic embedding of the input's first ``n_numeric`` columns.

    PBLD (Holzmueller et al. 2024): each number x gets ``width`` features
    ``cos(2 pi x f + p) @ K + b`` of ``n_frequencies`` learned frequencies f
    and phases p, K and b a small dense layer per column; the number itself
    stays in the input beside them.
    """

    n_numeric: int
    n_frequencies: int = 16
    width: int = 3

    @property
    def n_outputs(self):
        """The columns it adds to the input."""
        return self.n_numeric * self.width


def periodic_features(X, params, n_numeric):
    """The periodic embedding of the first ``n_numeric`` columns of X (numpy).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns) or (n_members, n_samples, n_columns)
    params : tuple of ndarray
        ``(frequencies, phases, kernel, bias)`` of shapes (n_numeric,
        n_frequencies) twice, (n_numeric, n_frequencies, width) and
        (n_numeric, width), each with a leading n_members for an ensemble.
    n_numeric : int

    Returns
    -------
    features : ndarray of shape (..., n_samples, n_numeric * width)
        Leading n_members for an ensemble.
    """
    frequencies, phases, kernel, bias = params
    if X.ndim == 3 and frequencies.ndim == 2:  # members share the embedding
        X = X[0]  # and their copies of the numbers
    x = X[..., :n_numeric, None]
    if frequencies.ndim == 3:  # an ensemble: (n_members, 1, n_numeric, ...)
        frequencies, phases, bias = (a[:, None] for a in (frequencies, phases, bias))
    z = np.cos(2 * np.pi * x * frequencies + phases)
    out = np.einsum(
        "...nh,...nhj->...nj", z, kernel if kernel.ndim == 3 else kernel[:, None]
    )
    out += bias
    return out.reshape(*out.shape[:-2], -1).astype(X.dtype, copy=False)


def network_input(X, table, embedding, periodic=None, layout=None):
    """What the first dense layer reads: standardized X, its codes embedded,
    and the periodic features of its numbers (``layout`` a ``Periodic``,
    ``periodic`` its parameters) after them."""
    if embedding is not None:
        X = embed(X, table, embedding)
    if layout is None:
        return X
    features = periodic_features(X, periodic, layout.n_numeric)
    if features.ndim > X.ndim:  # an ensemble's own features for shared input
        X = np.broadcast_to(X, (features.shape[0], *X.shape))
    elif features.ndim < X.ndim:  # one embedding for the members' input
        features = np.broadcast_to(features, (X.shape[0], *features.shape))
    return np.concatenate([X, features], axis=-1)


def inference_scale(activation, dropout):
    """The factor after each hidden activation at predict time.

    AlphaDropout's expected training output (see ``alpha_dropout_scale``);
    1 without dropout, and for ordinary dropout, which rescales in training.
    """
    selu = activation in SELU_FAMILY
    return alpha_dropout_scale(dropout) if selu and dropout > 0 else 1.0


def standardize(X, center, scale, clip=None):
    """``(X - center) / scale`` as one new array, smoothly clipped by ``clip``.

    ``clip`` is None or ``(n_columns, bound)``: the first ``n_columns``
    (the numeric ones) are then passed through ``smooth_clip``.
    """
    scaled = np.subtract(X, center)
    scaled /= scale
    if clip is not None:
        n_columns, bound = clip
        scaled[:, :n_columns] = smooth_clip(scaled[:, :n_columns], bound)
    return scaled


def smooth_clip(x, bound):
    """``x / sqrt(1 + (x / bound)^2)``: about x where ``|x| << bound``, within
    ``(-bound, bound)`` everywhere (RealMLP's clipping of standardized inputs,
    Holzmueller et al. 2024).
    """
    return x / np.sqrt(1.0 + np.square(x / bound))


def alpha_dropout_scale(rate):
    """What AlphaDropout at ``rate`` multiplies each unit by, on average.

    AlphaDropout (Klambauer et al. 2017) keeps a unit x with probability
    1 - rate and sets it to alpha' = -SELU_SCALE * SELU_ALPHA otherwise, then
    applies a * . + b, chosen so that the layer's mean and variance are kept.
    The expected output for a given x is a * (1 - rate) * x (b cancels the
    alpha' term), about 0.83 x at rate 0.1: using this scale at predict time,
    as ordinary dropout's inference rule does, matches what the next layer
    saw in training; the identity (Keras' rule) does not.
    """
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    return a * (1 - rate)


def forward(
    X, coefs, intercepts, activation, batch_norms=(), hidden_scale=1.0, slopes=None
):
    """Return the network's output before the output activation (the logits).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Input, already standardized if the estimator standardizes.
    coefs, intercepts : list of ndarray
        Kernels and biases of every dense layer, the output layer last.
    activation : str
        Name of the hidden activation, a key of ``ACTIVATIONS``.
    batch_norms : sequence of tuple, default=()
        ``(gamma, beta, moving_mean, moving_variance)`` of each hidden layer,
        applied before its activation; empty without batch normalization.
    hidden_scale : float, default=1.0
        Factor applied after each hidden activation (see
        ``alpha_dropout_scale``).
    slopes : list of ndarray, default=None
        The learned parameters of each hidden layer's activation (the
        negative slopes of ``'prelu'``, the blend weights of ``'pselu'``).

    Returns
    -------
    logits : ndarray of shape (n_samples, n_outputs)
        Or (n_members, n_samples, n_outputs) for an ensemble, whose kernels
        have shape (n_members, fan_in, fan_out), biases (n_members, fan_out)
        and slopes (n_members, units).
    """
    n_hidden = len(coefs) - 1
    norms = list(batch_norms) or [None] * n_hidden
    if coefs[0].ndim == 3:  # an ensemble: member-major, rows in the middle
        intercepts = [b[:, None, :] for b in intercepts]
        slopes = slopes and [s[:, None, :] for s in slopes]
    hidden = [
        hidden_activation(activation, s, in_place=True)
        for s in slopes or [None] * n_hidden
    ]
    out = X
    # In place where it can be: for one row, the cost is the count of numpy
    # calls and allocations, not arithmetic.
    for coef, intercept, norm, f in zip(coefs[:-1], intercepts[:-1], norms, hidden):
        out = out @ coef
        out += intercept
        if norm is not None:
            gamma, beta, mean, variance = norm
            out = (out - mean) * (gamma / np.sqrt(variance + BATCH_NORM_EPSILON)) + beta
        out = f(out)
        if hidden_scale != 1.0:
            out *= hidden_scale
    out = out @ coefs[-1]
    out += intercepts[-1]
    return out


def _mean_logits(logits):
    return logits.mean(axis=0)


def _log_mean_exp(z):
    # log(mean(exp(z))) over the members, computed without overflow.
    return logsumexp(z, axis=0) - np.log(z.shape[0])


def _softmax_mean_logits(logits):
    # Logits whose softmax is the members' mean probability.
    return _log_mean_exp(log_softmax(logits, axis=-1))


def _logistic_mean_logits(logits):
    # Logits whose sigmoid is the members' mean probability (per label).
    log_p = _log_mean_exp(-np.logaddexp(0, -logits))
    log_q = _log_mean_exp(-np.logaddexp(0, logits))
    return log_p - log_q


# The logits of an ensemble's prediction, from its members' logits (keyed by
# the output activation): what a single network would output to predict the
# members' mean probability (classifiers) or mean value (regressors).
MEMBER_MEANS = {
    "identity": _mean_logits,
    "softmax": _softmax_mean_logits,
    "logistic": _logistic_mean_logits,
    "exp": _log_mean_exp,
}


def combine_members(logits, out_activation):
    """One network's logits, or the ensemble's from its members' (see MEMBER_MEANS)."""
    if logits.ndim == 2:
        return logits
    return MEMBER_MEANS[out_activation](logits).astype(logits.dtype, copy=False)


def batch_norm_statistics(
    X,
    coefs,
    intercepts,
    activation,
    batch_norms,
    hidden_scale,
    sample_weight=None,
    slopes=None,
):
    """Recompute the batch norms' moving statistics exactly on X.

    The moving averages of training lag behind the weights (they forget at
    the rate of the momentum); the statistics of the whole training set,
    computed layer by layer with the final weights and weighted as training
    weighs each batch, are what they estimate.

    Returns
    -------
    batch_norms : list of tuple
        ``(gamma, beta, mean, variance)`` per hidden layer.
    """
    out, result = X, []
    for i, (coef, intercept, (gamma, beta, _, _)) in enumerate(
        zip(coefs, intercepts, batch_norms)
    ):
        hidden = hidden_activation(activation, slopes[i] if slopes else None)
        z = out @ coef + intercept
        mean = np.average(z, axis=0, weights=sample_weight)
        variance = np.average((z - mean) ** 2, axis=0, weights=sample_weight)
        result.append((gamma, beta, mean, variance))
        norm = (z - mean) * (gamma / np.sqrt(variance + BATCH_NORM_EPSILON)) + beta
        out = hidden(norm) * hidden_scale
    return result
