"""Plots of layer statistics and learning curves (needs matplotlib).

Install it with ``pip install "sksnn[examples]"``.
"""


def _axes(axes, n):
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6))
    return axes


def plot_layer_statistics(statistics, axes=None):
    """Plot activation mean, std and gradient norm against depth.

    Parameters
    ----------
    statistics : dict of str to pandas.DataFrame
        ``{label: sksnn.layer_statistics(...)}``, one curve per label.
    axes : sequence of 3 matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    axes : sequence of matplotlib Axes
    """
    axes = _axes(axes, 3)
    for label, table in statistics.items():
        axes[0].plot(table["layer"], table["activation_mean"], label=label)
        axes[1].plot(table["layer"], table["activation_std"], label=label)
        if table["grad_norm"].notna().all():
            axes[2].semilogy(table["layer"], table["grad_norm"], label=label)
    titles = ["activation mean", "activation std", "loss gradient norm"]
    for ax, title in zip(axes, titles):
        ax.set_title(title)
        ax.set_xlabel("layer")
    axes[0].legend(fontsize=8)
    return axes


def plot_learning_curves(estimators, axes=None):
    """Plot ``loss_curve_`` (and ``validation_scores_`` when recorded).

    Parameters
    ----------
    estimators : dict of str to fitted SNNClassifier or SNNRegressor
        One curve per label.
    axes : sequence of 2 matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    axes : sequence of matplotlib Axes
    """
    axes = _axes(axes, 2)
    for label, estimator in estimators.items():
        epochs = range(1, len(estimator.loss_curve_) + 1)
        axes[0].semilogy(epochs, estimator.loss_curve_, label=label)
        if estimator.validation_scores_ is not None:
            axes[1].plot(epochs, estimator.validation_scores_, label=label)
    axes[0].set_title("training loss")
    axes[1].set_title("validation score")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=8)
    return axes
