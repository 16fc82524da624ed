"""The course's advice for high bias or high variance, in the model's own parameter names.

The notes' recipe: for high (avoidable) bias, a bigger model, training longer or
another architecture; for high variance, more data, regularization or data
augmentation. Each remedy is named here only when the estimator has the
parameter that applies it (read from ``get_params``), so scikit-learn's
LogisticRegression is told about ``C`` and a ShallowNNClassifier about
``n_hidden``, never about parameters they do not have; and only when its value
leaves room (no "decrease alpha" at alpha=0, no "larger C" without a penalty, no
"solver='adam'" for Adam, no "early stopping" when it is on).
"""

import numpy as np

__all__ = ["bias_advice", "variance_advice"]

#: Solvers that run to convergence by themselves: "train longer" does not apply.
_CONVERGING_SOLVERS = {"auto", "newton", "lbfgs", "newton-cg", "newton-cholesky",
                       "liblinear"}


def _final_params(estimator):
    """``get_params(deep=False)`` of the estimator, or of a pipeline's last step."""
    steps = getattr(estimator, "steps", None)
    final = steps[-1][1] if steps else estimator
    get_params = getattr(final, "get_params", None)
    return get_params(deep=False) if callable(get_params) else {}


def _rate_name(params):
    # MLPClassifier's step size is learning_rate_init (its learning_rate is a schedule)
    return "learning_rate_init" if "learning_rate_init" in params else "learning_rate"


def _is_net(params):
    return "hidden_layer_sizes" in params or "n_hidden" in params


def _penalized(params):
    """Whether the L2 penalty is on: C finite and penalty not None (C unused then)."""
    C = params.get("C")
    return (params.get("penalty", "l2") not in (None, "none")
            and C is not None and np.isfinite(C))


def bias_advice(estimator):
    """What to try against high avoidable bias (underfitting), for this estimator.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Its (last step's) ``get_params(deep=False)`` decides which remedies
        are named.

    Returns
    -------
    advice : tuple of str
    """
    params = _final_params(estimator)
    advice = []
    if "hidden_layer_sizes" in params:
        advice.append("bigger network: more hidden units or more layers "
                      "(hidden_layer_sizes)")
    elif "n_hidden" in params:
        advice.append("bigger network: more hidden units (n_hidden)")
    elif "C" in params:  # a linear model: its boundary is a hyperplane
        advice.append("more features (e.g. PolynomialFeatures), or a neural network: "
                      "a linear model draws a straight decision boundary")
        if _penalized(params):
            advice.append("less L2 regularization: a larger C")
    if _is_net(params) and (params.get("alpha") or 0) > 0:
        advice.append("less L2 regularization: decrease alpha")
    solver = params.get("solver")
    if "max_iter" in params and (_is_net(params) or solver not in _CONVERGING_SOLVERS):
        better = ", solver='adam'" if "solver" in params and solver != "adam" else ""
        advice.append(f"train longer or use a better optimizer (max_iter{better}, "
                      f"tuned {_rate_name(params)})")
    knobs = [name for name in ("activation", "init") if name in params]
    if "hidden_layer_sizes" in params:
        knobs.append("depth")  # a shallow net has one hidden layer, fixed
    if _is_net(params) and knobs:
        advice.append(f"try another architecture ({', '.join(knobs)})")
    if not advice:  # an estimator we know nothing about: the notes' words only
        advice = ["a more flexible model (more capacity)",
                  "train longer or use a better optimizer"]
    return tuple(advice)


def variance_advice(estimator):
    """What to try against high variance (overfitting), for this estimator.

    Parameters and return value as :func:`bias_advice`: more training data
    always, then the regularizers the estimator has (``alpha``, or a smaller
    ``C``; ``dropout``, ``augmentation``, early stopping for the nets).
    """
    params = _final_params(estimator)
    advice = ["more training data"]
    if "alpha" in params:
        advice.append("L2 regularization: increase alpha")
    elif "C" in params:  # C is the inverse of the penalty's strength
        advice.append("L2 regularization: a larger penalty, i.e. a smaller C")
    if "dropout" in params:
        advice.append("dropout: increase dropout")
    if "augmentation" in params:
        advice.append("data augmentation (augmentation) to enlarge the training set")
    if _is_net(params) and params.get("early_stopping") is False:
        advice.append("early stopping (early_stopping=True)")
    if len(advice) == 1:
        advice.append("regularization: a simpler model or a stronger penalty")
    return tuple(advice)
