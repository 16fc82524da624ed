"""Update rules: one step by hand with injected state, equivalences, convergence."""

import copy

import numpy as np
import pytest

from sknn_scratch.optim import GD, Adam, Momentum, RMSprop, make_optimizer


def assert_lists_close(got, expected, rtol=1e-14, atol=0.0):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


# -- one step by hand, with injected state ---------------------------------------------
def test_gd_one_step_hand_values():
    grads = [np.array([0.5, -2.0]), np.array([[1.0]])]
    steps, state = GD().update(grads, {"t": 3}, lr=0.1)
    assert_lists_close(steps, [[-0.05, 0.2], [[-0.1]]])
    assert state == {"t": 4}


def test_momentum_one_step_hand_values_with_injected_velocity():
    grads = [np.array([1.0, 2.0])]
    state = {"t": 5, "velocity": [np.array([0.2, -0.4])]}
    steps, new = Momentum(beta=0.9).update(grads, state, lr=0.5)
    # v = 0.9*(0.2, -0.4) + 0.1*(1, 2) = (0.28, -0.16); step = -0.5 v
    assert_lists_close(new["velocity"], [[0.28, -0.16]])
    assert_lists_close(steps, [[-0.14, 0.08]])
    assert new["t"] == 6


def test_rmsprop_one_step_hand_values_with_injected_state():
    grads = [np.array([1.0, -2.0])]
    state = {"t": 1, "sq": [np.array([0.5, 1.0])]}
    steps, new = RMSprop(beta_2=0.9, epsilon=1e-8).update(grads, state, lr=0.01)
    # s = 0.9*(0.5, 1.0) + 0.1*(1, 4) = (0.55, 1.3)
    assert_lists_close(new["sq"], [[0.55, 1.3]])
    expected = [-0.01 * 1.0 / (0.55**0.5 + 1e-8), -0.01 * -2.0 / (1.3**0.5 + 1e-8)]
    assert_lists_close(steps, [expected])
    assert new["t"] == 2


def test_rmsprop_with_bias_correction_one_step_hand_values():
    grads = [np.array([1.0, -2.0])]
    state = {"t": 1, "sq": [np.array([0.5, 1.0])]}
    rule = RMSprop(beta_2=0.9, epsilon=1e-8, bias_correction=True)
    steps, new = rule.update(grads, state, lr=0.01)
    # t = 2: s_hat = s / (1 - 0.9^2) = (0.55, 1.3) / 0.19
    expected = [-0.01 * 1.0 / ((0.55 / 0.19) ** 0.5 + 1e-8),
                -0.01 * -2.0 / ((1.3 / 0.19) ** 0.5 + 1e-8)]
    assert_lists_close(steps, [expected])
    assert_lists_close(new["sq"], [[0.55, 1.3]])  # the stored average is uncorrected


def test_adam_one_step_hand_values_with_injected_state():
    grads = [np.array([0.5, 0.3])]
    state = {"t": 2, "m": [np.array([0.1, -0.2])], "v": [np.array([0.01, 0.04])]}
    rule = Adam(beta_1=0.9, beta_2=0.99, epsilon=1e-8)
    steps, new = rule.update(grads, state, lr=0.001)
    # m = 0.9*(0.1, -0.2) + 0.1*(0.5, 0.3) = (0.14, -0.15)
    # v = 0.99*(0.01, 0.04) + 0.01*(0.25, 0.09) = (0.0124, 0.0405)
    # t = 3: 1 - 0.9^3 = 0.271, 1 - 0.99^3 = 0.029701
    assert_lists_close(new["m"], [[0.14, -0.15]])
    assert_lists_close(new["v"], [[0.0124, 0.0405]])
    assert new["t"] == 3
    expected = [-0.001 * (0.14 / 0.271) / ((0.0124 / 0.029701) ** 0.5 + 1e-8),
                -0.001 * (-0.15 / 0.271) / ((0.0405 / 0.029701) ** 0.5 + 1e-8)]
    assert_lists_close(steps, [expected], rtol=1e-13)


def test_adam_first_step_from_init_moves_by_lr_times_sign():
    # t = 1: m_hat = g, v_hat = g^2, step = -lr g / (|g| + eps) ~ -lr sign(g)
    g = np.array([3.0, -0.02, 1e-3])
    rule = Adam()
    steps, _ = rule.update([g], rule.init([np.zeros(3)]), lr=0.01)
    np.testing.assert_allclose(steps[0], -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(steps[0], -0.01 * np.sign(g), rtol=1e-5)


# -- purity ----------------------------------------------------------------------------
RULES = [GD(), Momentum(beta=0.8), RMSprop(beta_2=0.9), RMSprop(bias_correction=True),
         Adam(beta_1=0.7, beta_2=0.95)]


def _injected_state(rule, params, rng):
    state = rule.init(params)
    state["t"] = 4
    for key in ("velocity", "sq", "m", "v"):
        if key in state:
            state[key] = [np.abs(rng.standard_normal(p.shape)) for p in params]
    return state


@pytest.mark.parametrize("rule", RULES, ids=lambda r: repr(r))
def test_update_does_not_modify_grads_or_state(rule):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    grads = [rng.standard_normal(p.shape) for p in params]
    state = _injected_state(rule, params, rng)
    grads_before, state_before = copy.deepcopy(grads), copy.deepcopy(state)
    rule.update(grads, state, lr=0.1)
    assert_lists_close(grads, grads_before, rtol=0)
    assert state.keys() == state_before.keys()
    for key, value in state.items():
        if isinstance(value, list):
            assert_lists_close(value, state_before[key], rtol=0)
        else:
            assert value == state_before[key]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: repr(r))
def test_init_state_starts_at_step_zero_with_zero_averages(rule):
    params = [np.ones((3, 2)), np.ones(2)]
    state = rule.init(params)
    assert state["t"] == 0
    for key in ("velocity", "sq", "m", "v"):
        if key in state:
            assert [a.shape for a in state[key]] == [(3, 2), (2,)]
            assert all(not a.any() for a in state[key])


@pytest.mark.parametrize("rule", RULES, ids=lambda r: repr(r))
def test_init_state_is_a_fresh_copy_not_aliasing_params(rule):
    params = [np.ones(3)]
    state = rule.init(params)
    for key in ("velocity", "sq", "m", "v"):
        if key in state:
            assert not np.shares_memory(state[key][0], params[0])


# -- equivalences ----------------------------------------------------------------------
def _run(rule, grads_sequence, lr):
    state = rule.init([np.zeros_like(g) for g in grads_sequence[0]])
    all_steps = []
    for grads in grads_sequence:
        steps, state = rule.update(grads, state, lr)
        all_steps.append(steps)
    return all_steps


def _grad_sequence(seed=0, n_steps=6):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal((3, 2)), rng.standard_normal(2)] for _ in range(n_steps)]


def test_momentum_with_beta_zero_equals_gd_over_several_steps():
    seq = _grad_sequence()
    for a, b in zip(_run(Momentum(beta=0.0), seq, 0.3), _run(GD(), seq, 0.3)):
        assert_lists_close(a, b, rtol=0)


def test_rmsprop_with_bias_correction_equals_adam_with_beta1_zero():
    seq = _grad_sequence(1)
    rms = RMSprop(beta_2=0.95, epsilon=1e-7, bias_correction=True)
    adam = Adam(beta_1=0.0, beta_2=0.95, epsilon=1e-7)
    for a, b in zip(_run(rms, seq, 0.05), _run(adam, seq, 0.05)):
        assert_lists_close(a, b, rtol=1e-15)


def test_rmsprop_without_bias_correction_differs_from_adam_beta1_zero_early_on():
    seq = _grad_sequence(2, n_steps=1)
    rms = _run(RMSprop(beta_2=0.9), seq, 0.05)[0]
    adam = _run(Adam(beta_1=0.0, beta_2=0.9), seq, 0.05)[0]
    # first step: sqrt(s) = sqrt(0.1) |g| vs sqrt(s_hat) = |g|  -> ratio sqrt(10)
    np.testing.assert_allclose(rms[0] / adam[0], np.sqrt(10.0), rtol=1e-6)


# -- convergence on a convex quadratic -------------------------------------------------
A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]])
B = np.array([1.0, -2.0, 0.5])
X_STAR = np.linalg.solve(A, B)


def test_quadratic_reference_solution_satisfies_the_normal_equation():
    np.testing.assert_allclose(A @ X_STAR, B, atol=1e-14)


@pytest.mark.parametrize("rule, lr, decay, n_steps", [
    (GD(), 0.3, 1.0, 500),
    (Momentum(beta=0.9), 0.3, 1.0, 800),
    # with a constant rate RMSprop ends in a limit cycle of size ~lr around the
    # minimiser (its step is ~lr g/|g|); a decaying rate lets it settle.
    (RMSprop(beta_2=0.999), 0.05, 0.995, 3000),
    (Adam(), 0.01, 1.0, 5000),
], ids=["gd", "momentum", "rmsprop", "adam"])
def test_rule_converges_on_convex_quadratic_to_the_solution(rule, lr, decay, n_steps):
    # f(x) = 1/2 x^T A x - b^T x, grad = A x - b, minimiser A^{-1} b
    x = np.zeros(3)
    state = rule.init([x])
    for t in range(n_steps):
        steps, state = rule.update([A @ x - B], state, lr * decay**t)
        x = x + steps[0]
    np.testing.assert_allclose(x, X_STAR, atol=1e-8)


# -- make_optimizer --------------------------------------------------------------------
def test_make_optimizer_builds_each_rule_with_its_hyperparameters():
    assert make_optimizer("gd") == GD()
    assert make_optimizer("momentum", momentum=0.5) == Momentum(beta=0.5)
    assert make_optimizer("rmsprop", beta_2=0.9, epsilon=1e-6) == RMSprop(beta_2=0.9,
                                                                          epsilon=1e-6)
    assert make_optimizer("adam", beta_1=0.8, beta_2=0.9, epsilon=1e-6) == Adam(0.8, 0.9,
                                                                                1e-6)


def test_make_optimizer_unknown_name_raises():
    with pytest.raises(ValueError, match="Unknown solver 'sgd'"):
        make_optimizer("sgd")


@pytest.mark.parametrize("name", ["gd", "momentum", "rmsprop", "adam"])
def test_rule_name_matches_solver_name(name):
    assert make_optimizer(name).name == name


# -- huge but finite gradients (issue 16) ------------------------------------------------
# g^2 overflows float64 for |g| > 1.34e154, but (1 - beta_2) g^2 does not until
# |g| > 4.2e155 (beta_2 = 0.999): the second moment must not pass through inf.
def test_adam_first_step_with_a_gradient_whose_square_overflows_is_lr_times_sign():
    # t = 1: m_hat = g, v_hat = g^2, so step = -lr g / (|g| + eps) = -lr sign(g)
    g = np.array([1e155, -2e155, 3.0])
    rule = Adam()
    with np.errstate(over="raise", invalid="raise"):  # no overflow on the way either
        steps, state = rule.update([g], rule.init([np.zeros(3)]), lr=0.01)
    np.testing.assert_allclose(steps[0], [-0.01, 0.01, -0.01 * 3.0 / (3.0 + 1e-8)],
                               rtol=1e-12)
    # v = (1 - beta_2) g^2 = 0.001 * (1e310, 4e310, 9): finite
    np.testing.assert_allclose(state["v"][0], [1e307, 4e307, 0.009], rtol=1e-12)


def test_adam_step_with_injected_state_and_a_huge_gradient_by_hand():
    # beta_1 = 0.9, beta_2 = 0.999, t = 1 -> 2, g = 1e155
    # m = 0.9 * 1e154 + 0.1 * 1e155 = 1.9e154; v = 0.999e307 + 0.001 * 1e310 = 1.999e307
    # m_hat = 1.9e154 / (1 - 0.81) = 1e155; v_hat = 1.999e307 / (1 - 0.998001) = 1e310
    # step = -lr m_hat / (sqrt(v_hat) + eps) = -lr (1e155 / 1e155) = -lr
    state = {"t": 1, "m": [np.array([1e154])], "v": [np.array([1e307])]}
    steps, new = Adam().update([np.array([1e155])], state, lr=0.001)
    np.testing.assert_allclose(new["m"][0], [1.9e154], rtol=1e-13)
    np.testing.assert_allclose(new["v"][0], [1.999e307], rtol=1e-13)
    np.testing.assert_allclose(steps[0], [-0.001], rtol=1e-12)


def test_rmsprop_step_with_a_gradient_whose_square_overflows_by_hand():
    # s = 0.001 * (1e155)^2 = 1e307; step = -lr g / sqrt(s) = -lr 1e155 / 10^153.5
    g = np.array([1e155])
    rule = RMSprop(beta_2=0.999)
    steps, state = rule.update([g], rule.init([np.zeros(1)]), lr=0.01)
    np.testing.assert_allclose(state["sq"][0], [1e307], rtol=1e-12)
    np.testing.assert_allclose(steps[0], [-0.01 / np.sqrt(0.001)], rtol=1e-12)


@pytest.mark.parametrize("rule", [Adam(), RMSprop()], ids=["adam", "rmsprop"])
def test_a_second_moment_beyond_the_float_range_gives_inf_not_nan(rule):
    # (1 - beta_2) g^2 = 0.001 * 1e400 overflows: the average is inf (the loop
    # reports it), the step is 0 for that entry and nothing is NaN
    g = np.array([1e200, 1.0])
    with np.errstate(over="ignore"):
        steps, state = rule.update([g], rule.init([np.zeros(2)]), lr=0.01)
    second = state["v" if "v" in state else "sq"][0]
    assert second[0] == np.inf and np.isfinite(second[1])
    assert not np.isnan(steps[0]).any()
    assert steps[0][0] == 0.0
