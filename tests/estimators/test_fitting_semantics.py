"""Fitting semantics as scikit-learn's (issue 16): architecture changes under
warm_start / partial_fit, weights and class weights, the early-stopping hold-out,
``n_iter_`` / ``t_`` and the dtype of a resumed model.

Where it is cheap, the test runs scikit-learn's LogisticRegression,
MLPClassifier or SGDClassifier in the same situation and checks that we agree.
"""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import BaggingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_class_weight

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(60, 4))
Y3 = np.arange(60) % 3
Y2 = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)

NETS = {
    "shallow": (lambda **kw: ShallowNNClassifier(n_hidden=3, max_iter=5,
                                                 random_state=0, **kw),
                "n_hidden", 3, 5),
    "deep": (lambda **kw: DeepNNClassifier((3,), max_iter=5, random_state=0, **kw),
             "hidden_layer_sizes", (3,), (3, 3)),
}
FIRST_ORDER = ["logistic-adam", "shallow", "deep"]
ALL = {
    "logistic": lambda **kw: ScratchLogisticRegression(max_iter=5, **kw),
    "logistic-adam": lambda **kw: ScratchLogisticRegression(solver="adam", max_iter=5,
                                                            random_state=0, **kw),
    "shallow": lambda **kw: ShallowNNClassifier(n_hidden=3, max_iter=5, random_state=0,
                                                **kw),
    "deep": lambda **kw: DeepNNClassifier((4, 3), max_iter=5, random_state=0, **kw),
}


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _assert_same_weights(a, b, **tol):
    assert [W.shape for W in a.coefs_] == [W.shape for W in b.coefs_]
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        if tol:
            np.testing.assert_allclose(x, y, **tol)
        else:
            np.testing.assert_array_equal(x, y)


# ------------------------------------------------- 1. architecture changes
@pytest.mark.parametrize("name", NETS)
@pytest.mark.parametrize("change", ["more-layers", "wider"])
def test_partial_fit_refuses_a_changed_architecture_naming_the_parameter(name, change):
    make, param, old, new = NETS[name]
    if change == "wider":
        new = 4 if param == "n_hidden" else (4,)
    est = make().partial_fit(X, Y3, classes=[0, 1, 2])
    before = pickle.dumps(est)
    est.set_params(**{param: new})
    with pytest.raises(ValueError, match=rf"partial_fit.*{param}={new!r}".replace(
            "(", r"\(").replace(")", r"\)")):
        est.partial_fit(X, Y3)
    est.set_params(**{param: old})
    assert pickle.dumps(est) == before  # nothing half-fitted was left behind


@pytest.mark.parametrize("name", NETS)
def test_warm_start_with_a_changed_architecture_starts_afresh_with_a_warning(name):
    make, param, _, new = NETS[name]
    est = _quiet_fit(make(warm_start=True), X, Y3)
    est.set_params(**{param: new})
    with pytest.warns(UserWarning, match=rf"{param}.*warm_start"):
        _quiet_fit(est, X, Y3)
    cold = _quiet_fit(make().set_params(**{param: new}), X, Y3)
    _assert_same_weights(est, cold)  # exactly a fresh fit with the new parameter
    assert est.history_ == cold.history_ and est.n_iter_ == cold.n_iter_
    assert all(np.isfinite(W).all() for W in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("name", NETS)
def test_warm_start_keeping_the_architecture_stays_quiet(name):
    make = NETS[name][0]
    est = _quiet_fit(make(warm_start=True, tol=None), X, Y3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, Y3)
    assert len(est.history_) == 10


_SUBPROCESS = textwrap.dedent("""
    import json, warnings
    import numpy as np
    from sknn_scratch import DeepNNClassifier, ShallowNNClassifier
    warnings.simplefilter("ignore")
    X = np.random.default_rng(0).normal(size=(60, 4)); y = np.arange(60) % 3
    out = {}
    for cls, old, param, new in [(DeepNNClassifier, (3,), "hidden_layer_sizes", (3, 3)),
                                 (DeepNNClassifier, (4,), "hidden_layer_sizes", (5,)),
                                 (ShallowNNClassifier, 3, "n_hidden", 5)]:
        make = lambda: cls(old, max_iter=5, random_state=0)
        key = f"{param}={new}"
        est = make().partial_fit(X, y, classes=[0, 1, 2]).set_params(**{param: new})
        try:
            est.partial_fit(X, y)
            out[key + "-partial_fit"] = "no error"
        except ValueError as exc:
            out[key + "-partial_fit"] = type(exc).__name__
        est = make().set_params(warm_start=True).fit(X, y).set_params(**{param: new})
        est.fit(X, y)
        out[key + "-warm"] = [a.tolist() for a in est.coefs_ + est.intercepts_]
        for how in ("fit", "partial_fit"):
            est = make().set_params(warm_start=True).fit(X, y)
            try:
                getattr(est, how)(X[:, :3], y)
                out[f"n_features-{how}"] = "no error"
            except ValueError as exc:
                out[f"n_features-{how}"] = str(exc)
    print(json.dumps(out))
""")


def _run_fresh_process():
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _SUBPROCESS], capture_output=True,
                          text=True, check=True, timeout=300, env=env)
    return json.loads(done.stdout)


def test_architecture_changes_behave_the_same_in_fresh_processes():
    first, second = _run_fresh_process(), _run_fresh_process()
    assert first == second  # no uninitialised memory: every process agrees
    for key, value in first.items():
        if key.endswith("-partial_fit") and not key.startswith("n_features"):
            assert value == "ValueError", key
        if key.startswith("n_features"):
            assert "X has 3 features" in value, key
    warm = first["hidden_layer_sizes=(3, 3)-warm"]
    cold = _quiet_fit(DeepNNClassifier((3, 3), max_iter=5, random_state=0), X, Y3)
    fresh = cold.coefs_ + cold.intercepts_
    assert [np.shape(a) for a in warm] == [a.shape for a in fresh]
    for a, b in zip(warm, fresh):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_check_gradients_checks_the_fitted_architecture_after_a_size_change():
    from sknn_scratch import check_gradients

    est = _quiet_fit(DeepNNClassifier((3,), max_iter=2, random_state=0), X, Y3)
    expected = check_gradients(est, X[:6], Y3[:6])
    est.set_params(hidden_layer_sizes=(3, 3))  # predict still uses coefs_
    assert check_gradients(est, X[:6], Y3[:6]) == expected


# ------------------------------------------- 2. a class without positive weight
def test_bagging_resample_without_a_positive_fits_as_sklearn_does():
    rng = np.random.default_rng(3)
    Xb = rng.normal(size=(60, 3))
    yb = np.zeros(60, dtype=int)
    yb[[7, 41]] = 1  # 2 positives: many bootstrap resamples carry no positive
    for est in (LogisticRegression(), MLPClassifier((3,), max_iter=20, random_state=0),
                ScratchLogisticRegression(), ShallowNNClassifier(max_iter=20)):
        bag = BaggingClassifier(est, n_estimators=10, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bag.fit(Xb, yb)
        assert bag.predict_proba(Xb).shape == (60, 2)


@pytest.mark.parametrize("name", ALL)
def test_a_class_with_zero_total_weight_keeps_its_label_and_gets_no_signal(name):
    sw = (Y2 == 1).astype(float)  # every row of class 0 weighs nothing
    est = _quiet_fit(ALL[name](batch_size=None) if name != "logistic" else ALL[name](),
                     X, Y2, sample_weight=sw)
    lr = LogisticRegression().fit(X, Y2, sample_weight=sw)
    assert est.classes_.tolist() == lr.classes_.tolist() == [0, 1]
    assert (lr.predict(X) == 1).all()
    if name == "logistic":  # the same optimum as LogisticRegression
        assert (est.predict(X) == 1).all()
    junk = X.copy()
    junk[Y2 == 0] = _RNG.normal(size=((Y2 == 0).sum(), 4)) * 100
    other = _quiet_fit(clone(est), junk, Y2, sample_weight=sw)
    _assert_same_weights(est, other, rtol=1e-12, atol=1e-14)  # those rows do nothing


@pytest.mark.parametrize("name", ALL)
def test_a_single_label_is_still_an_error(name):
    with pytest.raises(ValueError, match="one class"):
        ALL[name]().fit(X, np.ones(60))


# ------------------------------------------------------ 3. class_weight dicts
@pytest.mark.parametrize("name", ALL)
def test_class_weight_dict_may_name_labels_absent_from_y(name):
    extra = {0: 1.0, 1: 3.0, 2: 5.0}
    LogisticRegression(class_weight=extra).fit(X, Y2)  # sklearn accepts it
    with_extra = _quiet_fit(ALL[name](class_weight=extra), X, Y2)
    exact = _quiet_fit(ALL[name](class_weight={0: 1.0, 1: 3.0}), X, Y2)
    _assert_same_weights(with_extra, exact)


@pytest.mark.parametrize("name", ALL)
def test_class_weight_dict_over_cv_folds_missing_a_label(name):
    y = Y3.copy()
    y[-3:] = 3  # label 3 only in the last fold
    weights = {0: 1.0, 1: 2.0, 2: 1.0, 3: 4.0}
    folds = KFold(3)  # unshuffled: the first folds' training parts lack no label
    cross_val_score(LogisticRegression(class_weight=weights), X, y, cv=folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_score(ALL[name](class_weight=weights), X, y, cv=folds,
                                 error_score="raise")
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("name", ALL)
def test_class_weight_dict_missing_a_class_and_naming_others_fails_as_sklearn(name):
    bad = {0: 1.0, 5: 2.0}  # sklearn: keys that are not classes are ignored only
    with pytest.raises(ValueError, match="not in class_weight"):  # when all have one
        LogisticRegression(class_weight=bad).fit(X, Y2)
    with pytest.raises(ValueError, match=r"class_weight .*\[5\].*\[1\]"):
        ALL[name](class_weight=bad).fit(X, Y2)


@pytest.mark.parametrize("name", ALL)
def test_partial_fit_class_weight_omitting_a_class_weighs_it_one(name):
    SGDClassifier(class_weight={0: 2.0}).partial_fit(X, Y3, classes=[0, 1, 2])
    partial = ALL[name](class_weight={0: 2.0}).partial_fit(X, Y3, classes=[0, 1, 2])
    full = ALL[name](class_weight={0: 2.0, 1: 1.0, 2: 1.0}).partial_fit(
        X, Y3, classes=[0, 1, 2])
    _assert_same_weights(partial, full)


# ------------------------------------------- 4. 'balanced' with sample_weight
SW = np.random.default_rng(5).integers(0, 4, size=60)
SW[:3] = 1


@pytest.mark.parametrize("make", [
    pytest.param(lambda: ScratchLogisticRegression(class_weight="balanced"),
                 id="newton"),
    pytest.param(lambda: ShallowNNClassifier(solver="gd", batch_size=None, max_iter=5,
                                             tol=None, random_state=0,
                                             class_weight="balanced"), id="shallow-gd"),
])
def test_balanced_with_integer_weights_equals_repeated_rows(make):
    y = np.where(np.arange(60) % 4 == 0, 1, 0)
    weighted = make().fit(X, y, sample_weight=SW)
    repeated = make().fit(np.repeat(X, SW, axis=0), np.repeat(y, SW))
    _assert_same_weights(weighted, repeated, rtol=1e-7, atol=1e-10)


def test_balanced_with_sample_weight_matches_logistic_regression():
    y = np.where(np.arange(60) % 4 == 0, 1, 0)
    sw = SW + 0.5
    ours = ScratchLogisticRegression(class_weight="balanced", tol=1e-10).fit(
        X, y, sample_weight=sw)
    theirs = LogisticRegression(class_weight="balanced", tol=1e-10).fit(
        X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-7)
    weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=y,
                                   sample_weight=sw)
    assert weights[1] > 2  # the rare class really is up-weighted


@pytest.mark.parametrize("name", ALL)
def test_partial_fit_refuses_balanced_as_sgd_classifier_does(name):
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        SGDClassifier(class_weight="balanced").partial_fit(X, Y3, classes=[0, 1, 2])
    est = ALL[name](class_weight="balanced")
    with pytest.raises(ValueError, match=r"class_weight='balanced' is not supported "
                                         r"for partial_fit.*compute_class_weight"):
        est.partial_fit(X, Y3, classes=[0, 1, 2])
    assert not hasattr(est, "classes_")


# --------------------------------------------------- 5. early-stopping hold-out
@pytest.mark.parametrize("name", FIRST_ORDER)
def test_early_stopping_with_a_singleton_class_fits_as_mlp_does(name):
    y = Y3.copy()
    y[10] = 3  # a class with one member cannot be stratified
    MLPClassifier((3,), early_stopping=True, max_iter=5, random_state=0).fit(X, y)
    est = _quiet_fit(ALL[name](early_stopping=True), X, y)
    assert est.classes_.tolist() == [0, 1, 2, 3]
    assert est.validation_scores_ is not None


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_early_stopping_stratifies_when_every_class_can_be(name):
    est = _quiet_fit(ALL[name](early_stopping=True, validation_fraction=0.2), X, Y3)
    # 12 held-out rows, 4 of each class: a 1/3 score step is impossible otherwise
    assert all(abs(s * 12 - round(s * 12)) < 1e-9 for s in est.validation_scores_)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_early_stopping_holds_out_rows_that_carry_weight(name):
    sw = np.zeros(60)
    sw[::6] = 1.0  # only 10 rows weigh anything
    est = _quiet_fit(ALL[name](early_stopping=True, validation_fraction=0.2), X, Y3,
                     sample_weight=sw)
    assert np.isfinite(est.validation_loss_curve_).all()


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_early_stopping_split_ignores_zero_weight_rows(name):
    """Zero weight is the same as no row, also for the hold-out (same seed)."""
    sw = np.ones(60)
    sw[[4, 17, 33]] = 0.0
    weighted = _quiet_fit(ALL[name](early_stopping=True, batch_size=None), X, Y3,
                          sample_weight=sw)
    kept = sw > 0
    removed = _quiet_fit(ALL[name](early_stopping=True, batch_size=None), X[kept],
                         Y3[kept])
    np.testing.assert_allclose(weighted.validation_scores_, removed.validation_scores_)


# ----------------------------------------------------------- 6. n_iter_ and t_
def _warm_pair(name):
    """MLPClassifier (5 epochs) and our estimator, both warm-starting."""
    return (MLPClassifier((3,), max_iter=5, warm_start=True, random_state=0),
            ALL[name](warm_start=True, tol=None))


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_n_iter_counts_the_epochs_of_this_call_as_mlp(name):
    mlp, est = _warm_pair(name)
    for model in (mlp, est):
        _quiet_fit(model, X, Y3)
        model.set_params(max_iter=3)
        _quiet_fit(model, X, Y3)
    assert est.n_iter_ == mlp.n_iter_ == 3
    assert len(est.history_) == len(est.loss_curve_) == 8  # history_ is cumulative
    assert [r["epoch"] for r in est.history_] == list(range(1, 9))
    est.partial_fit(X, Y3)
    mlp.partial_fit(X, Y3)
    assert est.n_iter_ == mlp.n_iter_ == 1 and len(est.history_) == 9


def test_newton_n_iter_counts_the_iterations_of_this_call():
    est = ScratchLogisticRegression(max_iter=2, tol=None, warm_start=True)
    _quiet_fit(est, X, Y3)
    first = len(est.history_)
    _quiet_fit(est.set_params(max_iter=20, tol=1e-8), X, Y3)
    assert 1 <= est.n_iter_ <= 20 and len(est.history_) == first + est.n_iter_
    est.partial_fit(X, Y3)
    assert est.n_iter_ == 1


@pytest.mark.parametrize("name", ALL)
def test_t_counts_the_training_samples_seen_as_mlp(name):
    mlp, est = _warm_pair(name)
    for model in (mlp, est):
        _quiet_fit(model, X, Y3)
        model.partial_fit(X[:20], Y3[:20])
    assert mlp.t_ == 5 * 60 + 20
    assert est.t_ == len(est.history_[:-1]) * 60 + 20
    _quiet_fit(est.set_params(warm_start=False), X, Y3)
    assert est.t_ == 60 * est.n_iter_  # a fresh fit starts counting again


def test_t_counts_only_the_rows_trained_on_under_early_stopping():
    est = _quiet_fit(DeepNNClassifier((3,), max_iter=4, tol=None, early_stopping=True,
                                      validation_fraction=0.2, n_iter_no_change=10,
                                      random_state=0), X, Y3)
    assert est.t_ == 48 * est.n_iter_


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_warm_start_schedule_continues_from_the_cumulative_epoch(name):
    kw = dict(tol=None, learning_rate_schedule="inverse_time", decay_rate=0.5)
    cold = _quiet_fit(ALL[name](**kw).set_params(max_iter=6), X, Y3)
    warm = ALL[name](warm_start=True, **kw).set_params(max_iter=3)
    _quiet_fit(_quiet_fit(warm, X, Y3), X, Y3)
    assert [r["learning_rate"] for r in warm.history_] == [
        r["learning_rate"] for r in cold.history_]


# ------------------------------------------------------------------ 7. dtype
@pytest.mark.parametrize("name", ALL)
def test_a_float32_model_stays_float32_as_mlp(name):
    X32 = X.astype(np.float32)
    mlp = MLPClassifier((3,), max_iter=5, random_state=0).fit(X32, Y3)
    est = _quiet_fit(ALL[name](), X32, Y3)
    for model in (mlp, est):
        model.partial_fit(X, Y3)
        model.set_params(warm_start=True)
        _quiet_fit(model, X, Y3)
    assert mlp.coefs_[0].dtype == np.float32
    assert {a.dtype for a in est.coefs_ + est.intercepts_} == {np.dtype(np.float32)}


@pytest.mark.parametrize("name", ALL)
def test_a_float64_model_stays_float64_as_mlp(name):
    mlp = MLPClassifier((3,), max_iter=5, random_state=0).fit(X, Y3)
    est = _quiet_fit(ALL[name](), X, Y3)
    for model in (mlp, est):
        model.partial_fit(X.astype(np.float32), Y3)
    assert mlp.coefs_[0].dtype == np.float64
    assert {a.dtype for a in est.coefs_ + est.intercepts_} == {np.dtype(np.float64)}


def test_a_resumed_float32_model_continues_exactly_as_on_float32_data():
    X32 = X.astype(np.float32)
    a = _quiet_fit(DeepNNClassifier((3,), max_iter=3, random_state=0), X32, Y3)
    b = _quiet_fit(clone(a), X32, Y3)
    a.partial_fit(X, Y3)
    b.partial_fit(X32, Y3)
    _assert_same_weights(a, b)
