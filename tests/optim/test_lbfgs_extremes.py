"""L-BFGS where numbers get extreme: a closed bracket, slopes whose squares overflow,
and the refreshed diagonal ``M`` (the rest of ``optim/lbfgs.py`` is tested in
test_lbfgs.py)."""

import numpy as np
import pytest

from sknn_scratch.optim.lbfgs import _cubic_minimiser, _norm, lbfgs


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
