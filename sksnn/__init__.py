"""Self-normalizing neural networks as scikit-learn estimators."""

from sksnn._base import DivergenceWarning
from sksnn._classes import SNNClassifier, SNNRegressor
from sksnn._persistence import load

__version__ = "0.1.0"


def __getattr__(name):
    # layer_statistics needs pandas: imported when first used.
    if name == "layer_statistics":
        from sksnn._diagnostics import layer_statistics

        return layer_statistics
    raise AttributeError(f"module 'sksnn' has no attribute {name!r}")


__all__ = [
    "DivergenceWarning",
    "SNNClassifier",
    "SNNRegressor",
    "__version__",
    "layer_statistics",
    "load",
]
