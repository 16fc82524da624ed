"""The linear model's objective and gradient against a hand-written formula and
finite differences."""

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
