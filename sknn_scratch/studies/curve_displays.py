"""Learning and validation curves as error, drawn by scikit-learn's Displays.

The scores come from :func:`sklearn.model_selection.learning_curve` and
:func:`~sklearn.model_selection.validation_curve`, computed one training size
(one parameter value) at a time so that a ``progress`` callback can report each
unit as it completes; the same folds are used for every unit. They are drawn
by :class:`~sklearn.model_selection.LearningCurveDisplay` and
:class:`~sklearn.model_selection.ValidationCurveDisplay` as ``1 - score`` (the
notes speak of error), on an Axes of a Figure made here: scikit-learn's
Displays import pyplot, but hold no pyplot figure and open no window.
"""

import numbers
import time

import numpy as np
from sklearn.model_selection import (
    LearningCurveDisplay,
    ValidationCurveDisplay,
    learning_curve,
    validation_curve,
)

from ._display import error_label, estimator_name, new_axes

__all__ = ["error_learning_curve", "error_validation_curve"]


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _draw(display, ax, title):
    display.plot(ax=ax, std_display_style="fill_between",
                 line_kw={"marker": "o"})
    for line, label in zip(display.lines_, ("train", "cross-validation")):
        line.set_label(label)
    ax.legend()
    ax.set_title(title)
    return display


def error_learning_curve(estimator, X, y, *, train_sizes=(0.1, 0.325, 0.55, 0.775, 1.0),
                         cv=5, scoring=None, n_jobs=None, shuffle=False,
                         random_state=None, ax=None, progress=None):
    """Train and cross-validation error against the number of training examples.

    Same parameters as :func:`sklearn.model_selection.learning_curve`, plus
    ``ax`` (a new Figure when None) and ``progress``: a callable
    ``progress(i, n, text)`` told when each training size is done.

    Returns
    -------
    display : sklearn.model_selection.LearningCurveDisplay
        Its ``figure_`` and ``ax_`` are the drawing; ``train_scores`` and
        ``test_scores`` hold the errors, one row per size, one column per fold.
    """
    fig, ax = new_axes(ax, "plot_learning_curve")
    sizes, train, test = [], [], []
    wanted = np.asarray(train_sizes)
    for i, size in enumerate(wanted, start=1):
        start = time.perf_counter()
        n, tr, te = learning_curve(estimator, X, y, train_sizes=[size], cv=cv,
                                   scoring=scoring, n_jobs=n_jobs, shuffle=shuffle,
                                   random_state=random_state)
        sizes.append(n[0]), train.append(tr[0]), test.append(te[0])
        if progress is not None:
            progress(i, len(wanted), f"{n[0]} examples x {tr.shape[1]} folds, "
                                     f"cv error {1 - te[0].mean():.3f} "
                                     f"({time.perf_counter() - start:.1f} s)")
    display = LearningCurveDisplay(
        train_sizes=np.asarray(sizes), train_scores=1 - np.asarray(train),
        test_scores=1 - np.asarray(test), score_name=error_label(scoring))
    _draw(display, ax, f"Learning curve: {estimator_name(estimator)}")
    ax.set_xlabel("training examples")
    display.figure_ = fig
    return display


def error_validation_curve(estimator, X, y, *, param_name, param_range, cv=5,
                           scoring=None, log_scale=None, n_jobs=None, ax=None,
                           progress=None):
    """Train and cross-validation error against one hyperparameter.

    Same parameters as :func:`sklearn.model_selection.validation_curve`, plus
    ``log_scale`` (None: a log axis when the values are positive numbers
    spanning two decades or more), ``ax`` and ``progress(i, n, text)``, told
    when each value is done. Non-numeric values (tuples, strings) are placed at
    equal spacing and labelled.

    Returns
    -------
    display : sklearn.model_selection.ValidationCurveDisplay
    """
    values = list(param_range)
    if not values:
        raise ValueError("param_range is empty: give at least one value to try.")
    numeric = all(_is_number(v) for v in values)
    positive = numeric and min(values) > 0
    if log_scale is None:
        log_scale = positive and max(values) / min(values) >= 100
    elif log_scale and not positive:
        raise ValueError(
            f"log_scale=True needs positive numeric values in param_range, got {values!r}.")
    fig, ax = new_axes(ax, "plot_validation_curve")
    train, test = [], []
    for i, value in enumerate(values, start=1):
        start = time.perf_counter()
        tr, te = validation_curve(estimator, X, y, param_name=param_name,
                                  param_range=[value], cv=cv, scoring=scoring,
                                  n_jobs=n_jobs)
        train.append(tr[0]), test.append(te[0])
        if progress is not None:
            progress(i, len(values), f"{param_name}={value!r}: cv error "
                                     f"{1 - te[0].mean():.3f} "
                                     f"({time.perf_counter() - start:.1f} s)")
    x = np.asarray(values, dtype=float) if numeric else np.arange(len(values))
    display = ValidationCurveDisplay(
        param_name=param_name, param_range=x, train_scores=1 - np.asarray(train),
        test_scores=1 - np.asarray(test), score_name=error_label(scoring))
    _draw(display, ax, f"Validation curve: {estimator_name(estimator)}")
    ax.set_xscale("log" if log_scale else "linear")
    if not numeric:
        ax.set_xticks(x, [str(v) for v in values])
    display.figure_ = fig
    return display
