"""One full-batch step of the estimators against hand-derived numbers."""

import numpy as np
import pytest

from sknn_scratch import ScratchLogisticRegression

# Tiny binary problem, m = 4 rows, 2 features.
X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0], [-2.0, 0.5]])
y = np.array([1, 0, 1, 1])

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter=1 is on purpose


def one_step(solver, **kwargs):
    params = dict(solver=solver, batch_size=None, max_iter=1, learning_rate=0.1,
                  init="zeros", C=np.inf)
    params.update(kwargs)
    return ScratchLogisticRegression(**params)


def test_one_gd_step_from_zeros_is_lr_times_xt_y_minus_half_over_m():
    # At W = 0, sigma = 1/2, so grad_W = X^T (1/2 - y) / m and coef = lr X^T (y - 1/2) / m.
    # y - 1/2 = (.5, -.5, .5, .5)
    # X^T (y - 1/2) = (.5*1 - .5*0 + .5*3 + .5*(-2), .5*2 - .5*(-1) + .5*1 + .5*.5)
    #               = (1.0, 2.25);   / 4 = (0.25, 0.5625);   * 0.1 = (0.025, 0.05625)
    # intercept = lr * mean(y - 1/2) = 0.1 * 1.0 / 4 = 0.025
    clf = one_step("gd").fit(X, y)
    np.testing.assert_allclose(clf.coef_, [[0.025, 0.05625]], rtol=1e-14)
    np.testing.assert_allclose(clf.intercept_, [0.025], rtol=1e-14)
    assert clf.n_iter_ == 1


def test_one_gd_step_records_the_loss_at_zero_weights_log_2():
    clf = one_step("gd").fit(X, y)
    assert clf.loss_curve_ == pytest.approx([np.log(2.0)], rel=1e-14)


def test_one_gd_step_with_sample_weights_uses_weighted_mean():
    # w = (2, 1, 1, 0): w (y - 1/2) = (1, -.5, .5, 0);  sum w = 4
    # X^T w (y - 1/2) = (1*1 + 0 + 3*.5 + 0, 2*1 + (-1)(-.5) + 1*.5 + 0) = (2.5, 3.0)
    # coef = 0.1 * (2.5, 3.0) / 4 = (0.0625, 0.075);  intercept = 0.1 * 1.0 / 4 = 0.025
    clf = one_step("gd").fit(X, y, sample_weight=np.array([2.0, 1.0, 1.0, 0.0]))
    np.testing.assert_allclose(clf.coef_, [[0.0625, 0.075]], rtol=1e-14)
    np.testing.assert_allclose(clf.intercept_, [0.025], rtol=1e-14)


def test_one_gd_step_multiclass_from_zeros_is_lr_times_y_minus_one_over_k():
    # K = 3, softmax(0) = 1/3: coef_k = lr sum_i (Y_ik - 1/3) x_i / m
    y3 = np.array([0, 1, 2, 2])
    clf = one_step("gd").fit(X, y3)
    # sum_i (Y_ik - 1/3) x_i = (sum of the rows of class k) - (sum of all rows) / 3
    s = X.sum(axis=0)  # (1+0+3-2, 2-1+1+.5) = (2.0, 2.5)
    expected = 0.1 / 4 * np.array([
        X[0] - s / 3,
        X[1] - s / 3,
        X[2] + X[3] - s / 3,
    ])
    np.testing.assert_allclose(clf.coef_, expected, rtol=1e-13)
    # intercepts: lr * (count_k - m/3) / m = 0.1 * (1 - 4/3, 1 - 4/3, 2 - 4/3) / 4
    np.testing.assert_allclose(clf.intercept_, 0.1 / 4 * np.array([-1 / 3, -1 / 3, 2 / 3]),
                               rtol=1e-13)


def test_one_adam_step_from_zeros_moves_each_parameter_by_lr_against_gradient_sign():
    # First Adam step: m_hat = g, v_hat = g^2, step = -lr g / (|g| + eps) ~ -lr sign(g).
    # g_W = X^T (1/2 - y) / m = -(0.25, 0.5625), g_b = -0.25  -> every step is +lr.
    clf = one_step("adam", epsilon=1e-8).fit(X, y)
    g_W = -np.array([0.25, 0.5625])
    g_b = -0.25
    np.testing.assert_allclose(clf.coef_[0], -0.1 * g_W / (np.abs(g_W) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(clf.intercept_[0], -0.1 * g_b / (abs(g_b) + 1e-8),
                               rtol=1e-12)
    np.testing.assert_allclose(clf.coef_, [[0.1, 0.1]], rtol=1e-6)
    np.testing.assert_allclose(clf.intercept_, [0.1], rtol=1e-6)


def test_one_adam_step_size_does_not_depend_on_gradient_scale():
    # Scaling X by 1000 scales g_W by 1000; the first Adam step is still lr sign(g).
    clf = one_step("adam").fit(1000.0 * X, y)
    np.testing.assert_allclose(clf.coef_, [[0.1, 0.1]], rtol=1e-6)
