"""Property-based tests: random shapes, dtypes, labels and values on tiny budgets.

The only allowed outcomes are success with finite outputs of the right shape
and type, or a clear ValueError / TypeError.
"""

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning

from sksnn import SNNClassifier, SNNRegressor

TINY = dict(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

shapes = st.tuples(st.integers(1, 12), st.integers(1, 5))
dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_])
values = st.one_of(
    st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1e30])
)


@st.composite
def matrices(draw):
    shape = draw(shapes)
    dtype = draw(dtypes)
    X = draw(hnp.arrays(np.float64, shape, elements=values))
    with np.errstate(invalid="ignore", over="ignore"):
        return (
            X
            if dtype in (np.float64, np.float32) and draw(st.booleans())
            else (np.nan_to_num(X).clip(-1e6, 1e6).astype(dtype))
        )


labels = st.sampled_from(
    [
        np.array([0, 1]),
        np.array(["a", "b", "c"]),
        np.array([-1.0, 2.5]),
        np.array([True, False]),
    ]
)


def _fit_predict(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(X, y)
        except (ValueError, TypeError) as error:
            assert str(error)  # a message, not a bare error
            return None
        return estimator


@SETTINGS
@given(X=matrices(), label_set=labels, data=st.data())
def test_classifier_fit_predict_properties(X, label_set, data):
    """The classifier either fits and predicts known labels, or raises clearly."""
    y = label_set[
        data.draw(
            hnp.arrays(
                np.int64, X.shape[0], elements=st.integers(0, len(label_set) - 1)
            )
        )
    ]
    clf = _fit_predict(SNNClassifier(**TINY), X, y)
    if clf is None:
        return
    proba = clf.predict_proba(X)
    assert proba.shape == (X.shape[0], len(clf.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= set(clf.classes_)


@SETTINGS
@given(X=matrices(), n_outputs=st.integers(1, 3), data=st.data())
def test_regressor_fit_predict_properties(X, n_outputs, data):
    """The regressor either fits and predicts finite values, or raises clearly."""
    y = data.draw(hnp.arrays(np.float64, (X.shape[0], n_outputs), elements=values))
    y = y.ravel() if n_outputs == 1 else y
    reg = _fit_predict(SNNRegressor(**TINY), X, y)
    if reg is None:
        return
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert pred.dtype.kind == "f"
    assert np.isfinite(pred).all()


def test_convergence_warnings_are_the_only_warnings(iris):
    """A plain fit emits no warning other than ConvergenceWarning."""
    X, y = iris
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SNNClassifier(**TINY).fit(X, y).predict(X)
    assert {type(w.message) for w in caught} <= {ConvergenceWarning}
