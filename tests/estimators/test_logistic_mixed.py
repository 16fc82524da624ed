"""Newton's method with float32 Hessian products: when they are used, when they fall
back to float64, and the optimum reached (against scikit-learn)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import sknn_scratch.estimators.logistic as logistic
import sknn_scratch.optim.newton as newton
from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.core.hessian import LinearHessian


@pytest.fixture
def hessians(monkeypatch):
    """Every LinearHessian a fit builds, in order."""
    built = []

    class Recorded(LinearHessian):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(logistic, "LinearHessian", Recorded)
    return built


def scaled_digits(n=600):
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X[:n]), y[:n]


def test_a_float32_solve_that_runs_out_of_products_switches_the_fit_to_float64(
        hessians, monkeypatch):
    # CG's budget cut to 6 products: the harder solves use all of it, as CG stalled
    monkeypatch.setattr(newton, "MAX_CG", 6)
    monkeypatch.setattr(logistic, "MAX_CG", 6)
    X, y = scaled_digits()
    ScratchLogisticRegression(max_iter=30).fit(X, y)
    low = [h.low is not None for h in hessians]
    first_stall = next(i for i, h in enumerate(hessians)
                       if h.low is not None and h.n_products >= 6)
    assert all(low[:first_stall + 1]) and not any(low[first_stall + 1:])
    assert len(hessians) > first_stall + 1


def test_products_stay_float64_without_a_penalty(hessians):
    # C=inf: nothing bounds H's smallest curvature (separable data: the weights
    # grow, the probabilities saturate); float32 products cost iterations there
    X, y = scaled_digits(n=300)
    with pytest.warns(ConvergenceWarning, match="max_iter"):  # 3 steps only
        ScratchLogisticRegression(C=np.inf, max_iter=3).fit(X, y)
    assert hessians and all(h.low is None for h in hessians)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        ScratchLogisticRegression(C=1e4, max_iter=3).fit(X, y)
    assert hessians[-1].low is not None


def test_dense_float32_x_reaches_sklearns_optimum(hessians):
    X, y = scaled_digits(n=1797)
    X32 = X.astype(np.float32)
    with threadpool_limits(limits=1):
        ours = ScratchLogisticRegression().fit(X32, y)
        ref = LogisticRegression(tol=1e-10, max_iter=10_000).fit(X32.astype(float), y)
    assert hessians[0].low is not None
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-4)


_FIT_DIGITS = """
import numpy as np, hashlib
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler
from sknn_scratch import ScratchLogisticRegression
X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X[:600])
est = ScratchLogisticRegression().fit(X, y[:600])
print(hashlib.sha256(est.coef_.tobytes() + est.intercept_.tobytes()).hexdigest(), est.n_iter_)
"""


def test_fits_with_float32_products_are_identical_in_fresh_processes():
    # float32 BLAS products must not make a fit depend on the process (memory
    # layout, alignment of the float32 copy)
    import os
    import subprocess
    import sys

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    runs = [subprocess.run([sys.executable, "-c", _FIT_DIGITS], capture_output=True,
                           text=True, check=True, env=env).stdout for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].strip()
