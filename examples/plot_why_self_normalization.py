"""
Why self-normalization: the signal through 30 layers
====================================================

Layer statistics of four 30-layer networks at initialization on the digits:
the SNN's activations keep mean 0 and standard deviation 1 and its gradient
reaches the first layer; a logistic network with N(0, 1) weights saturates
and its first layers barely learn. Then the learning curves of two of them.
Runs offline in about a minute: ``python examples/plot_why_self_normalization.py``
(needs ``sksnn[examples]``); writes ``why_self_normalization.png``.
"""

# %%
import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import sksnn  # noqa: E402
from sksnn import SNNClassifier  # noqa: E402
from sksnn.plotting import plot_layer_statistics, plot_learning_curves  # noqa: E402

# SKSNN_EXAMPLES_FAST=1 (tests/test_examples.py sets it) builds 6-layer
# networks and trains them 3 epochs, so that the script runs in seconds.
FAST = os.environ.get("SKSNN_EXAMPLES_FAST") == "1"
DEPTH = 6 if FAST else 30

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
setups = {
    "SELU + LeCun (SNN)": dict(activation="selu", kernel_initializer="lecun_normal"),
    "ReLU + He": dict(activation="relu", kernel_initializer="he_normal"),
    "tanh + Glorot": dict(activation="tanh", kernel_initializer="glorot_normal"),
    "logistic + N(0,1)": dict(activation="logistic", kernel_initializer="normal"),
}
nets = {
    name: SNNClassifier(
        hidden_layer_sizes=(100,) * DEPTH,
        n_ensembles=1,
        max_iter=3 if FAST else 40,
        early_stopping=True,
        random_state=0,
        **params,
    )
    for name, params in setups.items()
}

# %%
# Statistics at initialization (unfitted estimators: the weights fit starts from).
statistics = {name: sksnn.layer_statistics(net, X, y) for name, net in nets.items()}
for name, table in statistics.items():
    first, last = table.iloc[0], table.iloc[-1]
    print(
        f"{name:<20} std layer 1 {first.activation_std:.2f}, layer {DEPTH} "
        f"{last.activation_std:.2f}; gradient first/last "
        f"{first.grad_norm / last.grad_norm:.3g}"
    )

# %%
# Train the SNN and the logistic net and compare their learning curves.
fitted = {
    name: nets[name].fit(X, y) for name in ("SELU + LeCun (SNN)", "logistic + N(0,1)")
}
fig, axes = plt.subplots(2, 3, figsize=(13, 7))
plot_layer_statistics(statistics, axes=axes[0])
plot_learning_curves(fitted, axes=axes[1][:2])
axes[1][2].axis("off")
fig.tight_layout()
fig.savefig("why_self_normalization.png", dpi=100)
print("wrote why_self_normalization.png")
