"""Sparse products added into buffers, against NumPy's dense products."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.core import sparse


def _problem(dtype=np.float64, seed=0, m=7, n=50, k=4):
    rng = np.random.default_rng(seed)
    dense = rng.standard_normal((m, n)) * (rng.random((m, n)) < 0.2)
    dense[2] = 0.0  # an empty row
    return (dense.astype(dtype), rng.standard_normal((n, k)).astype(dtype),
            rng.standard_normal((m, k)).astype(dtype))


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csr_array, sp.csc_matrix])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_products_add_into_the_buffer_what_dense_numpy_computes(to_sparse, dtype):
    dense, W, dZ = _problem(dtype)
    X = to_sparse(dense)
    start_z, start_w = np.full(dZ.shape, 0.5, dtype), np.full(W.shape, -2.0, dtype)
    Z, dW = start_z.copy(), start_w.copy()
    assert sparse.add_product(X, W, Z) is Z
    assert sparse.add_transpose_product(X, dZ, dW) is dW
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(Z, start_z + dense @ W, rtol=rtol)
    np.testing.assert_allclose(dW, start_w + dense.T @ dZ, rtol=rtol)
    assert Z.dtype == dW.dtype == dtype


def test_products_with_int64_indices_and_column_ordered_buffers_agree_with_dense():
    dense, W, dZ = _problem()
    X = sp.csr_matrix(dense)
    X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    Z = np.asfortranarray(np.zeros(dZ.shape))  # not C-contiguous: the public path
    dW = np.asfortranarray(np.ones(W.shape))
    sparse.add_product(X, np.asfortranarray(W), Z)
    sparse.add_transpose_product(X, dZ, dW)
    np.testing.assert_allclose(Z, dense @ W, rtol=1e-13)
    np.testing.assert_allclose(dW, 1.0 + dense.T @ dZ, rtol=1e-13)


def test_transpose_product_allocates_nothing_of_the_buffers_size():
    # a batch of 20 rows touching few of 20,000 features: SciPy's X.T @ dZ would
    # allocate a zero-filled (20000, 16) result, 2.5 MB
    rng = np.random.default_rng(1)
    X = sp.random(20, 20_000, density=0.001, format="csr", random_state=1)
    dZ, dW = rng.standard_normal((20, 16)), np.zeros((20_000, 16))
    expected = X.toarray().T @ dZ
    tracemalloc.start()
    try:
        sparse.add_transpose_product(X, dZ, dW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < dW.nbytes / 20
    np.testing.assert_allclose(dW, expected, rtol=1e-13, atol=1e-300)


def test_csr_and_csc_give_bit_identical_sums():
    # the training loop hands over CSC mini-batches; prediction uses CSR: the same
    # terms are added in the same order either way
    dense, W, dZ = _problem(seed=2, m=30, n=300, k=8)
    results = []
    for X in (sp.csr_matrix(dense), sp.csc_matrix(dense)):
        Z, dW = np.full(dZ.shape, 0.25), np.full(W.shape, 0.5)
        results.append((sparse.add_product(X, W, Z), sparse.add_transpose_product(X, dZ, dW)))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_array])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_column_products_are_the_dense_ones_and_a_columns_sums_of_several(
        to_sparse, dtype):
    # one column (a sigmoid output) takes SciPy's single-vector kernels: the same
    # terms in the same order as the column of a several-column product
    dense, W, dZ = _problem(dtype, seed=3, m=40, n=300, k=3)
    X = to_sparse(dense)
    w, dz = W[:, 1:2].copy(), dZ[:, 1:2].copy()
    z, dw = np.full((40, 1), 0.5, dtype), np.full((300, 1), -2.0, dtype)
    assert sparse.add_product(X, w, z) is z
    assert sparse.add_transpose_product(X, dz, dw) is dw
    rtol = 1e-5 if dtype == np.float32 else 1e-13  # atol: sums that cancel to ~0
    np.testing.assert_allclose(z, 0.5 + dense @ w, rtol=rtol, atol=rtol * 10)
    np.testing.assert_allclose(dw, -2.0 + dense.T @ dz, rtol=rtol, atol=rtol * 10)
    Z, dW = np.full(dZ.shape, 0.5, dtype), np.full(W.shape, -2.0, dtype)
    sparse.add_product(X, W, Z)
    sparse.add_transpose_product(X, dZ, dW)
    np.testing.assert_array_equal(z[:, 0], Z[:, 1])
    np.testing.assert_array_equal(dw[:, 0], dW[:, 1])
    assert z.dtype == dw.dtype == dtype


class _ChangedKernels:
    """A SciPy whose private kernels changed: another signature, or another meaning."""

    def __init__(self, mode):
        self.mode = mode

    def csr_matvecs(self, *args):
        if self.mode == "signature":
            raise TypeError("csr_matvecs() takes 9 arguments")
        args[-1][:] = 0.0  # "overwrites" instead of adding

    csc_matvecs = csr_matvecs


@pytest.mark.parametrize("mode", ["signature", "meaning"])
def test_a_changed_private_kernel_falls_back_to_the_public_product(monkeypatch, mode):
    assert sparse._kernels_agree(sparse._private_kernels())  # this SciPy's do agree
    monkeypatch.setattr(sparse, "_private_kernels", lambda: _ChangedKernels(mode))
    sparse._checked_kernels.cache_clear()
    try:
        dense, W, dZ = _problem()
        X = sp.csr_matrix(dense)
        Z, dW = np.full(dZ.shape, 0.5), np.ones(W.shape)
        sparse.add_product(X, W, Z)
        sparse.add_transpose_product(X, dZ, dW)
        batch = sparse.CscBatches(X, 3).take(np.array([4, 0, 2]))
    finally:
        sparse._checked_kernels.cache_clear()  # the real kernels are checked anew
    np.testing.assert_allclose(Z, 0.5 + dense @ W, rtol=1e-13)
    np.testing.assert_allclose(dW, 1.0 + dense.T @ dZ, rtol=1e-13)
    assert batch.format == "csc"
    np.testing.assert_array_equal(batch.toarray(), dense[[4, 0, 2]])


class _ChangedSingleVector:
    """SciPy's real kernels but a single-vector one, which overwrites instead of adding."""

    def __init__(self, kernels, changed):
        self.kernels, self.changed = kernels, changed

    def __getattr__(self, name):
        if name != self.changed:
            return getattr(self.kernels, name)
        return lambda *args: args[-1].__setitem__(slice(None), 0.0)


@pytest.mark.parametrize("changed", ["csr_matvec", "csc_matvec"])
def test_a_changed_single_vector_kernel_falls_back_to_the_public_product(
        monkeypatch, changed):
    real = sparse._private_kernels()
    monkeypatch.setattr(sparse, "_private_kernels",
                        lambda: _ChangedSingleVector(real, changed))
    sparse._checked_kernels.cache_clear()
    try:
        assert sparse._checked_kernels() is None
        dense, W, dZ = _problem(k=1)
        X = sp.csr_matrix(dense)
        Z, dW = np.full(dZ.shape, 0.5), np.ones(W.shape)
        sparse.add_product(X, W, Z)
        sparse.add_transpose_product(X, dZ, dW)
    finally:
        sparse._checked_kernels.cache_clear()  # the real kernels are checked anew
    np.testing.assert_allclose(Z, 0.5 + dense @ W, rtol=1e-13)
    np.testing.assert_allclose(dW, 1.0 + dense.T @ dZ, rtol=1e-13)


@pytest.mark.parametrize("factor", [0.0, 0.3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, k", [(5_000, 16), (40_000, 1)])
def test_penalised_gradient_by_rows_is_the_dense_gradient_and_its_norms(
        factor, dtype, n, k):
    # 5,000 features x 16 outputs spans several cache-sized blocks of rows (float64:
    # 2,048 rows each, float32: 4,096), so their boundaries are crossed; so do
    # 40,000 x 1 (32,768 and 65,536 rows), through the single-vector kernel
    dense, W, dZ = _problem(dtype, seed=3, m=9, n=n, k=k)
    out = np.full(W.shape, np.nan, dtype)  # every entry must be written
    norms = sparse.penalised_gradient_by_rows(sp.csc_matrix(dense), dZ, W, factor, out)
    expected = (dense.astype(float).T @ dZ.astype(float)
                + factor * W.astype(float))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * abs(expected).max())
    w_squares = (W.astype(float) ** 2).sum() if factor else 0.0
    np.testing.assert_allclose(norms, (w_squares, (expected ** 2).sum()), rtol=rtol)


def test_penalised_gradient_by_rows_takes_only_column_ordered_batches():
    # CSR rows of X are not rows of X^T: the caller's general path is told so
    dense, W, dZ = _problem()
    out = np.zeros(W.shape)
    assert sparse.penalised_gradient_by_rows(sp.csr_matrix(dense), dZ, W, 0.1, out) is None
    assert sparse.penalised_gradient_by_rows(sp.csc_matrix(dense), dZ.astype(np.float32),
                                             W, 0.1, out) is None
    assert not out.any()


def _same_arrays(a, b):
    assert type(a) is type(b) and a.shape == b.shape
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_csc_batches_are_scipys_row_selection_in_csc(to_sparse, dtype):
    dense = _problem(dtype, seed=4, m=40, n=30)[0]
    dense[7] = 0.0
    X = to_sparse(dense)
    batches = sparse.CscBatches(X, 6)
    order = np.random.default_rng(4).permutation(40)
    for start in range(0, 40, 6):  # the last batch is shorter
        rows = order[start:start + 6]
        _same_arrays(batches.take(rows), X[rows].tocsc())
    rows = order[:6]
    by_columns = X.tocsc()  # not rows of X: SciPy's own selection
    _same_arrays(sparse.CscBatches(by_columns, 6).take(rows), by_columns[rows].tocsc())
    X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    _same_arrays(sparse.CscBatches(X, 6).take(rows), X[rows].tocsc())
    _same_arrays(sparse.CscBatches(X, 100).take(order), X[order].tocsc())  # all rows
    # rows as stored, not canonical: unsorted and duplicated column indices
    messy = sp.csr_matrix((np.array([1.0, 2.0, 3.0, 4.0]), np.array([5, 1, 5, 0]),
                           np.array([0, 3, 3, 4])), shape=(3, 6))
    _same_arrays(sparse.CscBatches(messy, 2).take(np.array([2, 0])),
                 messy[[2, 0]].tocsc())


def test_csc_batches_reuse_their_buffers():
    # 20 rows of a 20,000-feature X at a time: X[rows].tocsc() allocates a CSC
    # matrix per batch (its indptr alone is 80 kB); taken into the buffers, only
    # the short-lived CSR rows are (some 400 entries, 5 kB)
    rng = np.random.default_rng(5)
    X = sp.csr_matrix((rng.random(8_000), (np.repeat(np.arange(400), 20),
                                           rng.integers(0, 20_000, 8_000))),
                      shape=(400, 20_000))
    batches = sparse.CscBatches(X, 20)
    batches.take(np.arange(20))  # the kernels' self-check, once per process
    tracemalloc.start()
    try:
        for start in range(0, 400, 20):
            batch = batches.take(np.arange(start, start + 20))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000, peak
    np.testing.assert_array_equal(batch.toarray(), X[380:].toarray())
