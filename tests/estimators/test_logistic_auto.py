"""What ScratchLogisticRegression(solver='auto') chooses, and the scale test behind
it and behind L-BFGS's H_0 (estimators/_linear_solvers.py; issue 14)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.estimators import _linear_solvers


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_auto_is_newton_on_small_data_and_lbfgs_above_the_limit(monkeypatch):
    from sklearn.datasets import make_classification

    X, y = make_classification(1500, 60, n_informative=20, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    small = ScratchLogisticRegression().fit(X, y)
    assert small.stop_message_.startswith("Newton's method converged")
    # 1,500 x 60 x 4 multiply-adds per product are under the limit; with the limit
    # below them, 'auto' is L-BFGS (the same fit as solver='lbfgs', bit for bit)
    monkeypatch.setattr(_linear_solvers, "AUTO_NEWTON_MAX_WORK", X.size * 4 - 1)
    large = ScratchLogisticRegression().fit(X, y)
    explicit = ScratchLogisticRegression(solver="lbfgs").fit(X, y)
    assert large.stop_message_.startswith("L-BFGS converged")
    np.testing.assert_array_equal(large.coef_, explicit.coef_)
    # partial_fit: one Newton step per batch, whatever the size
    stepped = ScratchLogisticRegression().partial_fit(X, y, classes=np.unique(y))
    assert stepped.n_iter_ == 1
    newton_step = ScratchLogisticRegression(solver="newton").partial_fit(
        X, y, classes=np.unique(y))
    np.testing.assert_array_equal(stepped.coef_, newton_step.coef_)


def test_auto_keeps_newtons_exact_steps_whatever_the_size(monkeypatch):
    # few parameters (the Hessian itself) or few rows of many features with one
    # output (sample space): exact steps, Newton whatever the work per product
    monkeypatch.setattr(_linear_solvers, "AUTO_NEWTON_MAX_WORK", 0)
    X, y = _scaled(load_breast_cancer)
    assert _linear_solvers.choose_solver("auto", X, np.ones(len(X)), 1, 1.0, False) == "newton"
    wide = np.ones((50, 400))
    assert _linear_solvers.choose_solver("auto", wide, np.ones(50), 1, 1.0, False) == "newton"
    assert _linear_solvers.choose_solver("auto", wide, np.ones(50), 1, 0.0, False) == "lbfgs"
    assert _linear_solvers.choose_solver("auto", wide, np.ones(50), 3, 1.0, False) == "lbfgs"
    assert _linear_solvers.choose_solver("lbfgs", X, np.ones(len(X)), 1, 1.0, False) == "lbfgs"


# -- H_0's diagonal: the bound, or the identity when it spans little --------------------
def _hand_spread(X, alpha):
    """max / min of 1/4 mean x^2 + alpha / n over the features not zero everywhere,
    and 1/4 for the intercept (unit weights)."""
    squares = (X**2).mean(axis=0)
    bounds = np.append(squares[squares > 0] / 4 + alpha / X.shape[0], 0.25)
    return bounds.max() / bounds.min()


@pytest.mark.parametrize("rows", [300, 3000])  # all rows; a strided sample
def test_scales_differ_on_standardised_and_on_scaled_features(rows):
    X = np.random.default_rng(0).standard_normal((rows, 30))
    sw = np.ones(rows)
    assert _hand_spread(X, 1.0) <= 10
    assert not _linear_solvers.scales_differ(X, sw, float(rows), 1.0)
    X[:, 3] *= 100.0  # its curvature bound 1e4 times the others'
    assert _hand_spread(X, 1.0) > 10
    assert _linear_solvers.scales_differ(X, sw, float(rows), 1.0)
    assert _linear_solvers.scales_differ(sp.csr_matrix(X), sw, float(rows), 1.0)


@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_scales_differ_sees_a_rare_feature_the_sample_misses(alpha):
    # a feature non-zero in 6 of 3,000 rows, none of them in the strided sample:
    # over all rows its curvature is far below the others'
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3000, 10))
    X[:, 0] = 0.0
    assert not _linear_solvers.scales_differ(X, np.ones(3000), 3000.0, alpha)
    X[[1, 5, 13, 101, 1001, 2999], 0] = 1.0
    assert _hand_spread(X, alpha) > 10
    assert _linear_solvers.scales_differ(X, np.ones(3000), 3000.0, alpha)


def test_scales_differ_leaves_out_features_zero_in_every_row():
    X = np.random.default_rng(4).standard_normal((2000, 6))
    X[:, 0] = 0.0  # a constant (standardised) column: curvature the penalty's alone
    assert not _linear_solvers.scales_differ(X, np.ones(2000), 2000.0, 2.0)
    # a strong penalty hides scale differences below it (curvatures ~ penalty)
    X[:, 1] *= 100.0
    assert _linear_solvers.scales_differ(X / 1e3, np.ones(2000), 2000.0, 2.0)
    assert not _linear_solvers.scales_differ(X / 1e3, np.ones(2000), 2000.0, 2000.0)


def test_auto_keeps_newton_on_dense_features_of_very_different_scales():
    # review: 2,000 x 400, 3 classes (2.4M multiply-adds, over the limit), columns
    # scaled 1e-2 .. 1e2: L-BFGS hit max_iter=100 where Newton converged in 11
    from sklearn.datasets import make_classification

    X, y = make_classification(2000, 400, n_informative=20, n_classes=3, random_state=0)
    X = X * np.logspace(-2, 2, 400)[np.random.default_rng(0).permutation(400)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scale hint
        model = ScratchLogisticRegression().fit(X, y)
    assert model.stop_message_.startswith("Newton's method converged"), model.stop_message_
    # the same data standardised: L-BFGS (the work is over the limit), also with
    # columns that are zero throughout (their curvature is the penalty's alone)
    scaled = StandardScaler().fit_transform(X)
    scaled[:, :5] = 0.0
    model = ScratchLogisticRegression().fit(scaled, y)
    assert model.stop_message_.startswith("L-BFGS converged"), model.stop_message_
