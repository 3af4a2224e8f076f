"""The README's usage example and the docstring examples run."""

import doctest
import pathlib
import re
import warnings

import pytest

import sksnn._classes

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _run_readme_block(index, capsys):
    """Run the README's Python block number ``index``; return what it printed."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(blocks[index], "README.md", "exec"), {})
    return capsys.readouterr().out


def test_readme_usage_example_runs(capsys):
    """The first Python block of README.md runs and prints a good accuracy."""
    out = _run_readme_block(0, capsys)
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


def test_readme_raw_frame_example_runs(capsys):
    """The README's second Python block fits a raw DataFrame and predicts."""
    out = _run_readme_block(1, capsys)
    accuracy = float(re.search(r"5-fold accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9
    assert "[False False  True  True False  True]" in out


def test_readme_ensemble_example_runs(capsys):
    """The README's ensemble block predicts held-out rows with a spread."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (index,) = [i for i, block in enumerate(blocks) if "n_ensembles=8" in block]
    out = _run_readme_block(index, capsys)
    r2, std = re.search(r"R\^2 (-?[0-9.]+); members' std ([0-9.]+)", out).groups()
    assert float(r2) > 0.2  # a linear model scores 0.70 on these 42 rows
    assert float(std) > 0


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
