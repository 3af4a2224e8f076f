"""The README's usage example and the docstring examples run."""

import doctest
import pathlib
import re
import warnings

import pytest

import sksnn._classes

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_usage_example_runs(capsys):
    """The first Python block of README.md runs and prints a good accuracy."""
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert accuracy > 0.9


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
