"""Gradient checking: two-sided finite differences against backprop.

For every parameter theta_i::

    dtheta_approx_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)

and, per layer and overall, the notes' relative error::

    ||dtheta - dtheta_approx||_2 / (||dtheta||_2 + ||dtheta_approx||_2)

Verdict (the notes', for eps = 1e-7 in float64): below 1e-7 backprop is right,
above 1e-3 there is almost certainly a bug, in between look closer. The verdict
reads the worst layer, and three situations where a large relative error is not
evidence of a bug are told apart:

* *rounding noise*: each ``J(theta +- eps e_i)`` carries a rounding error of about
  ``u |J|`` (``u`` the float64 machine epsilon), so each difference quotient one of
  ``u |J| / eps``, and a layer of ``n`` parameters a noise of norm about
  ``nu = u |J| sqrt(n) / eps``. A layer whose ``||dtheta - dtheta_approx||`` stays
  within a few ``nu`` agrees with backprop as far as finite differences can tell;
* a *stationary point* (a converged fit): when the gradient itself is within a few
  ``nu``, the relative error compares noise with noise and says nothing;
* ReLU's *kink*: a pre-activation within reach of 0 makes the two-sided difference
  straddle the kink, where the function has no derivative.
"""

from dataclasses import dataclass

import numpy as np

from . import losses, network

FINE, BUG = 1e-7, 1e-3
#: A difference within this many times the expected rounding noise is noise.
NOISE_RATIO = 5.0
#: Activations with a kink at 0 (no derivative there).
KINKED = ("relu", "leaky_relu")


def relative_error(grad, approx):
    """``||g - a|| / (||g|| + ||a||)`` (0 when both are exactly zero)."""
    grad = np.ravel(grad).astype(np.float64)
    approx = np.ravel(approx).astype(np.float64)
    denominator = _norm(grad) + _norm(approx)
    return 0.0 if denominator == 0 else float(_norm(grad - approx) / denominator)


def _norm(v):
    """``||v||_2`` of a 1-D float vector, scaled by its largest entry so that huge
    but finite entries do not overflow the sum of squares."""
    with np.errstate(invalid="ignore"):
        scale = float(np.max(np.abs(v), initial=0.0))
    if not np.isfinite(scale) or scale == 0:
        return float(np.linalg.norm(v))
    return scale * float(np.linalg.norm(v / scale))


def _ratio(value, noise):
    if value == 0:
        return 0.0
    return float(value / noise) if noise > 0 else np.inf


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


def read(layer_errors, noise_ratios, gradient_ratios, near_kinks=0):
    """The verdict of a whole check, from each layer's error and noise ratios.

    ``noise_ratios[l]`` is ``||g - a|| / nu`` and ``gradient_ratios[l]`` is
    ``(||g|| + ||a||) / nu`` for layer ``l`` (see the module docstring).
    """
    worst = max(layer_errors, default=0.0)
    if not np.isfinite(worst) or worst < FINE:
        return verdict(worst)
    off = [l for l, e in enumerate(layer_errors) if e >= FINE]
    real = [l for l in off if noise_ratios[l] > NOISE_RATIO
            and gradient_ratios[l] > NOISE_RATIO]
    if real and near_kinks:
        return (f"inconclusive: {near_kinks} hidden pre-activation(s) lie within epsilon "
                "of the ReLU kink at 0, where the two-sided difference straddles a point "
                "with no derivative (all-zero rows, or units dropped by dropout, put them "
                "there); check with activation='tanh' or at another point")
    if real:
        return verdict(max(layer_errors[l] for l in real))
    if any(gradient_ratios[l] <= NOISE_RATIO for l in off):
        return ("inconclusive: the gradient is within the finite differences' rounding "
                "noise, so this point is (nearly) stationary, e.g. a converged fit; "
                "check the unfitted estimator, or a point away from the optimum")
    return ("backprop is correct (what differs is the finite differences' rounding "
            "noise)")


@dataclass(frozen=True)
class GradientCheckResult:
    """Outcome of a gradient check.

    Attributes
    ----------
    max_relative_error : float
        The worst relative error over the layers (each layer's ``(W[l], b[l])``
        together) and all parameters together.
    layer_errors : tuple of float
        Relative error of each layer's ``(W[l], b[l])`` together.
    n_parameters : int
    relative_error : float or None
        The notes' single number: the relative error over all parameters together.
    noise_ratios : tuple of float
        Each layer's ``||g - a||`` over the finite differences' expected rounding
        noise: up to about 5 the difference is rounding, not backprop.
    near_kinks : int
        Hidden pre-activations within reach of ReLU's kink at 0.
    reading : str or None
        The verdict (computed from the above; the notes' thresholds on
        ``max_relative_error`` when not given).
    """

    max_relative_error: float
    layer_errors: tuple
    n_parameters: int
    relative_error: float = None
    noise_ratios: tuple = ()
    near_kinks: int = 0
    reading: str = None

    @property
    def verdict(self):
        return self.reading if self.reading is not None else verdict(self.max_relative_error)

    @property
    def passed(self):
        """Whether backprop agrees with the finite differences."""
        return self.verdict.startswith("backprop is correct")

    def __repr__(self):
        layers = ", ".join(f"{e:.1e}" for e in self.layer_errors)
        return (f"GradientCheckResult(max_relative_error={self.max_relative_error:.2e} "
                f"-> {self.verdict}; per layer [{layers}]; "
                f"{self.n_parameters} parameters)")


def numerical_gradients(objective, params, epsilon=1e-7):
    """Two-sided differences of ``objective()`` w.r.t. every entry of ``params``.

    ``params`` are perturbed in place, one entry at a time through its index (so
    any memory layout works: C- or F-ordered, or a strided view), and restored
    exactly. Returns one C-ordered array per parameter, every entry written.

    Raises
    ------
    ValueError
        If a parameter is read-only, or ``epsilon`` is too small to change one of
        its entries in floating point (every difference there would be 0).
    """
    for p in params:
        if not p.flags.writeable:
            raise ValueError("numerical_gradients perturbs the parameters in place; "
                             "got a read-only array (pass a writeable copy).")
        finite = p[np.isfinite(p)]
        if np.any(finite + epsilon == finite) or np.any(finite - epsilon == finite):
            largest = float(np.max(np.abs(finite)))
            raise ValueError(
                f"epsilon={epsilon!r} is too small to change the parameters in "
                f"{p.dtype}: entries as large as {largest:.3g} need epsilon above "
                f"{float(np.spacing(p.dtype.type(largest))):.3g} (the notes use 1e-7).")
    approx = []
    for p in params:
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


def count_near_kinks(arch, coefs, intercepts, X, masks, epsilon):
    """Hidden pre-activations ``Z[l]`` close enough to 0 for a perturbation of
    ``epsilon`` to move them across ReLU's kink (0 for smooth activations).

    Perturbing ``W[l][i, j]`` by ``eps`` moves ``Z[l][:, j]`` by ``eps * A[l-1][:, i]``,
    so "close" is ``|Z| <= 10 eps max(1, max |A[l-1]|)``.
    """
    if arch.activation not in KINKED or arch.n_layers == 1:
        return 0
    _, inputs = network.forward(arch, coefs, intercepts, X, masks)
    count = 0
    for l in range(arch.n_layers - 1):
        A = inputs[l]
        Z = A @ coefs[l] + intercepts[l]  # the hidden layer's pre-activation
        largest = abs(A).max() if A.shape[0] else 0.0
        reach = 10.0 * epsilon * max(1.0, float(largest))
        count += int(np.count_nonzero(np.abs(Z) <= reach))
    return count


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
        return (losses.weighted_loss(Z, Y, sample_weight, weight_sum, arch.multilabel)
                + losses.l2_penalty(coefs, alpha, weight_sum))

    loss, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y,
                                              sample_weight, alpha, masks)
    approx = numerical_gradients(objective, coefs + intercepts, epsilon)
    L = arch.n_layers
    # each layer's (W[l], b[l]) as one vector, backprop's and the approximation
    grads = [np.concatenate([dW[l].ravel(), db[l]]) for l in range(L)]
    approxs = [np.concatenate([approx[l].ravel(), approx[L + l]]) for l in range(L)]
    layer_errors = tuple(relative_error(g, a) for g, a in zip(grads, approxs))
    total = relative_error(np.concatenate(grads), np.concatenate(approxs))
    # the finite differences' rounding noise per layer: u |J| sqrt(n) / eps
    unit = np.finfo(np.float64).eps * abs(float(loss)) / epsilon
    noise = [unit * np.sqrt(g.size) for g in grads]
    noise_ratios = tuple(_ratio(_norm(g - a), nu) for g, a, nu in zip(grads, approxs, noise))
    gradient_ratios = [_ratio(_norm(g) + _norm(a), nu)
                       for g, a, nu in zip(grads, approxs, noise)]
    kinks = count_near_kinks(arch, coefs, intercepts, X, masks, epsilon)
    return GradientCheckResult(
        max(layer_errors + (total,)), layer_errors, sum(a.size for a in approx),
        relative_error=total, noise_ratios=noise_ratios, near_kinks=kinks,
        reading=read(layer_errors, noise_ratios, gradient_ratios, kinks))
