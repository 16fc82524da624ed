"""Studies: train/dev/test splits, bias/variance diagnosis, curves and plots (layer 3).

Plot functions import matplotlib only when called (``pip install sknn-scratch[plot]``).
"""

from .bias_variance import BiasVarianceReport, bias_variance_report, diagnose_fitted
from .plots import (
    plot_bias_variance,
    plot_learning_curve,
    plot_loss_curves,
    plot_validation_curve,
)
from .split import train_dev_test_split

__all__ = [
    "BiasVarianceReport",
    "bias_variance_report",
    "diagnose_fitted",
    "plot_bias_variance",
    "plot_learning_curve",
    "plot_loss_curves",
    "plot_validation_curve",
    "train_dev_test_split",
]
