"""sknn_scratch: scikit-learn compatible neural-network classifiers in NumPy.

The estimators are imported lazily so that ``from sknn_scratch import runtime``
(the NumPy-only deployment runtime) never imports scikit-learn.
"""

__version__ = "0.1.0"

_LAZY = {
    "ScratchLogisticRegression": "sknn_scratch.estimators",
    "ShallowNNClassifier": "sknn_scratch.estimators",
    "DeepNNClassifier": "sknn_scratch.estimators",
    "check_gradients": "sknn_scratch.gradients",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sknn_scratch' has no attribute {name!r}")


def __dir__():
    return __all__
