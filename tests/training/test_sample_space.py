"""The first layer carried in sample space (training.sample_space): wide full-batch
gradient descent must train the same net as the direct path, to float64 round-off.

Tolerances: both paths compute the same sums in exact arithmetic; they differ by
the rounding of ``X W[1]`` (one product of ~d terms, relative error ~d eps ~ 1e-12
at worst for d = 2000..12288, eps = 2.2e-16) and of its carried updates, which
gradient descent then propagates over the epochs (it damps as much as it
amplifies on these smooth fits). A relative 1e-9 leaves three orders of magnitude
for that growth while any real difference in the update (a dropped L2 or step
factor, a stale product) shows at 1e-3 or more.
"""

import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch import DeepNNClassifier
from sknn_scratch.core import network
from sknn_scratch.optim.optimizers import GD, Adam, Momentum, RMSprop
from sknn_scratch.training import sample_space
from sknn_scratch.training.loop import LoopSettings, run_training

RTOL = 1e-9
# the fits run to max_iter on purpose (tol=0): the warning it gives is expected
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _wide(n=40, d=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    return X, y


class _Spy:
    """Counts the carriers built and the refreshes made by absolute epoch."""

    def __init__(self, monkeypatch):
        self.built, self.refreshed = 0, []
        spy, real = self, sample_space.SampleSpaceFirstLayer

        class Counting(real):
            def __init__(self, X, W):
                spy.built += 1
                super().__init__(X, W)

            def start_epoch(self, epochs_done):
                if epochs_done % sample_space.REFRESH_EVERY == 0:
                    spy.refreshed.append(epochs_done)
                super().start_epoch(epochs_done)

        monkeypatch.setattr(sample_space, "SampleSpaceFirstLayer", Counting)


def _fit_both(monkeypatch, X, y, **params):
    spy = _Spy(monkeypatch)
    fast = DeepNNClassifier(**params).fit(X, y)
    assert spy.built == 1, "the sample-space path was not taken"
    monkeypatch.setattr(sample_space, "_enabled", False)
    direct = DeepNNClassifier(**params).fit(X, y)
    assert spy.built == 1
    return fast, direct


def _assert_same_training(fast, direct, X):
    assert len(fast.loss_curve_) == len(direct.loss_curve_)
    for a, b in zip(fast.coefs_ + fast.intercepts_, direct.coefs_ + direct.intercepts_):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * np.abs(b).max())
    np.testing.assert_allclose(fast.loss_curve_, direct.loss_curve_, rtol=RTOL)
    np.testing.assert_allclose(fast.predict_proba(X), direct.predict_proba(X),
                               rtol=RTOL)
    for r, s in zip(fast.history_, direct.history_):
        np.testing.assert_allclose(r["grad_norms"], s["grad_norms"], rtol=1e-8)
        assert r["dead_fraction"] == s["dead_fraction"]


@pytest.mark.parametrize("extra", [
    {"alpha": 0.5},
    {"alpha": 0.0, "learning_rate_schedule": "inverse_time", "decay_rate": 0.01},
    {"alpha": 0.1, "dropout": 0.2},  # hidden-layer dropout keeps the update's form
])
def test_fast_path_trains_the_same_net_as_the_direct_path(monkeypatch, extra):
    X, y = _wide()
    w = np.linspace(0.5, 2.0, len(y))  # weights enter dZ[1] and the L2 scaling
    params = dict(hidden_layer_sizes=(10, 5), solver="gd", batch_size=None,
                  learning_rate=0.3, max_iter=250, tol=0.0, n_iter_no_change=1000,
                  random_state=0, **extra)
    spy = _Spy(monkeypatch)
    fast = DeepNNClassifier(**params).fit(X, y, sample_weight=w)
    assert spy.built == 1 and spy.refreshed == [0, 100, 200]
    monkeypatch.setattr(sample_space, "_enabled", False)
    direct = DeepNNClassifier(**params).fit(X, y, sample_weight=w)
    _assert_same_training(fast, direct, X)
    assert fast.loss_curve_[-1] < 0.5 * fast.loss_curve_[0]  # it did learn


@pytest.mark.parametrize("scalars", [
    {"learning_rate": np.float32(0.3), "alpha": 0.5},
    {"learning_rate": 0.3, "alpha": np.float32(0.5)},
    {"learning_rate": 0.3, "alpha": 0.5, "learning_rate_schedule": "inverse_time",
     "decay_rate": np.float32(0.01)},
])
def test_numpy_float32_hyperparameters_keep_the_step_in_float64(monkeypatch, scalars):
    # NumPy 2 keeps float32 * Python float in float32 (NEP 50): a decay factor
    # 1 - lr * penalty formed from a float32 rate or penalty carried float32's
    # rounding (~6e-8) into X W[1] every epoch, where the direct path works in float64
    X, y = _wide()
    params = dict(hidden_layer_sizes=(10,), solver="gd", batch_size=None,
                  max_iter=150, tol=0.0, n_iter_no_change=1000, random_state=0,
                  **scalars)
    fast, direct = _fit_both(monkeypatch, X, y, **params)
    _assert_same_training(fast, direct, X)


@pytest.mark.filterwarnings("ignore:.*predicts the class")  # 120 epochs: early days
def test_cat_net_fast_path_matches_direct_path(monkeypatch, catvnoncat_dir):
    from sknn_scratch.datasets import load_catvnoncat

    cats = load_catvnoncat(catvnoncat_dir)
    X, y = cats.train.data[:, :6000], cats.train.target  # 209 x 6000: 8 n <= d
    fast, direct = _fit_both(
        monkeypatch, X, y, hidden_layer_sizes=(20, 7, 5), solver="gd",
        batch_size=None, learning_rate=0.0075, alpha=0.0, init="xavier",
        max_iter=120, tol=0.0, random_state=1)
    _assert_same_training(fast, direct, X)


def test_warm_start_agrees_with_uninterrupted_fit_to_round_off(monkeypatch):
    X, y = _wide()
    params = dict(hidden_layer_sizes=(10,), solver="gd", batch_size=None,
                  learning_rate=0.3, alpha=0.2, tol=0.0, random_state=0)
    spy = _Spy(monkeypatch)
    whole = DeepNNClassifier(max_iter=260, **params).fit(X, y)
    split = DeepNNClassifier(max_iter=130, warm_start=True, **params).fit(X, y)
    split.fit(X, y)
    # each start recomputes X W[1]; refreshes follow the absolute epoch counter
    assert spy.built == 3 and spy.refreshed == [0, 100, 200, 0, 100, 200]
    assert len(split.loss_curve_) == 260
    _assert_same_training(split, whole, X)


def test_a_fresh_run_computes_x_w1_once_before_its_first_epoch(monkeypatch):
    # the start computes X W[1] directly; epoch 0's scheduled refresh would redo
    # the very product this path exists to save (150 epochs: at 0 and at 100)
    refreshes = []
    real = sample_space.SampleSpaceFirstLayer.refresh
    monkeypatch.setattr(sample_space.SampleSpaceFirstLayer, "refresh",
                        lambda self: refreshes.append(1) or real(self))
    X, y = _wide()
    DeepNNClassifier((10,), solver="gd", batch_size=None, max_iter=150, tol=0.0,
                     n_iter_no_change=1000, random_state=0).fit(X, y)
    assert len(refreshes) == 2


def test_carried_product_stays_within_round_off_of_a_direct_product():
    X, _ = _wide()
    rng = np.random.default_rng(1)
    W = rng.standard_normal((X.shape[1], 10))
    carrier = sample_space.SampleSpaceFirstLayer(X, W)
    lr, penalty = 0.1, 0.01
    for epoch in range(1, 250):
        delta = rng.standard_normal((X.shape[0], 10)) / X.shape[0]
        W -= lr * (X.T @ delta + penalty * W)  # the GD step it follows
        carrier.step(delta, lr, penalty)
        drift = np.abs(carrier.product - X @ W).max() / np.abs(X @ W).max()
        assert drift < 1e-13, epoch
        carrier.start_epoch(epoch)
        if epoch % sample_space.REFRESH_EVERY == 0:  # refreshed: exactly X W again
            np.testing.assert_array_equal(carrier.product, X @ W)


def _gate(X=None, optimizer=GD(), max_epochs=100, hidden=10, dtype=np.float64,
          **settings):
    X = _wide()[0] if X is None else X
    arch = network.Architecture((X.shape[1], hidden, 1), "relu")
    coefs, _ = network.init_params(arch, "xavier", np.random.default_rng(0), dtype)
    found = sample_space.sample_space_first_layer(
        arch, X, coefs, optimizer, LoopSettings(**settings), max_epochs)
    return found is not None


def test_gate_takes_wide_full_batch_gd():
    assert _gate()
    assert _gate(batch_size=40, schedule="exponential", dropout=0.5, alpha=1.0)
    assert _gate(X=_wide(n=250)[0])  # 8 n = d: the boundary is taken


@pytest.mark.parametrize("case", [
    dict(X=sp.csr_matrix(_wide()[0])),
    dict(X=_wide()[0].astype(np.float32), dtype=np.float32),
    dict(batch_size=39),
    dict(optimizer=Momentum()), dict(optimizer=Adam()), dict(optimizer=RMSprop()),
    dict(augmentation=lambda X, rng: X),
    dict(max_grad_norm=1.0),
    dict(X=_wide(n=251)[0]),          # 8 n > d: the n^2 h product costs too much
    dict(max_epochs=3, hidden=10),    # 3 * 10 < 40: G is not repaid
], ids=["sparse", "float32", "mini-batch", "momentum", "adam", "rmsprop",
        "augmentation", "clipping", "not-wide", "few-epochs"])
def test_gate_leaves_other_configurations_on_the_direct_path(case):
    assert not _gate(**case)


def test_run_training_with_guard_monitors_and_divergence_on_the_path(monkeypatch):
    # an exploding learning rate: the guard still stops and keeps sound weights
    X, y = _wide()
    arch = network.Architecture((X.shape[1], 10, 1), "relu")
    Y = y.reshape(-1, 1).astype(float)
    spy = _Spy(monkeypatch)
    coefs, ints = network.init_params(arch, "xavier", np.random.default_rng(0))
    result = run_training(arch, coefs, ints, GD(), None, X * 1e3, Y, np.ones(len(y)),
                          LoopSettings(learning_rate=10.0), np.random.default_rng(0),
                          max_epochs=50)
    assert spy.built == 1 and result.stop_reason == "diverged"
    assert all(np.isfinite(c).all() for c in result.coefs)


_FRESH = """
import numpy as np, sys
sys.path.insert(0, {root!r})
from tests.training.test_sample_space import _wide
from sknn_scratch import DeepNNClassifier
from sknn_scratch.training import sample_space
built = []
real = sample_space.SampleSpaceFirstLayer.__init__
def counting(self, X, W):
    built.append(X.shape)
    real(self, X, W)
sample_space.SampleSpaceFirstLayer.__init__ = counting
X, y = _wide()
p = dict(hidden_layer_sizes=(10, 5), solver="gd", batch_size=None, learning_rate=0.3,
         alpha=0.1, max_iter=150, tol=0.0, random_state=3)
fast = DeepNNClassifier(**p).fit(X, y)
sample_space._enabled = False
direct = DeepNNClassifier(**p).fit(X, y)
assert built == [X.shape], built  # the fast fit took the path, the direct one not
for a, b in zip(fast.coefs_, direct.coefs_):
    np.testing.assert_allclose(a, b, rtol={rtol}, atol={rtol} * np.abs(b).max())
print(repr(fast.loss_curve_[-1]))
"""


def test_fresh_process_agrees(monkeypatch):
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", _FRESH.format(root=root, rtol=RTOL)],
                         capture_output=True, text=True, check=True, cwd=root)
    X, y = _wide()
    here = DeepNNClassifier(hidden_layer_sizes=(10, 5), solver="gd", batch_size=None,
                            learning_rate=0.3, alpha=0.1, max_iter=150, tol=0.0,
                            random_state=3).fit(X, y)
    assert float(out.stdout) == pytest.approx(here.loss_curve_[-1], rel=RTOL)
