"""Input checks shared by the three estimators: X, labels, sample and class weights."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import column_or_1d, validate_data

from .._compat import _check_sample_weight
from . import _multilabel

FLOAT_DTYPES = (np.float64, np.float32)


def validate_training_data(estimator, X, y, reset):
    """``validate_data`` for fit/partial_fit: CSR or dense float64/float32, finite.

    ``y`` comes back 1-d (class labels) or, for a multilabel indicator matrix
    (:mod:`._multilabel`), 2-d boolean of shape (n_samples, n_labels).
    """
    plain = _plain_training_data(estimator, X, y, reset)
    if plain is not None:
        return plain
    _multilabel.refuse_label_lists(y)
    X, y = validate_data(estimator, X, y, reset=reset, accept_sparse="csr",
                         dtype=FLOAT_DTYPES, order="C", multi_output=True)
    return X, _targets(estimator, y, "y")


def _plain_training_data(estimator, X, y, reset):
    """``(X, y)`` as the checks above return them, for the everyday case only:
    None for anything else, which then takes the checks themselves.

    The everyday case is a C-ordered float32/float64 ndarray ``X`` with at least
    one row and one column and finite values, and a 1-d ndarray ``y`` of as many
    integer labels (or floats with integer values, as ``type_of_target`` tests
    them: not NaN or inf), no more distinct ones than half the rows when there are
    over 20 (else ``check_classification_targets`` warns that ``y`` may be a
    regression target). ``validate_data``, ``check_classification_targets``
    and the multilabel check pass such data unchanged (the same objects, no copy;
    ``y`` is 'binary' or 'multiclass'), so their dispatch (narwhals, array API,
    ``type_of_target``'s own ``check_array`` calls) is skipped: about 1 ms of a
    small fit. As ``validate_data``, ``reset`` records ``n_features_in_`` and
    drops ``feature_names_in_``; without it, a model fitted with feature names,
    or another number of features, takes the general path and its warning or
    error.
    """
    if not (_plain_float_matrix(X) and X.flags.c_contiguous and X.shape[1] >= 1
            and type(y) is np.ndarray and y.shape == X.shape[:1]
            and y.dtype.kind in "iuf"):
        return None
    if not reset and (hasattr(estimator, "feature_names_in_")
                      or getattr(estimator, "n_features_in_", None) != X.shape[1]):
        return None
    if y.shape[0] > 20 and np.unique(y).size > round(0.5 * y.shape[0]):
        return None  # check_classification_targets' warning: y may be a regression target
    if y.dtype.kind == "f":  # type_of_target's test: NaN and inf fail it too
        with np.errstate(invalid="ignore"):
            if np.any(y != y.astype(np.int64).astype(y.dtype)):
                return None  # 'continuous' or not finite: the general path says so
    if not _all_finite(X):
        return None
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    return X, y


def _targets(estimator, y, name):
    """Checked targets: 1-d labels, or a boolean indicator matrix (multilabel)."""
    if sp.issparse(y):
        y = y.toarray()
    if y.ndim == 2 and y.shape[1] == 1:  # a column: labels (DataConversionWarning)
        y = column_or_1d(y, warn=True)
    multilabel = _multilabel.check_target(estimator, y, name)
    check_classification_targets(y)  # "Unknown label type: continuous" etc.
    return _multilabel.indicator(y) if multilabel else y


def fit_classes(estimator, y, warm):
    """``classes_`` for ``fit``: y's; with ``warm`` (a warm start) they must be the
    fitted model's, and y of the same kind (labels or multilabel)."""
    if warm:
        _multilabel.check_same_kind(estimator, y.ndim == 2)
    classes = training_classes(estimator, y, None, first=True)
    if warm and not np.array_equal(classes, estimator.classes_):
        raise ValueError(
            f"warm_start can only continue with the same classes: fitted on "
            f"{estimator.classes_.tolist()}, got {classes.tolist()}."
        )
    return classes


def training_classes(estimator, y, classes, first):
    """``classes_`` for this fit or partial_fit call from ``y`` and the ``classes``
    argument (None: all of y's for ``fit``, the fitted ones for a later
    partial_fit), checked against the fitted model's."""
    multilabel = y.ndim == 2
    if not first:
        _multilabel.check_same_kind(estimator, multilabel)
    if multilabel:
        _multilabel.check_class_weight(estimator.class_weight)
        if not first:
            _multilabel.label_classes(y, estimator.classes_, "the fitted classes_")
        return _multilabel.label_classes(y, classes)
    if classes is None:
        return _labels(y) if first else estimator.classes_
    classes = unique_labels(classes)
    if not first and not np.array_equal(classes, estimator.classes_):
        raise ValueError(
            f"`classes={classes.tolist()}` is not the same as on the first "
            f"call to partial_fit, {estimator.classes_.tolist()}."
        )
    return classes


def _labels(y):
    """``unique_labels(y)`` of checked 1-d labels ``y`` (an ndarray): for numbers,
    which ``check_classification_targets`` passed, it is ``np.unique(y)`` in native
    byte order (same values, same dtype), without a second ``type_of_target``."""
    if isinstance(y, np.ndarray) and y.dtype.kind in "iuf":
        labels = np.unique(y)  # keeps y's byte order; unique_labels' numbers are native
        return labels.astype(labels.dtype.newbyteorder("="), copy=False)
    return unique_labels(y)


def validate_predict_data(estimator, X):
    """``X`` checked for prediction as scikit-learn's ``validate_data`` checks it.

    A plain float32/float64 ndarray with the fitted number of features and finite
    values, given to a model fitted without feature names, passes every check
    ``validate_data`` would run on it (2-D, at least one row, the feature count,
    finiteness, no feature names to compare) and is returned as it is, as
    ``validate_data`` returns it: that skips its generic dispatch, most of a
    one-row ``predict_proba``'s time. Anything else, and any failure, takes
    ``validate_data`` itself, so the errors and warnings are its own.
    """
    if (_plain_float_matrix(X) and X.shape[1] == estimator.n_features_in_
            and not hasattr(estimator, "feature_names_in_") and _all_finite(X)):
        return X
    return validate_data(estimator, X, reset=False, accept_sparse="csr",
                         dtype=FLOAT_DTYPES)


def _plain_float_matrix(X):
    """A float32/float64 (or float16) ndarray, not a subclass, of 2 dimensions and
    at least one row: the shape of input both fast paths above take."""
    return (type(X) is np.ndarray and X.ndim == 2 and X.dtype in FLOAT_DTYPES
            and X.shape[0] >= 1)


def _all_finite(X):
    """Whether float ``X`` holds no NaN or inf, as scikit-learn tests it: its sum
    first (one pass, no temporary), element by element only when that is not
    finite (a NaN or inf, or finite values whose sum overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(X.sum()):
            return True
    return bool(np.isfinite(X).all())


def encode_labels(y, classes, name="y"):
    """Integer codes of ``y`` in the sorted ``classes``; error (naming the argument
    ``name``) if y has others."""
    codes = np.searchsorted(classes, y)
    codes = np.clip(codes, 0, len(classes) - 1)
    if not np.array_equal(classes[codes], y):
        unknown = np.setdiff1d(unique_labels(y), classes)
        raise ValueError(
            f"`{name}` has classes not in `self.classes_` or `classes`: "
            f"{unknown.tolist()}; "
            f"expected labels among {classes.tolist()}."
        )
    # the smallest unsigned type that holds them (1 byte a row up to 256 classes,
    # not 8): the codes live as long as the fit
    return codes.astype(np.min_scalar_type(len(classes) - 1))


def combined_weights(sample_weight, X, codes, class_weight, classes):
    """``sample_weight`` (checked, copied, never written back) times class weights.

    ``codes`` are the labels' indices in ``classes`` (:func:`encode_labels`).
    Without either, every row weighs 1: a read-only broadcast of one 1.0 (no
    n-vector of ones for the length of the fit).
    """
    if sample_weight is None and class_weight is None:
        return np.broadcast_to(np.ones(1, X.dtype), (X.shape[0],))
    sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True,
                              copy=True)
    if class_weight is not None:
        sw *= class_weights(class_weight, classes, codes, sw)[codes]
    if not np.any(sw > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number: all "
            "sample_weight values are zero, so there is nothing to learn from."
        )
    return sw


def class_weights(class_weight, classes, codes, sample_weight):
    """One weight per class, as scikit-learn's ``compute_class_weight``.

    A dict gives its value to each class it names and 1 to the others; keys that
    are not among ``classes`` (labels absent from a CV fold) are ignored, unless
    the dict also leaves a class out: then it was probably meant for other labels,
    and it is an error (as in LogisticRegression). ``'balanced'`` is
    ``sum(w) / (n_classes * sum(w of the class))`` over the *weighted* class
    counts (LogisticRegression's rule), so integer sample weights act as
    repeated rows; ``n_classes`` counts the classes that carry weight, and a class
    without weight gets weight 0 (its rows weigh nothing anyway).
    """
    if class_weight == "balanced":
        counts = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        present = counts > 0
        weights = np.zeros(len(classes))
        weights[present] = counts.sum() / (present.sum() * counts[present])
        return weights
    labels = classes.tolist()
    unknown = [k for k in class_weight if k not in labels]
    missing = [c for c in labels if c not in class_weight]
    if unknown and missing:
        raise ValueError(
            f"class_weight names labels {sorted(unknown, key=str)} that are not among "
            f"the classes {labels}, and gives no weight to the classes {missing}. As "
            "in scikit-learn, labels that are not classes are ignored only when every "
            "class has a weight: give each class a weight, or name only classes of y."
        )
    weights = np.array([class_weight.get(c, 1.0) for c in labels], dtype=object)
    bad = {c: w for c, w in zip(labels, weights)
           if not (isinstance(w, Real) and np.isfinite(w) and w >= 0)}
    if bad:
        raise ValueError(
            f"class_weight values must be finite non-negative numbers, got {bad}."
        )
    return weights.astype(np.float64)


def check_two_classes(classes):
    """The classifier needs samples of at least two labels (scikit-learn's check).

    ``classes`` are those of ``y`` itself (``fit``: every class has a sample, so
    the codes need no second look). Their weights do not matter: a class whose
    rows all weigh zero (e.g. missing from a bootstrap resample) keeps its place
    in ``classes_`` and simply gets no gradient signal, as in LogisticRegression
    and MLPClassifier.
    """
    if len(classes) < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {classes[0]!r}."
        )


def validate_dev_set(estimator, X_val, y_val, sample_weight_val, classes,
                     multilabel=False):
    """Check an explicit dev set; returns None or ``(X_val, codes_val, sw_val)``
    (``codes_val`` an indicator matrix when ``multilabel``, as ``y`` must be)."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("X_val and y_val must be given together (or neither).")
    _multilabel.refuse_label_lists(y_val, "y_val")
    X_val, y_val = validate_data(estimator, X_val, y_val, reset=False,
                                 accept_sparse="csr", dtype=FLOAT_DTYPES, order="C",
                                 multi_output=True)
    y_val = _targets(estimator, y_val, "y_val")
    if multilabel != (y_val.ndim == 2):
        kinds = ("a multilabel indicator matrix", "a 1-d array of class labels")
        raise ValueError(f"y_val must be {kinds[not multilabel]}, as y is, but it "
                         f"is {kinds[multilabel]}.")
    if multilabel and y_val.shape[1] != len(classes):
        raise ValueError(f"y_val has {y_val.shape[1]} label columns, but y has "
                         f"{len(classes)}: they must describe the same labels.")
    if multilabel:
        codes = y_val
    else:
        codes = encode_labels(y_val, classes, name="y_val")
    try:
        sw = _check_sample_weight(sample_weight_val, X_val, dtype=X_val.dtype,
                                  ensure_non_negative=True, copy=True)
    except ValueError as exc:  # sklearn's message says "sample_weight"
        raise ValueError(f"Invalid sample_weight_val: {exc}") from None
    if not np.any(sw > 0):
        raise ValueError("sample_weight_val values are all zero: the dev set would "
                         "carry no weight.")
    return X_val, codes, sw
