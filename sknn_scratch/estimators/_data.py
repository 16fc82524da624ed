"""Input checks shared by the three estimators: X, labels, sample and class weights."""

from numbers import Real

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data

from .._compat import _check_sample_weight

FLOAT_DTYPES = (np.float64, np.float32)


def validate_training_data(estimator, X, y, reset):
    """``validate_data`` for fit/partial_fit: CSR or dense float64/float32, finite."""
    X, y = validate_data(estimator, X, y, reset=reset, accept_sparse="csr",
                         dtype=FLOAT_DTYPES, order="C")
    check_classification_targets(y)  # "Unknown label type: continuous" etc.
    return X, y


def validate_predict_data(estimator, X):
    return validate_data(estimator, X, reset=False, accept_sparse="csr",
                         dtype=FLOAT_DTYPES)


def encode_labels(y, classes):
    """Integer codes of ``y`` in the sorted ``classes``; error if y has others."""
    codes = np.searchsorted(classes, y)
    codes = np.clip(codes, 0, len(classes) - 1)
    if not np.array_equal(classes[codes], y):
        unknown = np.setdiff1d(unique_labels(y), classes)
        raise ValueError(
            f"`y` has classes not in `self.classes_` or `classes`: {unknown.tolist()}; "
            f"expected labels among {classes.tolist()}."
        )
    return codes


def combined_weights(sample_weight, X, y, class_weight, classes):
    """``sample_weight`` (checked, copied, never written back) times class weights."""
    sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True,
                              copy=True)
    if class_weight is not None:
        if isinstance(class_weight, dict):
            unknown = set(class_weight) - set(classes.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight has labels {sorted(unknown, key=str)} that are not "
                    f"in the classes {classes.tolist()}."
                )
            bad = {k: v for k, v in class_weight.items()
                   if not (isinstance(v, Real) and np.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(
                    "class_weight values must be finite non-negative numbers, got "
                    f"{bad}."
                )
        sw *= compute_sample_weight(class_weight, y).astype(sw.dtype, copy=False)
    if not np.any(sw > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number: all "
            "sample_weight values are zero, so there is nothing to learn from."
        )
    return sw


def check_two_classes(codes, sample_weight, classes):
    """The classifier needs samples of two classes with positive weight."""
    present = np.unique(codes[sample_weight > 0])
    if present.size < 2:
        label = classes[present[0]] if present.size else None
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {label!r} (counting samples with "
            "positive weight)."
        )


def validate_dev_set(estimator, X_val, y_val, sample_weight_val, classes):
    """Check an explicit dev set; returns None or ``(X_val, codes_val, sw_val)``."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together (or neither).")
    X_val, y_val = validate_data(estimator, X_val, y_val, reset=False,
                                 accept_sparse="csr", dtype=FLOAT_DTYPES, order="C")
    check_classification_targets(y_val)
    codes = encode_labels(y_val, classes)
    try:
        sw = _check_sample_weight(sample_weight_val, X_val, dtype=X_val.dtype,
                                  ensure_non_negative=True, copy=True)
    except ValueError as exc:  # sklearn's message says "sample_weight"
        raise ValueError(f"Invalid sample_weight_val: {exc}") from None
    if not np.any(sw > 0):
        raise ValueError("sample_weight_val values are all zero: the dev set would "
                         "carry no weight.")
    return X_val, codes, sw
