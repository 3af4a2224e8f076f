"""The numpy side of predict: row chunks on BLAS's threads, and the finiteness check."""

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
from threadpoolctl import ThreadpoolController

from sksnn._forward import forward, network_input, standardize

PREDICT_CHUNK_ROWS = 2048

_PREDICT_THREADS_LOCK = threading.Lock()


@cache
def _blas():
    # Found once: scanning the loaded libraries takes 2 ms with TensorFlow.
    return ThreadpoolController().select(user_api="blas")


def chunking(n_rows):
    """``(threads, rows per chunk)`` to predict ``n_rows`` rows with.

    Chunks of at most PREDICT_CHUNK_ROWS rows, in a multiple of the thread
    count and of equal size, so that no thread waits for another. The
    threads are BLAS's own count, which follows the cores this process may
    use and the user's limits (OMP_NUM_THREADS, threadpoolctl; joblib's
    workers set them): predicting takes no more cores than a matrix product.
    """
    n_chunks = math.ceil(n_rows / PREDICT_CHUNK_ROWS)
    threads = 1
    if n_chunks > 1:
        budget = [library.num_threads for library in _blas().lib_controllers]
        threads = max(1, min(min(budget, default=1), n_chunks))
        n_chunks = math.ceil(n_chunks / threads) * threads
    return threads, math.ceil(n_rows / n_chunks)


def logits(
    X, weights, activation, hidden_scale, standardization, embedding=None, periodic=None
):
    """The network's output on X (numpy), in row chunks on BLAS's threads.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Unscaled input, in the dtype of the weights.
    weights : Weights
        The fitted weights.
    activation : str
        The hidden activation.
    hidden_scale : float
        The factor after each hidden activation (``inference_scale``).
    standardization : tuple of ndarray or None
        ``(center, scale)`` of X, or None when X is used as it is.
    embedding : Embedding, default=None
        Where X holds category codes, looked up in ``weights.embedding``.
    periodic : Periodic, default=None
        The periodic embedding of X's numbers (``weights.periodic``), or None.

    Returns
    -------
    logits : ndarray of shape (n_samples, n_outputs)
        Or (n_members, n_samples, n_outputs) for an ensemble. Possibly not
        finite: the caller checks what it returns.
    """
    last = weights.coefs[-1]
    out = np.empty((*last.shape[:-2], X.shape[0], last.shape[-1]), X.dtype)
    threads, size = chunking(X.shape[0])

    def fill(start):
        # Row chunks keep each layer's activations in the CPU cache.
        rows = X[start : start + size]
        if standardization is not None:
            rows = standardize(rows, *standardization)
        with np.errstate(over="ignore", invalid="ignore"):  # per thread
            out[..., start : start + size, :] = forward(
                network_input(
                    rows, weights.embedding, embedding, weights.periodic, periodic
                ),
                *weights[:2],
                activation,
                weights.batch_norms,
                hidden_scale,
                weights.slopes,
            )

    starts = range(0, X.shape[0], size)
    if threads == 1:
        for start in starts:
            fill(start)
        return out
    # One chunk per thread, each with a single-threaded BLAS, as
    # scikit-learn's KMeans does: numpy's elementwise passes, most of a SELU
    # layer's cost, then run on every core instead of one (the forward pass
    # of 100,000 rows of 20 x 100 on 2 cores: 190k to 286k rows/s).
    # The limit is process-wide: concurrent predicts take turns, so that
    # each restores the thread count it found.
    with (
        _PREDICT_THREADS_LOCK,
        _blas().limit(limits=1),
        ThreadPoolExecutor(threads) as pool,
    ):
        list(pool.map(fill, starts))
    return out


def check_finite(values, what):
    """Return ``values``; raise a ValueError naming the rows that are not finite."""
    finite = np.isfinite(values)
    if finite.all():
        return values
    bad = ~finite.reshape(len(values), -1).all(axis=1)
    raise ValueError(
        f"{what} is not finite for {bad.sum()} of {len(bad)} rows (the first "
        f"is row {np.flatnonzero(bad)[0]}): their features are too far outside "
        "the range seen in fit for the network's arithmetic. Check those rows "
        "for extreme values."
    )
