"""Conjugate gradient and Newton-CG on quadratics and a logistic objective."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sknn_scratch.optim.newton import (
    ExactStep,
    NewtonResult,
    conjugate_gradient,
    exact_step,
    forcing_tolerance,
    newton_cg,
)


def spd_system(n=6, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    return M @ M.T + n * np.eye(n), rng.standard_normal(n)


def quadratic(A, b):
    """f(x) = 1/2 x^T A x - b^T x, its gradient, and its Hessian-vector product."""
    def fun_grad(x):
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    def make_hvp(x):
        return lambda v: A @ v

    return fun_grad, make_hvp


# -- conjugate gradient ----------------------------------------------------------------
def test_conjugate_gradient_solves_spd_system():
    A, b = spd_system()
    x = conjugate_gradient(lambda v: A @ v, b, tol=1e-12, max_iter=50)
    np.testing.assert_allclose(A @ x, b, atol=1e-10)


def counted_product(A):
    """``v -> A v``, and the list that counts its calls."""
    calls = []

    def hvp(v):
        calls.append(1)
        return A @ v

    return hvp, calls


def test_conjugate_gradient_converges_in_at_most_n_products():
    A, b = spd_system(n=5, seed=1)
    hvp, calls = counted_product(A)
    x = conjugate_gradient(hvp, b, tol=0.0, max_iter=5)
    assert len(calls) == 5
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9)


def test_conjugate_gradient_with_the_exact_inverse_as_preconditioner_needs_one_product():
    # M = A: the preconditioned system is the identity, solved by the first step
    A, b = spd_system(n=7, seed=3)
    hvp, calls = counted_product(A)
    x = conjugate_gradient(hvp, b, tol=1e-10 * np.linalg.norm(b), max_iter=50,
                           inverse_diagonal=lambda r: np.linalg.solve(A, r))
    assert len(calls) == 1
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-9)


def test_conjugate_gradient_with_a_callable_diagonal_equals_the_array_path():
    A, b = spd_system(n=9, seed=4)
    A = A * np.logspace(-3, 3, 9)[:, None] * np.logspace(-3, 3, 9)[None, :]
    inverse = 1.0 / np.diag(A)
    array = conjugate_gradient(lambda v: A @ v, b, 1e-9, 50, inverse)
    function = conjugate_gradient(lambda v: A @ v, b, 1e-9, 50, lambda r: r * inverse)
    np.testing.assert_array_equal(function, array)
    np.testing.assert_allclose(A @ array, b, atol=1e-8)


def test_conjugate_gradient_stops_at_tolerance():
    A, b = spd_system(n=8, seed=2)
    tol = 0.3 * np.linalg.norm(b)
    x = conjugate_gradient(lambda v: A @ v, b, tol=tol, max_iter=50)
    assert np.linalg.norm(A @ x - b) <= tol


def test_conjugate_gradient_does_not_modify_rhs():
    A, b = spd_system()
    before = b.copy()
    conjugate_gradient(lambda v: A @ v, b, tol=1e-12, max_iter=50)
    np.testing.assert_array_equal(b, before)


def test_conjugate_gradient_of_zero_rhs_is_zero():
    A, _ = spd_system()
    np.testing.assert_array_equal(
        conjugate_gradient(lambda v: A @ v, np.zeros(6), tol=0.0, max_iter=10), 0.0)


def test_conjugate_gradient_returns_rhs_on_negative_curvature_first_direction():
    b = np.array([1.0, 2.0])
    x = conjugate_gradient(lambda v: -v, b, tol=1e-12, max_iter=10)
    np.testing.assert_array_equal(x, b)


# -- Newton-CG on quadratics -----------------------------------------------------------
def test_newton_cg_minimises_quadratic_in_one_step_when_cg_runs_to_completion():
    # A = diag(1, 100), b = (1, 1): one CG direction leaves a residual of 1.39 > 0.5 ||g||
    # = 0.71, so CG takes its second (final) step and the Newton step x = A^{-1} b is exact.
    A, b = np.diag([1.0, 100.0]), np.array([1.0, 1.0])
    res = newton_cg(*quadratic(A, b), np.zeros(2), max_iter=1)
    np.testing.assert_allclose(res.theta, [1.0, 0.01], rtol=1e-12)
    assert res.n_iter == 1


def test_newton_cg_first_step_on_quadratic_meets_the_forcing_tolerance():
    # Truncated Newton: ||A x1 - b|| <= min(0.5, sqrt||g0||) ||g0|| with g0 = -b.
    A, b = spd_system(n=5, seed=0)
    res = newton_cg(*quadratic(A, b), np.zeros(5), max_iter=1)
    g0 = np.linalg.norm(b)
    assert np.linalg.norm(A @ res.theta - b) <= min(0.5, np.sqrt(g0)) * g0
    assert 0.5 * res.theta @ A @ res.theta - b @ res.theta < 0.0  # f(x1) < f(0)


def test_newton_cg_converges_on_quadratic_to_the_solution():
    A, b = spd_system(n=5, seed=0)
    res = newton_cg(*quadratic(A, b), np.zeros(5), tol=1e-12, max_iter=50)
    assert res.converged
    np.testing.assert_allclose(res.theta, np.linalg.solve(A, b), rtol=1e-10)


def test_newton_cg_does_not_modify_theta0():
    A, b = spd_system()
    theta0 = np.ones(6)
    newton_cg(*quadratic(A, b), theta0)
    np.testing.assert_array_equal(theta0, 1.0)


def test_newton_cg_at_the_optimum_stops_immediately():
    A, b = spd_system()
    x_star = np.linalg.solve(A, b)
    fun_grad, make_hvp = quadratic(A, b)

    def exact_zero_grad(x):
        f, _ = fun_grad(x)
        return f, np.zeros_like(x)

    res = newton_cg(exact_zero_grad, make_hvp, x_star)
    assert isinstance(res, NewtonResult)
    assert res.converged and res.n_iter == 1
    np.testing.assert_array_equal(res.theta, x_star)


def test_newton_cg_on_iteration_returning_true_stops():
    A, b = spd_system()
    seen = []
    res = newton_cg(*quadratic(A, b), np.zeros(6), tol=0.0,
                    on_iteration=lambda it, f, theta: seen.append((it, f)) or True)
    assert res.n_iter == 1 and len(seen) == 1 and not res.converged
    assert seen[0][1] == res.losses[0]


def test_newton_cg_losses_never_increase():
    A, b = spd_system(n=10, seed=3)
    res = newton_cg(*quadratic(A, b), np.zeros(10), tol=1e-12)
    assert np.all(np.diff(res.losses) <= 1e-15)


# -- Newton-CG on a logistic objective vs scikit-learn -----------------------------------
def logistic_problem(C, seed=0, m=60, n=4):
    """sklearn's objective C sum l_i + 1/2 ||w||^2, written out in NumPy."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 + rng.standard_normal(m) > 0)
    y = y.astype(float)

    def fun_grad(theta):
        w, c = theta[:n], theta[n]
        z = X @ w + c
        f = C * np.sum(np.logaddexp(0, z) - y * z) + 0.5 * w @ w
        r = C * (1.0 / (1.0 + np.exp(-z)) - y)
        return f, np.concatenate([X.T @ r + w, [r.sum()]])

    def make_hvp(theta):
        z = X @ theta[:n] + theta[n]
        p = 1.0 / (1.0 + np.exp(-z))
        d = C * p * (1 - p)

        def hvp(v):
            u = d * (X @ v[:n] + v[n])
            return np.concatenate([X.T @ u + v[:n], [u.sum()]])

        return hvp

    return X, y, fun_grad, make_hvp


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_newton_cg_reaches_sklearn_logistic_regression_optimum(C):
    X, y, fun_grad, make_hvp = logistic_problem(C)
    res = newton_cg(fun_grad, make_hvp, np.zeros(X.shape[1] + 1), tol=1e-10)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    assert res.converged
    np.testing.assert_allclose(res.theta[:-1], ref.coef_[0], atol=1e-6)
    np.testing.assert_allclose(res.theta[-1], ref.intercept_[0], atol=1e-6)


# -- issue 16: stop on the gradient; a failed line search or an overflow is a failure ----
def test_newton_cg_small_steps_far_from_the_optimum_do_not_stop_it():
    # One CG product per iteration (max_cg=1) on A = diag(1, 100): steps of size <= 1
    # while |theta| ~ 1e4, so the old rule (step <= tol * max |theta|) stopped after one
    # step with the gradient still ~1. The gradient rule runs on to max |A x - b| <= tol.
    A, b = np.diag([1.0, 100.0]), np.array([1e4, 100.0])
    theta0 = np.array([1e4 - 3.0, 3.0])
    res = newton_cg(*quadratic(A, b), theta0, tol=1e-4, max_cg=1, max_iter=500)
    assert res.converged and res.failure is None
    assert np.max(np.abs(A @ res.theta - b)) <= 1e-4
    np.testing.assert_allclose(res.theta, [1e4, 1.0], atol=1e-4)


def test_newton_cg_converges_with_the_largest_gradient_entry_below_tol():
    A, b = spd_system(n=5, seed=0)
    tol = 1e-3
    res = newton_cg(*quadratic(A, b), np.zeros(5), tol=tol, max_iter=50)
    assert res.converged and res.grad_max <= tol
    assert np.max(np.abs(A @ res.theta - b)) == res.grad_max


def test_newton_cg_failed_line_search_is_a_failure_not_convergence():
    # The gradient has the wrong sign, so every "descent" direction goes uphill.
    def fun_grad(x):
        return float(x @ x), -2.0 * x

    res = newton_cg(fun_grad, lambda x: (lambda v: 2.0 * v), np.ones(3), tol=1e-8)
    assert not res.converged and res.failure == "line search"
    np.testing.assert_array_equal(res.theta, 1.0)  # nothing accepted
    assert res.n_iter == 1 and res.losses == [3.0]


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf - inf in d.Hd
def test_newton_cg_overflowing_hessian_products_are_a_failure():
    A, b = spd_system()

    def make_hvp(x):
        return lambda v: np.full_like(v, np.inf)

    res = newton_cg(quadratic(A, b)[0], make_hvp, np.zeros(6), tol=1e-8)
    assert not res.converged and res.failure == "overflow"
    np.testing.assert_array_equal(res.theta, 0.0)


def test_newton_cg_non_finite_objective_at_the_start_is_a_failure():
    res = newton_cg(lambda x: (np.inf, np.full_like(x, np.nan)),
                    lambda x: (lambda v: v), np.zeros(2))
    assert not res.converged and res.failure == "overflow"


def test_newton_cg_accepts_a_round_off_level_step_that_shrinks_the_gradient():
    # f(x) = 1e8 + (x - 1)^2 + noise, where the noise is one unit in the last place of
    # 1e8 (1.5e-8) added at x = 1 exactly: the round-off of a long sum. Near x = 1 + 1e-5
    # the Newton step lowers the true f by 1e-10 but the computed f rises by 1.5e-8, so
    # Armijo rejects every step length; scikit-learn's rule accepts the full step when
    # |f_new - f| <= 16 eps |f| and sum |g| decreases (here to 0).
    def fun_grad(x):
        noise = np.spacing(1e8) if x[0] == 1.0 else 0.0
        return float(1e8 + np.sum((x - 1.0) ** 2) + noise), 2.0 * (x - 1.0)

    res = newton_cg(fun_grad, lambda x: (lambda v: 2.0 * v), np.array([1.0 + 1e-5]),
                    tol=1e-12)
    assert res.converged and res.failure is None
    np.testing.assert_array_equal(res.theta, [1.0])


# -- issue 14: CG never solves more tightly than the stopping rule needs -----------------
def test_forcing_tolerance_far_from_tol_is_sklearns_forcing_term():
    # ||g|| = 0.04: min(0.5, sqrt(0.04)) * 0.04 = 0.2 * 0.04 = 0.008, far above tol / 2
    assert forcing_tolerance(0.04, 1e-4) == pytest.approx(0.008, rel=1e-12)


def test_forcing_tolerance_near_tol_stops_at_half_of_tol_and_half_of_the_gradient():
    # ||g|| = 1e-3: the forcing term sqrt(1e-3) * 1e-3 = 3.2e-5 would over-solve; tol / 2
    assert forcing_tolerance(1e-3, 1e-4) == pytest.approx(5e-5, rel=1e-12)
    # ||g|| = 8e-5 (still above tol in the largest entry, say): never above ||g|| / 2
    assert forcing_tolerance(8e-5, 1e-4) == pytest.approx(4e-5, rel=1e-12)


def test_forcing_tolerance_while_confirming_is_a_tenth_of_the_gradient():
    assert forcing_tolerance(1e-5, 1e-4, confirming=True) == pytest.approx(1e-6, rel=1e-12)


def test_newton_cg_with_the_tol_floor_still_reaches_tol_and_the_decrement():
    # An ill-conditioned quadratic (condition 1e6): the floor of tol / 2 must not stop
    # CG short of a step that brings the gradient below tol, and the Newton decrement
    # (tol^2 |f|) must still be reached: f within 1e-8 relative of the minimum.
    A, b = spd_system(n=30, seed=4)
    _, vectors = np.linalg.eigh(A)
    A = (vectors * np.logspace(-3, 3, 30)) @ vectors.T
    res = newton_cg(*quadratic(A, b), np.zeros(30), tol=1e-4, max_iter=100)
    x_star = np.linalg.solve(A, b)
    f_star = -0.5 * b @ x_star
    assert res.converged
    assert np.max(np.abs(A @ res.theta - b)) <= 1e-4
    assert res.losses[-1] - f_star <= 1e-8 * abs(f_star)


# -- issue 14: the exact step from the Hessian matrix (a few parameters) -----------------
def test_exact_step_on_a_definite_matrix_is_the_linear_solve():
    A, b = spd_system(n=6, seed=2)
    np.testing.assert_allclose(exact_step(A, b), -np.linalg.solve(A, b), rtol=1e-12)


def test_exact_step_on_a_singular_matrix_takes_no_step_along_its_null_space():
    # H = diag(2, 0, 5) rotated: the minimum-norm solution of H p = -g (lstsq's), so the
    # zero-curvature direction gets nothing, whatever g has along it.
    rotation, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))
    H = (rotation * [2.0, 0.0, 5.0]) @ rotation.T
    g = rotation @ np.array([1.0, 7.0, -2.0])
    p = exact_step(H, g)
    np.testing.assert_allclose(p, rotation @ np.array([-0.5, 0.0, 0.4]), atol=1e-12)
    np.testing.assert_allclose(p, np.linalg.lstsq(H, -g, rcond=1e-10)[0], atol=1e-12)


def test_exact_step_when_cholesky_passes_on_a_singular_matrix_takes_the_pseudo_inverse():
    # H = 2.5 v v^T, v = (2, 1) / sqrt(5): singular, but Cholesky's last pivot is
    # 0.5 - (1/sqrt 2)^2 = 1.1e-16 > 0 in float64 while LU's is exactly 0 (LAPACK's
    # solve raised "Singular matrix"; seen on breast_cancer * 1e100). g = sqrt(5) v:
    # the minimum-norm step is -g / 2.5 along v.
    H = np.array([[2.0, 1.0], [1.0, 0.5]])
    np.linalg.cholesky(H)  # the premise: it passes
    p = exact_step(H, np.array([2.0, 1.0]))
    np.testing.assert_allclose(p, [-0.8, -0.4], atol=1e-12)


def test_newton_with_the_hessian_matrix_converges_in_one_step_on_a_quadratic():
    A, b = spd_system(n=5, seed=1)
    fun_grad, _ = quadratic(A, b)
    res = newton_cg(fun_grad, lambda theta: ExactStep(lambda g: exact_step(A, g)),
                    np.zeros(5), tol=1e-10)
    x_star = np.linalg.solve(A, b)
    assert res.converged
    # the first step lands on the minimum (the second is the confirming solve's,
    # taken since it is paid for, and changes nothing beyond round-off)
    assert res.losses[0] == pytest.approx(-0.5 * b @ x_star, rel=1e-12)
    np.testing.assert_allclose(res.theta, x_star, rtol=1e-10)


def test_newton_with_a_non_finite_hessian_matrix_is_an_overflow_failure():
    A, b = spd_system(n=3)
    nan = np.full((3, 3), np.nan)
    res = newton_cg(quadratic(A, b)[0],
                    lambda theta: ExactStep(lambda g: exact_step(nan, g)),
                    np.zeros(3), tol=1e-8)
    assert not res.converged and res.failure == "overflow"


def test_newton_with_the_callers_exact_step_converges_in_one_step_on_a_quadratic():
    A, b = spd_system(n=4, seed=5)
    fun_grad, _ = quadratic(A, b)
    res = newton_cg(fun_grad, lambda theta: ExactStep(lambda g: -np.linalg.solve(A, g)),
                    np.zeros(4), tol=1e-10)
    x_star = np.linalg.solve(A, b)
    assert res.converged
    assert res.losses[0] == pytest.approx(-0.5 * b @ x_star, rel=1e-12)
