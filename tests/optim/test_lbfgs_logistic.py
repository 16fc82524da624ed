"""L-BFGS on scikit-learn's LogisticRegression objective: scikit-learn's optimum,
scipy's L-BFGS-B iteration counts, the strong Wolfe conditions on every step, and
the same bytes in a fresh interpreter."""

import os
import subprocess
import sys
from contextlib import redirect_stdout
from io import StringIO

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sknn_scratch.core.linear import LinearObjective
from sknn_scratch.core.losses import one_hot
from sknn_scratch.optim.lbfgs import FTOL, MEMORY, lbfgs

from .test_lbfgs import CURVATURE, SUFFICIENT, Recorder

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def logistic_problem(n_classes, C, seed=0, m=200, n=8, scale=True):
    """scikit-learn's LogisticRegression objective as ScratchLogisticRegression
    builds it: LinearObjective with alpha = 1 / C (C sum l_i + 1/2 ||W||^2 divided
    by C m), theta = (W row by row, b)."""
    X, y = make_classification(m, n, n_informative=min(n, 5), n_redundant=0,
                               n_classes=n_classes, random_state=seed)
    if scale:
        X = StandardScaler().fit_transform(X)
    Y = one_hot(y, n_classes)
    sw = np.ones(m)
    return X, y, LinearObjective(X, Y, sw, float(sw.sum()), 1.0 / C), Y.shape[1]


def unpack(theta, n, K):
    """``(coef_, intercept_)`` in scikit-learn's layout."""
    return theta[: n * K].reshape(n, K).T, theta[n * K:]


def sklearn_reference(X, y, C):
    return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12,
                              max_iter=1000).fit(X, y)


# -- scikit-learn's LogisticRegression objective -----------------------------------------
@pytest.mark.parametrize("n_classes, C", [(2, 1.0), (2, 100.0), (3, 0.1), (4, 1.0)])
def test_lbfgs_reaches_sklearn_logistic_regression_optimum(n_classes, C):
    X, y, fun_grad, K = logistic_problem(n_classes, C, seed=n_classes)
    n = X.shape[1]
    res = lbfgs(fun_grad, np.zeros((n + 1) * K), tol=1e-10, max_iter=1000)
    ref = sklearn_reference(X, y, C)
    coef, intercept = unpack(res.theta, n, K)
    assert res.converged and res.failure is None
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-6)
    # multinomial: the intercepts are defined up to a common shift; both sum to 0
    # (every step lies in the span of gradients whose intercept part sums to 0)
    np.testing.assert_allclose(intercept, ref.intercept_, atol=1e-6)
    if K > 1:
        assert abs(intercept.sum()) < 1e-12


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lbfgs_on_logistic_regression_stops_below_tol(n_classes):
    X, _, fun_grad, K = logistic_problem(n_classes, 1.0, seed=7)
    res = lbfgs(fun_grad, np.zeros((X.shape[1] + 1) * K), tol=1e-4)
    _, g = logistic_problem(n_classes, 1.0, seed=7)[2](res.theta)  # a new objective
    assert res.converged
    assert np.max(np.abs(g)) == res.grad_max <= 1e-4


@pytest.mark.parametrize("n_classes, C", [(2, 1.0), (3, 10.0)])
def test_every_accepted_step_satisfies_the_strong_wolfe_conditions(n_classes, C):
    # In terms of s = theta_new - theta = t p (t > 0):
    #   f_new <= f + c1 g.s   and   |g_new.s| <= c2 |g.s|
    # Sufficient decrease always; the curvature condition too on every step here
    # (the fallback without it, tested on a kink in test_lbfgs.py, never needed)
    X, _, fun_grad, K = logistic_problem(n_classes, C, seed=11)
    record = Recorder(fun_grad)
    accepted = []
    res = lbfgs(record, np.zeros((X.shape[1] + 1) * K), tol=1e-8, max_iter=500,
                on_iteration=lambda it, f, theta: accepted.append(theta.copy()))
    assert res.converged and len(accepted) == res.n_iter
    points = [record.points[0][0]] + accepted
    strong = 0
    for before, after in zip(points[:-1], points[1:]):
        (f, g), (f_new, g_new) = record.at(before), record.at(after)
        s = after - before
        assert g @ s < 0  # a descent direction
        assert f_new <= f + SUFFICIENT * (g @ s) and f_new < f
        strong += abs(g_new @ s) <= CURVATURE * abs(g @ s)
    assert strong == res.n_iter


def scipy_iterations(fun_grad, theta0, tol):
    # scikit-learn's call (linear_model._logistic, solver='lbfgs')
    out = minimize(fun_grad, theta0, jac=True, method="L-BFGS-B",
                   options={"maxcor": MEMORY, "gtol": tol, "ftol": FTOL,
                            "maxiter": 1000, "maxls": 50})
    assert out.success
    return out.nit


@pytest.mark.parametrize("n_classes, C, scale", [(2, 1.0, True), (2, 10.0, False),
                                                  (3, 1.0, True), (5, 0.1, True)])
def test_iteration_count_is_comparable_to_scipys_lbfgs(n_classes, C, scale):
    # informational bounds (not the same code: same memory, Wolfe constants and
    # stopping rule): within a factor 1.5 either way of scipy's L-BFGS-B
    X, _, fun_grad, K = logistic_problem(n_classes, C, seed=3, scale=scale)
    theta0 = np.zeros((X.shape[1] + 1) * K)
    res = lbfgs(fun_grad, theta0, tol=1e-6, max_iter=1000)
    theirs = scipy_iterations(fun_grad, theta0, 1e-6)
    assert res.converged
    assert theirs / 1.5 <= res.n_iter <= 1.5 * theirs


def test_real_data_breast_cancer_against_sklearn_and_scipy():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    fun_grad = LinearObjective(X, one_hot(y, 2), np.ones(len(y)), float(len(y)), 1.0)
    theta0 = np.zeros(X.shape[1] + 1)
    res = lbfgs(fun_grad, theta0, tol=1e-9, max_iter=1000)
    ref = sklearn_reference(X, y, 1.0)
    assert res.converged  # by the relative decrease, max |g| = 1e-8 (as scipy)
    # |theta - theta*| <= |g| / (smallest curvature, ~ alpha / S = 1 / 569)
    np.testing.assert_allclose(res.theta[:-1], ref.coef_[0], atol=1e-5)
    np.testing.assert_allclose(res.theta[-1], ref.intercept_[0], atol=1e-5)
    theirs = scipy_iterations(fun_grad, theta0, 1e-9)
    assert theirs / 1.5 <= res.n_iter <= 1.5 * theirs


# -- the same bytes in a fresh interpreter -------------------------------------------------
_RUN = """
import hashlib
import numpy as np
from sknn_scratch.core.linear import LinearObjective
from sknn_scratch.core.losses import one_hot
from sknn_scratch.optim.lbfgs import lbfgs
rng = np.random.default_rng(5)
X = rng.standard_normal((300, 12)) * np.logspace(-1, 1, 12)
y = np.argmax(X @ rng.standard_normal((12, 3)) + rng.standard_normal((300, 3)), axis=1)
fun_grad = LinearObjective(X, one_hot(y, 3), np.ones(300), 300.0, 1.0)
M = 1.0 / (0.25 * np.concatenate([np.repeat((X * X).mean(0), 3), np.ones(3)]) + 1 / 300)
res = lbfgs(fun_grad, np.zeros(39), tol=1e-8, max_iter=500, inverse_diagonal=M)
print(res.n_iter, res.evaluations, res.converged,
      hashlib.sha256(res.theta.tobytes()).hexdigest(),
      hashlib.sha256(np.array(res.losses).tobytes()).hexdigest())
"""


def test_a_run_gives_the_same_bytes_in_a_fresh_interpreter():
    # the same script here and in a new process (fresh buffers, fresh allocator)
    here = StringIO()
    with redirect_stdout(here):
        exec(_RUN, {})
    fresh = subprocess.run([sys.executable, "-c", _RUN], capture_output=True, text=True,
                           check=True, cwd=ROOT).stdout
    assert fresh == here.getvalue()
    n_iter, _, converged = here.getvalue().split()[:3]
    assert int(n_iter) > 5 and converged == "True"  # a real run, not a first-step stop
