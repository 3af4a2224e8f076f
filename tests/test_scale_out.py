"""Scale out: backends, devices, thread limits in workers, a dask cluster."""

import contextlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sksnn import SNNClassifier
from tests.conftest import FAST

GRID = {
    "activation": ["selu", "relu"],
    "kernel_initializer": ["lecun_normal", "he_normal"],
}


def _search(iris, **kwargs):
    X, y = iris
    search = GridSearchCV(
        SNNClassifier(**dict(FAST, max_iter=15), random_state=0), GRID, cv=3, **kwargs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


@pytest.fixture(scope="module")
def serial_search(iris):
    return _search(iris, n_jobs=1)


@contextlib.contextmanager
def _dask_backend():
    distributed = pytest.importorskip("distributed")
    import joblib

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_backend("dask"),
    ):
        yield


@contextlib.contextmanager
def _ray_backend():
    ray_joblib = pytest.importorskip("ray.util.joblib")
    import joblib
    import ray

    ray_joblib.register_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        with joblib.parallel_backend("ray"):
            yield
    finally:
        ray.shutdown()


# Each runs the search on two workers: joblib's own process pool (loky), a
# 2-worker dask LocalCluster, and ray when it is installed.
BACKENDS = {
    "loky-n_jobs-2": (contextlib.nullcontext, {"n_jobs": 2}),
    "dask": (_dask_backend, {}),
    "ray": (_ray_backend, {}),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_parallel_search_matches_serial(backend, serial_search, iris):
    """GridSearchCV on two workers of each joblib backend equals the n_jobs=1 run."""
    context, kwargs = BACKENDS[backend]
    with context():
        parallel = _search(iris, **kwargs)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_array_equal(parallel.cv_results_[key], serial_search.cv_results_[key])
    assert parallel.best_params_ == serial_search.best_params_


def test_worker_thread_limit_reaches_tensorflow():
    """With OMP_NUM_THREADS set (as joblib does in workers), TF's pools follow it."""
    code = (
        "import sksnn._backend as b, tensorflow as tf; "
        "print(tf.config.threading.get_intra_op_parallelism_threads(), "
        "tf.config.threading.get_inter_op_parallelism_threads())"
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", KERAS_BACKEND="tensorflow")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    if out.returncode and "No module named 'tensorflow'" in out.stderr:
        pytest.skip("TensorFlow is not installed")
    assert out.stdout.split() == ["1", "1"]


def test_xla_flags_limit_threads(monkeypatch):
    """A one-thread worker asks XLA for single-threaded CPU kernels."""
    from sksnn import _backend

    monkeypatch.delenv("XLA_FLAGS", raising=False)
    _backend._limit_xla_threads(1)
    assert "intra_op_parallelism_threads=1" in os.environ["XLA_FLAGS"]


def test_gpu_device_path_when_a_gpu_is_seen(iris, monkeypatch):
    """device='gpu' passes the check when the backend reports a GPU."""
    from sksnn import _backend

    monkeypatch.setattr(_backend, "_count_gpus", lambda: 1)
    suffix = "" if _backend.backend_name() == "torch" else ":0"
    assert _backend.device_name("gpu") == "gpu" + suffix
    assert _backend.device_name("cpu") == "cpu" + suffix
    assert _backend.device_name("auto") is None


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="compares against the TensorFlow backend",
)
def test_model_trained_on_jax_predicts_here(tmp_path, iris):
    """A model fitted under another backend (JAX) pickles and predicts here."""
    pytest.importorskip("jax")
    X, _ = iris
    path = tmp_path / "jax_model.pkl"
    code = (
        "import pickle; from sklearn.datasets import load_iris; "
        "from sksnn import SNNClassifier; X, y = load_iris(return_X_y=True); "
        "est = SNNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)"
        f".fit(X, y); open({str(path)!r}, 'wb').write(pickle.dumps(est)); "
        "import keras; print(keras.backend.backend())"
    )
    env = dict(os.environ, KERAS_BACKEND="jax")
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "jax"
    import pickle

    est = pickle.loads(path.read_bytes())
    assert np.isfinite(est.predict_proba(X)).all()
    assert est.model_.count_params() > 0  # rebuilt on this backend
