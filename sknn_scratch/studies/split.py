"""Train / dev / test splits, as the course sets up every experiment.

The dev ("development", or hold-out cross-validation) set chooses between
models; the test set, touched once at the end, estimates how the chosen one
generalises. Both sizes are given relative to the *whole* data set.
"""

import math
import numbers

from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length

__all__ = ["train_dev_test_split"]


def _as_count(size, name, n_samples):
    """Turn a fraction of the whole or a count into a number of samples.

    Fractions round up, as ``train_test_split`` rounds its ``test_size``.
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise ValueError(
            f"{name} must be a float in (0, 1) or a positive int, got {size!r}."
        )
    if isinstance(size, numbers.Integral):
        if size < 1:
            raise ValueError(f"{name} must be a positive int when a count, got {size}.")
        if size >= n_samples:
            raise ValueError(
                f"{name}={size} must be smaller than the number of samples ({n_samples})."
            )
        return int(size)
    if not 0.0 < size < 1.0:
        raise ValueError(f"{name} must be in (0, 1) when a fraction, got {size!r}.")
    return math.ceil(size * n_samples)


def _split(arrays, n_out, stratify, random_state, stage):
    """One call to train_test_split; name the stage when stratification fails."""
    try:
        return train_test_split(
            *arrays, test_size=n_out, random_state=random_state, stratify=stratify
        )
    except ValueError as exc:
        if stratify is None:
            raise
        raise ValueError(
            f"Stratified split of the {stage} set failed: {exc} "
            "Pass stratify=False to split without stratification."
        ) from exc


def train_dev_test_split(X, y, *, dev_size, test_size, random_state=None, stratify=True):
    """Split arrays into train, dev and test sets.

    Two calls to :func:`sklearn.model_selection.train_test_split`: the first
    sets the test set aside, the second takes the dev set from what remains.
    Because the second call sees fewer samples, the dev size is converted to
    a count of the whole before it, so ``dev_size=0.2`` means 20 % of ``X``,
    not 20 % of the rest.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Examples (ndarray, list, DataFrame or sparse matrix).
    y : array-like of shape (n_samples,)
        Labels.
    dev_size, test_size : float or int
        A float in (0, 1) is a fraction of *all* samples, rounded up as in
        ``train_test_split``; an int is a number of samples. Together they
        must leave at least one training sample.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling of both splits. An int gives reproducible
        splits.
    stratify : bool, default=True
        Keep the class proportions of ``y`` in every set.

    Returns
    -------
    X_train, X_dev, X_test, y_train, y_dev, y_test
        The six parts, of the types ``train_test_split`` returns.

    Raises
    ------
    ValueError
        If a size is not a positive count or a fraction in (0, 1), if the
        sizes leave no training sample, or if stratification is impossible
        (a class too small for a split).

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> parts = train_dev_test_split(X, y, dev_size=2, test_size=0.2, random_state=0)
    >>> [len(p) for p in parts[:3]]
    [6, 2, 2]
    """
    if not isinstance(stratify, bool):
        raise ValueError(f"stratify must be True or False, got {stratify!r}.")
    check_consistent_length(X, y)
    n_samples = len(y)
    if n_samples < 3:
        raise ValueError(
            f"Need at least 3 samples for train, dev and test sets, got {n_samples}."
        )
    n_dev = _as_count(dev_size, "dev_size", n_samples)
    n_test = _as_count(test_size, "test_size", n_samples)
    if n_dev + n_test >= n_samples:
        raise ValueError(
            f"dev_size={dev_size!r} and test_size={test_size!r} take {n_dev} + {n_test} "
            f"of {n_samples} samples, leaving no training set; their sum must be "
            f"smaller than the whole."
        )
    rng = check_random_state(random_state)
    X_rest, X_test, y_rest, y_test = _split(
        (X, y), n_test, y if stratify else None, rng, "test"
    )
    X_train, X_dev, y_train, y_dev = _split(
        (X_rest, y_rest), n_dev, y_rest if stratify else None, rng, "dev"
    )
    return X_train, X_dev, X_test, y_train, y_dev, y_test
