"""The notes' planar "flower": two classes on the petals of a rose curve.

Written from the notes' description: ``n_samples`` points, half per class, on
the rose ``r = a sin(4 t)`` with ``a = 4``. Class ``j`` takes evenly spaced
angles over ``[3.12 j, 3.12 (j + 1)]``; Gaussian noise of standard deviation
``noise`` is added to each angle and to each radius, and the point is
``(r sin t, r cos t)``. Each class covers four petals, interleaved with the
other class's, so no straight line separates them (logistic regression is
about as good as a coin).
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state

#: Amplitude of the rose curve r = a sin(4 t) (the notes' ``a``).
PETAL_LENGTH = 4.0
#: Angle span of each class (the notes' 3.12, just under pi).
CLASS_SPAN = 3.12


def make_flower(n_samples=400, *, noise=0.2, random_state=None):
    """Make the notes' planar flower data set (two classes, two features).

    Parameters
    ----------
    n_samples : int, default=400
        Total number of points, at least 2. Class 0 gets ``n_samples // 2``,
        class 1 the rest. Rows come class by class, as in the notes.
    noise : float, default=0.2
        Standard deviation of the Gaussian noise added to the angle and to the
        radius of every point (0 puts the points exactly on the curve).
    random_state : int, RandomState instance or None, default=None
        Seed of the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The points.
    y : ndarray of shape (n_samples,)
        Their class, 0 or 1 (int).

    Examples
    --------
    >>> from sknn_scratch.datasets import make_flower
    >>> X, y = make_flower(random_state=1)
    >>> X.shape, y.sum()
    ((400, 2), 200)
    """
    if (isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral)
            or n_samples < 2):
        raise ValueError(
            f"The 'n_samples' parameter of make_flower must be an int >= 2 (one point "
            f"per class at least). Got {n_samples!r} instead.")
    if (isinstance(noise, bool) or not isinstance(noise, numbers.Real)
            or not np.isfinite(noise) or noise < 0):
        raise ValueError(
            f"The 'noise' parameter of make_flower must be a float >= 0. Got {noise!r} "
            "instead.")
    rng = check_random_state(random_state)
    sizes = (n_samples // 2, n_samples - n_samples // 2)
    X = np.empty((n_samples, 2))
    y = np.repeat(np.arange(2), sizes)
    start = 0
    for j, n in enumerate(sizes):
        rows = slice(start, start + n)
        # angles evenly spaced over the class's span, then jittered
        t = np.linspace(j * CLASS_SPAN, (j + 1) * CLASS_SPAN, n) + noise * rng.standard_normal(n)
        # radius on the rose r = a sin(4t), jittered
        r = PETAL_LENGTH * np.sin(4 * t) + noise * rng.standard_normal(n)
        X[rows, 0], X[rows, 1] = r * np.sin(t), r * np.cos(t)
        start += n
    return X, y
