"""The README's usage example and the docstring examples run."""

import doctest
import pathlib
import re
import warnings

import pytest

import sksnn._classes

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _readme_block(marker):
    """The README's one Python block that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (block,) = [block for block in blocks if marker in block]
    return block


def _run_readme_block(marker, capsys, namespace=None):
    """Run the README's Python block holding ``marker``; return what it printed."""
    namespace = {} if namespace is None else namespace
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(_readme_block(marker), "README.md", "exec"), namespace)
    return capsys.readouterr().out


def test_readme_first_screen_fits_exports_and_serves(capsys):
    """The README's first block: onnxruntime's labels equal predict's."""
    assert re.findall(r"```python\n(.*?)```", README.read_text(), re.S)[0] == (
        _readme_block("onnxruntime.InferenceSession")
    )
    out = _run_readme_block("onnxruntime.InferenceSession", capsys)
    onnx, sksnn = re.search(r"onnx: \[(.*)\] sksnn: \[(.*)\]", out).groups()
    assert onnx.split() == sksnn.split() and len(onnx.split()) == 5


def test_readme_usage_example_runs(capsys):
    """The usage block of README.md runs and prints a good accuracy."""
    out = _run_readme_block("test accuracy:", capsys)
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


def test_readme_raw_frame_example_runs(capsys):
    """The README's raw-frame block fits a raw DataFrame and predicts."""
    out = _run_readme_block("5-fold accuracy:", capsys)
    accuracy = float(re.search(r"5-fold accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9
    assert "[False False  True  True False  True]" in out


def test_readme_ensemble_example_runs(capsys):
    """The README's ensemble block predicts held-out rows with a spread."""
    out = _run_readme_block("n_ensembles=8", capsys)
    r2, std = re.search(r"R\^2 (-?[0-9.]+); members' std ([0-9.]+)", out).groups()
    assert float(r2) > 0.2  # a linear model scores 0.70 on these 42 rows
    assert float(std) > 0


def test_readme_scikeras_example_fits(capsys):
    """The README's scikeras block builds a pipeline that fits the SNN."""
    from sklearn.datasets import load_iris

    namespace = {}
    _run_readme_block("KerasClassifier(", capsys, namespace)
    X, y = load_iris(return_X_y=True)
    assert namespace["clf"].fit(X, y).score(X, y) > 0.85


@pytest.mark.parametrize("name", ["SNNClassifier", "SNNRegressor"])
def test_docstring_examples(name):
    """The Examples section of each estimator's docstring passes as a doctest."""
    finder = doctest.DocTestFinder(recurse=False)
    (test,) = finder.find(getattr(sksnn._classes, name), name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = doctest.DocTestRunner().run(test)
    assert result.attempted > 0
    assert result.failed == 0
