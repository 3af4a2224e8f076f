"""
Boston Housing: a grid search over activation and initializer
=============================================================

A Pipeline around an SNNRegressor, searched with GridSearchCV over the
activation x initializer grid, on the Boston Housing data that ships with
mlxtend (no download). The target is in thousands of dollars: the regressor
standardizes it inside. Runs offline in a few minutes on two cores:
``python examples/plot_boston_grid_search.py`` (needs ``sksnn[examples]``).
"""

# %%
# Load the data and hold out a test set.
import os
import warnings

import numpy as np
import pandas as pd
from mlxtend.data import boston_housing_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import QuantileTransformer

from sksnn import SNNRegressor

# SKSNN_EXAMPLES_FAST=1 (tests/test_examples.py sets it) searches a 2-point
# grid of small networks on one process, so that the script runs in seconds.
FAST = os.environ.get("SKSNN_EXAMPLES_FAST") == "1"

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = boston_housing_data()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# The pipeline: a quantile transform of the skewed features, then the SNN
# (which standardizes its input again). Early stopping keeps the best epoch.
pipeline = make_pipeline(
    QuantileTransformer(n_quantiles=100, output_distribution="normal"),
    SNNRegressor(
        hidden_layer_sizes=(32,) * 2 if FAST else (64,) * 6,
        early_stopping=True,
        max_iter=100 if FAST else 300,
        random_state=0,
    ),
)
grid = {
    "snnregressor__activation": ["selu", "relu"] if FAST else ["selu", "relu", "tanh"],
    "snnregressor__kernel_initializer": (
        ["lecun_normal"] if FAST else ["lecun_normal", "he_normal", "glorot_normal"]
    ),
}
search = GridSearchCV(
    pipeline,
    grid,
    cv=2 if FAST else 3,
    scoring="neg_root_mean_squared_error",
    n_jobs=1 if FAST else 2,
)
search.fit(X_train, y_train)

# %%
# Cross-validated RMSE of every candidate, best first, and the test RMSE.
results = pd.DataFrame(search.cv_results_)
table = results[
    [
        "param_snnregressor__activation",
        "param_snnregressor__kernel_initializer",
        "mean_test_score",
    ]
]
table = table.assign(cv_rmse=-table.pop("mean_test_score")).sort_values("cv_rmse")
print(table.to_string(index=False))
rmse = np.sqrt(np.mean((search.predict(X_test) - y_test) ** 2))
print(f"best: {search.best_params_}, test RMSE {rmse:.2f} (thousand dollars)")
