"""Saving and loading fitted estimators without pickle.

A saved model is a zip archive of two members:

- ``model.json``: the format version, the versions of sksnn, Keras and
  scikit-learn that wrote it, the estimator's class and parameters, and its
  fitted scalars and lists (``n_iter_``, ``loss_curve_``, ``classes_``, ...);
- ``arrays.npz``: the weights and scaler statistics, read back with
  ``allow_pickle=False``.

Loading parses JSON and reads numeric arrays: nothing in the file is
executed, and no Keras import is needed to predict.
"""

import io
import json
import os
import struct
import tempfile
import zipfile
import zlib
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from sklearn.preprocessing import LabelBinarizer, StandardScaler

FORMAT = "sksnn-model"
# 2: categorical columns and missing values (the "encoding" entry); 3: PReLU
# slopes, RReLU and input_clip; 4: PSELU's blend weights (stored as slopes,
# which a reader of format 3 would take for PReLU's); 5: the periodic
# embedding of numeric_embedding='periodic'. A model is written in the oldest
# format that holds it (1 for an all-numeric SNN), which older sksnn reads
# right.
FORMAT_VERSION = 5
PERIODIC_ARRAYS = ("frequencies", "phases", "kernel", "bias")

# Fitted scalars and lists stored as JSON; arrays go to arrays.npz.
_JSON_ATTRIBUTES = [
    "n_features_in_",
    "n_outputs_",
    "n_layers_",
    "out_activation_",
    "loss_curve_",
    "best_loss_",
    "n_iter_",
    "t_",
    "loss_",
    "validation_scores_",
    "best_validation_score_",
    "_hidden_scale",
    "_network_params",
    "_no_improvement_count",
    "_schedule_start",
]


def _version(package):
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _json_value(value):
    """Turn a parameter into JSON; refuse what JSON cannot hold exactly."""
    if isinstance(value, np.random.RandomState):
        raise TypeError(
            "random_state is a RandomState instance, which cannot be saved as "
            "JSON; set it to an int or None before save()."
        )
    if isinstance(value, tuple):
        return {"__tuple__": [_json_value(v) for v in value]}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {
            "__dict__": [[_json_value(k), _json_value(v)] for k, v in value.items()]
        }
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    return value


def _from_json(value):
    if isinstance(value, dict) and "__ndarray__" in value:
        return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(_from_json(v) for v in value["__tuple__"])
    if isinstance(value, dict) and "__dict__" in value:
        return {_from_json(k): _from_json(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _scaler_arrays(prefix, scaler):
    if scaler is None:
        return {}
    return {
        f"{prefix}_{name}": getattr(scaler, name)
        for name in ("mean_", "scale_", "var_")
    }


def _arrays(estimator):
    arrays = {}
    for i, (coef, intercept) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        arrays[f"coef_{i}"], arrays[f"intercept_{i}"] = coef, intercept
    for i, norm in enumerate(estimator._batch_norms):
        for name, value in zip(("gamma", "beta", "mean", "variance"), norm):
            arrays[f"batch_norm_{i}_{name}"] = value
    if estimator._embedding is not None:
        arrays["embedding"] = estimator._embedding
    for i, slope in enumerate(estimator._slopes or ()):
        arrays[f"slope_{i}"] = slope
    if estimator._periodic is not None:
        for name, value in zip(PERIODIC_ARRAYS, estimator._periodic):
            arrays[f"periodic_{name}"] = value
    arrays.update(_scaler_arrays("scaler", estimator.scaler_))
    arrays.update(
        _scaler_arrays("target_scaler", getattr(estimator, "target_scaler_", None))
    )
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in_"] = estimator.feature_names_in_.astype(str)
    return arrays


def _labels(estimator):
    if not hasattr(estimator, "classes_"):
        return None
    classes = estimator.classes_
    if classes.dtype == object and not all(isinstance(c, str) for c in classes):
        raise TypeError(
            "classes_ mixes label types that cannot be saved as JSON; encode the "
            "labels as strings or integers."
        )
    return {
        "classes": classes.tolist(),
        "dtype": classes.dtype.str if classes.dtype != object else "object",
        "y_type": estimator._label_binarizer.y_type_,
    }


def _format_version(estimator):
    """The oldest format that holds the model: older sksnn reads it right."""
    if estimator._periodic is not None:
        return 5
    if estimator.activation == "pselu":
        return 4
    if estimator._slopes or estimator._network_params.get("input_clip") is not None:
        return 3
    if estimator.activation == "rrelu":
        return 3
    return 1 if estimator._encoding.is_identity else 2


def save(estimator, path):
    """Write a fitted sksnn estimator to ``path`` (see the module docstring)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    document = {
        "format": FORMAT,
        "format_version": _format_version(estimator),
        "versions": {p: _version(p) for p in ("sksnn", "keras", "scikit-learn")},
        "class": type(estimator).__name__,
        "params": {k: _json_value(v) for k, v in estimator.get_params().items()},
        "fitted": {k: _json_value(getattr(estimator, k)) for k in _JSON_ATTRIBUTES},
        "labels": _labels(estimator),
        "n_batch_norms": len(estimator._batch_norms),
        "n_slopes": len(estimator._slopes or ()),
        "encoding": estimator._encoding.to_document(),
        "is_categorical": None
        if estimator.is_categorical_ is None
        else estimator.is_categorical_.tolist(),
    }
    try:
        text = json.dumps(document, allow_nan=True)
    except TypeError as error:
        raise TypeError(
            f"The estimator cannot be saved: a parameter or fitted value is not "
            f"representable in the file ({error}). Set parameters to plain "
            "numbers, strings, tuples, lists or dicts of them."
        ) from None
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(estimator))
    _write_atomically(path, {"model.json": text, "arrays.npz": buffer.getvalue()})


def _write_atomically(path, members):
    """Write a zip of ``members`` to ``path`` through a renamed temporary file.

    The temporary file is in the folder of ``path``, so that the rename is
    atomic: ``path`` holds either its old content or the whole new one.
    """
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    handle, temporary = tempfile.mkstemp(suffix=".tmp", prefix=".sksnn-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _read(path):
    try:
        with zipfile.ZipFile(path) as archive:
            document = json.loads(archive.read("model.json"))
            arrays = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
            arrays = {name: arrays[name] for name in arrays.files}
    except (
        zipfile.BadZipFile,
        zlib.error,
        struct.error,
        KeyError,
        ValueError,
        EOFError,
        OSError,
        NotImplementedError,  # zipfile, for flag bits it does not support
    ) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"{path!s} is not a readable sksnn model file ({type(error).__name__}: "
            f"{error}). It may be truncated or corrupted, or another kind of file; "
            "save the model again with est.save(path)."
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path!s} is not an sksnn model file: it has no sksnn header."
        )
    if document.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path!s} was saved in sksnn model format {document['format_version']} "
            f"(by sksnn {document.get('versions', {}).get('sksnn')}); this sksnn "
            f"reads formats up to {FORMAT_VERSION}. Upgrade sksnn to load it."
        )
    return document, arrays


# Parameters added after the first release, at the value that gives what
# sksnn did before they existed: a file or pickle without one was fitted so.
ADDED_PARAMETERS = {
    "input_clip": None,
    "input_scale": False,
    "numeric_embedding": None,
    "label_smoothing": 0.0,
    "scoring": None,
    # MLP's names, added with these values (Keras' epsilon before them).
    "power_t": 0.5,
    "max_fun": 15000,
    "shuffle": True,
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-7,
    "loss": "squared_error",
    "n_ensembles": 1,
}


def restore_counters(state):
    """Give ``state`` (an estimator's ``__dict__``) the ``loss_``, ``t_`` and
    ``_no_improvement_count`` and ``_schedule_start`` that estimators saved
    before these lack."""
    if "loss_" not in state:
        curve = state.get("loss_curve_") or [None]
        state["loss_"] = curve[-1]
    state.setdefault("t_", 0)  # unknown: a continued invscaling starts anew
    state.setdefault("_no_improvement_count", 0)
    state.setdefault("_schedule_start", 0)  # the plans counted from n_iter_ 0


def added_parameters(Estimator):
    """``{name: value before it existed}`` of ``Estimator``'s added parameters."""
    names = Estimator._get_param_names()
    return {k: v for k, v in ADDED_PARAMETERS.items() if k in names}


def _fitted_parameters(estimator):
    from sksnn._data import check_hidden_layer_sizes
    from sksnn._training import network_parameters

    return network_parameters(
        estimator, check_hidden_layer_sizes(estimator.hidden_layer_sizes)
    )


def _scaler(arrays, prefix):
    if f"{prefix}_mean_" not in arrays:
        return None
    scaler = StandardScaler()
    for name in ("mean_", "scale_", "var_"):
        setattr(scaler, name, arrays[f"{prefix}_{name}"])
    scaler.n_features_in_ = scaler.mean_.shape[0]
    return scaler


def _restore_encoding(estimator, document):
    from sksnn import _tabular

    if "encoding" not in document:  # files of sksnn before categorical support
        scaler = estimator.scaler_
        fill = np.zeros(estimator.n_features_in_) if scaler is None else scaler.mean_
        estimator._encoding = _tabular.identity(estimator.n_features_in_, fill)
        estimator.is_categorical_ = None
        return
    estimator._encoding = _tabular.Encoding.from_document(document["encoding"])
    mask = document["is_categorical"]
    estimator.is_categorical_ = None if mask is None else np.asarray(mask, dtype=bool)


def _restore_labels(estimator, labels):
    dtype = object if labels["dtype"] == "object" else np.dtype(labels["dtype"])
    classes = np.asarray(labels["classes"], dtype=dtype)
    multilabel = labels["y_type"].startswith("multilabel")
    fit_on = np.eye(len(classes), dtype=int) if multilabel else classes
    estimator._label_binarizer = LabelBinarizer().fit(fit_on)
    estimator.classes_ = classes


def load(path, classes):
    """Load an estimator written by ``save``; never executes code from the file.

    Parameters
    ----------
    path : str or path-like
        A file written by ``SNNClassifier.save`` or ``SNNRegressor.save``.
    classes : dict
        The estimator classes a file may hold, by name.

    Returns
    -------
    estimator : SNNClassifier or SNNRegressor
        The fitted estimator, predicting as the saved one did.
    """
    document, arrays = _read(path)
    if document.get("class") not in classes:
        raise ValueError(
            f"{path!s} holds an unknown estimator {document.get('class')!r}."
        )
    try:
        Estimator = classes[document["class"]]
        params = {k: _from_json(v) for k, v in document["params"].items()}
        estimator = Estimator(**{**added_parameters(Estimator), **params})
        for name, value in document["fitted"].items():
            setattr(estimator, name, _from_json(value))
        restore_counters(estimator.__dict__)
        # Files written before a parameter existed: it was at its default.
        estimator._network_params = {
            **_fitted_parameters(estimator),
            **getattr(estimator, "_network_params", {}),
        }
        estimator._solver_state = None
        n_layers = estimator.n_layers_ - 1
        estimator.coefs_ = [arrays[f"coef_{i}"] for i in range(n_layers)]
        estimator.intercepts_ = [arrays[f"intercept_{i}"] for i in range(n_layers)]
        estimator._batch_norms = [
            tuple(
                arrays[f"batch_norm_{i}_{n}"]
                for n in ("gamma", "beta", "mean", "variance")
            )
            for i in range(document["n_batch_norms"])
        ]
        estimator.scaler_ = _scaler(arrays, "scaler")
        estimator._embedding = arrays.get("embedding")
        n_slopes = document.get("n_slopes", 0)
        estimator._slopes = [arrays[f"slope_{i}"] for i in range(n_slopes)] or None
        estimator._periodic = None
        if "periodic_kernel" in arrays:
            estimator._periodic = tuple(
                arrays[f"periodic_{name}"] for name in PERIODIC_ARRAYS
            )
        _restore_encoding(estimator, document)
        if document["labels"] is not None:
            _restore_labels(estimator, document["labels"])
        else:
            estimator.target_scaler_ = _scaler(arrays, "target_scaler")
        if "feature_names_in_" in arrays:
            estimator.feature_names_in_ = arrays["feature_names_in_"].astype(object)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path!s} is an sksnn model file with missing or inconsistent "
            f"content ({type(error).__name__}: {error}); it may be corrupted."
        ) from None
    return estimator
