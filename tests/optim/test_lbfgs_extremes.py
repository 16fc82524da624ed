"""L-BFGS where numbers get extreme: a closed bracket, slopes whose squares overflow,
and the refreshed diagonal ``M`` (the rest of ``optim/lbfgs.py`` is tested in
test_lbfgs.py)."""

import numpy as np
import pytest

from sknn_scratch.optim.lbfgs import _cubic_minimiser, _norm, lbfgs, wolfe_search


# --: a closed bracket, and slopes whose squares overflow --------------------------
def test_the_cubic_of_two_coincident_points_has_no_minimiser():
    assert _cubic_minimiser(0.5, 1.0, -1.0, 0.5, 1.0, -1.0) is None


def test_the_cubic_minimiser_survives_slopes_of_1e197():
    # f(t) = c (t - 1/4)^2 with c = 1e197: the cubic through t = 0 and t = 1 is this
    # quadratic, minimised at 1/4 (unscaled, d1^2 overflows to inf)
    c = 1e197
    t = _cubic_minimiser(0.0, c / 16, -c / 2, 1.0, 9 * c / 16, 3 * c / 2)
    assert t == pytest.approx(0.25, rel=1e-12)


def test_the_first_step_length_survives_a_direction_of_1e200():
    # ||p|| of entries 1e200 overflows its squares; the step 1 / ||p|| must not be 0
    assert _norm(np.array([3e200, 4e200])) == pytest.approx(5e200, rel=1e-15)
    assert _norm(np.zeros(3)) == 0.0


@pytest.mark.parametrize("c", [1.0, 1e197])
def test_the_line_search_takes_the_same_step_on_a_scaled_objective(c):
    # phi(t) = c (t - 0.3)^2: step 1 overshoots (f = 0.49 c > f0 = 0.09 c) and the
    # cubic through t = 0 and t = 1 is this quadratic, so the zoom's first trial is
    # its minimiser 0.3 whatever c. Unscaled, slopes of 1e197 overflowed the cubic
    # into bisection, whose 0.5 also passes strong Wolfe (failed before 1dd3a86)
    trials = []

    def phi(t):
        trials.append(t)
        return c * (t - 0.3) ** 2, 2 * c * (t - 0.3), None

    t, f, _ = wolfe_search(phi, 0.09 * c, -0.6 * c, 1.0)
    assert trials[0] == 1.0 and len(trials) == 2
    assert t == pytest.approx(0.3, rel=1e-12)


def test_the_first_step_survives_a_direction_whose_squares_overflow():
    # f(x) = ||x - t||^2 / 2, t = (3, 0, 4), M = (1, 1, 1e200) (median 1, so H_0 = M):
    # g(0) = (-3, 0, -4), p = -M g = (3, 0, 4e200), whose squares overflow. The first
    # step 1/||p|| = 2.5e-201 reaches x = (7.5e-201, 0, 1): f from 12.5 to 9, |g.p|
    # from 1.6e201 to 1.2e201 (strong Wolfe). A step of 1/inf = 0 found no decrease
    # and the run failed at theta0 (before 1dd3a86)
    target = np.array([3.0, 0.0, 4.0])

    def fun_grad(x):
        return 0.5 * float((x - target) @ (x - target)), x - target

    res = lbfgs(fun_grad, np.zeros(3), tol=1e-12, max_iter=1,
                inverse_diagonal=np.array([1.0, 1.0, 1e200]))
    assert res.failure is None and res.n_iter == 1
    assert res.losses[-1] == pytest.approx(9.0, rel=1e-12)
    np.testing.assert_allclose(res.theta, [7.5e-201, 0.0, 1.0], rtol=1e-12)


def test_refresh_is_asked_before_the_first_step_and_every_ten_after():
    A = np.diag([1.0, 10.0, 100.0, 1000.0])
    calls = []

    def refresh():
        calls.append(1)
        return 1.0 / np.diag(A)

    fun_grad = lambda x: (0.5 * float(x @ A @ x) - float(x.sum()), A @ x - 1.0)  # noqa: E731
    res = lbfgs(fun_grad, np.zeros(4), tol=1e-300, max_iter=25, refresh=refresh)
    assert res.n_iter == 25 or res.converged
    assert len(calls) == -(-min(res.n_iter, 25) // 10)  # iterations 0, 10, 20
    # a refresh that returns the same diagonal is the fixed diagonal, byte for byte
    fixed = lbfgs(fun_grad, np.zeros(4), tol=1e-300, max_iter=25,
                  inverse_diagonal=1.0 / np.diag(A))
    np.testing.assert_array_equal(res.theta, fixed.theta)
