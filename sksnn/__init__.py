"""Self-normalizing neural networks as scikit-learn estimators."""

from sksnn._classes import SNNClassifier, SNNRegressor

__version__ = "0.1.0"

__all__ = ["SNNClassifier", "SNNRegressor", "__version__"]
