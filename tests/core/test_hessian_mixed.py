"""Mixed-precision Hessian products (float32 copy of X) against float64 ones, within
float32's rounding bound."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.core import hessian, losses, mixed
from sknn_scratch.core.hessian import LinearHessian, output_probabilities
from sknn_scratch.core.mixed import low_precision_copy

U32 = np.finfo(np.float32).eps / 2  # float32's unit round-off, 2^-24


def problem(n_classes, seed=0, m=300, n=20):
    rng = np.random.default_rng(seed)
    K = losses.n_outputs(n_classes)
    X = rng.standard_normal((m, n)) * rng.uniform(0.1, 10.0, n)  # uneven scales
    W, b = rng.standard_normal((n, K)), rng.standard_normal(K)
    w = rng.uniform(0.3, 2.5, m)
    V_W, v_b = rng.standard_normal((n, K)), rng.standard_normal(K)
    return X, output_probabilities(X, W, b), w, V_W, v_b


def rounding_bound(X, P, w, V_W, v_b):
    """First-order bound on a float32 evaluation of H V's data part: ``gamma_m`` times
    the same chain of products on absolute values (Higham's bound for sums of
    products, ``gamma_m = m u / (1 - m u)``, ``m`` counting every rounding along
    one path: the two inner products, the row dot, the casts and the
    elementwise steps)."""
    n, d = X.shape
    K = P.shape[1]
    m = d + n + K + 8
    gamma = m * U32 / (1 - m * U32)
    A = np.abs(X) @ np.abs(V_W) + np.abs(v_b)  # bounds |R{Z}|
    if K == 1:
        RP = P * (1 - P) * A
    else:
        RP = P * (A + (P * A).sum(axis=1, keepdims=True))
    RP *= (w / w.sum())[:, None]
    return gamma * (np.abs(X).T @ RP), gamma * RP.sum(axis=0)


@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("blocks", [False, True])
def test_float32_products_agree_with_float64_within_float32_rounding(
        n_classes, blocks, monkeypatch):
    if blocks:  # rows in blocks of 24, as for an X larger than the cache
        monkeypatch.setattr(hessian, "CACHED_BYTES", 1000)
        monkeypatch.setattr(hessian, "BLOCK_BYTES", 2000)
    X, P, w, V_W, v_b = problem(n_classes)
    exact = LinearHessian(X, P, w, w.sum(), 0.3)
    low = LinearHessian(X, P, w, w.sum(), 0.3, X_low=low_precision_copy(X))
    assert low.low.X_low.dtype == np.float32
    HV_W, hv_b = exact.product(V_W, v_b)
    HV32_W, hv32_b = low.product(V_W, v_b)
    assert HV32_W.dtype == hv32_b.dtype == np.float64
    bound_W, bound_b = rounding_bound(X, P, w, V_W, v_b)
    assert np.all(np.abs(HV32_W - HV_W) <= bound_W)
    assert np.all(np.abs(hv32_b - hv_b) <= bound_b)
    # and they are float32's numbers, not float64's
    assert np.max(np.abs(HV32_W - HV_W) / bound_W) > 1e-5


def test_float32_softmax_products_keep_the_intercept_null_direction():
    # H u = 0 for u = every intercept alike; the products' intercept part sums to 0
    # over the classes, and each feature's row too (R{P}'s rows sum to 0)
    X, P, w, V_W, v_b = problem(4)
    low = LinearHessian(X, P, w, w.sum(), 0.0, X_low=low_precision_copy(X))
    HV_W, hv_b = low.product(V_W, v_b)
    scale = np.abs(HV_W).max()
    np.testing.assert_allclose(HV_W.sum(axis=1), 0.0, atol=1e-14 * scale)
    assert abs(hv_b.sum()) <= 1e-14 * np.abs(hv_b).max()


@pytest.mark.parametrize("n_classes", [2, 4])
def test_a_float32_product_that_overflows_is_redone_in_float64(n_classes):
    # a direction of 1e37 (CG preconditioned on features of tiny scale): X V
    # exceeds float32's 3.4e38 while float64 has room
    X, P, w, V_W, v_b = problem(n_classes)
    V_W, v_b = 1e37 * V_W, 1e37 * v_b
    exact = LinearHessian(X, P, w, w.sum(), 0.3).product(V_W, v_b)
    low = LinearHessian(X, P, w, w.sum(), 0.3, X_low=low_precision_copy(X))
    HV_W, hv_b = low.product(V_W, v_b)
    assert low.low is None  # and the next products run in float64 too
    np.testing.assert_array_equal(HV_W, exact[0])
    np.testing.assert_array_equal(hv_b, exact[1])


def test_low_precision_copy_is_x_with_a_column_of_ones_in_float32(monkeypatch):
    X = np.arange(12.0).reshape(4, 3)
    for given in (X, X.astype(np.float32)):
        copy = low_precision_copy(given)
        assert copy.dtype == np.float32 and copy.shape == (4, 4)
        np.testing.assert_array_equal(copy, np.column_stack([X, np.ones(4)]))


def test_low_precision_copy_refuses_sparse_huge_entries_and_large_copies(monkeypatch):
    X = np.arange(12.0).reshape(4, 3)
    assert low_precision_copy(sp.csr_matrix(X)) is None  # sparse: float64 products
    assert low_precision_copy(X * 1e20) is None  # beyond LOW_PRECISION_MAX_ENTRY
    assert low_precision_copy(-X * 1e20) is None
    monkeypatch.setattr(mixed, "LOW_PRECISION_MAX_BYTES", 4 * 4 * 4 - 1)
    assert low_precision_copy(X) is None  # the copy (4 x 4 float32) would be too large
    assert low_precision_copy(X.astype(np.float32)) is None
