"""ScratchLogisticRegression(solver='lbfgs') and what solver='auto' chooses (issue 14)."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchLogisticRegression

ROOT = Path(__file__).resolve().parents[2]


def _scaled(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def objective(model, X, y, C=1.0):
    """scikit-learn's C sum log-loss + 1/2 ||coef||^2, from its own predict_proba."""
    proba = model.predict_proba(X)
    codes = np.searchsorted(model.classes_, y)
    return C * -np.log(proba[np.arange(len(y)), codes]).sum() + 0.5 * np.sum(
        np.asarray(model.coef_) ** 2)


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine, load_digits],
                         ids=["breast_cancer", "wine", "digits"])
def test_lbfgs_at_tol_1e_4_is_as_precise_as_sklearns_lbfgs(loader):
    # the same stopping rule on the same scale: the largest entry of the gradient of
    # sklearn's objective divided by C n, computed here from predict_proba, is at most
    # tol; the objective as close to the optimum as LogisticRegression()'s (where a
    # gradient test stops depends on the path: digits 4.7e-4 relative apart), in a
    # comparable number of iterations
    X, y = _scaled(loader)
    ours = ScratchLogisticRegression(solver="lbfgs").fit(X, y)
    ref = LogisticRegression().fit(X, y)
    Y = (y[:, None] == ours.classes_[None, :]).astype(float)
    P = ours.predict_proba(X)
    R, coef = P - Y, np.asarray(ours.coef_)
    if coef.shape[0] == 1:  # binary: one sigmoid output, the second column's residual
        R = R[:, 1:]
    gradient = np.concatenate([(R.T @ X + coef).ravel(), R.sum(axis=0)]) / len(y)
    assert np.abs(gradient).max() <= 1e-4
    assert objective(ours, X, y) <= objective(ref, X, y) * (1 + 1e-3)
    assert ours.n_iter_ <= 1.5 * ref.n_iter_[0] + 2
    assert ours.stop_reason_ == "converged"
    assert ours.stop_message_.startswith("L-BFGS converged at iteration")


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_lbfgs_reaches_the_optimum_with_a_small_tol(C):
    X, y = _scaled(load_wine)
    ours = ScratchLogisticRegression(solver="lbfgs", C=C, tol=1e-10, max_iter=2000).fit(X, y)
    ref = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12,
                             max_iter=1000).fit(X, y)
    # at tol=1e-10 it stops on scikit-learn's other rule (a decrease within 64 eps
    # of f) near the optimum: 1.6e-5 away at C=100
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=1e-4)


def test_lbfgs_on_raw_features_uses_the_diagonal_and_converges():
    # unscaled breast_cancer (scales 1e-3 .. 1e3): H_0 from the bound on the
    # Hessian's diagonal; without it L-BFGS needs thousands of iterations
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scale hint
        ours = ScratchLogisticRegression(solver="lbfgs", max_iter=3000).fit(X, y)
    ref = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
    assert ours.stop_reason_ == "converged", ours.stop_message_
    assert objective(ours, X, y) <= objective(ref, X, y) * (1 + 1e-4)


def test_sparse_and_dense_lbfgs_agree():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 40)) < 0.1) * rng.random((300, 40)) * 3
    y = np.argmax(X @ rng.standard_normal((40, 3)) + rng.gumbel(size=(300, 3)), axis=1)
    dense = ScratchLogisticRegression(solver="lbfgs", tol=1e-9, max_iter=1000).fit(X, y)
    sparse = ScratchLogisticRegression(solver="lbfgs", tol=1e-9, max_iter=1000).fit(
        sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=0, atol=1e-7)
    # and both at scikit-learn's optimum, not just at each other
    ref = LogisticRegression(solver="newton-cholesky", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(sparse.coef_, ref.coef_, rtol=0, atol=1e-6)


def test_lbfgs_sample_weights_act_as_repeated_rows():
    X, y = _scaled(load_wine)
    w = np.random.default_rng(1).integers(0, 3, size=len(y))
    kw = dict(solver="lbfgs", tol=1e-10, max_iter=2000)
    weighted = ScratchLogisticRegression(**kw).fit(X, y, sample_weight=w)
    repeated = ScratchLogisticRegression(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=0, atol=1e-6)
    ref = LogisticRegression(solver="newton-cholesky", tol=1e-12)
    ref.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(weighted.coef_, ref.coef_, rtol=0, atol=1e-5)


def test_lbfgs_float32_input_gives_float32_weights():
    X, y = _scaled(load_wine)
    model = ScratchLogisticRegression(solver="lbfgs").fit(X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32


def test_lbfgs_max_iter_warns_with_its_own_name():
    X, y = _scaled(load_digits)
    with pytest.warns(ConvergenceWarning, match=r"L-BFGS reached max_iter=3 before"):
        model = ScratchLogisticRegression(solver="lbfgs", max_iter=3).fit(X, y)
    assert model.n_iter_ == 3 and model.stop_reason_ == "max_iter"
    assert "max_iter=3 L-BFGS iterations" in model.stop_message_


def test_lbfgs_overflow_is_a_divergence_not_convergence(monkeypatch):
    from sknn_scratch.core.linear import LinearObjective
    from sknn_scratch.estimators._fitting import DivergenceWarning

    real = LinearObjective.__call__
    calls = []

    def overflowing(self, theta):
        calls.append(1)
        loss, grad = real(self, theta)
        return (loss, grad) if len(calls) < 3 else (np.inf, grad * np.nan)

    monkeypatch.setattr(LinearObjective, "__call__", overflowing)
    X, y = _scaled(load_digits)
    with pytest.warns(DivergenceWarning, match="L-BFGS stopped at iteration"):
        model = ScratchLogisticRegression(solver="lbfgs").fit(X, y)
    assert model.stop_reason_ == "diverged"
    assert np.all(np.isfinite(model.coef_))


def test_lbfgs_unscaled_hint_names_lbfgs():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(Warning, match="L-BFGS then needs many more iterations"):
        ScratchLogisticRegression(solver="lbfgs", max_iter=5).fit(X, y)


@pytest.mark.parametrize("first", ["lbfgs", "newton"])
def test_lbfgs_warm_start_continues_downhill(first):
    # from its own fit (its pairs), or from Newton's (whose state is not pairs:
    # L-BFGS begins afresh)
    X, y = _scaled(load_digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ScratchLogisticRegression(solver=first, max_iter=3, warm_start=True)
        model.fit(X, y)
        before = objective(model, X, y)
        model.set_params(solver="lbfgs", max_iter=100).fit(X, y)
    assert model.stop_reason_ == "converged"
    assert objective(model, X, y) < before
    assert len(model.loss_curve_) == 3 + model.n_iter_


def test_lbfgs_is_deterministic_in_a_fresh_interpreter():
    code = (
        "import numpy as np, hashlib\n"
        "from sklearn.datasets import load_digits\n"
        "from sknn_scratch import ScratchLogisticRegression\n"
        "X, y = load_digits(return_X_y=True)\n"
        "m = ScratchLogisticRegression(solver='lbfgs', max_iter=40).fit(X / 16.0, y)\n"
        "print(hashlib.sha256(m.coef_.tobytes() + m.intercept_.tobytes()).hexdigest())\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    X, y = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ScratchLogisticRegression(solver="lbfgs", max_iter=40).fit(X / 16.0, y)
    import hashlib

    assert out == hashlib.sha256(m.coef_.tobytes() + m.intercept_.tobytes()).hexdigest()


# -- the end-of-fit check from the solver's own last probabilities ----------------------
@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_end_of_fit_check_uses_the_solvers_predictions_without_a_pass(
        monkeypatch, solver, n_classes):
    from sknn_scratch.training import outcome

    X, y = _scaled(load_wine)
    if n_classes == 2:
        y = (y == 0).astype(int)
    model = ScratchLogisticRegression(solver=solver).fit(X, y)
    # what the fitted weights predict, by hand: argmax of X coef^T + b (one output: >0)
    scores = X @ model.coef_.T + model.intercept_
    expected = model.classes_[(scores[:, 0] > 0).astype(int) if n_classes == 2
                              else scores.argmax(axis=1)]
    passes = []
    real = outcome._chunked_logits
    monkeypatch.setattr(outcome, "_chunked_logits",
                        lambda *a: passes.append(1) or real(*a))
    seen = []
    real_fit_outcome = outcome.fit_outcome

    def spy(*args, predictions=None):
        seen.append(predictions)
        return real_fit_outcome(*args, predictions=predictions)

    import sknn_scratch.estimators._fitting as fitting
    monkeypatch.setattr(fitting, "fit_outcome", spy)
    ScratchLogisticRegression(solver=solver).fit(X, y)
    assert passes == [] and seen[0] is not None
    np.testing.assert_array_equal(model.classes_[seen[0]], expected)
    # float32: the stored weights are rounded, so the check makes its own pass
    ScratchLogisticRegression(solver=solver).fit(X.astype(np.float32), y)
    assert seen[1] is None and passes


def test_the_one_class_warning_still_comes_from_the_solvers_predictions():
    # a penalty so strong that every weight is ~0: only the intercept, the majority
    X, y = _scaled(load_breast_cancer)
    with pytest.warns(Warning, match="predicts the class 1 for every training sample"):
        ScratchLogisticRegression(solver="lbfgs", C=1e-8).fit(X, y)


# -- review of lbfgs/auto: each found broken, each a test first -------------------------
def test_lbfgs_warm_start_in_memory_continues_bit_for_bit():
    from sklearn.datasets import make_classification

    X, y = make_classification(500, 20, n_informative=10, n_classes=3, random_state=0)
    kw = dict(solver="lbfgs", tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = ScratchLogisticRegression(max_iter=12, **kw).fit(X, y)
        resumed = ScratchLogisticRegression(max_iter=6, warm_start=True, **kw).fit(X, y)
        resumed.fit(X, y)
        stepped = ScratchLogisticRegression(**kw)
        for _ in range(12):
            stepped.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(resumed.coef_, full.coef_)
    np.testing.assert_array_equal(resumed.loss_curve_, full.loss_curve_)
    # partial_fit on the same data: one L-BFGS iteration per call, the same run
    np.testing.assert_array_equal(stepped.coef_, full.coef_)


@pytest.mark.parametrize("case", ["huge X", "tiny C", "tiny weights"])
def test_lbfgs_on_extreme_scales_ends_with_a_reason_not_a_crash(case):
    # a ZeroDivisionError in the line search's cubic (a closed bracket), and slopes
    # of 1e197 whose squares overflowed it, so only bisection was left
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 10, random_state=0)
    sw, C = None, 1.0
    if case == "huge X":
        X = X * 1e100
    elif case == "tiny C":
        C = 1e-200
    else:
        sw = np.full(300, 1e-200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ScratchLogisticRegression(solver="lbfgs", C=C).fit(X, y, sample_weight=sw)
    ref = LogisticRegression(C=C).fit(X, y, sample_weight=sw) if case != "huge X" else None
    if case == "huge X":  # round-off in the gradient is far above tol: it says so
        assert model.stop_reason_ == "line_search"
        assert any(issubclass(w.category, ConvergenceWarning)
                   and "tol is out of reach" in str(w.message) for w in caught)
    else:  # an ordinary optimum (all weights ~0 at C=1e-200), as scikit-learn's
        assert model.stop_reason_ == "converged", model.stop_message_
        np.testing.assert_allclose(model.coef_, ref.coef_, rtol=0, atol=1e-6)


def test_lbfgs_stopping_on_round_off_above_tol_warns():
    # scikit-learn's lbfgs calls a step that lowers f by round-off only a success
    # whatever the gradient; here it is a stall, said with its cause
    X, y = _scaled(load_wine)
    with pytest.warns(ConvergenceWarning, match="round-off only, yet the largest gradient"):
        model = ScratchLogisticRegression(solver="lbfgs", tol=1e-14, max_iter=5000).fit(X, y)
    assert model.stop_reason_ == "line_search"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tol=None asks to run until then: quiet
        quiet = ScratchLogisticRegression(solver="lbfgs", tol=None, max_iter=5000).fit(X, y)
    assert quiet.stop_reason_ == "line_search"
    assert "tol=None" in quiet.stop_message_


def test_max_iter_with_tol_none_names_no_gradient_test():
    X, y = _scaled(load_wine)
    model = ScratchLogisticRegression(solver="lbfgs", tol=None, max_iter=3).fit(X, y)
    assert model.stop_message_ == "ran all max_iter=3 L-BFGS iterations (tol=None)."


def test_lbfgs_warm_start_with_a_refreshed_diagonal_continues_bit_for_bit():
    # raw breast_cancer: the diagonal spans 1e6, so H_0 is the Hessian's diagonal,
    # refreshed every 10 steps; a resumed fit keeps that schedule and diagonal
    X, y = load_breast_cancer(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = ScratchLogisticRegression(solver="lbfgs", max_iter=26).fit(X, y)
        resumed = ScratchLogisticRegression(solver="lbfgs", max_iter=13, warm_start=True)
        resumed.fit(X, y).fit(X, y)
    assert full.n_iter_ == 26  # (not converged yet: the comparison means something)
    np.testing.assert_array_equal(resumed.coef_, full.coef_)


def test_lbfgs_keeps_its_pairs_only_for_a_fit_that_may_continue():
    # 2 x 10 vectors of the parameters' size: not kept by a plain fit cut short
    X, y = _scaled(load_digits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = ScratchLogisticRegression(solver="lbfgs", max_iter=3).fit(X, y)
        warm = ScratchLogisticRegression(solver="lbfgs", max_iter=3, warm_start=True)
        warm.fit(X, y)
    assert plain._solver_state is None
    assert len(warm._solver_state.s) == 3


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_one_class_advice_after_a_converged_full_batch_fit_names_c_not_the_learning_rate(
        solver):
    # review: at a tiny C the one class everywhere is the optimum of the objective as
    # set; "a smaller learning_rate" means nothing to Newton or L-BFGS
    X, y = _scaled(load_breast_cancer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ScratchLogisticRegression(solver=solver, C=1e-8).fit(X, y)
    assert model.stop_reason_ == "converged"
    one = [str(w.message) for w in caught if "for every training sample" in str(w.message)]
    assert len(one) == 1
    assert "learning_rate" not in one[0] and "C=1e-08" in one[0]
    assert "optimum" in one[0]


def test_one_class_advice_of_a_first_order_fit_still_names_the_learning_rate():
    X, y = np.zeros((60, 3)), np.repeat([0, 1], [40, 20])  # features without signal
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ScratchLogisticRegression(solver="gd", max_iter=5).fit(X, y)
    one = [str(w.message) for w in caught if "for every training sample" in str(w.message)]
    assert len(one) == 1 and "learning_rate" in one[0]
