"""Sphinx configuration of sksnn's documentation site.

Build it offline, warnings as errors (``pip install ".[docs]"`` first):

    python -m sphinx -W -b html docs docs/_build/html

The user guide is the README, one page per section: ``guide_pages`` writes
``docs/guide/*.md`` from README.md at every build, so that the two never
differ. The API reference comes from the docstrings (numpydoc), the gallery
from ``examples/`` (sphinx-gallery runs them; SKSNN_EXAMPLES_FAST=1 runs
their short versions).
"""

import os
import pathlib
import re
import warnings

import sksnn

ROOT = pathlib.Path(__file__).resolve().parents[1]
HERE = ROOT / "docs"

project = "sksnn"
author = "The sksnn developers"
copyright = "2026, The sksnn developers"
release = version = sksnn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "**.ipynb_checkpoints"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}
html_title = f"sksnn {version}"
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "matplotlib_animations": False,
    "remove_config_comments": True,
}


def guide_pages(readme=ROOT / "README.md", folder=HERE / "guide"):
    """Write one Markdown page per README section; return their names.

    Each ``##`` section is a page, but ``## Usage``, whose ``###``
    subsections are pages of their own. Headings move up so that each page
    starts at ``#``; links to files under docs/ follow the page.
    """
    text = readme.read_text()
    folder.mkdir(exist_ok=True)
    sections = re.split(r"^(?=## )", text, flags=re.M)[1:]
    pages = []
    for section in sections:
        title = section.splitlines()[0][3:]
        if title == "Usage":
            parts = re.split(r"^(?=### )", section, flags=re.M)
            pages.append(_page(parts[0], 2))
            pages += [_page(part, 3) for part in parts[1:]]
        else:
            pages.append(_page(section, 2))
    names = []
    for title, body in pages:
        name = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        (folder / f"{name}.md").write_text(body)
        names.append(name)
    (folder / "index.md").write_text(
        "# User guide\n\nThe README's sections, one page each.\n\n"
        "```{toctree}\n:maxdepth: 1\n\n" + "\n".join(names) + "\n```\n"
    )
    return names


def _page(section, level):
    body = re.sub(
        rf"^(#{{{level},6}}) ",
        lambda m: "#" * (len(m.group(1)) - level + 1) + " ",
        section,
        flags=re.M,
    )
    body = body.replace("](docs/", "](../")
    return section.splitlines()[0].lstrip("# ").strip(), body


guide_pages()

warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)
os.environ.setdefault("MPLBACKEND", "agg")
