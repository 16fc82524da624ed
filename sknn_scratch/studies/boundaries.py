"""Decision boundaries of several 2-D classifiers in one grid of panels.

Each panel is scikit-learn's :class:`~sklearn.inspection.DecisionBoundaryDisplay`
of one fitted model, with the points on top, coloured by class; a model that
could not be trained (``None`` or a message in place of the estimator) gets a
panel saying so. Drawn on a Figure made here (no pyplot figure, no window).
"""

import math

import numpy as np
from sklearn.inspection import DecisionBoundaryDisplay

from ._display import figure_class

__all__ = ["DecisionBoundaryGridDisplay"]


class DecisionBoundaryGridDisplay:
    """One decision-boundary panel per model, in a grid.

    Parameters
    ----------
    displays : dict of str to DecisionBoundaryDisplay or str
        Per panel title, the boundary drawn, or why there is none.

    Attributes
    ----------
    figure_ : matplotlib Figure
    axes_ : ndarray of Axes
        The panels, row by row (unused trailing panels are hidden).
    """

    def __init__(self, displays):
        self.displays = dict(displays)

    @classmethod
    def from_estimators(cls, estimators, X, y, *, ncols=4, grid_resolution=200,
                        response_method="predict"):
        """Draw the boundary of each fitted estimator with the points ``X, y``.

        Parameters
        ----------
        estimators : dict of str to estimator, None or str
            Panel title -> fitted classifier on 2 features (a str says why a
            panel has no model, e.g. the estimator's refusal).
        X : array-like of shape (n_samples, 2)
        y : array-like of shape (n_samples,)
        ncols : int, default=4
            Panels per row.
        grid_resolution : int, default=200
            Points per axis of the grid the classifier is evaluated on.
        response_method : str, default='predict'
            As in ``DecisionBoundaryDisplay.from_estimator``.

        Returns
        -------
        display : DecisionBoundaryGridDisplay
        """
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(
                f"Decision boundaries are drawn for 2 features; X has shape {X.shape}.")
        if not estimators:
            raise ValueError("estimators is empty: give at least one fitted model.")
        Figure = figure_class("DecisionBoundaryGridDisplay")
        n = len(estimators)
        ncols = max(1, min(ncols, n))
        nrows = math.ceil(n / ncols)
        fig = Figure(figsize=(3.2 * ncols, 3.0 * nrows), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
        # two classes: one colour map for regions and points; more: class i in
        # matplotlib's colour Ci, regions and points alike
        classes, codes = np.unique(y, return_inverse=True)
        if classes.size <= 2:
            region, points = {"cmap": "coolwarm"}, {"c": codes, "cmap": "coolwarm"}
        else:
            colors = [f"C{i % 10}" for i in range(classes.size)]
            region, points = {"multiclass_colors": colors}, {"c": np.array(colors)[codes]}
        displays = {}
        for ax, (title, est) in zip(axes, estimators.items()):
            if est is None or isinstance(est, str):
                ax.text(0.5, 0.5, est or "no model", ha="center", va="center",
                        wrap=True, fontsize="small", transform=ax.transAxes)
                ax.set_axis_off()
                displays[title] = est or "no model"
            else:
                displays[title] = DecisionBoundaryDisplay.from_estimator(
                    est, X, response_method=response_method,
                    grid_resolution=grid_resolution, ax=ax, alpha=0.5, **region)
                ax.scatter(X[:, 0], X[:, 1], s=8, edgecolors="k", linewidths=0.2,
                           **points)
            ax.set_title(title, fontsize="small")
        for ax in axes[n:]:
            ax.set_axis_off()
        self = cls(displays)
        self.figure_, self.axes_ = fig, axes
        return self
