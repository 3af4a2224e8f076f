"""Memory over many fits: RSS growth per fit+predict cycle of a small SNN.

A long GridSearchCV fits hundreds of networks in one process; this measures
whether memory grows with them. Prints the RSS after a warm-up and at the
end, and the growth per fit (least-squares slope over the cycles). With
``--distinct`` every fit has another hidden width, so each builds and traces
a network of its own (sksnn keeps at most ``sksnn._engine.MAX_IDLE_ENGINES``
idle ones for reuse); without it, the fits share one. Run:
    python benchmarks/bench_memory.py --fits 200
    python benchmarks/bench_memory.py --fits 200 --distinct
"""

import argparse
import json
import resource
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sksnn import SNNClassifier


def rss_mb():
    """Current resident set size in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fits", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--distinct", action="store_true", help="another network shape per fit"
    )
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--quick", action="store_true", help="3 fits after 1: seconds, for the tests"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.fits, args.warmup = 3, 1
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(n_samples=500, n_features=20, random_state=0)
    X = X.astype(np.float32)
    rss = []
    start = time.perf_counter()
    for i in range(args.warmup + args.fits):
        hidden = (64 + i if args.distinct else 64, 64)
        est = SNNClassifier(
            hidden_layer_sizes=hidden, n_ensembles=1, max_iter=5, random_state=i
        )
        est.fit(X, y).predict(X)
        rss.append(rss_mb())
    seconds = time.perf_counter() - start
    measured = np.array(rss[args.warmup :])
    slope = np.polyfit(np.arange(len(measured)), measured, 1)[0]
    result = {
        "fits": args.fits,
        "distinct_networks": args.distinct,
        "rss_after_warmup_mb": round(measured[0], 1),
        "rss_end_mb": round(measured[-1], 1),
        "growth_mb_per_fit": round(float(slope), 3),
        "seconds_per_fit": round(seconds / (args.warmup + args.fits), 3),
    }
    for key, value in result.items():
        print(f"{key:<22} {value}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
