"""L-BFGS against the dense BFGS inverse update, linear solves and hand-built cases:
the two-loop recursion, the strong Wolfe line search, failures, the loop's
contract and the diagonal H0 (scikit-learn's objective: test_lbfgs_logistic.py)."""

import dataclasses

import numpy as np
import pytest

from sknn_scratch.optim.lbfgs import MEMORY, LbfgsResult, Memory, lbfgs, wolfe_search
from sknn_scratch.optim.newton import NewtonResult

#: The strong Wolfe constants (Nocedal & Wright's usual c1, c2 for quasi-Newton)
SUFFICIENT, CURVATURE = 1e-4, 0.9


def spd_matrix(n, seed, spread=None):
    """A random symmetric positive definite matrix; eigenvalues ``spread`` if given."""
    rng = np.random.default_rng(seed)
    if spread is None:
        M = rng.standard_normal((n, n))
        return M @ M.T + n * np.eye(n)
    vectors, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (vectors * spread) @ vectors.T


def quadratic(A, b):
    """f(x) = 1/2 x^T A x - b^T x and its gradient (a new array per call)."""
    def fun_grad(x):
        return float(0.5 * x @ A @ x - b @ x), A @ x - b

    return fun_grad


class Recorder:
    """``fun_grad`` wrapped: every point evaluated, with its ``(f, g)``."""

    def __init__(self, fun_grad):
        self.fun_grad, self.points = fun_grad, []

    def __call__(self, theta):
        f, g = self.fun_grad(theta)
        self.points.append((theta.copy(), f, np.array(g, copy=True)))
        return f, g

    def at(self, theta):
        """``(f, g)`` recorded at exactly ``theta`` (the last evaluation there)."""
        for point, f, g in reversed(self.points):
            if np.array_equal(point, theta):
                return f, g
        raise AssertionError("point never evaluated")


# -- the two-loop recursion is the dense BFGS inverse update (N&W eq. 6.17) -------------
def dense_bfgs_inverse(pairs, H0):
    """H_k from H0 by H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, oldest first."""
    H, eye = H0.copy(), np.eye(H0.shape[0])
    for s, y in pairs:
        rho = 1.0 / (s @ y)
        H = (eye - rho * np.outer(s, y)) @ H @ (eye - rho * np.outer(y, s)) \
            + rho * np.outer(s, s)
    return H


def curvature_pairs(n, count, seed):
    """Pairs (s, y = A s) of an SPD A (a different A per pair: only s.y > 0 matters)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for k in range(count):
        s = rng.standard_normal(n)
        pairs.append((s, spd_matrix(n, seed + 100 + k) @ s))
    return pairs


@pytest.mark.parametrize("memory, count", [(10, 4), (3, 7), (1, 5), (5, 5)])
@pytest.mark.parametrize("diagonal", [False, True])
def test_two_loop_direction_is_the_dense_bfgs_update(memory, count, diagonal):
    n, rng = 6, np.random.default_rng(memory * 10 + count)
    pairs = curvature_pairs(n, count, seed=count)
    d = rng.uniform(0.01, 100.0, n) if diagonal else None
    store = Memory(memory, d)
    for s, y in pairs:
        store.add(s, y)
    # H0 = gamma M: M the diagonal over its median, gamma = s.y / y.M y of the newest
    M = np.ones(n) if d is None else d / np.median(d)
    s, y = pairs[-1]
    H0 = (s @ y) / (y @ (M * y)) * np.diag(M)
    H = dense_bfgs_inverse(pairs[-memory:], H0)  # the oldest pairs dropped
    g = rng.standard_normal(n)
    np.testing.assert_allclose(store.direction(g), -H @ g, rtol=1e-9, atol=1e-12)


def test_two_loop_direction_skips_a_pair_of_negative_curvature():
    # s.y < 0 would make H indefinite: the update is taken over the other pairs only
    n = 5
    pairs = curvature_pairs(n, 3, seed=1)
    store = Memory(MEMORY, None)
    for s, y in pairs[:2]:
        store.add(s, y)
    s_bad = np.ones(n)
    store.add(s_bad, -s_bad)
    store.add(*pairs[2])
    s, y = pairs[2]
    H = dense_bfgs_inverse(pairs, (s @ y) / (y @ y) * np.eye(n))
    g = np.arange(1.0, n + 1)
    np.testing.assert_allclose(store.direction(g), -H @ g, rtol=1e-9)


def test_direction_does_not_modify_the_gradient():
    store = Memory(MEMORY, None)
    for s, y in curvature_pairs(4, 3, seed=2):
        store.add(s, y)
    g = np.array([1.0, -2.0, 3.0, 0.5])
    store.direction(g)
    np.testing.assert_array_equal(g, [1.0, -2.0, 3.0, 0.5])


def test_result_has_every_field_of_newtons_result():
    newton = {f.name for f in dataclasses.fields(NewtonResult)}
    assert newton <= {f.name for f in dataclasses.fields(LbfgsResult)}


# -- the strong Wolfe line search on one-dimensional functions ---------------------------
def strong_wolfe(f0, slope0, f, slope, t):
    return f <= f0 + SUFFICIENT * t * slope0 and abs(slope) <= -CURVATURE * slope0


@pytest.mark.parametrize("step", [1e-3, 1.0, 50.0])
@pytest.mark.parametrize("name, phi", [
    # a quadratic with its minimum at 3, a quartic with a long flat bottom, and
    # 1 - t e^(-t) (minimum at 1), whose slope is 0 only there
    ("quadratic", lambda t: ((t - 3.0) ** 2, 2.0 * (t - 3.0))),
    ("quartic", lambda t: ((t - 2.0) ** 4 - 8.0 * t, 4.0 * (t - 2.0) ** 3 - 8.0)),
    ("exp", lambda t: (1.0 - t * np.exp(-t), (t - 1.0) * np.exp(-t))),
])
def test_wolfe_search_returns_a_strong_wolfe_step(name, phi, step):
    f0, slope0 = phi(0.0)
    assert slope0 < 0

    def with_payload(t):
        f, d = phi(t)
        return f, d, ("payload", t)

    t, f, payload = wolfe_search(with_payload, f0, slope0, step)
    assert payload == ("payload", t)
    assert f == phi(t)[0]
    assert strong_wolfe(f0, slope0, *phi(t), t)


def test_wolfe_search_shortens_a_step_that_overflows():
    # f = t^2 - 2t for t < 0.5, inf beyond: the unit step and its shortenings
    # overflow until the step is below 0.5; the result is inside the finite region
    def phi(t):
        if t >= 0.5:
            return np.inf, np.nan, None
        return t * t - 2 * t, 2 * t - 2, None

    t, f, _ = wolfe_search(phi, 0.0, -2.0, 1.0)
    assert 0 < t < 0.5 and f == t * t - 2 * t
    assert f <= SUFFICIENT * t * -2.0


def test_wolfe_search_on_an_increasing_function_finds_nothing():
    # the slope claimed at 0 is negative but f only rises: no step decreases it
    assert wolfe_search(lambda t: (t, 1.0, None), 0.0, -1.0, 1.0) is None


def kinked(t):
    """-t up to t = 1, then rising with slope 10: |slope| is 1 or 10, never below 0.9,
    so no step length satisfies the strong Wolfe conditions; t = 1 is the minimum."""
    return (-t, -1.0) if t <= 1 else (-1.0 + 10.0 * (t - 1.0), 10.0)


def test_wolfe_search_falls_back_to_the_bracketing_step_of_sufficient_decrease():
    # t = 1 (tried first: sufficient decrease, still steep) then t = 4 (overshoot):
    # the zoom between them finds nothing lower, and the documented fallback (the
    # best sufficient decrease seen) is t = 1, found while bracketing
    found = wolfe_search(lambda t: (*kinked(t), ("payload", t)), 0.0, -1.0, 1.0)
    assert found == (1.0, -1.0, ("payload", 1.0))


def test_lbfgs_keeps_the_decrease_its_line_search_found_before_failing():
    res = lbfgs(lambda x: (kinked(x[0])[0], np.array([kinked(x[0])[1]])), np.zeros(1))
    np.testing.assert_array_equal(res.theta, [1.0])  # the minimum, reached in 1 step
    assert res.losses == [-1.0] and res.n_iter == 1
    assert not res.converged and res.failure == "line search"  # (no strong Wolfe step)


# -- quadratics with a known minimiser ----------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lbfgs_reaches_the_minimiser_of_a_quadratic(seed):
    A = spd_matrix(20, seed, spread=np.logspace(0, 3, 20))
    b = np.random.default_rng(seed).standard_normal(20)
    res = lbfgs(quadratic(A, b), np.zeros(20), tol=1e-10, max_iter=1000)
    x_star = np.linalg.solve(A, b)
    assert res.converged and res.failure is None
    # f* = -1/2 b.x* to round-off; x only to ~sqrt(eps): below that f no longer
    # sees the error 1/2 e^T A e, and the relative-decrease rule (64 eps) stops it
    # first, as it stops scipy's L-BFGS-B (both at ~1e-7 here)
    assert res.losses[-1] == pytest.approx(-0.5 * b @ x_star, rel=1e-13)
    np.testing.assert_allclose(res.theta, x_star, atol=1e-6)
    assert np.linalg.norm(res.theta - x_star) < 1e-3 * np.linalg.norm(x_star)


@pytest.mark.parametrize("seed", [0, 1])
def test_lbfgs_stops_with_the_largest_gradient_entry_below_tol(seed):
    A = spd_matrix(15, seed, spread=np.logspace(0, 2, 15))
    b = 10 * np.random.default_rng(seed).standard_normal(15)
    res = lbfgs(quadratic(A, b), np.zeros(15), tol=1e-4, max_iter=1000)
    assert res.converged
    assert np.max(np.abs(A @ res.theta - b)) == res.grad_max <= 1e-4


def test_lbfgs_in_one_dimension_with_the_exact_curvature_needs_two_steps():
    # f = 2 (x - 5)^2 from 0: the first step is 1 / |g| = 1/20 along -g (x = 1); the
    # pair (s, y = 4 s) gives gamma = 1/4, the exact inverse curvature: x = 5 next
    res = lbfgs(quadratic(np.array([[4.0]]), np.array([20.0])), np.zeros(1), tol=1e-12)
    assert res.converged and res.n_iter == 2
    np.testing.assert_allclose(res.theta, [5.0], rtol=1e-15)


def test_losses_never_increase_and_evaluations_are_counted():
    A = spd_matrix(12, 3, spread=np.logspace(0, 3, 12))
    b = np.ones(12)
    record = Recorder(quadratic(A, b))
    res = lbfgs(record, np.zeros(12), tol=1e-8, max_iter=500)
    assert res.converged
    assert np.all(np.diff([res.start_loss] + res.losses) < 0)
    assert res.evaluations == len(record.points)
    assert res.start_loss == record.points[0][1]
    assert len(res.losses) == res.n_iter


# -- failures and the loop's contract ----------------------------------------------------
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_a_non_finite_objective_is_an_overflow_failure(value):
    res = lbfgs(lambda x: (value, np.ones_like(x)), np.zeros(3))
    assert not res.converged and res.failure == "overflow"
    np.testing.assert_array_equal(res.theta, 0.0)


def test_a_non_finite_gradient_is_an_overflow_failure():
    res = lbfgs(lambda x: (float(x @ x), np.full_like(x, np.nan)), np.ones(3))
    assert not res.converged and res.failure == "overflow"


def test_an_objective_that_overflows_at_every_trial_is_an_overflow_failure():
    # finite at theta0 only (feature values so large that any step overflows exp):
    # no trial is a number, which is an overflow, not an ill-conditioned search
    def fun_grad(x):
        if np.any(x != 1.0):
            return np.inf, np.full_like(x, np.nan)
        return 3.0, np.full_like(x, 2.0)

    res = lbfgs(fun_grad, np.ones(3))
    assert not res.converged and res.failure == "overflow"
    np.testing.assert_array_equal(res.theta, 1.0)


def test_an_objective_that_overflows_away_from_the_optimum_is_still_minimised():
    # f = ||x - 1||^2 inside the ball ||x|| < 3, inf outside: the line search
    # shortens the trials that leave the ball
    def fun_grad(x):
        if x @ x >= 9.0:
            return np.inf, np.full_like(x, np.inf)
        return float((x - 1) @ (x - 1)), 2 * (x - 1)

    res = lbfgs(fun_grad, np.array([0.0, 0.0, -2.5]), tol=1e-10)
    assert res.converged and res.failure is None
    np.testing.assert_allclose(res.theta, 1.0, atol=1e-10)


def test_a_gradient_of_the_wrong_sign_is_a_line_search_failure():
    # every "descent" direction goes uphill: nothing is accepted
    record = Recorder(lambda x: (float(x @ x), -2.0 * x))
    res = lbfgs(record, np.ones(3), tol=1e-8)
    assert not res.converged and res.failure == "line search"
    np.testing.assert_array_equal(res.theta, 1.0)
    assert res.n_iter == 1 and res.losses == [3.0]
    assert all(f >= 3.0 for _, f, _ in record.points)


def test_a_gradient_that_does_not_belong_to_the_objective_is_a_line_search_failure():
    # f constant, g not zero: no step gives the decrease the gradient promises
    res = lbfgs(lambda x: (1.0, np.ones_like(x)), np.zeros(4), tol=1e-8)
    assert not res.converged and res.failure == "line search"
    np.testing.assert_array_equal(res.theta, 0.0)


def test_max_iter_is_respected():
    A = spd_matrix(30, 5, spread=np.logspace(0, 4, 30))
    res = lbfgs(quadratic(A, np.ones(30)), np.zeros(30), tol=1e-12, max_iter=7)
    assert res.n_iter == 7 and len(res.losses) == 7
    assert not res.converged and res.failure is None
    assert res.grad_max > 1e-12


def test_on_iteration_returning_true_stops():
    A = spd_matrix(6, 0)
    seen = []
    res = lbfgs(quadratic(A, np.ones(6)), np.zeros(6), tol=0.0,
                on_iteration=lambda it, f, theta: seen.append((it, f, theta.copy())) or True)
    assert res.n_iter == 1 and len(seen) == 1 and not res.converged
    assert seen[0][0] == 1 and seen[0][1] == res.losses[0]
    np.testing.assert_array_equal(seen[0][2], res.theta)


def test_on_iteration_sees_every_iteration_in_order():
    A = spd_matrix(6, 1)
    seen = []
    res = lbfgs(quadratic(A, np.ones(6)), np.zeros(6), tol=1e-8,
                on_iteration=lambda it, f, theta: seen.append((it, f)))
    assert [it for it, _ in seen] == list(range(1, res.n_iter + 1))
    assert [f for _, f in seen] == res.losses


@pytest.mark.parametrize("memory", [0, -1, 2.5])
def test_a_memory_that_is_not_a_positive_integer_is_an_error(memory):
    # 0 crashed on an empty list; -1 kept every pair (unlimited memory)
    with pytest.raises(ValueError, match=rf"memory must be a positive integer, "
                                         rf"got {memory}\."):
        lbfgs(quadratic(np.eye(2), np.ones(2)), np.zeros(2), memory=memory)


def test_lbfgs_does_not_modify_theta0():
    A = spd_matrix(6, 0)
    theta0 = np.ones(6)
    res = lbfgs(quadratic(A, np.zeros(6)), theta0, tol=1e-8)
    np.testing.assert_array_equal(theta0, 1.0)
    assert res.theta is not theta0


def test_lbfgs_at_the_optimum_takes_no_step():
    A, b = spd_matrix(6, 0), np.ones(6)
    x_star = np.linalg.solve(A, b)
    fun_grad = quadratic(A, b)
    record = Recorder(lambda x: (fun_grad(x)[0], np.zeros_like(x)))
    res = lbfgs(record, x_star, tol=1e-4)
    assert res.converged and res.failure is None and res.grad_max == 0.0
    assert len(record.points) == 1 == res.evaluations  # theta0's evaluation only
    assert res.losses == [fun_grad(x_star)[0]]
    np.testing.assert_array_equal(res.theta, x_star)


def test_lbfgs_with_tol_already_met_at_theta0_takes_no_step():
    # max |g| = 1e-5 at theta0, tol = 1e-4
    b = np.full(4, 1e-5)
    record = Recorder(quadratic(np.eye(4), b))
    res = lbfgs(record, np.zeros(4), tol=1e-4)
    assert res.converged and res.n_iter == 1 and len(record.points) == 1
    np.testing.assert_array_equal(res.theta, 0.0)


# -- the diagonal H0 -----------------------------------------------------------------------
def badly_scaled_quadratic(n=40, seed=0):
    """A = D^1/2 C D^1/2: C well conditioned, D's diagonal spanning 1 .. 1e4."""
    C = spd_matrix(n, seed, spread=np.linspace(1.0, 4.0, n))
    C /= np.sqrt(np.outer(np.diag(C), np.diag(C)))
    scales = np.sqrt(np.logspace(0, 4, n))[np.random.default_rng(seed).permutation(n)]
    return C * np.outer(scales, scales), np.random.default_rng(seed + 1).standard_normal(n)


def test_the_diagonal_reaches_the_same_minimiser_in_fewer_iterations():
    A, b = badly_scaled_quadratic()
    fun_grad, x_star = quadratic(A, b), np.linalg.solve(A, b)
    plain = lbfgs(fun_grad, np.zeros(40), tol=1e-8, max_iter=2000)
    jacobi = lbfgs(fun_grad, np.zeros(40), tol=1e-8, max_iter=2000,
                   inverse_diagonal=1.0 / np.diag(A))
    assert plain.converged and jacobi.converged
    f_star = -0.5 * b @ x_star
    # x to ~sqrt(eps), as in the quadratic test above; without M, 676 slow steps
    # end on the relative-decrease rule 1e-12 above f* (scipy's: 690, 1.2e-12)
    for res in (plain, jacobi):
        assert res.losses[-1] == pytest.approx(f_star, rel=1e-11)
        np.testing.assert_allclose(res.theta, x_star, atol=1e-5)
    assert jacobi.n_iter < plain.n_iter / 10  # 16 against 676


def test_a_uniform_diagonal_is_the_identity():
    # only M's shape matters: a constant M gives H0 = gamma I exactly
    A, b = badly_scaled_quadratic(n=10, seed=2)
    plain = lbfgs(quadratic(A, b), np.zeros(10), tol=1e-6, max_iter=300)
    uniform = lbfgs(quadratic(A, b), np.zeros(10), tol=1e-6, max_iter=300,
                    inverse_diagonal=np.full(10, 7.0))
    assert uniform.n_iter == plain.n_iter
    np.testing.assert_array_equal(uniform.theta, plain.theta)


def test_the_diagonals_scale_does_not_matter():
    A, b = badly_scaled_quadratic(n=10, seed=3)
    d = 1.0 / np.diag(A)
    one = lbfgs(quadratic(A, b), np.zeros(10), tol=1e-6, inverse_diagonal=d)
    other = lbfgs(quadratic(A, b), np.zeros(10), tol=1e-6, inverse_diagonal=1e6 * d)
    assert one.n_iter == other.n_iter
    np.testing.assert_allclose(one.theta, other.theta, rtol=1e-9)

