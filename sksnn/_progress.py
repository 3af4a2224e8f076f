"""What fit tells the user while it trains, by ``verbose``.

- 0 (or False): nothing.
- an int >= 1 (or True): scikit-learn MLP's lines, ``Iteration 3, loss =
  0.12345678`` per epoch and its messages on the learning rate and
  stopping, on stdout, as MLP prints them for any positive ``verbose``.
- ``'progress'``: a live progress bar (``tqdm.auto``: a widget in notebooks,
  a line on terminals) on stderr: epochs done of ``max_iter``, the loss, the
  last validation score, the time left; messages are written above it. Not
  in a worker process (joblib's, multiprocessing's), where the bars of
  several fits would interleave: there it is silent.
- ``'progress_all'``: the bar in worker processes too.
A stream that is not a terminal gets the bar's updates as lines (at most
two per second); a missing stream (``sys.stderr`` None) gets nothing.
"""

import multiprocessing
import sys

BAR_INTERVAL_S = 0.5  # tqdm's mininterval: what a log file receives at most
# The values of verbose that draw a bar: in the main process only, or in all.
BARS = ("progress", "progress_all")


def shows_bar(verbose, in_worker):
    """Whether a fit at this ``verbose`` draws a progress bar."""
    return verbose == "progress_all" or (verbose == "progress" and not in_worker)


def in_worker():
    """Whether this process is a child process (joblib's loky workers are)."""
    return multiprocessing.parent_process() is not None


class Progress:
    """The reporting of one fit call (see the module docstring).

    Parameters
    ----------
    verbose : int, bool or str
        The estimator's ``verbose``.
    total : int
        Epochs planned (``max_iter``; 1 for ``partial_fit``).
    name : str
        Shown in front of the bar (the estimator's class).
    """

    def __init__(self, verbose, total, name):
        self.lines = verbose not in BARS and verbose >= 1
        self.bar = None
        if shows_bar(verbose, in_worker()) and sys.stderr is not None:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total,
                desc=name,
                unit="epoch",
                file=sys.stderr,
                mininterval=BAR_INTERVAL_S,
                leave=True,
            )

    def epoch(self, n_iter, loss, score=None):
        """Report the end of epoch ``n_iter``: its loss and validation score."""
        if self.lines:
            print(f"Iteration {n_iter}, loss = {loss:.8f}")
        if self.bar is not None:
            postfix = {"loss": f"{loss:.4g}"}
            if score is not None:
                postfix["validation"] = f"{score:.4g}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)

    def message(self, text):
        """A message of the training loop (learning rate, stopping)."""
        if self.lines:
            print(text)
        elif self.bar is not None:
            self.bar.write(text, file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
