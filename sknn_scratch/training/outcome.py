"""What a finished fit predicts on its training data: the end-of-fit checks' input.

One forward pass (no cache) over the training rows, or over
:data:`~.guard.SAMPLE_ROWS` rows spread over them for large data
(:func:`~.guard.sample_rows`), :data:`CHUNK_ROWS` at a time: the weighted training
accuracy, the weighted share of the largest class (what predicting the majority
class scores) and how many classes the model predicts at all.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..core import network
from .guard import sample_rows

#: Rows per forward pass of the check.
CHUNK_ROWS = 256


@dataclass(frozen=True)
class FitOutcome:
    accuracy: float  # weighted training accuracy (on the sample of rows)
    majority: float  # weighted share of the most frequent class
    n_predicted: int  # classes predicted for at least one (weighted) row
    n_present: int  # classes with positive weight in y
    prior_loss: float  # cross-entropy of predicting the class frequencies (nats)
    predicted: object  # the one class predicted, when n_predicted == 1 (a code;
    #                    for a multilabel y, the tuple of predicted label indices)


def class_prior_loss(shares):
    """Cross-entropy of always predicting the class frequencies ``shares``:
    their entropy ``-sum p log p``, the loss a model that ignores X can reach."""
    shares = np.asarray(shares, dtype=float)
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum())


def _chunked_logits(arch, coefs, intercepts, X, rows, n):
    """``(part, logits)`` of the ``n`` checked rows, :data:`CHUNK_ROWS` at a time
    (``rows``: a slice of X, or the sampled row indices; ``part`` indexes them)."""
    with np.errstate(all="ignore"):
        for start in range(0, n, CHUNK_ROWS):
            part = slice(start, start + CHUNK_ROWS)
            Xc = X[part if isinstance(rows, slice) else rows[part]]
            yield part, network.logits(arch, coefs, intercepts, Xc)


def fit_outcome(arch, coefs, intercepts, X, codes, sample_weight, n_classes,
                predictions=None):
    """A :class:`FitOutcome` of the weights on ``(X, codes, sample_weight)``.

    ``codes`` are class codes, or a multilabel indicator matrix (n, n_labels).
    ``predictions``, when given, holds the class codes the weights predict for every
    row of ``X`` (a solver that has just computed them): no forward pass then.
    """
    rows = sample_rows(X.shape[0])
    if not isinstance(rows, slice):
        codes, sample_weight = codes[rows], sample_weight[rows]
    weight = np.ascontiguousarray(sample_weight, dtype=np.float64)  # also a broadcast 1.0
    total = float(weight.sum())
    if np.ndim(codes) == 2:
        return _multilabel_outcome(arch, coefs, intercepts, X, rows, codes, weight, total)
    shares = np.bincount(codes, weights=weight, minlength=n_classes) / total
    predicted = np.zeros(n_classes)
    correct = 0.0
    if predictions is not None:  # one "chunk": the given predictions of the rows checked
        chunks = [(slice(None), predictions[rows])]
    else:
        chunks = ((part, (Z[:, 0] > 0).astype(np.intp) if Z.shape[1] == 1 else Z.argmax(1))
                  for part, Z in _chunked_logits(arch, coefs, intercepts, X, rows,
                                                 weight.shape[0]))
    for part, guess in chunks:
        w = weight[part]
        predicted += np.bincount(guess, weights=w, minlength=n_classes)
        correct += float(w @ (guess == codes[part]))
    used = np.flatnonzero(predicted > 0)
    return FitOutcome(
        accuracy=correct / total if math.isfinite(total) and total else math.nan,
        majority=float(shares.max()), n_predicted=int(used.size),
        n_present=int((shares > 0).sum()), prior_loss=class_prior_loss(shares),
        predicted=int(used[0]) if used.size == 1 else None)


def _multilabel_outcome(arch, coefs, intercepts, X, rows, Y, weight, total):
    """:func:`fit_outcome` for an indicator ``Y``: label sets play the classes."""
    Y = np.asarray(Y.toarray() if hasattr(Y, "toarray") else Y) > 0
    shares = (weight @ Y) / total  # each label's weighted frequency
    majority_set = shares >= 0.5
    present = {tuple(r) for r in Y[weight > 0]}
    predicted, correct = set(), 0.0
    for part, Z in _chunked_logits(arch, coefs, intercepts, X, rows, weight.shape[0]):
        guess = Z > 0  # sigmoid(z) > 1/2
        w = weight[part]
        correct += float(w @ (guess == Y[part]).all(axis=1))
        predicted.update(tuple(r) for r in guess[w > 0])
    # each label's binary entropy -p log p - (1 - p) log(1 - p), summed over labels
    prior = sum(class_prior_loss([p, 1.0 - p]) for p in shares)
    only = next(iter(predicted)) if len(predicted) == 1 else None
    return FitOutcome(
        accuracy=correct / total if math.isfinite(total) and total else math.nan,
        majority=float(weight @ (Y == majority_set).all(axis=1)) / total,
        n_predicted=len(predicted), n_present=len(present), prior_loss=prior,
        predicted=None if only is None else tuple(int(k) for k in np.flatnonzero(only)))
