"""Checks and splits of the data one fit trains on; numpy and scikit-learn only."""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data

from sksnn import _random


class Data(NamedTuple):
    """Rows the network trains or is validated on."""

    X: np.ndarray  # as given: the epoch standardizes each mini-batch
    y: np.ndarray  # as given, for scoring
    Y: np.ndarray  # 2-D float target of the network
    w: np.ndarray  # sample weights


def check_hidden_layer_sizes(hidden_layer_sizes):
    """Return ``hidden_layer_sizes`` as a list of ints, or raise a ValueError."""
    hidden = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if (
        hidden.ndim != 1
        or hidden.size == 0
        or not np.issubdtype(hidden.dtype, np.integer)
        or np.any(hidden < 1)
    ):
        raise ValueError(
            "hidden_layer_sizes must be a positive int or a non-empty sequence "
            f"of positive ints, e.g. (100, 100); got {hidden_layer_sizes!r}."
        )
    return [int(width) for width in hidden]


# n_ensembles='auto': the members of the default ensemble (measured in the
# README's "Defaults, measured"), or one network with batch_norm=True, whose
# normalization of the batch the members cannot share.
AUTO_MEMBERS = 4


def n_members(params):
    """How many networks train as one under ``params`` (an estimator's
    parameters, or a dict of them): ``n_ensembles`` resolved."""
    if isinstance(params, dict):
        n_ensembles, batch_norm = params["n_ensembles"], params["batch_norm"]
    else:
        n_ensembles, batch_norm = params.n_ensembles, params.batch_norm
    if n_ensembles == "auto":
        return 1 if batch_norm else AUTO_MEMBERS
    return n_ensembles


# The solvers of RealMLP's input levers: their step-size factors (6 for
# input_scale, 0.1 for the periodic embedding) are reparametrizations, which
# give those factors only where a step does not grow with the gradient.
SCALE_FREE_SOLVERS = ("adam", "nadam")


def input_levers(params):
    """``(input_scale, numeric_embedding)`` under ``params`` (an estimator's
    parameters, or a dict of them), ``'auto'`` resolved: on (``'periodic'``)
    for Adam and Nadam, off for the other solvers."""
    get = params.get if isinstance(params, dict) else params.__getattribute__
    scale, embedding = get("input_scale"), get("numeric_embedding")
    on = get("solver") in SCALE_FREE_SOLVERS
    if scale == "auto":
        scale = on
    if embedding == "auto":
        embedding = "periodic" if on else None
    return scale, embedding


def split(data, *, validation_fraction, stratify, seed):
    """Hold out ``validation_fraction`` of the rows; return ``(train, val)``.

    Which rows are held out depends on their content, not their positions:
    each row (its features) gets a hash salted by the seed, and
    the rows of the smallest hashes are held out until they carry
    ``validation_fraction`` of the sample weight (of each class, when
    stratified). Equal rows so land on the same side, and a row of weight 2
    goes where two copies of it go: weighted rows train and validate as
    repeated rows do (scikit-learn's sample-weight equivalence).
    """
    n_samples = data.X.shape[0]
    n_val = _validation_size(n_samples, validation_fraction, stratify)
    if not 0 < n_val < n_samples:
        raise ValueError(
            f"The validation set is too small: early_stopping=True cannot hold "
            f"out validation_fraction={validation_fraction} of "
            f"n_samples={n_samples}: it needs "
            f"{n_val} validation samples and at least 1 training sample. "
            "Change validation_fraction, pass more samples, or set "
            "early_stopping=False."
        )
    salt = _random.stream_seeds(seed, _random.VALIDATION_STREAM, 1)[0]
    hashes = _row_hashes(data.X, salt)
    if stratify is None:
        groups, at_least = [np.arange(n_samples)], 2  # R^2 needs two rows
    else:
        groups = [np.flatnonzero(stratify == c) for c in np.unique(stratify)]
        at_least = 1
    held_out = np.zeros(n_samples, dtype=bool)
    for rows in groups:
        held_out[rows] = _lowest_hashes(
            hashes[rows], data.w[rows], validation_fraction, at_least
        )
    if held_out.all() or not held_out.any():
        raise ValueError(
            f"early_stopping=True found no split of these {n_samples} samples "
            "into training and validation rows: they hold too few distinct "
            "rows. Pass more samples, or set early_stopping=False."
        )
    train, val = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    return Data(*(a[train] for a in data)), Data(*(a[val] for a in data))


def check_stratifiable(labels, weights):
    """Refuse a stratified split (``early_stopping=True``) of a class that
    has fewer than two rows of positive weight, as scikit-learn's
    ``train_test_split`` (MLP's split) does."""
    classes, counts = np.unique(labels[weights > 0], return_counts=True)
    few = classes[counts < 2]
    if few.size:
        raise ValueError(
            "The least populated classes in y have only 1 member, which is too "
            "few to hold out a stratified validation split for "
            f"early_stopping=True. Classes with too few members are: "
            f"{few.tolist()}. Pass more rows of them, or set "
            "early_stopping='auto' (which keeps such rows in the training "
            "rows) or False."
        )


def _row_hashes(X, salt):
    """A 64-bit hash of each row of X, salted (pandas' row hash). The target
    is left out: rescaling it, or giving it another dtype, keeps the split."""
    import pandas as pd

    # In float64: float32 input of the same values gets the same split.
    X = X.astype(np.float64, copy=False)
    columns = {f"x{i}": X[:, i] for i in range(X.shape[1])}
    columns["salt"] = np.full(len(X), salt)
    frame = pd.DataFrame(columns)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _lowest_hashes(hashes, weights, fraction, at_least):
    """Mask of the rows of the smallest hashes that carry ``fraction`` of the
    weight, and at least ``at_least`` distinct rows while others remain.

    Rows of zero weight count for nothing: the cut is a hash value, which
    removing them (or repeating the others) does not move.
    """
    unique, inverse = np.unique(hashes, return_inverse=True)
    weight = np.bincount(inverse, weights=weights, minlength=len(unique))
    weighed = np.flatnonzero(weight > 0)
    if len(weighed) < 2:
        return np.zeros(len(hashes), dtype=bool)
    covered = np.cumsum(weight[weighed])
    n_held = int(np.searchsorted(covered, fraction * covered[-1]) + 1)
    n_held = min(max(n_held, at_least), len(weighed) - 1)
    return inverse <= weighed[n_held - 1]


def _validation_size(n_samples, validation_fraction, stratify):
    """Samples to hold out: the fraction, but enough to score on."""
    n_val = int(np.ceil(validation_fraction * n_samples))
    # One per class to stratify; two for R^2, undefined on one sample.
    needed = 2 if stratify is None else len(np.unique(stratify))
    if n_val < needed:
        warnings.warn(
            f"validation_fraction={validation_fraction} of n_samples="
            f"{n_samples} gives {n_val} validation samples, fewer than the "
            f"{needed} needed to score on; holding out {needed}.",
            UserWarning,
        )
    return max(n_val, needed)


def normalized(sample_weight):
    """Scale the weights to mean 1, so that a weight of 2 acts as a repeated row."""
    total = sample_weight.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError(
            "sample_weight must be finite and give at least one training sample "
            f"a positive weight; got weights summing to {total}."
        )
    return sample_weight * (sample_weight.shape[0] / total)


def checked_scaler(X, sample_weight, name):
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


def validate(estimator, *args, **kwargs):
    """validate_data, with a fix in the message when values are not numbers."""
    try:
        return validate_data(estimator, *args, **kwargs)
    except (OverflowError, ValueError) as error:
        if isinstance(error, ValueError) and "could not convert" not in str(error):
            raise
        raise ValueError(
            f"The input holds values that are not usable numbers ({error}). "
            "Pass categorical or text columns in a DataFrame (with a category, "
            "object or string dtype) or list them in categorical_features; "
            "rescale values beyond float64's range."
        ) from None
