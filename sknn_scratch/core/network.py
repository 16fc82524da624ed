"""A fully connected net as plain lists of arrays: initialise, forward, backward.

Layout is scikit-learn's (rows are samples). For layer ``l = 1..L``::

    Z[l] = A[l-1] @ W[l] + b[l]      W[l]: (n[l-1], n[l]),  b[l]: (n[l],)
    A[l] = g(Z[l])                   hidden layers (g = the chosen activation)
    A[L] = Z[L]                      the output layer is kept as *logits*

The notes write ``Z = W A + b`` with samples as columns; everything here is that
formula transposed, which is why the gradients read ``A.T @ dZ`` instead of
``dZ @ A.T``. Probabilities come from :mod:`losses` (sigmoid or softmax).

Inverted dropout: ``masks[l]`` (for hidden layer ``l``, shape of ``A[l]``) holds
``1/keep_prob`` for kept units and 0 for dropped ones, so the expected value of
``A[l] * mask`` equals ``A[l]`` and nothing needs rescaling at predict time.
"""

from dataclasses import dataclass

import numpy as np

from . import activations, losses
from .initializers import INITIALIZERS, resolve_init


@dataclass(frozen=True)
class Architecture:
    """Shape and activation of a net: all an estimator asks the core for.

    ``layer_sizes`` is ``(n_features, *hidden, n_outputs)``; no hidden layer is a
    logistic regression.
    """

    layer_sizes: tuple
    activation: str = "relu"

    @property
    def n_layers(self):
        return len(self.layer_sizes) - 1

    def __repr__(self):
        arrows = " -> ".join(str(n) for n in self.layer_sizes)
        return f"Architecture({arrows}, activation={self.activation!r})"


def init_params(arch, init, rng, dtype=np.float64):
    """Fresh ``(coefs, intercepts)`` for ``arch``, drawn from ``rng``.

    Biases start at zero; ``init`` is a name of :data:`INITIALIZERS` or ``'auto'``.
    """
    name = resolve_init(init, arch.activation)
    if name == "zeros" and arch.n_layers > 1:
        raise ValueError(
            "init='zeros' cannot train a net with hidden layers: every unit of a "
            "layer would compute the same function and receive the same gradient, "
            "so symmetry is never broken. Use init='random', 'xavier', 'he' or 'auto'."
        )
    sizes = arch.layer_sizes
    make = INITIALIZERS[name]
    coefs = [make(sizes[i], sizes[i + 1], rng, dtype) for i in range(arch.n_layers)]
    intercepts = [np.zeros(sizes[i + 1], dtype=dtype) for i in range(arch.n_layers)]
    return coefs, intercepts


def draw_dropout_masks(arch, n_samples, dropout, rng, dtype=np.float64):
    """Inverted-dropout masks for every hidden layer (None when ``dropout == 0``)."""
    if not dropout or arch.n_layers == 1:
        return None
    keep = 1.0 - dropout
    masks = []
    for n in arch.layer_sizes[1:-1]:
        mask = (rng.random((n_samples, n)) < keep).astype(dtype)
        mask *= 1.0 / keep  # inverted dropout: kept units scaled by 1/keep_prob
        masks.append(mask)
    return masks


def forward(arch, coefs, intercepts, X, masks=None):
    """Forward pass keeping the cache backprop needs.

    Returns
    -------
    outputs : list of ndarray
        ``[A[1], ..., A[L-1], Z[L]]``: each hidden activation before dropout
        (its derivative is computed from it) and the output logits.
    inputs : list
        What each layer consumed: ``[X, A[1]*mask[1], ...]`` (same objects as
        ``outputs`` when there is no dropout).
    """
    inputs, outputs = [X], []
    last = arch.n_layers - 1
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = inputs[-1] @ W  # (m, n[l-1]) @ (n[l-1], n[l]) -> (m, n[l])
        Z += b
        if l == last:
            outputs.append(Z)  # logits; the loss applies sigmoid/softmax itself
            break
        A = activations.inplace_activation(arch.activation, Z)
        outputs.append(A)
        inputs.append(A * masks[l] if masks is not None else A)
    return outputs, inputs


def logits(arch, coefs, intercepts, X):
    """Output logits ``Z[L]`` without keeping a cache (prediction path)."""
    return forward(arch, coefs, intercepts, X)[0][-1]


def backward(arch, coefs, outputs, inputs, Y, sample_weight, alpha=0.0,
             masks=None, weight_sum=None):
    """Loss and gradients of ``J = sum w l / sum w + alpha 1/2 sum ||W||^2 / sum w``.

    Parameters
    ----------
    outputs, inputs : lists from :func:`forward` (``outputs`` is overwritten).
    Y : ndarray of shape (m, n_outputs)
        Targets from :func:`losses.one_hot`.
    sample_weight : ndarray of shape (m,)
    weight_sum : float, optional
        The ``sum w`` that normalises the loss; defaults to this batch's.

    Returns
    -------
    loss : float
    coef_grads, intercept_grads : lists of ndarray shaped like the parameters.
    """
    if weight_sum is None:
        weight_sum = float(sample_weight.sum())
    Z_out = outputs[-1]
    loss = losses.weighted_loss(Z_out, Y, sample_weight, weight_sum)
    loss += losses.l2_penalty(coefs, alpha, weight_sum)

    L = arch.n_layers
    coef_grads, intercept_grads = [None] * L, [None] * L
    # Output delta: dZ[L] = (A[L] - Y) w / sum w  (matched sigmoid/softmax + CE)
    dZ = losses.inplace_output_delta(losses.inplace_output(Z_out), Y, sample_weight,
                                     weight_sum)
    for l in range(L - 1, -1, -1):
        # dW[l] = A[l-1]^T dZ[l] + alpha W[l] / sum w ;  db[l] = sum_rows dZ[l]
        coef_grads[l] = inputs[l].T @ dZ
        if alpha:
            coef_grads[l] += (alpha / weight_sum) * coefs[l]
        intercept_grads[l] = dZ.sum(axis=0)
        if l == 0:
            break
        # dA[l-1] = dZ[l] W[l]^T, through the dropout mask, then dZ = dA * g'(Z)
        dA = dZ @ coefs[l].T
        if masks is not None:
            dA *= masks[l - 1]
        dZ = activations.inplace_backprop(arch.activation, outputs[l - 1], dA)
    return loss, coef_grads, intercept_grads


def loss_and_gradients(arch, coefs, intercepts, X, Y, sample_weight, alpha=0.0,
                       masks=None, weight_sum=None):
    """Forward then backward: the objective and its gradient at ``(coefs, intercepts)``."""
    outputs, inputs = forward(arch, coefs, intercepts, X, masks)
    return backward(arch, coefs, outputs, inputs, Y, sample_weight, alpha, masks,
                    weight_sum)
