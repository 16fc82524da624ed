"""LossCurveDisplay: the loss per epoch as trained, with the notes' EWA as an option.

The main line is the real loss of each epoch (the weighted mean of its
mini-batch losses). With ``smoothing=beta`` the notes' bias-corrected
exponentially weighted average is drawn faintly over it, applied to the
per-step (mini-batch) losses recorded in ``history_`` where they exist: that is
the noisy series the notes smooth. An EWA of already averaged epoch losses only
lags (Adam's drawn loss at epoch 10 was 0.52 against a real 0.155).

Newton's and L-BFGS's iterations (``ScratchLogisticRegression``'s full-batch
solvers) are not epochs: such curves are drawn dotted with circles and named so
in the legend.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..optim.averages import ewa
from ..training.stops import NAMES
from ._display import NotFittedForPlot, check_smoothing, estimator_name, new_axes

#: A full-batch solver's unit (its curve is drawn dotted, with markers); 'auto' is
#: whichever of the two ran.
_UNITS = {**{solver: f"{name} iteration" for solver, name in NAMES.items()},
          "auto": "iteration"}

__all__ = ["LossCurve", "LossCurveDisplay"]


@dataclass
class LossCurve:
    """One model's curves: per-epoch ``loss`` and ``val_loss`` (or None), the
    per-step losses in order with the number of steps of each epoch (or None),
    and the unit of the x axis ('epoch' or 'Newton iteration')."""

    name: str
    loss: np.ndarray
    val_loss: np.ndarray = None
    step_losses: np.ndarray = None
    steps_per_epoch: np.ndarray = None
    unit: str = "epoch"


def _from_history(history, name, unit):
    loss = [record["loss"] for record in history]
    val = [record.get("val_loss") for record in history]
    steps = [record.get("batch_losses") for record in history]
    curve = LossCurve(name, np.asarray(loss, dtype=float), unit=unit)
    if val and all(v is not None for v in val):
        curve.val_loss = np.asarray(val, dtype=float)
    if steps and all(s for s in steps):
        curve.steps_per_epoch = np.array([len(s) for s in steps])
        curve.step_losses = np.concatenate([np.asarray(s, dtype=float) for s in steps])
    return curve


def _curve_of(obj, name):
    """A :class:`LossCurve` from a fitted estimator, a ``history_`` or a series."""
    source = obj
    if not hasattr(source, "loss_curve_") and getattr(source, "steps", None):
        source = source.steps[-1][1]
    if hasattr(source, "loss_curve_"):
        unit = _UNITS.get(getattr(source, "solver", None), "epoch")
        history = getattr(source, "history_", None)
        curve = (_from_history(history, name, unit) if history
                 else LossCurve(name, np.asarray(source.loss_curve_, dtype=float), unit=unit))
        if curve.val_loss is None and getattr(source, "validation_loss_curve_", None):
            curve.val_loss = np.asarray(source.validation_loss_curve_, dtype=float)
    elif isinstance(obj, (list, tuple)) and obj and all(isinstance(r, Mapping) for r in obj):
        curve = _from_history(obj, name, "epoch")  # an estimator's ``history_``
    elif isinstance(obj, (list, tuple, np.ndarray)):
        curve = LossCurve(name, np.asarray(obj, dtype=float))
    else:
        if hasattr(source, "fit"):
            try:
                check_is_fitted(source)
            except NotFittedError:
                raise NotFittedForPlot(
                    f"{name!r}: this {type(source).__name__} instance is not fitted "
                    "yet (so it is without loss_curve_); fit it before plotting its "
                    "loss curve.") from None
        raise TypeError(
            f"{name!r}: expected a fitted estimator with a loss_curve_ attribute, "
            f"a history_ list or a sequence of losses; got {type(obj).__name__} "
            "without loss_curve_ (is it fitted, with an iterative solver?).")
    if curve.loss.ndim != 1 or curve.loss.size == 0:
        raise ValueError(f"{name!r}: the loss curve is empty or not 1-D.")
    return curve


def _named_items(obj, name):
    if isinstance(obj, Mapping):
        if not obj:
            raise ValueError("Got an empty dict: give at least one estimator or history.")
        return list(obj.items())
    return [(name or estimator_name(obj), obj)]


class LossCurveDisplay:
    """Training (and validation) loss per epoch of one or more models.

    Build it with :meth:`from_estimator` or :meth:`from_history`; draw again
    with :meth:`plot`.

    Parameters
    ----------
    curves : list of LossCurve
        The curves to draw, one colour each.
    val_label : str, default='validation'
        Legend name of the held-out curves (the course preset's is its test set,
        standing in for a dev set it does not have).

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    lines_ : dict of str to list of Line2D
        Per model name, its lines: the loss, then the validation loss when
        recorded, then the EWA overlay when ``smoothing`` is on (never over
        Newton iterations).
    """

    def __init__(self, curves, *, val_label="validation"):
        self.curves = list(curves)
        self.val_label = val_label

    @classmethod
    def from_estimator(cls, estimator, *, name=None, smoothing=None,
                       val_label="validation", ax=None):
        """Plot the curves of a fitted estimator (a Pipeline's last step), or of
        a dict mapping names to fitted estimators.

        Parameters
        ----------
        estimator : estimator or dict of str to estimator
            Fitted, with ``loss_curve_`` (and ``history_``,
            ``validation_loss_curve_`` when recorded).
        name : str, default=None
            Legend name of a single estimator (default: its class name).
        smoothing : float in [0, 1) or None, default=None
            ``beta`` of the notes' bias-corrected EWA drawn faintly over each
            curve, from the per-step (mini-batch) losses when recorded.
        val_label : str, default='validation'
            Legend name of the held-out curves.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new Figure when None.

        Returns
        -------
        display : LossCurveDisplay
        """
        curves = [_curve_of(obj, key) for key, obj in _named_items(estimator, name)]
        return cls(curves, val_label=val_label).plot(ax=ax, smoothing=smoothing)

    @classmethod
    def from_history(cls, history, *, name="model", smoothing=None,
                     val_label="validation", ax=None):
        """Plot from an estimator's ``history_`` (list of per-epoch dicts), a
        plain sequence of losses, or a dict mapping names to either; same
        parameters as :meth:`from_estimator`."""
        curves = [_curve_of(obj, key) for key, obj in _named_items(history, name)]
        return cls(curves, val_label=val_label).plot(ax=ax, smoothing=smoothing)

    def plot(self, ax=None, *, smoothing=None):
        """Draw the curves on ``ax`` (a new Figure when None); returns self."""
        beta = check_smoothing(smoothing)
        self.figure_, self.ax_ = new_axes(ax, "LossCurveDisplay")
        self.lines_ = {}
        self.smoothed_ = set()
        iteration_units = set()
        for i, curve in enumerate(self.curves):
            color = f"C{i % 10}"
            newton = curve.unit != "epoch"  # a full-batch solver's iterations
            if newton:
                iteration_units.add(curve.unit)
            x = np.arange(1, curve.loss.size + 1)
            style = "o:" if newton else "-"
            suffix = f" ({curve.unit}s)" if newton else ""
            lines = self.ax_.plot(x, curve.loss, style, color=color, lw=1.6, ms=3,
                                  label=f"{curve.name} train{suffix}")
            if curve.val_loss is not None:
                lines += self.ax_.plot(x, curve.val_loss, "o--" if newton else "--",
                                       color=color, lw=1.2, ms=3,
                                       label=f"{curve.name} {self.val_label}{suffix}")
            if beta and not newton:  # a handful of Newton steps need no smoothing
                lines += self._plot_ewa(curve, beta, color)
            self.lines_[curve.name] = lines
        unit = (iteration_units.pop() if len(iteration_units) == 1
                else "iteration" if iteration_units else None)
        self.ax_.set_xlabel(f"epoch ({unit} for dotted lines)" if unit else "epoch")
        self.ax_.set_ylabel("loss")
        smoothed = " or ".join(sorted(self.smoothed_, reverse=True))
        self.ax_.set_title("Loss curves" + (
            f"\n(faint: EWA of the {smoothed}, beta={beta:g})" if smoothed else ""))
        self.ax_.legend(fontsize="small")
        return self

    def _plot_ewa(self, curve, beta, color):
        if curve.step_losses is not None and curve.steps_per_epoch.max() > 1:
            # step j (0-based) of epoch e's k steps ends at e - 1 + (j + 1) / k
            k = np.repeat(curve.steps_per_epoch, curve.steps_per_epoch)
            epoch = np.repeat(np.arange(curve.steps_per_epoch.size), curve.steps_per_epoch)
            j = np.arange(k.size) - np.repeat(
                np.cumsum(curve.steps_per_epoch) - curve.steps_per_epoch,
                curve.steps_per_epoch)
            x, values, what = epoch + (j + 1) / k, curve.step_losses, "mini-batch losses"
        else:
            x, values, what = np.arange(1, curve.loss.size + 1), curve.loss, "epoch losses"
        self.smoothed_.add(what)  # named in the title, kept out of the legend
        return self.ax_.plot(x, ewa(values, beta, bias_correction=True), color=color,
                             lw=1.0, alpha=0.45, label=f"_{curve.name} EWA")
