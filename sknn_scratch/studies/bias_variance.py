"""Bias / variance diagnosis from train and dev errors, as in the course.

With a baseline error (human-level or Bayes error estimate, 0 when unknown):

    avoidable bias = train error - baseline error
    variance       = dev error   - train error

A gap above a threshold is "high"; the course's advice follows from which gap
is high. Errors are ``1 - score``.

Floating point: ``1 - score`` is rounded, so 1 dev error in 20 against none in
training gives a variance of 0.050000000000000044, not 0.05. A gap counts as
high only when it exceeds the threshold by more than :data:`GAP_TOLERANCE`,
far below one example's share of any real data set and far above rounding.
"""

import math
import numbers
import warnings
from dataclasses import dataclass, field

from sklearn.base import clone
from sklearn.metrics import get_scorer

from .advice import bias_advice, variance_advice

__all__ = [
    "BiasVarianceReport", "bias_variance_report", "diagnose_fitted", "scoring_name",
    "GAP_TOLERANCE",
]

#: Gaps within this of the threshold count as equal to it (not high).
GAP_TOLERANCE = 1e-9

_DIAGNOSES = {
    (False, False): "good fit",
    (True, False): "high bias",
    (False, True): "high variance",
    (True, True): "high bias and high variance",
}


@dataclass(frozen=True, repr=False)
class BiasVarianceReport:
    """Train and dev errors of a fitted model, with the course's diagnosis.

    Built by :func:`bias_variance_report`; read-only.

    Attributes
    ----------
    train_error, dev_error : float
        ``1 - score`` on the training and dev sets.
    baseline_error : float
        The reference error (human-level / Bayes estimate).
    avoidable_bias : float
        ``train_error - baseline_error``.
    variance : float
        ``dev_error - train_error``.
    diagnosis : str
        'good fit', 'high bias', 'high variance' or 'high bias and high variance'.
    advice : tuple of str
        What to try next; empty for a good fit.
    estimator : estimator
        The fitted clone.
    threshold : float
        Gap above which bias or variance counts as high.
    scoring : str, callable or None
        The scoring used (None: the estimator's ``score``).
    """

    train_error: float
    dev_error: float
    baseline_error: float
    avoidable_bias: float
    variance: float
    diagnosis: str
    advice: tuple
    estimator: object = field(compare=False)
    threshold: float = 0.05
    scoring: object = None

    @property
    def high_bias(self):
        """True when the avoidable bias is above the threshold (beyond rounding)."""
        return _above(self.avoidable_bias, self.threshold)

    @property
    def high_variance(self):
        """True when the variance is above the threshold (beyond rounding)."""
        return _above(self.variance, self.threshold)

    def __repr__(self):
        scoring = "estimator.score" if self.scoring is None else scoring_name(self.scoring)
        flag = {True: "HIGH", False: "ok"}
        lines = [
            f"BiasVarianceReport({_estimator_name(self.estimator)}, "
            f"error = 1 - {scoring}, threshold = {self.threshold:.4f})",
            f"  baseline error  {self.baseline_error:8.4f}",
            f"  train error     {self.train_error:8.4f}",
            f"  dev error       {self.dev_error:8.4f}",
            f"  avoidable bias  {self.avoidable_bias:8.4f}  {flag[self.high_bias]}",
            f"  variance        {self.variance:8.4f}  {flag[self.high_variance]}",
            f"  diagnosis       {self.diagnosis}",
        ]
        if self.advice:
            lines.append("  advice:")
            lines += [f"    - {item}" for item in self.advice]
        return "\n".join(lines)

    __str__ = __repr__


def _estimator_name(estimator):
    steps = getattr(estimator, "steps", None)
    if steps:  # a Pipeline: list its steps' classes
        inner = ", ".join(type(step).__name__ for _, step in steps)
        return f"{type(estimator).__name__}({inner})"
    return type(estimator).__name__


def _above(gap, threshold):
    return gap - threshold > GAP_TOLERANCE


def scoring_name(scoring, *, kwargs=True):
    """A readable name for a ``scoring`` argument.

    A string is its own name; a function its ``__name__``; a
    :func:`~sklearn.metrics.make_scorer` object the name of the metric it wraps
    (``neg_`` in front when greater is not better), with its keyword arguments,
    e.g. ``f1_score(average='macro')`` rather than the class name ``_Scorer``;
    ``kwargs=False`` leaves the keyword arguments out (the plots' axis labels).
    """
    if scoring is None:
        return "score"
    if isinstance(scoring, str):
        return scoring
    func = getattr(scoring, "_score_func", None)
    if func is not None:  # a make_scorer object
        name = getattr(func, "__name__", type(func).__name__)
        if getattr(scoring, "_sign", 1) < 0:
            name = "neg_" + name
        args = ", ".join(f"{k}={v!r}" for k, v in getattr(scoring, "_kwargs", {}).items())
        return f"{name}({args})" if kwargs and args else name
    return getattr(scoring, "__name__", type(scoring).__name__)


def _check_gap_number(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return value


def bias_variance_report(
    estimator,
    X_train,
    y_train,
    X_dev,
    y_dev,
    *,
    baseline_error=0.0,
    scoring=None,
    threshold=0.05,
):
    """Fit a clone of ``estimator`` and diagnose bias and variance.

    Parameters
    ----------
    estimator : estimator
        Not modified: a :func:`sklearn.base.clone` is fitted on the training set.
    X_train, y_train : array-like
        Training set.
    X_dev, y_dev : array-like
        Dev (hold-out) set.
    baseline_error : float, default=0.0
        Human-level or Bayes error estimate, on the same ``1 - score`` scale.
        0 when unknown, which makes all of the training error avoidable.
    scoring : str, callable or None, default=None
        A scorer name or callable accepted by :func:`sklearn.metrics.get_scorer`;
        None uses ``estimator.score`` (accuracy for classifiers).
    threshold : float, default=0.05
        A gap (avoidable bias or variance) strictly above this counts as high:
        0.05 is five points of error, e.g. train 8 % against a baseline of 3 %
        is not yet high bias. A gap within :data:`GAP_TOLERANCE` (1e-9) of the
        threshold is rounding, not a gap above it.

    Returns
    -------
    report : BiasVarianceReport
        Errors, gaps, diagnosis, advice and the fitted clone.

    Raises
    ------
    ValueError
        If ``baseline_error`` or ``threshold`` is negative, not finite or not
        a number.

    Warns
    -----
    UserWarning
        If ``baseline_error`` is above the training error: the avoidable bias
        is then negative, which means the baseline is not the best achievable
        error (or the model has memorised its training set).

    Notes
    -----
    Errors are ``1 - score``, which is an error rate for scores in [0, 1]
    where higher is better (accuracy, balanced accuracy, F1, ROC AUC). For
    scorers outside [0, 1] the formula is applied unchanged: with
    ``scoring='neg_log_loss'`` the score is ``-loss``, so the error is
    ``1 + loss``. The variance (a difference of errors) keeps its meaning,
    but ``baseline_error`` must then be given on that same shifted scale
    (``1 + baseline loss``) and the threshold is in loss units. Likewise
    ``r2`` gives ``1 - R^2``, the fraction of unexplained variance.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sknn_scratch.studies import train_dev_test_split
    >>> X, y = load_iris(return_X_y=True)
    >>> X_tr, X_dev, _, y_tr, y_dev, _ = train_dev_test_split(
    ...     X, y, dev_size=0.2, test_size=0.2, random_state=0)
    >>> bias_variance_report(LogisticRegression(max_iter=500), X_tr, y_tr,
    ...                      X_dev, y_dev).diagnosis
    'good fit'
    """
    baseline_error = _check_gap_number(baseline_error, "baseline_error")
    threshold = _check_gap_number(threshold, "threshold")
    fitted = clone(estimator).fit(X_train, y_train)
    return diagnose_fitted(fitted, X_train, y_train, X_dev, y_dev,
                           baseline_error=baseline_error, scoring=scoring,
                           threshold=threshold)


def diagnose_fitted(fitted, X_train, y_train, X_dev, y_dev, *, baseline_error=0.0,
                    scoring=None, threshold=0.05):
    """The report of :func:`bias_variance_report` for an already fitted model.

    Used when the model is fitted anyway (e.g. by ``sknn-scratch study``), so
    it is not trained a second time. Parameters as :func:`bias_variance_report`.
    """
    baseline_error = _check_gap_number(baseline_error, "baseline_error")
    threshold = _check_gap_number(threshold, "threshold")
    score = _estimator_score if scoring is None else get_scorer(scoring)
    train_error = 1.0 - float(score(fitted, X_train, y_train))
    dev_error = 1.0 - float(score(fitted, X_dev, y_dev))
    avoidable_bias = train_error - baseline_error
    variance = dev_error - train_error
    if avoidable_bias < -GAP_TOLERANCE:
        warnings.warn(
            f"baseline_error={baseline_error:.4g} is above the train error "
            f"{train_error:.4g}, so the avoidable bias is negative "
            f"({avoidable_bias:.4g}): the model does better on its training set than "
            "the human-level or Bayes error said is possible. Check the baseline "
            "(same scoring, same scale), or whether the model memorised the training "
            "set (compare the dev error).", UserWarning, stacklevel=2)
    high_bias = _above(avoidable_bias, threshold)
    high_variance = _above(variance, threshold)
    advice = ((bias_advice(fitted) if high_bias else ())
              + (variance_advice(fitted) if high_variance else ()))
    return BiasVarianceReport(
        train_error=train_error,
        dev_error=dev_error,
        baseline_error=baseline_error,
        avoidable_bias=avoidable_bias,
        variance=variance,
        diagnosis=_DIAGNOSES[high_bias, high_variance],
        advice=advice,
        estimator=fitted,
        threshold=threshold,
        scoring=scoring,
    )


def _estimator_score(estimator, X, y):
    """Scorer that calls ``estimator.score(X, y)``; used when ``scoring`` is None."""
    return estimator.score(X, y)
