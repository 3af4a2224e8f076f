"""The SNN stack as a plain Keras model; sksnn's layers for Keras' saving.

``build_snn`` returns the network sksnn trains (dense layers with SELU and
LeCun-normal initialization, AlphaDropout, optional batch norm) as an
uncompiled ``keras.Sequential``, for Keras code of your own or as the
``model=`` of scikeras' ``KerasClassifier``/``KerasRegressor``.

Importing this module registers sksnn's custom layers with Keras, so that
``keras.saving.load_model`` reads the ``.keras`` file of a fitted
estimator's ``model_``::

    clf.model_.save("snn.keras")
    import sksnn.keras  # registers sksnn's layers
    model = keras.saving.load_model("snn.keras")

``model_`` takes the input as the estimator's network reads it and outputs
the logits; for a numeric array X that input is
``clf.scaler_.transform(X)`` (raw tables are encoded first, as in fit).
"""

import numbers

import keras

from sksnn import _options, _random
from sksnn._network import (
    CategoryEmbedding,
    EnsembleDense,
    InputScale,
    MeanFieldAlphaDropout,
    ParametricSELU,
    PeriodicEmbedding,
    RandomLeakyReLU,
    WeightedBatchNormalization,
    build_network,
)

__all__ = [
    "CategoryEmbedding",
    "EnsembleDense",
    "InputScale",
    "MeanFieldAlphaDropout",
    "ParametricSELU",
    "PeriodicEmbedding",
    "RandomLeakyReLU",
    "WeightedBatchNormalization",
    "build_snn",
]

# The output activations build_snn appends (None: the logits, as sksnn's).
OUT_ACTIVATIONS = ("softmax", "sigmoid", "linear", "exponential")


def build_snn(
    n_features,
    hidden_layer_sizes=(100,),
    n_outputs=1,
    *,
    activation="selu",
    kernel_initializer="lecun_normal",
    dropout=0.0,
    batch_norm=False,
    l2=0.0,
    out_activation=None,
    random_state=None,
    dtype=None,
):
    """Build the self-normalizing network as an uncompiled Keras model.

    Parameters
    ----------
    n_features : int
        Width of the input. Standardize it (``StandardScaler`` or
        ``keras.layers.Normalization`` in front): the SNN recipe assumes
        inputs of mean 0 and variance 1.
    hidden_layer_sizes : sequence of int, default=(100,)
        Width of each hidden layer.
    n_outputs : int, default=1
        Width of the output layer (classes for softmax).
    activation : str, default='selu'
        The hidden activation, one of sksnn's (``'selu'``, ``'elu'``,
        ``'relu'``, ``'prelu'``, ...).
    kernel_initializer : str, default='lecun_normal'
        One of sksnn's initializers (``'lecun_normal'``, ``'he_normal'``...).
    dropout : float, default=0.0
        Dropout after each hidden layer: AlphaDropout for SELU.
    batch_norm : bool, default=False
        Batch normalization between each hidden layer and its activation.
    l2 : float, default=0.0
        L2 penalty on the kernels, ``l2 * sum(kernel ** 2)`` added to the loss.
    out_activation : {None, 'softmax', 'sigmoid', 'linear', 'exponential'}, \
            default=None
        Activation after the output layer; None outputs the logits (use a
        loss with ``from_logits=True``).
    random_state : int or None, default=None
        Seed of the initial weights and of the dropout masks.
    dtype : {'float32', 'float64'} or None, default=None
        The weights' dtype; None: ``keras.config.floatx()``.

    Returns
    -------
    model : keras.Sequential
        Uncompiled: compile it, or let scikeras compile it.

    Examples
    --------
    >>> from sksnn.keras import build_snn
    >>> model = build_snn(4, (16, 16), 3, out_activation="softmax", random_state=0)
    >>> model.output_shape
    (None, 3)
    """
    _check_choice("activation", activation, _options.ACTIVATIONS)
    _check_choice("kernel_initializer", kernel_initializer, _options.INITIALIZERS)
    _check_choice("out_activation", out_activation, (None, *OUT_ACTIVATIONS))
    for name, value in (("n_features", n_features), ("n_outputs", n_outputs)):
        _check_positive(name, value)
    for width in hidden_layer_sizes:
        _check_positive("hidden_layer_sizes", width)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    seed = _random.master_seed(random_state)
    hidden = list(hidden_layer_sizes)
    model = build_network(
        n_features,
        hidden,
        n_outputs,
        activation=activation,
        kernel_initializer=kernel_initializer,
        seeds=_random.init_seeds(seed, len(hidden), 1),
        dtype=dtype or keras.config.floatx(),
        dropout=dropout,
        dropout_seeds=_random.noise_seeds(seed, len(hidden)),
        batch_norm=batch_norm,
        l2=l2,
    )
    if out_activation is not None:
        model.add(keras.layers.Activation(out_activation, dtype=model.dtype_policy))
    return model


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")


def _check_positive(name, value):
    if not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must hold positive integers; got {value!r}.")
