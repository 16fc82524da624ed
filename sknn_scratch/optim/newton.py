"""Truncated Newton (Newton-CG) for smooth convex objectives, on flat vectors.

Each iteration solves ``H p = -g`` approximately with conjugate gradient, using
only Hessian-vector products (``hvp(v) = H v``), or exactly when the caller
hands over an :class:`ExactStep` (a few parameters: e.g. :func:`exact_step` from
``H`` itself), then takes the
step with an Armijo backtracking line search. The CG tolerance follows the usual
forcing term ``eta_k = min(0.5, sqrt(||g||)) ||g||`` far from the optimum, never
tighter than the stopping rule needs (see :func:`forcing_tolerance`).

It stops at the optimum, as scikit-learn's newton-cg does: when the largest
entry of the gradient is at most ``tol``. A line search that finds no
decrease, or an objective, gradient or Hessian product that overflows to
inf/NaN, ends the run as a *failure* (``NewtonResult.failure``), never as
convergence.
"""

from dataclasses import dataclass

import numpy as np

#: Hessian-vector products per CG solve (scikit-learn's ``maxinner``). Not the
#: number of unknowns: on ill-conditioned problems CG in float64 loses
#: conjugacy and needs several times more products than unknowns.
MAX_CG = 200
#: Armijo's sufficient-decrease constant: accept ``f(x + s p) <= f + c s g.p``.
ARMIJO = 1e-4
#: Halvings of the step before the line search gives up (2^-60 ~ 1e-18).
MAX_HALVINGS = 60
#: Loss changes below this many float64 epsilons of ``|f|`` are round-off.
ROUND_OFF = 16 * np.finfo(np.float64).eps


@dataclass
class NewtonResult:
    """What :func:`newton_cg` returns.

    ``failure`` is None, ``'line search'`` (no step length decreased the
    objective) or ``'overflow'`` (a non-finite objective, gradient or Hessian
    product); ``grad_max`` is ``max |g|`` at ``theta``.
    """

    theta: np.ndarray
    n_iter: int
    converged: bool
    losses: list
    failure: str = None
    grad_max: float = np.nan
    start_loss: float = np.nan  # the objective at the starting point


def conjugate_gradient(hvp, b, tol, max_iter, inverse_diagonal=None):
    """Approximately solve ``H x = b`` for symmetric positive (semi)definite ``H``.

    Stops at ``||H x - b|| <= tol``, after ``max_iter`` products, or on a direction of
    non-positive curvature (then returns the iterate so far, or ``b`` if none). A
    non-finite curvature (the product overflowed) returns NaNs, for the caller to
    report.

    ``inverse_diagonal`` (``1 / diag(H)``, optional) preconditions CG (Jacobi): CG
    then runs on ``D^-1/2 H D^-1/2``, whose diagonal is all ones. On features of very
    different scales ``H``'s diagonal spans many orders of magnitude and plain CG
    needs far more products than there are unknowns (round-off); the preconditioned
    system is the one of standardised features. It may also be a callable
    ``r -> M^-1 r`` for any symmetric positive definite ``M`` approximating ``H``
    (e.g. :class:`sknn_scratch.core.block_jacobi.BlockJacobi`); CG then runs on
    ``M^-1/2 H M^-1/2``.
    """
    x = np.zeros_like(b)
    r = b.copy()
    precondition = (inverse_diagonal if callable(inverse_diagonal)
                    else None if inverse_diagonal is None
                    else lambda residual: residual * inverse_diagonal)
    z = r if precondition is None else precondition(r)
    d = z.copy()
    rz = float(r @ z)
    for _ in range(max_iter):
        if np.linalg.norm(r) <= tol:
            break
        Hd = hvp(d)
        curvature = float(d @ Hd)
        if not np.isfinite(curvature):
            return np.full_like(b, np.nan)
        if curvature <= 0:
            return x if np.any(x) else b.copy()
        step = rz / curvature
        x += step * d
        r -= step * Hd
        z = r if precondition is None else precondition(r)
        rz_new = float(r @ z)
        d *= rz_new / rz
        d += z
        rz = rz_new
    return x


@dataclass
class ExactStep:
    """What ``make_hvp`` returns when the caller solves ``H p = -g`` itself:
    ``solve(g)`` is the Newton step ``-H^-1 g`` (exact, so no CG). From the
    Hessian matrix ``H``: ``ExactStep(lambda g: exact_step(H, g))``."""

    solve: object


def exact_step(H, g):
    """The Newton step ``p = -H^-1 g`` from the Hessian matrix itself.

    ``H`` is symmetric positive semidefinite. When it is definite (Cholesky
    succeeds) this is one linear solve; otherwise directions of (numerically)
    zero curvature get no step: the pseudo-inverse, with eigenvalues below
    ``p eps`` of the largest taken as zero. A non-finite ``H`` gives NaNs, for
    the caller to report.
    """
    if not np.all(np.isfinite(H)):
        return np.full_like(g, np.nan)
    try:
        np.linalg.cholesky(H)  # only as the test of definiteness
        # (Cholesky's last pivot can round to a tiny positive number where LU's is
        # exactly 0: a singular H that passes; the solve then raises too)
        return -np.linalg.solve(H, g)
    except np.linalg.LinAlgError:
        curvatures, vectors = np.linalg.eigh(H)
        kept = curvatures > H.shape[0] * np.finfo(H.dtype).eps * max(curvatures[-1], 0.0)
        # p = -V diag(1/lambda) V^T g over the kept eigenpairs
        return -(vectors[:, kept] @ ((vectors[:, kept].T @ g) / curvatures[kept]))


def line_search(fun_grad, theta, f, g, p, slope):
    """Step length along ``p`` by Armijo backtracking; None when none is found.

    Returns ``(step, f_new, g_new)``. A full step whose change of ``f`` is within
    round-off (``|f_new - f| <= 16 eps |f|``) is also accepted when it lowers
    ``sum |g|``: near the optimum the decrease of ``f`` is below float64's
    resolution of ``f`` while the gradient still improves (scikit-learn's rule
    in ``_line_search_wolfe12``).
    """
    step = 1.0
    for halving in range(MAX_HALVINGS):
        f_new, g_new = fun_grad(theta + step * p)
        # f_new < f too: for tiny steps the Armijo bound rounds to f, and a step
        # that leaves f unchanged is no progress.
        if np.isfinite(f_new) and f_new <= f + ARMIJO * step * slope and f_new < f:
            return step, f_new, g_new
        if (halving == 0 and abs(f_new - f) <= ROUND_OFF * abs(f)
                and np.sum(np.abs(g_new)) < np.sum(np.abs(g))):
            return step, f_new, g_new
        step *= 0.5
    return None


def forcing_tolerance(gnorm, tol, confirming=False):
    """CG's tolerance on ``||H p + g||`` for one Newton step (inexact Newton).

    scikit-learn's forcing term ``min(0.5, sqrt(||g||)) ||g||`` solves loosely far
    from the optimum and ever more tightly near it (superlinear convergence), and
    near the optimum it over-solves: on a sparse 50,000-feature problem its last
    three steps took 213 of the fit's 246 Hessian products. Here:

    * while the gradient is above ``tol``: never below ``tol / 2`` (``H p + g`` is the
      quadratic model's gradient after the step, and the 2-norm bounds the largest
      entry, so a step need not aim below that), and never above ``||g|| / 2``;
    * once it is below (``confirming``: the Newton decrement ``-g.p`` decides
      convergence, and CG approaches it from below): ``||g|| / 10``, one digit of
      the gradient per step, enough for the decrement estimate and for the
      remaining steps (the same problem: 107 products in all, and the same optimum).
    """
    if confirming:
        return 0.1 * gnorm
    return min(0.5 * gnorm, max(min(0.5, np.sqrt(gnorm)) * gnorm, 0.5 * tol))


def newton_cg(fun_grad, make_hvp, theta0, *, tol=1e-4, max_iter=100, max_cg=None,
              on_iteration=None):
    """Minimise with Newton-CG.

    Parameters
    ----------
    fun_grad : callable ``theta -> (f, g)``
    make_hvp : callable ``theta -> (v -> H(theta) v)``
        Or ``theta -> (hvp, inverse_diagonal)`` to precondition CG with the
        Hessian's diagonal or a callable ``r -> M^-1 r`` (see
        :func:`conjugate_gradient`), or ``theta ->
        ExactStep(solve)`` when the caller computes the exact step itself (from
        the Hessian matrix: :func:`exact_step`).
    theta0 : ndarray (not modified)
    tol : float
        Converged when the largest entry of the gradient is at most ``tol``
        (scikit-learn's newton-cg criterion, ``max |g_i| <= tol``; it is checked
        at ``theta0`` too) and the Newton decrement confirms it: half of
        ``g^T H^-1 g`` (what the quadratic model still expects to gain, from the
        next CG solve) is at most ``tol**2 |f|`` (or float64 round-off). The
        gradient rule is absolute: scale ``f`` as scikit-learn does (a mean loss)
        for the same ``tol`` to mean the same. Once converged, the Newton step
        already computed for the test is taken too, if ``max_iter`` allows.
    max_iter : int
        Newton iterations (steps); ``n_iter`` is at least 1.
    max_cg : int, optional
        Hessian-vector products per iteration, default :data:`MAX_CG`.
    on_iteration : callable ``(iteration, loss, theta) -> bool``, optional
        Called after each iteration with the accepted point (do not modify it);
        returning True stops early.

    Returns
    -------
    NewtonResult
        ``converged`` only when the gradient test passed; ``failure`` says why a
        run ended early otherwise (None after ``max_iter`` or ``on_iteration``).
    """
    theta = np.array(theta0, dtype=float, copy=True)
    max_cg = max_cg or MAX_CG
    f, g = fun_grad(theta)
    start_loss = f
    history, failure, converged, it = [], None, False, 0
    while True:
        grad_max = float(np.max(np.abs(g))) if g.size else 0.0
        if not (np.isfinite(f) and np.isfinite(grad_max)):
            failure = "overflow"
            break
        if grad_max > tol and it >= max_iter:
            break
        gnorm = float(np.linalg.norm(g))
        hvp = make_hvp(theta)
        if isinstance(hvp, ExactStep):
            p = hvp.solve(g)
        else:
            hvp, inverse_diagonal = hvp if isinstance(hvp, tuple) else (hvp, None)
            p = conjugate_gradient(hvp, -g,
                                   forcing_tolerance(gnorm, tol, grad_max <= tol),
                                   max_cg, inverse_diagonal)
        if not np.all(np.isfinite(p)):
            failure = "overflow"
            break
        slope = float(g @ p)
        # The Newton decrement: -g.p = g^T H^-1 g, and half of it is what the
        # quadratic model still expects to gain. A small gradient alone can leave
        # much to gain when H is ill-conditioned (unscaled features).
        # (relative to |f|, with round-off's absolute floor: where the optimum is
        # at infinity, separable data, f and the decrement both tend to 0)
        if grad_max <= tol and -0.5 * slope <= max(tol**2 * abs(f),
                                                   ROUND_OFF * max(abs(f), 1.0)):
            converged = True
            if it < max_iter and slope < 0:
                # p is already paid for: one more step costs one evaluation and
                # takes the gradient down by the tenth CG solved it to (so that
                # fits on weighted and on repeated rows agree to ~1e-7, say).
                found = line_search(fun_grad, theta, f, g, p, slope)
                if found is not None and np.max(np.abs(found[2])) <= tol:
                    it += 1
                    step, f, g = found
                    theta += step * p
                    history.append(f)
                    grad_max = float(np.max(np.abs(g)))
                    if on_iteration is not None:
                        on_iteration(it, f, theta)
            break
        if it >= max_iter:
            break
        if slope >= 0:  # not a descent direction (numerical trouble): fall back to -g
            p, slope = -g, -gnorm**2
        it += 1
        found = line_search(fun_grad, theta, f, g, p, slope)
        # no step length lowers f: not the optimum, or not confirmed as it
        if found is None:
            failure = "line search"
            break
        step, f, g = found
        theta += step * p
        history.append(f)
        if on_iteration is not None and on_iteration(it, f, theta):
            grad_max = float(np.max(np.abs(g)))
            break
    if not history:  # no step taken: one record of the starting point
        history.append(f)
    return NewtonResult(theta=theta, n_iter=max(it, 1), converged=converged,
                        losses=history, failure=failure, grad_max=grad_max,
                        start_loss=start_loss)
