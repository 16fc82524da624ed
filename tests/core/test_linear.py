"""The linear model's objective and gradient against a hand-written formula and
finite differences."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, log_softmax, softmax

from sknn_scratch.core import losses
from sknn_scratch.core.linear import LinearObjective


def problem(n_classes, weighted, seed=0, m=11, n=5, scale=1.0):
    rng = np.random.default_rng(seed)
    K = losses.n_outputs(n_classes)
    X = rng.standard_normal((m, n))
    y = np.arange(m) % n_classes
    Y = losses.one_hot(y, n_classes)
    w = rng.uniform(0.3, 2.5, m) if weighted else np.ones(m)
    theta = scale * rng.standard_normal(n * K + K)
    return X, y, Y, w, theta


def sklearn_objective(X, y, w, theta, C, n_classes):
    """LogisticRegression's ``C sum w l + 1/2 ||coef||^2``, divided by ``C sum w``,
    written out with scipy's log-softmax / log-sigmoid (not the package's code)."""
    n = X.shape[1]
    K = theta.size // (n + 1)
    W, b = theta[: n * K].reshape(n, K), theta[n * K:]
    Z = X @ W + b
    if n_classes == 2:  # l = -[y log s(z) + (1 - y) log(1 - s(z))]
        z = Z[:, 0]
        l = -(y * np.log(expit(z)) + (1 - y) * np.log(expit(-z)))
    else:
        l = -log_softmax(Z, axis=1)[np.arange(len(y)), y]
    penalty = 0.0 if np.isinf(C) else 0.5 * np.sum(W**2)
    return (C * (w @ l) + penalty) / (C * w.sum()) if np.isfinite(C) else (w @ l) / w.sum()


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("C", [0.7, np.inf])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_objective_is_sklearns_and_gradient_is_its_finite_differences(
        n_classes, C, weighted, sparse):
    X, y, Y, w, theta = problem(n_classes, weighted)
    X[X < 0.3] = 0.0  # zeros for the sparse case
    alpha = 0.0 if np.isinf(C) else 1.0 / C
    objective = LinearObjective(sp.csr_matrix(X) if sparse else X, Y, w, w.sum(), alpha)
    f, g = objective(theta)
    assert f == pytest.approx(sklearn_objective(X, y, w, theta, C, n_classes), rel=1e-13)
    eps = 1e-6
    numeric = np.array([
        (sklearn_objective(X, y, w, theta + eps * e, C, n_classes)
         - sklearn_objective(X, y, w, theta - eps * e, C, n_classes)) / (2 * eps)
        for e in np.eye(theta.size)])
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_of_the_point_evaluated_last_are_fresh_arrays(n_classes):
    X, y, Y, w, theta = problem(n_classes, False)
    objective = LinearObjective(X, Y, w, w.sum(), 0.5)
    objective(theta)
    first = objective.probabilities
    K = Y.shape[1]
    Z = X @ theta[:-K].reshape(-1, K) + theta[-K:]
    expected = expit(Z) if K == 1 else softmax(Z, axis=1)
    np.testing.assert_allclose(first, expected, rtol=1e-14)
    kept = first.copy()
    objective(2.0 * theta)  # a later evaluation must not overwrite them
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_array_equal(objective.theta, 2.0 * theta)


def test_softmax_loss_with_logits_beyond_exp_overflow_is_finite_and_exact():
    # logits of +-2,000 (e^2000 overflows): the row maximum shift, as logsumexp
    X, y, Y, w, theta = problem(3, True, scale=400.0)
    objective = LinearObjective(X, Y, w, w.sum(), 1.0)
    f, g = objective(theta)
    assert np.isfinite(f) and np.all(np.isfinite(g))
    assert f == pytest.approx(sklearn_objective(X, y, w, theta, 1.0, 3), rel=1e-13)


def test_float32_x_gives_the_float64_objective_of_its_values():
    X, y, Y, w, theta = problem(3, True)
    X32 = X.astype(np.float32)
    f32, g32 = LinearObjective(X32, Y, w, w.sum(), 1.0)(theta)
    f64, g64 = LinearObjective(X32.astype(np.float64), Y, w, w.sum(), 1.0)(theta)
    assert f32 == f64 and g32.dtype == np.float64
    np.testing.assert_allclose(g32, g64, rtol=1e-15, atol=1e-16)


def numpy_reference(X, Y, w, alpha, theta):
    """``(J, gradient, P)`` written out in plain NumPy from the module docstring's
    formulas (a dense ``X``; row-maximum shifted log-sum-exp, no fused passes)."""
    n, K = X.shape[1], Y.shape[1]
    W, b = theta[: n * K].reshape(n, K), theta[n * K:]
    Z = X @ W + b
    S = w.sum()
    if K == 1:  # l = log(1 + e^z) - y z, p = 1 / (1 + e^-z)
        z = Z[:, 0]
        loss = np.logaddexp(0.0, z) - Y[:, 0] * z
        P = (0.5 * (1.0 + np.tanh(0.5 * z)))[:, None]
    else:  # l = logsumexp(z) - z_y, p = e^(z - max) / sum e^(z - max)
        top = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - top)
        loss = (top[:, 0] + np.log(E.sum(axis=1))) - (Z * Y).sum(axis=1)
        P = E / E.sum(axis=1, keepdims=True)
    D = (w / S)[:, None] * (P - Y)
    J = (w @ loss + 0.5 * alpha * np.sum(W * W)) / S
    grad = np.concatenate([(X.T @ D + alpha * W / S).ravel(), D.sum(axis=0)])
    # a bound on the round-off of the gradient's sums (of n terms each)
    slack = np.concatenate([(np.abs(X).T @ np.abs(D) + alpha * np.abs(W) / S).ravel(),
                            np.abs(D).sum(axis=0)])
    return J, grad, P, slack


def assert_reference_results(objective, X, Y, w, alpha, point):
    """``objective(point)`` and its probabilities are :func:`numpy_reference`'s: the
    gradient within the round-off bound of its sums of ``len(X)`` terms."""
    J, g = objective(point)
    J_ref, g_ref, P_ref, slack = numpy_reference(X, Y, w, alpha, point)
    assert J == pytest.approx(J_ref, rel=1e-14)
    assert np.all(np.abs(g - g_ref) <= len(X) * np.finfo(float).eps * slack + 1e-300)
    np.testing.assert_allclose(objective.probabilities, P_ref, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("weights", ["ones", "equal", "varied"])
@pytest.mark.parametrize("form", ["dense", "csr", "csc"])
def test_objective_gradient_and_probabilities_are_the_plain_numpy_ones(
        n_classes, weights, form):
    # wider than test_objective_is_sklearns...: several rows per class, logits of
    # all signs and of |z| up to ~20 (the one-exponential sigmoid's both branches)
    rng = np.random.default_rng(n_classes)
    m, n = 300, 40
    X = rng.standard_normal((m, n)) * (rng.random((m, n)) < 0.3)
    y = rng.integers(0, n_classes, m)
    Y = losses.one_hot(y, n_classes)
    w = {"ones": np.ones(m), "equal": np.full(m, 2.5),
         "varied": rng.uniform(0.2, 3.0, m)}[weights]
    K = Y.shape[1]
    theta = 2.0 * rng.standard_normal(n * K + K)
    Xf = {"dense": X, "csr": sp.csr_matrix(X), "csc": sp.csc_matrix(X)}[form]
    objective = LinearObjective(Xf, Y, w, w.sum(), 0.7)
    for point in (theta, 0.1 * theta):  # a second call through the reused buffers
        assert_reference_results(objective, X, Y, w, 0.7, point)
        assert objective.probabilities.shape == (m, K)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_dense_objective_over_several_row_blocks_is_the_plain_numpy_one(n_classes):
    # 500 x 2,000 float64: blocks of 2 MB / (8 x 2,000) = 131 rows, so 4 blocks, the
    # last one short; the gradient is summed block by block through its own buffer
    from sknn_scratch.core import hessian

    rng = np.random.default_rng(11)
    m, n = 500, 2000
    X = rng.standard_normal((m, n))
    y = rng.integers(0, n_classes, m)
    Y = losses.one_hot(y, n_classes)
    w = rng.uniform(0.2, 3.0, m)
    K = Y.shape[1]
    theta = 0.05 * rng.standard_normal(n * K + K)
    objective = LinearObjective(X, Y, w, w.sum(), 0.7)
    assert objective.block_rows == hessian.BLOCK_BYTES // (8 * n) == 131
    at_zero = np.concatenate([np.zeros(n * K), theta[n * K:]])  # X W = 0 skipped
    for point in (theta, at_zero, -theta):  # later calls through the reused buffers
        assert_reference_results(objective, X, Y, w, 0.7, point)

@pytest.mark.parametrize("n_classes", [2, 10])
def test_objective_and_gradient_are_sklearns_linear_model_loss(n_classes):
    # scikit-learn's own loss_gradient (what its lbfgs and newton-cg call), to
    # round-off: C = 1 / alpha, the mean loss with l2_reg_strength = alpha / n
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.linear_model._linear_loss import LinearModelLoss

    rng = np.random.default_rng(5)
    m, n = 500, 30
    X = sp.csr_matrix(rng.standard_normal((m, n)) * (rng.random((m, n)) < 0.2))
    y = rng.integers(0, n_classes, m)
    Y = losses.one_hot(y, n_classes)
    K = Y.shape[1]
    theta = rng.standard_normal(n * K + K)
    J, g = LinearObjective(X, Y, np.ones(m), float(m), 2.0)(theta)
    W, b = theta[: n * K].reshape(n, K), theta[n * K:]
    if K == 1:
        reference = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        coef = np.concatenate([W[:, 0], b])
    else:
        reference = LinearModelLoss(HalfMultinomialLoss(n_classes=K), fit_intercept=True)
        coef = np.column_stack([W.T, b]).ravel(order="F")
    J_sk, g_sk = reference.loss_gradient(coef, X, y.astype(float), l2_reg_strength=2.0 / m)
    if K > 1:  # sklearn's (K, n + 1) back to ours: W row by row, then b
        g_sk = g_sk.reshape(K, n + 1, order="F") if g_sk.ndim == 1 else g_sk
        g_sk = np.concatenate([g_sk[:, :n].T.ravel(), g_sk[:, n]])
    assert J == pytest.approx(J_sk, rel=1e-13)
    np.testing.assert_allclose(g, g_sk, rtol=1e-11, atol=1e-14 * np.abs(g_sk).max())


def test_sigmoid_at_zero_and_at_saturated_logits_is_exact():
    # z = 0: p = 1/2 and l = log 2 exactly; |z| = 800: e^-|z| = 0, so p is 0 or 1
    # and l = max(z, 0) - y z exactly (0 or 800)
    X = np.array([[0.0], [1.0], [-1.0], [1.0], [-1.0]])
    Y = np.array([[1.0], [1.0], [1.0], [0.0], [0.0]])
    w = np.ones(5)
    objective = LinearObjective(X, Y, w, 5.0, 0.0)
    J, g = objective(np.array([800.0, 0.0]))
    np.testing.assert_array_equal(objective.probabilities[:, 0], [0.5, 1.0, 0.0, 1.0, 0.0])
    # losses: log 2, 0, 800, 800, 0
    assert J == pytest.approx((np.log(2.0) + 1600.0) / 5.0, rel=1e-15)
    # D = (p - y) / 5: -0.1, 0, -0.2, 0.2, 0; dJ/dW = X^T D, dJ/db = sum D
    np.testing.assert_allclose(g, [0.2 + 0.2, -0.1 - 0.2 + 0.2], rtol=1e-15)


def test_gradients_of_successive_calls_are_independent_arrays():
    # the dense gradient goes through a buffer reused from call to call: each
    # returned gradient must stay as it was
    X, y, Y, w, theta = problem(4, True, m=30, n=6)
    objective = LinearObjective(X, Y, w, w.sum(), 1.0)
    f1, g1 = objective(theta)
    kept = g1.copy()
    f2, g2 = objective(-theta)
    np.testing.assert_array_equal(g1, kept)
    assert not np.array_equal(g1, g2)


def test_reused_buffers_give_the_reference_results_in_a_fresh_interpreter():
    # the buffers (logits, the gradient's rows, SciPy's kernels checked once) are
    # set up anew in another process: the same comparisons must hold there
    root = str(Path(__file__).resolve().parents[2])
    code = ("from tests.core import test_linear as t\n"
            "t.test_gradients_of_successive_calls_are_independent_arrays()\n"
            "for form, k in (('dense', 10), ('csr', 2), ('csc', 3)):\n"
            "    t.test_objective_gradient_and_probabilities_are_the_plain_numpy_ones("
            "k, 'equal', form)\n"
            "for k in (2, 3):\n"
            "    t.test_dense_objective_over_several_row_blocks_is_the_plain_numpy_one("
            "k)\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def _blocked_digest():
    """sha256 of ``(J, gradient, P)`` of two calls on 500 x 2,000 (4 row blocks)."""
    import hashlib

    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((500, 2000)), rng.integers(0, 3, 500)
    objective = LinearObjective(X, losses.one_hot(y, 3), np.ones(500), 500.0, 0.7)
    digest = hashlib.sha256()
    for scale in (0.05, -0.1):
        J, g = objective(scale * rng.standard_normal(2000 * 3 + 3))
        digest.update(np.float64(J).tobytes() + g.tobytes()
                      + objective.probabilities.tobytes())
    return digest.hexdigest()


def test_blocked_dense_objective_gives_the_same_bytes_in_a_fresh_interpreter():
    # np.empty buffers (P, the block's gradient) and the block loop in a new process
    # must give this process's bytes exactly
    root = str(Path(__file__).resolve().parents[2])
    code = "from tests.core import test_linear as t\nprint(t._blocked_digest())\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == _blocked_digest()


def test_soft_targets_give_the_cross_entropy_of_their_distribution():
    # rows of Y that are distributions, not one-hot (z_y then is sum_k y_k z_k,
    # taken as a product rather than gathered): l = logsumexp(z) - sum_k y_k z_k
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 4))
    Y = rng.dirichlet(np.ones(3), size=50)
    w = rng.uniform(0.5, 2.0, 50)
    theta = rng.standard_normal(4 * 3 + 3)
    objective = LinearObjective(X, Y, w, w.sum(), 0.4)
    J, g = objective(theta)
    J_ref, g_ref, P_ref, slack = numpy_reference(X, Y, w, 0.4, theta)
    assert objective.true_logits is None
    assert J == pytest.approx(J_ref, rel=1e-14)
    assert np.all(np.abs(g - g_ref) <= 50 * np.finfo(float).eps * slack)
    np.testing.assert_allclose(objective.probabilities, P_ref, rtol=1e-14)
