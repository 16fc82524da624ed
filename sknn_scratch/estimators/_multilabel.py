"""Multilabel indicator targets: recognise them, check them, keep them consistent.

A multilabel ``y`` is an indicator matrix of shape (n_samples, n_labels): row ``i``
has a 1 in column ``k`` when sample ``i`` carries label ``k`` (scikit-learn's
``'multilabel-indicator'``; a sample may carry several labels or none). The nets
fit it with one sigmoid output per label and the binary cross-entropy summed
over the labels (:mod:`sknn_scratch.core.losses`), as MLPClassifier does. As
there, ``classes_`` is then ``arange(n_labels)``, ``out_activation_`` is
``'logistic'`` with ``n_outputs_ = n_labels`` (which is how a fitted or loaded
model is known to be multilabel), and ``predict`` returns an indicator matrix.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target

#: Where to send a user whose estimator, or whose targets, we do not fit.
_MULTIOUTPUT = ("sklearn.multioutput.MultiOutputClassifier (one model per output "
                "column)")


def check_target(estimator, y, name="y"):
    """Whether ``y`` (validated, at most 2-d) is a multilabel indicator this
    estimator fits; a ``ValueError`` for 2-d targets it cannot fit.

    2-d targets other than 0/1 indicators (several multiclass outputs) are
    refused with a pointer to MultiOutputClassifier, and so is a multilabel
    ``y`` for an estimator without multilabel support (``_accepts_multilabel``),
    as LogisticRegression refuses it.
    """
    if y.ndim != 2:
        return False
    kind = type_of_target(y, input_name=name)
    cls = type(estimator).__name__
    if kind == "multiclass-multioutput":
        raise ValueError(
            f"{cls} does not support multiclass-multioutput targets: `{name}` has "
            f"shape {y.shape} with values other than 0 and 1. A 2-d `{name}` must be "
            "a multilabel indicator matrix (0/1, one column per label). For several "
            f"multiclass outputs use {_MULTIOUTPUT}.")
    if kind != "multilabel-indicator":  # continuous-multioutput etc.
        return False  # check_classification_targets names the problem
    values = np.unique(y)
    if not np.isin(values, (0, 1)).all():  # scikit-learn allows any two integers
        raise ValueError(
            f"A multilabel indicator `{name}` holds only 0 and 1 (or False and True), "
            f"but `{name}` holds {values.tolist()}. Mark each sample's labels with 1 "
            "and the others with 0 (sklearn.preprocessing.MultiLabelBinarizer builds "
            "it from lists of labels).")
    if not getattr(estimator, "_accepts_multilabel", False):
        raise ValueError(
            f"{cls} does not support multilabel targets: `{name}` is an indicator "
            f"matrix of shape {y.shape}, but {cls} needs a 1-d array of class labels. "
            f"Use {_MULTIOUTPUT}, or ShallowNNClassifier / DeepNNClassifier, which "
            "fit multilabel y with one sigmoid output per label.")
    return True


def refuse_label_lists(y, name="y"):
    """A list of label lists of different lengths (``[[0, 1], [2]]``): numpy's
    error ("inhomogeneous shape") would not say what to do, so say it."""
    if (isinstance(y, (list, tuple)) and y
            and all(isinstance(row, (list, tuple, set, frozenset)) for row in y)
            and len({len(row) for row in y}) > 1):
        raise ValueError(
            f"`{name}` is a list of lists of labels, which scikit-learn no longer "
            f"takes as multilabel targets. Turn it into an indicator matrix (one 0/1 "
            "column per label) with sklearn.preprocessing.MultiLabelBinarizer()"
            f".fit_transform({name}).")


def indicator(y):
    """The indicator matrix as booleans (0/1, True/False or 0.0/1.0 in)."""
    return np.asarray(y) != 0


def label_classes(y, classes=None, name="classes"):
    """``classes_`` of a multilabel model, ``arange(n_labels)``; a ``ValueError``
    when ``classes`` (given, or the fitted ones) are not those column indices."""
    n_labels = y.shape[1]
    expected = np.arange(n_labels)
    if classes is not None and not np.array_equal(np.asarray(classes), expected):
        shown = np.asarray(classes).tolist()
        raise ValueError(
            f"The multilabel indicator y has {n_labels} label columns, so its classes "
            f"are the column indices 0..{n_labels - 1} (as in MLPClassifier), but "
            f"{name} is {shown[:20]}. Give every batch the same label columns, and "
            "pass classes=np.arange(y.shape[1]) on the first call to partial_fit.")
    return expected


def check_class_weight(class_weight):
    """``class_weight`` has no meaning for multilabel ``y``: refused."""
    if class_weight is not None:
        raise ValueError(
            f"class_weight={class_weight!r} is not supported with a multilabel y: a "
            "class weight scales each sample by the weight of its one class, and a "
            "multilabel sample has several labels, or none. Use sample_weight to "
            "weight samples, or class_weight=None.")


def check_same_kind(estimator, multilabel, name="y"):
    """A model fitted on multilabel ``y`` continues on multilabel ``y`` only, with
    as many labels, and a model of class labels on class labels only."""
    fitted = estimator._is_multilabel
    if fitted == multilabel:
        return
    cls = type(estimator).__name__
    classes = estimator.classes_.tolist()[:20]
    if fitted:
        problem = (f"`{name}` is a 1-d array of class labels, but {cls} was fitted "
                   f"on a multilabel indicator y of {len(classes)} labels")
    else:
        problem = (f"`{name}` is a multilabel indicator matrix, but {cls} was "
                   f"fitted on a 1-d y of class labels {classes}")
    raise ValueError(f"{problem}: one model cannot mix the two kinds of target. "
                     "Call fit (with warm_start=False) to train a new model.")
