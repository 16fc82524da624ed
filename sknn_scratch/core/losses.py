"""Output layer: probabilities, cross-entropy from logits, and the output delta.

The output unit and the loss are matched pairs (canonical link), which is why
the output delta collapses to ``A - Y``:

* binary: one sigmoid unit, ``l = -[y log a + (1-y) log(1-a)]``.
  dl/da = (a - y) / (a (1 - a)) and da/dz = a (1 - a), so dl/dz = a - y.
* multiclass: softmax over K units, ``l = -sum_k y_k log a_k``.
  dl/dz_j = sum_k (-y_k / a_k) * a_k (1[k=j] - a_j) = a_j - y_j.
* multilabel (``multilabel=True``, an indicator ``Y`` of K labels): K independent
  sigmoid units, the binary loss summed over the labels (MLPClassifier's
  ``binary_log_loss``), ``l = -sum_k [y_k log a_k + (1-y_k) log(1-a_k)]``.
  Each term depends on its own z_k only, so dl/dz_k = a_k - y_k as in the binary
  case: the same ``A - Y``.

Losses are computed from the logits ``Z`` with log-sum-exp, so a saturated output
(|z| ~ 1e4) never evaluates ``log(0)``:

* binary:  l = log(1 + e^z) - y z = logaddexp(0, z) - y z
* softmax: l = logsumexp(z) - z_y
* multilabel: l = sum_k logaddexp(0, z_k) - y_k z_k

A model that knows nothing scores the *chance loss* (:func:`chance_loss`): every
class at probability 1/K is log K (log 2 for binary); every label at 1/2 is
K log 2, the multilabel floor a loss is measured against.

The loss of a batch is the weighted mean ``sum_i w_i l_i / sum_i w_i``.
"""

import functools
import math

import numpy as np

from .activations import inplace_activation


def n_outputs(n_classes, multilabel=False):
    """Number of output units: 1 sigmoid unit for two classes, K softmax units else;
    one sigmoid unit per label for ``multilabel``."""
    return n_classes if multilabel or n_classes != 2 else 1


def chance_loss(n_outputs, multilabel=False):
    """Loss of the uninformed model (see module docstring): K log 2 for K labels,
    log K for K classes (log 2 for the one binary unit)."""
    return n_outputs * math.log(2) if multilabel else math.log(max(2, n_outputs))


def one_hot(codes, n_classes, dtype=np.float64):
    """Targets ``Y`` for the output layer: shape (m, 1) for binary, (m, K) one-hot else.

    2-d ``codes`` are a multilabel indicator (m, K) already: returned as ``dtype``.
    """
    codes = np.asarray(codes)
    if codes.ndim == 2:
        return codes.astype(dtype)
    if n_classes == 2:
        return codes.reshape(-1, 1).astype(dtype)
    Y = np.zeros((codes.shape[0], n_classes), dtype=dtype)
    Y[np.arange(codes.shape[0]), codes] = 1
    return Y


def log_softmax(Z):
    """Row-wise ``log softmax(Z)``, stable: ``Z - max - log sum exp(Z - max)``."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def inplace_output(Z, multilabel=False):
    """Turn output logits into probabilities in place: sigmoid (1 column or
    ``multilabel``, column by column) or softmax."""
    if multilabel or Z.shape[1] == 1:
        return inplace_activation("sigmoid", Z)
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def log_proba(Z, multilabel=False):
    """Class log-probabilities of shape (m, K) from logits (K = 2 for one column);
    for ``multilabel``, each label's ``log sigma(z_k)``, shape (m, K)."""
    if multilabel:
        return -np.logaddexp(0, -Z)  # log sigma(z) = -log(1 + e^-z)
    if Z.shape[1] == 1:
        z = Z[:, 0]
        # log sigma(z) = -log(1 + e^-z); log(1 - sigma(z)) = -log(1 + e^z)
        return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])
    return log_softmax(Z)


def sample_losses(Z, Y, multilabel=False):
    """Per-sample cross-entropy ``l_i`` from logits ``Z`` and targets ``Y`` (same shape);
    for ``multilabel``, the binary cross-entropies of the labels summed."""
    if multilabel:
        # l_i = sum_k log(1 + e^z_ik) - y_ik z_ik  (module docstring)
        return (np.logaddexp(0, Z) - Y * Z).sum(axis=1)
    if Z.shape[1] == 1:
        z, y = Z[:, 0], Y[:, 0]
        return np.logaddexp(0, z) - y * z
    return -(Y * log_softmax(Z)).sum(axis=1)


def weighted_loss(Z, Y, sample_weight, weight_sum=None, multilabel=False):
    """Weighted mean cross-entropy ``sum w l / sum w`` (``weight_sum`` overrides ``sum w``)."""
    if weight_sum is None:
        weight_sum = sample_weight.sum()
    return float(sample_losses(Z, Y, multilabel) @ sample_weight) / weight_sum


def l2_penalty(coefs, alpha, weight_sum, squared_norm=None):
    """The L2 term ``alpha * 1/2 * sum_l ||W[l]||^2 / sum w`` (biases are not penalised).

    This is MLPClassifier's scaling; with ``alpha = 1 / C`` the total objective is
    sklearn LogisticRegression's ``C sum w l + 1/2 ||w||^2`` divided by ``C sum w``.
    ``squared_norm``, when given, is ``sum_l ||W[l]||^2`` already computed (backprop
    gets it while it adds the term's gradient).
    """
    if alpha == 0:
        return 0.0
    if squared_norm is None:
        squared_norm = sum(float(np.vdot(W, W)) for W in coefs)
    return 0.5 * alpha * squared_norm / weight_sum


def _row_dots(Z, Y):
    """``sum_k Z[i, k] Y[i, k]`` per row (``z_y`` for one-hot ``Y``)."""
    return np.einsum("ij,ij->i", Z, Y) if Y.dtype == Z.dtype else (Z * Y).sum(axis=1)


@functools.lru_cache(maxsize=32)
def _largest_safe_exponent(dtype, n_terms):
    """A bound on x below which a sum of ``n_terms`` values e^x cannot overflow."""
    return float(np.log(np.finfo(dtype).max / n_terms)) - 1.0


def inplace_loss_and_delta(Z, Y, sample_weight, weight_sum, multilabel=False):
    """The batch's weighted loss, and ``Z`` turned into ``dJ/dZ[L]`` in place.

    The same numbers as :func:`weighted_loss`, then :func:`inplace_output` and
    :func:`inplace_output_delta`, with the softmax's row maximum, exponentials
    and row sums computed once for both (the training step's path: on a
    (256, 10) batch the separate calls cost more than the update of 100k weights).
    """
    if multilabel or Z.shape[1] == 1:  # sigmoid units: dl/dz_k = a_k - y_k each
        loss = weighted_loss(Z, Y, sample_weight, weight_sum, multilabel)
        return loss, inplace_output_delta(inplace_output(Z, multilabel), Y,
                                          sample_weight, weight_sum)
    # Shift each row by its true class's logit z_y (Y one-hot): softmax is
    # shift-invariant, and l = logsumexp(z) - z_y = log sum_k e^(z_k - z_y), a sum
    # that contains e^0 = 1, so no cancellation and no log(0). A row's maximum
    # would cost a slow reduction along the short axis; it is the fallback when
    # some z_k - z_y is large enough for e^(z_k - z_y) to overflow.
    z_y = _row_dots(Z, Y)
    Z -= z_y[:, None]
    if Z.max() > _largest_safe_exponent(Z.dtype, Z.shape[1]):
        Z += z_y[:, None]
        Z -= Z.max(axis=1, keepdims=True)  # z - max_k z_k <= 0
        shifted_y = _row_dots(Z, Y)
    else:
        shifted_y = 0.0
    np.exp(Z, out=Z)
    row_sums = Z.sum(axis=1, keepdims=True)
    loss = float((np.log(row_sums[:, 0]) - shifted_y) @ sample_weight) / weight_sum
    Z /= row_sums  # softmax probabilities A
    return loss, inplace_output_delta(Z, Y, sample_weight, weight_sum)


def inplace_output_delta(A, Y, sample_weight, weight_sum):
    """dJ/dZ[L] in place of ``A``: ``(A - Y) * w / sum w`` (see module docstring)."""
    A -= Y
    A *= (sample_weight / weight_sum)[:, None].astype(A.dtype, copy=False)
    return A
