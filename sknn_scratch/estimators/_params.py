"""Parameter constraints of the nets (the logistic regression has its own)."""

from numbers import Real

from .._compat import Interval, StrOptions
from ..core.activations import HIDDEN_ACTIVATIONS
from .base import POSITIVE_INT, BaseScratchClassifier  # noqa: F401 (re-exported)

NET_CONSTRAINTS = {
    **BaseScratchClassifier._parameter_constraints,
    "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
    "init": [StrOptions({"auto", "zeros", "random", "xavier", "he"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "augmentation": [callable, None],
}
