"""Trained networks kept for reuse by later fits of the same shapes.

Building a Keras network and tracing its training epoch costs more than
training small networks (about 1.9 s for 20 x 100 on TensorFlow here). An
``Engine`` holds one network, its optimizer and its traced epoch; a fit takes
one whose shapes match from ``POOL``, gives it fresh weights and a fresh
optimizer state, and trains without tracing again. The engine goes back to
the pool when its estimator is garbage collected or fits another shape, so
the candidates of a grid search, or the folds of a cross-validation, trace
once per worker.

Nothing here imports Keras.
"""

import threading
import weakref
from collections import OrderedDict

MAX_IDLE_ENGINES = 8


class Engine:
    """A network, its optimizer and its epoch function, owned by one estimator.

    Parameters
    ----------
    key : tuple
        Everything the traced epoch depends on (shapes, dtype, layers, loss,
        optimizer, batch size, device).
    model, optimizer, epoch : object
        The Keras model, its built optimizer and
        ``epoch(X, Y, w, order, center, scale)``.
    optimizer_state : list of tensors
        The optimizer's variables right after it was built: what a new fit
        starts from.
    """

    def __init__(self, key, model, optimizer, epoch, optimizer_state):
        self.key = key
        self.model = model
        self.optimizer = optimizer
        self.epoch = epoch
        self.optimizer_state = optimizer_state
        self.fits = 0
        self._finalizer = None

    def attach(self, owner, pool):
        """Give the engine back to ``pool`` when ``owner`` is collected."""
        self._finalizer = weakref.finalize(owner, pool.give, self)
        self._finalizer.atexit = False

    def release(self):
        """Give the engine back to its pool now (once)."""
        if self._finalizer is not None:
            self._finalizer()

    def keep(self):
        """Never give the engine back: its model was handed to the user."""
        if self._finalizer is not None:
            self._finalizer.detach()


class Pool:
    """Idle engines by key, the least recently used dropped beyond a bound."""

    def __init__(self, max_idle=MAX_IDLE_ENGINES):
        self.max_idle = max_idle
        self._idle = OrderedDict()
        # Reentrant: a garbage collection inside take() may give back an
        # engine in the same thread.
        self._lock = threading.RLock()

    def take(self, key):
        """Remove and return an idle engine for ``key``, or None."""
        with self._lock:
            engines = self._idle.get(key)
            if not engines:
                return None
            engine = engines.pop()
            if not engines:
                del self._idle[key]
            return engine

    def give(self, engine):
        """Keep ``engine`` for a later fit of the same key."""
        with self._lock:
            self._idle.setdefault(engine.key, []).append(engine)
            self._idle.move_to_end(engine.key)
            while sum(map(len, self._idle.values())) > self.max_idle:
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def clear(self):
        """Drop every idle engine."""
        with self._lock:
            self._idle.clear()

    def __len__(self):
        with self._lock:
            return sum(map(len, self._idle.values()))


POOL = Pool()
