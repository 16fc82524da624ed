"""BiasVarianceDisplay: grouped bars of baseline, train and dev error per model."""

from collections.abc import Mapping

import numpy as np

from ._display import error_label, estimator_name, new_axes
from .bias_variance import BiasVarianceReport, diagnose_fitted

__all__ = ["BiasVarianceDisplay"]


def _check_reports(reports):
    if isinstance(reports, BiasVarianceReport):
        reports = {estimator_name(reports.estimator): reports}
    if not isinstance(reports, Mapping) or not reports:
        raise ValueError(
            "reports must be a BiasVarianceReport or a non-empty dict of name -> "
            f"BiasVarianceReport, got {type(reports).__name__}.")
    for name, report in reports.items():
        if not isinstance(report, BiasVarianceReport):
            raise TypeError(
                f"reports[{name!r}] is a {type(report).__name__}, not a "
                "BiasVarianceReport (build one with bias_variance_report).")
    return dict(reports)


class BiasVarianceDisplay:
    """Baseline, train and dev error of each model, as the course reads them.

    The bars are ``1 - score``: an error for accuracy-like scores. For a
    ``neg_*`` scorer (a negated loss) the y axis says what the number is
    (``1 + log_loss`` for ``neg_log_loss``), not "error".

    Parameters
    ----------
    reports : dict of str to BiasVarianceReport
    dev_label : str, default='dev'
        What the dev bars are: the course preset's test set stands in for a dev
        set it does not have, and its figure says so.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    bars_ : dict of str to BarContainer
        The 'baseline', 'train' and dev (``dev_label``) series.
    """

    def __init__(self, reports, *, dev_label="dev"):
        self.reports = _check_reports(reports)
        self.dev_label = dev_label

    @classmethod
    def from_reports(cls, reports, *, dev_label="dev", ax=None):
        """Plot :class:`BiasVarianceReport` s (one, or a dict name -> report)."""
        return cls(reports, dev_label=dev_label).plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, X_train, y_train, X_dev, y_dev, *, name=None,
                       ax=None, **kwargs):
        """Diagnose a fitted estimator (:func:`diagnose_fitted`, with its
        ``baseline_error``, ``scoring`` and ``threshold`` keywords) and plot it."""
        report = diagnose_fitted(estimator, X_train, y_train, X_dev, y_dev, **kwargs)
        return cls({name or estimator_name(estimator): report}).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the bars on ``ax`` (a new Figure when None); returns self."""
        self.figure_, self.ax_ = new_axes(ax, "BiasVarianceDisplay")
        names = list(self.reports)
        x = np.arange(len(names))
        width = 0.27
        series = (("baseline", "baseline_error"), ("train", "train_error"),
                  (self.dev_label, "dev_error"))
        self.bars_ = {}
        for i, (label, attr) in enumerate(series):
            heights = [getattr(self.reports[n], attr) for n in names]
            bars = self.ax_.bar(x + (i - 1) * width, heights, width, label=label)
            # upright labels, 3 significant digits: neighbours never run together
            self.ax_.bar_label(bars, fmt="%.3g", fontsize=7, rotation=90, padding=2)
            self.bars_[label] = bars
        low, high = self.ax_.get_ylim()
        self.ax_.set_ylim(low, high + 0.15 * (high - low))  # room for the labels
        # long names ("sklearn LogisticRegression") are wrapped at the first space
        wrapped = [n.replace(" ", "\n", 1) for n in names]
        self.ax_.set_xticks(x, [f"{w}\n({self.reports[n].diagnosis})"
                                for w, n in zip(wrapped, names)],
                            rotation=20, ha="right", fontsize="small")
        scorings = {error_label(r.scoring) for r in self.reports.values()}
        self.ax_.set_xlabel("model")
        self.ax_.set_ylabel(scorings.pop() if len(scorings) == 1
                            else "1 - score (the models' scorers differ)")
        self.ax_.set_title("Bias / variance")
        self.ax_.legend()
        return self
