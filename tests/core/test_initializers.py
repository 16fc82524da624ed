"""Weight initialisers: shapes, scales, determinism, and init_params."""

import numpy as np
import pytest

from sknn_scratch.core import initializers
from sknn_scratch.core.initializers import (
    AUTO_INIT,
    INITIALIZERS,
    he,
    random,
    resolve_init,
    xavier,
    zeros,
)
from sknn_scratch.core.network import Architecture, init_params

FAN_IN, FAN_OUT = 400, 500  # 200,000 draws: std estimated to ~0.2 %


@pytest.mark.parametrize("name", ["zeros", "random", "xavier", "he"])
def test_initializer_shape_is_fan_in_by_fan_out(name):
    W = INITIALIZERS[name](7, 3, np.random.default_rng(0))
    assert W.shape == (7, 3)
    assert W.dtype == np.float64


@pytest.mark.parametrize("name", ["zeros", "random", "xavier", "he"])
def test_initializer_honours_float32_dtype(name):
    W = INITIALIZERS[name](4, 2, np.random.default_rng(0), np.float32)
    assert W.dtype == np.float32


def test_zeros_is_all_zero():
    np.testing.assert_array_equal(zeros(5, 4, np.random.default_rng(0)), 0.0)


def test_random_is_standard_normal_times_one_hundredth():
    W = random(FAN_IN, FAN_OUT, np.random.default_rng(0))
    assert W.std() == pytest.approx(0.01, rel=0.01)
    assert abs(W.mean()) < 0.01 * 5 / np.sqrt(W.size)


def test_random_equals_hundredth_of_the_rng_standard_normal_draws():
    expected = 0.01 * np.random.default_rng(5).standard_normal((3, 2))
    np.testing.assert_allclose(random(3, 2, np.random.default_rng(5)), expected, rtol=1e-15)


def test_xavier_std_is_sqrt_one_over_fan_in():
    W = xavier(FAN_IN, FAN_OUT, np.random.default_rng(1))
    assert W.std() == pytest.approx(np.sqrt(1.0 / FAN_IN), rel=0.01)
    assert abs(W.mean()) < np.sqrt(1.0 / FAN_IN) * 5 / np.sqrt(W.size)


def test_he_std_is_sqrt_two_over_fan_in():
    W = he(FAN_IN, FAN_OUT, np.random.default_rng(2))
    assert W.std() == pytest.approx(np.sqrt(2.0 / FAN_IN), rel=0.01)
    assert abs(W.mean()) < np.sqrt(2.0 / FAN_IN) * 5 / np.sqrt(W.size)


def test_xavier_scale_depends_on_fan_in_not_fan_out():
    a = xavier(1000, 50, np.random.default_rng(3)).std()
    b = xavier(1000, 500, np.random.default_rng(3)).std()
    assert a == pytest.approx(b, rel=0.05)
    assert a == pytest.approx(np.sqrt(1 / 1000), rel=0.05)


@pytest.mark.parametrize("name", ["random", "xavier", "he"])
def test_same_seed_gives_same_weights(name):
    a = INITIALIZERS[name](6, 4, np.random.default_rng(42))
    b = INITIALIZERS[name](6, 4, np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["random", "xavier", "he"])
def test_different_seeds_give_different_weights(name):
    a = INITIALIZERS[name](6, 4, np.random.default_rng(1))
    b = INITIALIZERS[name](6, 4, np.random.default_rng(2))
    assert not np.array_equal(a, b)


# -- 'auto' ----------------------------------------------------------------------------
@pytest.mark.parametrize("activation, expected", [
    ("relu", "he"), ("leaky_relu", "he"), ("tanh", "xavier"), ("sigmoid", "xavier"),
    ("identity", "xavier"),
])
def test_auto_resolves_to_he_for_relu_family_and_xavier_otherwise(activation, expected):
    assert resolve_init("auto", activation) == expected
    assert AUTO_INIT[activation] == expected


@pytest.mark.parametrize("name", ["zeros", "random", "xavier", "he"])
def test_explicit_init_name_is_kept(name):
    assert resolve_init(name, "relu") == name


@pytest.mark.parametrize("activation, factor", [("relu", 2.0), ("tanh", 1.0)])
def test_init_params_auto_draws_with_the_resolved_scale(activation, factor):
    arch = Architecture((FAN_IN, FAN_OUT, 1), activation)
    coefs, _ = init_params(arch, "auto", np.random.default_rng(0))
    assert coefs[0].std() == pytest.approx(np.sqrt(factor / FAN_IN), rel=0.01)


# -- init_params -----------------------------------------------------------------------
def test_init_params_shapes_follow_layer_sizes_and_biases_are_zero():
    arch = Architecture((4, 5, 3, 2), "relu")
    coefs, intercepts = init_params(arch, "he", np.random.default_rng(0))
    assert [W.shape for W in coefs] == [(4, 5), (5, 3), (3, 2)]
    assert [b.shape for b in intercepts] == [(5,), (3,), (2,)]
    for b in intercepts:
        np.testing.assert_array_equal(b, 0.0)


def test_init_params_is_deterministic_for_a_seed():
    arch = Architecture((4, 5, 3), "tanh")
    a, _ = init_params(arch, "xavier", np.random.default_rng(9))
    b, _ = init_params(arch, "xavier", np.random.default_rng(9))
    for Wa, Wb in zip(a, b):
        np.testing.assert_array_equal(Wa, Wb)


def test_init_params_rejects_zeros_with_hidden_layers_mentioning_symmetry():
    arch = Architecture((4, 5, 1), "relu")
    with pytest.raises(ValueError, match="symmetry"):
        init_params(arch, "zeros", np.random.default_rng(0))


def test_init_params_accepts_zeros_without_hidden_layer():
    arch = Architecture((4, 3), "identity")
    coefs, intercepts = init_params(arch, "zeros", np.random.default_rng(0))
    np.testing.assert_array_equal(coefs[0], np.zeros((4, 3)))
    np.testing.assert_array_equal(intercepts[0], np.zeros(3))


def test_init_params_dtype_float32():
    arch = Architecture((4, 5, 1), "relu")
    coefs, intercepts = init_params(arch, "he", np.random.default_rng(0), np.float32)
    assert all(W.dtype == np.float32 for W in coefs)
    assert all(b.dtype == np.float32 for b in intercepts)


def test_module_lists_the_four_initialisers():
    assert set(initializers.INITIALIZERS) == {"zeros", "random", "xavier", "he"}
