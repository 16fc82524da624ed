"""Work done once per run stays out of the epochs (the course's full-batch cat net
runs thousands of one-step epochs, where per-epoch Python work shows)."""

import numpy as np
import pytest

from sknn_scratch.core import losses, network
from sknn_scratch.core.network import Architecture
from sknn_scratch.optim import GD, Adam
from sknn_scratch.training import operands
from sknn_scratch.training.loop import LoopSettings, run_training


def _problem(seed=0, m=12):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 5))
    arch = Architecture((5, 4, 3, 1), "relu")
    coefs, intercepts = network.init_params(arch, "xavier", rng)
    Y = losses.one_hot(np.arange(m) % 2, 2)
    return arch, coefs, intercepts, X, Y, np.ones(m)


def _counted_layout_checks(monkeypatch, optimizer, epochs):
    """Calls of ``base_vector`` (the flat-layout check of the update rule's
    operands) made by the loop during a run of ``epochs`` epochs."""
    calls = []
    real = operands.base_vector

    def counting(arrays):
        calls.append(len(arrays))
        return real(arrays)

    monkeypatch.setattr(operands, "base_vector", counting)
    arch, coefs, intercepts, X, Y, w = _problem()
    result = run_training(arch, coefs, intercepts, optimizer, None, X, Y, w,
                          LoopSettings(learning_rate=0.01), np.random.default_rng(0),
                          max_epochs=epochs)
    assert len(result.records) == epochs
    return len(calls)


@pytest.mark.parametrize("optimizer", [GD(), Adam()], ids=["gd", "adam"])
def test_rule_layout_is_checked_once_per_run_not_per_epoch(monkeypatch, optimizer):
    one = _counted_layout_checks(monkeypatch, optimizer, 1)
    many = _counted_layout_checks(monkeypatch, optimizer, 6)
    assert one > 0  # the check does run (weights, gradients, each state slot)
    assert many == one
