"""BaseSNN: parameters, validation and the training loop shared by both estimators."""

import warnings
from abc import ABCMeta, abstractmethod
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from sksnn import _random
from sksnn._forward import ACTIVATIONS, forward

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
        "standardize": ["boolean"],
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
        batch_size,
        max_iter,
        tol,
        n_iter_no_change,
        standardize,
        random_state,
        verbose,
        device,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.standardize = standardize
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # -- what the subclasses provide -------------------------------------

    @abstractmethod
    def _validate_targets(self, X, y, sample_weight):
        """Validate y, set the target's fitted attributes, return (X, Y, w).

        ``Y`` is the 2-D float target the network is trained on.
        """

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
        hidden = self._check_hidden_layer_sizes()
        X, y = validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=not self._is_classifier(),
        )
        sample_weight = self._check_weights(sample_weight, X)
        X, Y, sample_weight = self._validate_targets(X, y, sample_weight)
        self.scaler_ = self._fit_scaler(X, sample_weight)
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(hidden) + 2
        self._train(self._scale(X), Y.astype(X.dtype), sample_weight, hidden)
        return self

    def _is_classifier(self):
        return self.__sklearn_tags__().estimator_type == "classifier"

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

    def _check_weights(self, sample_weight, X):
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        total = sample_weight.sum()
        if not np.isfinite(total) or total <= 0:
            raise ValueError(
                "sample_weight must be finite and give at least one sample a "
                f"positive weight; got weights summing to {total}."
            )
        # Normalized to mean 1, so that weights of 2 act exactly as repeated rows.
        return sample_weight * (X.shape[0] / total)

    def _fit_scaler(self, X, sample_weight):
        if not self.standardize:
            return None
        return StandardScaler().fit(X, sample_weight=sample_weight)

    def _scale(self, X):
        if self.scaler_ is None:
            return X
        scaled = (X - self.scaler_.mean_) / self.scaler_.scale_
        return scaled.astype(X.dtype, copy=False)

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

    def _train(self, X, Y, sample_weight, hidden):
        # Keras is imported here, when a network is first needed.
        from sksnn import _backend, _network

        seed = _random.master_seed(self.random_state)
        device = _backend.device_name(self.device)
        with _backend.keras.device(device) if device else nullcontext():
            model = _network.build_network(
                X.shape[1],
                hidden,
                self.n_outputs_,
                activation=self.activation,
                kernel_initializer=self.kernel_initializer,
                seeds=_random.stream_seeds(seed, _random.INIT_STREAM, len(hidden) + 1),
                dtype=X.dtype.name,
            )
            step = _backend.make_train_step(
                model,
                _network.LOSSES[self.out_activation_],
                _network.make_optimizer(self.solver, self.learning_rate_init),
            )
            self._run_epochs(
                step,
                X,
                Y,
                sample_weight,
                _random.stream_rng(seed, _random.SHUFFLE_STREAM),
            )
        self.coefs_, self.intercepts_ = _network.get_weights(model)
        self._model = model
        if not all(np.isfinite(w).all() for w in self.coefs_ + self.intercepts_):
            raise ValueError(
                "Training diverged: the network's weights are no longer finite. "
                "Lower learning_rate_init, use solver='nadam' or 'adam', or keep "
                "kernel_initializer='lecun_normal' with standardize=True."
            )

    def _run_epochs(self, step, X, Y, sample_weight, rng):
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.n_iter_ = 0
        no_improvement = 0
        for _ in range(self.max_iter):
            order = rng.permutation(n_samples)
            batches = [
                order[start : start + batch_size]
                for start in range(0, n_samples, batch_size)
            ]
            losses = [step(X[idx], Y[idx], sample_weight[idx]) for idx in batches]
            loss = sum(float(b) * len(idx) for b, idx in zip(losses, batches))
            loss /= n_samples
            self.n_iter_ += 1
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            if not np.isfinite(loss):
                break
            if loss > self.best_loss_ - self.tol:
                no_improvement += 1
            else:
                no_improvement = 0
            self.best_loss_ = min(self.best_loss_, loss)
            if no_improvement >= self.n_iter_no_change:
                if self.verbose:
                    print(
                        f"Training loss did not improve more than tol={self.tol} "
                        f"for {self.n_iter_no_change} consecutive epochs. Stopping."
                    )
                return
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    # -- predict -----------------------------------------------------------

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        dtype = self.coefs_[0].dtype
        return forward(
            self._scale(X).astype(dtype, copy=False),
            self.coefs_,
            self.intercepts_,
            self.activation,
        )

    # -- the Keras model and persistence ------------------------------------

    @property
    def model_(self):
        """The trained Keras model (rebuilt from the weights after unpickling)."""
        check_is_fitted(self)
        if getattr(self, "_model", None) is None:
            self._model = self._rebuild_model()
        return self._model

    def _rebuild_model(self):
        from sksnn import _network

        model = _network.build_network(
            self.coefs_[0].shape[0],
            [coef.shape[1] for coef in self.coefs_[:-1]],
            self.n_outputs_,
            activation=self.activation,
            kernel_initializer=self.kernel_initializer,
            seeds=[0] * len(self.coefs_),
            dtype=self.coefs_[0].dtype.name,
        )
        _network.set_weights(model, self.coefs_, self.intercepts_)
        return model

    def __getstate__(self):
        # The weights already live in coefs_ / intercepts_: pickles hold no
        # Keras object, so they load on any backend, GPU or not.
        state = super().__getstate__()
        state.pop("_model", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
