"""Exponentially weighted averages, by hand."""

import numpy as np
import pytest

from sknn_scratch.optim.averages import bias_correction, ewa, ewa_update


def test_ewa_without_bias_correction_hand_values():
    # beta = 0.5: v1 = 0.5*1 = 0.5; v2 = 0.25 + 0.5*2 = 1.25; v3 = 0.625 + 0.5*3 = 2.125
    np.testing.assert_allclose(ewa([1.0, 2.0, 3.0], beta=0.5, bias_correction=False),
                               [0.5, 1.25, 2.125], rtol=1e-15)


def test_ewa_with_bias_correction_hand_values():
    # divide by 1 - 0.5^t: 0.5/0.5 = 1; 1.25/0.75 = 5/3; 2.125/0.875 = 17/7
    np.testing.assert_allclose(ewa([1.0, 2.0, 3.0], beta=0.5),
                               [1.0, 5.0 / 3.0, 17.0 / 7.0], rtol=1e-15)


def test_ewa_beta_09_hand_values():
    # v1 = 0.1*10 = 1; v2 = 0.9 + 0.1*20 = 2.9; corrected: 1/0.1 = 10, 2.9/0.19
    np.testing.assert_allclose(ewa([10.0, 20.0], beta=0.9, bias_correction=False),
                               [1.0, 2.9], rtol=1e-14)
    np.testing.assert_allclose(ewa([10.0, 20.0], beta=0.9), [10.0, 2.9 / 0.19], rtol=1e-14)


def test_bias_corrected_ewa_of_a_constant_is_the_constant():
    np.testing.assert_allclose(ewa(np.full(50, 3.0), beta=0.98), 3.0, rtol=1e-13)


def test_ewa_beta_zero_is_the_series_itself():
    np.testing.assert_array_equal(ewa([4.0, -1.0, 2.0], beta=0.0), [4.0, -1.0, 2.0])


def test_ewa_does_not_modify_input():
    values = np.array([1.0, 2.0, 3.0])
    ewa(values, beta=0.5)
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5])
def test_ewa_rejects_beta_outside_zero_one(beta):
    with pytest.raises(ValueError, match="beta"):
        ewa([1.0, 2.0], beta=beta)


def test_ewa_rejects_two_dimensional_values():
    with pytest.raises(ValueError, match="1-D"):
        ewa(np.ones((2, 2)))


def test_ewa_update_is_in_place_hand_value():
    avg = np.array([2.0, -4.0])
    out = ewa_update(avg, np.array([1.0, 1.0]), 0.75)
    assert out is avg
    # 0.75*2 + 0.25*1 = 1.75; 0.75*(-4) + 0.25 = -2.75
    np.testing.assert_allclose(avg, [1.75, -2.75], rtol=1e-15)


def test_bias_correction_factor_hand_values():
    assert bias_correction(0.9, 1) == pytest.approx(10.0, rel=1e-14)
    assert bias_correction(0.9, 2) == pytest.approx(1 / 0.19, rel=1e-14)
    assert bias_correction(0.999, 1) == pytest.approx(1000.0, rel=1e-12)


def test_ewa_of_squares_by_hand():
    # v = 0.9 * 2 + 0.1 * 3^2 = 2.7
    from sknn_scratch.optim.averages import ewa_update_of_squares

    v = np.array([2.0])
    ewa_update_of_squares(v, np.array([3.0]), 0.9, np.empty(1))
    np.testing.assert_allclose(v, [2.7], rtol=1e-15)


def test_ewa_of_squares_does_not_overflow_when_the_average_is_representable():
    # g^2 = 1e310 overflows; (1 - beta) g^2 = 1e307 does not: v = 0.5 + 1e307
    from sknn_scratch.optim.averages import ewa_update_of_squares

    v = np.array([0.5])
    with np.errstate(over="raise"):
        ewa_update_of_squares(v, np.array([1e155]), 0.999, np.empty(1))
    np.testing.assert_allclose(v, [1e307], rtol=1e-15)


def test_ewa_update_of_an_infinite_value_is_inf_not_nan():
    # beta * v + (1 - beta) * inf = inf; beta (v - inf) + inf would be NaN
    v = np.array([1.0, 1.0])
    ewa_update(v, np.array([np.inf, 2.0]), 0.5)
    assert v[0] == np.inf and v[1] == 1.5
