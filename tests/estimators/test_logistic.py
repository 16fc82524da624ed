"""ScratchLogisticRegression's Newton solver reaches scikit-learn's optimum."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_scratch import ScratchLogisticRegression


def test_newton_matches_sklearn_newton_cholesky_on_unscaled_digits_multinomial():
    X, y = load_digits(return_X_y=True)
    # One BLAS thread: these small matmuls only lose time to thread start-up and to
    # contention on a busy machine; the numbers are the same.
    with threadpool_limits(limits=1):
        ours = ScratchLogisticRegression(C=1.0, tol=1e-8).fit(X, y)
        ref = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12,
                                 max_iter=1000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape == (10, 64)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    # softmax intercepts are defined up to a constant; both use the centred convention
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_newton_matches_sklearn_lbfgs_on_scaled_breast_cancer(C):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = ScratchLogisticRegression(C=C, tol=1e-8).fit(X, y)
    ref = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=10_000).fit(X, y)
    assert ours.coef_.shape == ref.coef_.shape == (1, 30)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)
