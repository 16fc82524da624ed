"""Layer 0: update rules, learning-rate schedules and Newton-CG, NumPy only."""

from .averages import bias_correction, ewa, ewa_update
from .optimizers import GD, Adam, Momentum, RMSprop, make_optimizer
from .schedules import SCHEDULES, learning_rate_at

__all__ = [
    "GD", "Adam", "Momentum", "RMSprop", "SCHEDULES", "bias_correction", "ewa",
    "ewa_update", "learning_rate_at", "make_optimizer",
]
