"""Prediction from fitted weights, NumPy only.

The estimators (:mod:`sknn_scratch.estimators.base`) and the deployment runtime
(:mod:`sknn_scratch.runtime`) both predict through these few functions, so a
loaded runtime model gives bit-identical results to the estimator it was saved
from. Validation of ``X`` stays with the callers (scikit-learn's
``validate_data`` for the estimators, a NumPy check in the runtime).

    Z = logits(arch, coefs, intercepts, X)    # (m, 1) binary, (m, K) multiclass
    log_proba(Z), proba(Z), class_indices(Z), decision(Z)
"""

import numpy as np

from . import losses, network

#: Elements of the largest temporary array made per prediction chunk.
CHUNK_ELEMENTS = 1 << 22


def architecture(coefs, activation="identity", multilabel=False):
    """The :class:`~sknn_scratch.core.network.Architecture` of stored weights."""
    sizes = (coefs[0].shape[0],) + tuple(W.shape[1] for W in coefs)
    return network.Architecture(sizes, activation, multilabel)


def logits(arch, coefs, intercepts, X):
    """Output logits of the rows of ``X``, by chunks of rows bounding the memory.

    A chunk holds at most :data:`CHUNK_ELEMENTS` elements of the widest layer;
    each row's result does not depend on the chunking.
    """
    return _by_rows(lambda rows: network.logits(arch, coefs, intercepts, X[rows]),
                    X.shape[0], arch.layer_sizes[-1], max(arch.layer_sizes))


def _by_rows(compute, n_rows, n_columns, width):
    """``compute(rows)`` for chunks of rows (``slice``), written into one output.

    A chunk has at most :data:`CHUNK_ELEMENTS` elements of ``width`` columns, so
    the temporaries stay bounded and only the (n_rows, n_columns) answer grows
    with the data. Rows are independent: the chunking does not change a result.
    """
    chunk = max(1, CHUNK_ELEMENTS // max(width, 1))
    if n_rows <= chunk:
        return compute(slice(None))
    out = None
    for start in range(0, n_rows, chunk):
        part = compute(slice(start, start + chunk))
        if out is None:
            out = np.empty((n_rows, n_columns), part.dtype)
        out[start:start + part.shape[0]] = part
    return out


def decision(Z):
    """``decision_function``: the log-odds of the positive class (binary) or ``Z``."""
    return Z[:, 0] if Z.shape[1] == 1 else Z


#: Temporaries the size of a chunk's answer that log_proba makes (max, shift, exp, ...).
_LOG_PROBA_TEMPORARIES = 8


def log_proba(Z, multilabel=False):
    """Class log-probabilities, shape (m, n_classes), never ``log(0)``; for
    ``multilabel``, each label's log-probability, shape (m, n_labels)."""
    n_classes = Z.shape[1] if multilabel else max(2, Z.shape[1])
    return _by_rows(lambda rows: losses.log_proba(Z[rows], multilabel), Z.shape[0],
                    n_classes, _LOG_PROBA_TEMPORARIES * n_classes)


def proba(Z, multilabel=False):
    """Class probabilities: ``exp`` of :func:`log_proba` (so the two agree exactly);
    for ``multilabel``, each label's sigmoid (rows need not sum to 1)."""
    n_classes = Z.shape[1] if multilabel else max(2, Z.shape[1])
    return _by_rows(lambda rows: np.exp(losses.log_proba(Z[rows], multilabel)),
                    Z.shape[0], n_classes, _LOG_PROBA_TEMPORARIES * n_classes)


def class_indices(Z):
    """Index into ``classes_`` of the most probable class of each row.

    Binary: ``classes_[1]`` when its logit is positive (a tie at 0 goes to
    ``classes_[0]``, as argmax would); multiclass: the first largest logit.
    """
    return (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)


def indicator(Z):
    """Multilabel prediction: 1 where a label's probability sigma(z) is above 1/2,
    i.e. its logit is positive (a tie at 0 gives 0, as for binary). Integers of
    shape (m, n_labels), as MLPClassifier's ``predict``."""
    return (Z > 0).astype(np.int64)


class PredictFromLogitsMixin:
    """``decision_function`` / ``predict_log_proba`` / ``predict_proba`` / ``predict``
    for any object with ``classes_`` and a ``_logits(X)`` method (which validates
    ``X``): shared by the estimators and the NumPy-only runtime. ``_is_multilabel``
    (read after ``_logits``) says whether the outputs are per-label sigmoids."""

    _is_multilabel = False

    def decision_function(self, X):
        """Output logits: shape (n_samples,) for two classes (log-odds of
        ``classes_[1]``), (n_samples, n_classes) otherwise (multilabel: each
        label's log-odds)."""
        return decision(self._logits(X))

    def predict_log_proba(self, X):
        """Log of class probabilities, computed from the logits (never ``log(0)``)."""
        Z = self._logits(X)
        return log_proba(Z, self._is_multilabel)

    def predict_proba(self, X):
        """Class probabilities of shape (n_samples, n_classes); rows sum to 1.

        Multilabel: each label's probability, shape (n_samples, n_labels).
        """
        Z = self._logits(X)
        return proba(Z, self._is_multilabel)

    def predict(self, X):
        """Most probable class for each sample; multilabel: an indicator matrix of
        shape (n_samples, n_labels), 1 where a label's probability is above 1/2."""
        Z = self._logits(X)  # checks fitted first
        if self._is_multilabel:
            return indicator(Z)
        return self.classes_[class_indices(Z)]
