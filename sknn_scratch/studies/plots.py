"""The earlier ``plot_*`` functions, each one line over a Display.

Each returns the Display's ``figure_`` (a :class:`matplotlib.figure.Figure`;
save it with ``fig.savefig(path)``). New code can use the Displays directly:
:class:`~.loss_display.LossCurveDisplay`,
:class:`~.bias_variance_display.BiasVarianceDisplay`, and scikit-learn's
``LearningCurveDisplay`` / ``ValidationCurveDisplay`` through
:mod:`.curve_displays`.
"""

from collections.abc import Mapping

from .bias_variance_display import BiasVarianceDisplay
from .curve_displays import error_learning_curve, error_validation_curve
from .loss_display import LossCurveDisplay

__all__ = [
    "plot_loss_curves",
    "plot_learning_curve",
    "plot_validation_curve",
    "plot_bias_variance",
]


def plot_loss_curves(estimators_or_histories, *, smoothing=0.9, ax=None):
    """:meth:`LossCurveDisplay.from_estimator` (or ``from_history`` for records
    and series): the real curves, with the EWA of ``smoothing`` as a faint
    overlay (0 or None: none). Returns the Figure."""
    first = (next(iter(estimators_or_histories.values()), None)
             if isinstance(estimators_or_histories, Mapping) else estimators_or_histories)
    build = (LossCurveDisplay.from_estimator if hasattr(first, "fit")
             else LossCurveDisplay.from_history)
    return build(estimators_or_histories, smoothing=smoothing, ax=ax).figure_


def plot_learning_curve(estimator, X, y, **kwargs):
    """:func:`~.curve_displays.error_learning_curve` (scikit-learn's
    LearningCurveDisplay of the error); returns the Figure."""
    return error_learning_curve(estimator, X, y, **kwargs).figure_


def plot_validation_curve(estimator, X, y, **kwargs):
    """:func:`~.curve_displays.error_validation_curve` (scikit-learn's
    ValidationCurveDisplay of the error); returns the Figure."""
    return error_validation_curve(estimator, X, y, **kwargs).figure_


def plot_bias_variance(reports, ax=None):
    """:meth:`BiasVarianceDisplay.from_reports`; returns the Figure."""
    return BiasVarianceDisplay.from_reports(reports, ax=ax).figure_
