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

from . import network

FINE, BUG = 1e-7, 1e-3


def relative_error(grad, approx):
    """``||g - a|| / (||g|| + ||a||)`` (0 when both are exactly zero)."""
    grad, approx = np.ravel(grad), np.ravel(approx)
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    return 0.0 if denominator == 0 else float(np.linalg.norm(grad - approx) / denominator)


def verdict(error):
    """The notes' reading of a relative error."""
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

    ``params`` are perturbed in place and restored exactly.
    """
    approx = []
    for p in params:
        g = np.empty_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + epsilon
            plus = objective()
            flat[i] = original - epsilon
            minus = objective()
            flat[i] = original
            gflat[i] = (plus - minus) / (2 * epsilon)
        approx.append(g)
    return approx


def check_network_gradients(arch, coefs, intercepts, X, Y, sample_weight, alpha=0.0,
                            masks=None, epsilon=1e-7):
    """Compare :func:`network.backward` with finite differences at one point."""
    coefs = [np.array(W, dtype=np.float64) for W in coefs]
    intercepts = [np.array(b, dtype=np.float64) for b in intercepts]

    def objective():
        outputs, inputs = network.forward(arch, coefs, intercepts, X, masks)
        return network.backward(arch, coefs, outputs, inputs, Y, sample_weight, alpha,
                                masks)[0]

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
