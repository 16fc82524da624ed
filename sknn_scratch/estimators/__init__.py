"""Layer 2: the scikit-learn face of the shared core."""

from .deep import DeepNNClassifier
from .logistic import ScratchLogisticRegression
from .shallow import ShallowNNClassifier

__all__ = ["DeepNNClassifier", "ScratchLogisticRegression", "ShallowNNClassifier"]
