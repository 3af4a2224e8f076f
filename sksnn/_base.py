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
    _check_y,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from sksnn import (
    _data,
    _options,
    _persistence,
    _predict,
    _progress,
    _random,
    _tabular,
    _training,
)
from sksnn._forward import (
    Embedding,
    Periodic,
    Weights,
    combine_members,
    inference_scale,
    standardize,
)
from sksnn._predict import check_finite
from sksnn._training import Mode

# early_stopping='auto' holds out validation rows when there are at least this
# many of them: the best epoch chosen on fewer is chosen by noise.
AUTO_MIN_VALIDATION = 10


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
        "learning_rate": [StrOptions(set(_options.LEARNING_RATES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
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
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [StrOptions({"loss"}), None],
        "standardize": ["boolean"],
        "input_clip": [None, Interval(Real, 0, None, closed="neither")],
        "input_scale": ["boolean", StrOptions({"auto"})],
        "numeric_embedding": [StrOptions({"periodic", "auto"}), None],
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "max_onehot_levels": [Interval(Integral, 0, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "n_ensembles": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose", StrOptions(set(_progress.BARS))],
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
        power_t,
        batch_size,
        max_iter,
        max_fun,
        shuffle,
        momentum,
        nesterovs_momentum,
        beta_1,
        beta_2,
        epsilon,
        tol,
        n_iter_no_change,
        alpha,
        dropout,
        batch_norm,
        clipnorm,
        clipvalue,
        early_stopping,
        validation_fraction,
        scoring,
        standardize,
        input_clip,
        input_scale,
        numeric_embedding,
        categorical_features,
        max_onehot_levels,
        embedding_dim,
        n_ensembles,
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
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.max_fun = max_fun
        self.shuffle = shuffle
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.alpha = alpha
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.scoring = scoring
        self.standardize = standardize
        self.input_clip = input_clip
        self.input_scale = input_scale
        self.numeric_embedding = numeric_embedding
        self.categorical_features = categorical_features
        self.max_onehot_levels = max_onehot_levels
        self.embedding_dim = embedding_dim
        self.n_ensembles = n_ensembles
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    # -- what the subclasses provide -------------------------------------

    def _training_targets(self, Y):
        """The encoded targets the loss trains on (the classifier smooths them)."""
        return Y

    @abstractmethod
    def _encode_targets(self, y, sample_weight, *, mode, classes, name="y"):
        """Validate y; return the 2-D float target and the sample weights.

        When ``mode.fresh``, also set the target's fitted attributes
        (``n_outputs_``, ``out_activation_``, ...). ``name`` is y's name in
        messages.
        """

    @abstractmethod
    def _score_logits(self, logits, y, sample_weight):
        """The score (accuracy or R^2) of the network's output ``logits`` on y."""

    def _stratify_labels(self, y):
        """Labels to stratify the validation split on, or None."""
        return None

    # -- fit ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X, y, sample_weight=None, *, X_val=None, y_val=None,
        sample_weight_val=None,
    ):  # fmt: skip
        """Fit the network to data X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, \
n_features)
            The input data. A pandas (or polars) DataFrame may mix numeric,
            bool, category, object and string columns (see
            ``categorical_features``); missing values (NaN, None) are
            accepted in every column. A sparse matrix is densified (the
            network's layers are dense), which takes n_samples x n_features
            floats of memory.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples; ``None`` weighs them equally.
            A weight of 2 counts a sample as if it were repeated.
        X_val : {array-like, DataFrame} of shape (n_val, n_features), \
default=None
            Validation data for early stopping, used instead of holding out
            ``validation_fraction`` of X (as in HistGradientBoosting). Needs
            ``early_stopping=True`` and ``y_val``. It is encoded and scaled
            as fit encodes X, without being fitted on.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            The targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples in the validation score.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validation = _validation_arguments(self, X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _fit(self, X, y, sample_weight, *, incremental, classes=None, validation=None):
        mode = Mode.of(self, incremental=incremental)
        if self.solver == "lbfgs":
            _check_lbfgs(self)
        if _data.n_members(self) > 1 and self.batch_norm:
            raise ValueError(
                f"batch_norm=True is not supported with n_ensembles="
                f"{self.n_ensembles}: the members would share one normalization "
                "of the batch. Use n_ensembles=1 with batch_norm, or "
                "batch_norm=False (the SNN default) with an ensemble."
            )
        hidden = _data.check_hidden_layer_sizes(self.hidden_layer_sizes)
        params = _training.network_parameters(self, hidden)
        if not mode.fresh:
            _training.check_continued(self, mode, params)
        seed = _random.master_seed(self.random_state)
        train, val = self._training_data(
            X, y, sample_weight, mode, classes, seed, validation
        )
        if mode.fresh:
            self._initialize(train, hidden)
        if mode is not Mode.PARTIAL_FIT:
            early = val is not None
            self.validation_scores_ = [] if early else None
            self.best_validation_score_ = -np.inf if early else None
            # As in MLP: with early stopping the validation score is tracked
            # instead of the training loss.
            self.best_loss_ = None if early else np.inf
            # MLP's count of epochs without improvement, which partial_fit
            # continues (n_iter_no_change and learning_rate='adaptive').
            self._no_improvement_count = 0
            # The n_iter_ where the schedule's current plan of max_iter
            # epochs started: 0 in fit; partial_fit's calls start a plan of
            # their own where the last fit stopped.
            self._schedule_start = 0
        self._network_params = params
        self._hidden_scale = inference_scale(self.activation, self.dropout)
        self._model = None
        n_rows = train.X.shape[0]
        # L-BFGS takes its steps on the full batch (and alpha's penalty is
        # MLP's alpha / (2 n) * ||W||^2 of it).
        batch_size = n_rows if self.solver == "lbfgs" else self._batch_size(n_rows)
        with (
            _device_scope(self.device),
            _training.borrow_engine(
                self, hidden, train.X.dtype.name, batch_size, seed
            ) as engine,
        ):
            _training.TrainingRun(self, mode, engine, train, val, seed).run()
        return self

    def _training_data(self, X, y, sample_weight, mode, classes, seed, validation):
        """Validate and encode X, y and the weights; return train and val rows."""
        from sksnn import _backend

        table = _tabular.read(
            self,
            X,
            reset=mode.fresh,
            categorical_features=self.categorical_features,
            mask=None if mode.fresh else self.is_categorical_,
        )
        y = self._validated_target(y, table.n_rows)
        weights = _check_sample_weight(
            sample_weight, table.numbers, dtype=np.float64, ensure_non_negative=True
        )
        Y, weights = self._encode_targets(y, weights, mode=mode, classes=classes)
        if mode.fresh:
            self.is_categorical_ = table.mask
            self._encoding = _tabular.fit(
                table,
                table.mask,
                weights,
                max_onehot_levels=self.max_onehot_levels,
                names=table.names,
            )
        dtype = _backend.float_dtype(_input_dtype(table))
        # Plain arrays: a memmap (joblib's way of sharing large data with its
        # workers) would make tf.function retrace on every batch. X stays
        # unscaled: the epoch standardizes each mini-batch as it takes it,
        # which saves a scaled copy of X per call (4 ms, 4% of an epoch of
        # partial_fit on MNIST-5k at batch size 256).
        X = np.asarray(self._encoding.transform(table, dtype))
        Y = self._training_targets(np.asarray(Y, dtype=dtype))
        data = _data.Data(X, y, Y, weights.astype(dtype))
        val = None
        if validation is not None:
            val = self._validation_data(*validation, dtype, classes)
        elif self._holds_out(mode, X.shape[0]):
            _data.normalized(data.w)  # bad weights are named before the split
            stratify = self._stratify_labels(y)
            if self.early_stopping is True and stratify is not None:
                _data.check_stratifiable(stratify, data.w)
            data, val = _data.split(
                data,
                validation_fraction=self.validation_fraction,
                stratify=stratify,
                seed=seed,
            )
        return data._replace(w=_data.normalized(data.w)), val

    def _holds_out(self, mode, n_samples):
        """Whether this call holds out validation rows for early stopping."""
        if mode.incremental:
            if self.early_stopping is True:
                raise ValueError(
                    "partial_fit does not support early_stopping=True: it trains "
                    "one epoch on the rows it is given. Set early_stopping='auto' "
                    "(early stopping in fit only) or False, or call fit."
                )
            return False
        if self.solver == "lbfgs" or not self.early_stopping:
            return False  # as in MLP, L-BFGS trains on every row
        if self.early_stopping == "auto":
            return n_samples * self.validation_fraction >= AUTO_MIN_VALIDATION
        return True

    def _validated_target(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"This {type(self).__name__} estimator requires y to be passed, "
                "but the target y is None."
            )
        y = _check_y(y, multi_output=True, y_numeric=not is_classifier(self))
        check_consistent_length(np.empty((n_samples, 0)), y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _validation_data(self, X_val, y_val, sample_weight_val, dtype, classes):
        """The explicit validation rows of fit, encoded as the training rows."""
        table = _tabular.read(self, X_val, reset=False, mask=self.is_categorical_)
        y_val = self._validated_target(y_val, table.n_rows)
        weights = _check_sample_weight(
            sample_weight_val, table.numbers, dtype=np.float64, ensure_non_negative=True
        )
        Y, weights = self._encode_targets(
            y_val, weights, mode=Mode.WARM_START, classes=classes, name="y_val"
        )
        X = np.asarray(self._encoding.transform(table, dtype))
        return _data.Data(X, y_val, np.asarray(Y, dtype=dtype), weights.astype(dtype))

    def _initialize(self, train, hidden):
        n_dense = self._encoding.n_dense
        self.scaler_ = (
            _data.checked_scaler(train.X[:, :n_dense], train.w, "X")
            if self.standardize and n_dense
            else None  # nothing to standardize: every column is embedded
        )
        self.n_layers_ = len(hidden) + 2
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_ = None
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._solver_state = None

    def _scale(self, X):
        """Encoded X standardized as the network reads it."""
        return standardize(X, *self._standardization(X.dtype))

    def _standardization(self, dtype):
        """``(center, scale, clip)`` of the network's input, in ``dtype``.

        The scaler's statistics for the numeric, indicator and one-hot
        columns, 0 and 1 for category codes (and for every column without a
        scaler). In X's dtype: float32 input is scaled in float32, without a
        float64 copy of it. ``clip`` is ``(n_numeric, input_clip)``, or None
        when the numeric columns are not clipped (see ``standardize``).
        """
        n_inputs = self._encoding.n_inputs
        center, scale = np.zeros(n_inputs, dtype), np.ones(n_inputs, dtype)
        if self.scaler_ is not None:
            n_dense = self._encoding.n_dense
            center[:n_dense], scale[:n_dense] = self.scaler_.mean_, self.scaler_.scale_
        bound = self._network_params.get("input_clip")
        n_numeric = len(self._encoding.numeric)
        clip = None if bound is None or not n_numeric else (n_numeric, bound)
        return center, scale, clip

    def _embedding_layout(self):
        """The ``Embedding`` of the network's input, or None without codes."""
        sizes = tuple(self._encoding.embedding_sizes)
        if not sizes:
            return None
        dim = self._network_params["embedding_dim"]
        return Embedding(self._encoding.n_dense, sizes, dim)

    def _periodic_layout(self):
        """The ``Periodic`` embedding of the numeric columns, or None."""
        n_numeric = len(self._encoding.numeric)
        if self._network_params.get("numeric_embedding") is None or not n_numeric:
            return None
        return Periodic(n_numeric)

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
        return Weights(
            self.coefs_,
            self.intercepts_,
            self._batch_norms,
            self._embedding,
            self._slopes,
            self._periodic,
        )

    def _set_weights(self, weights):
        (
            self.coefs_,
            self.intercepts_,
            self._batch_norms,
            self._embedding,
            self._slopes,
            self._periodic,
        ) = weights

    # -- predict -----------------------------------------------------------

    def _logits(self, X):
        """The network's output on X, not yet checked for finiteness; an
        ensemble's is that of its members' mean prediction."""
        return combine_members(self._members_logits(X), self.out_activation_)

    def _members_logits(self, X):
        """Each member's output on X (see ``_member_logits``)."""
        check_is_fitted(self, "coefs_")
        if not self._is_plain_input(X):
            table = _tabular.read(self, X, reset=False, mask=self.is_categorical_)
            X = self._encoding.transform(table, self.coefs_[0].dtype)
        return self._member_logits(X)

    def _network_logits(self, X):
        """The network's output on encoded X (numpy); an ensemble's logits
        are those of its members' mean prediction (``combine_members``)."""
        return combine_members(self._member_logits(X), self.out_activation_)

    def _member_logits(self, X):
        """Each member's output on encoded X: (n_members, n_samples,
        n_outputs) for an ensemble, else (n_samples, n_outputs)."""
        X = X.astype(self.coefs_[0].dtype, copy=False)
        standardization = self._standardization(X.dtype)
        if self.scaler_ is None and standardization[2] is None:
            standardization = None  # X goes in as it is (codes are not scaled)
        return _predict.logits(
            X,
            self._weights(),
            self._network_params["activation"],
            self._hidden_scale,
            standardization,
            self._embedding_layout(),
            self._periodic_layout(),
        )

    def _validation_score(self, val):
        """The score of encoded validation rows: minus the loss, or the
        estimator's score (accuracy or R^2), as ``scoring`` says."""
        logits = self._network_logits(val.X)
        if not np.isfinite(logits).all():
            return -np.inf  # diverging: never the best epoch
        if self.scoring == "loss":
            losses = self._losses_of(
                check_finite(logits, "The network's output"), val.y
            )
            return -float(np.average(losses, weights=val.w))
        return self._score_logits(logits, val.y, val.w)

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
            and self._encoding.is_identity
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

            hidden = [coef.shape[-1] for coef in self.coefs_[:-1]]
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

    def __setstate__(self, state):
        if "coefs_" in state and "_encoding" not in state:
            # Pickled before categorical support: all numeric, no missing values.
            scaler = state.get("scaler_")
            n_features = state["n_features_in_"]
            fill = np.zeros(n_features) if scaler is None else scaler.mean_
            state.update(
                _encoding=_tabular.identity(n_features, fill),
                is_categorical_=None,
                _embedding=None,
            )
        for name, value in _persistence.added_parameters(type(self)).items():
            state.setdefault(name, value)  # pickled before the parameter existed
            if "_network_params" in state:
                state["_network_params"].setdefault(name, value)
        if "coefs_" in state:
            state.setdefault("_slopes", None)  # pickled before PReLU
            state.setdefault("_periodic", None)  # pickled before PBLD
            _persistence.restore_counters(state)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True  # densified: the network is dense
        return tags


def _check_lbfgs(estimator):
    """Refuse what L-BFGS cannot minimize: its loss must be deterministic."""
    random = {
        "dropout": estimator.dropout > 0,
        "activation='rrelu'": estimator.activation == "rrelu",
        "batch_norm=True": estimator.batch_norm,
    }
    for what, present in random.items():
        if present:
            raise ValueError(
                f"solver='lbfgs' minimizes one deterministic full-batch loss, "
                f"which {what} does not give (its training output is random "
                "or depends on the batch). Use a stochastic solver such as "
                "solver='nadam', or drop it."
            )


def _validation_arguments(estimator, X_val, y_val, sample_weight_val):
    """``(X_val, y_val, sample_weight_val)`` of fit, or None when not given."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val was given without X_val and y_val; pass the "
                "validation data too, or drop sample_weight_val."
            )
        return None
    if X_val is None or y_val is None:
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: pass both for early stopping "
            "on your own validation data, or neither."
        )
    if estimator.solver == "lbfgs":
        raise ValueError(
            "X_val and y_val are validation data for early stopping, which "
            "solver='lbfgs' does not do (it trains on every row, as MLP's "
            "does). Use a stochastic solver such as solver='nadam', or drop "
            "them."
        )
    if not estimator.early_stopping:
        raise ValueError(
            "X_val and y_val are validation data for early stopping, but "
            "early_stopping=False. Set early_stopping=True to use them, or "
            "drop them."
        )
    return X_val, y_val, sample_weight_val


def _input_dtype(table):
    """float32 when X's numbers are float32 (faster training), else float64."""
    return "float32" if table.numbers.dtype == np.float32 else "float64"


def _device_scope(device):
    from sksnn import _backend

    name = _backend.device_name(device)
    return _backend.keras.device(name) if name else nullcontext()
