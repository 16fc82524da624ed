"""``sknn-scratch train --scale``: input normalisation for a file read chunk by chunk.

The notes' "normalizing inputs": gradient descent on raw pixels (0..255) takes
steps hundreds of times too large for the first layer and oscillates. A file
too big for memory cannot go through ``StandardScaler.fit``; its ``partial_fit``
sees one chunk at a time, which is all the ``train`` command holds. The fitted
scaler is saved in front of the net (a pipeline), so the model file predicts on
raw rows as the training file holds them.
"""

import warnings

import numpy as np

#: Root mean square of the inputs above which they count as unscaled.
LARGE_INPUTS = 10.0
#: ``--scale`` choices (argparse checks the keys), each with the name of its
#: scaler class in ``sklearn.preprocessing`` (imported by :func:`fit_scaler`).
SCALERS = {"standard": "StandardScaler", "maxabs": "MaxAbsScaler"}


def unscaled_hint(X):
    """Why a first chunk of raw inputs will not train, or None if it looks scaled.

    Standardised features have a root mean square near 1; raw pixels have one
    of about 100. (The estimators' own scale hint looks for features on
    *different* scales; pixels all share one, just a large one.)
    """
    X = np.asarray(X)
    if X.size == 0:
        return None
    rms = float(np.sqrt(np.mean(np.square(X, dtype=np.float64))))
    if not rms > LARGE_INPUTS:
        return None
    return (f"the inputs are far from unit scale: their root mean square is {rms:.3g} "
            "(raw pixels in 0..255 are about 100-150). Gradient descent then takes "
            "steps far too large for the first layer, and the loss oscillates or diverges. Normalise the inputs, "
            "as the notes' 'normalizing inputs' section says: --scale standard (a "
            "StandardScaler fitted chunk by chunk) or --scale maxabs (each feature "
            "divided by its largest |value|, 255 for pixels).")


def warn_if_unscaled(X):
    """Warn (TrainingDiagnosticWarning, as ``fit`` warns) when ``X`` looks unscaled."""
    from .estimators._fitting import TrainingDiagnosticWarning

    hint = unscaled_hint(X)
    if hint:
        warnings.warn(f"sknn-scratch train: {hint}", TrainingDiagnosticWarning,
                      stacklevel=2)


def fit_scaler(kind, chunks):
    """A StandardScaler or MaxAbsScaler fitted by ``partial_fit`` over ``chunks``.

    Parameters
    ----------
    kind : {'standard', 'maxabs'}
    chunks : iterable of ndarray
        The file's examples, one 2-D chunk at a time (one pass).
    """
    from sklearn import preprocessing

    try:
        scaler = getattr(preprocessing, SCALERS[kind])()
    except KeyError:
        raise ValueError(f"--scale must be one of {', '.join(SCALERS)}, "
                         f"got {kind!r}") from None
    for X in chunks:
        scaler.partial_fit(X)
    return scaler


def with_scaler(scaler, estimator):
    """What ``train`` saves: the net alone, or the scaler and the net as a pipeline."""
    if scaler is None:
        return estimator
    from sklearn.pipeline import make_pipeline

    return make_pipeline(scaler, estimator)
