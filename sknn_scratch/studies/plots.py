"""Plots for studies: loss curves, learning and validation curves, bias/variance bars.

Every function draws with matplotlib's object-oriented API on a
:class:`matplotlib.figure.Figure` it creates (or on the ``ax`` given) and
returns that Figure. pyplot is never imported, so no window opens and no
global figure state is touched: save with ``fig.savefig(path)``, or show the
figure in a notebook by leaving it as the cell's value.

matplotlib is imported only inside these functions; install it with
``pip install sknn-scratch[plot]``.
"""

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import learning_curve, validation_curve
from sklearn.utils.validation import check_is_fitted

from ..optim.averages import ewa
from .bias_variance import BiasVarianceReport

__all__ = [
    "plot_loss_curves",
    "plot_learning_curve",
    "plot_validation_curve",
    "plot_bias_variance",
]


# ---------------------------------------------------------------- helpers
def _new_axes(ax, caller):
    """Return ``(figure, ax)``: a fresh Figure and Axes when ``ax`` is None."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib: pip install sknn-scratch[plot]"
        ) from exc
    if ax is None:
        fig = Figure(figsize=(6.4, 4.8), layout="constrained")
        return fig, fig.add_subplot()
    try:
        fig = ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: no ``root`` argument
        fig = ax.figure
        fig = getattr(fig, "figure", None) or fig
    return fig, ax


def _error_label(scoring):
    if scoring is None:
        return "error (1 - score)"
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
    return f"error (1 - {name})"


def _name(estimator):
    steps = getattr(estimator, "steps", None)  # a Pipeline: name its last step
    if steps:
        estimator = steps[-1][1]
    return type(estimator).__name__


def _band(ax, x, scores, label, marker):
    """Plot the mean error over folds, with a +/- one standard deviation band."""
    errors = 1.0 - np.asarray(scores, dtype=float)
    mean, std = errors.mean(axis=1), errors.std(axis=1)
    (line,) = ax.plot(x, mean, marker, label=label)
    ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2)


# ---------------------------------------------------------------- loss curves
class _NotFittedForPlot(NotFittedError, TypeError):
    """An unfitted estimator given to a plot: scikit-learn's NotFittedError, and a
    TypeError as this module raised for it before (like InvalidParameterError,
    which is both a ValueError and a TypeError)."""


def _curves_of(obj, name):
    """``(loss, validation loss or None)`` of an estimator, history or series."""
    source = obj
    if not hasattr(source, "loss_curve_") and getattr(source, "steps", None):
        source = source.steps[-1][1]
    if hasattr(source, "loss_curve_"):
        loss = source.loss_curve_
        val = getattr(source, "validation_loss_curve_", None)
    elif isinstance(obj, (list, tuple)) and obj and all(isinstance(r, Mapping) for r in obj):
        loss = [record["loss"] for record in obj]  # an estimator's ``history_``
        val = [record.get("val_loss") for record in obj]
        val = None if any(v is None for v in val) else val
    elif isinstance(obj, (list, tuple, np.ndarray)):
        loss, val = obj, None
    else:
        if hasattr(source, "fit"):
            try:
                check_is_fitted(source)
            except NotFittedError:
                raise _NotFittedForPlot(
                    f"{name!r}: this {type(source).__name__} instance is not fitted "
                    "yet (so it is without loss_curve_); fit it before plotting its "
                    "loss curve.") from None
        raise TypeError(
            f"{name!r}: expected a fitted estimator with a loss_curve_ attribute, "
            f"a history_ list or a sequence of losses; got {type(obj).__name__} "
            "without loss_curve_ (is it fitted, with an iterative solver?)."
        )
    loss = np.asarray(loss, dtype=float)
    if loss.ndim != 1 or loss.size == 0:
        raise ValueError(f"{name!r}: the loss curve is empty or not 1-D.")
    return loss, None if val is None else np.asarray(val, dtype=float)


def _plot_series(ax, values, smoothing, color, label, style):
    epochs = np.arange(1, len(values) + 1)
    if smoothing == 0:
        ax.plot(epochs, values, style, color=color, label=label)
        return
    ax.plot(epochs, values, style, color=color, lw=0.8, alpha=0.3)
    ax.plot(epochs, ewa(values, smoothing, bias_correction=True), style,
            color=color, lw=1.8, label=label)


def plot_loss_curves(estimators_or_histories, *, smoothing=0.9, ax=None):
    """Plot training (and validation) loss per epoch, raw and smoothed.

    Parameters
    ----------
    estimators_or_histories : estimator, sequence or dict
        A fitted estimator with ``loss_curve_`` (and optionally
        ``validation_loss_curve_``; a Pipeline's last step is used), an
        estimator's ``history_`` (list of dicts with ``loss`` and ``val_loss``),
        a sequence of loss values, or a dict mapping names to any of these.
    smoothing : float in [0, 1), default=0.9
        ``beta`` of the bias-corrected exponentially weighted average
        (:func:`sknn_scratch.optim.ewa.ewa`) drawn over each raw curve, which is
        kept as a thin transparent line. 0 draws the raw curve only.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new Figure is created when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two lines per curve (raw and smoothed; one when ``smoothing=0``);
        training solid, validation dashed, one colour per model.
    """
    if (
        isinstance(smoothing, bool)
        or not isinstance(smoothing, numbers.Real)
        or not 0.0 <= smoothing < 1.0
    ):
        raise ValueError(f"smoothing must be a float in [0, 1), got {smoothing!r}.")
    if isinstance(estimators_or_histories, Mapping):
        items = list(estimators_or_histories.items())
        if not items:
            raise ValueError("estimators_or_histories is an empty dict.")
    else:
        items = [(_name(estimators_or_histories), estimators_or_histories)]
    curves = [(name, *_curves_of(obj, name)) for name, obj in items]
    fig, ax = _new_axes(ax, "plot_loss_curves")
    for i, (name, loss, val) in enumerate(curves):
        color = f"C{i % 10}"
        _plot_series(ax, loss, smoothing, color, f"{name} train", "-")
        if val is not None:
            _plot_series(ax, val, smoothing, color, f"{name} validation", "--")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Loss curves" + (f" (smoothed, beta={smoothing:g})" if smoothing else ""))
    ax.legend()
    return fig


# ---------------------------------------------------------------- learning curve
def plot_learning_curve(
    estimator,
    X,
    y,
    *,
    train_sizes=(0.1, 0.325, 0.55, 0.775, 1.0),
    cv=5,
    scoring=None,
    ax=None,
    n_jobs=None,
    shuffle=False,
    random_state=None,
):
    """Plot train and cross-validation error against the number of training examples.

    Scores come from :func:`sklearn.model_selection.learning_curve`; the plot
    shows ``1 - score`` (mean over folds, with a one-standard-deviation band).
    A gap that stays wide as examples are added points to variance (more data
    helps); two curves meeting high point to bias (more data will not help).

    Parameters
    ----------
    estimator : estimator
        Cloned and fitted for every size and fold.
    X, y : array-like
        The data.
    train_sizes : array-like, default=(0.1, 0.325, 0.55, 0.775, 1.0)
        Fractions of the training folds (floats) or numbers of examples (ints).
    cv : int, cross-validation generator or iterable, default=5
        As in ``learning_curve`` (stratified folds for classifiers).
    scoring : str, callable or None, default=None
        Scorer; None uses ``estimator.score``. See
        :func:`~sknn_scratch.studies.bias_variance_report` for scorers outside [0, 1].
    ax : matplotlib Axes, default=None
        Axes to draw on; a new Figure is created when None.
    n_jobs : int, default=None
        Parallel jobs for ``learning_curve``.
    shuffle : bool, default=False
        Shuffle the training folds before taking prefixes of them, as in
        ``learning_curve``; useful when the data is sorted by class.
    random_state : int, RandomState instance or None, default=None
        Seed of that shuffle; used only when ``shuffle=True``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two lines: train error and cross-validation error.
    """
    fig, ax = _new_axes(ax, "plot_learning_curve")
    sizes, train_scores, cv_scores = learning_curve(
        estimator, X, y, train_sizes=np.asarray(train_sizes), cv=cv, scoring=scoring,
        n_jobs=n_jobs, shuffle=shuffle, random_state=random_state,
    )
    _band(ax, sizes, train_scores, "train", "o-")
    _band(ax, sizes, cv_scores, "cross-validation", "s-")
    ax.set_xlabel("training examples")
    ax.set_ylabel(_error_label(scoring))
    ax.set_title(f"Learning curve: {_name(estimator)}")
    ax.legend()
    return fig


# ---------------------------------------------------------------- validation curve
def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def plot_validation_curve(
    estimator,
    X,
    y,
    *,
    param_name,
    param_range,
    cv=5,
    scoring=None,
    log_scale=None,
    ax=None,
    n_jobs=None,
):
    """Plot train and cross-validation error against one hyperparameter.

    Scores come from :func:`sklearn.model_selection.validation_curve`; the
    plot shows ``1 - score`` with a one-standard-deviation band. Where the
    curves part, the model starts to overfit.

    Parameters
    ----------
    estimator : estimator
        Cloned and fitted for every value and fold.
    X, y : array-like
        The data.
    param_name : str
        The hyperparameter, e.g. ``"alpha"`` or ``"mlpclassifier__alpha"``
        inside a pipeline.
    param_range : sequence
        Values to try. Non-numeric values (e.g. ``hidden_layer_sizes`` tuples
        or strings) are placed at equal spacing and labelled on the x axis.
    cv : int, cross-validation generator or iterable, default=5
        As in ``validation_curve``.
    scoring : str, callable or None, default=None
        Scorer; None uses ``estimator.score``.
    log_scale : bool or None, default=None
        Logarithmic x axis. None chooses it when the values are positive
        numbers spanning at least two decades (max / min >= 100).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new Figure is created when None.
    n_jobs : int, default=None
        Parallel jobs for ``validation_curve``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Two lines: train error and cross-validation error.
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
            f"log_scale=True needs positive numeric values in param_range, got {values!r}."
        )
    fig, ax = _new_axes(ax, "plot_validation_curve")
    train_scores, cv_scores = validation_curve(
        estimator, X, y, param_name=param_name, param_range=values, cv=cv,
        scoring=scoring, n_jobs=n_jobs,
    )
    x = np.asarray(values, dtype=float) if numeric else np.arange(len(values))
    _band(ax, x, train_scores, "train", "o-")
    _band(ax, x, cv_scores, "cross-validation", "s-")
    if log_scale:
        ax.set_xscale("log")
    if not numeric:
        ax.set_xticks(x, [str(v) for v in values])
    ax.set_xlabel(param_name)
    ax.set_ylabel(_error_label(scoring))
    ax.set_title(f"Validation curve: {_name(estimator)}")
    ax.legend()
    return fig


# ---------------------------------------------------------------- bias / variance bars
def plot_bias_variance(reports, ax=None):
    """Grouped bars of baseline, train and dev error, one group per model.

    Parameters
    ----------
    reports : BiasVarianceReport or dict of str to BiasVarianceReport
        Reports from :func:`~sknn_scratch.studies.bias_variance_report`.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new Figure is created when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Three bar series (baseline, train, dev); each group's tick label
        carries the model's name and diagnosis.
    """
    if isinstance(reports, BiasVarianceReport):
        reports = {_name(reports.estimator): reports}
    if not isinstance(reports, Mapping) or not reports:
        raise ValueError(
            "reports must be a BiasVarianceReport or a non-empty dict of name -> "
            f"BiasVarianceReport, got {type(reports).__name__}."
        )
    for name, report in reports.items():
        if not isinstance(report, BiasVarianceReport):
            raise TypeError(
                f"reports[{name!r}] is a {type(report).__name__}, not a "
                "BiasVarianceReport (build one with bias_variance_report)."
            )
    fig, ax = _new_axes(ax, "plot_bias_variance")
    names = list(reports)
    x = np.arange(len(names))
    width = 0.27
    series = (("baseline", "baseline_error"), ("train", "train_error"), ("dev", "dev_error"))
    for i, (label, attr) in enumerate(series):
        heights = [getattr(reports[n], attr) for n in names]
        bars = ax.bar(x + (i - 1) * width, heights, width, label=label)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    # long names ("sklearn LogisticRegression") are wrapped at spaces and the
    # labels tilted, so neighbouring bars' labels never overlap
    ax.set_xticks(x, [f"{n}\n({reports[n].diagnosis})".replace(" ", "\n", 1)
                      if " " in n else f"{n}\n({reports[n].diagnosis})" for n in names],
                  rotation=20, ha="right", fontsize="small")
    ax.set_xlabel("model")
    ax.set_ylabel("error (1 - score)")
    ax.set_title("Bias / variance")
    ax.legend()
    return fig
