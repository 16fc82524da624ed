"""Gradient checking: two-sided finite differences against backprop.

For every parameter theta_i::

    dtheta_approx_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)

and, per layer and overall, the notes' relative error::

    ||dtheta - dtheta_approx||_2 / (||dtheta||_2 + ||dtheta_approx||_2)

Verdict (the notes', for eps = 1e-7 in float64): below 1e-7 backprop is right,
above 1e-3 there is almost certainly a bug, in between look closer.
"""

from dataclasses import dataclass

import numpy as np

from . import losses, network

FINE, BUG = 1e-7, 1e-3


def relative_error(grad, approx):
    """``||g - a|| / (||g|| + ||a||)`` (0 when both are exactly zero)."""
    grad, approx = np.ravel(grad), np.ravel(approx)
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    return 0.0 if denominator == 0 else float(np.linalg.norm(grad - approx) / denominator)


def verdict(error):
    """The notes' reading of a relative error."""
    if not np.isfinite(error):
        return ("not finite: the loss or its gradient overflowed at this point "
                "(check the inputs' scale and the weights)")
    if error < FINE:
        return "backprop is correct"
    if error > BUG:
        return "there is very likely a bug in backprop"
    return "suspicious: look closer (or use float64 and a smaller epsilon)"


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of a gradient check.

    Attributes
    ----------
    max_relative_error : float
        Relative error over all parameters together.
    layer_errors : tuple of float
        Relative error of each layer's ``(W[l], b[l])`` together.
    n_parameters : int
    """

    max_relative_error: float
    layer_errors: tuple
    n_parameters: int

    @property
    def passed(self):
        return self.max_relative_error < FINE

    def __repr__(self):
        layers = ", ".join(f"{e:.1e}" for e in self.layer_errors)
        return (f"GradientCheckResult(max_relative_error={self.max_relative_error:.2e} "
                f"-> {verdict(self.max_relative_error)}; per layer [{layers}]; "
                f"{self.n_parameters} parameters)")


def numerical_gradients(objective, params, epsilon=1e-7):
    """Two-sided differences of ``objective()`` w.r.t. every entry of ``params``.

    ``params`` are perturbed in place, one entry at a time through its index (so
    any memory layout works: C- or F-ordered, or a strided view), and restored
    exactly. Returns one C-ordered array per parameter, every entry written.
    """
    approx = []
    for p in params:
        if not p.flags.writeable:
            raise ValueError("numerical_gradients perturbs the parameters in place; "
                             "got a read-only array (pass a writeable copy).")
        g = np.empty(p.shape, np.float64)
        for index in np.ndindex(p.shape):  # a multi-index: independent of strides
            original = p[index]
            p[index] = original + epsilon
            plus = objective()
            p[index] = original - epsilon
            minus = objective()
            p[index] = original
            g[index] = (plus - minus) / (2 * epsilon)
        approx.append(g)
    return approx


def check_network_gradients(arch, coefs, intercepts, X, Y, sample_weight, alpha=0.0,
                            masks=None, epsilon=1e-7):
    """Compare :func:`network.backward` with finite differences at one point."""
    # float64 copies in row order: perturbed in place, never the caller's arrays
    coefs = [np.array(W, dtype=np.float64, order="C") for W in coefs]
    intercepts = [np.array(b, dtype=np.float64, order="C") for b in intercepts]

    weight_sum = float(sample_weight.sum())

    def objective():
        # J = sum w l / sum w + alpha 1/2 sum ||W||^2 / sum w, written out from the
        # loss functions rather than taken from backward(): the gradient is checked
        # against an objective computed independently of backprop's code path
        Z = network.forward(arch, coefs, intercepts, X, masks)[0][-1]
        return (losses.weighted_loss(Z, Y, sample_weight, weight_sum)
                + losses.l2_penalty(coefs, alpha, weight_sum))

    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, sample_weight,
                                           alpha, masks)
    approx = numerical_gradients(objective, coefs + intercepts, epsilon)
    L = arch.n_layers
    layer_errors = tuple(
        relative_error(np.concatenate([dW[l].ravel(), db[l]]),
                       np.concatenate([approx[l].ravel(), approx[L + l]]))
        for l in range(L))
    total = relative_error(np.concatenate([g.ravel() for g in dW + db]),
                           np.concatenate([a.ravel() for a in approx]))
    return GradientCheckResult(total, layer_errors, sum(a.size for a in approx))
