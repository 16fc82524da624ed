"""Training on SciPy sparse input: the dense result, in place, in any layout.

A net's first layer on sparse ``X`` is stored row by row (core.flat), a dense net's
wide first layer column by column; the update rule pairs weights and gradients
entry by entry, so both layouts must meet only through explicit copies.
"""

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch import DeepNNClassifier
from sknn_scratch.core import losses, network
from sknn_scratch.core.flat import FlatLayout
from sknn_scratch.core.network import Architecture
from sknn_scratch.optim import Adam
from sknn_scratch.training.loop import LoopSettings, run_training, train_epoch


def wide_sparse_problem(seed=0, m=60, n=200, n_classes=3):
    """Sparse 0/1 rows over ``n`` features (a wide first layer for 8 hidden units)."""
    rng = np.random.default_rng(seed)
    X = (rng.random((m, n)) < 0.05).astype(float)
    y = (X[:, :n_classes] @ np.arange(1, n_classes + 1) + rng.integers(0, 2, m)) % n_classes
    return X, y


def fit_pair(make):
    """``(dense, sparse)`` fitted weights of ``make()`` on the same data."""
    X, y = wide_sparse_problem()
    dense = make().fit(X, y)
    sparse = make().fit(sp.csr_matrix(X), y)
    return dense, sparse


def _net():
    return DeepNNClassifier((8,), alpha=1e-2, learning_rate=1e-2, batch_size=16,
                            max_iter=6, tol=None, random_state=0)


def test_mini_batch_adam_on_sparse_input_trains_the_dense_weights():
    dense, sparse = fit_pair(_net)
    for a, b in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-10)


_FRESH = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
from training.test_sparse_input import _net, fit_pair
dense, sparse = fit_pair(_net)
print(json.dumps(max(float(np.max(np.abs(a - b))) for a, b in
      zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_))))
"""


def test_sparse_and_dense_weights_agree_in_a_fresh_process():
    import os
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", _FRESH.format(tests=tests)],
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) < 1e-10


@pytest.mark.parametrize("first", ["sparse", "dense"])
def test_warm_start_across_sparse_and_dense_input_equals_dense_throughout(first):
    # the weights and Adam's averages change layout between the two fits
    X, y = wide_sparse_problem(seed=1)
    inputs = {"sparse": sp.csr_matrix(X), "dense": X}
    second = "dense" if first == "sparse" else "sparse"
    mixed = _net().set_params(warm_start=True, max_iter=3)
    mixed.fit(inputs[first], y).fit(inputs[second], y)
    plain = _net().set_params(warm_start=True, max_iter=3).fit(X, y).fit(X, y)
    for a, b in zip(mixed.coefs_ + mixed.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_weights_in_the_dense_layout_step_correctly_on_a_sparse_batch():
    # train_epoch given a dense-layout (column-ordered) wide layer and sparse X: its
    # workspace lays the gradient out by rows, so no one-vector pass may pair them
    rng = np.random.default_rng(2)
    arch = Architecture((40, 3, 3), "relu")
    X = rng.standard_normal((12, 40)) * (rng.random((12, 40)) < 0.3)
    Y = losses.one_hot(np.arange(12) % 3, 3)
    w = np.ones(12)
    results = []
    for data in (X, sp.csr_matrix(X)):
        coefs, intercepts = network.init_params(arch, "he", np.random.default_rng(0))
        assert coefs[0].flags.f_contiguous
        rule, layout = Adam(), FlatLayout(arch.layer_sizes)
        state = {"t": 0}  # Adam's averages as one vector each, in the weights' layout
        for slot in ("m", "v"):
            averages = layout.views(np.zeros(layout.size))
            state[slot] = averages[0] + averages[1]
        train_epoch(arch, coefs, intercepts, rule, state, data,
                    Y, w, LoopSettings(learning_rate=0.1, alpha=0.1), 0.1,
                    np.random.default_rng(0))
        results.append(coefs + intercepts)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


class _PeakPerEpoch:
    """A monitor measuring what each epoch allocates beyond what it started with."""

    def __init__(self):
        self.extra = []

    def on_epoch_end(self, record, coefs, intercepts):
        current, peak = tracemalloc.get_traced_memory()
        if record["epoch"] > 1:
            self.extra.append(peak - self.start)
        tracemalloc.reset_peak()
        self.start = current
        return False


def test_a_sparse_epoch_allocates_nothing_of_the_first_layers_size():
    # 2,000 features -> 16 units: W is 256 kB; a mini-batch touches a few dozen
    # of its rows. Neither the forward product nor the gradient may copy or
    # allocate the whole layer at every mini-batch.
    rng = np.random.default_rng(3)
    X = sp.random(120, 2_000, density=0.005, format="csr", random_state=3)
    arch = Architecture((2_000, 16, 3), "relu")
    Y = losses.one_hot(rng.integers(0, 3, 120), 3)
    coefs, intercepts = network.init_params(arch, "he", rng)
    monitor = _PeakPerEpoch()
    tracemalloc.start()
    try:
        run_training(arch, coefs, intercepts, Adam(), None, X, Y, np.ones(120),
                     LoopSettings(batch_size=40, alpha=1e-4), rng, max_epochs=3,
                     monitors=[monitor])
    finally:
        tracemalloc.stop()
    assert max(monitor.extra) < coefs[0].nbytes / 4, monitor.extra


def test_float32_sparse_input_trains_float32_weights_like_dense_float32():
    X, y = wide_sparse_problem(seed=4)
    X = X.astype(np.float32)
    dense = _net().fit(X, y)
    sparse = _net().fit(sp.csr_matrix(X), y)
    for a, b in zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_sparse_epoch_reports_the_dense_epochs_gradient_norms():
    # the sparse first layer's ||dW|| comes out of the gradient's own pass (by
    # blocks of rows: 5,000 features x 8 units spans two), the dense one's from a
    # separate norm; both are the same numbers
    rng = np.random.default_rng(5)
    arch = Architecture((5_000, 8, 3), "relu")
    X = rng.standard_normal((30, 5_000)) * (rng.random((30, 5_000)) < 0.01)
    Y = losses.one_hot(np.arange(30) % 3, 3)
    norms = []
    for data in (X, sp.csr_matrix(X)):
        coefs, intercepts = network.init_params(arch, "he", np.random.default_rng(0),
                                                sparse_input=sp.issparse(data))
        norms.append(train_epoch(arch, coefs, intercepts, Adam(), Adam().init(
            coefs + intercepts), data, Y, np.ones(30), LoopSettings(
                batch_size=10, alpha=0.1), 0.01, np.random.default_rng(0))[2])
    assert min(norms[0]) > 0
    np.testing.assert_allclose(norms[1], norms[0], rtol=1e-12)


def test_an_augmentation_still_sees_sparse_batches_as_csr_rows():
    # the loop takes its own mini-batches in CSC; a user's augmentation is handed
    # rows as the estimator holds them (CSR), as before
    X, y = wide_sparse_problem(seed=6)
    seen = []

    def look(batch, rng):  # an augmentation that only records what it is given
        seen.append(batch.format)
        return batch

    DeepNNClassifier((4,), batch_size=16, max_iter=1, tol=None, random_state=0,
                     augmentation=look).fit(sp.csr_matrix(X), y)
    assert seen and set(seen) == {"csr"}
