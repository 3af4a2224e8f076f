"""The documentation site: the user guide is the README, and the site builds."""

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _conf():
    spec = importlib.util.spec_from_file_location("docs_conf", ROOT / "docs/conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_guide_pages_hold_every_readme_section(tmp_path):
    """One page per section (Usage's subsections apart), none of the text lost."""
    readme = (ROOT / "README.md").read_text()
    names = _conf().guide_pages(folder=tmp_path)
    headings = re.findall(r"^## (.*)$", readme, re.M)
    usage = readme.split("\n## Usage\n")[1].split("\n## ")[0]
    expected = len(headings) + len(re.findall(r"^### ", usage, re.M))
    assert len(names) == expected == len(set(names))
    pages = "".join((tmp_path / f"{name}.md").read_text() for name in names)
    words = lambda text: re.findall(r"\w+", text)  # noqa: E731
    body = readme[readme.index("\n## ") :].replace("](docs/", "](../")
    assert words(pages) == words(body)
    index = (tmp_path / "index.md").read_text()
    assert all(name in index for name in names)


@pytest.mark.slow
def test_site_builds_offline_with_warnings_as_errors(tmp_path):
    """python -m sphinx -W: API reference, user guide and the gallery (the
    examples run, in their short versions)."""
    env = dict(os.environ, SKSNN_EXAMPLES_FAST="1")
    # sphinx-gallery skips examples whose generated pages (in docs/, ignored by
    # git) are newer than the script, e.g. from a build with plot_gallery=0.
    shutil.rmtree(ROOT / "docs" / "auto_examples", ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "docs",
         str(tmp_path / "html")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    html = tmp_path / "html"
    api = (html / "generated" / "sksnn.SNNClassifier.html").read_text()
    assert "predict_proba" in api and "hidden_layer_sizes" in api
    assert (html / "guide" / "onnx-keras-scikeras-and-skops.html").exists()
    # The examples ran: their printed output and their figures are in the pages.
    digits = (html / "auto_examples" / "plot_digits.html").read_text()
    assert "sphx-glr-script-out" in digits and "accuracy" in digits
    why = (html / "auto_examples" / "plot_why_self_normalization.html").read_text()
    assert "sphx_glr_plot_why_self_normalization_001.png" in why
