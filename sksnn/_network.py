"""Pure Keras: the dense stack, its losses and its optimizer.

Nothing here knows scikit-learn. Every function takes plain arguments and
uses ``keras`` / ``keras.ops`` only, so that the TensorFlow, JAX and PyTorch
backends all work.
"""

import math
from functools import partial

import numpy as np

from sksnn import _options
from sksnn._backend import keras, mean
from sksnn._forward import (
    BATCH_NORM_EPSILON,
    LEAKY_RELU_SLOPE,
    PRELU_INITIAL_SLOPE,
    RRELU_LOWER,
    RRELU_UPPER,
    SELU_FAMILY,
    Embedding,
    Periodic,
    Weights,
    alpha_dropout_scale,
)

ops = keras.ops


# Keras' own versions of these two use float32 constants even on float64
# tensors; these match the numpy forward pass of predict to the last digit.
def _leaky_relu(x):
    return ops.where(x > 0, x, LEAKY_RELU_SLOPE * x)


def _gelu(x):
    return 0.5 * x * (1.0 + ops.erf(x * (1.0 / math.sqrt(2.0))))


# Keras activations for the names accepted by ``activation``.
ACTIVATIONS = _options.registry(
    "activation",
    {
        "selu": "selu",
        "elu": "elu",
        "relu": "relu",
        "leaky_relu": _leaky_relu,
        "prelu": None,  # layers of their own: see _activation_layer
        "pselu": None,
        "rrelu": None,
        "tanh": "tanh",
        "logistic": "sigmoid",
        "sigmoid": "sigmoid",
        "gelu": _gelu,
        "swish": "silu",
        "identity": "linear",
    },
    _options.ACTIVATIONS,
)

INITIALIZERS = _options.registry(
    "kernel_initializer",
    {
        "lecun_normal": keras.initializers.LecunNormal,
        "lecun_uniform": keras.initializers.LecunUniform,
        "glorot_normal": keras.initializers.GlorotNormal,
        "glorot_uniform": keras.initializers.GlorotUniform,
        "he_normal": keras.initializers.HeNormal,
        "he_uniform": keras.initializers.HeUniform,
        # N(0, 1): the pre-2010 default that makes deep nets explode or saturate.
        "normal": partial(keras.initializers.RandomNormal, mean=0.0, stddev=1.0),
    },
    _options.INITIALIZERS,
)

SOLVERS = _options.registry(
    "solver",
    {
        "nadam": keras.optimizers.Nadam,
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    },
    _options.STOCHASTIC_SOLVERS,
)


def _squared_error(y, logits):
    # Half the squared error, as MLPRegressor reports it.
    return 0.5 * mean(ops.square(logits - y))


def _binary_log_loss(y, logits):
    # log(1 + exp(z)) - y * z is the logistic loss of sigmoid(z), computed
    # without forming the probability; summed over labels as in MLP.
    return ops.sum(ops.softplus(logits) - y * logits, axis=-1)


def _softmax_log_loss(y, logits):
    return -ops.sum(y * ops.log_softmax(logits, axis=-1), axis=-1)


def _half_poisson_loss(y, logits):
    # The half Poisson deviance of exp(z) without its constant terms, as
    # MLPRegressor(loss='poisson') minimizes it: exp(z) - y * z.
    return mean(ops.exp(logits) - y * logits)


# Per-sample losses on the logits, keyed by the output activation.
LOSSES = {
    "identity": _squared_error,
    "logistic": _binary_log_loss,
    "softmax": _softmax_log_loss,
    "exp": _half_poisson_loss,
}


def ensemble_loss(loss_fn, n_members):
    """The per-sample loss of ``n_members`` networks: the sum of theirs.

    An ensemble's logits have shape (batch, n_members, n_outputs). The sum,
    not the mean, gives each member the gradient it would have alone (under
    any solver, SGD included); the loss curves report it divided by
    ``n_members``, the members' mean loss.
    """
    if n_members == 1:
        return loss_fn

    def loss(y, logits):
        return ops.sum(loss_fn(ops.expand_dims(y, 1), logits), axis=-1)

    return loss


@keras.saving.register_keras_serializable(package="sksnn")
class EnsembleDense(keras.layers.Layer):
    """``n_members`` dense layers side by side, one batched product.

    The kernel has shape (n_members, fan_in, units), the bias (n_members,
    units). The input is (batch, fan_in), shared by the members (the first
    layer), or (batch, n_members, fan_in); the output (batch, n_members,
    units). Member m's kernel is drawn by ``initializers[m]``, so that each
    starts as a network of its own seed would.
    """

    def __init__(
        self,
        units,
        n_members,
        *,
        kernel_initializer="lecun_normal",
        seeds=None,
        activation=None,
        l2=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units, self.n_members = int(units), int(n_members)
        self.kernel_initializer = kernel_initializer
        self.seeds = list(seeds) if seeds is not None else [None] * self.n_members
        self.activation = activation
        self.l2 = float(l2)
        self._activation = keras.activations.get(ACTIVATIONS.get(activation, None))

    def build(self, input_shape):
        init = INITIALIZERS[self.kernel_initializer]

        def initial_kernel(shape, dtype=None):
            draws = [init(seed=seed)(shape[1:], dtype) for seed in self.seeds]
            return ops.stack(draws)

        self.kernel = self.add_weight(
            shape=(self.n_members, input_shape[-1], self.units),
            initializer=initial_kernel,
            regularizer=keras.regularizers.L2(self.l2) if self.l2 > 0 else None,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.n_members, self.units), initializer="zeros", name="bias"
        )

    def call(self, inputs):
        spec = "bi,kio->bko" if len(inputs.shape) == 2 else "bki,kio->bko"
        return self._activation(ops.einsum(spec, inputs, self.kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_members, self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            n_members=self.n_members,
            kernel_initializer=self.kernel_initializer,
            seeds=self.seeds,
            activation=self.activation,
            l2=self.l2,
        )
        return config


# The dense layers: Keras' own, and the ensemble's.
DENSE_LAYERS = (keras.layers.Dense, EnsembleDense)


BATCH_NORM_MOMENTUM = 0.9  # Keras' 0.99 lags behind on small data sets


@keras.saving.register_keras_serializable(package="sksnn")
class MeanFieldAlphaDropout(keras.layers.AlphaDropout):
    """AlphaDropout that predicts with its training output's expectation.

    Training is Keras' AlphaDropout unchanged. At inference Keras passes the
    input through, although each unit's expected training output is
    ``alpha_dropout_scale(rate) * x`` (0.83 x at rate 0.1); this layer scales
    by that factor, as ordinary dropout's inference rule matches the
    expectation. Measured on scikit-learn's check_regressors_train data
    (4 x 100 SELU, rate 0.1): training R^2 0.52 with the identity, 0.86 with
    the scale, 0.85 for the average of 200 training-mode passes.
    """

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return super().call(inputs, training=True)
        return inputs * alpha_dropout_scale(self.rate)


@keras.saving.register_keras_serializable(package="sksnn")
class WeightedBatchNormalization(keras.layers.BatchNormalization):
    """BatchNormalization whose training statistics weigh rows by sample weight.

    Keras' layer averages a mini-batch's rows equally, so that a row of
    weight 1e-4 shapes the normalization as much as one of weight 1000 and
    weighted rows differ from repeated ones. Given ``sample_weight``, this
    layer normalizes with the weighted mean and variance of the batch, and
    moves its statistics towards them; without it, it is Keras' layer.
    """

    def call(self, inputs, training=None, mask=None, sample_weight=None):
        if not (training and self.trainable) or sample_weight is None:
            return super().call(inputs, training=training, mask=mask)
        w = ops.expand_dims(ops.cast(sample_weight, inputs.dtype), -1)
        # A batch of zero-weight rows (it adds nothing to the loss) is
        # normalized unweighted rather than divided by zero.
        w = ops.where(ops.sum(w) > 0, w, ops.ones_like(w))
        total = ops.sum(w)
        mean = ops.sum(w * inputs, axis=0) / total
        variance = ops.sum(w * ops.square(inputs - mean), axis=0) / total
        for statistic, value in (
            (self.moving_mean, mean),
            (self.moving_variance, variance),
        ):
            statistic.assign(statistic * self.momentum + value * (1.0 - self.momentum))
        inverse = ops.rsqrt(variance + self.epsilon) * self.gamma
        return (inputs - mean) * inverse + self.beta


@keras.saving.register_keras_serializable(package="sksnn")
class RandomLeakyReLU(keras.layers.Layer):
    """RReLU (Xu et al. 2015): a leaky ReLU whose negative slope is random.

    In training each unit of each row draws its slope from U(lower, upper);
    at inference the slope is their mean, the expected training output.
    """

    def __init__(self, lower=RRELU_LOWER, upper=RRELU_UPPER, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.lower, self.upper, self.seed = float(lower), float(upper), seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if training:
            slope = keras.random.uniform(
                ops.shape(inputs),
                self.lower,
                self.upper,
                dtype=inputs.dtype,
                seed=self.seed_generator,
            )
        else:
            slope = 0.5 * (self.lower + self.upper)
        return ops.where(inputs > 0, inputs, slope * inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(lower=self.lower, upper=self.upper, seed=self.seed)
        return config


@keras.saving.register_keras_serializable(package="sksnn")
class ParametricSELU(keras.layers.Layer):
    """PSELU: ``x + a * (selu(x) - x)`` with a learned weight ``a`` per unit,
    from 1 (SELU itself): RealMLP's parametric activation (Holzmueller et
    al. 2024). Each member of an ensemble learns its own weights."""

    def build(self, input_shape):
        self.blend = self.add_weight(
            shape=tuple(input_shape[1:]),
            initializer="ones",
            name="blend",
            dtype=self.dtype,
        )

    def call(self, inputs):
        return inputs + self.blend * (ops.selu(inputs) - inputs)

    def compute_output_shape(self, input_shape):
        return input_shape


# The layers whose per-unit parameters the fitted model keeps in ``slopes``,
# and the variable that holds them.
_PARAMETRIC = {keras.layers.PReLU: "alpha", ParametricSELU: "blend"}


def _parameters(layer):
    """The variable of a parametric activation layer, or None for others."""
    for kind, name in _PARAMETRIC.items():
        if isinstance(layer, kind):
            return getattr(layer, name)
    return None


def _activation_layer(activation, dtype, index, seed):
    """The layer of a hidden activation: PReLU, PSELU and RReLU have their own."""
    if activation == "prelu":
        return keras.layers.PReLU(
            alpha_initializer=keras.initializers.Constant(PRELU_INITIAL_SLOPE),
            dtype=dtype,
            name=f"prelu_{index}",
        )
    if activation == "pselu":
        return ParametricSELU(dtype=dtype, name=f"pselu_{index}")
    if activation == "rrelu":
        return RandomLeakyReLU(seed=seed, dtype=dtype, name=f"rrelu_{index}")
    return keras.layers.Activation(ACTIVATIONS[activation], dtype=dtype)


def initial_embedding(sizes, dim, seed, dtype):
    """The tables a new ``CategoryEmbedding`` starts from (numpy).

    N(0, 1), the scale of a standardized input, except each table's row 0,
    the slot of missing and unseen levels, which starts at zero: a level
    that training never saw adds nothing rather than a random vector. A list
    of seeds (an ensemble's, one per member) gives one stack of tables per
    member, shape (n_members, sum(sizes), dim).
    """
    if isinstance(seed, list | tuple):
        return np.stack([initial_embedding(sizes, dim, s, dtype) for s in seed])
    table = np.random.default_rng(seed).standard_normal((sum(sizes), dim))
    table[Embedding(0, tuple(sizes), dim).offsets] = 0.0
    return table.astype(dtype)


@keras.saving.register_keras_serializable(package="sksnn")
class CategoryEmbedding(keras.layers.Layer):
    """Replace the input's category-code columns by rows of learned tables.

    The first ``n_dense`` columns pass through; column ``n_dense + i`` holds
    a code of categorical feature i, replaced by that row of its table of
    ``sizes[i]`` rows and ``dim`` columns. The tables are one stacked
    variable, ``embeddings``; ``_forward.embed`` is the same in numpy.

    ``seed`` a list: an ensemble's embedding, one stack of tables per member
    (``embeddings`` of shape (n_members, sum(sizes), dim)), so that each
    member learns its own as it would alone; the output is then (batch,
    n_members, width), each member's input to the first ``EnsembleDense``.
    """

    def __init__(self, n_dense, sizes, dim, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.n_dense, self.dim = int(n_dense), int(dim)
        self.members = isinstance(seed, list | tuple)
        self.seed = [int(s) for s in seed] if self.members else int(seed)
        self.sizes = tuple(int(size) for size in sizes)
        self.offsets = Embedding(self.n_dense, self.sizes, self.dim).offsets.tolist()

    def build(self, input_shape):
        shape = (sum(self.sizes), self.dim)
        if self.members:
            shape = (len(self.seed), *shape)
        self.embeddings = self.add_weight(
            shape=shape, initializer="zeros", name="embeddings"
        )
        self.embeddings.assign(
            initial_embedding(self.sizes, self.dim, self.seed, self.embeddings.dtype)
        )

    def call(self, inputs):
        codes = ops.cast(inputs[:, self.n_dense :], "int32")
        codes = codes + ops.convert_to_tensor(self.offsets, "int32")
        dense = inputs[:, : self.n_dense]
        width = len(self.sizes) * self.dim
        if not self.members:
            rows = ops.take(self.embeddings, codes, axis=0)
            return ops.concatenate([dense, ops.reshape(rows, (-1, width))], axis=1)
        k = len(self.seed)
        rows = ops.take(self.embeddings, codes, axis=1)  # (k, batch, codes, dim)
        rows = ops.reshape(ops.transpose(rows, (1, 0, 2, 3)), (-1, k, width))
        dense = ops.repeat(ops.expand_dims(dense, 1), k, axis=1)
        return ops.concatenate([dense, rows], axis=-1)

    def compute_output_shape(self, input_shape):
        width = self.n_dense + len(self.sizes) * self.dim
        if self.members:
            return (input_shape[0], len(self.seed), width)
        return (input_shape[0], width)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_dense=self.n_dense, sizes=list(self.sizes), dim=self.dim, seed=self.seed
        )
        return config


# RealMLP's PBLD: frequencies drawn from N(0, 0.1^2), all its parameters
# trained at a tenth of the step size.
PERIODIC_SIGMA = 0.1
PERIODIC_STEP_FACTOR = 0.1


def initial_periodic(layout, seeds, dtype):
    """The ``(frequencies, phases, kernel, bias)`` a new ``PeriodicEmbedding``
    starts from, one stack per seed (numpy, shapes as ``periodic_features``
    reads them with a leading n_members)."""
    n, h, j = layout
    draws = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        bound = 1 / np.sqrt(h)
        draws.append(
            (
                PERIODIC_SIGMA * rng.standard_normal((n, h)),
                rng.uniform(-np.pi, np.pi, (n, h)),
                rng.uniform(-bound, bound, (n, h, j)),
                rng.uniform(-bound, bound, (n, j)),
            )
        )
    return tuple(np.stack(a).astype(dtype) for a in zip(*draws))


@keras.saving.register_keras_serializable(package="sksnn")
class PeriodicEmbedding(keras.layers.Layer):
    """Append PBLD features of the input's first ``n_numeric`` columns.

    ``periodic_features`` in Keras. Each member of an ensemble has its own
    parameters (a leading axis of ``len(seeds)``); the output is then (batch,
    n_members, width). The variables hold each parameter divided by
    ``PERIODIC_STEP_FACTOR``: under Adam and Nadam that trains it at that
    share of the step size (RealMLP's factor).
    """

    def __init__(
        self, n_numeric, n_frequencies=16, width=3, seeds=(0,), n_members=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.layout = Periodic(int(n_numeric), int(n_frequencies), int(width))
        self.seeds = [int(seed) for seed in seeds]
        # One seed for several members: they share one embedding.
        self.n_members = len(self.seeds) if n_members is None else int(n_members)

    def build(self, input_shape):
        n, h, j = self.layout
        k = len(self.seeds)
        shapes = {
            "frequencies": (k, n, h),
            "phases": (k, n, h),
            "kernel": (k, n, h, j),
            "bias": (k, n, j),
        }
        self.parameters = [
            self.add_weight(shape=shape, initializer="zeros", name=name)
            for name, shape in shapes.items()
        ]
        self.reset()

    def reset(self):
        """The initial parameters of the layer's seeds."""
        dtype = self.parameters[0].dtype
        self.assign(initial_periodic(self.layout, self.seeds, dtype))

    def assign(self, params):
        """Set the parameters (effective values, leading n_members)."""
        for variable, value in zip(self.parameters, params):
            variable.assign(np.asarray(value) / PERIODIC_STEP_FACTOR)

    def values(self):
        """The effective parameters as numpy arrays, leading n_members."""
        return tuple(
            PERIODIC_STEP_FACTOR * np.asarray(v.numpy()) for v in self.parameters
        )

    def call(self, inputs):
        n, _, j = self.layout
        k, own = self.n_members, len(self.seeds)
        f, p, kernel, bias = (PERIODIC_STEP_FACTOR * v for v in self.parameters)
        shared = len(inputs.shape) == 2
        x = inputs[..., :n]
        if shared:
            x = ops.expand_dims(x, 1)  # (batch, 1, n)
        elif own == 1:  # members' copies of the same numbers: one is enough
            x = x[:, :1]
        z = ops.cos(2 * np.pi * ops.expand_dims(x, -1) * f + p)  # (b, own, n, h)
        out = ops.einsum("bknh,knhj->bknj", z, kernel) + ops.expand_dims(bias, 0)
        out = ops.reshape(out, (-1, own, n * j))
        if own < k:
            out = ops.repeat(out, k, axis=1)
        if shared and k == 1:  # one network: 2-D, as Dense reads it
            return ops.concatenate([inputs, out[:, 0]], axis=-1)
        if shared:
            inputs = ops.repeat(ops.expand_dims(inputs, 1), k, axis=1)
        return ops.concatenate([inputs, out], axis=-1)

    def compute_output_shape(self, input_shape):
        width = input_shape[-1] + self.layout.n_outputs
        if len(input_shape) == 2 and self.n_members == 1:
            return (input_shape[0], width)
        return (input_shape[0], self.n_members, width)

    def get_config(self):
        config = super().get_config()
        config.update(
            n_numeric=self.layout.n_numeric,
            n_frequencies=self.layout.n_frequencies,
            width=self.layout.width,
            seeds=self.seeds,
            n_members=self.n_members,
        )
        return config


# RealMLP's step-size factor of its per-feature scale (Holzmueller et al. 2024).
INPUT_SCALE_FACTOR = 6.0


@keras.saving.register_keras_serializable(package="sksnn")
class InputScale(keras.layers.Layer):
    """A learned scale per input column, in front of the first dense layer.

    RealMLP's "soft feature selection" (Holzmueller et al. 2024): the scale
    starts at 1 and learns ``factor`` times faster than the weights. Under
    Adam and Nadam, whose steps do not depend on a gradient's size, that is
    the scale ``factor * u`` with ``u`` trained at the common step size from
    ``1 / factor``: the variable is ``u``. Each member of an ensemble learns
    its own (shape (n_members, width); the output is then (batch, n_members,
    width)). ``get_weights`` folds the scale into the first kernel, so that
    the fitted weights hold none of it, and ``set_weights`` resets it to 1.
    """

    def __init__(self, n_members=1, factor=INPUT_SCALE_FACTOR, **kwargs):
        super().__init__(**kwargs)
        self.n_members, self.factor = int(n_members), float(factor)

    def build(self, input_shape):
        shape = (input_shape[-1],)
        if self.n_members > 1:
            shape = (self.n_members, *shape)
        self.unit = self.add_weight(
            shape=shape,
            initializer=keras.initializers.Constant(1.0 / self.factor),
            name="unit",
            dtype=self.dtype,
        )

    def call(self, inputs):
        scale = self.factor * self.unit
        if self.n_members > 1 and len(inputs.shape) == 2:
            inputs = ops.expand_dims(inputs, 1)
        return inputs * scale

    def compute_output_shape(self, input_shape):
        if self.n_members > 1 and len(input_shape) == 2:
            return (input_shape[0], self.n_members, input_shape[-1])
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(n_members=self.n_members, factor=self.factor)
        return config

    def reset(self):
        """Scale 1: the identity."""
        self.unit.assign(ops.full(self.unit.shape, 1.0 / self.factor, self.unit.dtype))

    def scale(self):
        """The scale as a numpy array."""
        return self.factor * np.asarray(self.unit.numpy())


def training_call(model, x, sample_weight):
    """``model(x, training=True)``, with ``sample_weight`` for batch norms.

    A Sequential model passes no sample weights to its layers: the layers
    are called one by one instead.
    """
    for layer in model.layers:
        if isinstance(layer, WeightedBatchNormalization):
            x = layer(x, training=True, sample_weight=sample_weight)
        else:
            x = layer(x, training=True)
    return x


def weighs_rows(model):
    """Whether ``model`` has layers whose training output depends on the weights."""
    return any(isinstance(layer, WeightedBatchNormalization) for layer in model.layers)


def _dropout_layer(rate, activation, seed, dtype, index):
    # AlphaDropout keeps SELU's mean 0 / variance 1; ordinary dropout does not.
    selu = activation in SELU_FAMILY
    layer = MeanFieldAlphaDropout if selu else keras.layers.Dropout
    return layer(rate, seed=seed, dtype=dtype, name=f"dropout_{index}")


def _dense_layer(width, name, *, initializer, seeds, l2, dtype, activation=None):
    """A dense layer of ``len(seeds)`` members: Keras' Dense for one."""
    if len(seeds) > 1:
        return EnsembleDense(
            width,
            len(seeds),
            kernel_initializer=initializer,
            seeds=seeds,
            activation=activation,
            l2=l2,
            dtype=dtype,
            name=name,
        )
    return keras.layers.Dense(
        width,
        activation=None if activation is None else ACTIVATIONS[activation],
        kernel_initializer=INITIALIZERS[initializer](seed=seeds[0]),
        kernel_regularizer=keras.regularizers.L2(l2) if l2 > 0 else None,
        dtype=dtype,
        name=name,
    )


def _hidden_block(
    index, width, *, activation, initializer, seeds, l2, batch_norm, dtype, noise_seed
):
    dense = partial(
        _dense_layer,
        width,
        f"hidden_{index}",
        initializer=initializer,
        seeds=seeds,
        l2=l2,
        dtype=dtype,
    )
    own_layer = ACTIVATIONS[activation] is None
    if not (batch_norm or own_layer):
        return [dense(activation=activation)]
    norm = WeightedBatchNormalization(
        momentum=BATCH_NORM_MOMENTUM,
        epsilon=BATCH_NORM_EPSILON,
        dtype=dtype,
        name=f"batch_norm_{index}",
    )
    return [
        dense(),
        *([norm] if batch_norm else []),
        _activation_layer(activation, dtype, index, noise_seed),
    ]


def member_major(seeds, n_layers):
    """``seeds`` as (n_members, n_layers): one network's list is one member's."""
    return np.asarray(seeds, dtype=np.int64).reshape(-1, n_layers).tolist()


def build_network(
    n_features,
    hidden_layer_sizes,
    n_outputs,
    *,
    activation,
    kernel_initializer,
    seeds,
    dtype,
    dropout=0.0,
    dropout_seeds=None,
    batch_norm=False,
    l2=0.0,
    embedding=None,
    embedding_seed=0,
    input_scale=False,
    periodic=None,
    periodic_seeds=(0,),
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
    seeds : sequence of int, or of sequences of int
        One seed per dense layer, hidden layers first; for an ensemble, one
        such sequence per member (see ``member_major``).
    dtype : str
        ``"float32"`` or ``"float64"``: the dtype of weights and computation.
    dropout : float, default=0.0
        Dropout rate after each hidden layer (AlphaDropout for SELU).
    dropout_seeds : sequence of int, default=None
        Two seeds per hidden layer: the dropout masks' (first), needed when
        ``dropout > 0``, and RReLU's slopes', needed for ``'rrelu'``.
    batch_norm : bool, default=False
        BatchNormalization between each hidden layer and its activation.
    l2 : float, default=0.0
        L2 penalty factor on the kernels (``l2 * sum(kernel ** 2)``).
    embedding : Embedding, default=None
        Where the input holds category codes (``n_features`` counts them): a
        ``CategoryEmbedding`` in front looks them up. None: no codes.
    embedding_seed : int or list of int, default=0
        Seed of the embedding's initial tables; one per member for an
        ensemble, whose members each learn their own tables.
    periodic : Periodic, default=None
        A ``PeriodicEmbedding`` of the input's first ``periodic.n_numeric``
        columns (after the category embedding), or None.
    periodic_seeds : sequence of int, default=(0,)
        Its initial parameters' seeds: one per member.
    input_scale : bool, default=False
        An ``InputScale`` in front of the first dense layer (after the
        embedding): a learned scale per input column and member.

    Returns
    -------
    model : keras.Sequential
        Its output has shape (batch, n_outputs), or (batch, n_members,
        n_outputs) when ``seeds`` gives more than one member: the members
        share the input, and the periodic embedding when ``periodic_seeds``
        holds one seed (each has its own category tables when
        ``embedding_seed`` is a list).
    """
    n_hidden = len(hidden_layer_sizes)
    by_layer = list(zip(*member_major(seeds, n_hidden + 1)))
    noise_seeds = list(dropout_seeds or [None] * 2 * n_hidden)
    layers = [keras.Input(shape=(n_features,), dtype=dtype)]
    if embedding is not None:
        layers.append(
            CategoryEmbedding(
                *embedding, seed=embedding_seed, dtype=dtype, name="embedding"
            )
        )
    if periodic is not None:
        layers.append(
            PeriodicEmbedding(
                *periodic,
                seeds=periodic_seeds,
                n_members=len(by_layer[0]),
                dtype=dtype,
                name="periodic",
            )
        )
    if input_scale:
        n_members = len(by_layer[0])
        layers.append(InputScale(n_members, dtype=dtype, name="input_scale"))
    for i, width in enumerate(hidden_layer_sizes):
        layers += _hidden_block(
            i,
            width,
            activation=activation,
            initializer=kernel_initializer,
            seeds=by_layer[i],
            l2=l2,
            batch_norm=batch_norm,
            dtype=dtype,
            noise_seed=noise_seeds[n_hidden + i],
        )
        if dropout > 0:
            layers.append(_dropout_layer(dropout, activation, noise_seeds[i], dtype, i))
    layers.append(
        _dense_layer(
            n_outputs,
            "output",
            initializer=kernel_initializer,
            seeds=by_layer[n_hidden],
            l2=l2,
            dtype=dtype,
        )
    )
    return keras.Sequential(layers, name="snn")


# The MLP parameters that shape each solver (rmsprop keeps Keras' settings).
SOLVER_SETTINGS = {
    "nadam": ("beta_1", "beta_2", "epsilon"),
    "adam": ("beta_1", "beta_2", "epsilon"),
    "sgd": ("momentum", "nesterovs_momentum"),
    "rmsprop": (),
}
# Keras' names of those parameters.
_KERAS_NAMES = {"nesterovs_momentum": "nesterov"}


def make_optimizer(solver, learning_rate, settings=(), clipnorm=None, clipvalue=None):
    """Return a fresh Keras optimizer for ``solver`` (a key of ``SOLVERS``).

    ``settings`` holds ``(name, value)`` of the parameters
    ``SOLVER_SETTINGS[solver]`` names, MLP's names: ``momentum`` and
    ``nesterovs_momentum`` of ``'sgd'``, ``beta_1``, ``beta_2`` and
    ``epsilon`` of ``'adam'`` and ``'nadam'``.
    """
    options = {_KERAS_NAMES.get(name, name): value for name, value in settings}
    return SOLVERS[solver](
        learning_rate=float(learning_rate),
        clipnorm=clipnorm,
        clipvalue=clipvalue,
        **options,
    )


def get_weights(model):
    """Return the ``Weights`` of ``model`` as numpy arrays."""
    weights = Weights([], [], [], None, [])
    table, scale, periodic = None, None, None
    for layer in model.layers:
        if isinstance(layer, PeriodicEmbedding):
            periodic = layer.values()
            if len(layer.seeds) == 1:  # one network: no members' axis
                periodic = tuple(value[0] for value in periodic)
        elif isinstance(layer, InputScale):
            scale = layer.scale()
        elif isinstance(layer, DENSE_LAYERS):
            kernel, bias = layer.get_weights()
            if scale is not None:  # the first kernel: the scale folded in
                kernel, scale = kernel * scale[..., None].astype(kernel.dtype), None
            weights.coefs.append(kernel)
            weights.intercepts.append(bias)
        elif isinstance(layer, keras.layers.BatchNormalization):
            weights.batch_norms.append(tuple(layer.get_weights()))
        elif isinstance(layer, CategoryEmbedding):
            table = layer.embeddings.numpy()
        elif _parameters(layer) is not None:
            weights.slopes.append(_parameters(layer).numpy())
    return weights._replace(
        embedding=table, slopes=weights.slopes or None, periodic=periodic
    )


def set_weights(model, weights):
    """Load ``Weights`` (numpy arrays) into ``model``."""
    dense = iter(zip(weights.coefs, weights.intercepts))
    norms = iter(weights.batch_norms)
    slopes = iter(weights.slopes or ())
    for layer in model.layers:
        if isinstance(layer, PeriodicEmbedding):
            params = weights.periodic
            if len(layer.seeds) == 1:
                params = tuple(value[None] for value in params)
            layer.assign(params)
        elif isinstance(layer, InputScale):
            layer.reset()  # the weights hold the scale (see get_weights)
        elif isinstance(layer, DENSE_LAYERS):
            layer.set_weights(list(next(dense)))
        elif isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights(list(next(norms)))
        elif isinstance(layer, CategoryEmbedding):
            layer.embeddings.assign(weights.embedding)
        elif _parameters(layer) is not None:
            _parameters(layer).assign(next(slopes))


def initialize(
    model,
    kernel_initializer,
    seeds,
    dropout_seeds=None,
    embedding_seed=0,
    periodic_seeds=None,
):
    """Give a built network the state ``build_network`` gives a new one.

    Parameters
    ----------
    model : keras.Sequential
        A network from ``build_network``.
    kernel_initializer : str
        Key of ``INITIALIZERS``.
    seeds, dropout_seeds : sequence of int
        As for ``build_network`` (``seeds`` nested for an ensemble).
    embedding_seed : int or list of int, default=0
        As for ``build_network``.
    periodic_seeds : sequence of int, default=None
        As for ``build_network``; None keeps the layer's own.
    """
    init = INITIALIZERS[kernel_initializer]
    dense = [layer for layer in model.layers if isinstance(layer, DENSE_LAYERS)]
    dense_seeds = iter(zip(*member_major(seeds, len(dense))))
    seed_dropout(model, dropout_seeds or ())
    for layer in model.layers:
        if isinstance(layer, PeriodicEmbedding):
            if periodic_seeds is not None:
                layer.seeds = [int(seed) for seed in periodic_seeds]
            layer.reset()
        elif isinstance(layer, InputScale):
            layer.reset()
        elif isinstance(layer, DENSE_LAYERS):
            kernel = layer.kernel
            shape = tuple(kernel.shape)[-2:]
            # Drawn in float64 and rounded: float32 and float64 networks of
            # one seed start from the same weights, as MLP's do.
            draws = [
                init(seed=seed)(shape, _draw_dtype()) for seed in next(dense_seeds)
            ]
            draw = draws[0] if len(kernel.shape) == 2 else ops.stack(draws)
            kernel.assign(ops.cast(draw, kernel.dtype))
            layer.bias.assign(ops.zeros(layer.bias.shape, layer.bias.dtype))
        elif isinstance(layer, keras.layers.BatchNormalization):
            for variable, value in (
                (layer.gamma, 1),
                (layer.beta, 0),
                (layer.moving_mean, 0),
                (layer.moving_variance, 1),
            ):
                variable.assign(ops.full(variable.shape, value, variable.dtype))
        elif isinstance(layer, CategoryEmbedding):
            table = layer.embeddings
            table.assign(
                initial_embedding(layer.sizes, layer.dim, embedding_seed, table.dtype)
            )
        elif _parameters(layer) is not None:
            start = PRELU_INITIAL_SLOPE if isinstance(layer, keras.layers.PReLU) else 1
            variable = _parameters(layer)
            variable.assign(ops.full(variable.shape, start, variable.dtype))


def _draw_dtype():
    """float64, or float32 where the backend computes in no other (JAX
    without jax_enable_x64)."""
    from sksnn._backend import float_dtype

    return float_dtype("float64")


def seed_dropout(model, seeds):
    """Seed the network's random layers: two seeds per hidden layer, the
    dropout masks' first, then RReLU's slopes'."""
    seeds = list(seeds)
    dropouts = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dropout | keras.layers.AlphaDropout)
    ]
    noises = [layer for layer in model.layers if isinstance(layer, RandomLeakyReLU)]
    n_hidden = len(seeds) // 2
    for layer, seed in [*zip(dropouts, seeds), *zip(noises, seeds[n_hidden:])]:
        fresh = keras.random.SeedGenerator(seed)
        layer.seed_generator.state.assign(fresh.state.value)


def optimizer_state(optimizer):
    """Return copies of a built optimizer's variables as numpy arrays."""
    return [variable.numpy() for variable in optimizer.variables]


def _unfolded_variables(model):
    """The variables that ``get_weights`` does not return as they are: each
    ``InputScale``'s and the first kernel before the fold, and the periodic
    embedding's (rescaled by its step factor, which rounds)."""
    variables, pending = [], False
    for layer in model.layers:
        if isinstance(layer, PeriodicEmbedding):
            variables += layer.parameters
        elif isinstance(layer, InputScale):
            variables.append(layer.unit)
            pending = True
        elif pending and isinstance(layer, DENSE_LAYERS):
            variables.append(layer.kernel)
            pending = False
    return variables


def unfolded_state(model):
    """``_unfolded_variables`` as numpy arrays. With the solver's state, they
    let a continued partial_fit take the steps the network would have taken."""
    return [variable.numpy() for variable in _unfolded_variables(model)]


def restore_unfolded(model, state):
    """Set the variables ``unfolded_state`` returned, after ``set_weights``."""
    for variable, value in zip(_unfolded_variables(model), state):
        variable.assign(value)


def restore_optimizer(optimizer, state, learning_rate):
    """Set the optimizer's variables to ``state`` and its learning rate."""
    for variable, value in zip(optimizer.variables, state):
        variable.assign(value)
    set_learning_rate(optimizer, learning_rate)


def set_learning_rate(optimizer, learning_rate):
    """Set the step size of ``optimizer`` (a Python float: no retrace)."""
    optimizer.learning_rate = float(learning_rate)


def learning_rate_of(optimizer, state):
    """The step size held in ``state``, a copy of ``optimizer``'s variables."""
    for variable, value in zip(optimizer.variables, state):
        if variable.name == "learning_rate":
            return float(np.asarray(value))
    return float(np.asarray(optimizer.learning_rate))
