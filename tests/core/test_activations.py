"""Activations and their derivatives against hand formulas and finite differences."""

import warnings

import numpy as np
import pytest

from sknn_scratch.core import activations
from sknn_scratch.core.activations import (
    ACTIVATIONS,
    DERIVATIVES,
    LEAKY_SLOPE,
    activation,
    derivative,
    inplace_activation,
    inplace_backprop,
)

NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]

# Points away from the kink at 0 so that finite differences are meaningful everywhere.
Z = np.array([[-3.0, -1.2, -0.4, -0.05], [0.05, 0.3, 1.7, 4.0]])


def hand_forward(name, z):
    """The textbook formulas, written independently of the package."""
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "identity":
        return z.copy()
    raise KeyError(name)


def hand_derivative_from_z(name, z):
    """g'(z) written as a function of z (not of the output)."""
    if name == "sigmoid":
        return np.exp(-z) / (1.0 + np.exp(-z)) ** 2
    if name == "tanh":
        return 4.0 / (np.exp(z) + np.exp(-z)) ** 2  # sech^2
    if name == "relu":
        return np.where(z > 0, 1.0, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, 0.01)
    if name == "identity":
        return np.ones_like(z)
    raise KeyError(name)


def test_tables_list_the_five_activations_with_a_derivative_each():
    assert set(ACTIVATIONS) == set(NAMES)
    assert set(DERIVATIVES) == set(NAMES)


def test_leaky_slope_is_the_notes_one_hundredth():
    assert LEAKY_SLOPE == 0.01


@pytest.mark.parametrize("name", NAMES)
def test_activation_values_match_hand_formula(name):
    np.testing.assert_allclose(activation(name, Z), hand_forward(name, Z),
                               rtol=1e-14, atol=1e-15)


def test_sigmoid_hand_values():
    # sigma(0) = 1/2, sigma(ln 3) = 3/4, sigma(-ln 3) = 1/4
    z = np.array([[0.0, np.log(3.0), -np.log(3.0)]])
    np.testing.assert_allclose(activation("sigmoid", z), [[0.5, 0.75, 0.25]], rtol=1e-15)


def test_tanh_hand_values():
    # tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 3/5
    z = np.array([[0.0, np.log(2.0), -np.log(2.0)]])
    np.testing.assert_allclose(activation("tanh", z), [[0.0, 0.6, -0.6]], rtol=1e-15,
                               atol=1e-16)


def test_relu_and_leaky_relu_hand_values():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(activation("relu", z), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(activation("leaky_relu", z), [[-0.02, 0.0, 3.0]],
                               rtol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_two_sided_finite_differences_of_forward(name):
    h = 1e-6
    numeric = (activation(name, Z + h) - activation(name, Z - h)) / (2 * h)
    np.testing.assert_allclose(derivative(name, Z), numeric, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_computed_from_output_matches_derivative_from_z(name):
    # derivative() goes through A = g(Z); the reference is a formula in Z itself.
    np.testing.assert_allclose(derivative(name, Z), hand_derivative_from_z(name, Z),
                               rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_inplace_backprop_multiplies_upstream_gradient_by_derivative(name):
    rng = np.random.default_rng(0)
    dA = rng.standard_normal(Z.shape)
    A = activation(name, Z)
    dZ = inplace_backprop(name, A, dA.copy())
    np.testing.assert_allclose(dZ, dA * hand_derivative_from_z(name, Z), rtol=1e-13,
                               atol=1e-15)
    # written over A: backward keeps one dA buffer for all layers, dZ[l] in A[l]'s
    assert dZ is A


@pytest.mark.parametrize("name", NAMES)
def test_inplace_activation_overwrites_its_argument(name):
    Zc = Z.copy()
    out = inplace_activation(name, Zc)
    assert out is Zc
    np.testing.assert_allclose(Zc, hand_forward(name, Z), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_out_of_place_activation_leaves_input_untouched(name):
    Zc = Z.copy()
    activation(name, Zc)
    derivative(name, Zc)
    np.testing.assert_array_equal(Zc, Z)


def test_relu_derivative_at_zero_is_zero_and_leaky_is_slope():
    z = np.zeros((1, 3))
    np.testing.assert_array_equal(derivative("relu", z), 0.0)
    np.testing.assert_array_equal(derivative("leaky_relu", z), 0.01)


def test_sigmoid_is_stable_at_plus_minus_800_without_warnings():
    z = np.array([[-800.0, -40.0, 0.0, 40.0, 800.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        A = activation("sigmoid", z)
        dA = derivative("sigmoid", z)
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(dA))
    assert A[0, 0] == 0.0 or A[0, 0] < 1e-300
    assert A[0, -1] == 1.0
    assert A[0, 2] == 0.5
    # sigma(-40) = e^-40 / (1 + e^-40) to full relative precision (no 1 - x cancellation)
    np.testing.assert_allclose(A[0, 1], np.exp(-40.0) / (1.0 + np.exp(-40.0)),
                               rtol=1e-14)
    np.testing.assert_allclose(A[0, 3], 1.0 / (1.0 + np.exp(-40.0)), rtol=1e-15)
    assert np.all((A >= 0) & (A <= 1))


def test_sigmoid_is_symmetric_sigma_minus_z_equals_one_minus_sigma_z():
    z = np.linspace(-30, 30, 61).reshape(1, -1)
    np.testing.assert_allclose(activation("sigmoid", -z), 1.0 - activation("sigmoid", z),
                               atol=1e-15)


def test_float32_input_keeps_float32_in_place():
    Z32 = Z.astype(np.float32)
    for name in NAMES:
        out = inplace_activation(name, Z32.copy())
        assert out.dtype == np.float32, name


def test_hidden_activations_are_the_table_keys():
    assert set(activations.HIDDEN_ACTIVATIONS) == set(NAMES)
