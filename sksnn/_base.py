"""BaseSNN: the parameters, validation and fitted state of both estimators.

A call of fit or partial_fit validates the data here and hands the epochs to
one ``_training.TrainingRun``; predict is numpy on the fitted weights
(``_predict``).
"""

import warnings
from abc import ABCMeta, abstractmethod
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
)

from sksnn import _data, _options, _persistence, _predict, _random, _training
from sksnn._forward import Weights, inference_scale, standardize
from sksnn._training import Mode


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
        "activation": [StrOptions(set(_options.ACTIVATIONS))],
        "kernel_initializer": [StrOptions(set(_options.INITIALIZERS))],
        "solver": [StrOptions(set(_options.SOLVERS))],
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
    def _encode_targets(self, y, sample_weight, *, mode, classes):
        """Validate y; return the 2-D float target and the sample weights.

        When ``mode.fresh``, also set the target's fitted attributes
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
        mode = Mode.of(self, incremental=incremental)
        hidden = _data.check_hidden_layer_sizes(self.hidden_layer_sizes)
        params = _training.network_parameters(self, hidden)
        if not mode.fresh:
            _training.check_continued(self, mode, params)
        seed = _random.master_seed(self.random_state)
        train, val = self._training_data(X, y, sample_weight, mode, classes, seed)
        if mode.fresh:
            self._initialize(train, hidden)
        if mode is not Mode.PARTIAL_FIT:
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
        self._network_params = params
        self._hidden_scale = inference_scale(self.activation, self.dropout)
        self._model = None
        batch_size = self._batch_size(train.X.shape[0])
        with (
            _device_scope(self.device),
            _training.borrow_engine(
                self, hidden, train.X.dtype.name, batch_size, seed
            ) as engine,
        ):
            _training.TrainingRun(self, mode, engine, train, val, seed).run()
        return self

    def _training_data(self, X, y, sample_weight, mode, classes, seed):
        """Validate X, y and the weights; return the training and validation rows."""
        from sksnn import _backend

        X, y = _data.validate(
            self,
            X,
            y,
            reset=mode.fresh,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=not is_classifier(self),
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        X = X.astype(_backend.float_dtype(X.dtype.name), copy=False)
        weights = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        Y, weights = self._encode_targets(y, weights, mode=mode, classes=classes)
        # Plain arrays: a memmap (joblib's way of sharing large data with its
        # workers) would make tf.function retrace on every batch. X stays
        # unscaled: the epoch standardizes each mini-batch as it takes it,
        # which saves a scaled copy of X per call (4 ms, 4% of an epoch of
        # partial_fit on MNIST-5k at batch size 256).
        data = _data.Data(np.asarray(X), y, np.asarray(Y, dtype=X.dtype), weights)
        val = None
        if self.early_stopping:
            data, val = _data.split(
                data,
                validation_fraction=self.validation_fraction,
                stratify=self._stratify_labels(y),
                seed=seed,
            )
        return data._replace(w=_data.normalized(data.w)), val

    def _initialize(self, train, hidden):
        self.scaler_ = (
            _data.checked_scaler(train.X, train.w, "X") if self.standardize else None
        )
        self.n_layers_ = len(hidden) + 2
        self.n_iter_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._solver_state = None

    def _scale(self, X):
        """X standardized as the network sees it (X itself without a scaler)."""
        if self.scaler_ is None:
            return X
        return standardize(X, *self._standardization(X.dtype))

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

    def _weights(self):
        return Weights(self.coefs_, self.intercepts_, self._batch_norms)

    # -- predict -----------------------------------------------------------

    def _logits(self, X):
        """The network's output on X, not yet checked for finiteness."""
        check_is_fitted(self, "coefs_")
        if not self._is_plain_input(X):
            X = _data.validate(self, X, dtype=[np.float64, np.float32], reset=False)
        X = X.astype(self.coefs_[0].dtype, copy=False)
        standardization = (
            None if self.scaler_ is None else self._standardization(X.dtype)
        )
        return _predict.logits(
            X,
            self._weights(),
            self._network_params["activation"],
            self._hidden_scale,
            standardization,
        )

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
        """The trained network as a Keras model, built from the fitted weights."""
        check_is_fitted(self)
        if getattr(self, "_model", None) is None:
            from sksnn import _network

            hidden = [coef.shape[1] for coef in self.coefs_[:-1]]
            dtype = self.coefs_[0].dtype.name
            self._model = _training.build_model(
                self, self._network_params, hidden, dtype, 1, 0
            )
            _network.set_weights(self._model, self._weights())
        return self._model

    def save(self, path):
        """Save the fitted estimator to a file, without pickle.

        The file holds the parameters and fitted scalars as JSON and the
        weights and scaler statistics as numeric arrays, plus the versions of
        sksnn, Keras and scikit-learn. Read it back with :func:`sksnn.load`,
        which executes nothing from the file. The file is written whole to a
        temporary file in the same folder and then renamed into place, so a
        failed save leaves an existing file at ``path`` intact.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (a zip archive; ``.sksnn`` is a good
            extension).
        """
        _persistence.save(self, path)

    def __getstate__(self):
        # The weights live in coefs_ / intercepts_: pickles hold no Keras
        # object, so they load on any backend, GPU or not.
        state = super().__getstate__()
        state.pop("_model", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _device_scope(device):
    from sksnn import _backend

    name = _backend.device_name(device)
    return _backend.keras.device(name) if name else nullcontext()
