"""Mini-batch indices: full batch (None), mini-batches, or SGD (batch_size=1)."""

import numpy as np


def effective_batch_size(batch_size, n_samples):
    """``None`` means full batch; larger-than-data batches are clipped to the data."""
    if batch_size is None:
        return n_samples
    return max(1, min(int(batch_size), n_samples))


def gather_rows(source, rows, buffer):
    """``source[rows]`` written into ``buffer`` (leading rows), cast to its dtype."""
    out = buffer[:len(rows)]
    if source.dtype == buffer.dtype:
        # mode='clip': with the default 'raise', NumPy buffers the whole output
        # first (~2.5x slower); the rows come from a permutation or a sample of
        # row indices, so are in range
        return source.take(rows, axis=0, out=out, mode="clip")
    out[...] = source[rows]
    return out


def iter_batches(n_samples, batch_size, rng, shuffle=True):
    """Yield the row indices of each mini-batch of one epoch.

    A full batch yields ``slice(None)`` (no copy of X); otherwise the rows are
    permuted with ``rng`` (when ``shuffle``) and cut into consecutive batches; the
    last one may be smaller.
    """
    if batch_size >= n_samples:
        yield slice(None)
        return
    # int32 indices when they fit: half the memory of rng.permutation's int64, and
    # the same order (permutation(n) is shuffle(arange(n)): the draws do not
    # depend on the dtype)
    order = np.arange(n_samples, dtype=np.int32 if n_samples < 2**31 else np.intp)
    if shuffle:
        rng.shuffle(order)
    for start in range(0, n_samples, batch_size):
        yield order[start:start + batch_size]


def augment_batch(augmentation, X_batch, rng):
    """``augmentation(X_batch, rng)``, checked: one row per sample, same columns,
    floating point (another float precision is cast to the batch's).

    Raises TypeError (not an array, None, not floating point) or ValueError
    (wrong shape) naming the augmentation and what it returned, instead of a
    traceback from inside the network.
    """
    out = augmentation(X_batch, rng)
    if out is None:
        raise TypeError(
            f"augmentation returned None for a batch of shape {X_batch.shape}; it must "
            "return the augmented batch (an augmentation that works in place must "
            "still return it)."
        )
    dense = isinstance(X_batch, np.ndarray)
    if not isinstance(out, np.ndarray) and (dense or type(out) is not type(X_batch)):
        raise TypeError(
            f"augmentation returned a {type(out).__name__} for a batch of shape "
            f"{X_batch.shape}; it must return a NumPy array"
            f"{'' if dense else ' or a sparse matrix like its input'}."
        )
    if out.shape != X_batch.shape:
        raise ValueError(
            f"augmentation returned an array of shape {out.shape} for a batch of shape "
            f"{X_batch.shape}: it must keep one row per sample and every feature."
        )
    if not np.issubdtype(out.dtype, np.floating):
        raise TypeError(
            f"augmentation returned an array of dtype {out.dtype} for a batch of dtype "
            f"{X_batch.dtype}; it must return floating-point values."
        )
    return out.astype(X_batch.dtype, copy=False)
