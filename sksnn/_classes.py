"""SNNClassifier and SNNRegressor: what differs between them."""

import textwrap
from numbers import Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from sksnn import _options, _persistence
from sksnn._base import BaseSNN
from sksnn._data import checked_scaler
from sksnn._forward import combine_members
from sksnn._predict import check_finite
from sksnn._training import NETWORK_PARAMETERS, SOLVER_PARAMETERS, Mode

# What partial_fit continues, and so may not change between its calls.
CONTINUED_PARAMETERS = NETWORK_PARAMETERS + SOLVER_PARAMETERS


def _stochastic(estimator):
    """Whether the solver trains on mini-batches (partial_fit needs one)."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers; "
            "solver='lbfgs' is not one. Use solver='nadam', 'adam', 'sgd' or "
            "'rmsprop'."
        )
    return True


def _with_partial_fit_notes(partial_fit):
    """Append to ``partial_fit``'s docstring the Notes both estimators share."""
    fixed = ", ".join(f"``{name}``" for name in CONTINUED_PARAMETERS)
    notes = (
        "The input encoding (categorical levels, missing-value treatment) and "
        "the input (and target) scaling are fitted on the first call and kept. "
        "The solver's state carries over from call to call (after ``fit``, the "
        "first ``partial_fit`` starts a new solver state on the fitted weights). "
        "``learning_rate_init``, ``alpha`` and ``batch_size`` may change between "
        f"calls; the parameters of the network and the solver ({fixed}) cannot: "
        "a changed one raises a ValueError naming it."
    )
    indent = " " * 8
    body = textwrap.fill(notes, 79, initial_indent=indent, subsequent_indent=indent)
    partial_fit.__doc__ += f"Notes\n{indent}-----\n{body}\n{indent}"
    return partial_fit


_COMMON_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(50,) * 4
        The ith element is the number of units in the ith hidden layer of
        each member of the ensemble (see ``n_ensembles``). The default, four
        layers of 50 units in each of four members, is measured on the 24
        tables of ``benchmarks/bench_tabular.py`` (README, "Defaults,
        measured"): it scored higher than one network of four layers of 100
        units, which costs about as many multiply-adds in its hidden layers,
        on 18 of the 24 tables (mean +0.007 in accuracy or R^2), lower
        beyond two standard errors on none. With ``n_ensembles=1`` it is a
        single network of four layers of 50.

    activation : {'selu', 'elu', 'relu', 'leaky_relu', 'prelu', 'pselu', \
'rrelu', 'tanh', 'logistic', 'sigmoid', 'gelu', 'swish', 'identity'}, \
default='pselu'
        Activation of the hidden layers. ``'selu'`` with
        ``kernel_initializer='lecun_normal'`` and ``standardize=True`` makes
        the network self-normalizing. ``'pselu'``, the default, is
        ``x + a * (selu(x) - x)`` with a weight ``a`` learned per unit from
        1: the network starts as that SNN, and each unit learns how far to
        blend SELU towards the identity (RealMLP's parametric activation,
        Holzmueller et al. 2024; measured in the README's "Defaults,
        measured"). ``'sigmoid'`` is an alias of ``'logistic'``;
        ``'leaky_relu'`` has Keras' negative slope of 0.2. ``'prelu'`` learns
        a negative slope per unit (from 0.25; He et al. 2015), kept in the
        fitted model; ``'rrelu'`` draws it per unit and
        row from U(1/8, 1/3) in training and uses the mean, 11/48, at
        predict (Xu et al. 2015). Pair the ReLU family with
        ``kernel_initializer='he_normal'``.

    kernel_initializer : {'lecun_normal', 'lecun_uniform', 'glorot_normal', \
'glorot_uniform', 'he_normal', 'he_uniform', 'normal'}, default='lecun_normal'
        Initializer of every layer's kernel; biases start at zero. ``'normal'``
        draws from N(0, 1), the pre-2010 default under which deep nets
        saturate or explode.

    solver : {'nadam', 'adam', 'sgd', 'rmsprop', 'lbfgs'}, default='nadam'
        The optimizer. ``'sgd'`` uses ``momentum`` (with Nesterov's
        correction when ``nesterovs_momentum``), as MLP does. ``'lbfgs'``
        runs scipy's L-BFGS-B on the loss of all the rows at once, with the
        gradient of the Keras network, as MLP's ``'lbfgs'`` does: at most
        ``max_iter`` iterations and ``max_fun`` loss evaluations, stopping
        when the projected gradient falls below ``tol``. It often converges
        faster and better on small data; it trains on every row (no early
        stopping), has no ``partial_fit``, and refuses ``dropout``,
        ``batch_norm`` and ``activation='rrelu'``, whose training output is
        random or depends on the batch.

    learning_rate_init : float, default=0.004
        The initial step size of the solver (the peak of a schedule).

    learning_rate : {'constant', 'adaptive', 'invscaling', 'cosine', \
'coslog4'}, default='coslog4'
        ``'invscaling'`` sets each epoch's step size to
        ``learning_rate_init / (t_ + 1) ** power_t``, ``t_`` the samples seen so
        far, as MLP does. ``'adaptive'`` divides the step size by 5 each
        time the monitored loss (or validation score) stops improving by
        ``tol`` for ``n_iter_no_change`` epochs, and stops below 1e-6, as in
        MLP; use it
        when the loss plateaus at a step size that is too large. The two
        schedules set each epoch's step size from ``learning_rate_init`` and
        the share t of ``max_iter`` done (at the epoch's middle):
        ``'cosine'`` multiplies it by (1 + cos(pi t)) / 2, a decay to 0;
        ``'coslog4'`` by (1 - cos(2 pi log2(1 + 15 t))) / 2, RealMLP's four
        cosine cycles on a log-time axis (Holzmueller et al. 2024), rising
        from 0 at the start of each cycle. They plan for ``max_iter`` epochs:
        with ``n_iter_no_change`` at ``max_iter`` or more (the defaults: 64
        and 64) or ``np.inf`` they train them all (and
        ``early_stopping=True`` keeps the best); training does not stop
        during the first rise of ``'coslog4'`` (its first 2.8%). In
        ``partial_fit`` t counts the calls since the last fit (or the first
        call) and starts again after ``max_iter`` of them.

    power_t : float, default=0.5
        The exponent of ``learning_rate='invscaling'``.

    batch_size : int or 'auto', default='auto'
        Size of the mini-batches; ``'auto'`` is ``min(200, n_samples)``.
        ``solver='lbfgs'`` takes no mini-batches.

    max_iter : int, default=64
        Maximum number of epochs (passes over the training data) of each
        call of fit, or of iterations of ``'lbfgs'``: with the default
        ``n_iter_no_change=np.inf``, the number trained. A fit with
        ``warm_start=True`` trains up to ``max_iter`` more, as in MLP.

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``solver='lbfgs'``.

    shuffle : bool, default=True
        Shuffle the rows before each epoch (in an order drawn from
        ``random_state``); False takes them in the order given.

    momentum : float, default=0.9
        Momentum of ``solver='sgd'``, in [0, 1].

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver='sgd'`` and ``momentum > 0``.

    beta_1 : float, default=0.9
        Decay rate of the first-moment estimates of ``'adam'`` and
        ``'nadam'``, in [0, 1).

    beta_2 : float, default=0.999
        Decay rate of the second-moment estimates of ``'adam'`` and
        ``'nadam'``, in [0, 1).

    epsilon : float, default=1e-8
        Numerical stability term of ``'adam'`` and ``'nadam'``.

    tol : float, default=1e-4
        Training stops when the training loss has not improved by at least
        ``tol`` for ``n_iter_no_change`` consecutive epochs.

    n_iter_no_change : int or np.inf, default=64
        Number of epochs without an improvement of ``tol`` before training
        stops. The default, 64, equals the default ``max_iter``: a default
        fit trains all its epochs (the plan of its schedule; the benchmark's
        choice, README "Defaults, measured"), a longer one stops after 64
        epochs without improvement. ``np.inf`` never stops early. With early
        stopping the best epoch is kept, and reaching ``max_iter`` is not a
        ConvergenceWarning when the epochs were the plan (``np.inf``, or a
        schedule: ``learning_rate='cosine'`` or ``'coslog4'``); otherwise it
        is, as in MLP. MLP's default is 10.

    alpha : float, default=0.0
        Strength of the L2 penalty on the kernels (MLP's ``alpha``: the loss
        of a mini-batch of n samples gains ``alpha / (2 n) * ||W||^2``). Use
        it when a large network overfits a small data set.

    dropout : float, default=0.0
        Dropout rate after each hidden layer, in [0, 1). With
        ``activation='selu'`` (or ``'pselu'``) it inserts AlphaDropout, which
        keeps the activations at mean 0 and variance 1 (the paper recommends
        0.05 to 0.1); with any other activation, ordinary Dropout. Use it
        against overfitting; it is inactive at predict time.

    batch_norm : bool, default=False
        Insert BatchNormalization between each hidden layer and its
        activation: the usual alternative to self-normalization, for
        comparing with it or for activations other than SELU. The batch
        statistics weigh the rows by ``sample_weight`` (and ``class_weight``)
        on TensorFlow and JAX; Keras' PyTorch train step, which sksnn uses on
        that backend, weighs them equally.

    clipnorm : float, default=None
        Clip each gradient tensor to this L2 norm before the update (Keras'
        ``clipnorm``). Use it against exploding gradients.

    clipvalue : float, default=None
        Clip each gradient element to [-clipvalue, clipvalue] before the
        update. Use it against exploding gradients.

    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the training data (stratified for
        the classifier), stop when the validation score (accuracy or R^2)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
        restore the weights of the best epoch. Use it when the network
        overfits and you cannot tune ``max_iter``. The held-out rows are
        chosen by a hash of each row's content salted by ``random_state``:
        equal rows fall on the same side, and a row of weight 2 is held out
        exactly when its two copies would be, so that sample weights still
        act as repeated rows. Pass ``X_val`` and ``y_val`` to fit to choose
        the rows yourself. ``'auto'`` holds out rows in fit when they are at
        least 10 (50 samples at the default ``validation_fraction``: the best
        epoch chosen on fewer is chosen by noise) and never in
        ``partial_fit``; ``True`` always in fit, and ``partial_fit`` refuses
        it, as MLP's does; with ``True`` a class of one row cannot be
        stratified, and fit refuses it, as MLP's does (``'auto'`` keeps such
        a row in the training rows). ``solver='lbfgs'`` ignores it, as MLP's
        does.

    validation_fraction : float, default=0.2
        Share of the training data held out for early stopping.

    scoring : 'loss' or None, default=None
        What early stopping scores the validation rows with (and
        ``validation_scores_`` records), as in HistGradientBoosting: None is
        the estimator's ``score`` (accuracy or R^2), ``'loss'`` minus the
        training loss (the log-loss, or half the squared error of the
        standardized target), which moves with every epoch where accuracy
        moves in steps of one row.

    standardize : bool, default=True
        Standardize the input features to mean 0 and variance 1 (weighted by
        ``sample_weight``) inside the estimator. Self-normalization needs
        standardized inputs; set it to False only if the input already is.

    input_clip : float or None, default=None
        Smoothly clip the standardized numeric columns to
        ``(-input_clip, input_clip)`` with x / sqrt(1 + (x / input_clip)^2),
        which leaves values well inside the bound about unchanged (RealMLP
        uses 3): a few extreme values then cannot dominate the first layer.
        None leaves them as they are. Indicators, one-hot columns and
        category codes are not clipped.

    input_scale : bool or 'auto', default='auto'
        Learn a scale per input column (and ensemble member) in front of the
        first layer, from 1, at 6 times the step size of the weights:
        RealMLP's "soft feature selection". Training only: the fitted
        ``coefs_[0]`` holds the scale, so predict costs nothing more.
        ``'auto'``: on for ``solver='nadam'`` and ``'adam'``, whose steps do
        not grow with the gradient (the factor is a reparametrization, which
        under SGD would multiply the scale's step by 36), off for the others.

    numeric_embedding : {'periodic', 'auto'} or None, default='auto'
        ``'periodic'``: each numeric column also enters the network through
        3 learned features ``cos(2 pi x f + p) @ K + b`` of 16 learned
        frequencies (RealMLP's PBLD embedding, Holzmueller et al. 2024),
        trained at a tenth of the step size, beside the number itself; the
        members of an ensemble share them, and ``coefs_[0]`` has rows for
        them after the input's columns. None: the numbers enter as they are.
        ``'auto'``: ``'periodic'`` for ``solver='nadam'`` and ``'adam'``,
        None for the others (as ``input_scale``).

    categorical_features : array-like of {bool, int, str} or 'from_dtype' or \
None, default='from_dtype'
        The categorical columns of X, as in HistGradientBoosting: a boolean
        mask, integer indices, or column names of a DataFrame; None for
        none. ``'from_dtype'`` takes a DataFrame's category, object and
        string columns (object columns that hold only numbers stay
        numeric); an array has none. Bool columns are numeric features.
        A categorical column of at most ``max_onehot_levels`` levels (a
        missing value counting as one more) is one-hot encoded; one of more
        levels gets a learned embedding of ``embedding_dim`` numbers, trained
        with the network. The levels are the values seen in fit (in a
        category dtype's order); missing values and levels not seen in fit,
        declared categories among them, share one reserved level, so predict
        takes new levels without a warning, as HistGradientBoosting does.
        Missing values in numeric columns become the column's training mean,
        plus an indicator feature for each column that had missing values
        in fit.

    max_onehot_levels : int, default=0
        Categorical columns of up to this many levels are one-hot encoded,
        larger ones embedded; 0 embeds every categorical column. The default
        is measured: in ``benchmarks/bench_tabular.py`` on the 20 tables of
        its suite that have categorical columns, 0 scored higher than
        RealMLP's 9 on 13 of them (mean +0.010 in accuracy or R^2), and 9
        higher than one-hot for every column on 3 of the 6 tables with a
        column of more than 9 levels (mean +0.003).

    embedding_dim : int, default=8
        Width of the learned embedding of each categorical column of more
        than ``max_onehot_levels`` levels (RealMLP's width).

    n_ensembles : int or 'auto', default='auto'
        How many networks train together as one (TabM's "k" MLPs in one
        batched matrix product per layer, Gorishniy et al. 2025). ``'auto'``
        is 4, the measured default (see ``hidden_layer_sizes``), or 1 with
        ``batch_norm=True``. Each member
        draws its own initial weights (from ``random_state``), dropout
        masks and category embedding tables; all see the same mini-batches.
        Each minimizes its own loss: the training loss is their sum, so a
        member's gradient is the one it would have alone, and
        ``loss_curve_`` reports the members' mean.
        Predictions average the members' probabilities (classifier) or values
        (regressor). Early stopping scores that average, the model that
        predicts, and keeps the epoch where it is best for all members
        together. With more than one member ``coefs_[i]`` has shape
        (n_members, fan_in, fan_out) and ``intercepts_[i]`` (n_members,
        fan_out), and the embedding tables (n_members, levels, dim); MLP's
        two-dimensional ``coefs_`` come with ``n_ensembles=1``.
        ``batch_norm=True`` needs ``n_ensembles=1`` (or ``'auto'``).

    warm_start : bool, default=False
        Continue training from the weights of the previous fit instead of
        starting afresh (the input encoding and the input and target scaling
        of the first fit are kept; the solver starts anew). Use it to add
        epochs to a fitted model. The parameters that define the network
        (``hidden_layer_sizes``, ``activation``, ``batch_norm``,
        ``standardize``, ``categorical_features``, ``max_onehot_levels``,
        ``embedding_dim``) cannot change between such fits: a changed one
        raises a ValueError naming it. The others (``dropout``, ``solver``,
        ``alpha``, ...) may, and the next fit follows them.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the order of the mini-batches, the dropout
        masks and the validation split. Pass an
        int for reproducible results on the CPU. ``None`` draws fresh entropy;
        numpy's global RNG is never used.

    verbose : int, bool, 'progress' or 'progress_all', default=0
        0 is silent; a positive int prints the loss after every epoch (MLP's
        lines). ``'progress'`` shows a live progress bar on stderr (epochs
        done of ``max_iter``, loss, validation score, time left;
        ``tqdm.auto``, so a widget in notebooks), except in worker processes
        such as joblib's, where the bars of parallel fits would interleave;
        ``'progress_all'`` shows it there too.

    device : {'auto', 'cpu', 'gpu'}, default='auto'
        Where the network trains. ``'auto'`` uses a GPU when the Keras backend
        sees one; ``'gpu'`` raises an error when it does not. Predictions are
        computed with numpy on the CPU either way.
"""

_COMMON_ATTRIBUTES = """
    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit. Defined only when X has feature
        names that are all strings.

    n_outputs_ : int
        Number of units of the output layer.

    n_layers_ : int
        Number of layers, input and output layers included.

    out_activation_ : str
        Name of the output activation.

    loss_ : float
        The training loss of the last epoch (of ``'lbfgs'``: of the weights
        kept).

    loss_curve_ : list of float
        The training loss after each epoch (weighted mean over the samples).

    best_loss_ : float or None
        The lowest value of ``loss_curve_``; None with early stopping, which
        tracks ``best_validation_score_`` instead (as in MLP).

    t_ : int
        Number of training samples seen by the solver (epochs times training
        rows): the t of ``learning_rate='invscaling'``.

    validation_scores_ : list of float or None
        The validation score (accuracy or R^2) after each epoch when
        ``early_stopping=True``; None otherwise.

    best_validation_score_ : float or None
        The best of ``validation_scores_``; None when ``early_stopping=False``.
        The weights kept are those of the latest epoch whose score is within
        ``tol`` of it (with plain accuracy or R^2 and the default ``tol``, an
        epoch of exactly the best score).

    n_iter_ : int
        Number of epochs run by the last call of fit (with ``warm_start``,
        those of that call, as in MLP), plus one per ``partial_fit`` call
        since.

    coefs_ : list of ndarray of shape (n_members, n_fan_in, n_fan_out)
        The ith element is the kernel of layer i, the output layer last, one
        per member of the ensemble (four with the defaults, see
        ``n_ensembles``); (n_fan_in, n_fan_out), as in MLP, for a single
        network (``n_ensembles=1``).

    intercepts_ : list of ndarray of shape (n_members, n_fan_out)
        The ith element is the bias of layer i + 1; (n_fan_out,) for a
        single network.

    model_ : keras.Model
        The trained network as a Keras model that outputs logits (of shape
        (batch, n_members, n_outputs) for an ensemble), built from
        ``coefs_`` and ``intercepts_`` when first read after a fit (a model
        of its own: later fits never change it). Predictions are computed
        from the same weights with numpy; a pickled estimator stores no
        Keras object.

    scaler_ : StandardScaler or None
        The fitted input scaler, or None when ``standardize=False`` (or when
        every column of X is categorical and embedded, so that none is left to
        standardize). It
        standardizes the encoded numeric columns: the numeric features, the
        missing-value indicators and the one-hot columns (not the category
        codes of embedded columns).

    is_categorical_ : ndarray of shape (``n_features_in_``,) or None
        Which features were treated as categorical; None when none was.
"""

_SEE_ALSO_NOTES_REFERENCES = """
    Notes
    -----
    The network is a stack of dense layers trained on mini-batches with
    Keras 3 (TensorFlow by default; JAX and PyTorch through
    ``KERAS_BACKEND``). The defaults follow Klambauer et al. (2017): SELU
    activations, LeCun-normal initial weights and standardized inputs keep
    the activations of every layer near mean 0 and variance 1, so deep
    networks train fast and stably.

    Training runs in float64 when X is float64 and in float32 when X is
    float32; float32 input trains faster.

    Building a Keras network and tracing (compiling) its training epoch can
    cost more than training a small one. When a fit ends, its network goes to
    a process-wide cache of at most 8 idle networks, and a later fit of the
    same shapes (features, outputs, layers, loss, solver settings, batch
    size, dtype, device) reuses one with fresh weights and solver state,
    with the results of a newly built one. The estimator itself holds only
    numpy arrays. :func:`sksnn.clear_network_cache` frees the cache.

    References
    ----------
    Klambauer, G., Unterthiner, T., Mayr, A. and Hochreiter, S. (2017).
    "Self-Normalizing Neural Networks". Advances in Neural Information
    Processing Systems 30. https://arxiv.org/abs/1706.02515
"""


class SNNClassifier(ClassifierMixin, BaseSNN):
    __doc__ = (
        """Self-normalizing neural network classifier.

    A deep feed-forward network with SELU activations, LeCun-normal
    initialization and standardized inputs, trained with Nadam on the log-loss.
    Handles binary, multiclass (labels of any type) and multilabel
    (indicator matrix) targets.
"""
        + _COMMON_PARAMETERS
        + """
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, ``{label: weight}``; ``'balanced'`` weighs
        them inversely to their frequency in y. Multiplies ``sample_weight``.
        Use it when a minority class matters more than its share.

    label_smoothing : float, default=0.0
        Train on targets moved ``label_smoothing`` of the way towards the
        uniform distribution (``(1 - e) y + e / K``, K the number of classes,
        2 per label for binary and multilabel targets), which keeps the
        network from driving its logits to extremes (RealMLP uses 0.1). It
        changes the training loss only: validation scores and predictions
        are on the labels, and ``loss_curve_`` includes the smoothed
        targets' entropy.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels (for multilabel targets, the label indices).
"""
        + _COMMON_ATTRIBUTES
        + """
    See Also
    --------
    SNNRegressor : Self-normalizing neural network regressor.
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer
        perceptron, whose parameter names these follow.
"""
        + _SEE_ALSO_NOTES_REFERENCES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sksnn import SNNClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SNNClassifier(hidden_layer_sizes=(32, 32), random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    """
    )

    _parameter_constraints: dict = {
        **BaseSNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(50, 50, 50, 50),
        *,
        activation="pselu",
        kernel_initializer="lecun_normal",
        solver="nadam",
        learning_rate_init=0.004,
        learning_rate="coslog4",
        power_t=0.5,
        batch_size="auto",
        max_iter=64,
        max_fun=15000,
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        tol=1e-4,
        n_iter_no_change=64,
        alpha=0.0,
        dropout=0.0,
        batch_norm=False,
        clipnorm=None,
        clipvalue=None,
        early_stopping="auto",
        validation_fraction=0.2,
        scoring=None,
        standardize=True,
        input_clip=None,
        input_scale="auto",
        numeric_embedding="auto",
        categorical_features="from_dtype",
        max_onehot_levels=0,
        embedding_dim=8,
        n_ensembles="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        class_weight=None,
        label_smoothing=0.0,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation=activation,
            kernel_initializer=kernel_initializer,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            batch_size=batch_size,
            max_iter=max_iter,
            max_fun=max_fun,
            shuffle=shuffle,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            alpha=alpha,
            dropout=dropout,
            batch_norm=batch_norm,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            scoring=scoring,
            standardize=standardize,
            input_clip=input_clip,
            input_scale=input_scale,
            numeric_embedding=numeric_embedding,
            categorical_features=categorical_features,
            max_onehot_levels=max_onehot_levels,
            embedding_dim=embedding_dim,
            n_ensembles=n_ensembles,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
        )
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    @_with_partial_fit_notes
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on X and y, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        classes : array-like of shape (n_classes,), default=None
            All the classes that y may hold over the calls; required on the
            first call, ignored afterwards. Not needed for multilabel y.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.

        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _encode_targets(self, y, sample_weight, *, mode, classes, name="y"):
        check_classification_targets(y)
        if mode.fresh:
            self._fit_labels(y, classes, mode.incremental)
        elif mode is Mode.PARTIAL_FIT and classes is not None:
            if not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise ValueError(
                    f"classes={np.asarray(classes).tolist()} differs from the "
                    f"classes of the first partial_fit call "
                    f"({self.classes_.tolist()}): partial_fit keeps them. Pass "
                    "the same classes, or none after the first call."
                )
        elif mode is Mode.WARM_START and name == "y":
            self._check_same_classes(y)
        self._check_labels(y, name)
        weights = sample_weight * self._class_weights(y, mode.incremental)
        return self._one_hot(y), weights

    def _training_targets(self, Y):
        """Y smoothed by ``label_smoothing`` (see the parameter)."""
        if not self.label_smoothing:
            return Y
        k = 2 if self.out_activation_ == "logistic" else Y.shape[1]
        return (1 - self.label_smoothing) * Y + self.label_smoothing / k

    def _one_hot(self, y):
        """``LabelBinarizer.transform(y)`` for labels that _check_labels passed.

        The binarizer checks the target's type again, 2.7 ms per partial_fit
        call on MNIST-5k; a search in the sorted classes takes 0.2 ms.
        """
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return self._label_binarizer.transform(y)
        codes = np.searchsorted(self.classes_, y)
        if len(self.classes_) == 1:  # one column of ones: the only class
            return np.ones((len(codes), 1), dtype=np.int64)
        if len(self.classes_) == 2:  # one column: the second class
            return codes.reshape(-1, 1)
        one_hot = np.zeros((len(codes), len(self.classes_)), dtype=np.int64)
        one_hot[np.arange(len(codes)), codes] = 1
        return one_hot

    def _fit_labels(self, y, classes, incremental):
        multilabel = type_of_target(y).startswith("multilabel")
        if classes is None and not multilabel and incremental:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "list of all the labels that y may hold, e.g. classes=[0, 1, 2]."
            )
        labels = y if classes is None or multilabel else np.asarray(classes)
        self._label_binarizer = LabelBinarizer().fit(labels)
        self.classes_ = self._label_binarizer.classes_
        # One class (as MLP allows): one logistic output trained towards it,
        # and predictions of that class with probability 1.
        self.n_outputs_ = self._label_binarizer.transform(labels[:1]).shape[1]
        self.out_activation_ = (
            "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"
        )

    def _check_same_classes(self, y):
        """warm_start=True continues on the classes of the first fit (MLP's rule)."""
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return
        if not np.array_equal(np.unique(y), self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {self.classes_}, "
                f"`y` has {np.unique(y)}. Set warm_start=False to fit a new "
                "network on these classes."
            )

    def _check_labels(self, y, name="y"):
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size and name == "y_val":
            raise ValueError(
                f"y_val holds labels {unseen.tolist()} that y does not "
                f"({self.classes_.tolist()}): the network can only predict the "
                "classes it is trained on. Drop those validation rows."
            )
        if unseen.size:
            raise ValueError(
                f"y holds labels {unseen.tolist()} that the fitted classes "
                f"{self.classes_.tolist()} do not include. warm_start and "
                "partial_fit keep the classes of the first fit: pass every label "
                "in `classes` on the first partial_fit call, or set "
                "warm_start=False."
            )

    def _class_weights(self, y, incremental):
        if self.class_weight is None:
            return 1.0
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError(
                "class_weight is not supported for multilabel targets; pass "
                "sample_weight instead."
            )
        if self.class_weight == "balanced" and incremental:
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: one "
                "batch does not show the class frequencies. Pass a dict of "
                "class weights, computed on all the data, instead."
            )
        return compute_sample_weight(self.class_weight, y)

    def _stratify_labels(self, y):
        return y if y.ndim == 1 else None

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``. For
            multilabel targets, the probability of each label.
        """
        logits = check_finite(self._logits(X), "The network's output")
        if self.out_activation_ == "softmax":
            return softmax(logits, axis=1)
        proba = expit(logits)
        if len(self.classes_) == 1:
            return np.ones_like(proba)
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates, ``log(predict_proba(X))``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The log-probability of each class, in the order of ``classes_``
            (-inf where a probability rounds to 0).
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predict with the trained network.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes (an indicator matrix for multilabel targets).
        """
        # From the logits: the most probable class without the probabilities.
        return self._labels_of(check_finite(self._logits(X), "The network's output"))

    def _labels_of(self, logits):
        y_type = self._label_binarizer.y_type_
        if y_type == "multiclass":
            return self.classes_[np.argmax(logits, axis=1)]
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(logits))
        if y_type == "binary":
            return self.classes_[(logits[:, 0] > 0).astype(np.intp)]
        return (logits > 0).astype(np.int64)

    def score(self, X, y, sample_weight=None):
        """Return the accuracy on the given test data and labels.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels for X. Rows whose label is not in ``classes_`` count
            as wrong, as in scikit-learn's classifiers.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Mean accuracy (subset accuracy for multilabel targets).
        """
        return super().score(X, y, sample_weight=sample_weight)

    def _losses_of(self, logits, y):
        """The log-loss of each row (summed over labels, as in training)."""
        Y = self._one_hot(y)
        if self.out_activation_ == "logistic":
            return np.sum(np.logaddexp(0, logits) - Y * logits, axis=1)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -np.sum(Y * log_p, axis=1)

    def _score_logits(self, logits, y, sample_weight):
        labels = self._labels_of(check_finite(logits, "The network's output"))
        return accuracy_score(y, labels, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class SNNRegressor(RegressorMixin, BaseSNN):
    __doc__ = (
        """Self-normalizing neural network regressor.

    A deep feed-forward network with SELU activations, LeCun-normal
    initialization and standardized inputs, trained with Nadam on the squared
    error. The target is standardized inside the estimator too (and restored
    at predict), so targets in the thousands train as well as unit-scale ones.
    Handles single- and multi-output targets.
"""
        + _COMMON_PARAMETERS
        + """
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss minimized, as MLPRegressor's ``loss``: half the squared
        error of the standardized target, or the half Poisson deviance of a
        non-negative target (counts, rates), whose network outputs the log
        of the predicted mean (``out_activation_='exp'``) and whose target
        is not standardized.

    Attributes
    ----------
    target_scaler_ : StandardScaler or None
        The fitted scaler of the target; ``loss_curve_`` is in its units.
        None with ``loss='poisson'``.
"""
        + _COMMON_ATTRIBUTES
        + """
    See Also
    --------
    SNNClassifier : Self-normalizing neural network classifier.
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer
        perceptron, whose parameter names these follow.
"""
        + _SEE_ALSO_NOTES_REFERENCES
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sksnn import SNNRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = SNNRegressor(hidden_layer_sizes=(32, 32), random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> bool(reg.score(X, y) > 0.4)
    True
    """
    )

    _parameter_constraints: dict = {
        **BaseSNN._parameter_constraints,
        "loss": [StrOptions(set(_options.REGRESSION_LOSSES))],
    }

    def __init__(
        self,
        hidden_layer_sizes=(50, 50, 50, 50),
        *,
        activation="pselu",
        kernel_initializer="lecun_normal",
        solver="nadam",
        learning_rate_init=0.004,
        learning_rate="coslog4",
        power_t=0.5,
        batch_size="auto",
        max_iter=64,
        max_fun=15000,
        shuffle=True,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        tol=1e-4,
        n_iter_no_change=64,
        alpha=0.0,
        dropout=0.0,
        batch_norm=False,
        clipnorm=None,
        clipvalue=None,
        early_stopping="auto",
        validation_fraction=0.2,
        scoring=None,
        standardize=True,
        input_clip=None,
        input_scale="auto",
        numeric_embedding="auto",
        categorical_features="from_dtype",
        max_onehot_levels=0,
        embedding_dim=8,
        n_ensembles="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
        loss="squared_error",
    ):
        super().__init__(
            hidden_layer_sizes,
            activation=activation,
            kernel_initializer=kernel_initializer,
            solver=solver,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            power_t=power_t,
            batch_size=batch_size,
            max_iter=max_iter,
            max_fun=max_fun,
            shuffle=shuffle,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            alpha=alpha,
            dropout=dropout,
            batch_norm=batch_norm,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            scoring=scoring,
            standardize=standardize,
            input_clip=input_clip,
            input_scale=input_scale,
            numeric_embedding=numeric_embedding,
            categorical_features=categorical_features,
            max_onehot_levels=max_onehot_levels,
            embedding_dim=embedding_dim,
            n_ensembles=n_ensembles,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            device=device,
        )
        self.loss = loss

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    @_with_partial_fit_notes
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on X and y, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.

        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, sample_weight, *, mode, classes, name="y"):
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        poisson = self.loss == "poisson"
        if poisson and np.any(Y < 0):
            raise ValueError(
                f"{name} holds negative values, which loss='poisson' does not "
                "allow: it models counts or rates (y >= 0). Use "
                "loss='squared_error', or shift the target."
            )
        if mode.fresh:
            # The Poisson loss needs the target's own scale: it is not scaled.
            self.target_scaler_ = (
                None if poisson else checked_scaler(Y, sample_weight, "y")
            )
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = _OUT_ACTIVATIONS[self.loss]
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{name} has {Y.shape[1]} outputs, but the fitted network has "
                f"{self.n_outputs_}. Set warm_start=False to train a new network."
            )
        elif _OUT_ACTIVATIONS[self.loss] != self.out_activation_:
            fitted = next(k for k, v in _OUT_ACTIVATIONS.items()
                          if v == self.out_activation_)  # fmt: skip
            raise ValueError(
                f"loss={self.loss!r} differs from the loss={fitted!r} the network "
                "was fitted with, which warm_start and partial_fit continue. Set "
                f"loss={fitted!r} again, or fit a new network."
            )
        if self.target_scaler_ is None:
            return Y, sample_weight
        return self.target_scaler_.transform(Y), sample_weight

    def predict(self, X, return_std=False):
        """Predict with the trained network.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input data.
        return_std : bool, default=False
            Also return the standard deviation of the members' predictions
            (``n_ensembles > 1``; zeros for a single network).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values: the mean of the members' predictions.
        y_std : ndarray of the shape of y
            Returned only if ``return_std``. The spread of the members, who
            differ by their initial weights and dropout masks only: it shows
            where the training data leave the function undetermined (far from
            the training rows, say), not the noise of the target around its
            mean. It is not a calibrated predictive interval.
        """
        members = self._members_logits(X)
        y = self._values_of(combine_members(members, self.out_activation_))
        if not return_std:
            return y
        if members.ndim == 2:
            return y, np.zeros_like(y)
        return y, np.std([self._values_of(member) for member in members], axis=0)

    def _values_of(self, logits):
        # target_scaler_.inverse_transform's arithmetic, without its checks;
        # checked after it, which can overflow where the logits did not.
        with np.errstate(over="ignore", invalid="ignore"):
            if self.target_scaler_ is None:  # loss='poisson'
                y = np.exp(logits)
            else:
                y = logits * self.target_scaler_.scale_.astype(logits.dtype)
                y += self.target_scaler_.mean_.astype(logits.dtype)
        y = check_finite(y, "The prediction")
        return y.ravel() if self.n_outputs_ == 1 else y

    def _losses_of(self, logits, y):
        """The training loss of each row: half the squared error of the
        standardized target, or the half Poisson deviance (without its
        constant terms) for loss='poisson'."""
        Y = y.reshape(len(y), -1)
        if self.target_scaler_ is None:
            return np.mean(np.exp(logits) - Y * logits, axis=1)
        Y = (Y - self.target_scaler_.mean_) / self.target_scaler_.scale_
        return 0.5 * np.mean(np.square(logits - Y), axis=1)

    def _score_logits(self, logits, y, sample_weight):
        return r2_score(y, self._values_of(logits), sample_weight=sample_weight)


# The output activation of each loss: the network's output is the log of
# the predicted mean under the Poisson loss.
_OUT_ACTIVATIONS = {"squared_error": "identity", "poisson": "exp"}


def load(path):
    """Load an estimator saved with ``save``; never executes code from the file.

    Parameters
    ----------
    path : str or path-like
        A file written by ``SNNClassifier.save`` or ``SNNRegressor.save``.

    Returns
    -------
    estimator : SNNClassifier or SNNRegressor
        The fitted estimator, predicting as the saved one did.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sksnn import SNNClassifier, load
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SNNClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.sksnn")
    >>> clf.save(path)
    >>> bool((load(path).predict(X) == clf.predict(X)).all())
    True
    """
    classes = {"SNNClassifier": SNNClassifier, "SNNRegressor": SNNRegressor}
    return _persistence.load(path, classes)
