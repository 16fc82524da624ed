"""Multinomial Newton-CG with the per-class block-Jacobi preconditioner (raw digits:
650 parameters, features 0..16 with blank border pixels, where CG preconditioned by
the diagonal alone needed ~1800 Hessian products)."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.core import block_jacobi
from sknn_scratch.core.hessian import LinearHessian

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def raw_digits():
    return load_digits(return_X_y=True)


@pytest.fixture
def counts(monkeypatch):
    """Hessian products and block builds of the fits in the test."""
    seen = {"products": 0, "builds": 0}
    product, build = LinearHessian.product, block_jacobi.BlockJacobi.__init__

    def counted_product(self, *args):
        seen["products"] += 1
        return product(self, *args)

    def counted_build(self, *args):
        seen["builds"] += 1
        build(self, *args)

    monkeypatch.setattr(LinearHessian, "product", counted_product)
    monkeypatch.setattr(block_jacobi.BlockJacobi, "__init__", counted_build)
    return seen


def _reference(X, y, sample_weight=None):
    return LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(
        X, y, sample_weight=sample_weight)


def test_blocks_cut_the_hessian_products_on_raw_digits(raw_digits, counts, monkeypatch):
    X, y = raw_digits
    with threadpool_limits(limits=1):
        ScratchLogisticRegression().fit(X, y)
        with_blocks = dict(counts)
        monkeypatch.setattr(block_jacobi, "MAX_BLOCK_ELEMENTS", 0)  # Jacobi only
        counts.update(products=0, builds=0)
        ScratchLogisticRegression().fit(X, y)
    assert with_blocks["builds"] > 0 and counts["builds"] == 0
    assert with_blocks["products"] < counts["products"] / 3, (with_blocks, counts)


def _dense_and_csr_fits(X, y):
    """Fits on dense and CSR ``X`` at tol=1e-10."""
    dense = ScratchLogisticRegression(tol=1e-10).fit(X, y)
    return dense, ScratchLogisticRegression(tol=1e-10).fit(sp.csr_matrix(X), y)


def test_dense_and_csr_take_the_same_decisions_and_reach_the_same_optimum(raw_digits,
                                                                         counts):
    X, y = raw_digits
    dense = ScratchLogisticRegression(tol=1e-10).fit(X, y)
    dense_counts = dict(counts)
    counts.update(products=0, builds=0)
    csr = ScratchLogisticRegression(tol=1e-10).fit(sp.csr_matrix(X), y)
    # (the product counts may differ by round-off in CG's last residual)
    assert dense_counts["builds"] == counts["builds"] > 0
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=0, atol=1e-8)
    # not by the same steps: CG's stopping test meets round-off differences of the
    # two products (objectives 3e-4 apart after 7 of the iterations), the optimum
    # is the same
    np.testing.assert_allclose(csr.loss_curve_[-1], dense.loss_curve_[-1], rtol=1e-12)


_FRESH_DENSE_AND_CSR = """
import numpy as np
from sklearn.datasets import load_digits
from tests.estimators.test_logistic_blocks import _dense_and_csr_fits
X, y = load_digits(return_X_y=True)
dense, csr = _dense_and_csr_fits(X[:900], y[:900])
print(np.abs(csr.coef_ - dense.coef_).max() <= 1e-8, dense.coef_.tobytes().hex())
"""


def test_dense_and_csr_fits_agree_in_a_fresh_interpreter(raw_digits):
    # LinearObjective and the products reuse np.empty buffers: with the fresh
    # memory of a new process the fits agree as here, and equal this process's
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _FRESH_DENSE_AND_CSR], env=env,
                         cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    X, y = raw_digits
    with threadpool_limits(limits=1):
        dense, _ = _dense_and_csr_fits(X[:900], y[:900])
    assert out == ["True", dense.coef_.tobytes().hex()]


def test_weighted_fit_equals_the_fit_on_repeated_rows(raw_digits, counts):
    X, y = raw_digits[0][:700], raw_digits[1][:700]
    repeats = np.random.default_rng(0).integers(1, 4, len(y))
    weighted = ScratchLogisticRegression().fit(X, y, sample_weight=repeats.astype(float))
    repeated = ScratchLogisticRegression().fit(np.repeat(X, repeats, axis=0),
                                               np.repeat(y, repeats))
    assert counts["builds"] > 0
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=0,
                               atol=1e-7)


def test_float32_raw_digits_reach_the_optimum(raw_digits, counts):
    X, y = raw_digits
    with threadpool_limits(limits=1):
        ours = ScratchLogisticRegression().fit(X.astype(np.float32), y)
        ref = _reference(X, y)
    assert counts["builds"] > 0 and ours.coef_.dtype == np.float32
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-4)


def test_a_tiny_class_reaches_the_optimum(raw_digits, counts):
    # two samples of the digit 9: its block's curvature is nearly all penalty
    X, y = raw_digits
    keep = np.r_[np.flatnonzero(y != 9), np.flatnonzero(y == 9)[:2]]
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = ScratchLogisticRegression().fit(X[keep], y[keep])
        ref = _reference(X[keep], y[keep])
    assert counts["builds"] > 0
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-4)


def test_no_penalty_on_separable_raw_digits_converges_quietly(raw_digits, counts):
    # C=inf: the probabilities tend to 0 and 1, the blocks to 0; their inverse took a
    # step of 1e18 and the line search failed (a ConvergenceWarning) before the
    # blocks got a curvature floor
    X, y = raw_digits
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = ScratchLogisticRegression(C=np.inf).fit(X, y)
    assert counts["builds"] > 0
    assert ours.stop_reason_ == "converged" and ours.score(X, y) == 1.0


def test_a_class_absent_from_partial_fit_data_is_handled(raw_digits, counts):
    # partial_fit with all ten classes declared and the digit 9 missing from the
    # rows: its probabilities only fall, its block is little more than the penalty
    X, y = raw_digits
    rows = y != 9
    est = ScratchLogisticRegression()
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one Newton iteration per call
        for _ in range(25):
            est.partial_fit(X[rows], y[rows], classes=np.arange(10))
    assert counts["builds"] > 0 and np.all(np.isfinite(est.coef_))
    # the optimum of the nine present classes: the absent class's logits are
    # -inf in the limit, so compare the others' differences of logits
    ref = _reference(X[rows], y[rows])
    ours_logits = est.decision_function(X[rows])[:, :9]
    ref_logits = ref.decision_function(X[rows])
    centred = lambda Z: Z - Z.mean(axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(centred(ours_logits), centred(ref_logits), atol=2e-2)


def _resumed_fits_match(X, y, iterations):
    """Whether fits stopped after each of ``iterations`` and resumed by warm_start
    take the uninterrupted fit's steps; and its iteration count."""
    whole = ScratchLogisticRegression().fit(X, y)
    same = []
    for k in iterations:
        part = ScratchLogisticRegression(max_iter=k).fit(X, y)
        resumed = part.set_params(max_iter=100, warm_start=True).fit(X, y)
        same.append(resumed.loss_curve_ == whole.loss_curve_
                    and np.array_equal(resumed.coef_, whole.coef_))
    return same, whole.n_iter_


def test_warm_start_continues_exactly_from_every_iteration(raw_digits, counts):
    # Each fit stopped by max_iter carries the preconditioner policy's state (the
    # last solve's products, where the blocks were built): the resumed fit builds
    # where the uninterrupted fit did, so it takes the same steps -- also from an
    # iteration that ended in a confirming solve (its decision is redone, not
    # skipped). (max_iter=13 converges: a finished fit begins afresh, as its
    # stopping rules do.)
    X, y = raw_digits[0][:900], raw_digits[1][:900]
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same, n_iter = _resumed_fits_match(X, y, range(1, 13))
    assert counts["builds"] > 0 and n_iter == 14
    assert all(same), [k + 1 for k, ok in enumerate(same) if not ok]


_WARM_START = """
import warnings
from sklearn.datasets import load_digits
from tests.estimators.test_logistic_blocks import _resumed_fits_match
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
print(*_resumed_fits_match(X[:900], y[:900], [12])[0])
"""


def test_warm_start_continues_exactly_in_a_fresh_interpreter():
    # the same from iteration 12 (after a build; it ended in a confirming solve),
    # with fresh buffers (one BLAS thread: test_logistic_precision's fresh-process
    # warm start, from iteration 9 with the blocks of iteration 8, runs the default
    # threads)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _WARM_START], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True"]


def test_sparse_input_is_priced_by_its_nonzeros_and_not_densified(counts):
    # review: a 1%-dense CSR X of 500 features took 3 block builds (each densifies X,
    # n (d+1)^2 K) priced as on dense X (~0.25 (d+1) products of 2 nnz K each): a fit
    # 6-8x slower than without them. Priced by its nonzeros a build never pays here.
    rng = np.random.default_rng(0)
    n, d, K = 1500, 500, 4
    X = sp.random(n, d, density=0.01, format="csr", random_state=0,
                  data_rvs=lambda k: rng.poisson(3, k) + 1.0) @ sp.diags(
                      np.logspace(0, 2, d))
    y = np.argmax(X @ rng.normal(size=(d, K)) * 0.05 + rng.gumbel(size=(n, K)), 1)
    ScratchLogisticRegression().fit(X.tocsr(), y)
    # (priced as dense X, a build came after a solve of more than 0.25 (d+1))
    assert counts["products"] > 4 * 0.25 * (d + 1) and counts["builds"] == 0
    policy = block_jacobi.BuildPolicy(n, d, K, nonzero_fraction=0.01)
    assert policy.cost == pytest.approx(0.25 * (d + 1) / 0.01)


def test_no_penalty_keeps_the_coefficients_centred_across_classes(raw_digits):
    # review: without a penalty the same vector added to every class's coefficients
    # changes no probability; the blocks' inverse leaked steps into that direction
    # (|sum_k coef_k| up to 94.5, 3.7e-10 before them; scikit-learn's 8e-17)
    X, y = raw_digits
    y = y.copy()
    rng = np.random.default_rng(0)
    flipped = rng.random(len(y)) < 0.4
    y[flipped] = rng.integers(0, 10, flipped.sum())
    with threadpool_limits(limits=1):
        ours = ScratchLogisticRegression(C=np.inf).fit(X, y)
    assert np.abs(ours.coef_.sum(axis=0)).max() < 1e-6
    assert abs(ours.intercept_.sum()) < 1e-6
