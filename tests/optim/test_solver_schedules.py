"""Every update rule under every learning-rate schedule minimises a quadratic."""

import numpy as np
import pytest

from sknn_scratch.optim import learning_rate_at, make_optimizer

A = np.array([[3.0, 0.5], [0.5, 1.0]])  # symmetric positive definite
b = np.array([1.0, -2.0])
SOLUTION = np.linalg.solve(A, b)
RATES = {"gd": 0.2, "momentum": 0.2, "rmsprop": 0.02, "adam": 0.05}
SCHEDULES = {
    "constant": {},
    "inverse_time": {"decay_rate": 0.002},
    "exponential": {"decay_rate": 0.999},
    "step": {"decay_rate": 0.7, "decay_steps": 500},
    "inverse_sqrt": {},
}


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("solver", RATES)
def test_rule_and_schedule_converge_on_a_quadratic(solver, schedule):
    # f(x) = 1/2 x^T A x - b^T x, gradient A x - b, minimum at A^-1 b
    rule = make_optimizer(solver)
    x = np.zeros(2)
    state = rule.init([x])
    kwargs = {"decay_rate": None, "decay_steps": None, **SCHEDULES[schedule]}
    for step in range(1, 3001):  # epochs are numbered from 1
        lr = learning_rate_at(schedule, RATES[solver], step, kwargs["decay_rate"],
                              kwargs["decay_steps"])
        rule.apply([x], [A @ x - b], state, lr)
    assert np.linalg.norm(x - SOLUTION) < 0.05, (x, SOLUTION)
