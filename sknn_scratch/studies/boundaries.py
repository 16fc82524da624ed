"""Decision boundaries of several 2-D classifiers in one grid of panels.

Each panel is scikit-learn's :class:`~sklearn.inspection.DecisionBoundaryDisplay`
of one fitted model, with the points on top, coloured by class; a model that
could not be trained (``None`` or a message in place of the estimator) gets a
panel saying so. Drawn on a Figure made here (no pyplot figure, no window).
"""

import math
from collections.abc import Mapping

import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay

from ._display import estimator_name, figure_class, root_figure

__all__ = ["DecisionBoundaryGridDisplay"]


def _named(estimators):
    """``estimators`` as {title: estimator}: a mapping as given; a list or tuple
    named by class (``'model i'`` for a missing model, ``' (2)'`` for a repeat)."""
    if isinstance(estimators, Mapping):
        return dict(estimators)
    if not isinstance(estimators, list | tuple):
        raise TypeError(
            "estimators must be a dict of panel title to fitted estimator, or a list "
            f"of fitted estimators; got {type(estimators).__name__}.")
    named = {}
    for i, est in enumerate(estimators, start=1):
        name = (f"model {i}" if est is None or isinstance(est, str)
                else estimator_name(est))
        title, k = name, 1
        while title in named:
            k += 1
            title = f"{name} ({k})"
        named[title] = est
    return named


class DecisionBoundaryGridDisplay:
    """One decision-boundary panel per model, in a grid.

    Parameters
    ----------
    displays : dict of str to DecisionBoundaryDisplay or str
        Per panel title, the boundary drawn, or why there is none.
    X : array-like of shape (n_samples, 2), default=None
        The points drawn on each panel (none when None).
    y : array-like of shape (n_samples,), default=None
        Their classes, which colour them.
    ncols : int, default=4
        Panels per row of a new figure.

    Attributes
    ----------
    figure_ : matplotlib Figure
    axes_ : ndarray of Axes
        The panels, row by row (unused trailing panels are hidden).
    ax_ : matplotlib Axes
        The first panel.
    """

    def __init__(self, displays, X=None, y=None, *, ncols=4):
        self.displays = dict(displays)
        self.X, self.y, self.ncols = X, y, ncols

    @classmethod
    def from_estimators(cls, estimators, X, y, *, ncols=4, grid_resolution=200,
                        response_method="predict", ax=None):
        """Draw the boundary of each fitted estimator with the points ``X, y``.

        Parameters
        ----------
        estimators : dict of str to estimator, None or str, or list of estimators
            Panel title -> fitted classifier on 2 features (a str says why a
            panel has no model, e.g. the estimator's refusal); a list names its
            panels by the estimators' classes.
        X : array-like of shape (n_samples, 2)
        y : array-like of shape (n_samples,)
        ncols : int, default=4
            Panels per row.
        grid_resolution : int, default=200
            Points per axis of the grid the classifier is evaluated on.
        response_method : str, default='predict'
            As in ``DecisionBoundaryDisplay.from_estimator``.
        ax : array-like of Axes, default=None
            One Axes per model (see :meth:`plot`); a new Figure when None.

        Returns
        -------
        display : DecisionBoundaryGridDisplay
        """
        estimators = _named(estimators)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(
                f"Decision boundaries are drawn for 2 features; X has shape {X.shape}.")
        if not estimators:
            raise ValueError("estimators is empty: give at least one fitted model.")
        Figure = figure_class("DecisionBoundaryGridDisplay")
        scratch = Figure().add_subplot()  # the boundaries are computed here, then
        # drawn by :meth:`plot`
        colors = _class_colors(y)
        region = {} if colors is None else {"multiclass_colors": colors}
        displays = {}
        for title, est in estimators.items():
            if est is None or isinstance(est, str):
                displays[title] = est or "no model"
            else:
                displays[title] = DecisionBoundaryDisplay.from_estimator(
                    est, X, response_method=response_method,
                    grid_resolution=grid_resolution, ax=scratch, **region)
        return cls(displays, X, y, ncols=ncols).plot(ax=ax)

    def plot(self, ax=None, *, ncols=None):
        """Draw the panels on ``ax``, one Axes per model (an array or sequence of
        Axes, e.g. ``fig.subplots(2, 2)``; spare ones are hidden), or on a new
        Figure of ``ncols`` panels per row when None. Returns self."""
        n = len(self.displays)
        if ax is None:
            Figure = figure_class("DecisionBoundaryGridDisplay")
            ncols = max(1, min(ncols or self.ncols, n))
            nrows = math.ceil(n / ncols)
            fig = Figure(figsize=(3.2 * ncols, 3.0 * nrows), layout="constrained")
            axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if axes.size < n:
                raise ValueError(f"ax has {axes.size} Axes for {n} panels: give one "
                                 "Axes per model (or None for a new figure).")
            fig = root_figure(axes[0])
        colors = _class_colors(self.y) if self.y is not None else None
        region = {"cmap": "coolwarm"} if colors is None else {}
        points = {}
        if self.y is not None:
            classes, codes = np.unique(self.y, return_inverse=True)
            points = ({"c": codes, "cmap": "coolwarm"} if colors is None
                      else {"c": np.array(colors)[codes]})
        for panel, (title, display) in zip(axes, self.displays.items()):
            if isinstance(display, str):
                panel.text(0.5, 0.5, display, ha="center", va="center", wrap=True,
                           fontsize="small", transform=panel.transAxes)
                panel.set_axis_off()
            else:
                display.plot(ax=panel, alpha=0.5, **region)
                if self.X is not None:
                    X = np.asarray(self.X)
                    panel.scatter(X[:, 0], X[:, 1], s=8, edgecolors="k",
                                  linewidths=0.2, **points)
            panel.set_title(title, fontsize="small")
        for panel in axes[n:]:
            panel.set_axis_off()
        self.figure_, self.axes_, self.ax_ = fig, axes, axes[0]
        return self


def _class_colors(y):
    """Two classes (or none known): None, one colour map for regions and points;
    more: class i in matplotlib's colour Ci, regions and points alike."""
    if y is None:
        return None
    classes = np.unique(y)
    if classes.size <= 2:
        return None
    return [f"C{i % 10}" for i in range(classes.size)]
