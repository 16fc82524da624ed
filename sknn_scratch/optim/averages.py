"""Exponentially weighted averages, as in the notes' optimisation chapter.

    v_t = beta * v_{t-1} + (1 - beta) * theta_t,        v_0 = 0
    v_t_corrected = v_t / (1 - beta**t)                 (bias correction)

The optimizers (momentum, RMSprop, Adam) apply the same recurrence to gradients
through :func:`ewa_update`; :func:`ewa` runs it over a whole series (e.g. to smooth
a loss curve for plotting).
"""

import numpy as np


def ewa_update(average, value, beta, tmp=None):
    """One step of the EWA recurrence, in place: ``average = beta*average + (1-beta)*value``.

    ``average`` must be a float ndarray; it is updated in place and returned.
    ``tmp`` (same shape, optional) holds ``(1 - beta) * value``, so no temporary
    is allocated. Written this way, not as the shorter ``beta * (average - value)
    + value``, because that form turns an infinite ``value`` into NaN (inf - inf):
    here an overflowing value gives an infinite average, which the training loop
    reports, never a NaN.
    """
    tmp = np.multiply(value, 1.0 - beta, out=tmp)
    average *= beta
    average += tmp
    return average


def ewa_update_of_squares(average, value, beta, tmp):
    """``average = beta*average + (1-beta)*value**2`` in place, ``tmp`` for the square.

    The new term is formed as ``(sqrt(1-beta) * value)**2``: the same number, but
    it overflows only when the term itself exceeds the float range, not already
    when ``value**2`` does (for beta = 0.999, ``|value|`` up to 4.2e155 instead of
    1.3e154). A term beyond the range makes the average inf, never NaN.
    """
    np.multiply(value, np.sqrt(1.0 - beta), out=tmp)
    np.multiply(tmp, tmp, out=tmp)
    average *= beta
    average += tmp
    return average


def _factor(beta, t):
    return 1.0 / (1.0 - beta**t)


def bias_correction(beta, t):
    """Factor ``1 / (1 - beta**t)`` that removes the zero-start bias after ``t`` steps."""
    return _factor(beta, t)


def ewa(values, beta=0.9, bias_correction=True):
    """Exponentially weighted average of a series, optionally bias-corrected.

    Parameters
    ----------
    values : array-like of shape (n,)
        The series theta_1 .. theta_n.
    beta : float in [0, 1)
        Weight of the past; the average spans roughly ``1 / (1 - beta)`` values.
    bias_correction : bool, default=True
        Divide ``v_t`` by ``1 - beta**t`` so that early averages are not pulled
        towards the zero start.

    Returns
    -------
    averages : ndarray of shape (n,)
        ``v_1 .. v_n`` (corrected when asked).

    Examples
    --------
    >>> ewa([1.0, 1.0, 1.0], beta=0.9)
    array([1., 1., 1.])
    >>> ewa([1.0, 1.0], beta=0.5, bias_correction=False)
    array([0.5 , 0.75])
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {values.shape}.")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}.")
    out = np.empty_like(values)
    v = np.zeros(1)
    for t, theta in enumerate(values, start=1):
        ewa_update(v, theta, beta)
        out[t - 1] = v[0] * (_factor(beta, t) if bias_correction else 1.0)
    return out

