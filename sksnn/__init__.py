"""Self-normalizing neural networks as scikit-learn estimators."""

from sksnn._classes import SNNClassifier, SNNRegressor, load
from sksnn._engine import clear_network_cache
from sksnn._training import DivergenceWarning

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
    "clear_network_cache",
    "layer_statistics",
    "load",
]
