"""What the study Displays share: a figure without pyplot, names and axis labels.

matplotlib is imported only when a Display draws (``pip install
sknn-scratch[plot]``); pyplot never is, so no window opens and no global figure
state is touched.
"""

import numbers

from sklearn.exceptions import NotFittedError

from .bias_variance import scoring_name


class NotFittedForPlot(NotFittedError, TypeError):
    """An unfitted estimator given to a plot: scikit-learn's NotFittedError, and a
    TypeError as the plots raised for it before (like InvalidParameterError,
    which is both a ValueError and a TypeError)."""


def figure_class(caller):
    """matplotlib's Figure, or an ImportError naming the extra to install."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib: pip install sknn-scratch[plot]") from exc
    return Figure


def root_figure(ax):
    """The top-level Figure holding ``ax`` (a SubFigure's parent figure)."""
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10: no ``root`` argument
        fig = ax.figure
        return getattr(fig, "figure", None) or fig


def new_axes(ax, caller, figsize=(6.4, 4.8)):
    """Return ``(figure, ax)``: a fresh Figure and Axes when ``ax`` is None."""
    Figure = figure_class(caller)
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    return root_figure(ax), ax


def estimator_name(estimator):
    """The class name of an estimator, of a Pipeline's last step for a Pipeline."""
    steps = getattr(estimator, "steps", None)
    if steps:
        estimator = steps[-1][1]
    return type(estimator).__name__


def error_label(scoring):
    """The y-axis label for ``1 - score``: an error for a score in [0, 1]; for
    a ``neg_*`` scorer (a loss negated) it says what the number is instead."""
    name = scoring_name(scoring, kwargs=False)
    if name.startswith("neg_"):
        return f"1 - {name} = 1 + {name[4:]} (not an error rate)"
    return f"error (1 - {name})"


def check_smoothing(smoothing):
    """``smoothing`` as a float in [0, 1) (None means 0: no smoothing)."""
    if smoothing is None:
        return 0.0
    if (isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real)
            or not 0.0 <= smoothing < 1.0):
        raise ValueError(f"smoothing must be a float in [0, 1), got {smoothing!r}.")
    return float(smoothing)
