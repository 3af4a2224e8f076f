"""Pure Keras: the dense stack, its losses and its optimizer.

Nothing here knows scikit-learn. Every function takes plain arguments and
uses ``keras`` / ``keras.ops`` only, so that the TensorFlow, JAX and PyTorch
backends all work.
"""

import math
from functools import partial

from sksnn._backend import keras
from sksnn._forward import LEAKY_RELU_SLOPE

ops = keras.ops



# Keras' own versions of these two use float32 constants even on float64
# tensors; these match the numpy forward pass of predict to the last digit.
def _leaky_relu(x):
    return ops.where(x > 0, x, LEAKY_RELU_SLOPE * x)


def _gelu(x):
    return 0.5 * x * (1.0 + ops.erf(x * (1.0 / math.sqrt(2.0))))


# Keras activations for the names accepted by ``activation``.
ACTIVATIONS = {
    "selu": "selu",
    "elu": "elu",
    "relu": "relu",
    "leaky_relu": _leaky_relu,
    "tanh": "tanh",
    "logistic": "sigmoid",
    "sigmoid": "sigmoid",
    "gelu": _gelu,
    "swish": "silu",
    "identity": "linear",
}

INITIALIZERS = {
    "lecun_normal": keras.initializers.LecunNormal,
    "lecun_uniform": keras.initializers.LecunUniform,
    "glorot_normal": keras.initializers.GlorotNormal,
    "glorot_uniform": keras.initializers.GlorotUniform,
    "he_normal": keras.initializers.HeNormal,
    "he_uniform": keras.initializers.HeUniform,
    # N(0, 1): the pre-2010 default that makes deep nets explode or saturate.
    "normal": partial(keras.initializers.RandomNormal, mean=0.0, stddev=1.0),
}

SOLVERS = {
    "nadam": keras.optimizers.Nadam,
    "adam": keras.optimizers.Adam,
    # MLP's defaults for plain SGD: momentum 0.9 with Nesterov's correction.
    "sgd": partial(keras.optimizers.SGD, momentum=0.9, nesterov=True),
    "rmsprop": keras.optimizers.RMSprop,
}


def _squared_error(y, logits):
    # Half the squared error, as MLPRegressor reports it.
    return 0.5 * ops.mean(ops.square(logits - y), axis=-1)


def _binary_log_loss(y, logits):
    # log(1 + exp(z)) - y * z is the logistic loss of sigmoid(z), computed
    # without forming the probability; summed over labels as in MLP.
    return ops.sum(ops.softplus(logits) - y * logits, axis=-1)


def _softmax_log_loss(y, logits):
    return -ops.sum(y * ops.log_softmax(logits, axis=-1), axis=-1)


# Per-sample losses on the logits, keyed by the output activation.
LOSSES = {
    "identity": _squared_error,
    "logistic": _binary_log_loss,
    "softmax": _softmax_log_loss,
}


def build_network(
    n_features,
    hidden_layer_sizes,
    n_outputs,
    *,
    activation,
    kernel_initializer,
    seeds,
    dtype,
):
    """Build the dense stack; its output is the logits.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer.
    n_outputs : int
        Width of the (linear) output layer.
    activation : str
        Key of ``ACTIVATIONS``, used by every hidden layer.
    kernel_initializer : str
        Key of ``INITIALIZERS``, used by every layer.
    seeds : sequence of int
        One seed per dense layer, hidden layers first.
    dtype : str
        ``"float32"`` or ``"float64"``: the dtype of weights and computation.

    Returns
    -------
    model : keras.Sequential
    """
    init = INITIALIZERS[kernel_initializer]
    widths = [*hidden_layer_sizes, n_outputs]
    layers = [keras.Input(shape=(n_features,), dtype=dtype)]
    for i, (width, seed) in enumerate(zip(widths, seeds)):
        last = i == len(widths) - 1
        layers.append(
            keras.layers.Dense(
                width,
                activation=None if last else ACTIVATIONS[activation],
                kernel_initializer=init(seed=seed),
                dtype=dtype,
                name="output" if last else f"hidden_{i}",
            )
        )
    return keras.Sequential(layers, name="snn")


def make_optimizer(solver, learning_rate):
    """Return a fresh Keras optimizer for ``solver`` (a key of ``SOLVERS``)."""
    return SOLVERS[solver](learning_rate=learning_rate)


def get_weights(model):
    """Split the model's weights into ``(coefs, intercepts)`` numpy lists."""
    weights = model.get_weights()
    return weights[0::2], weights[1::2]


def set_weights(model, coefs, intercepts):
    """Load ``coefs`` and ``intercepts`` into ``model``."""
    model.set_weights([w for pair in zip(coefs, intercepts) for w in pair])
