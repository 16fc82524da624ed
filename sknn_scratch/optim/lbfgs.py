"""Limited-memory BFGS (L-BFGS) for smooth objectives, on flat vectors.

Each iteration steps along ``p = -H_k g``, where ``H_k`` approximates the inverse
Hessian from the last ``memory`` pairs ``s = theta_new - theta``,
``y = g_new - g`` (Nocedal & Wright, *Numerical Optimization*, Algorithm 7.4,
the two-loop recursion), and the step length satisfies the strong Wolfe
conditions (their Algorithms 3.5 and 3.6), so that every pair has ``s.y > 0``
and ``H_k`` stays positive definite. One evaluation of ``(f, g)`` per
iteration in the usual case (the unit step is accepted), and no Hessian: where
a Hessian product costs as much as a gradient (two products with ``X``) and
Newton's CG needs tens of them per step, this is the cheaper road to a
gradient test of the same ``tol``.

``H_0`` is ``gamma M``: ``M`` an optional diagonal (the inverse of the
Hessian's diagonal, or a bound on it: the Jacobi preconditioner Newton uses),
optionally refreshed every :data:`REFRESH_EVERY` steps, ``gamma`` the usual
scaling ``s.y / y.M y`` of the latest pair (their eq. 7.20 with ``M``; ``H_0``
may change from step to step, their section 7.2).

It stops as scikit-learn's lbfgs does (scipy's L-BFGS-B with ``gtol=tol``,
``ftol=64 eps``): when the largest entry of the gradient is at most ``tol``, or
when an iteration lowers ``f`` by at most ``64 eps max(|f|, |f_new|, 1)``
(nothing left that float64 can see). A line search that finds no acceptable
step, or a non-finite objective or gradient, ends the run as a *failure*.
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .newton import NewtonResult

#: Pairs kept (scipy's and scikit-learn's ``maxcor``).
MEMORY = 10
#: Wolfe constants: sufficient decrease and curvature (N&W's usual values).
SUFFICIENT, CURVATURE = 1e-4, 0.9
#: Evaluations per line search (scipy's ``maxls`` in scikit-learn's call).
MAX_EVALS = 50
#: Steps between two calls of ``refresh`` (a new diagonal ``M``): on text-like
#: sparse data the Hessian's diagonal at the current point rather than its
#: bound saved a quarter to a third of the iterations, refreshed every 10 steps
#: (each refresh costs about half an evaluation there).
REFRESH_EVERY = 10
#: The relative decrease that counts as none (scikit-learn's ``ftol``).
FTOL = 64 * np.finfo(np.float64).eps


@dataclass
class LbfgsResult(NewtonResult):
    """What :func:`lbfgs` returns: :class:`.newton.NewtonResult`'s fields, and
    ``evaluations`` (``fun_grad`` calls) and ``pairs`` (the memory at the end:
    pass it as ``pairs=`` to continue). ``failure`` is None, ``'line search'`` or
    ``'overflow'``; ``grad_max`` is ``max |g|`` at ``theta``.
    """

    evaluations: int = 0
    pairs: object = None


class Memory:
    """The last pairs ``(s, y)`` and the two-loop product ``H_k g`` (what a run
    hands to one that continues it: ``LbfgsResult.pairs``)."""

    def __init__(self, size, inverse_diagonal):
        self.size = size
        self.set_diagonal(inverse_diagonal)
        self.s, self.y, self.rho = [], [], []
        self.gamma = 1.0
        self.age = 0  # iterations since M was last refreshed

    def set_diagonal(self, inverse_diagonal):
        """``M`` of ``H_0 = gamma M``. Only its shape matters (gamma scales it):
        scaled to median 1, so the first step (before any gamma) is scipy's, and
        a uniform M is the identity's."""
        self.M = (None if inverse_diagonal is None
                  else inverse_diagonal / np.median(inverse_diagonal))

    def clear(self):
        """Forget the pairs (not ``M``): ``H_k`` back to ``M``."""
        self.s, self.y, self.rho = [], [], []
        self.gamma = 1.0

    def add(self, s, y):
        sy = float(s @ y)
        # Wolfe's curvature condition gives s.y > 0; round-off near the optimum
        # can still break it, and such a pair would make H_k indefinite: skipped
        if not sy > 0 or not np.isfinite(sy):
            return
        My = y if self.M is None else self.M * y
        self.gamma = sy / float(y @ My)
        if len(self.s) == self.size:
            del self.s[0], self.y[0], self.rho[0]
        self.s.append(s)
        self.y.append(y)
        self.rho.append(1.0 / sy)

    def direction(self, g):
        """``-H_k g`` by the two-loop recursion (N&W Algorithm 7.4)."""
        q = g.copy()
        a = np.empty(len(self.s))
        for i in range(len(self.s) - 1, -1, -1):  # newest to oldest
            a[i] = self.rho[i] * float(self.s[i] @ q)
            q -= a[i] * self.y[i]
        q *= self.gamma  # r = H_0 q
        if self.M is not None:
            q *= self.M
        for i in range(len(self.s)):  # oldest to newest
            b = self.rho[i] * float(self.y[i] @ q)
            q += (a[i] - b) * self.s[i]
        return np.negative(q, out=q)


def _norm(v):
    """``||v||``, scaled by ``max |v|`` first: entries of 1e198 (an inverse
    diagonal spanning 1e198, a penalty of 1e200) would overflow their squares."""
    largest = float(np.max(np.abs(v))) if v.size else 0.0
    if not 0 < largest < np.inf:
        return largest
    return largest * float(np.linalg.norm(v / largest))


def _cubic_minimiser(a, fa, da, b, fb, db):
    """The minimiser of the cubic through ``(a, fa, da)`` and ``(b, fb, db)``,
    or None when it has none (N&W eq. 3.59), or the two points coincide."""
    if a == b:
        return None
    d1 = da + db - 3 * (fa - fb) / (a - b)
    # d2 = sqrt(d1^2 - da db), scaled by the largest of the three (Moré & Thuente's
    # dcstep): slopes of 1e197 (a penalty of 1e200) would overflow their squares
    scale = max(abs(d1), abs(da), abs(db))
    if not (np.isfinite(scale) and scale > 0):
        return None
    radicand = (d1 / scale) ** 2 - (da / scale) * (db / scale)
    if not radicand >= 0:
        return None
    d2 = np.copysign(scale * np.sqrt(radicand), b - a)
    denominator = db - da + 2 * d2
    if denominator == 0:
        return None
    return b - (b - a) * (db + d2 - d1) / denominator


def wolfe_search(phi, f0, slope0, step):
    """A step length satisfying the strong Wolfe conditions, or None.

    ``phi(t)`` returns ``(f, slope, payload)`` at ``theta + t p`` (``slope`` is
    ``g.p`` there). Bracketing then zoom with safeguarded cubic interpolation
    (N&W Algorithms 3.5 and 3.6). Returns ``(t, f, payload)``.
    """
    evals = 0
    prev_t, prev_f, prev_d, prev_payload = 0.0, f0, slope0, None
    while evals < MAX_EVALS:
        f, d, payload = phi(step)
        evals += 1
        if not (np.isfinite(f) and np.isfinite(d)):  # overflow: a shorter step
            step = prev_t + 0.1 * (step - prev_t)
            continue
        if f > f0 + SUFFICIENT * step * slope0 or (evals > 1 and f >= prev_f):
            # the previous step (if any) had sufficient decrease: the fallback
            return _zoom(phi, f0, slope0, (prev_t, prev_f, prev_d), (step, f, d),
                         MAX_EVALS - evals,
                         best=(prev_t, prev_f, prev_payload) if prev_t > 0 else None)
        if abs(d) <= -CURVATURE * slope0:
            return step, f, payload
        if d >= 0:
            return _zoom(phi, f0, slope0, (step, f, d), (prev_t, prev_f, prev_d),
                         MAX_EVALS - evals, best=(step, f, payload))
        prev_t, prev_f, prev_d, prev_payload = step, f, d, payload
        step *= 4.0  # still going down steeply: a longer step
    return None


def _zoom(phi, f0, slope0, lo, hi, evals_left, best=None):
    """N&W Algorithm 3.6 between ``lo`` (sufficient decrease) and ``hi``."""
    for _ in range(evals_left):
        (a, fa, da), (b, fb, db) = lo, hi
        width = abs(b - a)
        if width <= 1e-12 * max(abs(a), abs(b)):  # the bracket has closed
            break
        t = _cubic_minimiser(a, fa, da, b, fb, db)
        low, high = min(a, b) + 0.1 * width, max(a, b) - 0.1 * width
        if t is None or not low <= t <= high:  # safeguard: bisect
            t = 0.5 * (a + b)
        f, d, payload = phi(t)
        if not (np.isfinite(f) and np.isfinite(d)) or (
                f > f0 + SUFFICIENT * t * slope0 or f >= fa):
            hi = (t, f, d)
            continue
        best = (t, f, payload)
        if abs(d) <= -CURVATURE * slope0:
            return best
        if d * (b - a) >= 0:
            hi = lo
        lo = (t, f, d)
    # no strong Wolfe point found: the best sufficient decrease, if any
    return best if best is not None and best[1] < f0 else None


def lbfgs(fun_grad, theta0, *, tol=1e-4, max_iter=100, memory=MEMORY,
          inverse_diagonal=None, refresh=None, on_iteration=None, pairs=None):
    """Minimise with L-BFGS.

    Parameters
    ----------
    fun_grad : callable ``theta -> (f, g)``
        It may reuse its gradient's buffer only if it returns a new array per
        call (pairs ``y = g_new - g`` keep both).
    theta0 : ndarray (not modified)
    tol : float
        Converged when ``max |g_i| <= tol`` (scikit-learn's lbfgs rule, checked at
        ``theta0`` too), or when a step lowers ``f`` by round-off only.
    max_iter : int
        Iterations (steps); ``n_iter`` is at least 1.
    memory : int
        Pairs kept (at least 1).
    inverse_diagonal : ndarray, optional
        ``M`` of ``H_0 = gamma M`` (positive); identity when None.
    on_iteration : callable ``(iteration, loss, theta) -> bool``, optional
        Called after each iteration with the accepted point (do not modify it);
        returning True stops early.
    refresh : callable ``() -> ndarray``, optional
        A new ``M`` (the inverse of the Hessian's diagonal at the point evaluated
        last, say), asked for before the first step and every
        :data:`REFRESH_EVERY` steps after it.
    pairs : object, optional
        ``LbfgsResult.pairs`` of a run that ended at ``theta0``: this run then
        continues it step for step (its pairs, scale ``gamma`` and, with
        ``refresh``, its ``M`` and refresh schedule; else ``M`` is this call's
        ``inverse_diagonal``), as one run would have.

    Returns
    -------
    LbfgsResult
    """
    if not isinstance(memory, Integral) or isinstance(memory, bool) or memory < 1:
        raise ValueError(f"memory must be a positive integer, got {memory!r}.")
    theta = np.array(theta0, dtype=float, copy=True)
    f, g = fun_grad(theta)
    evaluations, start_loss = 1, f
    store = Memory(memory, inverse_diagonal)
    if pairs is not None:  # a run that continues another: its pairs, scale and M
        kept = slice(-memory, None)  # (the newest, if this memory is shorter)
        store.s, store.y, store.rho = pairs.s[kept], pairs.y[kept], pairs.rho[kept]
        store.gamma, store.age = pairs.gamma, pairs.age
        if refresh is not None:  # M is then the run's own, not the caller's
            store.M = pairs.M
    history, failure, converged, it = [], None, False, 0
    grad_max = float(np.max(np.abs(g))) if g.size else 0.0
    while True:
        if not (np.isfinite(f) and np.isfinite(grad_max)):
            failure = "overflow"
            break
        if grad_max <= tol:
            converged = True
            break
        if it >= max_iter:
            break
        if refresh is not None and store.age % REFRESH_EVERY == 0:
            store.set_diagonal(refresh())
        store.age += 1
        p = store.direction(g)
        slope = float(g @ p)
        if not slope < 0:  # round-off broke H_k: start the memory afresh
            store.clear()
            p = store.direction(g)
            slope = float(g @ p)
        # the first step (no pair yet, no scale gamma): scipy's 1 / ||p||, at most 1
        step = 1.0 if store.s else min(1.0, 1.0 / _norm(p))

        finite = []  # whether each trial off theta had a finite f and slope

        def phi(t):
            nonlocal evaluations
            evaluations += 1
            trial = theta + t * p
            f_t, g_t = fun_grad(trial)
            slope_t = float(g_t @ p)
            if np.any(trial != theta):  # (a step below round-off stays at theta)
                finite.append(bool(np.isfinite(f_t) and np.isfinite(slope_t)))
            return f_t, slope_t, (trial, g_t)

        found = wolfe_search(phi, f, slope, step)
        if found is None:
            # every trial overflowed, down to steps of 1e-50 of the first: the
            # objective is not a number anywhere along p (huge features), which is
            # an overflow, not an ill-conditioned search
            failure = "overflow" if finite and not any(finite) else "line search"
            break
        it += 1
        _, f_new, (trial, g_new) = found
        store.add(trial - theta, g_new - g)
        decrease = f - f_new
        theta, f, g = trial, f_new, g_new
        grad_max = float(np.max(np.abs(g)))
        history.append(f)
        if on_iteration is not None and on_iteration(it, f, theta):
            break
        if decrease <= FTOL * max(abs(f), abs(f + decrease), 1.0):
            converged = True  # scikit-learn's ftol: nothing float64 can still see
            break
    if not history:
        history.append(f)
    return LbfgsResult(theta=theta, n_iter=max(it, 1), converged=converged,
                       losses=history, failure=failure, grad_max=grad_max,
                       start_loss=start_loss, evaluations=evaluations, pairs=store)
