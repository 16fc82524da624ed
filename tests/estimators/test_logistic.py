"""ScratchLogisticRegression's Newton solver reaches scikit-learn's optimum."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_scratch import ScratchLogisticRegression


def test_newton_matches_sklearn_newton_cholesky_on_unscaled_digits_multinomial():
    X, y = load_digits(return_X_y=True)
    # One BLAS thread: these small matmuls only lose time to thread start-up and to
    # contention on a busy machine; the numbers are the same.
    with threadpool_limits(limits=1):
        # tol bounds max |gradient| of the mean loss (sklearn's newton-cg rule). The
        # intercepts are weakly determined here: at tol=1e-10 one is still 3e-6 off
        # (as is sklearn's newton-cg at tol=1e-12), so ask for 1e-12.
        ours = ScratchLogisticRegression(C=1.0, tol=1e-12).fit(X, y)
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


# -- issue 16: Newton stops at the optimum (on the gradient), or says why not ----------
def sklearn_objective(X, y, coef, intercept, C, sample_weight=None):
    """LogisticRegression's objective ``C sum_i w_i l_i + 1/2 ||coef||^2``, by hand:
    binary ``l = log(1 + e^z) - y z``; multinomial ``l = logsumexp(z) - z_y``."""
    classes = np.unique(y)
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        z, t = Z[:, 0], (y == classes[1])
        losses = np.logaddexp(0.0, z) - t * z
    else:
        top = Z.max(axis=1)
        lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
        losses = lse - Z[np.arange(len(y)), np.searchsorted(classes, y)]
    return C * float(w @ losses) + 0.5 * float(np.sum(coef ** 2))


def _reference(X, y, C, sample_weight=None):
    return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12,
                              max_iter=1000).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("C", [1.0, 100.0])
@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine],
                         ids=["breast_cancer", "wine"])
def test_newton_reaches_sklearn_optimum_objective_on_raw_data(loader, C):
    # Unscaled features (areas ~1e3 beside ratios ~1e-2): the old step-size rule stopped
    # after 14 iterations at 1.5x (breast_cancer, C=1) to 24x (wine, C=100) the optimum,
    # without a ConvergenceWarning.
    X, y = loader(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)  # the scale hint, expected here
        ours = ScratchLogisticRegression(C=C).fit(X, y)
    ref = _reference(X, y, C)
    best = sklearn_objective(X, y, ref.coef_, ref.intercept_, C)
    reached = sklearn_objective(X, y, ours.coef_, ours.intercept_, C)
    assert reached <= best * (1 + 1e-6), (reached, best)


def test_newton_stops_when_the_largest_gradient_entry_is_below_tol():
    # sklearn's newton-cg rule: max |grad| <= tol for the objective divided by C sum w.
    X, y = load_breast_cancer(return_X_y=True)
    C, tol = 1.0, 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = ScratchLogisticRegression(C=C, tol=tol).fit(X, y)
    residual = C * ((1 / (1 + np.exp(-ours.decision_function(X)))) - y)
    grad = np.concatenate([(residual @ X + ours.coef_[0]), [residual.sum()]])
    assert np.max(np.abs(grad)) / (C * len(y)) <= tol


def test_newton_with_tiny_C_on_imbalanced_data_puts_the_intercept_at_the_log_odds():
    # C=1e-6 pins coef_ near 0 (~1e-5 here, so coef_ @ x moves the logits by ~1e-3),
    # so the unpenalised intercept is the log-odds of the positive class:
    # log(90 / 910) = -2.3136. Features centred far from 0 (at 50) couple coef_ and
    # intercept_; the old step-size rule stopped with the intercept at -2.07.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 5)) + 50.0
    y = np.zeros(1000, dtype=int)
    y[:90] = 1
    ours = ScratchLogisticRegression(C=1e-6).fit(X, y)
    ref = _reference(X, y, 1e-6)
    np.testing.assert_allclose(ours.intercept_, [np.log(90 / 910)], atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)


def test_newton_on_features_near_float64_overflow_warns_with_cause_and_fix():
    # X * 1e100 used to end silently (overflow warnings suppressed) with an all-zero
    # model and n_iter_=1. Now either a fit or a warning that names the cause (round-off
    # or overflow at such scales) and the fix.
    X, y = load_breast_cancer(return_X_y=True)
    est = ScratchLogisticRegression()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X * 1e100, y)
    found = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(found) == 1, [str(w.message) for w in caught]
    message = str(found[0].message)
    assert "float64" in message and "StandardScaler" in message
    assert "max_iter" not in message  # more iterations cannot help
    assert np.any(est.coef_ != 0) and est.n_iter_ > 1


def test_newton_failed_line_search_warns_instead_of_claiming_convergence(monkeypatch):
    # A gradient that disagrees with the objective (here: twice too large) makes every
    # Newton step overshoot; no step length passes the line search.
    from sknn_scratch.core.linear import LinearObjective

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    real = LinearObjective.__call__

    def wrong_gradient(self, theta):
        loss, grad = real(self, theta)
        return loss, -grad  # ascent direction

    monkeypatch.setattr(LinearObjective, "__call__", wrong_gradient)
    with pytest.warns(ConvergenceWarning, match="line search") as record:
        ScratchLogisticRegression().fit(X, y)
    assert "max_iter" in str(record[0].message) or "tol" in str(record[0].message)


# -- sparsify() / densify(), as LogisticRegression's (SparseCoefMixin) ------------------
@pytest.fixture
def sparse_pair():
    """A multinomial fit with many exact zeros in coef_ (digits' blank border pixels),
    and sklearn's LogisticRegression on the same data for the reference behaviour."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    ours = ScratchLogisticRegression(C=0.1).fit(X, y)
    ref = LogisticRegression(C=0.1, max_iter=1000).fit(X, y)
    return X, y, ours, ref


def test_sparsify_makes_coef_csr_like_sklearn_and_returns_self(sparse_pair):
    X, _, ours, ref = sparse_pair
    dense = ours.coef_.copy()
    assert ours.sparsify() is ours and ref.sparsify() is ref
    assert sp.issparse(ours.coef_) and ours.coef_.format == ref.coef_.format == "csr"
    assert ours.coef_.shape == ref.coef_.shape == (10, 64)
    np.testing.assert_array_equal(ours.coef_.toarray(), dense)
    assert ours.coef_.nnz < dense.size  # zero columns are not stored
    assert isinstance(ours.intercept_, np.ndarray)  # the intercept is not converted


def test_sparsified_model_predicts_exactly_as_before(sparse_pair):
    X, _, ours, _ = sparse_pair
    before = {m: getattr(ours, m)(X) for m in
              ("predict", "predict_proba", "predict_log_proba", "decision_function")}
    ours.sparsify()
    for method, expected in before.items():
        np.testing.assert_allclose(getattr(ours, method)(X), expected, rtol=1e-12,
                                   atol=1e-12, err_msg=method)
    np.testing.assert_allclose(ours.decision_function(sp.csr_matrix(X)),
                               before["decision_function"], rtol=1e-12, atol=1e-12)


def test_sparsified_binary_model_predicts_exactly_as_before():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = ScratchLogisticRegression().fit(X, y)
    expected = ours.decision_function(X)
    ours.sparsify()
    assert ours.coef_.shape == (1, 30)
    np.testing.assert_allclose(ours.decision_function(X), expected, rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), (expected > 0).astype(int))


def test_densify_restores_an_ndarray_and_is_a_no_op_when_dense(sparse_pair):
    X, _, ours, _ = sparse_pair
    dense = ours.coef_.copy()
    assert ours.densify() is ours  # no-op on a dense model
    np.testing.assert_array_equal(ours.coef_, dense)
    ours.sparsify().densify()
    assert isinstance(ours.coef_, np.ndarray) and ours.coef_.flags.c_contiguous is False
    assert isinstance(ours.coefs_[0], np.ndarray) and ours.coefs_[0].flags.c_contiguous
    np.testing.assert_array_equal(ours.coef_, dense)


def test_fitting_a_sparsified_model_again_works_and_gives_dense_coef(sparse_pair):
    # sklearn's fit replaces a sparse coef_ by a dense one; warm_start and partial_fit
    # continue from the sparsified weights (densified first).
    X, y, ours, _ = sparse_pair
    expected = ours.coef_.copy()
    ours.sparsify().set_params(warm_start=True).fit(X, y)
    assert isinstance(ours.coef_, np.ndarray)
    # the refit confirms convergence and takes the Newton step it computed for that:
    # the first fit ends 1.6e-6 from the optimum (the last CG solved to 1/10 of the
    # gradient), the refit 6e-8, so it moves by about that
    np.testing.assert_allclose(ours.coef_, expected, atol=5e-6)
    ours.sparsify().partial_fit(X, y)
    assert isinstance(ours.coef_, np.ndarray)


# -- found by the adversarial review of the training-integrity issue ------------------
def test_newton_with_overflowing_sample_weights_warns_naming_them():
    from sknn_scratch.estimators._fitting import DivergenceWarning

    X, y = make_classification(200, 5, random_state=0)
    with pytest.warns(DivergenceWarning, match="sample weights .* sum to inf"):
        model = ScratchLogisticRegression().fit(X, y, sample_weight=np.full(200, 1e306))
    assert model.n_iter_ == 0


def test_newton_with_the_optimum_at_infinity_stops_quietly():
    # separable data without penalty: the loss tends to 0 and so does the decrement
    rng = np.random.RandomState(0)
    X = rng.randn(200, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ScratchLogisticRegression(C=np.inf).fit(X, (X[:, 0] > 0).astype(int))
        weighted = ScratchLogisticRegression().fit(
            X, np.r_[[0] * 100, [1] * 100], sample_weight=np.r_[np.ones(100), np.zeros(100)])
    assert model.score(X, (X[:, 0] > 0).astype(int)) == 1.0
    assert weighted.n_iter_ < 50


def test_newton_refuses_early_stopping_and_follows_a_dev_set():
    X, y = make_classification(300, 5, random_state=0)
    with pytest.raises(ValueError, match="early_stopping=True needs a first-order solver"):
        ScratchLogisticRegression(early_stopping=True).fit(X, y)
    model = ScratchLogisticRegression().fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    assert len(model.validation_scores_) == model.n_iter_ >= 2
    assert model.validation_scores_[-1] == pytest.approx(model.score(X[200:], y[200:]))
    assert model.best_validation_score_ == max(model.validation_scores_)


# -- issue 14: one pass over X per Newton iteration fewer ---------------------------------
def test_newton_takes_the_hessians_probabilities_from_the_line_searchs_logits(monkeypatch):
    # The Hessian is needed where the line search accepted its last evaluation, whose
    # logits X W + b were just computed: recomputing them is one more pass over X per
    # iteration (on 2,000 x 20,000 float64, 320 MB).
    import sknn_scratch.estimators._linear_solvers as solvers
    from sknn_scratch.core.linear import LinearObjective

    evaluated, real_objective = [], LinearObjective.__call__
    real_hessian = solvers.LinearHessian

    def objective(self, theta):
        out = real_objective(self, theta)
        evaluated.append((theta.copy(), self.probabilities))
        return out

    def hessian(X, P, *args):
        # the probabilities of the last point evaluated, not recomputed ones
        assert P is evaluated[-1][1], "X W + b computed again for the Hessian"
        return real_hessian(X, P, *args)

    X, y = load_digits(return_X_y=True)  # 650 parameters: conjugate gradient
    X = StandardScaler().fit_transform(X)
    monkeypatch.setattr(LinearObjective, "__call__", objective)
    monkeypatch.setattr(solvers, "LinearHessian", hessian)
    ours = ScratchLogisticRegression().fit(X, y)
    # and that point is the one Newton stands at: each accepted point was evaluated
    assert ours.n_iter_ > 1 and len(evaluated) > ours.n_iter_
    # and the probabilities are the right ones: the optimum at the default tol
    np.testing.assert_allclose(ours.coef_, _reference(X, y, 1.0).coef_, rtol=0, atol=1e-4)
