"""Pickle, joblib and loading in a fresh process."""

import io
import pickle
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError

from sksnn import SNNClassifier, SNNRegressor
from sksnn._network import DENSE_LAYERS


@pytest.fixture(params=["classifier", "regressor"])
def fitted(request, fitted_classifier, fitted_regressor, iris, diabetes):
    if request.param == "classifier":
        return fitted_classifier, iris[0]
    return fitted_regressor, diabetes[0]


def test_pickle_round_trip(fitted):
    """A pickled fitted estimator predicts the same and keeps its parameters."""
    est, X = fitted
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded.get_params() == est.get_params()
    assert_array_equal(loaded.predict(X), est.predict(X))


def test_pickle_holds_no_keras_object(fitted):
    """The pickle stores weights as numpy, not a Keras model."""
    est, _ = fitted
    est.model_  # make sure a live model exists before pickling
    assert b"keras" not in pickle.dumps(est)


def test_joblib_round_trip(fitted):
    """joblib dump/load preserves predictions."""
    est, X = fitted
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    assert_array_equal(joblib.load(buffer).predict(X), est.predict(X))


def test_model_is_rebuilt_after_unpickling(fitted):
    """model_ of an unpickled estimator is a Keras model with the same weights."""
    est, X = fitted
    loaded = pickle.loads(pickle.dumps(est))
    dense = [layer for layer in loaded.model_.layers if isinstance(layer, DENSE_LAYERS)]
    assert_array_equal(dense[0].get_weights()[0], est.coefs_[0])
    assert_array_equal(dense[-1].get_weights()[1], est.intercepts_[-1])


def test_loads_in_a_fresh_process(tmp_path, fitted_classifier, iris):
    """A pickled estimator loads and predicts in a new Python process."""
    X, _ = iris
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted_classifier))
    np.save(tmp_path / "X.npy", X)
    code = (
        "import pickle, sys, numpy as np; "
        f"est = pickle.loads(open({str(path)!r}, 'rb').read()); "
        f"np.save({str(tmp_path / 'pred.npy')!r}, est.predict_proba("
        f"np.load({str(tmp_path / 'X.npy')!r}))); "
        "print('keras' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"  # predicting needs no Keras import
    assert_array_equal(
        np.load(tmp_path / "pred.npy"), fitted_classifier.predict_proba(X)
    )


@pytest.mark.parametrize("Estimator", [SNNClassifier, SNNRegressor])
def test_unfitted_model_attribute(Estimator):
    """model_ of an unfitted estimator raises NotFittedError (an AttributeError)."""
    message = f"This {Estimator.__name__} instance is not fitted yet."
    with pytest.raises(NotFittedError, match=f"^{re.escape(message)}"):
        Estimator().model_
    assert issubclass(NotFittedError, AttributeError)
    assert not hasattr(Estimator(), "model_")
