"""Self-normalizing neural networks as scikit-learn estimators."""

from sksnn._base import DivergenceWarning
from sksnn._classes import SNNClassifier, SNNRegressor
from sksnn._persistence import load

__version__ = "0.1.0"

__all__ = [
    "DivergenceWarning",
    "SNNClassifier",
    "SNNRegressor",
    "__version__",
    "load",
]
