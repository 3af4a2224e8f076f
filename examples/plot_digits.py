"""
Classifying digits with a self-normalizing network
==================================================

A deep SNN (8 x 100 SELU layers, LeCun-normal weights, built-in
standardization) on scikit-learn's bundled 8x8 digits, next to
scikit-learn's MLP of the same shape. Runs offline in about a minute on two
cores: ``python examples/plot_digits.py``.
"""

# %%
# Load the data (bundled with scikit-learn, no download) and hold out a test set.
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sksnn import SNNClassifier

# SKSNN_EXAMPLES_FAST=1 (tests/test_examples.py sets it) trains 2 layers for
# at most 10 epochs, so that the script runs in seconds.
FAST = os.environ.get("SKSNN_EXAMPLES_FAST") == "1"
HIDDEN = (100,) * (2 if FAST else 8)
MAX_ITER = 10 if FAST else 100

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)  # float32 trains faster than float64
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# Fit the SNN with early stopping on a held-out tenth of the training data.
snn = SNNClassifier(
    hidden_layer_sizes=HIDDEN,
    n_ensembles=1,  # one network, the MLP's shape below
    early_stopping=True,
    max_iter=MAX_ITER,
    random_state=0,
)
snn.fit(X_train, y_train)
print(f"SNN: {snn.n_iter_} epochs, test accuracy {snn.score(X_test, y_test):.4f}")

# %%
# The same shape with scikit-learn's MLP (ReLU, Glorot init, Adam).
mlp = MLPClassifier(
    hidden_layer_sizes=HIDDEN, early_stopping=True, max_iter=MAX_ITER, random_state=0
)
mlp.fit(X_train / 16, y_train)
print(f"MLP: {mlp.n_iter_} epochs, test accuracy {mlp.score(X_test / 16, y_test):.4f}")
