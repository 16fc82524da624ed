"""Gradient checking: the relative error, the verdict, and that it catches a bug."""

import numpy as np
import pytest

from sknn_scratch.core import activations, gradcheck, losses, network
from sknn_scratch.core.gradcheck import (
    GradientCheckResult,
    check_network_gradients,
    numerical_gradients,
    relative_error,
    verdict,
)
from sknn_scratch.core.network import Architecture, init_params


# -- relative_error --------------------------------------------------------------------
def test_relative_error_hand_value_orthogonal_unit_vectors():
    # ||(1,-1)|| / (1 + 1) = sqrt(2) / 2
    assert relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(2) / 2, rel=1e-15)


def test_relative_error_hand_value_against_zero_is_one():
    assert relative_error([3.0, 4.0], [0.0, 0.0]) == pytest.approx(1.0)


def test_relative_error_hand_value_scaled_vector():
    # g = (3, 4), a = 1.1 g: ||0.1 g|| / (5 + 5.5) = 0.5 / 10.5
    assert relative_error([3.0, 4.0], [3.3, 4.4]) == pytest.approx(0.5 / 10.5, rel=1e-13)


def test_relative_error_is_zero_for_identical_and_for_both_zero():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_relative_error_flattens_matrices():
    # g = [[1, 2], [3, 4]], a = (1, 2, 3, 5): ||g - a|| = 1, ||g|| = sqrt 30, ||a|| = sqrt 39
    g = np.array([[1.0, 2.0], [3.0, 4.0]])
    a = np.array([1.0, 2.0, 3.0, 5.0])
    assert relative_error(g, a) == pytest.approx(1.0 / (np.sqrt(30.0) + np.sqrt(39.0)),
                                                 rel=1e-14)


# -- verdict ---------------------------------------------------------------------------
def test_verdict_below_1e7_says_correct():
    assert verdict(1e-9) == "backprop is correct"
    assert verdict(9.9e-8) == "backprop is correct"


def test_verdict_above_1e3_says_bug():
    assert "bug" in verdict(2e-3)
    assert "bug" in verdict(0.5)


@pytest.mark.parametrize("error", [1e-7, 1e-5, 1e-3])
def test_verdict_between_thresholds_inclusive_says_look_closer(error):
    assert verdict(error).startswith("suspicious")


def test_result_passed_only_below_1e7():
    assert GradientCheckResult(5e-8, (5e-8,), 3).passed
    assert not GradientCheckResult(1e-7, (1e-7,), 3).passed


def test_result_repr_names_the_verdict_and_parameter_count():
    text = repr(GradientCheckResult(2e-2, (1e-9, 2e-2), 17))
    assert "bug" in text and "17 parameters" in text and "2.00e-02" in text


# -- numerical_gradients ---------------------------------------------------------------
def test_numerical_gradients_of_a_quadratic_and_restores_parameters():
    a = np.array([1.0, -2.0, 0.5])
    B = np.array([[2.0, 1.0], [0.0, 3.0]])
    before = (a.copy(), B.copy())
    # J = sum a^2 + sum B^3  ->  dJ/da = 2a, dJ/dB = 3 B^2
    approx = numerical_gradients(lambda: (a**2).sum() + (B**3).sum(), [a, B], 1e-5)
    np.testing.assert_allclose(approx[0], 2 * a, rtol=1e-9)
    np.testing.assert_allclose(approx[1], 3 * B**2, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(a, before[0])
    np.testing.assert_array_equal(B, before[1])


@pytest.mark.parametrize("order", ["C", "F"])
def test_numerical_gradients_perturb_arrays_of_either_memory_order(order):
    # J = sum(c * B) + sum(B^2): dJ/dB = c + 2B, whatever B's layout in memory
    B = np.array(np.arange(12.0).reshape(3, 4) / 7.0, order=order)
    c = np.array(np.linspace(-1.0, 2.0, 12).reshape(3, 4), order=order)
    before = B.copy()
    approx = numerical_gradients(lambda: (c * B).sum() + (B**2).sum(), [B], 1e-6)
    np.testing.assert_allclose(approx[0], c + 2 * B, rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(B, before)


def test_numerical_gradients_perturb_a_non_contiguous_view():
    # the first 3 of 6 columns: its rows are not adjacent, so reshape(-1) copies
    base = np.arange(24.0).reshape(4, 6) / 10.0
    B = base[:, :3]
    approx = numerical_gradients(lambda: (B**3).sum(), [B], 1e-6)
    np.testing.assert_allclose(approx[0], 3 * B**2, rtol=1e-7)


def test_numerical_gradients_refuse_a_read_only_array():
    B = np.ones((2, 2))
    B.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradients(lambda: B.sum(), [B])


# -- check_network_gradients -----------------------------------------------------------
def _problem(activation="tanh", n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((7, 4))
    arch = Architecture((4, 5, 4, losses.n_outputs(n_classes)), activation)
    coefs, intercepts = init_params(arch, "xavier", rng)
    Y = losses.one_hot(np.arange(7) % n_classes, n_classes)
    w = rng.uniform(0.5, 2.0, 7)
    return arch, coefs, intercepts, X, Y, w


def test_check_network_gradients_passes_on_correct_backprop():
    result = check_network_gradients(*_problem(), alpha=0.5)
    assert result.max_relative_error < 1e-7
    assert result.passed
    assert len(result.layer_errors) == 3
    assert all(e < 1e-7 for e in result.layer_errors)


def test_check_network_gradients_counts_every_parameter():
    result = check_network_gradients(*_problem())
    assert result.n_parameters == (4 * 5 + 5) + (5 * 4 + 4) + (4 * 3 + 3)


def test_check_network_gradients_does_not_modify_parameters():
    arch, coefs, intercepts, X, Y, w = _problem()
    before = [p.copy() for p in coefs + intercepts]
    check_network_gradients(arch, coefs, intercepts, X, Y, w)
    for p, q in zip(coefs + intercepts, before):
        np.testing.assert_array_equal(p, q)


def test_broken_derivative_is_detected(monkeypatch):
    def wrong_tanh_derivative(A, dA):
        dA *= 1.0 - A  # should be 1 - A^2
        return dA

    monkeypatch.setitem(activations.DERIVATIVES, "tanh", wrong_tanh_derivative)
    result = check_network_gradients(*_problem("tanh"))
    assert result.max_relative_error > 1e-3
    assert not result.passed
    assert "bug" in repr(result)
    # the output layer's gradient does not go through g', so it is still right
    assert result.layer_errors[-1] < 1e-7
    assert result.layer_errors[0] > 1e-3


def test_broken_output_delta_is_detected(monkeypatch):
    def wrong_delta(A, Y, sample_weight, weight_sum):
        A -= Y
        A *= 2.0 * (sample_weight / weight_sum)[:, None]  # factor 2 too big
        return A

    monkeypatch.setattr(losses, "inplace_output_delta", wrong_delta)
    result = check_network_gradients(*_problem("relu", n_classes=2))
    assert result.max_relative_error > 1e-3


def test_wide_layer_from_init_params_checks_like_a_row_ordered_copy():
    # init_params stores a wide layer (n_in >= 8 n_out) column by column; the
    # check must not depend on it (it once read uninitialised memory there)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 40))
    arch = Architecture((40, 3, 2, 1), "tanh")
    coefs, intercepts = init_params(arch, "xavier", rng)
    assert coefs[0].flags.f_contiguous and not coefs[0].flags.c_contiguous
    Y = losses.one_hot(np.arange(6) % 2, 2)
    w = np.ones(6)
    wide = check_network_gradients(arch, coefs, intercepts, X, Y, w)
    rows = check_network_gradients(arch, [np.ascontiguousarray(W) for W in coefs],
                                   intercepts, X, Y, w)
    assert wide.max_relative_error < 1e-7
    assert wide == rows


def test_verdict_of_nan_says_not_finite():
    assert "not finite" in verdict(float("nan"))
    assert not GradientCheckResult(float("nan"), (float("nan"),), 3).passed


def test_thresholds_are_the_notes_values():
    assert gradcheck.FINE == 1e-7
    assert gradcheck.BUG == 1e-3


# -- readings that are not bugs: rounding noise, stationary points, kinks ---------------
def test_relative_error_does_not_overflow_for_huge_finite_gradients():
    g = np.full(4, 1e200)
    assert relative_error(g, 1.5 * g) == pytest.approx(0.5 / 2.5, rel=1e-12)


def test_max_relative_error_is_the_worst_layer_not_the_pooled_value(monkeypatch):
    # a bug confined to the first layer (its gradient halved) must not be diluted
    # by the correct, larger gradients of the other layers
    original = network.loss_and_gradients

    def first_layer_halved(*args, **kwargs):
        loss, dW, db = original(*args, **kwargs)
        return loss, [dW[0] * 0.5] + dW[1:], db

    monkeypatch.setattr(network, "loss_and_gradients", first_layer_halved)
    result = check_network_gradients(*_problem("tanh"))
    assert result.max_relative_error == max(result.layer_errors)
    assert result.max_relative_error >= result.relative_error
    assert result.layer_errors[0] > 1e-3 and "bug" in repr(result)


def test_zero_gradient_at_a_stationary_point_is_inconclusive_not_a_bug():
    # J = sum_i w_i (log(1 + e^z) - y z) at its minimum: backprop's gradient is ~0,
    # the finite differences' rounding noise is all that is left to compare
    arch = Architecture((1, 1), "identity")
    X = np.zeros((4, 1))
    Y = np.array([[1.0], [1.0], [1.0], [0.0]])
    # z = b = log 3: p = 3/4 = mean(y), the optimum (up to b's rounding)
    coefs, intercepts = [np.zeros((1, 1))], [np.array([np.log(3.0)])]
    result = check_network_gradients(arch, coefs, intercepts, X, Y, np.ones(4))
    assert result.max_relative_error > 1e-3  # noise against noise
    assert "bug" not in repr(result) and "inconclusive" in repr(result)
    assert not result.passed


def test_rounding_noise_in_small_gradients_is_not_called_suspicious():
    # a deep sigmoid net: the first layers' gradients are small, their relative
    # errors above 1e-7, yet within the finite differences' rounding noise
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 4))
    arch = Architecture((4, 8, 8, 8, 3), "sigmoid")
    coefs, intercepts = init_params(arch, "xavier", rng)
    Y = losses.one_hot(np.arange(30) % 3, 3)
    result = check_network_gradients(arch, coefs, intercepts, X, Y, np.ones(30))
    assert all(r < 5 for r in result.noise_ratios)
    assert result.passed and "correct" in repr(result)


def test_relu_kink_straddled_by_the_difference_is_reported_not_called_a_bug():
    # an all-zero row with zero biases puts pre-activations exactly on relu's kink
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))
    X[0] = 0.0
    arch = Architecture((4, 5, 2, 1), "relu")
    coefs, intercepts = init_params(arch, "he", rng)
    Y = losses.one_hot(np.arange(6) % 2, 2)
    result = check_network_gradients(arch, coefs, intercepts, X, Y, np.ones(6))
    assert result.near_kinks >= 5
    assert result.layer_errors[0] > 1e-3  # the difference straddles the kink
    assert not result.passed
    assert "kink" in repr(result) and "bug" not in repr(result)


def test_epsilon_below_the_weights_resolution_is_refused():
    with pytest.raises(ValueError, match="epsilon=1e-20 is too small"):
        check_network_gradients(*_problem(), epsilon=1e-20)
    with pytest.raises(ValueError, match="too small"):
        numerical_gradients(lambda: 0.0, [np.array([1e10])], 1e-7)
