"""Cross-entropy from logits, the L2 term and the output delta."""

import warnings

import numpy as np
import pytest

from sknn_scratch.core import losses


def binary(z, y):
    return np.array(z, float).reshape(-1, 1), np.array(y, float).reshape(-1, 1)


# -- targets ---------------------------------------------------------------------------
def test_n_outputs_is_one_for_two_classes_and_k_otherwise():
    assert losses.n_outputs(2) == 1
    assert losses.n_outputs(3) == 3
    assert losses.n_outputs(10) == 10


def test_one_hot_binary_is_a_column_of_codes():
    Y = losses.one_hot(np.array([0, 1, 1]), 2)
    np.testing.assert_array_equal(Y, [[0.0], [1.0], [1.0]])


def test_one_hot_multiclass_puts_a_single_one_per_row():
    Y = losses.one_hot(np.array([2, 0, 1]), 3)
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


# -- per-sample losses by hand ---------------------------------------------------------
def test_binary_cross_entropy_hand_values():
    # l = -[y log s(z) + (1-y) log(1 - s(z))]
    Z, Y = binary([0.0, 2.0, -1.0, 3.0], [1, 0, 1, 1])
    expected = [
        np.log(2.0),                      # z=0: -log(1/2)
        np.log(1.0 + np.exp(2.0)),        # y=0: -log(1 - s(2)) = log(1 + e^2)
        np.log(1.0 + np.e),               # y=1, z=-1: -log(1/(1+e))
        np.log(1.0 + np.exp(-3.0)),       # y=1, z=3
    ]
    np.testing.assert_allclose(losses.sample_losses(Z, Y), expected, rtol=1e-14)


def test_softmax_cross_entropy_hand_values():
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [5.0, -1.0, 2.0]])
    Y = losses.one_hot(np.array([0, 1, 2]), 3)
    s = np.e + np.e**2 + np.e**3
    expected = [
        -np.log(np.e / s),
        np.log(3.0),
        -np.log(np.exp(2.0) / (np.exp(5.0) + np.exp(-1.0) + np.exp(2.0))),
    ]
    np.testing.assert_allclose(losses.sample_losses(Z, Y), expected, rtol=1e-14)


def test_softmax_with_two_columns_equals_sigmoid_of_logit_difference():
    z = np.array([-2.0, 0.3, 4.0])
    y = np.array([1, 0, 1])
    two = losses.sample_losses(np.column_stack([np.zeros(3), z]), losses.one_hot(y, 3)[:, :2])
    one = losses.sample_losses(*binary(z, y))
    np.testing.assert_allclose(two, one, rtol=1e-12)


# -- saturation ------------------------------------------------------------------------
def test_binary_loss_finite_and_exact_at_saturated_logits():
    Z, Y = binary([1e4, -1e4, 1e4, -1e4], [1, 0, 0, 1])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        l = losses.sample_losses(Z, Y)
    np.testing.assert_allclose(l, [0.0, 0.0, 1e4, 1e4], atol=1e-12)


def test_softmax_loss_finite_and_exact_at_saturated_logits():
    Z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    Y = losses.one_hot(np.array([0, 1]), 3)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        l = losses.sample_losses(Z, Y)
    np.testing.assert_allclose(l, [0.0, 2e4], atol=1e-12)


@pytest.mark.parametrize("Z", [np.array([[1e4], [-1e4], [0.0]]),
                               np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4],
                                         [0.0, 0.0, 0.0]])])
def test_probabilities_finite_and_rows_sum_to_one_at_saturated_logits(Z):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        P = np.exp(losses.log_proba(Z))
        A = losses.inplace_output(Z.copy())
    assert np.all(np.isfinite(P)) and np.all(np.isfinite(A))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    if Z.shape[1] > 1:
        np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=1e-15)
        np.testing.assert_allclose(A, P, atol=1e-15)
    else:
        np.testing.assert_allclose(A[:, 0], P[:, 1], atol=1e-15)


@pytest.mark.parametrize("Z", [np.array([[1e4], [-1e4]]),
                               np.array([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4]])])
def test_output_delta_finite_at_saturated_logits(Z):
    Y = np.zeros_like(Z)
    Y[0, 0] = 1.0
    w = np.ones(Z.shape[0])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        D = losses.inplace_output_delta(losses.inplace_output(Z.copy()), Y, w, w.sum())
    assert np.all(np.isfinite(D))
    assert np.all(np.abs(D) <= 1.0 / w.sum() + 1e-15)


def test_log_proba_binary_columns_are_log_one_minus_p_and_log_p():
    z = np.array([[-1.0], [0.0], [2.0]])
    p = 1.0 / (1.0 + np.exp(-z[:, 0]))
    np.testing.assert_allclose(losses.log_proba(z),
                               np.column_stack([np.log(1 - p), np.log(p)]), rtol=1e-14)


def test_log_softmax_hand_values():
    Z = np.array([[1.0, 2.0, 3.0]])
    s = np.log(np.e + np.e**2 + np.e**3)
    np.testing.assert_allclose(losses.log_softmax(Z), [[1 - s, 2 - s, 3 - s]], rtol=1e-14)


# -- weighted mean ---------------------------------------------------------------------
def test_weighted_loss_is_sum_w_l_over_sum_w():
    Z, Y = binary([0.0, 2.0, -1.0], [1, 0, 1])
    w = np.array([0.5, 2.0, 1.5])
    l = np.array([np.log(2.0), np.log(1 + np.exp(2.0)), np.log(1 + np.e)])
    expected = (0.5 * l[0] + 2.0 * l[1] + 1.5 * l[2]) / 4.0
    assert losses.weighted_loss(Z, Y, w) == pytest.approx(expected, rel=1e-14)


def test_weighted_loss_weight_sum_overrides_sum_of_weights():
    Z, Y = binary([0.0, 0.0], [1, 0])
    w = np.ones(2)
    assert losses.weighted_loss(Z, Y, w, weight_sum=4.0) == pytest.approx(
        2 * np.log(2.0) / 4.0, rel=1e-14)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_integer_weights_equal_row_repetition(n_classes):
    rng = np.random.default_rng(3)
    m = 6
    K = losses.n_outputs(n_classes)
    Z = rng.standard_normal((m, K))
    codes = np.arange(m) % n_classes
    Y = losses.one_hot(codes, n_classes)
    w = np.array([1, 3, 0, 2, 1, 4])
    repeated = losses.weighted_loss(np.repeat(Z, w, axis=0), np.repeat(Y, w, axis=0),
                                    np.ones(w.sum()))
    assert losses.weighted_loss(Z, Y, w.astype(float)) == pytest.approx(repeated, rel=1e-13)


# -- L2 term ---------------------------------------------------------------------------
def test_l2_penalty_is_half_alpha_sum_of_squares_over_weight_sum():
    W1 = np.array([[1.0, -2.0], [0.5, 0.0]])   # sum of squares 5.25
    W2 = np.array([[3.0], [-1.0]])             # sum of squares 10
    got = losses.l2_penalty([W1, W2], alpha=0.3, weight_sum=4.0)
    assert got == pytest.approx(0.5 * 0.3 * (5.25 + 10.0) / 4.0, rel=1e-15)


def test_l2_penalty_is_zero_when_alpha_is_zero():
    assert losses.l2_penalty([np.ones((3, 3))], alpha=0.0, weight_sum=1.0) == 0.0


# -- output delta ----------------------------------------------------------------------
def _numerical_dloss_dz(Z, Y, w, h=1e-6):
    G = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[idx] += h
        Zm[idx] -= h
        G[idx] = (losses.weighted_loss(Zp, Y, w) - losses.weighted_loss(Zm, Y, w)) / (2 * h)
    return G


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_output_delta_equals_finite_difference_derivative_of_loss(n_classes, weighted):
    rng = np.random.default_rng(11)
    m = 5
    Z = rng.standard_normal((m, losses.n_outputs(n_classes)))
    Y = losses.one_hot(np.arange(m) % n_classes, n_classes)
    w = rng.uniform(0.2, 3.0, m) if weighted else np.ones(m)
    delta = losses.inplace_output_delta(losses.inplace_output(Z.copy()), Y, w, w.sum())
    np.testing.assert_allclose(delta, _numerical_dloss_dz(Z, Y, w), rtol=1e-7, atol=1e-10)


def test_output_delta_hand_value_binary():
    # a = sigma(0) = 1/2, y = 1, w = 2, sum w = 4  ->  (1/2 - 1) * 2 / 4 = -1/4
    A = np.array([[0.5], [0.5]])
    Y = np.array([[1.0], [0.0]])
    w = np.array([2.0, 2.0])
    np.testing.assert_allclose(losses.inplace_output_delta(A, Y, w, 4.0), [[-0.25], [0.25]])


def test_l2_penalty_takes_a_precomputed_squared_norm():
    assert losses.l2_penalty(None, alpha=0.3, weight_sum=4.0, squared_norm=15.25) == (
        pytest.approx(0.5 * 0.3 * 15.25 / 4.0, rel=1e-15))


# -- the fused loss and delta of the training step ---------------------------------------
def _separately(Z, Y, w):
    """Loss and delta through the separate functions (log_softmax, then softmax)."""
    loss = losses.weighted_loss(Z, Y, w)
    return loss, losses.inplace_output_delta(losses.inplace_output(Z.copy()), Y, w,
                                             w.sum())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])  # 1e4: the row-maximum fallback
def test_inplace_loss_and_delta_equals_the_separate_functions(dtype, n_classes, scale):
    rng = np.random.default_rng(3)
    n_out = losses.n_outputs(n_classes)
    Z = (scale * rng.standard_normal((40, n_out))).astype(dtype)
    Y = losses.one_hot(rng.integers(0, n_classes, 40), n_classes, dtype)
    w = rng.uniform(0.5, 2.0, 40).astype(dtype)
    expected_loss, expected_delta = _separately(Z.astype(np.float64), Y.astype(
        np.float64), w.astype(np.float64))
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        loss, delta = losses.inplace_loss_and_delta(Z.copy(), Y, w, float(w.sum()))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert loss == pytest.approx(expected_loss, rel=tol)
    assert delta.dtype == dtype
    np.testing.assert_allclose(delta, expected_delta, rtol=tol, atol=tol / 40)


def test_inplace_loss_and_delta_keeps_small_losses_exact_for_confident_rows():
    # z_y = 50 far above the rest: l = log(1 + sum e^(z_k - 50)) ~ 3 e^-40
    Z = np.array([[50.0, 10.0, 10.0], [10.0, 50.0, 10.0]])
    Y = losses.one_hot(np.array([0, 1]), 3)
    w = np.ones(2)
    loss, _ = losses.inplace_loss_and_delta(Z.copy(), Y, w, 2.0)
    assert loss == pytest.approx(np.log1p(2 * np.exp(-40.0)), rel=1e-12)
