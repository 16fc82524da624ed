"""``check_gradients``: the notes' gradient check, for any of the three estimators."""

from numbers import Real

import numpy as np

from .core.gradcheck import check_network_gradients


def check_gradients(estimator, X, y, sample_weight=None, *, epsilon=1e-7):
    """Check backprop against two-sided finite differences over every parameter.

    Parameters
    ----------
    estimator : ScratchLogisticRegression, ShallowNNClassifier or DeepNNClassifier
        Fitted (its weights are checked) or unfitted (the weights its ``fit``
        would start from, drawn with its ``random_state``). It is not modified,
        nor is a ``RandomState`` instance passed as its ``random_state``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Keep it small: the check costs two forward passes per parameter.
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), default=None
    epsilon : float, default=1e-7
        Finite-difference step.

    Returns
    -------
    result : GradientCheckResult
        ``max_relative_error`` (the worst layer's), ``layer_errors`` per layer,
        ``relative_error`` (the notes' single number over all parameters), and a
        repr with the notes' verdict (< 1e-7 fine, > 1e-3 a bug) read with care:
        a difference within the finite differences' own rounding noise is not
        called suspicious, a gradient within that noise (a converged fit) is
        "inconclusive", and so is a difference straddling ReLU's kink at 0
        (``near_kinks``); see :mod:`sknn_scratch.core.gradcheck`. ``passed`` is
        True when backprop agrees. The L2 term (``alpha`` / ``C``), sample and
        class weights and, when the estimator uses dropout, one fixed dropout
        mask are part of the checked objective. A fitted estimator is checked
        with the architecture of its ``coefs_``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn_scratch import DeepNNClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> result = check_gradients(DeepNNClassifier((5, 4), random_state=0), X[::10], y[::10])
    >>> result.max_relative_error < 1e-7
    True
    """
    if isinstance(estimator, type):
        raise TypeError(
            f"check_gradients expects a sknn_scratch estimator instance, got the class "
            f"{estimator.__name__}; pass {estimator.__name__}() instead."
        )
    if not hasattr(estimator, "_objective_inputs"):
        raise TypeError(
            "check_gradients expects a sknn_scratch estimator (ScratchLogisticRegression, "
            f"ShallowNNClassifier or DeepNNClassifier), got {type(estimator).__name__}."
        )
    if isinstance(epsilon, bool) or not isinstance(epsilon, Real):
        raise TypeError(f"epsilon must be a positive float, got {epsilon!r}.")
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a finite positive float, got {epsilon!r}.")
    return check_network_gradients(**estimator._objective_inputs(X, y, sample_weight),
                                   epsilon=epsilon)
