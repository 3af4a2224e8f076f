"""Everything that depends on the Keras backend lives here.

Importing this module imports Keras (and so the backend): the rest of sksnn
imports it only when a network is first built, which keeps ``import sksnn``
light.
"""

import math
import os
from functools import partial

import numpy as np

# TensorFlow logs at import unless told otherwise; a user who set the level
# keeps theirs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _worker_threads():
    """The thread count joblib gives this process, or None outside a worker.

    joblib's loky backend sets OMP_NUM_THREADS (and its kin) in each worker
    to its share of the cores, unless the user set them; TensorFlow's and
    XLA's own thread pools ignore that variable, so sksnn passes it on.
    """
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _limit_xla_threads(threads):
    # Read when JAX starts its CPU backend, so before Keras imports JAX.
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        ).strip()


def _limit_tensorflow_threads(threads):
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # TensorFlow already started: its pools are fixed by now


def _import_keras():
    # TensorFlow >= 2.20 writes its oneDNN and CPU-feature notices to the
    # process' stderr before its logging is set up, whatever the log level:
    # silence file descriptor 2 for the import alone, unless the user asked
    # for TensorFlow's informational logs.
    threads = _worker_threads()
    if threads:
        _limit_xla_threads(threads)
    quiet = os.environ["TF_CPP_MIN_LOG_LEVEL"] not in ("", "0")
    if quiet:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
    try:
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow  # noqa: F401
    finally:
        if quiet:
            os.dup2(saved, 2)
            os.close(devnull)
            os.close(saved)
    if threads and keras.backend.backend() == "tensorflow":
        _limit_tensorflow_threads(threads)
    return keras


keras = _import_keras()
ops = keras.ops


def backend_name():
    """Return the name of the active Keras backend."""
    return keras.backend.backend()


def _count_gpus():
    name = backend_name()
    if name == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if name == "jax":
        import jax

        return sum(d.platform == "gpu" for d in jax.devices())
    if name == "torch":
        import torch

        return torch.cuda.device_count()
    return 0


def device_name(device):
    """Map the ``device`` parameter to a Keras device name, or None.

    Parameters
    ----------
    device : {"auto", "cpu", "gpu"}
        ``"auto"`` lets the backend choose (its GPU when it sees one).

    Returns
    -------
    name : str or None
        A name for ``keras.device``, or None to keep the backend's default.
    """
    if device == "auto":
        return None
    if device == "gpu" and _count_gpus() == 0:
        raise ValueError(
            f"device='gpu' was requested, but the Keras backend "
            f"{backend_name()!r} sees no GPU on this machine. Use device='auto' "
            "(GPU when there is one) or device='cpu'."
        )
    # Keras' PyTorch backend wants "cpu" itself: with "cpu:0" its parameters
    # are copies that receive no gradient.
    return device if backend_name() == "torch" else f"{device}:0"


def _without_all_reduce(optimizer):
    """Skip the gradient all-reduce of Keras' TensorFlow optimizer.

    With no tf.distribute strategy active the all-reduce sums over a single
    replica, a no-op, but it registers each traced train step in a global
    collective registry that keeps it alive: about 5 MB per fitted network
    (benchmarks/bench_memory.py).
    """
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        optimizer._all_reduce_sum_gradients = lambda grads_and_vars: grads_and_vars
    return optimizer


def _apply_in_groups(optimizer, variables, n_groups=4):
    """Build ``optimizer`` to update ``variables`` as a few flat vectors (TF).

    Keras traces its update rule once per variable, about 25 ms each on
    TensorFlow here: 1.0 s of the 2.3 s that the first fit of a 20 x 100
    network spent before its first step. The rules of the solvers are
    elementwise, so applying one to the concatenated gradients of several
    variables does the same arithmetic from one traced update (a 20 x 100
    fit gave the same loss curve to the last digit); each of its writes to
    the flat vector is split back onto the variables.

    Four groups of consecutive layers rather than one let the updates of the
    last layers run while back-propagation still works on the first (one
    group made an epoch at batch size 32 11% slower). Per-variable gradient
    clipping (``clipnorm``) needs the variables apart: the caller keeps
    Keras' per-variable update then.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        A new, unbuilt optimizer whose update rule only assigns to the
        variable (none of the solvers reads the variable's value).
    variables : list of keras.Variable
        The trainable variables, in the order of their gradients.
    n_groups : int, default=4
        Number of flat vectors.

    Returns
    -------
    apply : callable
        ``apply(grads)`` updates ``variables`` with their gradients.
    """
    import tensorflow as tf

    groups, flats = _flat_groups(variables, n_groups)
    targets = {}
    for flat, group in zip(flats, groups):
        # TensorFlow's optimizer hands its update the tf.Variable inside.
        targets[id(flat)] = targets[id(flat.value)] = group

    def spread(write):
        def update(variable, value):
            group = targets.get(id(variable))
            if group is None:  # a slot of the optimizer
                return write(variable, value)
            # Static sizes, so that the pieces' shapes are known when traced.
            pieces = tf.split(value, [math.prod(v.shape) for v in group])
            for target, piece in zip(group, pieces):
                write(target, tf.reshape(piece, target.shape))

        return update

    for name in OPTIMIZER_WRITES:
        setattr(optimizer, name, spread(getattr(optimizer, name)))
    optimizer.build(flats)

    def apply(grads):
        grads = iter(grads)
        flat_grads = [
            tf.concat([tf.reshape(next(grads), [-1]) for _ in group], 0)
            for group in groups
        ]
        optimizer.apply(flat_grads, flats)

    apply.stand_ins = flats
    return apply


# The methods through which Keras' optimizers write a variable's new value;
# _apply_in_groups routes those for its stand-ins onto the real weights.
OPTIMIZER_WRITES = ("assign", "assign_add", "assign_sub")


def _flat_groups(variables, n_groups):
    """Consecutive groups of ``variables``, and a zero flat stand-in for each."""
    cuts = np.linspace(0, len(variables), min(n_groups, len(variables)) + 1)
    cuts = cuts.round().astype(int)
    groups = [variables[i:j] for i, j in zip(cuts[:-1], cuts[1:])]
    # Stand-ins that give the optimizer its slot shapes; never read, and
    # never written while the writes reach the weights (_check_stand_ins).
    flats = [
        keras.Variable(
            np.zeros(sum(math.prod(v.shape) for v in group), variables[0].dtype),
            trainable=False,
            name="flat",
        )
        for group in groups
    ]
    return groups, flats


def _check_stand_ins(flats):
    """Fail loudly if the solver wrote to the stand-ins instead of the weights.

    Were a Keras release to write the new values by another path than
    ``OPTIMIZER_WRITES``, the weights would stay as they are and training
    would silently do nothing.
    """
    if any(np.any(flat.numpy()) for flat in flats):
        raise RuntimeError(
            "sksnn's grouped update no longer reaches the weights with Keras "
            f"{keras.__version__}: Keras' optimizer wrote the new values "
            "somewhere else, so training would change nothing. Please report "
            "it; meanwhile, pass clipnorm (which uses Keras' own update) or "
            "install the Keras version of sksnn's CI."
        )


class _Epoch:
    """``epoch(X, Y, w, order, center, scale) -> loss``, counting its traces."""

    def __init__(self):
        self.traces = 0  # stays 0 where nothing is traced (PyTorch)
        self.run = None

    def __call__(self, X, Y, w, order, center, scale):
        return self.run(X, Y, w, order, center, scale)


def mean(x, axis=-1):
    """The mean along ``axis``, in x's dtype: Keras' ``ops.mean`` computes
    float64 tensors in float32 on JAX and PyTorch (measured with Keras 3.15:
    a relative error of 1e-8, which breaks finite-difference gradients)."""
    n = ops.shape(x)[axis]
    return ops.sum(x, axis=axis) / ops.cast(n, x.dtype)


def objective(loss_fn, y, logits, w, penalties):
    """What training minimizes: the weighted mean of the per-sample losses,
    plus the penalties (the L2 terms of the kernels, when alpha > 0)."""
    loss = mean(w * loss_fn(y, logits), axis=0)
    # A Python sum: ops.sum of a list converts it in Keras' float32 first.
    return loss + sum(penalties) if penalties else loss


def _tensorflow_step(model, loss_fn, optimizer, call):
    """``step(x, y, w) -> loss``: one gradient step, to be traced.

    Its ``stand_ins`` are the flat variables of the grouped update, if any.
    """
    import tensorflow as tf

    variables = model.trainable_variables
    optimizer = _without_all_reduce(optimizer)
    if optimizer.clipnorm is None:
        apply = _apply_in_groups(optimizer, variables)
    else:
        optimizer.build(variables)
        apply = partial(optimizer.apply, trainable_variables=variables)

    def step(x, y, w):
        with tf.GradientTape() as tape:
            loss = objective(loss_fn, y, call(model, x, w), w, model.losses)
        # Dense gradients: a category embedding's gather gives IndexedSlices.
        apply([tf.convert_to_tensor(g) for g in tape.gradient(loss, variables)])
        return loss

    step.stand_ins = getattr(apply, "stand_ins", [])
    return step


def _tensorflow_signature(model):
    """The one input signature of an epoch: any number of rows."""
    import tensorflow as tf

    dtype = model.trainable_variables[0].dtype
    n_features, n_outputs = model.input_shape[-1], model.output_shape[-1]
    return [
        tf.TensorSpec((None, n_features), dtype),
        tf.TensorSpec((None, n_outputs), dtype),
        tf.TensorSpec((None,), dtype),
        tf.TensorSpec((None,), tf.int64),
        tf.TensorSpec((n_features,), dtype),
        tf.TensorSpec((n_features,), dtype),
    ]


def _tensorflow_epoch(model, loss_fn, optimizer, batch_size, call):
    import tensorflow as tf

    step = _tensorflow_step(model, loss_fn, optimizer, call)
    counter = _Epoch()

    # The whole epoch is one graph: a Python call per mini-batch costs more
    # than the step itself for small networks. The loop is an explicit
    # while_loop, without AutoGraph, whose conversion of the step doubled the
    # tracing time (2.9 s to 1.7 s for 20 x 100 on MNIST-5k). Any number of
    # rows fits the one signature, so the epoch is traced once per network.
    @tf.function(input_signature=_tensorflow_signature(model), autograph=False)
    def epoch(X, Y, w, order, center, scale):
        counter.traces += 1
        n_samples = tf.size(order)

        def body(start, total):
            idx = order[start : start + batch_size]
            x = (tf.gather(X, idx) - center) / scale
            loss = step(x, tf.gather(Y, idx), tf.gather(w, idx))
            return start + batch_size, total + loss * tf.cast(tf.size(idx), X.dtype)

        _, total = tf.while_loop(
            lambda start, total: start < n_samples,
            body,
            (tf.constant(0), tf.zeros((), X.dtype)),
        )
        return total / tf.cast(n_samples, X.dtype)

    # TensorFlow counts traces of the same code across networks and would
    # warn about "frequent retracing" in searches over many architectures.
    epoch._omit_frequent_tracing_warning = True
    unchecked = [True]

    def run(X, Y, w, order, center, scale):
        loss = float(epoch(X, Y, w, order.astype("int64", copy=False), center, scale))
        if unchecked[0]:  # once per network: a read of a few vectors
            _check_stand_ins(step.stand_ins)
            unchecked[0] = False
        return loss

    counter.run = run
    return counter


def _stateless(model, call, trainable, non_trainable, x, w):
    """``model.stateless_call`` for ``call(model, x, w)``, with its losses."""
    mapping = list(zip(model.trainable_variables, trainable))
    mapping += zip(model.non_trainable_variables, non_trainable)
    with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
        logits = call(model, x, w)
        losses = model.losses
    non_trainable = [scope.get_current_value(v) for v in model.non_trainable_variables]
    return logits, non_trainable, losses


def _jax_step(model, loss_fn, optimizer, call):
    """``step(state, x, y, w) -> (state, loss)``: one pure gradient step."""
    import jax

    def loss_of(trainable, non_trainable, x, y, w):
        if call is None:
            logits, non_trainable, losses = model.stateless_call(
                trainable, non_trainable, x, training=True, return_losses=True
            )
        else:
            logits, non_trainable, losses = _stateless(
                model, call, trainable, non_trainable, x, w
            )
        return objective(loss_fn, y, logits, w, losses), non_trainable

    gradient = jax.value_and_grad(loss_of, has_aux=True)

    def step(state, x, y, w):
        trainable, non_trainable, optimizer_vars = state
        (loss, non_trainable), grads = gradient(trainable, non_trainable, x, y, w)
        trainable, optimizer_vars = optimizer.stateless_apply(
            optimizer_vars, grads, trainable
        )
        return (trainable, non_trainable, optimizer_vars), loss

    return step


def _jax_program(step, batch_size, counter):
    """The whole epoch as one XLA program: a fori_loop over the full
    mini-batches, then the last, shorter one."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def run(state, X, Y, w, order, center, scale):
        counter.traces += 1
        n_samples = order.shape[0]
        n_full = n_samples // batch_size

        def rows(idx):  # a mini-batch, standardized
            return (X[idx] - center) / scale, Y[idx], w[idx]

        def body(i, carry):
            state, total = carry
            idx = jax.lax.dynamic_slice_in_dim(order, i * batch_size, batch_size)
            state, loss = step(state, *rows(idx))
            return state, total + loss * batch_size

        state, total = jax.lax.fori_loop(
            0, n_full, body, (state, jnp.zeros((), X.dtype))
        )
        if n_samples > n_full * batch_size:
            idx = order[n_full * batch_size :]
            state, loss = step(state, *rows(idx))
            total = total + loss * idx.shape[0]
        return state, total / n_samples

    return run


def _jax_epoch(model, loss_fn, optimizer, batch_size, call):
    optimizer.build(model.trainable_variables)
    counter = _Epoch()
    run = _jax_program(_jax_step(model, loss_fn, optimizer, call), batch_size, counter)
    groups = (
        model.trainable_variables,
        model.non_trainable_variables,
        optimizer.variables,
    )

    def epoch(X, Y, w, order, center, scale):
        state = tuple([v.value for v in group] for group in groups)
        state, loss = run(state, X, Y, w, order, center, scale)
        for group, values in zip(groups, state):
            for variable, value in zip(group, values):
                variable.assign(value)
        return float(loss)

    counter.run = epoch
    return counter


class _PerSampleLoss(keras.losses.Loss):
    def __init__(self, loss_fn, dtype):
        super().__init__(name="snn_loss", dtype=dtype)
        self.loss_fn = loss_fn

    def call(self, y_true, y_pred):
        return self.loss_fn(y_true, y_pred)


def _keras_epoch(model, loss_fn, optimizer, batch_size, call):
    # ``call`` is not used: Keras' train step calls the model itself, so
    # batch norms see no sample weights on this path (PyTorch).
    # Portable path: Keras' own compiled train step (jit-compiled on JAX),
    # called once per mini-batch.
    optimizer.build(model.trainable_variables)
    model.compile(optimizer=optimizer, loss=_PerSampleLoss(loss_fn, model.dtype))

    def step(x, y, w):
        # Keras before 3.15 returns the running mean loss since the last
        # reset, not the batch's own.
        model.reset_metrics()
        return model.train_on_batch(x, y, sample_weight=w)

    def epoch(X, Y, w, order, center, scale):
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        losses = [step((X[idx] - center) / scale, Y[idx], w[idx]) for idx in batches]
        return sum(float(b) * len(idx) for b, idx in zip(losses, batches)) / len(order)

    counter = _Epoch()
    counter.run = epoch
    return counter


def float_dtype(dtype):
    """The float dtype the backend can train in for input of ``dtype``.

    JAX computes in float32 unless the user enabled ``jax_enable_x64``; sksnn
    does not change that global setting.
    """
    if dtype == "float64" and backend_name() == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            return "float32"
    return dtype


_EPOCHS = {"tensorflow": _tensorflow_epoch, "jax": _jax_epoch}


def _tensorflow_loss_and_gradient(model, loss_fn):
    import tensorflow as tf

    variables = model.trainable_variables

    @tf.function(autograph=False, reduce_retracing=True)
    def value_and_grad(x, y, w):
        with tf.GradientTape() as tape:
            loss = objective(loss_fn, y, model(x, training=False), w, model.losses)
        grads = tape.gradient(loss, variables)
        return loss, [tf.convert_to_tensor(g) for g in grads]

    value_and_grad._omit_frequent_tracing_warning = True

    def run(x, y, w):
        loss, grads = value_and_grad(x, y, w)
        return float(loss), [g.numpy() for g in grads]

    return run


def _jax_loss_and_gradient(model, loss_fn):
    import jax

    # The L2 penalty from the traced kernels themselves: stateless_call's
    # losses are not differentiated with respect to them.
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    penalties = [
        (index[id(layer.kernel)], layer.kernel_regularizer)
        for layer in model.layers
        if getattr(layer, "kernel_regularizer", None) is not None
    ]

    def loss_of(trainable, non_trainable, x, y, w):
        logits, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        terms = [regularizer(trainable[i]) for i, regularizer in penalties]
        return objective(loss_fn, y, logits, w, terms)

    value_and_grad = jax.jit(jax.value_and_grad(loss_of))

    def run(x, y, w):
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        loss, grads = value_and_grad(trainable, non_trainable, x, y, w)
        return float(loss), [np.asarray(g) for g in grads]

    return run


def _torch_loss_and_gradient(model, loss_fn):
    variables = model.trainable_variables

    def run(x, y, w):
        for variable in variables:
            variable.value.grad = None
        x, y, w = (ops.convert_to_tensor(a, model.dtype) for a in (x, y, w))
        loss = objective(loss_fn, y, model(x, training=False), w, model.losses)
        loss.backward()
        grads = [ops.convert_to_numpy(v.value.grad) for v in variables]
        return float(ops.convert_to_numpy(loss)), grads

    return run


def make_loss_and_gradient(model, loss_fn):
    """Return ``f(x, Y, w) -> (loss, grads)`` on the model's current weights.

    The loss is the mean weighted loss of the rows plus the L2 penalty, with
    the network in inference mode (no dropout); ``grads`` are numpy arrays,
    one per trainable variable of ``model``, in its order. The full-batch
    objective of ``solver='lbfgs'``.
    """
    make = {
        "tensorflow": _tensorflow_loss_and_gradient,
        "jax": _jax_loss_and_gradient,
        "torch": _torch_loss_and_gradient,
    }[backend_name()]
    return make(model, loss_fn)


def _plain_call(model, x, w):
    return model(x, training=True)


def make_epoch(model, loss_fn, optimizer, batch_size, call=None):
    """Return ``epoch(X, Y, w, order, center, scale) -> loss``: one pass.

    Parameters
    ----------
    model : keras.Model
        The network; it outputs logits.
    loss_fn : callable
        ``loss_fn(y, logits)`` returns one loss per sample.
    optimizer : keras.optimizers.Optimizer
        A new optimizer; it is built here.
    batch_size : int
        Rows per gradient step.
    call : callable, default=None
        ``call(model, x, w)`` returns the training-mode logits of a
        mini-batch ``x`` of weights ``w``; None calls ``model(x,
        training=True)``.

    Returns
    -------
    epoch : callable
        ``epoch(X, Y, w, order, center, scale)`` takes the training arrays,
        the order of their rows and X's standardization, takes one step per
        ``batch_size`` rows of that order on ``(X[rows] - center) / scale``,
        updating the model in place, and returns the mean weighted loss of
        the steps (a float).
        Its ``traces`` attribute counts how often it was traced (compiled).
    """
    make = _EPOCHS.get(backend_name(), _keras_epoch)
    if call is None and make is _tensorflow_epoch:
        call = _plain_call
    return make(model, loss_fn, optimizer, batch_size, call)
