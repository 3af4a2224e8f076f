"""One place that turns ``random_state`` into seeds.

Every random choice made while fitting (initial weights, the order of the
mini-batches, ...) draws from its own stream of one master seed, so that the
streams never overlap and numpy's global RNG is never touched.
"""

import numbers

import numpy as np

# One stream per purpose; new purposes get new keys, old keys never change.
INIT_STREAM = 0
SHUFFLE_STREAM = 1
DROPOUT_STREAM = 2
VALIDATION_STREAM = 3
EMBEDDING_STREAM = 4
PERIODIC_STREAM = 5


def master_seed(random_state):
    """Draw the master seed of one fit from ``random_state``.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        The estimator's ``random_state`` parameter. ``None`` draws fresh
        entropy from the operating system instead of numpy's global RNG.

    Returns
    -------
    seed : int
        A non-negative integer below 2**31.
    """
    high = np.iinfo(np.int32).max
    if random_state is None:
        return int(np.random.default_rng().integers(high))
    if isinstance(random_state, numbers.Integral):
        return int(random_state) % high
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(high))
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState; got "
        f"{random_state!r}."
    )


def stream_seeds(seed, stream, n, member=0):
    """Return ``n`` integer seeds of stream ``stream`` of master ``seed``.

    ``member`` numbers the networks of an ensemble: each draws its own
    seeds, and member 0's are those of a single network.
    """
    key = (stream,) if member == 0 else (stream, member)
    sequence = np.random.SeedSequence(seed, spawn_key=key)
    return [int(s) for s in sequence.generate_state(n) % np.iinfo(np.int32).max]


def member_seeds(seed, stream, n, n_members):
    """``stream_seeds`` of each member: a list of ``n_members`` lists of ``n``."""
    return [stream_seeds(seed, stream, n, member) for member in range(n_members)]


def stream_rng(seed, *key):
    """Return a numpy Generator for the stream ``key`` of master ``seed``.

    ``key`` is a stream number, optionally followed by more integers (an
    epoch count, say) that give sub-streams of it.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


# The seeds of the network's random parts, by what they draw.


def init_seeds(seed, n_hidden, n_members):
    """Seeds of the initial kernels: per member, one per dense layer."""
    return member_seeds(seed, INIT_STREAM, n_hidden + 1, n_members)


def noise_seeds(seed, n_hidden):
    """Seeds of the dropout masks, then of RReLU's slopes: n_hidden each."""
    return stream_seeds(seed, DROPOUT_STREAM, 2 * n_hidden)


def embedding_seed(seed, n_members):
    """The embedding's seed, or each member's (member 0's the single network's)."""
    seeds = member_seeds(seed, EMBEDDING_STREAM, 1, n_members)
    return seeds[0][0] if n_members == 1 else [s for (s,) in seeds]


def periodic_seed(seed):
    """The periodic embedding's seed (the members of an ensemble share it)."""
    return stream_seeds(seed, PERIODIC_STREAM, 1)[0]
