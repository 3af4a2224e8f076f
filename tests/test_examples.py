"""The examples run, in their fast mode, so that they cannot rot."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _run(name, folder):
    """Run examples/<name>.py in ``folder`` with SKSNN_EXAMPLES_FAST=1."""
    env = dict(os.environ, SKSNN_EXAMPLES_FAST="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(EXAMPLES.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", str(EXAMPLES / f"{name}.py")],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_every_example_has_a_test():
    """Each examples/plot_*.py script is run by a test below."""
    tested = {"plot_digits", "plot_boston_grid_search", "plot_why_self_normalization"}
    assert {path.stem for path in EXAMPLES.glob("plot_*.py")} == tested


def test_plot_digits(tmp_path):
    """plot_digits prints the SNN's and the MLP's test accuracy, both well above 0.1."""
    out = _run("plot_digits", tmp_path)
    for model in ("SNN", "MLP"):
        match = re.search(
            rf"^{model}: (\d+) epochs, test accuracy ([0-9.]+)$", out, re.M
        )
        assert match, out
        assert 1 <= int(match.group(1)) <= 10  # the fast mode's max_iter
        assert 0.5 < float(match.group(2)) <= 1  # chance is 0.1


def test_plot_boston_grid_search(tmp_path):
    """plot_boston_grid_search prints one row per candidate and a test RMSE."""
    pytest.importorskip("mlxtend")
    out = _run("plot_boston_grid_search", tmp_path)
    table, best = out.strip().split("\nbest: ")
    rows = [line.split() for line in table.splitlines()[1:]]
    assert sorted(row[0] for row in rows) == ["relu", "selu"]  # the fast grid
    cv_rmse = [float(row[-1]) for row in rows]
    assert cv_rmse == sorted(cv_rmse)  # best first
    assert f"'snnregressor__activation': '{rows[0][0]}'" in best
    rmse = float(re.search(r"test RMSE ([0-9.]+) \(thousand dollars\)", best).group(1))
    assert 0 < rmse < 7  # predicting the mean gives 9.2 (measured: 4.7)


def test_plot_why_self_normalization(tmp_path):
    """plot_why_self_normalization prints the layer statistics and writes the PNG."""
    pytest.importorskip("matplotlib")
    out = _run("plot_why_self_normalization", tmp_path)
    stds = dict(
        re.findall(r"^(.+?)\s+std layer 1 [0-9.]+, layer 6 ([0-9.]+);", out, re.M)
    )
    assert set(stds) == {
        "SELU + LeCun (SNN)",
        "ReLU + He",
        "tanh + Glorot",
        "logistic + N(0,1)",
    }
    assert 0.7 < float(stds["SELU + LeCun (SNN)"]) < 1.3  # self-normalized
    assert "wrote why_self_normalization.png" in out
    png = (tmp_path / "why_self_normalization.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
