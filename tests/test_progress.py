"""verbose: MLP's lines at any positive int, a bar at 'progress' (not in
workers) and 'progress_all' (everywhere)."""

import contextlib
import io
import re
import sys
import warnings

import joblib
import pytest
from sklearn.datasets import load_iris

from sksnn import SNNClassifier, SNNRegressor
from sksnn._progress import shows_bar

X, y = load_iris(return_X_y=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("verbose", [1, True, 10])  # MLP prints for any of them
def test_positive_verbose_prints_mlp_lines_only(capsys, verbose):
    SNNClassifier((4,), max_iter=3, verbose=verbose, random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert re.findall(r"Iteration (\d), loss = \d\.\d{8}", out) == ["1", "2", "3"]
    assert "epoch" not in err


def test_progress_draws_a_bar_on_stderr(capsys):
    """Not a terminal (pytest captures): the bar still writes, and ends full."""
    SNNClassifier((4,), max_iter=5, verbose="progress", random_state=0).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    assert "SNNClassifier" in err and "5/5" in err and "loss=" in err


def test_bar_shows_validation_score_and_stops_early(capsys):
    est = SNNRegressor(
        (4,), max_iter=50, verbose="progress", early_stopping=True, n_iter_no_change=1,
        tol=1e9, random_state=0,
    )  # fmt: skip
    est.fit(X[:, :3], X[:, 3])
    err = capsys.readouterr().err
    assert "validation=" in err
    assert "Validation score did not improve" in err
    assert f"{est.n_iter_}/50" in err and est.n_iter_ < 50


def test_no_stderr_no_bar(monkeypatch):
    """pythonw and some services run with sys.stderr None: fit still works."""
    monkeypatch.setattr(sys, "stderr", None)
    est = SNNClassifier((4,), max_iter=2, verbose="progress", random_state=0).fit(X, y)
    assert est.n_iter_ == 2


@pytest.mark.parametrize(
    "verbose, in_worker, expected",
    [(0, False, False), (1, False, False), (10, False, False),
     ("progress", False, True), ("progress", True, False),
     ("progress_all", True, True), ("progress_all", False, True)],
)  # fmt: skip
def test_shows_bar(verbose, in_worker, expected):
    assert shows_bar(verbose, in_worker) is expected


def _fit_in_worker(verbose):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SNNClassifier((4,), max_iter=2, verbose=verbose, random_state=0).fit(X, y)
    return err.getvalue()


def test_joblib_workers_draw_no_bar_unless_asked():
    outputs = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_fit_in_worker)(verbose)
        for verbose in ("progress", "progress_all")
    )
    assert outputs[0] == ""
    assert "2/2" in outputs[1]


def test_unknown_verbose_string_is_refused():
    with pytest.raises(ValueError, match="verbose"):
        SNNClassifier(verbose="bar").fit(X, y)
