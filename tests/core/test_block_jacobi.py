"""The per-class block-Jacobi preconditioner against finite-difference Hessians."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.core import block_jacobi
from sknn_scratch.core.block_jacobi import BlockJacobi, BuildPolicy
from tests.core.test_hessian import (finite_difference_hessian, make_problem,
                                     output_probabilities)


def class_blocks_of(H, n_features, K):
    """The (d+1) x (d+1) diagonal block of each class in the Newton layout
    (index ``f K + k``, the intercept as feature ``d``)."""
    blocks = []
    for k in range(K):
        index = np.arange(n_features + 1) * K + k
        blocks.append(H[np.ix_(index, index)])
    return blocks


def curvature_floor(X, w):
    """``CURVATURE_FLOOR`` times the diagonal at ``p (1 - p) = 1/4``:
    ``sum_i (w_i / S) x~_if^2 / 4`` (the intercept's ``x~`` is 1)."""
    Xt = np.column_stack([X, np.ones(len(X))])
    return block_jacobi.CURVATURE_FLOOR * (w / w.sum()) @ Xt ** 2 / 4


def expected_application(H, n_features, K, r, floor, alpha):
    """``B^-1 r`` with ``B`` the block diagonal of ``H`` (plus the floor on its
    diagonal), intercepts then centred across the classes; without a penalty
    every feature's weights too."""
    z = np.empty_like(r)
    for k, block in enumerate(class_blocks_of(H, n_features, K)):
        index = np.arange(n_features + 1) * K + k
        z[index] = np.linalg.solve(block + np.diag(floor), r[index])
    rows = z.reshape(n_features + 1, K)[(0 if alpha == 0 else n_features):]
    rows -= rows.mean(axis=1, keepdims=True)
    return z


@pytest.mark.parametrize("layout", ["dense", "csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_block_jacobi_solves_with_the_block_diagonal_of_the_finite_difference_hessian(
        layout, weighted, alpha):
    arch, X, W, b, Y, w, _, _ = make_problem(4, weighted, m=30, n=3)
    X[np.abs(X) < 0.3] = 0.0
    H = finite_difference_hessian(arch, W, b, X, Y, w, alpha)
    fitted = {"dense": X, "csr": sp.csr_matrix(X), "csc": sp.csc_matrix(X)}[layout]
    precondition = BlockJacobi(fitted, output_probabilities(X, W, b), w, w.sum(), alpha)
    r = np.random.default_rng(1).standard_normal(H.shape[0])
    np.testing.assert_allclose(precondition(r),
                               expected_application(H, 3, 4, r, curvature_floor(X, w),
                                                    alpha),
                               rtol=1e-6, atol=1e-8)


def test_block_jacobi_of_a_sparse_x_chunk_by_chunk_equals_the_dense_one(monkeypatch):
    arch, X, W, b, Y, w, _, _ = make_problem(3, True, m=25, n=4)
    X[np.abs(X) < 0.5] = 0.0
    P = output_probabilities(X, W, b)
    dense = BlockJacobi(X, P, w, w.sum(), 0.5).inverse
    monkeypatch.setattr(block_jacobi, "CHUNK_ELEMENTS", 7)  # chunks of one row
    np.testing.assert_allclose(BlockJacobi(sp.csr_matrix(X), P, w, w.sum(), 0.5).inverse,
                               dense, rtol=1e-12, atol=1e-14)


def test_hand_computed_blocks_of_one_feature():
    # x = (1, 2), p_k = (1/2, 1/2) in both rows, w = 1, S = 2, alpha = 2:
    # B_k = sum_i (1/2) p (1 - p) (x_i, 1)(x_i, 1)^T + diag(alpha / S, 0)
    #     = 1/8 [[1 + 4, 1 + 2], [1 + 2, 2]] + [[1, 0], [0, 0]]
    X = np.array([[1.0], [2.0]])
    P = np.full((2, 2), 0.5)
    B = np.array([[5 / 8 + 1, 3 / 8], [3 / 8, 2 / 8]])
    # plus the floor: 1e-6 times the diagonal at p (1 - p) = 1/4, (5/8, 2/8)
    B += block_jacobi.CURVATURE_FLOOR * np.diag([5 / 8, 2 / 8])
    inverse = BlockJacobi(X, P, np.ones(2), 2.0, 2.0).inverse
    np.testing.assert_allclose(inverse, [np.linalg.inv(B)] * 2, rtol=1e-9)
    # r in the Newton layout (w_1 of both classes, then both intercepts)
    r = np.array([1.0, 2.0, 3.0, -1.0])
    z = np.concatenate([np.linalg.solve(B, [1.0, 3.0]), np.linalg.solve(B, [2.0, -1.0])])
    expected = np.array([z[0], z[2], z[1], z[3]])
    expected[2:] -= expected[2:].mean()
    np.testing.assert_allclose(BlockJacobi(X, P, np.ones(2), 2.0, 2.0)(r), expected,
                               rtol=1e-9)


def test_singular_blocks_fall_back_safely():
    # no penalty; class 0 has probability 0 on every row (its block is all zeros),
    # feature 1 is 0 on every row and feature 2 duplicates feature 0 (singular
    # blocks for the other classes too)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    X[:, 1] = 0.0
    X[:, 2] = X[:, 0]
    P = rng.random((20, 3))
    P[:, 0] = 0.0
    P /= P.sum(axis=1, keepdims=True)
    precondition = BlockJacobi(X, P, np.ones(20), 20.0, 0.0)
    assert np.all(np.isfinite(precondition.inverse))
    r = rng.standard_normal(12)
    r[9:] -= r[9:].mean()  # a residual of softmax's system: orthogonal to u
    z = precondition(r)
    # class 0: no curvature at all; its block is the floor, CURVATURE_FLOOR times
    # the diagonal at p (1 - p) = 1/4 (sum_i x_if^2 / 20 / 4), and Jacobi's 1 for
    # the feature that is 0 on every row
    floor = block_jacobi.CURVATURE_FLOOR * np.mean(X ** 2, axis=0) / 4
    inverse = precondition.inverse[0]
    np.testing.assert_allclose(np.diag(inverse)[[0, 2]], 1 / floor[[0, 2]], rtol=1e-8)
    np.testing.assert_allclose(inverse[1, 1], 1.0, rtol=1e-8)
    # positive definite on u's complement (what CG needs of a preconditioner)
    assert r @ z > 0
    # no penalty: every row of [W; b] centred across the classes
    np.testing.assert_allclose(z.reshape(4, 3).sum(axis=1), 0.0, atol=1e-9 * np.abs(z).max())


def test_a_non_finite_block_falls_back_to_the_identity():
    # (of the block scaled to a unit diagonal: the Jacobi inverse 1 / diag(B))
    inverse = block_jacobi.safe_inverse(np.array([np.eye(2) * 4.0, [[np.nan, 0], [0, 1]],
                                                  [[2.0, np.inf], [np.inf, 4.0]]]))
    np.testing.assert_allclose(inverse[0], np.eye(2) / 4.0, rtol=1e-9)
    assert np.all(np.isfinite(inverse[1]))
    # review: a NaN on the diagonal is overwritten by the unit diagonal before the
    # check, so only an off-diagonal one reaches the fallback
    np.testing.assert_allclose(inverse[2], np.diag([1 / 2, 1 / 4]), rtol=1e-15, atol=0)


def test_build_policy_builds_only_after_a_solve_costlier_than_a_build():
    policy = BuildPolicy(1437, 64, 10)  # a build ~ 0.25 * 65 = 16.25 products
    theta = np.arange(3.0)
    assert not policy.build_now(theta)  # no solve yet
    policy.products = 16
    assert not policy.build_now(theta)
    policy.products = 17
    assert policy.build_now(theta)
    np.testing.assert_array_equal(policy.built_at, theta)
    assert policy.products == 0  # counting the next solve


@pytest.mark.parametrize("shape", [(1000, 30, 1),          # one output: never
                                   (500, 600, 10),         # fewer rows than features
                                   (50_000, 50_000, 10),   # section j's sparse shape
                                   (100_000, 700, 10)])    # 39 MB of blocks
def test_build_policy_is_off_where_blocks_cannot_pay(shape):
    policy = BuildPolicy(*shape)
    policy.products = 10_000
    assert not policy.enabled and not policy.build_now(np.zeros(3))
    assert policy.state_at(np.zeros(3)) is None
