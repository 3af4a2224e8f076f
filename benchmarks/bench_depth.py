"""Self-normalization through depth: activation statistics after 1..100 layers.

Standardized random input (2,000 x 100) through 100 dense layers of 100 units
at initialization, for SELU + LeCun-normal (the SNN), ReLU + He-normal,
tanh + Glorot-normal and logistic + N(0, 1); prints the mean and standard
deviation of the activations at a few depths, and the first/last gradient
norm ratio, averaged over seeds, and writes a PNG when matplotlib is there.

    python benchmarks/bench_depth.py --png depth.png
"""

import argparse

import numpy as np

import sksnn
from sksnn import SNNClassifier

SETUPS = {
    "SELU + LeCun (SNN)": ("selu", "lecun_normal"),
    "ReLU + He": ("relu", "he_normal"),
    "tanh + Glorot": ("tanh", "glorot_normal"),
    "logistic + N(0,1)": ("logistic", "normal"),
}
DEPTHS = [1, 5, 10, 20, 50, 100]


def run(depth, seeds):
    X = np.random.RandomState(0).standard_normal((2000, 100))
    y = np.arange(2000) % 2
    tables = {}
    for name, (activation, init) in SETUPS.items():
        runs = [
            sksnn.layer_statistics(
                SNNClassifier(
                    hidden_layer_sizes=(100,) * depth,
                    n_ensembles=1,
                    numeric_embedding=None,  # the plain stack's signal
                    activation=activation,
                    kernel_initializer=init,
                    random_state=seed,
                ),
                X,
                y,
            )
            for seed in range(seeds)
        ]
        tables[name] = sum(r.set_index("layer") for r in runs) / seeds
    return tables


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--png", help="write the figure here")
    parser.add_argument(
        "--quick", action="store_true", help="10 layers, 1 seed: seconds, for the tests"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.depth, args.seeds = 10, 1
    tables = run(args.depth, args.seeds)
    depths = [d for d in DEPTHS if d <= args.depth]
    print(
        f"{'setup':<22}"
        + "".join(f"{'L' + str(d):>14}" for d in depths)
        + f"{'grad L1/Llast':>15}"
    )
    for name, table in tables.items():
        means, stds = table["activation_mean"], table["activation_std"]
        cells = "".join(f"{means[d]:>7.2f}/{stds[d]:<6.2f}" for d in depths)
        ratio = table["grad_norm"].iloc[0] / table["grad_norm"].iloc[-1]
        print(f"{name:<22}{cells}{ratio:>15.3g}")
    print(
        "(cells: mean/std of the activations at that depth, averaged over "
        f"{args.seeds} seeds)"
    )
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
        for name, table in tables.items():
            axes[0].plot(table.index, table["activation_mean"], label=name)
            axes[1].plot(table.index, table["activation_std"], label=name)
            axes[2].semilogy(table.index, table["grad_norm"], label=name)
        for ax, title in zip(
            axes, ["activation mean", "activation std", "loss gradient norm (kernel)"]
        ):
            ax.set_title(title)
            ax.set_xlabel("layer")
        axes[1].set_ylim(0, 2)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.png, dpi=110)
        print(f"wrote {args.png}")
    return tables


if __name__ == "__main__":
    main()
