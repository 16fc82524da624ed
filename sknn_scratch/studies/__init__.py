"""Studies: train/dev/test splits, bias/variance diagnosis, curves and plots (layer 3).

Displays import matplotlib only when they draw (``pip install sknn-scratch[plot]``).
"""

from .bias_variance import BiasVarianceReport, bias_variance_report, diagnose_fitted
from .bias_variance_display import BiasVarianceDisplay
from .boundaries import DecisionBoundaryGridDisplay
from .loss_display import LossCurveDisplay
from .plots import (
    plot_bias_variance,
    plot_learning_curve,
    plot_loss_curves,
    plot_validation_curve,
)
from .split import train_dev_test_split

__all__ = [
    "BiasVarianceDisplay",
    "BiasVarianceReport",
    "DecisionBoundaryGridDisplay",
    "LossCurveDisplay",
    "bias_variance_report",
    "diagnose_fitted",
    "plot_bias_variance",
    "plot_learning_curve",
    "plot_loss_curves",
    "plot_validation_curve",
    "train_dev_test_split",
]
