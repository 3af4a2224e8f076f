"""One training run: a call of fit or partial_fit, epochs to kept weights.

The estimator keeps fitted attributes only (``coefs_``, ``loss_curve_``,
...). What lives for one call lives here: the engine borrowed from the pool,
the step size of ``learning_rate='adaptive'``, the count of epochs without
improvement, the weights of the epoch before the last (the divergence
fall-back) and the best weights of early stopping.
"""

import warnings
from enum import Enum

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sksnn import _data, _engine, _random
from sksnn._forward import (
    batch_norm_statistics,
    forward,
    network_input,
    standardize,
)
from sksnn._progress import Progress

MIN_ADAPTIVE_LEARNING_RATE = 1e-6  # MLP's floor for learning_rate='adaptive'

DIVERGENCE_FIX = (
    "Lower learning_rate_init, set clipnorm or clipvalue, use solver='nadam' or "
    "'adam', or keep kernel_initializer='lecun_normal' with standardize=True."
)

# Parameters that define the fitted network: warm_start and partial_fit,
# which continue it, cannot change them.
NETWORK_PARAMETERS = (
    "hidden_layer_sizes",
    "activation",
    "batch_norm",
    "standardize",
    "input_clip",
    "numeric_embedding",
    "categorical_features",
    "max_onehot_levels",
    "embedding_dim",
    "n_ensembles",
)
# partial_fit continues the solver's state as well, which these shape.
SOLVER_PARAMETERS = (
    "dropout",
    "solver",
    "clipnorm",
    "clipvalue",
    "momentum",
    "nesterovs_momentum",
    "beta_1",
    "beta_2",
    "epsilon",
)


# learning_rate's schedules: the factor on learning_rate_init at the share t
# of max_iter done (see the parameter).
SCHEDULES = {
    "cosine": lambda t: 0.5 * (1 + np.cos(np.pi * t)),
    "coslog4": lambda t: 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t))),
}
# The share of max_iter over which a schedule first rises to its peak.
# Training does not stop during it (its first, small steps say little about a
# plateau), but its epochs count in _no_improvement_count, as MLP's do.
WARM_UP = {"coslog4": (np.sqrt(2) - 1) / 15}


class DivergenceWarning(ConvergenceWarning):
    """Warning used when the training loss stops being finite.

    Training stops at once and the estimator keeps the weights of the last
    epoch whose loss was finite.
    """


class Mode(Enum):
    """What a call of fit or partial_fit starts from."""

    FIT = "fit"  # new weights, new solver state
    WARM_START = "warm_start"  # fit on the fitted weights, new solver state
    FIRST_PARTIAL_FIT = "first partial_fit"  # new weights, one epoch
    PARTIAL_FIT = "partial_fit"  # the fitted weights and solver state

    @classmethod
    def of(cls, estimator, *, incremental):
        """The mode of a call of ``fit`` (or, if incremental, ``partial_fit``)."""
        fitted = hasattr(estimator, "coefs_")
        if incremental:
            return cls.PARTIAL_FIT if fitted else cls.FIRST_PARTIAL_FIT
        return cls.WARM_START if fitted and estimator.warm_start else cls.FIT

    @property
    def fresh(self):
        """Whether the call starts from new weights."""
        return self in (Mode.FIT, Mode.FIRST_PARTIAL_FIT)

    @property
    def incremental(self):
        """Whether the call trains one epoch (partial_fit)."""
        return self in (Mode.FIRST_PARTIAL_FIT, Mode.PARTIAL_FIT)


def network_parameters(estimator, hidden):
    """The parameters that a continued call must find unchanged."""
    params = {name: getattr(estimator, name) for name in NETWORK_PARAMETERS}
    params["hidden_layer_sizes"] = tuple(hidden)
    features = params["categorical_features"]
    if not (features is None or isinstance(features, str)):
        # Compared with != when continued: a tuple, not an array.
        params["categorical_features"] = tuple(np.asarray(features).tolist())
    params["n_ensembles"] = _data.n_members(estimator)
    # Resolved: what the network was fitted with ('auto' follows the solver).
    params["input_scale"], params["numeric_embedding"] = _data.input_levers(estimator)
    params.update((name, getattr(estimator, name)) for name in SOLVER_PARAMETERS)
    return params


def check_continued(estimator, mode, params):
    """Refuse a warm start or partial_fit that changed the network's parameters."""
    names = NETWORK_PARAMETERS
    if mode is Mode.PARTIAL_FIT:
        names += SOLVER_PARAMETERS
    # numeric_embedding='auto' follows the solver: a changed solver is named.
    names = sorted(names, key=lambda name: name == "numeric_embedding")
    fitted = estimator._network_params
    for name in names:
        if params[name] != fitted[name]:
            what = (
                "partial_fit continues the fitted network and its solver state"
                if mode is Mode.PARTIAL_FIT
                else "warm_start=True continues the fitted network"
            )
            raise ValueError(
                f"{name}={params[name]!r} differs from the {fitted[name]!r} the "
                f"network was fitted with, and {what}. Set {name}={fitted[name]!r} "
                "again, or fit a new network with warm_start=False (fit) or a "
                "new estimator (partial_fit)."
            )


class TrainingRun:
    """One call of fit or partial_fit on one engine.

    It writes the estimator's fitted attributes as it goes (``n_iter_``,
    ``loss_curve_``, the weights after each epoch), so that an interrupted
    or diverged run leaves an estimator that predicts.

    Parameters
    ----------
    estimator : BaseSNN
        The estimator being fitted; its fitted attributes are set.
    mode : Mode
        What the call starts from.
    engine : Engine
        The network, optimizer and epoch borrowed for the call.
    train, val : Data
        Training rows, and validation rows (or None).
    seed : int
        The master seed of the call.
    """

    def __init__(self, estimator, mode, engine, train, val, seed):
        self.estimator = estimator
        self.mode = mode
        self.engine = engine
        self.train, self.val = train, val
        self.seed = seed
        self.learning_rate = float(estimator.learning_rate_init)
        self.previous = None  # the weights of the epoch before the last
        self.best = None  # the best weights of early stopping
        self.progress = None  # what the call reports (run() opens and closes it)
        center, scale, clip = estimator._standardization(train.X.dtype)
        if clip is not None:
            # The epoch standardizes each mini-batch but does not clip: the
            # training rows are scaled and clipped once here instead.
            self.train = train._replace(X=standardize(train.X, center, scale, clip))
            center, scale = np.zeros_like(center), np.ones_like(scale)
        self.standardization = center, scale

    def run(self):
        """Train, stop by the estimator's rules, and keep the chosen weights."""
        est = self.estimator
        self._load()
        # The streams of a continued call start where the last call stopped.
        rng = _random.stream_rng(self.seed, _random.SHUFFLE_STREAM, est.t_)
        if not self.mode.incremental:
            est.n_iter_ = 0  # as in MLP, n_iter_ counts the epochs of this fit
        total = 1 if self.mode.incremental else est.max_iter
        self.progress = Progress(est.verbose, total, type(est).__name__)
        try:
            if est.solver == "lbfgs":
                self._minimize()
            else:
                self._epochs(rng)
        except KeyboardInterrupt:
            self._push(est._weights())
            warnings.warn(
                f"Training was interrupted during epoch {est.n_iter_ + 1}; the "
                f"estimator keeps the weights of epoch {est.n_iter_}, the last "
                "completed one, and can predict. Call fit again to restart, or "
                "set warm_start=True to continue.",
                UserWarning,
            )
        finally:
            self.progress.close()
        if not self.mode.incremental:
            est._schedule_start = est.n_iter_  # partial_fit's plan starts here
        self._keep()

    # -- moving weights between the estimator and the engine -----------------

    def _pull(self):
        """Copy the network's weights to the estimator."""
        from sksnn import _network

        self.estimator._set_weights(_network.get_weights(self.engine.model))

    def _push(self, weights):
        """Give the network and the estimator ``weights``."""
        from sksnn import _network

        _network.set_weights(self.engine.model, weights)
        self.estimator._set_weights(weights)

    def _load(self):
        """Give the engine the state the call starts from."""
        from sksnn import _network

        est, engine = self.estimator, self.engine
        continued = est._solver_state if self.mode is Mode.PARTIAL_FIT else None
        n_hidden = len(est._network_params["hidden_layer_sizes"])
        if continued is None or engine.holds is not continued:
            if not self.mode.fresh:
                _network.set_weights(engine.model, est._weights())
            else:  # a new network too: its build drew in its own dtype
                _network.initialize(
                    engine.model,
                    est.kernel_initializer,
                    _random.init_seeds(self.seed, n_hidden, _data.n_members(est)),
                    _random.noise_seeds(self.seed, n_hidden),
                    _random.embedding_seed(self.seed, _data.n_members(est)),
                    [_random.periodic_seed(self.seed)],
                )
            if engine.optimizer is not None:  # None: L-BFGS
                state = engine.optimizer_state if continued is None else continued
                _network.restore_optimizer(engine.optimizer, state, self.learning_rate)
            if continued is not None:  # the input scale as it trained
                n_solver = len(engine.optimizer.variables)
                _network.restore_unfolded(engine.model, continued[n_solver:])
        if continued is not None and est.learning_rate == "adaptive":
            # As in MLP, partial_fit continues the step size that earlier
            # calls divided by 5 (it is one of the solver's variables).
            self.learning_rate = _network.learning_rate_of(engine.optimizer, continued)
        if not self.mode.fresh:
            # Masks from the call's own stream, whichever network it borrowed.
            rng = _random.stream_rng(self.seed, _random.DROPOUT_STREAM, est.t_)
            seeds = rng.integers(2**31 - 1, size=2 * n_hidden).tolist()
            _network.seed_dropout(engine.model, seeds)
        if engine.optimizer is not None:
            _network.set_learning_rate(engine.optimizer, self.learning_rate)
        engine.fits += 1
        engine.holds = None
        if self.mode.fresh:
            self._pull()  # what a failed first epoch falls back to

    # -- the epochs ----------------------------------------------------------

    def _epochs(self, rng):
        est = self.estimator
        for _ in range(1 if self.mode.incremental else est.max_iter):
            if self._epoch(rng):
                return
        planned = not np.isfinite(est.n_iter_no_change) or (
            est.learning_rate in SCHEDULES
        )
        if not self.mode.incremental and not (planned and self.val is not None):
            # With early stopping the best epoch is kept; when the budget was
            # the plan (no patience, or a schedule over max_iter), reaching
            # it is not a failure to converge.
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _epoch(self, rng):
        """Train one epoch and record it; return True when training must stop."""
        est, train = self.estimator, self.train
        n_rows = train.X.shape[0]
        order = rng.permutation(n_rows) if est.shuffle else np.arange(n_rows)
        rate = self._scheduled_rate()
        if rate is not None:
            from sksnn import _network

            _network.set_learning_rate(self.engine.optimizer, rate)
        loss = self.engine.epoch(
            train.X, train.Y, train.w, order, *self.standardization
        )
        loss /= _data.n_members(est)  # the members' mean (see ensemble_loss)
        est.t_ += n_rows
        if est.dropout > 0:
            # Dropout makes the batch losses too noisy to stop on.
            loss = self._loss_without_dropout()
        est.n_iter_ += 1
        est.loss_curve_.append(loss)
        est.loss_ = loss
        if not np.isfinite(loss):
            self.progress.epoch(est.n_iter_, loss)
            if self.val is not None:
                # MLP records the diverged epoch's score as nan.
                est.validation_scores_.append(float("nan"))
            self._fall_back(loss)
            return True
        self.previous = est._weights()
        self._pull()
        if self.val is not None and est._batch_norms:
            # The moving averages lag the weights by many steps when an epoch
            # has few batches; validation scores the statistics that predict
            # will use (the Keras model keeps its own for training).
            est._set_weights(self._exact_batch_norms())
        self._update_no_improvement_count()
        score = est.validation_scores_[-1] if self.val is not None else None
        self.progress.epoch(est.n_iter_, loss, score)
        if est._no_improvement_count > est.n_iter_no_change:
            if self._stop_or_slow_down():
                return True
            est._no_improvement_count = 0
        return False

    def _scheduled_rate(self):
        """The step size of this epoch under a schedule, or None."""
        est = self.estimator
        if est.learning_rate in SCHEDULES:
            done = (self._epochs_of_plan() % est.max_iter + 0.5) / est.max_iter
            return est.learning_rate_init * SCHEDULES[est.learning_rate](done)
        if est.learning_rate == "invscaling":
            # MLP's: the step size after t samples is init / (t + 1)^power_t.
            return est.learning_rate_init / (est.t_ + 1) ** est.power_t
        return None

    def _scaled(self, X):
        return standardize(X, *self.standardization)

    def _minimize(self):
        """``solver='lbfgs'``: scipy's L-BFGS-B on the full-batch loss.

        As in MLP: at most ``max_iter`` iterations and ``max_fun`` loss
        evaluations, stopping when the projected gradient falls below
        ``tol``; each iteration counts as an epoch in ``n_iter_`` and
        ``loss_curve_``. The loss and its gradient come from the backend's
        automatic differentiation of the Keras network.
        """
        import scipy.optimize

        est, train = self.estimator, self.train
        variables = self.engine.model.trainable_variables
        shapes = [tuple(v.shape) for v in variables]
        ends = np.cumsum([int(np.prod(shape)) for shape in shapes])
        dtype = train.X.dtype
        X = self._scaled(train.X)
        evaluated = {}

        def assign(theta):
            for variable, part, shape in zip(
                variables, np.split(theta, ends[:-1]), shapes
            ):
                variable.assign(part.reshape(shape).astype(dtype))

        def loss_and_gradient(theta):
            assign(theta)
            loss, grads = self.engine.epoch(X, train.Y, train.w)
            evaluated["loss"] = loss / _data.n_members(est)
            flat = np.concatenate([np.ravel(g) for g in grads]).astype(np.float64)
            if not np.isfinite(loss):
                # L-BFGS-B's line search backs off from an infinite loss.
                return np.inf, np.zeros_like(flat)
            return loss, flat

        def record(theta):
            loss = evaluated["loss"]
            est.n_iter_ += 1
            est.t_ += train.X.shape[0]
            est.loss_curve_.append(loss)
            self.progress.epoch(est.n_iter_, loss)

        theta = np.concatenate([np.ravel(v.numpy()) for v in variables]).astype(
            np.float64
        )
        with warnings.catch_warnings():
            # scipy warns of deprecated options of other versions.
            warnings.simplefilter("ignore", DeprecationWarning)
            result = scipy.optimize.minimize(
                loss_and_gradient,
                theta,
                method="L-BFGS-B",
                jac=True,
                callback=record,
                options={"maxiter": est.max_iter, "maxfun": est.max_fun,
                         "gtol": est.tol},
            )  # fmt: skip
        assign(result.x)
        est.loss_ = float(result.fun) / _data.n_members(est)
        self._pull()
        if result.status != 0:
            message = result.message
            if isinstance(message, bytes):  # scipy before 1.10
                message = message.decode("latin1")
            warnings.warn(
                f"lbfgs failed to converge after {est.n_iter_} iterations "
                f"({message}). Increase max_iter or max_fun, or scale the "
                "data.",
                ConvergenceWarning,
            )

    def _fall_back(self, loss):
        """After a non-finite loss, keep the newest weights with finite outputs.

        The weights after the last finite epoch can already be too large (its
        loss was measured before its updates), so the epoch before is tried
        next.
        """
        est = self.estimator
        candidates = [(est.n_iter_ - 1, est._weights())]
        if self.previous is not None:
            candidates.append((est.n_iter_ - 2, self.previous))
        X = self._scaled(self.train.X)
        layouts = est._embedding_layout(), est._periodic_layout()
        for epoch, weights in candidates:
            with np.errstate(over="ignore", invalid="ignore"):
                logits = forward(
                    network_input(
                        X, weights.embedding, layouts[0], weights.periodic, layouts[1]
                    ),
                    *weights[:2],
                    est.activation,
                    weights.batch_norms,
                    est._hidden_scale,
                    weights.slopes,
                )
            if np.isfinite(logits).all():
                self._push(weights)
                kept = f"of epoch {epoch}" if epoch else "it started with"
                warnings.warn(
                    f"Training diverged at epoch {est.n_iter_}: the loss became "
                    f"{loss}. Training stopped, and the estimator keeps the "
                    f"weights {kept}, the last whose outputs are finite. "
                    f"{DIVERGENCE_FIX}",
                    DivergenceWarning,
                )
                return
        raise ValueError(
            f"Training diverged at epoch {est.n_iter_}, and no weights of the "
            f"last two epochs give finite outputs. {DIVERGENCE_FIX}"
        )

    def _loss_without_dropout(self):
        from sksnn import _backend, _network

        ops, model, train = _backend.ops, self.engine.model, self.train
        est = self.estimator
        logits = model(self._scaled(train.X), training=False)
        Y, w = ops.convert_to_tensor(train.Y), ops.convert_to_tensor(train.w)
        loss_fn = _network.ensemble_loss(
            _network.LOSSES[est.out_activation_], _data.n_members(est)
        )
        loss = _backend.objective(loss_fn, Y, logits, w, model.losses)
        return float(loss) / _data.n_members(est)

    def _update_no_improvement_count(self):
        # MLP's rule, on the validation score when early stopping, else on
        # the training loss.
        est, val = self.estimator, self.val
        if val is None:
            last, sign = est.loss_curve_[-1], -1
            # None after a fit with early stopping, which partial_fit continues.
            best = np.inf if est.best_loss_ is None else est.best_loss_
        else:
            last = est._validation_score(val)
            est.validation_scores_.append(float(last))
            best, sign = est.best_validation_score_, 1
        if sign * last < sign * best + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if self._warming_up() and est._no_improvement_count > est.n_iter_no_change:
            # Training does not stop during the warm-up: the count holds at
            # the patience, and a plateau running on past the warm-up stops
            # training at its first epoch after it.
            est._no_improvement_count = int(est.n_iter_no_change)
        if val is None:
            est.best_loss_ = min(best, est.loss_curve_[-1])
            return
        est.best_validation_score_ = max(est.best_validation_score_, float(last))
        # Differences below tol do not count as improvements for stopping, so
        # they do not count for keeping either: of the epochs within tol of
        # the best score, the latest (longest trained) is kept.
        if np.isfinite(last) and last >= est.best_validation_score_ - est.tol:
            self.best = est._weights()

    def _warming_up(self):
        """Whether the epoch just done is in its schedule's warm-up: epochs
        d = 1, 2, ... of each plan of max_iter below the WARM_UP share."""
        est = self.estimator
        done = (self._epochs_of_plan() - 1) % est.max_iter + 1
        return done < WARM_UP.get(est.learning_rate, 0.0) * est.max_iter

    def _epochs_of_plan(self):
        """Epochs done since the schedule's plans started: in fit, since its
        start; in partial_fit, since the last fit ended (or the first call)."""
        return self.estimator.n_iter_ - self.estimator._schedule_start

    def _stop_or_slow_down(self):
        # MLP's rule and messages (SGDOptimizer.trigger_stopping).
        est = self.estimator
        what = "Training loss" if self.val is None else "Validation score"
        message = (
            f"{what} did not improve more than tol={est.tol:f} for "
            f"{est.n_iter_no_change} consecutive epochs."
        )
        if est.learning_rate != "adaptive":
            self.progress.message(f"{message} Stopping.")
            return True
        if self.learning_rate <= MIN_ADAPTIVE_LEARNING_RATE:
            self.progress.message(f"{message} Learning rate too small. Stopping.")
            return True
        from sksnn import _network

        self.learning_rate /= 5.0
        _network.set_learning_rate(self.engine.optimizer, self.learning_rate)
        self.progress.message(
            f"{message} Setting learning rate to {self.learning_rate:f}"
        )
        return False

    def _exact_batch_norms(self):
        """The estimator's weights, with batch statistics computed exactly on
        the training rows (see ``batch_norm_statistics``)."""
        est, train = self.estimator, self.train
        inputs = network_input(
            self._scaled(train.X),
            est._embedding,
            est._embedding_layout(),
            est._periodic,
            est._periodic_layout(),
        )
        return est._weights()._replace(
            batch_norms=batch_norm_statistics(
                inputs,
                est.coefs_,
                est.intercepts_,
                est.activation,
                est._batch_norms,
                est._hidden_scale,
                sample_weight=train.w,
                slopes=est._slopes,
            ),
        )

    # -- the end of the call ---------------------------------------------------

    def _keep(self):
        """Keep the best (early stopping) or last weights, and the solver state."""
        from sksnn import _network

        est = self.estimator
        if self.best is not None:
            self._push(self.best)
        if est._batch_norms:
            self._push(self._exact_batch_norms())
        if not all(np.isfinite(w).all() for w in est.coefs_ + est.intercepts_):
            raise ValueError(
                "Training diverged: the network's weights are no longer finite. "
                f"{DIVERGENCE_FIX}"
            )
        # Only partial_fit continues the solver's state: after fit it would
        # double the size of a pickled model for nothing.
        est._solver_state = None
        if self.mode.incremental:
            est._solver_state = _network.optimizer_state(
                self.engine.optimizer
            ) + _network.unfolded_state(self.engine.model)
            self.engine.holds = est._solver_state


def borrow_engine(estimator, hidden, dtype, batch_size, seed):
    """``with borrow_engine(...) as engine``: an engine of the right shapes."""
    key = _engine_key(estimator, hidden, dtype, batch_size)
    return _engine.POOL.borrow(
        key, lambda: _new_engine(estimator, key, hidden, dtype, batch_size, seed)
    )


def _engine_key(est, hidden, dtype, batch_size):
    # Everything the built network and its traced epoch depend on; the
    # initializer and the seeds only set initial values.
    from sksnn import _backend

    return (
        _backend.backend_name(),
        dtype,
        est._encoding.n_inputs,
        est._embedding_layout(),
        est._periodic_layout(),
        tuple(hidden),
        est.n_outputs_,
        est.out_activation_,
        est.activation,
        _data.input_levers(est),
        est.dropout,
        est.batch_norm,
        0.5 * est.alpha / batch_size,
        est.solver,
        est.clipnorm,
        est.clipvalue,
        _solver_settings(est),
        batch_size,
        _data.n_members(est),
        est.device,
    )


def _solver_settings(est):
    """``(name, value)`` of the parameters that shape ``est.solver``."""
    from sksnn import _network

    names = _network.SOLVER_SETTINGS.get(est.solver, ())  # lbfgs: none
    return tuple((name, getattr(est, name)) for name in names)


def _new_engine(est, key, hidden, dtype, batch_size, seed):
    from sksnn import _backend, _network

    model = build_model(est, est.get_params(), hidden, dtype, batch_size, seed)
    loss_fn = _network.ensemble_loss(
        _network.LOSSES[est.out_activation_], _data.n_members(est)
    )
    if est.solver == "lbfgs":
        # No Keras optimizer: scipy minimizes the full-batch loss.
        loss_and_gradient = _backend.make_loss_and_gradient(model, loss_fn)
        return _engine.Engine(key, model, None, loss_and_gradient, [])
    optimizer = _network.make_optimizer(
        est.solver,
        est.learning_rate_init,
        _solver_settings(est),
        clipnorm=est.clipnorm,
        clipvalue=est.clipvalue,
    )
    call = _network.training_call if _network.weighs_rows(model) else None
    epoch = _backend.make_epoch(model, loss_fn, optimizer, batch_size, call)
    state = _network.optimizer_state(optimizer)
    return _engine.Engine(key, model, optimizer, epoch, state)


def build_model(est, params, hidden, dtype, batch_size, seed):
    """The Keras network of ``est`` under ``params`` (its own or fitted ones)."""
    from sksnn import _network

    input_scale, numeric_embedding = _data.input_levers(params)
    return _network.build_network(
        est._encoding.n_inputs,
        hidden,
        est.n_outputs_,
        activation=params["activation"],
        kernel_initializer=est.kernel_initializer,
        seeds=_random.init_seeds(seed, len(hidden), _data.n_members(params)),
        dtype=dtype,
        dropout=params["dropout"],
        dropout_seeds=_random.noise_seeds(seed, len(hidden)),
        batch_norm=params["batch_norm"],
        # MLP's penalty: alpha / 2 * ||W||^2 per mini-batch of its size.
        l2=0.5 * est.alpha / batch_size,
        embedding=est._embedding_layout(),
        embedding_seed=_random.embedding_seed(seed, _data.n_members(params)),
        input_scale=input_scale,
        periodic=est._periodic_layout() if numeric_embedding else None,
        periodic_seeds=[_random.periodic_seed(seed)],
    )
