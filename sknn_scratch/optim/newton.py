"""Truncated Newton (Newton-CG) for smooth convex objectives, on flat vectors.

Each iteration solves ``H p = -g`` approximately with conjugate gradient, using
only Hessian-vector products (``hvp(v) = H v``), then takes the step with an
Armijo backtracking line search. The CG tolerance follows the usual forcing term
``eta_k = min(0.5, sqrt(||g||)) ||g||``, which makes the method superlinear near
the optimum (quadratic only if CG were solved exactly).
"""

from dataclasses import dataclass

import numpy as np


#: Largest gradient entry treated as zero (float64 round-off of a mean loss).
GRADIENT_FLOOR = 1e-12


@dataclass
class NewtonResult:
    theta: np.ndarray
    n_iter: int
    converged: bool
    losses: list


def conjugate_gradient(hvp, b, tol, max_iter):
    """Approximately solve ``H x = b`` for symmetric positive (semi)definite ``H``.

    Stops at ``||H x - b|| <= tol``, after ``max_iter`` products, or on a direction of
    non-positive curvature (then returns the iterate so far, or ``b`` if none).
    """
    x = np.zeros_like(b)
    r = b.copy()
    d = r.copy()
    rr = float(r @ r)
    for _ in range(max_iter):
        if np.sqrt(rr) <= tol:
            break
        Hd = hvp(d)
        curvature = float(d @ Hd)
        if curvature <= 0:
            return x if np.any(x) else b.copy()
        step = rr / curvature
        x += step * d
        r -= step * Hd
        rr_new = float(r @ r)
        d *= rr_new / rr
        d += r
        rr = rr_new
    return x


def newton_cg(fun_grad, make_hvp, theta0, *, tol=1e-4, max_iter=100, max_cg=None,
              on_iteration=None):
    """Minimise with Newton-CG.

    Parameters
    ----------
    fun_grad : callable ``theta -> (f, g)``
    make_hvp : callable ``theta -> (v -> H(theta) v)``
    theta0 : ndarray (not modified)
    tol : float
        Converged when the largest change of a parameter in one Newton step is
        below ``tol`` times the largest parameter (a relative criterion, so that
        tiny coefficients on many features are not declared converged early;
        the convergence is superlinear, so the remaining error is well below
        ``tol``), or when the gradient is below ``GRADIENT_FLOOR`` (an optimum at
        zero, where no relative rule can fire).
    on_iteration : callable ``(iteration, loss, theta) -> bool``, optional
        Called after each iteration with the accepted point (do not modify it);
        returning True stops early.
    """
    theta = np.array(theta0, dtype=float, copy=True)
    max_cg = max_cg or min(theta.size, 200)
    f, g = fun_grad(theta)
    history = []
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        gnorm = float(np.linalg.norm(g))
        if gnorm == 0.0:  # already optimal (e.g. a warm start at the optimum)
            converged = True
            history.append(f)
            break
        hvp = make_hvp(theta)
        p = conjugate_gradient(hvp, -g, min(0.5, np.sqrt(gnorm)) * gnorm, max_cg)
        slope = float(g @ p)
        if slope >= 0:  # not a descent direction (numerical trouble): fall back to -g
            p, slope = -g, -gnorm**2
        step = 1.0
        for _ in range(60):  # Armijo backtracking: f(theta + s p) <= f + 1e-4 s g.p
            f_new, g_new = fun_grad(theta + step * p)
            if np.isfinite(f_new) and f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            # No decrease even for tiny steps: the objective is flat to machine
            # precision along p, i.e. we are at the optimum.
            converged = True
            history.append(f)
            break
        theta += step * p
        f, g = f_new, g_new
        history.append(f)
        if on_iteration is not None and on_iteration(it, f, theta):
            break
        if (np.max(np.abs(step * p)) <= tol * np.max(np.abs(theta))
                or np.max(np.abs(g)) <= GRADIENT_FLOOR):
            converged = True
            break
    return NewtonResult(theta=theta, n_iter=max(it, 1), converged=converged, losses=history)
