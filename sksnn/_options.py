"""The names of every string option, in one place.

The parameter constraints, the Keras and numpy registries, the diagnostics
and the tests all read these tuples; each registry is built with
``registry``, which refuses one that does not cover exactly these names.
Nothing here imports Keras.
"""

ACTIVATIONS = (
    "selu",
    "elu",
    "relu",
    "leaky_relu",
    "prelu",
    "pselu",
    "rrelu",
    "tanh",
    "logistic",
    "sigmoid",
    "gelu",
    "swish",
    "identity",
)
INITIALIZERS = (
    "lecun_normal",
    "lecun_uniform",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "normal",
)
SOLVERS = ("nadam", "adam", "sgd", "rmsprop", "lbfgs")
# The solvers that train on mini-batches with a Keras optimizer.
STOCHASTIC_SOLVERS = ("nadam", "adam", "sgd", "rmsprop")
LEARNING_RATES = ("constant", "adaptive", "invscaling", "cosine", "coslog4")
REGRESSION_LOSSES = ("squared_error", "poisson")


def registry(option, mapping, names):
    """Return ``mapping`` after checking that its keys are exactly ``names``.

    Parameters
    ----------
    option : str
        The parameter the registry serves, for the message.
    mapping : dict
        Implementations keyed by option value.
    names : tuple of str
        The accepted values of the option.

    Returns
    -------
    mapping : dict
    """
    if set(mapping) != set(names):
        raise RuntimeError(
            f"The registry of {option!r} covers {sorted(mapping)}, but the "
            f"accepted values are {sorted(names)}: add or remove entries in "
            "sksnn/_options.py and the registry together."
        )
    return mapping
