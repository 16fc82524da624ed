"""The preprocessing steps a model file can hold, and their ``transform`` in NumPy.

This module imports NumPy only: the runtime applies a saved pipeline's scalers
with it, and :mod:`sknn_scratch._pipelinefile` checks a file's steps against
:data:`SCALERS`. Each transform repeats scikit-learn's own arithmetic (1.9,
``sklearn/preprocessing/_data.py``) operation for operation, in place on a copy
and in the same dtypes, so its result is bit-identical to the fitted scaler's
``transform`` on dense input:

=================  =========================================================
StandardScaler     ``X -= mean_.astype(X.dtype)``; ``X /= scale_.astype(X.dtype)``
                   (each only if ``with_mean`` / ``with_std``)
MinMaxScaler       ``X *= scale_``; ``X += min_``; then, if ``clip``,
                   ``np.clip(X, feature_range[0], feature_range[1])`` in X's dtype
MaxAbsScaler       ``X /= scale_``; then, if ``clip``, ``np.clip(X, -1, 1)``
RobustScaler       ``X -= center_``; ``X /= scale_`` (if ``with_centering`` /
                   ``with_scaling``)
=================  =========================================================

(Note the difference: StandardScaler casts its statistics to X's dtype first;
the others let NumPy compute a float32 X with float64 statistics in float64
and round the result back to float32.)
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SCALERS", "ScalerSpec", "FLOAT_DTYPES", "transform"]

#: Input dtypes the scalers keep as they are (others become float64), as
#: scikit-learn's ``supported_float_dtypes`` for NumPy.
FLOAT_DTYPES = (np.float64, np.float32, np.float16)


def _flag(value):
    return isinstance(value, (bool, np.bool_))


def _feature_range(value):
    return (isinstance(value, tuple) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) for v in value) and value[0] < value[1])


@dataclass(frozen=True)
class ScalerSpec:
    """What a file must hold for one scaler class.

    Attributes
    ----------
    params : dict
        The parameters ``transform`` reads: name -> (current scikit-learn
        default, check). The other parameters (``copy``, ...) are kept but
        play no part in prediction.
    arrays : dict
        Fitted float arrays of shape (n_features_in_,): name -> function of the
        parameters telling whether the fitted scaler holds it (else it is None).
    divisors : tuple
        Arrays ``transform`` divides by: none of their entries may be 0.
    counts : bool
        Whether the scaler has ``n_samples_seen_``.
    """

    params: dict
    arrays: dict
    divisors: tuple = ()
    counts: bool = True


def _always(params):
    return True


SCALERS = {
    "StandardScaler": ScalerSpec(
        params={"with_mean": (True, _flag), "with_std": (True, _flag)},
        arrays={"mean_": lambda p: p["with_mean"] or p["with_std"],
                "var_": lambda p: p["with_std"], "scale_": lambda p: p["with_std"]},
        divisors=("scale_",)),
    "MinMaxScaler": ScalerSpec(
        params={"feature_range": ((0, 1), _feature_range), "clip": (False, _flag)},
        arrays={name: _always for name in ("min_", "scale_", "data_min_", "data_max_",
                                            "data_range_")}),
    "MaxAbsScaler": ScalerSpec(
        params={"clip": (False, _flag)},
        arrays={"scale_": _always, "max_abs_": _always}, divisors=("scale_",)),
    "RobustScaler": ScalerSpec(
        params={"with_centering": (True, _flag), "with_scaling": (True, _flag)},
        arrays={"center_": lambda p: p["with_centering"],
                "scale_": lambda p: p["with_scaling"]},
        divisors=("scale_",), counts=False),
}


def transform(class_name, params, arrays, X):
    """``X`` (a float array of :data:`FLOAT_DTYPES`, modified in place) transformed
    as the fitted ``class_name`` would; returns it."""
    if class_name == "StandardScaler":
        if params["with_mean"]:
            X -= arrays["mean_"].astype(X.dtype)
        if params["with_std"]:
            X /= arrays["scale_"].astype(X.dtype)
    elif class_name == "MinMaxScaler":
        X *= arrays["scale_"]
        X += arrays["min_"]
        if params["clip"]:
            low, high = params["feature_range"]
            np.clip(X, np.asarray(low, dtype=X.dtype), np.asarray(high, dtype=X.dtype),
                    out=X)
    elif class_name == "MaxAbsScaler":
        X /= arrays["scale_"]
        if params["clip"]:
            np.clip(X, np.asarray(-1.0, dtype=X.dtype), np.asarray(1.0, dtype=X.dtype),
                    out=X)
    elif class_name == "RobustScaler":
        if params["with_centering"]:
            X -= arrays["center_"]
        if params["with_scaling"]:
            X /= arrays["scale_"]
    else:  # pragma: no cover - the reader admits the classes of SCALERS only
        raise ValueError(f"unknown preprocessing step {class_name!r}")
    return X
