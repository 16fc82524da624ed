"""Hessian-vector products against finite differences of the network's gradient."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.core import losses, network
from sknn_scratch.core.hessian import LinearHessian, inverse_diagonal_bound


def output_probabilities(X, W, b):
    """``P = sigmoid/softmax(X W + b)`` (what Newton hands LinearHessian)."""
    return losses.inplace_output(X @ W + b)


def hessian_vector_product(X, P, sample_weight, weight_sum, alpha, V_W, v_b):
    return LinearHessian(X, P, sample_weight, weight_sum, alpha).product(V_W, v_b)
from sknn_scratch.core.network import Architecture


def gradient(arch, W, b, X, Y, w, alpha):
    _, dW, db = network.loss_and_gradients(arch, [W], [b], X, Y, w, alpha)
    return dW[0], db[0]


def make_problem(n_classes, weighted, seed=0, m=9, n=4):
    rng = np.random.default_rng(seed)
    K = losses.n_outputs(n_classes)
    X = rng.standard_normal((m, n))
    W = 0.5 * rng.standard_normal((n, K))
    b = 0.5 * rng.standard_normal(K)
    Y = losses.one_hot(np.arange(m) % n_classes, n_classes)
    w = rng.uniform(0.3, 2.5, m) if weighted else np.ones(m)
    V_W = rng.standard_normal((n, K))
    v_b = rng.standard_normal(K)
    return Architecture((n, K), "identity"), X, W, b, Y, w, V_W, v_b


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("alpha", [0.0, 0.8])
@pytest.mark.parametrize("weighted", [False, True])
def test_hvp_equals_finite_differences_of_gradient(n_classes, alpha, weighted):
    assert_hvp_is_the_gradients_derivative(n_classes, alpha, weighted)


def assert_hvp_is_the_gradients_derivative(n_classes, alpha, weighted):
    """``H V`` against ``(g(theta + eps V) - g(theta - eps V)) / 2 eps``."""
    arch, X, W, b, Y, w, V_W, v_b = make_problem(n_classes, weighted)
    P = output_probabilities(X, W, b)
    HV_W, Hv_b = hessian_vector_product(X, P, w, w.sum(), alpha, V_W, v_b)
    eps = 1e-5
    gW_p, gb_p = gradient(arch, W + eps * V_W, b + eps * v_b, X, Y, w, alpha)
    gW_m, gb_m = gradient(arch, W - eps * V_W, b - eps * v_b, X, Y, w, alpha)
    np.testing.assert_allclose(HV_W, (gW_p - gW_m) / (2 * eps), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(Hv_b, (gb_p - gb_m) / (2 * eps), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_hvp_output_shapes_match_parameters(n_classes):
    arch, X, W, b, Y, w, V_W, v_b = make_problem(n_classes, False)
    HV_W, Hv_b = hessian_vector_product(X, output_probabilities(X, W, b), w, w.sum(),
                                        0.1, V_W, v_b)
    assert HV_W.shape == W.shape and Hv_b.shape == b.shape


@pytest.mark.parametrize("n_classes", [2, 3])
def test_hessian_built_from_hvps_is_symmetric_positive_semidefinite(n_classes):
    arch, X, W, b, Y, w, _, _ = make_problem(n_classes, True)
    P = output_probabilities(X, W, b)
    n_W, K = W.size, b.size
    H = np.empty((n_W + K, n_W + K))
    for i in range(n_W + K):
        e = np.zeros(n_W + K)
        e[i] = 1.0
        HW, hb = hessian_vector_product(X, P, w, w.sum(), 0.0, e[:n_W].reshape(W.shape),
                                        e[n_W:])
        H[:, i] = np.concatenate([HW.ravel(), hb])
    np.testing.assert_allclose(H, H.T, atol=1e-14)
    assert np.linalg.eigvalsh(H).min() > -1e-12


def test_binary_hessian_hand_formula():
    # H_W = X^T diag(w p (1 - p)) X / sum w, for V = (V_W, 0)
    arch, X, W, b, Y, w, V_W, _ = make_problem(2, True)
    p = 1.0 / (1.0 + np.exp(-(X @ W + b)[:, 0]))
    H = X.T @ (X * (w * p * (1 - p))[:, None]) / w.sum()
    HV_W, _ = hessian_vector_product(X, p[:, None], w, w.sum(), 0.0, V_W, np.zeros(1))
    np.testing.assert_allclose(HV_W, H @ V_W, rtol=1e-12)


def test_output_probabilities_are_sigmoid_or_softmax_of_logits():
    arch, X, W, b, Y, w, _, _ = make_problem(2, False)
    np.testing.assert_allclose(output_probabilities(X, W, b),
                               1.0 / (1.0 + np.exp(-(X @ W + b))), rtol=1e-14)
    arch, X, W, b, Y, w, _, _ = make_problem(3, False)
    E = np.exp(X @ W + b)
    np.testing.assert_allclose(output_probabilities(X, W, b),
                               E / E.sum(axis=1, keepdims=True), rtol=1e-13)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_hvp_with_sparse_csr_x_equals_dense(n_classes):
    arch, X, W, b, Y, w, V_W, v_b = make_problem(n_classes, True)
    X[np.abs(X) < 0.6] = 0.0
    P = output_probabilities(X, W, b)
    dense = hessian_vector_product(X, P, w, w.sum(), 0.3, V_W, v_b)
    sparse = hessian_vector_product(sp.csr_matrix(X), output_probabilities(
        sp.csr_matrix(X), W, b), w, w.sum(), 0.3, V_W, v_b)
    for a, c in zip(sparse, dense):
        assert isinstance(a, np.ndarray)
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-15)


def test_inverse_diagonal_bound_is_one_over_the_hessian_diagonal_at_p_one_half():
    # With p = 1/2 every curvature p (1 - p) is 1/4, its largest value, so the bound is
    # the exact diagonal: H e_j for each unit vector e_j, read at j.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 3)) * [1e-3, 1.0, 1e3]
    sw = rng.uniform(0.5, 2.0, 7)
    S, alpha = sw.sum(), 0.3
    H = LinearHessian(X, np.full((7, 1), 0.5), sw, S, alpha)
    exact = []
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1.0
        HW, hb = H.product(e[:3].reshape(3, 1), e[3:])
        exact.append(np.concatenate([HW.ravel(), hb])[j])
    np.testing.assert_allclose(1 / inverse_diagonal_bound(X, sw, S, alpha, 1), exact,
                               rtol=1e-12)


def test_inverse_diagonal_bound_layout_and_zero_columns():
    # W row by row (feature-major, one entry per output), then the intercepts; a column
    # of zeros without penalty has no curvature and gets 1.
    X = np.array([[0.0, 2.0], [0.0, 4.0]])
    inv = inverse_diagonal_bound(X, np.ones(2), 2.0, 0.0, 3)
    np.testing.assert_allclose(inv, [1, 1, 1, 1 / 2.5, 1 / 2.5, 1 / 2.5, 4, 4, 4])
    np.testing.assert_allclose(
        inverse_diagonal_bound(sp.csr_matrix(X), np.ones(2), 2.0, 0.0, 3), inv)


def test_inverse_diagonal_bound_of_sparse_x_with_duplicate_entries_sums_them_first():
    # scipy reads duplicate (row, column) entries as their sum: x = 1 + 2 = 3 here, so
    # the diagonal is 1/4 * 3^2 / 2 (two rows of weight 1, S = 2), not 1/4 (1 + 4) / 2.
    X = sp.csr_matrix((np.array([1.0, 2.0]), np.array([0, 0]), np.array([0, 2, 2])),
                      shape=(2, 1))
    assert not X.has_canonical_format
    inv = inverse_diagonal_bound(X, np.ones(2), 2.0, 0.0, 1)
    np.testing.assert_allclose(inv, [1 / (0.25 * 9 / 2), 4.0])
    assert not X.has_canonical_format  # the caller's matrix is left as it was


# -- issue 14: the whole matrix, for Newton's exact step on a few parameters ------------
def finite_difference_hessian(arch, W, b, X, Y, w, alpha, eps=1e-5):
    """Columns ``(g(theta + eps e_j) - g(theta - eps e_j)) / 2 eps``, Newton's layout."""
    n, K = W.shape
    theta = np.concatenate([W.ravel(), b])
    columns = []
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = eps
        plus = gradient(arch, *unpack(theta + step, n, K), X, Y, w, alpha)
        minus = gradient(arch, *unpack(theta - step, n, K), X, Y, w, alpha)
        columns.append((np.concatenate([plus[0].ravel(), plus[1]])
                        - np.concatenate([minus[0].ravel(), minus[1]])) / (2 * eps))
    return np.array(columns).T


def unpack(theta, n, K):
    return theta[: n * K].reshape(n, K), theta[n * K:]


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("max_elements", [1 << 20, 7])  # one chunk; many chunks of rows
@pytest.mark.parametrize("sparse", [False, True])
def test_hessian_matrix_equals_finite_differences_of_gradient(n_classes, weighted,
                                                              max_elements, sparse):
    arch, X, W, b, Y, w, _, _ = make_problem(n_classes, weighted)
    X[np.abs(X) < 0.5] = 0.0
    H = LinearHessian(sp.csr_matrix(X) if sparse else X, output_probabilities(X, W, b),
                      w, w.sum(), 0.8).matrix(max_elements)
    true = finite_difference_hessian(arch, W, b, X, Y, w, 0.8)
    expected = true.copy()
    if n_classes > 2:
        # softmax: plus s u u^T on the intercepts (all shifted together change
        # nothing), s = the largest intercept curvature (see matrix's docstring)
        K = W.shape[1]
        intercepts = slice(W.size, None)
        expected[intercepts, intercepts] += np.max(np.diag(expected)[intercepts])
        # ... so H's true part has u in its null space
        u = np.r_[np.zeros(W.size), np.ones(K)]
        np.testing.assert_allclose(true @ u, 0.0, atol=1e-8)
    np.testing.assert_allclose(H, expected, rtol=1e-7, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(H) > 0)  # definite: the exact step is one solve


@pytest.mark.parametrize("n_classes", [2, 4])
def test_hvp_block_by_block_of_rows_equals_finite_differences(n_classes, monkeypatch):
    # A dense X above CACHED_BYTES is multiplied in blocks of rows (one pass over
    # memory): here blocks of 2 rows (64 bytes) of the 9, the last one short.
    from sknn_scratch.core import hessian

    monkeypatch.setattr(hessian, "CACHED_BYTES", 0)
    monkeypatch.setattr(hessian, "BLOCK_BYTES", 64)
    assert_hvp_is_the_gradients_derivative(n_classes, 0.8, weighted=True)


@pytest.mark.parametrize("dtype, sparse", [(np.float64, False), (np.float32, False),
                                           (np.float64, True), (np.float32, True)])
def test_sample_space_step_solves_the_newton_system_of_finite_differences(dtype, sparse):
    # 12 rows of 40 features, one sigmoid output: -H^-1 g with H from finite
    # differences of the gradient (the intercept unpenalised).
    from sknn_scratch.core.hessian import SampleSpaceStep

    rng = np.random.default_rng(5)
    X = rng.standard_normal((12, 40))
    W, b = 0.3 * rng.standard_normal((40, 1)), np.array([0.4])
    Y = losses.one_hot(np.arange(12) % 2, 2)
    w = rng.uniform(0.3, 2.5, 12)
    arch = Architecture((40, 1), "identity")
    g = rng.standard_normal(41)
    X[np.abs(X) < 0.5] = 0.0
    H = finite_difference_hessian(arch, W, b, X, Y, w, 0.8)
    fitted = sp.csr_matrix(X.astype(dtype)) if sparse else X.astype(dtype)
    step = SampleSpaceStep(fitted, w, w.sum(), 0.8)(
        output_probabilities(X, W, b), g)
    np.testing.assert_allclose(step, -np.linalg.solve(H, g), rtol=1e-6 if dtype is
                               np.float32 else 1e-7, atol=1e-6)


# -- the inverse of the Hessian's own diagonal (L-BFGS's H_0) -----------------------------
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_inverse_diagonal_is_that_of_the_hessian_matrix(n_outputs, sparse):
    import scipy.sparse as sps

    from sknn_scratch.core.hessian import inverse_diagonal, squared_entries

    rng = np.random.default_rng(5)
    X = (rng.random((60, 7)) < 0.5) * rng.standard_normal((60, 7)) * [1, 10, .1, 1, 3, 1, 1]
    Z = rng.standard_normal((60, n_outputs))
    P = 1 / (1 + np.exp(-Z)) if n_outputs == 1 else np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
    sw = rng.random(60) + 0.5
    # H's own diagonal, entry by entry: H e_j from Hessian-vector products (matrix()
    # adds a curvature along softmax's null direction to the intercepts' block)
    hessian, d, K = LinearHessian(X, P, sw, sw.sum(), 0.7), 7, n_outputs
    diagonal = []
    for j in range((d + 1) * K):
        e = np.zeros((d + 1) * K)
        e[j] = 1.0
        HW, hb = hessian.product(e[: d * K].reshape(d, K), e[d * K:])
        diagonal.append(np.concatenate([HW.ravel(), hb])[j])
    Xs = sps.csr_matrix(X) if sparse else X
    got = inverse_diagonal(Xs, P, sw, sw.sum(), 0.7,
                           squared_entries(Xs) if sparse else None)
    np.testing.assert_allclose(got, 1 / np.array(diagonal), rtol=1e-12)
