"""Mini-batch indices: full batch (None), mini-batches, or SGD (batch_size=1)."""

import numpy as np


def effective_batch_size(batch_size, n_samples):
    """``None`` means full batch; larger-than-data batches are clipped to the data."""
    if batch_size is None:
        return n_samples
    return max(1, min(int(batch_size), n_samples))


def iter_batches(n_samples, batch_size, rng, shuffle=True):
    """Yield the row indices of each mini-batch of one epoch.

    A full batch yields ``slice(None)`` (no copy of X); otherwise the rows are
    permuted with ``rng`` (when ``shuffle``) and cut into consecutive batches; the
    last one may be smaller.
    """
    if batch_size >= n_samples:
        yield slice(None)
        return
    order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start:start + batch_size]
