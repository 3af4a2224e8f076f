"""Trained networks kept for reuse by later fits of the same shapes.

Building a Keras network and tracing its training epoch costs more than
training small networks (about 1.9 s for 20 x 100 on TensorFlow here). An
``Engine`` holds one network, its optimizer and its traced epoch. A fit
borrows one whose shapes match from ``POOL`` for the length of the call
(``with POOL.borrow(key, build) as engine``), loads its own weights and
optimizer state into it, trains, copies the results out as numpy arrays and
gives the engine back; so the candidates of a grid search, or the folds of a
cross-validation, trace once per process. No estimator holds an engine
between calls, and a borrowed engine is never lent twice at once, so fits in
several threads train on separate networks.

``clear_network_cache`` (public as ``sksnn.clear_network_cache``) drops the
idle engines. Nothing here imports Keras.
"""

import threading
from collections import OrderedDict
from contextlib import contextmanager

MAX_IDLE_ENGINES = 8


class Engine:
    """A network, its optimizer and its epoch function.

    Parameters
    ----------
    key : tuple
        Everything the traced epoch depends on (shapes, dtype, layers, loss,
        optimizer, batch size, device).
    model, optimizer, epoch : object
        The Keras model, its built optimizer and
        ``epoch(X, Y, w, order, center, scale)``.
    optimizer_state : list of ndarray
        The optimizer's variables right after it was built: what a new fit
        starts from.

    Attributes
    ----------
    fits : int
        Number of training calls that borrowed the engine.
    holds : object or None
        The solver state (a list of arrays) that the engine's network and
        optimizer equal, as left by the last call; the next ``partial_fit``
        of the estimator holding that same list skips loading it again.
    """

    def __init__(self, key, model, optimizer, epoch, optimizer_state):
        self.key = key
        self.model = model
        self.optimizer = optimizer
        self.epoch = epoch
        self.optimizer_state = optimizer_state
        self.fits = 0
        self.holds = None


class Pool:
    """Idle engines by key, the least recently used dropped beyond a bound."""

    def __init__(self, max_idle=MAX_IDLE_ENGINES):
        self.max_idle = max_idle
        self._idle = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self, key, build):
        """Lend an idle engine for ``key`` (or ``build()`` one) for a block.

        The engine goes back to the pool when the block ends, however it
        ends; a failed build lends nothing.
        """
        engine = self._take(key)
        if engine is None:
            engine = build()
        try:
            yield engine
        finally:
            self._give(engine)

    def _take(self, key):
        with self._lock:
            engines = self._idle.get(key)
            if not engines:
                return None
            engine = engines.pop()
            if not engines:
                del self._idle[key]
            return engine

    def _give(self, engine):
        with self._lock:
            self._idle.setdefault(engine.key, []).append(engine)
            self._idle.move_to_end(engine.key)
            while sum(map(len, self._idle.values())) > self.max_idle:
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def clear(self):
        """Drop every idle engine; return how many were dropped."""
        with self._lock:
            dropped = len(self)
            self._idle.clear()
            return dropped

    def __len__(self):
        return sum(map(len, self._idle.values()))


POOL = Pool()


def clear_network_cache():
    """Drop the networks that sksnn keeps for reuse by later fits.

    A fit builds a Keras network and traces (compiles) its training epoch,
    which costs more than training a small network; when the fit ends, the
    network goes to a cache of at most 8 idle ones, so that a later fit of
    the same shapes (same features, outputs, layers, loss, optimizer
    settings, batch size, dtype and device) reuses it with fresh weights and
    optimizer state and does not trace again. Each costs memory (about 4 MB
    for a 2 x 64 network on TensorFlow). Fitted estimators keep their weights
    as numpy arrays and never depend on the cache: clearing it changes no
    result, only the time of the next fit.

    Returns
    -------
    n_dropped : int
        Number of idle networks dropped.

    Examples
    --------
    >>> import sksnn
    >>> n_dropped = sksnn.clear_network_cache()
    >>> sksnn.clear_network_cache()
    0
    """
    return POOL.clear()
