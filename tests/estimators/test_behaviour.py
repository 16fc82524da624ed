"""What a scikit-learn user relies on beyond the common checks."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier

ALL = [
    pytest.param(lambda **kw: ScratchLogisticRegression(**kw), id="logistic"),
    pytest.param(lambda **kw: ScratchLogisticRegression(solver="adam", **kw),
                 id="logistic-adam"),
    pytest.param(lambda **kw: ShallowNNClassifier(**kw), id="shallow"),
    pytest.param(lambda **kw: DeepNNClassifier(**kw), id="deep"),
]


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("make", ALL)
def test_sparse_csr_input_gives_the_dense_result(make, blobs):
    X, y = blobs
    dense = make(random_state=0, max_iter=20).fit(X, y)
    sparse = make(random_state=0, max_iter=20).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)),
                               dense.predict_proba(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", ALL)
def test_float32_in_gives_float32_weights_and_probabilities(make, blobs):
    X, y = blobs
    est = make(random_state=0, max_iter=20).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in est.coefs_ + est.intercepts_)
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("make", ALL)
def test_string_labels_round_trip(make, blobs):
    X, y = blobs
    names = np.array(["cat", "dog", "emu"])[y]
    est = make(random_state=0, max_iter=50).fit(X, names)
    assert list(est.classes_) == ["cat", "dog", "emu"]
    assert set(est.predict(X)) <= {"cat", "dog", "emu"}
    assert est.score(X, names) > 0.9


@pytest.mark.parametrize("make", ALL)
def test_probabilities_are_normalised_and_match_predict(make, blobs):
    X, y = blobs
    est = make(random_state=0, max_iter=50).fit(X, y)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], est.predict(X))
    # log(p) of a p within 1e-7 of 1 carries p's rounding (~1e-16) absolutely:
    # the log-softmax is the more exact of the two, hence the atol
    np.testing.assert_allclose(np.log(proba), est.predict_log_proba(X), rtol=1e-10,
                               atol=1e-15)


def test_binary_decision_function_is_the_log_odds_of_the_second_class(blobs):
    X, y = blobs
    est = DeepNNClassifier(random_state=0, max_iter=30).fit(X, y == 1)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(est.decision_function(X),
                               np.log(proba[:, 1] / proba[:, 0]), rtol=1e-8, atol=1e-8)


def test_saturated_logits_give_finite_probabilities():
    est = ScratchLogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    est.coefs_ = [np.array([[1e4]])]
    proba = est.predict_proba([[-5.0], [5.0]])
    assert np.isfinite(proba).all() and np.isfinite(est.predict_log_proba([[-5.0]])).all()
    np.testing.assert_allclose(proba, [[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("make", ALL)
def test_predict_before_fit_raises_not_fitted(make, blobs):
    with pytest.raises(NotFittedError):
        make().predict(blobs[0])


@pytest.mark.parametrize("make", ALL)
def test_max_iter_reached_warns_with_the_last_loss_change(make, blobs):
    X, y = blobs
    with pytest.warns(ConvergenceWarning, match="last change"):
        make(max_iter=1, tol=0.0, random_state=0).fit(X, y)


def test_partial_fit_needs_classes_first_and_runs_one_epoch(blobs):
    X, y = blobs
    est = DeepNNClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)
    assert not hasattr(est, "classes_")
    est.partial_fit(X[:40], y[:40], classes=[0, 1, 2])
    est.partial_fit(X[40:], y[40:])
    # n_iter_ is this call's epoch (MLPClassifier's meaning), loss_curve_ all of them
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 2
    with pytest.raises(ValueError, match="not the same"):
        est.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_partial_fit_with_unknown_label_leaves_weights_untouched(blobs):
    X, y = blobs
    est = DeepNNClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    before = [W.copy() for W in est.coefs_]
    with pytest.raises(ValueError, match="classes not in"):
        est.partial_fit(X[:5], [0, 1, 2, 7, 0])
    for W, old in zip(est.coefs_, before):
        np.testing.assert_array_equal(W, old)
    assert est.n_iter_ == 1


def test_failed_fit_leaves_an_unfitted_estimator_unfitted():
    est = ShallowNNClassifier()
    with pytest.raises(ValueError, match="one class"):
        est.fit([[0.0], [1.0]], [1, 1])
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


def test_failed_fit_keeps_the_fitted_weights(blobs):
    X, y = blobs
    est = DeepNNClassifier(random_state=0, max_iter=5).fit(X, y)
    state = pickle.dumps(est)
    with pytest.raises(ValueError, match="weight"):
        est.fit(X, y, sample_weight=np.zeros(len(y)))
    assert pickle.dumps(est) == state


def test_warm_start_continues_and_accumulates_the_history(blobs):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = DeepNNClassifier(random_state=0, max_iter=10, tol=0).fit(X, y)
        warm = DeepNNClassifier(random_state=0, max_iter=5, tol=0, warm_start=True)
        warm.fit(X, y).fit(X, y)
    assert warm.n_iter_ == 5 and len(warm.history_) == 10  # n_iter_: this call's
    for a, b in zip(warm.coefs_, cold.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_partial_fit_after_pickle_resumes_bit_identically(blobs):
    X, y = blobs
    a = DeepNNClassifier(random_state=0, batch_size=16).partial_fit(X, y, classes=[0, 1, 2])
    b = pickle.loads(pickle.dumps(a))
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)


def test_same_random_state_gives_bit_identical_weights(blobs):
    X, y = blobs
    a = DeepNNClassifier(random_state=3, max_iter=10, tol=0)
    b = clone(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(X, y)
        b.fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)


def test_verbose_prints_one_line_per_epoch_then_why_it_stopped(blobs, capsys):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        DeepNNClassifier(verbose=1, max_iter=3, tol=0, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("Iteration 1, loss = ")
    assert lines[3].startswith("Training stopped (max_iter): reached max_iter=3 epochs")


def test_hidden_layer_sizes_must_be_positive(blobs):
    X, y = blobs
    for bad in [(), (10, 0)]:
        with pytest.raises(ValueError, match="hidden_layer_sizes"):
            DeepNNClassifier(hidden_layer_sizes=bad).fit(X, y)


def test_zeros_init_with_hidden_layers_explains_symmetry(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="symmetry"):
        ShallowNNClassifier(init="zeros").fit(X, y)


def test_class_weight_equals_sample_weight(blobs):
    X, y = blobs
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    a = ScratchLogisticRegression(class_weight=weights).fit(X, y)
    b = ScratchLogisticRegression().fit(X, y, sample_weight=np.vectorize(weights.get)(y))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def test_grid_search_over_a_pipeline():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), ShallowNNClassifier(random_state=0)),
        {"shallownnclassifier__n_hidden": [2, 8], "shallownnclassifier__alpha": [1e-4, 1.0]},
        cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.9
    assert len(search.cv_results_["params"]) == 4


# -- issue 16: a warm fit after a first-epoch divergence; partial_fit's history ---------
def test_warm_fit_after_a_first_epoch_divergence_still_stops_on_convergence(blobs):
    X, y = blobs
    est = DeepNNClassifier((8,), solver="gd", batch_size=None, learning_rate=1e308,
                           max_iter=400, warm_start=True, random_state=0)
    with np.errstate(all="ignore"), pytest.warns(ConvergenceWarning, match="diverged"):
        est.fit(X * 1e6, y)  # the first step makes the weights infinite
    assert est.n_iter_ == 0  # the first epoch diverged: the initial weights are kept
    est.set_params(learning_rate=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # converges, no max_iter warning
        est.fit(X, y)
    # the same full-batch run from the same initial weights, started fresh
    fresh = DeepNNClassifier((8,), solver="gd", batch_size=None, learning_rate=0.5,
                             max_iter=400, random_state=0).fit(X, y)
    assert fresh.n_iter_ < 400
    assert est.n_iter_ == fresh.n_iter_
    assert est.best_loss_ == min(est.loss_curve_)


class _CountingList(list):
    """A list that counts every pass over it and every copy made of it."""

    def __init__(self, items):
        super().__init__(items)
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()

    def __add__(self, other):
        self.passes += 1
        return list.__add__(self, other)

    def __getitem__(self, index):
        if isinstance(index, slice):
            self.passes += 1
        return list.__getitem__(self, index)

    def copy(self):
        self.passes += 1
        return list.copy(self)


@pytest.mark.parametrize("make", ALL[1:])  # the first-order solvers: one epoch a call
def test_partial_fit_extends_the_curves_without_a_pass_over_the_history(make, blobs):
    # The work of one call must not grow with the number of epochs already run:
    # the history and the curves are extended in place, never rebuilt from history_.
    X, y = blobs
    est = make(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    est.partial_fit(X, y)
    names = ["history_", "loss_curve_"]
    for name in names:
        setattr(est, name, _CountingList(getattr(est, name)))
    lists = {name: getattr(est, name) for name in names}
    est.partial_fit(X, y)
    for name, before in lists.items():
        after = getattr(est, name)
        assert after is before, f"{name} was rebuilt"
        assert after.passes == 0, f"partial_fit went over the whole {name}"
    assert len(est.history_) == len(est.loss_curve_) == 3 and est.n_iter_ == 1
    assert [r["epoch"] for r in est.history_] == [1, 2, 3]
    assert est.loss_ == est.loss_curve_[-1] == est.history_[-1]["loss"]
    assert est.best_loss_ == min(list.__iter__(est.loss_curve_))


def test_partial_fit_after_a_fit_with_a_dev_set_keeps_its_validation_curves(blobs):
    X, y = blobs
    est = DeepNNClassifier((8,), max_iter=3, tol=None, random_state=0).fit(
        X[:80], y[:80], X_val=X[80:], y_val=y[80:])
    scores = list(est.validation_scores_)
    est.partial_fit(X[:80], y[:80])  # no dev set in partial_fit
    assert est.validation_scores_ == scores and len(est.validation_loss_curve_) == 3
    assert est.best_validation_score_ == max(scores)
    assert est.n_iter_ == 1 and len(est.history_) == 4  # n_iter_: this call's epochs


def test_failed_partial_fit_leaves_the_history_lists_as_they_were(blobs):
    X, y = blobs
    est = DeepNNClassifier((8,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    curve, history = est.loss_curve_, est.history_
    with warnings.catch_warnings():
        # the convergence hint of a later warning becomes an error after the
        # weights are stored: the call fails and nothing of it may remain
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning):
            est.set_params(learning_rate=1e300).partial_fit(X * 1e6, y)
    assert est.loss_curve_ is curve and len(curve) == 1 and len(history) == 1
