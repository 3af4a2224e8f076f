"""BaseSNN: parameters, validation and the training loop of both estimators."""

import math
import threading
import warnings
from abc import ABCMeta, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import cache
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from sksnn import _engine, _random
from sksnn._forward import (
    ACTIVATIONS,
    alpha_dropout_scale,
    batch_norm_statistics,
    forward,
)

INITIALIZER_NAMES = {
    "lecun_normal",
    "lecun_uniform",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "normal",
}
SOLVER_NAMES = {"nadam", "adam", "sgd", "rmsprop"}
MIN_ADAPTIVE_LEARNING_RATE = 1e-6  # MLP's floor for learning_rate='adaptive'
PREDICT_CHUNK_ROWS = 2048


_DIVERGENCE_FIX = (
    "Lower learning_rate_init, set clipnorm or clipvalue, use solver='nadam' or "
    "'adam', or keep kernel_initializer='lecun_normal' with standardize=True."
)


class DivergenceWarning(ConvergenceWarning):
    """Warning used when the training loss stops being finite.

    Training stops at once and the estimator keeps the weights of the last
    epoch whose loss was finite.
    """


class _Data(NamedTuple):
    """Rows the network trains or is validated on."""

    X: np.ndarray  # as given (validation) or standardized (training)
    y: np.ndarray  # as given, for scoring
    Y: np.ndarray  # 2-D float target of the network
    w: np.ndarray  # sample weights


class BaseSNN(BaseEstimator, metaclass=ABCMeta):
    """Shared base of SNNClassifier and SNNRegressor.

    Warning: This class should not be used directly. Use the derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "kernel_initializer": [StrOptions(INITIALIZER_NAMES)],
        "solver": [StrOptions(SOLVER_NAMES)],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [StrOptions({"constant", "adaptive"})],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "clipnorm": [None, Interval(Real, 0, None, closed="neither")],
        "clipvalue": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "standardize": ["boolean"],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [StrOptions({"auto", "cpu", "gpu"})],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        *,
        activation,
        kernel_initializer,
        solver,
        learning_rate_init,
        learning_rate,
        batch_size,
        max_iter,
        tol,
        n_iter_no_change,
        alpha,
        dropout,
        batch_norm,
        clipnorm,
        clipvalue,
        early_stopping,
        validation_fraction,
        standardize,
        warm_start,
        random_state,
        verbose,
        device,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # -- what the subclasses provide -------------------------------------

    @abstractmethod
    def _encode_targets(self, y, sample_weight, *, fresh, incremental, classes):
        """Validate y; return the 2-D float target and the sample weights.

        On a fresh fit, also set the target's fitted attributes
        (``n_outputs_``, ``out_activation_``, ...).
        """

    def _stratify_labels(self, y):
        """Labels to stratify the validation split on, or None."""
        return None

    # -- fit ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data X and target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples; ``None`` weighs them equally.
            A weight of 2 counts a sample as if it were repeated.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit_available(self):
        # partial_fit is hidden (an AttributeError, as MLP does for lbfgs)
        # rather than failing, so that tools probing for it skip it.
        if self.early_stopping:
            raise AttributeError(
                "partial_fit is not available with early_stopping=True: it trains "
                "one epoch per call. Set early_stopping=False, or call fit."
            )
        return True

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        fresh = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        hidden = self._check_hidden_layer_sizes()
        X, y = _validate(
            self,
            X,
            y,
            reset=fresh,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=not is_classifier(self),
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        from sksnn import _backend

        X = X.astype(_backend.float_dtype(X.dtype.name), copy=False)
        weights = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        Y, weights = self._encode_targets(
            y, weights, fresh=fresh, incremental=incremental, classes=classes
        )
        seed = _random.master_seed(self.random_state)
        train, val = self._split(_Data(X, y, Y.astype(X.dtype), weights), seed)
        if fresh:
            self._initialize(train, hidden)
        # Plain arrays: a memmap (joblib's way of sharing large data with its
        # workers) would make tf.function retrace on every batch. X stays
        # unscaled: the epoch standardizes each mini-batch as it takes it,
        # which saves a scaled copy of X per call (4 ms, 4% of an epoch of
        # partial_fit on MNIST-5k at batch size 256).
        train = train._replace(
            X=np.asarray(train.X),
            Y=np.asarray(train.Y),
            w=np.asarray(_normalized(train.w)),
        )
        if not incremental:
            self._start_run()
        device = _device_scope(self.device)
        with device:
            trainer = self._get_trainer(hidden, fresh, incremental, train, seed)
            self._run_epochs(trainer, train, val, seed, incremental, fresh)
        return self

    def _check_hidden_layer_sizes(self):
        hidden = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if (
            hidden.ndim != 1
            or hidden.size == 0
            or not np.issubdtype(hidden.dtype, np.integer)
            or np.any(hidden < 1)
        ):
            raise ValueError(
                "hidden_layer_sizes must be a positive int or a non-empty sequence "
                f"of positive ints, e.g. (100, 100); got {self.hidden_layer_sizes!r}."
            )
        return [int(width) for width in hidden]

    def _split(self, data, seed):
        """Hold out ``validation_fraction`` of the rows when early stopping."""
        if not self.early_stopping:
            return data, None
        n_samples = data.X.shape[0]
        stratify = self._stratify_labels(data.y)
        n_val = self._validation_size(n_samples, stratify)
        if not 0 < n_val < n_samples:
            raise ValueError(
                f"early_stopping=True cannot hold out validation_fraction="
                f"{self.validation_fraction} of n_samples={n_samples}: it needs "
                f"{n_val} validation samples and at least 1 training sample. "
                "Change validation_fraction, pass more samples, or set "
                "early_stopping=False."
            )
        train, val = train_test_split(
            np.arange(n_samples),
            test_size=n_val,
            stratify=stratify,
            random_state=_random.stream_seeds(seed, _random.VALIDATION_STREAM, 1)[0],
        )
        return _Data(*(a[train] for a in data)), _Data(*(a[val] for a in data))

    def _validation_size(self, n_samples, stratify):
        """Samples to hold out: the fraction, but enough to score on."""
        n_val = int(np.ceil(self.validation_fraction * n_samples))
        # One per class to stratify; two for R^2, undefined on one sample.
        needed = 2 if stratify is None else len(np.unique(stratify))
        if n_val < needed:
            warnings.warn(
                f"validation_fraction={self.validation_fraction} of n_samples="
                f"{n_samples} gives {n_val} validation samples, fewer than the "
                f"{needed} needed to score on; holding out {needed}.",
                UserWarning,
            )
        return max(n_val, needed)

    def _initialize(self, train, hidden):
        self.scaler_ = (
            _checked_scaler(train.X, train.w, "X") if self.standardize else None
        )
        self.n_layers_ = len(hidden) + 2
        self._hidden_scale = (
            alpha_dropout_scale(self.dropout)
            if self.activation == "selu" and self.dropout > 0
            else 1.0
        )
        self.n_iter_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._start_run()

    def _start_run(self):
        # What each call of fit starts afresh, warm-started or not.
        self._learning_rate = self.learning_rate_init
        self._no_improvement_count = 0
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_score_ = -np.inf if self.early_stopping else None

    def _scale(self, X):
        if self.scaler_ is None:
            return X
        center, scale = self._standardization(X.dtype)
        scaled = np.subtract(X, center)  # (X - center) / scale, one new array
        scaled /= scale
        return scaled

    def _standardization(self, dtype):
        """``(center, scale)`` that standardize X, in ``dtype``.

        In X's dtype: float32 input is scaled in float32, without a float64
        copy of it.
        """
        if self.scaler_ is None:
            n_features = self.n_features_in_
            return np.zeros(n_features, dtype), np.ones(n_features, dtype)
        return (
            self.scaler_.mean_.astype(dtype, copy=False),
            self.scaler_.scale_.astype(dtype, copy=False),
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the number of "
                f"samples ({n_samples}); it is clipped to {n_samples}.",
                UserWarning,
            )
        return min(self.batch_size, n_samples)

    # -- the Keras network ---------------------------------------------------

    def _get_trainer(self, hidden, fresh, incremental, train, seed):
        """The network and its epoch: continued, reused from the pool, or built.

        partial_fit continues the estimator's own network and optimizer. Any
        other fit starts from the state a newly built network and optimizer
        would have, in an engine of the same shapes when one exists (this
        estimator's own, or an idle one from ``_engine.POOL``), which saves
        building and tracing.
        """
        engine = getattr(self, "_trainer", None)
        if incremental and not fresh and engine is not None:
            return engine
        from sksnn import _network

        if not fresh:
            self._check_warm_start(hidden)
        batch_size = self._batch_size(train.X.shape[0])
        dtype = train.X.dtype.name
        key = self._engine_key(hidden, dtype, batch_size)
        if engine is None or engine.key != key:
            if engine is not None:
                engine.release()
            engine = _engine.POOL.take(key)
            if engine is None:
                engine = self._new_engine(key, hidden, dtype, batch_size, seed)
            engine.attach(self, _engine.POOL)
        if engine.fits:
            _network.initialize(
                engine.model,
                self.kernel_initializer,
                _random.stream_seeds(seed, _random.INIT_STREAM, len(hidden) + 1),
                _random.stream_seeds(seed, _random.DROPOUT_STREAM, len(hidden)),
            )
            _network.restore_optimizer(
                engine.optimizer, engine.optimizer_state, self._learning_rate
            )
        engine.fits += 1
        if not fresh:
            _network.set_weights(
                engine.model, self.coefs_, self.intercepts_, self._batch_norms
            )
        self._model = engine.model
        self._trainer = engine
        return engine

    def _engine_key(self, hidden, dtype, batch_size):
        # Everything the built network and its traced epoch depend on; the
        # initializer and the seeds only set initial values.
        from sksnn import _backend

        return (
            _backend.backend_name(),
            dtype,
            self.n_features_in_,
            tuple(hidden),
            self.n_outputs_,
            self.out_activation_,
            self.activation,
            self.dropout,
            self.batch_norm,
            0.5 * self.alpha / batch_size,
            self.solver,
            self.clipnorm,
            self.clipvalue,
            batch_size,
            self.device,
        )

    def _new_engine(self, key, hidden, dtype, batch_size, seed):
        from sksnn import _backend, _network

        model = self._build(hidden, dtype, batch_size, seed)
        optimizer = _network.make_optimizer(
            self.solver,
            self._learning_rate,
            clipnorm=self.clipnorm,
            clipvalue=self.clipvalue,
        )
        epoch = _backend.make_epoch(
            model, _network.LOSSES[self.out_activation_], optimizer, batch_size
        )
        state = _network.optimizer_state(optimizer)
        return _engine.Engine(key, model, optimizer, epoch, state)

    def _build(self, hidden, dtype, batch_size, seed):
        from sksnn import _network

        return _network.build_network(
            self.n_features_in_,
            hidden,
            self.n_outputs_,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            seeds=_random.stream_seeds(seed, _random.INIT_STREAM, len(hidden) + 1),
            dtype=dtype,
            dropout=self.dropout,
            dropout_seeds=_random.stream_seeds(
                seed, _random.DROPOUT_STREAM, len(hidden)
            ),
            batch_norm=self.batch_norm,
            # MLP's penalty: alpha / 2 * ||W||^2 per mini-batch of its size.
            l2=0.5 * self.alpha / batch_size,
        )

    def _check_warm_start(self, hidden):
        fitted = [coef.shape[1] for coef in self.coefs_[:-1]]
        if fitted != hidden or bool(self._batch_norms) != self.batch_norm:
            raise ValueError(
                "warm_start=True and partial_fit continue the fitted network, "
                f"which has hidden_layer_sizes={tuple(fitted)} and batch_norm="
                f"{bool(self._batch_norms)}; got hidden_layer_sizes="
                f"{tuple(hidden)} and batch_norm={self.batch_norm}. Set "
                "warm_start=False to train a new network."
            )

    # -- the epochs --------------------------------------------------------

    def _run_epochs(self, trainer, train, val, seed, incremental, fresh):
        rng = _random.stream_rng(seed, _random.SHUFFLE_STREAM, self.n_iter_)
        if fresh:  # else coefs_ already hold the network's weights
            self._sync_weights(trainer.model)  # what a failed epoch falls back to
        self._previous_weights = None
        try:
            standardization = self._standardization(train.X.dtype)
            for _ in range(1 if incremental else self.max_iter):
                if self._train_one_epoch(trainer, train, val, rng, standardization):
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            self._restore_last_epoch(trainer.model)
            warnings.warn(
                f"Training was interrupted during epoch {self.n_iter_ + 1}; the "
                f"estimator keeps the weights of epoch {self.n_iter_}, the last "
                "completed one, and can predict. Call fit again to restart, or "
                "set warm_start=True to continue.",
                UserWarning,
            )
        self._keep_weights(trainer.model, train, val)

    def _train_one_epoch(self, trainer, train, val, rng, standardization):
        """Train one epoch and record it; return True when training must stop."""
        order = rng.permutation(train.X.shape[0])
        loss = trainer.epoch(train.X, train.Y, train.w, order, *standardization)
        if self.dropout > 0:
            # Dropout makes the batch losses too noisy to stop on.
            loss = self._loss_without_dropout(trainer.model, train)
        self.n_iter_ += 1
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        if not np.isfinite(loss):
            kept = self._fall_back(trainer.model, train)
            warnings.warn(
                f"Training diverged at epoch {self.n_iter_}: the loss became "
                f"{loss}. Training stopped, and the estimator keeps the weights "
                f"{kept}, the last whose outputs are finite. {_DIVERGENCE_FIX}",
                DivergenceWarning,
            )
            return True
        self._previous_weights = self._weights()
        self._sync_weights(trainer.model)
        self._update_no_improvement_count(val)
        if self._no_improvement_count > self.n_iter_no_change:
            if self._stop_or_slow_down(trainer.optimizer):
                return True
            self._no_improvement_count = 0
        return False

    def _weights(self):
        return self.coefs_, self.intercepts_, self._batch_norms

    def _fall_back(self, model, train):
        """After a non-finite loss, keep the newest weights with finite outputs.

        The weights after the last finite epoch can already be too large (its
        loss was measured before its updates), so the epoch before is tried
        next; returns which weights were kept, in words.
        """
        candidates = [(self.n_iter_ - 1, self._weights())]
        if getattr(self, "_previous_weights", None) is not None:
            candidates.append((self.n_iter_ - 2, self._previous_weights))
        for epoch, weights in candidates:
            with np.errstate(over="ignore", invalid="ignore"):
                logits = forward(
                    self._scale(train.X),
                    *weights[:2],
                    self.activation,
                    weights[2],
                    self._hidden_scale,
                )
            if np.isfinite(logits).all():
                self.coefs_, self.intercepts_, self._batch_norms = weights
                self._restore_last_epoch(model)
                return f"of epoch {epoch}" if epoch else "it started with"
        raise ValueError(
            f"Training diverged at epoch {self.n_iter_}, and no weights of the "
            f"last two epochs give finite outputs. {_DIVERGENCE_FIX}"
        )

    def _restore_last_epoch(self, model):
        from sksnn import _network

        _network.set_weights(model, self.coefs_, self.intercepts_, self._batch_norms)

    def _loss_without_dropout(self, model, train):
        from sksnn import _backend, _network

        ops = _backend.ops
        logits = model(self._scale(train.X), training=False)
        Y, w = ops.convert_to_tensor(train.Y), ops.convert_to_tensor(train.w)
        loss = ops.mean(w * _network.LOSSES[self.out_activation_](Y, logits))
        return float(loss + sum(model.losses))

    def _update_no_improvement_count(self, val):
        # MLP's rule, on the validation score when early stopping, else on
        # the training loss.
        if val is None:
            last, best, sign = self.loss_curve_[-1], self.best_loss_, -1
        else:
            last = self.score(val.X, val.y, sample_weight=val.w)
            self.validation_scores_.append(float(last))
            best, sign = self.best_validation_score_, 1
        if sign * last < sign * best + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
        if val is None:
            return
        self.best_validation_score_ = max(self.best_validation_score_, float(last))
        # Differences below tol do not count as improvements for stopping, so
        # they do not count for keeping either: of the epochs within tol of
        # the best score, the latest (longest trained) is kept.
        if last >= self.best_validation_score_ - self.tol:
            self._best_weights = self._weights()

    def _stop_or_slow_down(self, optimizer):
        what = (
            "Training loss" if self.validation_scores_ is None else "Validation score"
        )
        if self.learning_rate == "adaptive" and (
            self._learning_rate > MIN_ADAPTIVE_LEARNING_RATE
        ):
            self._learning_rate /= 5.0
            optimizer.learning_rate = self._learning_rate
            if self.verbose:
                print(f"Setting learning rate to {self._learning_rate:f}")
            return False
        if self.verbose:
            print(
                f"{what} did not improve more than tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs. Stopping."
            )
        return True

    def _sync_weights(self, model):
        from sksnn import _network

        self.coefs_, self.intercepts_, self._batch_norms = _network.get_weights(model)

    def _keep_weights(self, model, train, val):
        """Copy the trained weights out; restore the best ones when early stopping."""
        from sksnn import _network

        # coefs_ hold the network's weights after each epoch (and after a
        # fall-back or an interrupt); early stopping may pick others.
        if val is not None and getattr(self, "_best_weights", None) is not None:
            _network.set_weights(model, *self._best_weights)
            self.coefs_, self.intercepts_, self._batch_norms = self._best_weights
            del self._best_weights
        if self._batch_norms:
            self._batch_norms = batch_norm_statistics(
                self._scale(train.X),
                self.coefs_,
                self.intercepts_,
                self.activation,
                self._batch_norms,
                self._hidden_scale,
            )
            _network.set_weights(
                model, self.coefs_, self.intercepts_, self._batch_norms
            )
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError(
                f"Training diverged: the network's weights are no longer finite. "
                f"{_DIVERGENCE_FIX}"
            )

    # -- predict -----------------------------------------------------------

    def _logits(self, X):
        check_is_fitted(self, "coefs_")
        if not self._is_plain_input(X):
            X = _validate(self, X, dtype=[np.float64, np.float32], reset=False)
        X = X.astype(self.coefs_[0].dtype, copy=False)
        weights = (self.coefs_, self.intercepts_, self.activation, self._batch_norms)
        logits = np.empty((X.shape[0], self.coefs_[-1].shape[1]), X.dtype)
        threads, size = _chunking(X.shape[0])

        def fill(start):
            # Row chunks keep each layer's activations in the CPU cache.
            rows = slice(start, start + size)
            with np.errstate(over="ignore", invalid="ignore"):  # per thread
                logits[rows] = forward(
                    self._scale(X[rows]), *weights, self._hidden_scale
                )

        starts = range(0, X.shape[0], size)
        if threads == 1:
            for start in starts:
                fill(start)
        else:
            # One chunk per thread, each with a single-threaded BLAS, as
            # scikit-learn's KMeans does: numpy's elementwise passes, most of
            # a SELU layer's cost, then run on every core instead of one
            # (the forward pass of 100,000 rows of 20 x 100 on 2 cores: 190k
            # to 286k rows/s).
            # The limit is process-wide: concurrent predicts take turns, so
            # that each restores the thread count it found.
            with (
                _PREDICT_THREADS_LOCK,
                _blas().limit(limits=1),
                ThreadPoolExecutor(threads) as pool,
            ):
                list(pool.map(fill, starts))
        if not np.isfinite(logits).all():
            bad = ~np.isfinite(logits).all(axis=1)
            raise ValueError(
                f"The network's output is not finite for {bad.sum()} of "
                f"{len(bad)} rows (the first is row {np.flatnonzero(bad)[0]}): "
                "their features are too far outside the range seen in fit for "
                "the network's arithmetic. Check those rows for extreme values."
            )
        return logits

    def _is_plain_input(self, X):
        """Whether X passes validate_data unchanged, checked directly.

        For a finite 2-D float ndarray of the fitted width, and an estimator
        fitted without feature names, validate_data returns X itself; its
        generic checks (DataFrame detection, dtype lists) cost about 65 us, more
        than the forward pass of a small network on one row. Anything else
        goes through validate_data and gets its errors and warnings.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype.type in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            # scikit-learn's own first test: a finite sum means finite values
            and bool(np.isfinite(X.sum()))
        )

    # -- the Keras model and persistence ------------------------------------

    @property
    def model_(self):
        """The trained Keras model (rebuilt from the weights after unpickling)."""
        check_is_fitted(self)
        engine = getattr(self, "_trainer", None)
        if engine is not None:
            engine.keep()  # the user holds the model: no other fit may reuse it
        if getattr(self, "_model", None) is None:
            from sksnn import _network

            hidden = [coef.shape[1] for coef in self.coefs_[:-1]]
            self._model = self._build(hidden, self.coefs_[0].dtype.name, 1, 0)
            _network.set_weights(
                self._model, self.coefs_, self.intercepts_, self._batch_norms
            )
        return self._model

    def save(self, path):
        """Save the fitted estimator to a file, without pickle.

        The file holds the parameters and fitted scalars as JSON and the
        weights and scaler statistics as numeric arrays, plus the versions of
        sksnn, Keras and scikit-learn. Read it back with :func:`sksnn.load`,
        which executes nothing from the file.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (a zip archive; ``.sksnn`` is a good
            extension).
        """
        from sksnn._persistence import save

        save(self, path)

    def __getstate__(self):
        # The weights already live in coefs_ / intercepts_: pickles hold no
        # Keras object, so they load on any backend, GPU or not.
        state = super().__getstate__()
        state.pop("_model", None)
        state.pop("_trainer", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


_PREDICT_THREADS_LOCK = threading.Lock()


@cache
def _blas():
    # Found once: scanning the loaded libraries takes 2 ms with TensorFlow.
    return ThreadpoolController().select(user_api="blas")


def _chunking(n_rows):
    """``(threads, rows per chunk)`` to predict ``n_rows`` rows with.

    Chunks of at most PREDICT_CHUNK_ROWS rows, in a multiple of the thread
    count and of equal size, so that no thread waits for another. The
    threads are BLAS's own count, which follows the cores this process may
    use and the user's limits (OMP_NUM_THREADS, threadpoolctl; joblib's
    workers set them): predicting takes no more cores than a matrix product.
    """
    n_chunks = math.ceil(n_rows / PREDICT_CHUNK_ROWS)
    threads = 1
    if n_chunks > 1:
        budget = [library.num_threads for library in _blas().lib_controllers]
        threads = max(1, min(min(budget, default=1), n_chunks))
        n_chunks = math.ceil(n_chunks / threads) * threads
    return threads, math.ceil(n_rows / n_chunks)


def _normalized(sample_weight):
    """Scale the weights to mean 1, so that a weight of 2 acts as a repeated row."""
    total = sample_weight.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError(
            "sample_weight must be finite and give at least one training sample "
            f"a positive weight; got weights summing to {total}."
        )
    return sample_weight * (sample_weight.shape[0] / total)


def _device_scope(device):
    from sksnn import _backend

    name = _backend.device_name(device)
    return _backend.keras.device(name) if name else nullcontext()


def _checked_scaler(X, sample_weight, name):
    """Fit a StandardScaler; refuse values too large to standardize."""
    if (sample_weight == sample_weight[0]).all():
        # Equal weights give the unweighted statistics, which StandardScaler
        # computes 2-5 times faster (0.12 s to 0.03 s for MNIST-5k, first fit).
        sample_weight = None
    scaler = StandardScaler().fit(X, sample_weight=sample_weight)
    if not (np.isfinite(scaler.mean_).all() and np.isfinite(scaler.scale_).all()):
        raise ValueError(
            f"{name} holds values too large to standardize in {X.dtype} (largest "
            f"magnitude {np.abs(X).max():.3g}): their variance overflows. Rescale "
            f"{name}, e.g. divide it by a power of ten, or use float64."
        )
    return scaler


def _validate(estimator, *args, **kwargs):
    """validate_data, with a fix in the message when values are not numbers."""
    try:
        return validate_data(estimator, *args, **kwargs)
    except (OverflowError, ValueError) as error:
        if isinstance(error, ValueError) and "could not convert" not in str(error):
            raise
        raise ValueError(
            f"The input holds values that are not usable numbers ({error}). "
            "Encode categorical or text columns first, e.g. with OneHotEncoder "
            "in a Pipeline, and rescale values beyond float64's range."
        ) from None
