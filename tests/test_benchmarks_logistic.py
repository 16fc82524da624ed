"""Benchmark section j's lbfgs-until-our-objective runs (benchmarks/_equal_accuracy.py).

Checked against scikit-learn itself on small data: the run follows
``LogisticRegression``'s own lbfgs iterates, stops at the first one whose objective
(from ``sklearn.metrics.log_loss``) reaches the target, and says when it was capped.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _equal_accuracy as E  # noqa: E402
import logistic  # noqa: E402


def _data(kind):
    if kind == "binary":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_digits(return_X_y=True)
        X, y = X[:600], y[:600]
    X = StandardScaler().fit_transform(X)
    if kind == "sparse":  # CSR, half the entries zero, 3 classes
        X = sp.csr_matrix(np.where(X > 0, X, 0.0))
        y = y % 3
    return X, y


def _sklearn_objective(model, X, y):
    """C * sum log-loss + 1/2 ||coef||^2 of a fitted LogisticRegression (C=1)."""
    return (log_loss(y, model.predict_proba(X), normalize=False)
            + 0.5 * np.sum(model.coef_ ** 2))


def _lbfgs(X, y, max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when stopped early
        return LogisticRegression(max_iter=max_iter).fit(X, y)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "sparse"])
def test_follows_logistic_regressions_own_iterates(kind):
    X, y = _data(kind)
    model = _lbfgs(X, y, 100)
    run = E.lbfgs_to_objective(X, y, None, cap_s=60, max_iter=100, gtol=1e-4)
    np.testing.assert_allclose(run["coef"], model.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run["intercept"], model.intercept_, rtol=0, atol=1e-12)
    assert run["n_iter"] == model.n_iter_[0]
    assert run["reached"] is False and run["stop"] in ("converged", "max_iter")


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_stops_at_the_first_iterate_reaching_the_target(kind):
    X, y = _data(kind)
    k = 12  # lbfgs' objective decreases along its iterates: iterate k is the first
    target = _sklearn_objective(_lbfgs(X, y, k), X, y)
    assert target > _sklearn_objective(_lbfgs(X, y, 100), X, y) * (1 + 1e-6)
    run = E.lbfgs_to_objective(X, y, target * (1 + 1e-12), cap_s=60)
    assert run["reached"] and run["stop"] == "target"
    assert run["n_iter"] == k
    assert run["objective"] == pytest.approx(target, rel=1e-10)
    assert logistic.objective(X, y, run["coef"], run["intercept"]) == pytest.approx(
        target, rel=1e-10)


def test_a_capped_run_says_so_and_claims_no_ratio(monkeypatch):
    X, y = _data("binary")
    run = E.lbfgs_to_objective(X, y, 0.0, cap_s=0.0)  # objective 0 is out of reach
    assert (run["reached"], run["stop"], run["n_iter"]) == (False, "cap", 1)

    monkeypatch.setattr(logistic, "EQ_CAP_FACTOR", 0.0)
    times, fitted, eq_runs = logistic.compare(X, y, repeats=1)
    best = {k: min(v) for k, v in times.items()}
    obj = {k: logistic.objective(X, y, m.coef_, m.intercept_) for k, m in fitted.items()}
    n_iter = {k: int(np.max(m.n_iter_)) for k, m in fitted.items()}
    out, reference, result = logistic.equal_accuracy(X, y, eq_runs, best, obj, n_iter)
    assert out["reached"] is False and out["ratio"] is None
    assert result.startswith("not reached in ") and "ratio < " in result
    assert reference.startswith("lbfgs > ")


def test_never_reached_when_lbfgs_stops_above_the_target():
    X, y = _data("binary")
    run = E.lbfgs_to_objective(X, y, 0.0, cap_s=60, max_iter=5)
    assert (run["reached"], run["stop"], run["n_iter"]) == (False, "max_iter", 5)


def test_newton_cg_refits_time_the_first_fit_reaching_the_target():
    X, y = _data("multiclass")
    fits = {}
    for tol in E.REFIT_TOLS[:2]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(solver="newton-cg", tol=tol, max_iter=10_000)
            fits[tol] = model.fit(X, y)
    loose, tight = (_sklearn_objective(fits[t], X, y) for t in E.REFIT_TOLS[:2])
    assert loose > tight * (1 + 1e-9)
    run = E.refits_to_objective(X, y, tight * (1 + 1e-10), cap_s=60)
    assert (run["reached"], run["stop"], run["tol"]) == (True, "target", E.REFIT_TOLS[1])
    assert run["n_iter"] == fits[E.REFIT_TOLS[1]].n_iter_[0]
    assert run["objective"] == pytest.approx(tight, rel=1e-10)
    assert run["total_s"] >= run["seconds"]

    capped = E.refits_to_objective(X, y, 0.0, cap_s=0.0)
    assert (capped["reached"], capped["stop"], capped["tol"]) == (
        False, "cap", E.REFIT_TOLS[0])


def test_newton_cg_row_skips_costly_shapes_and_is_never_a_target():
    X, y = _data("binary")
    obj = {"ours": _sklearn_objective(_lbfgs(X, y, 1000), X, y)}
    slow = {"ours": logistic.NEWTON_MAX_S + 1, "lbfgs": 0.01}
    assert logistic.newton_cg_row(X, y, "b", slow, obj) == (
        {"skipped": f"fits over {logistic.NEWTON_MAX_S:.0f} s"}, None)
    run, row = logistic.newton_cg_row(X, y, "b", {"ours": 0.01, "lbfgs": 0.01}, obj)
    assert run["reached"] and row["ok"] is None and row["target"] == "info"
