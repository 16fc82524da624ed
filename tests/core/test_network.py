"""The network: forward by hand, backward against two-sided finite differences."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.core import losses, network
from sknn_scratch.core.network import Architecture

ACTIVATION_NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
HIDDEN = (5, 4, 3)
N_SAMPLES, N_FEATURES = 7, 4
EPSILON = 1e-6  # float64 two-sided differences: truncation ~eps^2, round-off ~1e-16/eps
THRESHOLD = 1e-7


def make_problem(activation, depth, n_classes, weighted, seed=0, dropout=0.0):
    """Small random problem: standard-normal X, random weights and biases."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    arch = Architecture((N_FEATURES, *HIDDEN[:depth], losses.n_outputs(n_classes)),
                        activation)
    coefs = [rng.standard_normal(s) / np.sqrt(s[0])
             for s in zip(arch.layer_sizes[:-1], arch.layer_sizes[1:])]
    intercepts = [0.1 * rng.standard_normal(n) for n in arch.layer_sizes[1:]]
    Y = losses.one_hot(np.arange(N_SAMPLES) % n_classes, n_classes)
    w = rng.uniform(0.2, 3.0, N_SAMPLES) if weighted else np.ones(N_SAMPLES)
    masks = network.draw_dropout_masks(arch, N_SAMPLES, dropout, rng)
    return arch, coefs, intercepts, X, Y, w, masks


def objective(arch, coefs, intercepts, X, Y, w, alpha, masks=None):
    return network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, alpha, masks)[0]


def finite_differences(arch, coefs, intercepts, X, Y, w, alpha, masks=None,
                       eps=EPSILON):
    """(J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps) for every parameter."""
    coefs = [W.copy() for W in coefs]
    intercepts = [b.copy() for b in intercepts]
    approx = []
    for p in coefs + intercepts:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            keep = p[idx]
            p[idx] = keep + eps
            plus = objective(arch, coefs, intercepts, X, Y, w, alpha, masks)
            p[idx] = keep - eps
            minus = objective(arch, coefs, intercepts, X, Y, w, alpha, masks)
            p[idx] = keep
            g[idx] = (plus - minus) / (2 * eps)
        approx.append(g)
    return approx


def rel_error(a, b):
    a = np.concatenate([x.ravel() for x in a])
    b = np.concatenate([x.ravel() for x in b])
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


def backprop(arch, coefs, intercepts, X, Y, w, alpha, masks=None):
    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, alpha, masks)
    return dW + db


# -- backward vs finite differences: the full grid -------------------------------------
GRID = list(itertools.product(ACTIVATION_NAMES, range(4), [0.0, 0.7], [2, 3],
                              [False, True]))


@pytest.mark.parametrize(
    "activation, depth, alpha, n_classes, weighted", GRID,
    ids=[f"{a}-depth{d}-alpha{al}-{k}cls-{'w' if sw else 'unw'}"
         for a, d, al, k, sw in GRID])
def test_backward_matches_finite_differences(activation, depth, alpha, n_classes,
                                             weighted):
    arch, coefs, intercepts, X, Y, w, _ = make_problem(activation, depth, n_classes,
                                                       weighted)
    grads = backprop(arch, coefs, intercepts, X, Y, w, alpha)
    approx = finite_differences(arch, coefs, intercepts, X, Y, w, alpha)
    assert rel_error(grads, approx) < THRESHOLD


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_backward_with_fixed_dropout_masks_matches_finite_differences(activation,
                                                                      n_classes):
    arch, coefs, intercepts, X, Y, w, masks = make_problem(activation, 3, n_classes,
                                                           True, dropout=0.4)
    assert masks is not None and any((m == 0).any() for m in masks)
    grads = backprop(arch, coefs, intercepts, X, Y, w, 0.3, masks)
    approx = finite_differences(arch, coefs, intercepts, X, Y, w, 0.3, masks)
    assert rel_error(grads, approx) < THRESHOLD


# -- forward by hand -------------------------------------------------------------------
def test_forward_without_masks_equals_hand_computation_one_hidden_layer():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 3))
    W1, b1 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((4, 2)), rng.standard_normal(2)
    arch = Architecture((3, 4, 2), "tanh")
    outputs, inputs = network.forward(arch, [W1, W2], [b1, b2], X, masks=None)
    A1 = np.tanh(X @ W1 + b1)
    Z2 = A1 @ W2 + b2
    assert len(outputs) == 2 and len(inputs) == 2
    np.testing.assert_allclose(outputs[0], A1, rtol=1e-14)
    np.testing.assert_allclose(outputs[1], Z2, rtol=1e-13)
    assert inputs[0] is X
    np.testing.assert_allclose(inputs[1], A1, rtol=1e-14)


def test_forward_hand_computation_single_sample_literal_numbers():
    # x = (1, 2); W1 = [[1, -1], [0, 1]], b1 = (0, -1) -> z1 = (1, 0) -> relu (1, 0)
    # W2 = [[2], [5]], b2 = (-0.5,) -> z2 = 2 - 0.5 = 1.5
    arch = Architecture((2, 2, 1), "relu")
    X = np.array([[1.0, 2.0]])
    coefs = [np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([[2.0], [5.0]])]
    intercepts = [np.array([0.0, -1.0]), np.array([-0.5])]
    np.testing.assert_allclose(network.logits(arch, coefs, intercepts, X), [[1.5]])


def test_loss_equals_hand_weighted_cross_entropy_plus_l2():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 3))
    W1, b1 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    W2, b2 = rng.standard_normal((4, 1)), rng.standard_normal(1)
    y = np.array([0, 1, 1, 0, 1])
    w = np.array([1.0, 2.0, 0.5, 1.5, 1.0])
    alpha = 0.3
    arch = Architecture((3, 4, 1), "sigmoid")
    loss, _, _ = network.loss_and_gradients(arch, [W1, W2], [b1, b2], X,
                                            y.reshape(-1, 1).astype(float), w, alpha)
    a1 = 1.0 / (1.0 + np.exp(-(X @ W1 + b1)))
    p = 1.0 / (1.0 + np.exp(-(a1 @ W2 + b2)[:, 0]))
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    expected = (w @ ce) / w.sum() + 0.5 * alpha * ((W1**2).sum() + (W2**2).sum()) / w.sum()
    assert loss == pytest.approx(expected, rel=1e-12)


def test_logistic_regression_gradient_hand_formula():
    # No hidden layer: dJ/dW = X^T (sigma(XW+b) - y) w / sum w, dJ/db = sum (..) w / sum w
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 3))
    W, b = rng.standard_normal((3, 1)), rng.standard_normal(1)
    y = np.array([0.0, 1, 1, 0, 1, 0]).reshape(-1, 1)
    w = rng.uniform(0.5, 2.0, 6)
    arch = Architecture((3, 1), "identity")
    _, dW, db = network.loss_and_gradients(arch, [W], [b], X, y, w)
    r = (1.0 / (1.0 + np.exp(-(X @ W + b))) - y) * w[:, None] / w.sum()
    np.testing.assert_allclose(dW[0], X.T @ r, rtol=1e-12)
    np.testing.assert_allclose(db[0], r.sum(axis=0), rtol=1e-12)


def test_loss_and_gradients_does_not_modify_parameters_or_data():
    arch, coefs, intercepts, X, Y, w, _ = make_problem("tanh", 2, 3, True)
    before = [a.copy() for a in coefs + intercepts + [X, Y, w]]
    network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.5)
    for a, b in zip(coefs + intercepts + [X, Y, w], before):
        np.testing.assert_array_equal(a, b)


def test_gradient_shapes_match_parameter_shapes():
    arch, coefs, intercepts, X, Y, w, _ = make_problem("relu", 3, 3, False)
    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w)
    assert [g.shape for g in dW] == [W.shape for W in coefs]
    assert [g.shape for g in db] == [b.shape for b in intercepts]


def test_integer_sample_weights_equal_row_repetition_in_loss_and_gradients():
    arch, coefs, intercepts, X, Y, _, _ = make_problem("tanh", 2, 3, False)
    counts = np.array([1, 2, 0, 3, 1, 1, 2])
    loss_w, dW_w, db_w = network.loss_and_gradients(arch, coefs, intercepts, X, Y,
                                                    counts.astype(float), 0.4)
    Xr, Yr = np.repeat(X, counts, axis=0), np.repeat(Y, counts, axis=0)
    loss_r, dW_r, db_r = network.loss_and_gradients(arch, coefs, intercepts, Xr, Yr,
                                                    np.ones(counts.sum()), 0.4)
    assert loss_w == pytest.approx(loss_r, rel=1e-13)
    for a, b in zip(dW_w + db_w, dW_r + db_r):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_weight_sum_argument_rescales_the_objective():
    arch, coefs, intercepts, X, Y, w, _ = make_problem("tanh", 1, 2, True)
    loss, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.2)
    loss2, dW2, db2 = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.2,
                                                 weight_sum=2 * w.sum())
    assert loss2 == pytest.approx(loss / 2, rel=1e-13)
    for a, b in zip(dW + db, dW2 + db2):
        np.testing.assert_allclose(b, a / 2, rtol=1e-13)


# -- dropout ---------------------------------------------------------------------------
def test_no_dropout_masks_when_dropout_is_zero_or_no_hidden_layer():
    rng = np.random.default_rng(0)
    assert network.draw_dropout_masks(Architecture((4, 5, 1)), 10, 0.0, rng) is None
    assert network.draw_dropout_masks(Architecture((4, 1)), 10, 0.5, rng) is None


def test_dropout_masks_have_one_per_hidden_layer_with_activation_shape():
    arch = Architecture((4, 5, 3, 2))
    masks = network.draw_dropout_masks(arch, 11, 0.3, np.random.default_rng(0))
    assert [m.shape for m in masks] == [(11, 5), (11, 3)]


def test_dropout_masks_are_zero_or_inverse_keep_prob():
    masks = network.draw_dropout_masks(Architecture((4, 50, 1)), 200, 0.25,
                                       np.random.default_rng(0))
    values = np.unique(masks[0])
    np.testing.assert_allclose(values, [0.0, 1.0 / 0.75])


def test_dropout_masks_have_mean_one_and_drop_the_requested_fraction():
    dropout = 0.3
    masks = network.draw_dropout_masks(Architecture((4, 100, 1)), 5000, dropout,
                                       np.random.default_rng(0))
    m = masks[0]  # 500,000 Bernoulli draws: std of the mean ~ 0.65 / 707
    assert m.mean() == pytest.approx(1.0, abs=0.005)
    assert (m == 0).mean() == pytest.approx(dropout, abs=0.005)


def test_inverted_dropout_preserves_expected_activations():
    rng = np.random.default_rng(6)
    arch = Architecture((3, 8, 1), "sigmoid")
    coefs = [rng.standard_normal((3, 8)), rng.standard_normal((8, 1))]
    intercepts = [rng.standard_normal(8), rng.standard_normal(1)]
    x = rng.standard_normal((1, 3))
    n = 40_000
    X = np.repeat(x, n, axis=0)  # the same sample under n different masks
    masks = network.draw_dropout_masks(arch, n, 0.5, rng)
    _, inputs = network.forward(arch, coefs, intercepts, X, masks)
    a1 = 1.0 / (1.0 + np.exp(-(x @ coefs[0] + intercepts[0])))
    # E[a * mask] = a; the sample mean has std a / sqrt(n) = a / 200 for keep = 1/2
    np.testing.assert_allclose(inputs[1].mean(axis=0), a1[0], rtol=0.02)


def test_forward_with_masks_feeds_masked_activations_to_the_next_layer():
    rng = np.random.default_rng(7)
    arch = Architecture((3, 4, 2), "relu")
    coefs = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    intercepts = [rng.standard_normal(4), rng.standard_normal(2)]
    X = rng.standard_normal((5, 3))
    masks = [np.where(rng.random((5, 4)) < 0.5, 2.0, 0.0)]
    outputs, inputs = network.forward(arch, coefs, intercepts, X, masks)
    A1 = np.maximum(X @ coefs[0] + intercepts[0], 0)
    np.testing.assert_allclose(outputs[0], A1, rtol=1e-14)  # cached before dropout
    np.testing.assert_allclose(inputs[1], A1 * masks[0], rtol=1e-14)
    np.testing.assert_allclose(outputs[1], (A1 * masks[0]) @ coefs[1] + intercepts[1],
                               rtol=1e-13)


# -- sparse input ----------------------------------------------------------------------
@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("depth", [0, 2])
def test_sparse_csr_input_gives_same_loss_and_gradients_as_dense(to_sparse, depth):
    arch, coefs, intercepts, X, Y, w, _ = make_problem("relu", depth, 3, True)
    X[np.abs(X) < 0.7] = 0.0  # make it actually sparse
    dense = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.1)
    sparse = network.loss_and_gradients(arch, coefs, intercepts, to_sparse(X), Y, w, 0.1)
    assert sparse[0] == pytest.approx(dense[0], rel=1e-13)
    for a, b in zip(sparse[1] + sparse[2], dense[1] + dense[2]):
        assert isinstance(a, np.ndarray) and not sp.issparse(a)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n_features", [6, 80])  # 80 -> 5 is a wide layer (transposed)
def test_sparse_input_gradients_through_a_workspace_equal_dense(n_features):
    # The training path: gradients written into the workspace's flat vector, whose
    # wide first layer is stored column by column; sparse and dense must agree there.
    rng = np.random.default_rng(3)
    arch = Architecture((n_features, 5, 3), "relu")
    # the wide layer's weights column by column too, as the training loop keeps them
    coefs = [np.asfortranarray(rng.standard_normal((n_features, 5))),
             rng.standard_normal((5, 3))]
    intercepts = [rng.standard_normal(5), rng.standard_normal(3)]
    X = rng.standard_normal((12, n_features)) * (rng.random((12, n_features)) < 0.2)
    Y = losses.one_hot(np.arange(12) % 3, 3)
    w = rng.uniform(0.5, 2.0, 12)
    dense = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.1,
                                       workspace=network.Workspace(arch, 12))
    dense = (dense[0], [g.copy() for g in dense[1] + dense[2]])
    sparse = network.loss_and_gradients(arch, coefs, intercepts, sp.csr_matrix(X), Y,
                                        w, 0.1, workspace=network.Workspace(arch, 12))
    assert sparse[0] == pytest.approx(dense[0], rel=1e-13)
    for a, b in zip(sparse[1] + sparse[2], dense[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# -- Architecture ----------------------------------------------------------------------
def test_architecture_n_layers_counts_weight_matrices():
    assert Architecture((4, 1)).n_layers == 1
    assert Architecture((4, 5, 3, 2)).n_layers == 3


def test_architecture_repr_is_readable():
    assert repr(Architecture((4, 5, 1), "tanh")) == "Architecture(4 -> 5 -> 1, activation='tanh')"
