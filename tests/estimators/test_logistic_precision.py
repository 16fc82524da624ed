"""Newton's conjugate-gradient path in float64 (adversarial review of float32
Hessian products, reverted): the products decide how well each step solves
``H p = -g`` and the Newton decrement that confirms convergence, so their
precision shows in where the default stopping rule lands, in how a resumed fit
continues and in how many iterations a weakly penalised fit takes."""

import os
import subprocess
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification
from threadpoolctl import threadpool_limits

from sknn_scratch import ScratchLogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_dense_and_csr_fits_agree_to_round_off_on_the_cg_path():
    # 610 parameters: conjugate gradient (not the exact 128-parameter step). The
    # same float64 products on dense and CSR X give the same steps, so the same
    # point (5e-14 apart); float32 products on dense X only: 1.2e-6 apart.
    X, y = make_classification(n_samples=600, n_features=60, n_informative=20,
                               n_redundant=0, n_classes=10, n_clusters_per_class=1,
                               random_state=10)
    with threadpool_limits(limits=1):
        dense = ScratchLogisticRegression().fit(X, y)
        sparse = ScratchLogisticRegression().fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(dense.intercept_, sparse.intercept_, rtol=0, atol=1e-8)


def test_weak_penalty_does_not_slow_newton_down():
    # C=1e6 on 60 rows: the penalty's curvature alpha/S ~ 1.7e-8 is below float32's
    # resolution of H; float32 products took 50 iterations (float64: 22)
    X, y = make_classification(n_samples=60, n_features=200, n_informative=10,
                               n_redundant=0, n_classes=5, n_clusters_per_class=1,
                               random_state=2)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ScratchLogisticRegression(C=1e6).fit(X, y)
    assert model.n_iter_ <= 25


def test_warm_start_continues_a_cg_fit_exactly():
    # raw digits: ill-conditioned, CG solves run long; the resumed fit must take
    # the same steps as the uninterrupted one (no state beyond the weights)
    X, y = load_digits(return_X_y=True)
    X, y = X[:900], y[:900]
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = ScratchLogisticRegression().fit(X, y)
        part = ScratchLogisticRegression(max_iter=whole.n_iter_ - 5).fit(X, y)
        first_iterations = part.n_iter_
        resumed = part.set_params(max_iter=100, warm_start=True).fit(X, y)
    assert first_iterations + resumed.n_iter_ == whole.n_iter_
    assert resumed.loss_curve_ == whole.loss_curve_
    np.testing.assert_array_equal(resumed.coef_, whole.coef_)


_WARM_START_SCRIPT = """
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sknn_scratch import ScratchLogisticRegression
warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X, y = X[:900], y[:900]
whole = ScratchLogisticRegression().fit(X, y)
part = ScratchLogisticRegression(max_iter=whole.n_iter_ - 5).fit(X, y)
resumed = part.set_params(max_iter=100, warm_start=True).fit(X, y)
print(resumed.loss_curve_ == whole.loss_curve_, np.array_equal(resumed.coef_, whole.coef_))
"""


def test_warm_start_continues_exactly_in_a_fresh_interpreter():
    # the same, with fresh buffers and the default BLAS threads (the test process
    # runs BLAS on one thread)
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", _WARM_START_SCRIPT], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"]
