"""ScratchLogisticRegression(solver='lbfgs') where buffers and layout could leak into
the numbers: the Hessian's diagonal refreshed on sparse X, and the end-of-fit checks
fed by the solver's own last probabilities of a dense X over several row blocks;
each also run in a fresh interpreter, which must give this process's bytes."""

import hashlib
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.core.hessian import BLOCK_BYTES
from sknn_scratch.estimators import _fitting, _linear_solvers

ROOT = Path(__file__).resolve().parents[2]


def _runs():
    """The two fits, with what they handed on: ``(fits, refreshes, predictions)``."""
    refreshes, handed = [], []
    real_diagonal, real_outcome = _linear_solvers.inverse_diagonal, _fitting.fit_outcome

    def diagonal(*args):
        refreshes.append(1)
        return real_diagonal(*args)

    def outcome(*args, predictions=None):
        handed.append(predictions)
        return real_outcome(*args, predictions=predictions)

    _linear_solvers.inverse_diagonal, _fitting.fit_outcome = diagonal, outcome
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the scale hint, max_iter
            # raw breast_cancer as CSR: the diagonal spans 1e6, so H_0 is the
            # Hessian's diagonal, refreshed every 10 steps (steps 0, 10, 20)
            X, y = load_breast_cancer(return_X_y=True)
            sparse = ScratchLogisticRegression(solver="lbfgs", max_iter=26).fit(
                sp.csr_matrix(X), y)
            # 500 x 2,000, 3 classes: the objective's rows in 4 blocks
            rng = np.random.default_rng(3)
            Xd = rng.standard_normal((500, 2000))
            yd = (Xd[:, :3] @ np.array([1.0, -1.0, 0.5]) > 0).astype(int) + (
                Xd[:, 3] > 1.0)
            dense = ScratchLogisticRegression(solver="lbfgs", max_iter=30).fit(Xd, yd)
    finally:
        _linear_solvers.inverse_diagonal = real_diagonal
        _fitting.fit_outcome = real_outcome
    return (sparse, dense, Xd), len(refreshes), handed


def _digest():
    (sparse, dense, _), _, predictions = _runs()
    digest = hashlib.sha256()
    for model in (sparse, dense):
        digest.update(model.coef_.tobytes() + model.intercept_.tobytes()
                      + np.asarray(model.loss_curve_).tobytes())
    for codes in predictions:
        digest.update(codes.tobytes())
    return digest.hexdigest()


def test_refreshed_diagonal_and_end_of_fit_predictions_are_what_they_claim():
    (sparse, dense, Xd), refreshes, predictions = _runs()
    assert 500 > BLOCK_BYTES // (8 * 2000)  # several row blocks in the dense fit
    assert sparse.n_iter_ == 26 and refreshes == 3  # steps 0, 10, 20
    # both fits handed their own predictions to the end-of-fit checks; they are
    # the argmax of X coef^T + intercept (the sigmoid's sign for one output)
    assert len(predictions) == 2 and all(p is not None for p in predictions)
    X, _ = load_breast_cancer(return_X_y=True)
    scores = X @ sparse.coef_.T + sparse.intercept_
    np.testing.assert_array_equal(predictions[0], (scores[:, 0] > 0).astype(int))
    scores = Xd @ dense.coef_.T + dense.intercept_
    np.testing.assert_array_equal(predictions[1], scores.argmax(axis=1))


def test_refreshed_diagonal_and_end_of_fit_predictions_in_a_fresh_interpreter():
    code = ("from tests.estimators import test_logistic_lbfgs_fresh as t\n"
            "print(t._digest())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == _digest()
