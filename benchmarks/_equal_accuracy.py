"""scikit-learn's lbfgs run until it reaches a given objective: its time at equal accuracy.

Section j compares both estimators at their defaults, where the two stop at very
different accuracies: our stopping rule lands within 1e-4 of the optimum's
coefficients (about 1e-8 relative on the objective), lbfgs at ``tol=1e-4`` often
stops 1e-3 to 1e-1 relative above the optimum. This module measures the other
comparison: how long lbfgs needs to reach *our* objective.

How (and why not a sequence of ``tol``). ``LogisticRegression`` has no callback
that can stop a fit (scikit-learn 1.9's callbacks observe lbfgs' iterations but do
not honour a stop request yet), and refitting with a decreasing sequence of
``tol`` times a fit whose own tolerance overshoots the target by an unknown
number of iterations. So :func:`lbfgs_to_objective` runs what
``LogisticRegression(solver='lbfgs')`` runs inside ``_logistic_regression_path``,
the same call on the same loss:

    scipy.optimize.minimize(LinearModelLoss(...).loss_gradient, w0 = 0,
                            method='L-BFGS-B', jac=True,
                            options={'maxls': 50, 'ftol': 64 eps, ...})

with binomial loss for two classes and multinomial loss (every class row
penalised) for more, ``l2_reg_strength = 1 / (C n)``, and a callback that stops at
the first iterate whose objective is low enough. The iterates are those of the
default fit (same start, same line search; only the stopping differs), which the
tests check against ``LogisticRegression`` itself. The timed run therefore is
exactly "lbfgs until it reaches the target", without sklearn's input validation
(cheap next to the iterations, and not counted in lbfgs' favour or against it
beyond that).

``LinearModelLoss`` minimises the *mean* loss plus ``1/2 l2 ||coef||^2``; times
``C n`` that is the objective both estimators are compared on,

    C * sum_i log-loss_i + 1/2 ||coef||^2,

so the callback reads it from the value scipy already computed (no extra pass).
``gtol`` is 0: the run stops on the target, on the cap, on ``max_iter`` or when
L-BFGS-B itself can make no further progress (its ``ftol``), and says which.

scikit-learn's ``newton-cg`` (the same algorithm as ours) has no callback at all:
:func:`refits_to_objective` refits it over a decreasing sequence of ``tol`` and
times the first fit that reaches the target. That time overshoots (the fit runs
to its own tolerance, up to 100x tighter than needed), so it is an upper bound on
newton-cg's time to our objective; Newton's quadratic convergence keeps the
overshoot to an iteration or two.
"""

import numpy as np
import scipy.optimize
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss

import _common as C


def _problem(X, y, C_):
    """``(loss, w0, target, l2)`` as ``_logistic_regression_path`` builds them."""
    classes, codes = np.unique(y, return_inverse=True)
    n_samples, n_features = X.shape
    if classes.size == 2:
        base, target = HalfBinomialLoss(), (codes == 1).astype(X.dtype)
        w0 = np.zeros(n_features + 1, dtype=X.dtype)
    else:
        base, target = HalfMultinomialLoss(n_classes=classes.size), codes.astype(X.dtype)
        # classes contiguous, reshaped by LinearModelLoss with order="F"
        w0 = np.zeros((classes.size, n_features + 1), order="F", dtype=X.dtype).ravel("F")
    loss = LinearModelLoss(base_loss=base, fit_intercept=True)
    return loss, w0, target, 1.0 / (C_ * n_samples)


def coef_intercept(w, n_classes, n_features):
    """Split lbfgs' flat parameters into ``coef_`` (k, d) and ``intercept_`` (k,)."""
    W = w[None, :] if n_classes == 2 else np.reshape(w, (n_classes, -1), order="F")
    return W[:, :n_features], W[:, n_features]


#: ``tol`` of the successive newton-cg refits of :func:`refits_to_objective`.
REFIT_TOLS = (1e-4, 1e-6, 1e-8, 1e-10)


def refits_to_objective(X, y, target_objective, cap_s, solver="newton-cg", C_=1.0):
    """Fit ``LogisticRegression(solver=solver)`` with ``tol`` in ``REFIT_TOLS`` until
    its objective is ``<= target_objective``; the time of that one fit.

    The refits stop once their total time passes ``cap_s`` (checked between
    fits). Returns a dict as :func:`lbfgs_to_objective` (without ``coef``), with
    ``tol`` (of the timed fit) and ``total_s`` (all refits); ``stop`` is 'target',
    'cap' or 'tols' (the last ``tol`` did not reach it).
    """
    loss, _, target, l2 = _problem(X, y, C_)
    total, run = 0.0, {}
    for tol in REFIT_TOLS:
        with C.quiet():
            seconds, model = C.timed(lambda: LogisticRegression(
                C=C_, solver=solver, tol=tol, max_iter=10_000).fit(X, y))
        total += seconds
        # lbfgs' flat parameters: (coef, intercept) per class, classes contiguous
        w = np.hstack([model.coef_, model.intercept_[:, None]])
        w = w[0] if w.shape[0] == 1 else w.ravel(order="F")
        objective = loss.loss(w, X, target, None, l2, 1) * C_ * X.shape[0]
        run = {"seconds": seconds, "tol": tol, "n_iter": int(np.max(model.n_iter_)),
               "objective": float(objective), "total_s": total,
               "reached": bool(objective <= target_objective), "stop": "target"}
        if run["reached"]:
            return run
        if total > cap_s:
            return {**run, "stop": "cap"}
    return {**run, "stop": "tols"}


def lbfgs_to_objective(X, y, target_objective, cap_s, C_=1.0, max_iter=100_000,
                       gtol=0.0):
    """Run scikit-learn's lbfgs until its objective is ``<= target_objective``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    target_objective : float or None
        Stop at the first iterate with ``C sum log-loss + 1/2 ||coef||^2`` at most
        this; None never stops on it (with ``gtol=1e-4, max_iter=100`` the run is
        then ``LogisticRegression()``'s own).
    cap_s : float
        Stop once this much time (on :func:`_common.now`'s clock) has passed.
    C_ : float, default=1.0
        Inverse regularisation strength, as ``LogisticRegression``'s ``C``.
    max_iter, gtol
        L-BFGS-B's ``maxiter`` and ``gtol``.

    Returns
    -------
    dict
        ``seconds`` (setup included), ``n_iter``, ``objective`` (lbfgs' own value,
        rescaled), ``coef``, ``intercept``, ``reached`` (bool) and ``stop``: one of
        'target', 'cap', 'max_iter', 'converged' (lbfgs stopped on its own tolerances:
        ``message`` says which).
    """
    start = C.now()
    loss, w0, target, l2 = _problem(X, y, C_)
    scale = C_ * X.shape[0]  # mean loss + l2/2 ||coef||^2, times C n
    state = {"stop": None, "n_iter": 0}

    def callback(intermediate_result):
        state["n_iter"] += 1
        if target_objective is not None and intermediate_result.fun * scale <= target_objective:
            state["stop"] = "target"
            raise StopIteration
        if C.now() - start > cap_s:
            state["stop"] = "cap"
            raise StopIteration

    res = scipy.optimize.minimize(
        loss.loss_gradient, w0, method="L-BFGS-B", jac=True,
        args=(X, target, None, l2, 1), callback=callback,
        options={"maxiter": max_iter, "maxls": 50, "gtol": gtol,
                 "ftol": 64 * np.finfo(float).eps})
    seconds = C.now() - start
    stop = state["stop"] or ("max_iter" if res.nit >= max_iter else "converged")
    n_classes = np.unique(y).size
    coef, intercept = coef_intercept(res.x, n_classes, X.shape[1])
    objective = res.fun * scale
    reached = target_objective is not None and objective <= target_objective
    return {"seconds": seconds, "n_iter": int(res.nit), "objective": float(objective),
            "coef": coef, "intercept": intercept, "reached": bool(reached), "stop": stop,
            "message": str(res.message)}
