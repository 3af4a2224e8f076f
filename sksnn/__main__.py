"""The demo: ``python -m sksnn`` compares an SNN with a plain deep net.

It cross-validates an SNN, a plain deep network (logistic units, N(0, 1)
weights) and scikit-learn's MLP on scikit-learn's bundled digits (1,797 8x8
images, 10 classes), prints the layer statistics of the two deep nets at
initialization, and saves a plot when matplotlib is installed. It needs
nothing beyond the base install and no network.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier

from sksnn import SNNClassifier, layer_statistics


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksnn", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a small budget, for a smoke test"
    )
    parser.add_argument("--cv", type=int, default=3, help="number of CV folds")
    parser.add_argument(
        "--png", default="sksnn_demo.png", help="where to save the plot"
    )
    return parser.parse_args(argv)


def _cross_validate(name, estimator, X, y, cv):
    start = time.perf_counter()
    scores = cross_val_score(estimator, X, y, cv=cv)
    seconds = time.perf_counter() - start
    print(f"{name:<34} {scores.mean():.4f} +- {scores.std():.4f} {seconds:8.1f}")
    return scores


def main(argv=None):
    args = _parse_args(argv)
    # A demo's budget is short on purpose: no warning per fold about it.
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    max_iter = 5 if args.quick else 100
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    deep = (100,) * 8
    print(f"digits: {X.shape[0]} samples, {X.shape[1]} features, 10 classes")
    print(f"{args.cv}-fold cross-validated accuracy, at most {max_iter} epochs\n")
    print(f"{'model':<34} {'accuracy':<15} {'seconds':>8}")
    # Single networks (n_ensembles=1), the MLP's shape.
    snn = SNNClassifier(
        hidden_layer_sizes=deep, n_ensembles=1, max_iter=max_iter, random_state=0
    )
    plain = SNNClassifier(
        hidden_layer_sizes=deep,
        n_ensembles=1,
        activation="logistic",
        kernel_initializer="normal",
        max_iter=max_iter,
        random_state=0,
    )
    mlp = MLPClassifier(hidden_layer_sizes=deep, max_iter=max_iter, random_state=0)
    _cross_validate("SNN 8 x 100 (SELU, LeCun, Nadam)", snn, X, y, cv)
    _cross_validate("plain 8 x 100 (logistic, N(0,1))", plain, X, y, cv)
    _cross_validate("sklearn MLPClassifier 8 x 100", mlp, X, y, cv)
    print("\nlayer statistics at initialization (mean / std of the activations,")
    print("saturated share, loss gradient norm):")
    for name, est in (("SNN", snn), ("plain", plain)):
        stats = layer_statistics(est, X, y)
        print(f"\n{name}")
        columns = [
            "activation_mean",
            "activation_std",
            "saturated_fraction",
            "grad_norm",
        ]
        print(stats.set_index("layer")[columns].round(4).to_string())
    _plot(snn, plain, X, y, args.png)


def _plot(snn, plain, X, y, path):
    try:
        import matplotlib
    except ImportError:
        print(
            "\n(install matplotlib, e.g. pip install 'sksnn[examples]', for the plot)"
        )
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for name, est in (("SNN (SELU, LeCun)", snn), ("plain (logistic, N(0,1))", plain)):
        stats = layer_statistics(est, X, y)
        axes[0].plot(stats["layer"], stats["activation_std"], marker="o", label=name)
        axes[1].semilogy(stats["layer"], stats["grad_norm"], marker="o", label=name)
    axes[0].set_title("activation std at initialization")
    axes[1].set_title("loss gradient norm at initialization")
    for ax in axes:
        ax.set_xlabel("layer")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
