"""The divergence guard: the sample, the reference, the threshold, the causes."""

import math
import warnings

import numpy as np
import pytest

from sknn_scratch.core import losses, network
from sknn_scratch.core.network import Architecture
from sknn_scratch.optim import GD, Adam, Momentum
from sknn_scratch.training.guard import SAMPLE_ROWS, DivergenceGuard, sample_rows
from sknn_scratch.training.loop import LoopSettings, make_workspace, run_training


# -- the sample of rows ------------------------------------------------------------------
def test_small_data_is_used_whole():
    assert sample_rows(SAMPLE_ROWS) == slice(None)


@pytest.mark.parametrize("n", [SAMPLE_ROWS + 1, 2 * SAMPLE_ROWS, 7919 * 3, 10**6])
def test_large_data_gives_distinct_sorted_rows_in_range(n):
    rows = sample_rows(n)
    assert len(rows) == SAMPLE_ROWS == len(np.unique(rows))
    assert rows.min() >= 0 and rows.max() < n and (np.diff(rows) > 0).all()


@pytest.mark.parametrize("n", [2 * SAMPLE_ROWS, 2 * SAMPLE_ROWS + 2, 3 * SAMPLE_ROWS])
@pytest.mark.parametrize("period", [2, 3, 10])
def test_periodic_labels_are_all_drawn(n, period):
    # a plain stride of n // 2000 = 2 would draw only one class of 0, 1, 0, 1, ...
    labels = np.arange(n) % period
    counts = np.bincount(labels[sample_rows(n)], minlength=period)
    assert (counts > 0).all()


# -- reference and threshold -----------------------------------------------------------------
def _logistic(m=6):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, 2))
    y = np.array([0, 1, 1, 0, 1, 0][:m], dtype=float).reshape(-1, 1)
    W, b = np.array([[0.5], [-1.0]]), np.array([0.2])
    return Architecture((2, 1), "identity"), [W], [b], X, y


def test_reference_is_the_full_objective_by_hand():
    arch, coefs, intercepts, X, y = _logistic()
    w = np.array([1.0, 2.0, 1.0, 1.0, 0.5, 1.5])
    guard = DivergenceGuard(arch, coefs, intercepts, X, y, w,
                            LoopSettings(alpha=0.3), GD())
    p = 1.0 / (1.0 + np.exp(-(X @ coefs[0] + intercepts[0])))
    loss = -(w[:, None] * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum()
    penalty = 0.5 * 0.3 * (coefs[0] ** 2).sum() / w.sum()  # one batch: once
    assert guard.reference == pytest.approx(loss + penalty, rel=1e-13)
    assert guard.threshold == pytest.approx(100 * max(guard.reference, math.log(2)),
                                            rel=1e-13)


def test_reference_counts_the_penalty_once_per_mini_batch_like_the_epoch_loss():
    # 6 rows in batches of 2: the epoch averages 3 batch objectives, each with
    # alpha/2 ||W||^2 / (sum w / 3)
    arch, coefs, intercepts, X, y = _logistic()
    w = np.ones(6)
    full = DivergenceGuard(arch, coefs, intercepts, X, y, w, LoopSettings(alpha=0.3),
                           GD())
    batched = DivergenceGuard(arch, coefs, intercepts, X, y, w,
                              LoopSettings(alpha=0.3, batch_size=2), GD())
    penalty = 0.5 * 0.3 * (coefs[0] ** 2).sum() / 6
    assert batched.reference - full.reference == pytest.approx(2 * penalty, rel=1e-12)


def test_a_zero_reference_is_floored_at_the_loss_of_a_uniform_guess():
    arch, coefs, intercepts, X, y = _logistic()
    guard = DivergenceGuard(arch, coefs, intercepts, X, y, np.ones(6), LoopSettings(),
                            GD(), reference_loss=0.0)
    assert guard.threshold == pytest.approx(100 * math.log(2))
    assert not guard.exploded(1.0) and guard.exploded(70.0)
    assert guard.exploded(math.nan) and guard.exploded(math.inf)


def test_the_floor_is_log_k_for_k_classes():
    arch = Architecture((2, 5), "identity")
    coefs, intercepts = [np.zeros((2, 5))], [np.zeros(5)]
    X, Y = np.zeros((5, 2)), losses.one_hot(np.arange(5), 5)
    guard = DivergenceGuard(arch, coefs, intercepts, X, Y, np.ones(5), LoopSettings(),
                            GD(), reference_loss=1e-9)
    assert guard.threshold == pytest.approx(100 * math.log(5))


def test_the_reference_ignores_the_first_rows_that_one_batch_would_hold():
    # SGD: the first row's loss is tiny, the objective over all rows is not
    arch, coefs, intercepts, X, y = _logistic()
    X = X.copy()
    X[0] = [-20.0, 20.0]  # z = -30.2: row 0 (y = 0) is fitted, loss ~ 1e-13
    guard = DivergenceGuard(arch, coefs, intercepts, X, y, np.ones(6),
                            LoopSettings(batch_size=1), GD())
    assert guard.reference > 0.1


# -- the loop with the guard --------------------------------------------------------------------
def _net(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 3))
    Y = losses.one_hot(np.arange(30) % 2, 2)
    arch = Architecture((3, 4, 1), "tanh")
    coefs, intercepts = network.init_params(arch, "xavier", rng)
    return arch, coefs, intercepts, X, Y, np.ones(30)


def test_the_last_update_is_checked_and_an_exploded_one_undone():
    arch, coefs, intercepts, X, Y, w = _net()
    with np.errstate(all="ignore"):
        result = run_training(arch, coefs, intercepts, GD(), None, X, Y, w,
                              LoopSettings(learning_rate=1e200), np.random.default_rng(0),
                              max_epochs=1)
    assert result.stop_reason == "diverged" and result.records == []
    assert "after its last step" in result.message
    for got, start in zip(result.coefs + result.intercepts, coefs + intercepts):
        np.testing.assert_array_equal(got, start)


def test_a_sound_last_update_is_kept():
    arch, coefs, intercepts, X, Y, w = _net()
    result = run_training(arch, coefs, intercepts, GD(), None, X, Y, w,
                          LoopSettings(learning_rate=0.1), np.random.default_rng(0),
                          max_epochs=1)
    assert result.stop_reason is None and len(result.records) == 1
    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w)
    for got, p, g in zip(result.coefs + result.intercepts, coefs + intercepts, dW + db):
        np.testing.assert_allclose(got, p - 0.1 * g, rtol=1e-13)


def test_infinite_optimizer_averages_count_as_divergence():
    # logistic regression on inputs of 1e200: gradients X^T (p - y) / m ~ 1e199
    _, _, _, X, Y, w = _net()
    arch, coefs, intercepts = Architecture((3, 1), "identity"), [np.zeros((3, 1))], [
        np.zeros(1)]
    with np.errstate(all="ignore"):
        result = run_training(arch, coefs, intercepts, Adam(), None, X * 1e200, Y, w,
                              LoopSettings(), np.random.default_rng(0), max_epochs=3)
    assert result.stop_reason == "diverged"
    assert "running averages" in result.message and "too large" in result.message
    assert result.opt_state["t"] == 0


# -- the cause ------------------------------------------------------------------------------------
def _cause(optimizer=GD(), lr=1.0, alpha=0.0, w=None, problem="loss", augmented=False):
    arch, coefs, intercepts, X, Y, _ = _net()
    w = np.ones(30) if w is None else w
    with np.errstate(all="ignore"):
        guard = DivergenceGuard(arch, coefs, intercepts, X, Y, w,
                                LoopSettings(learning_rate=lr, alpha=alpha), optimizer)
    guard.augmentation_nonfinite = augmented
    return guard.cause(lr, problem)


def test_cause_defaults_to_the_learning_rate():
    assert "The learning rate 10.0 is too high for solver='gd'" in _cause(lr=10.0)


def test_cause_weights_overflow_comes_first():
    text = _cause(lr=10.0, w=np.full(30, 1e308), augmented=True)
    assert "sample_weight" in text and "sum to inf" in text


def test_cause_augmentation():
    assert "augmentation" in _cause(augmented=True)


@pytest.mark.parametrize("optimizer, lr, alpha, unstable", [
    (GD(), 0.1, 601.0, True),                 # 0.1 * 601 / 30 = 2.003 > 2
    (GD(), 0.1, 599.0, False),                # 1.997 < 2
    (Momentum(beta=0.9), 0.1, 11000.0, False),  # 36.7 < 2 * 1.9 / 0.1 = 38
    (Momentum(beta=0.9), 0.1, 12000.0, True),   # 40 > 38
    (Adam(), 0.1, 1e6, False),                # Adam's step is about lr whatever alpha
])
def test_cause_penalty_when_weight_decay_overshoots(optimizer, lr, alpha, unstable):
    text = _cause(optimizer, lr=lr, alpha=alpha)
    assert ("weight decay" in text) == unstable


def test_cause_penalty_not_blamed_for_a_huge_rate_with_an_ordinary_alpha():
    # lr alpha / m = 1e6 * 1e-4 / 30 > 2, but alpha / m is tiny: the rate's fault
    assert "learning rate" in _cause(lr=1e6, alpha=1e-4)


def test_cause_gradient_overflow():
    assert "max_grad_norm" in _cause(Adam(), problem="state")


def test_lazy_full_batch_reference_is_the_first_epochs_loss_which_is_the_objective():
    # plain full batch: epoch 1's loss is J(starting weights) itself, so the loop
    # lets it be the reference instead of computing it twice
    arch, coefs, intercepts, X, y = _logistic()
    w = np.ones(6)
    eager = DivergenceGuard(arch, coefs, intercepts, X, y, w, LoopSettings(), GD())
    lazy = DivergenceGuard(arch, coefs, intercepts, X, y, w, LoopSettings(), GD(),
                           lazy=True)
    result = run_training(arch, coefs, intercepts, GD(), None, X, y, w, LoopSettings(),
                          np.random.default_rng(0), max_epochs=1)
    first_loss = result.records[0]["loss"]
    assert first_loss == pytest.approx(eager.reference, rel=1e-14)
    lazy.epoch_problem(first_loss, np.zeros(3), {"t": 1})
    assert lazy.reference == first_loss and lazy.threshold == eager.threshold


@pytest.mark.parametrize("settings", [LoopSettings(batch_size=2), LoopSettings(dropout=0.5),
                                      LoopSettings(augmentation=lambda Xb, rng: Xb)])
def test_the_reference_is_computed_up_front_when_epochs_see_other_inputs(settings):
    arch, coefs, intercepts, X, y = _logistic()
    guard = DivergenceGuard(arch, coefs, intercepts, X, y, np.ones(6), settings, GD(),
                            lazy=True)
    expected = DivergenceGuard(arch, coefs, intercepts, X, y, np.ones(6), settings,
                               GD()).reference
    assert guard.reference == expected
    guard.epoch_problem(123.0, np.zeros(3), {"t": 1})
    # with dropout the first epoch's (dropped-unit) loss may only raise the scale
    assert guard.reference == (123.0 if settings.dropout else expected)


def test_strong_dropout_is_not_mistaken_for_divergence():
    # the epochs' loss is measured with units dropped, far above the whole net's
    # starting objective: a step of 1e-12 cannot diverge
    from sklearn.datasets import make_classification

    from sknn_scratch import DeepNNClassifier
    from sknn_scratch.estimators._fitting import DivergenceWarning

    X, y = make_classification(500, 20, n_informative=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        net = DeepNNClassifier((64, 64, 64, 64), dropout=0.95, solver="gd",
                               learning_rate=1e-12, max_iter=5, random_state=0,
                               tol=None).fit(X, y)
    assert net.n_iter_ == 5


def _dropout_start_loss_check():
    # with dropout the first epoch's (dropped-unit) loss raises the guard's scale,
    # but the run's start_loss stays the objective at the starting weights
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 10))
    Y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    arch = Architecture((10, 64, 64, 2), "relu")
    coefs, intercepts = network.init_params(arch, "auto", np.random.default_rng(1))
    w = np.ones(300)
    settings = LoopSettings(learning_rate=1e-3, batch_size=300, dropout=0.5)
    # the objective at the starting weights, by hand: mean cross-entropy of the
    # whole net plus alpha/2 ||W||^2 once (one batch of total weight 300)
    Z = network.logits(arch, coefs, intercepts, X)
    start = float(losses.sample_losses(Z, Y, False).mean()
                  + settings.alpha / 2 * sum((c ** 2).sum() for c in coefs) / 300)
    result = run_training(arch, [c.copy() for c in coefs], [b.copy() for b in intercepts],
                          Adam(), None, X, Y, w, settings, np.random.default_rng(0),
                          max_epochs=3)
    assert result.records[0]["loss"] > start * 1.2  # the dropped-unit loss is far above
    assert result.start_loss == pytest.approx(start, rel=1e-12)


def test_dropout_start_loss_is_the_objective_at_the_starting_weights():
    _dropout_start_loss_check()


def test_dropout_start_loss_in_a_fresh_interpreter():
    import os
    import subprocess
    import sys

    code = ("from tests.training.test_guard import _dropout_start_loss_check as f; f()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr


def test_the_sampled_objective_runs_in_the_training_workspace():
    # 2,600 rows: the guard samples 2,000 of them, gathered chunk by chunk into
    # the workspace's batch buffer, their activations written into its Z buffers
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2600, 2))
    y = (rng.random(2600) < 0.5).astype(float).reshape(-1, 1)
    arch = Architecture((2, 1), "identity")
    coefs, intercepts = [np.array([[0.5], [-1.0]])], [np.array([0.2])]
    settings = LoopSettings(batch_size=100)
    workspace = make_workspace(arch, X, np.float64, settings)
    workspace.X[...] = np.nan
    workspace.Z[0][...] = np.nan
    guard = DivergenceGuard(arch, coefs, intercepts, X, y, np.ones(2600), settings, GD(),
                            workspace=workspace)
    rows = sample_rows(2600)
    z = X[rows] @ coefs[0][:, 0] + intercepts[0][0]
    by_hand = np.mean(np.logaddexp(0, z) - y[rows, 0] * z)
    assert guard.reference == pytest.approx(by_hand, rel=1e-12)
    assert np.isfinite(workspace.X).any() and np.isfinite(workspace.Z[0]).any()
