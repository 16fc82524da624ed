"""Every fit ends with a reason: ``stop_reason_`` (a code), ``stop_message_`` (a
sentence), the last record of each call in ``history_``, and ``verbose``."""

import contextlib
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.training.stops import STOP_REASONS


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, n_informative=4,
                               random_state=0)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _markers(est):
    return [r["stop_reason"] for r in est.history_]


def test_max_iter_with_tol_none_runs_every_epoch(data):
    X, y = data
    est = ShallowNNClassifier(max_iter=7, tol=None, random_state=0).fit(X, y)
    assert est.stop_reason_ == "max_iter" and est.n_iter_ == 7
    assert est.stop_message_ == "ran all max_iter=7 epochs (tol=None)."
    assert _markers(est) == [None] * 6 + ["max_iter"]


def test_max_iter_reached_while_still_improving(data):
    X, y = data
    with pytest.warns(ConvergenceWarning, match="max_iter=3 reached"):
        est = DeepNNClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    assert est.stop_reason_ == "max_iter"
    assert "still improving by more than tol=0.0001" in est.stop_message_


def test_the_loss_plateau_test_is_named_tol(data):
    # a learning rate so small that no epoch improves the loss by tol: the plateau
    # test stops after epoch 1 (sets the best) + n_iter_no_change + 1 = 5 epochs
    X, y = data
    with _quiet():
        est = ShallowNNClassifier(learning_rate=1e-9, n_iter_no_change=3,
                                  random_state=0).fit(X, y)
    assert est.n_iter_ == 5 and est.stop_reason_ == "tol"
    assert "did not improve by tol=0.0001" in est.stop_message_
    assert "for 4 consecutive epochs (n_iter_no_change=3): stopped at epoch 5" in (
        est.stop_message_)


def test_early_stopping_names_the_kept_epoch(data):
    X, y = data
    est = ShallowNNClassifier(early_stopping=True, n_iter_no_change=2, max_iter=500,
                              random_state=0).fit(X, y)
    assert est.stop_reason_ == "early_stopping"
    best = int(np.argmax(est.validation_scores_)) + 1
    assert f"kept the weights of epoch {best}" in est.stop_message_


def test_divergence_is_a_stop_reason_with_the_warnings_text(data):
    X, y = data
    with pytest.warns(ConvergenceWarning) as caught:
        est = ShallowNNClassifier(solver="gd", learning_rate=1e6, random_state=0).fit(
            X * 1e3, y)
    assert est.stop_reason_ == "diverged"
    assert any(est.stop_message_ in str(w.message) for w in caught)


def test_newton_converged_and_newton_max_iter(data):
    X, y = data
    est = ScratchLogisticRegression().fit(X, y)
    assert est.stop_reason_ == "converged"
    assert est.stop_message_.startswith(f"Newton's method converged at iteration "
                                        f"{est.n_iter_}")
    with _quiet():
        est = ScratchLogisticRegression(max_iter=1, tol=1e-12).fit(X, y)
    assert est.stop_reason_ == "max_iter" and "Newton iterations" in est.stop_message_
    assert _markers(est) == ["max_iter"]


def test_newton_with_tol_none_runs_until_no_step_helps(data):
    X, y = data
    est = ScratchLogisticRegression(tol=None).fit(X, y)
    assert est.stop_reason_ == "line_search"
    assert est.stop_message_ == (
        f"Newton's method stopped at iteration {est.n_iter_}: no step lowers the "
        "objective any more (tol=None: it runs until then).")


def test_partial_fit_and_warm_start_record_each_calls_reason(data):
    X, y = data
    est = ShallowNNClassifier(random_state=0)
    est.partial_fit(X, y, classes=[0, 1])
    est.partial_fit(X, y)
    assert est.stop_reason_ == "partial_fit"
    assert est.stop_message_ == "partial_fit runs one epoch per call (epoch 2)."
    assert _markers(est) == ["partial_fit", "partial_fit"]
    warm = ShallowNNClassifier(max_iter=3, tol=None, warm_start=True, random_state=0)
    warm.fit(X, y).fit(X, y)
    assert _markers(warm) == [None, None, "max_iter"] * 2


def test_n_iter_no_change_inf_never_stops_on_the_plateau(data):
    # MLPClassifier accepts n_iter_no_change=np.inf; with a loss that cannot
    # improve by tol (learning rate 1e-9) only max_iter ends the fit
    X, y = data
    with _quiet():
        est = ShallowNNClassifier(learning_rate=1e-9, n_iter_no_change=np.inf,
                                  max_iter=15, random_state=0).fit(X, y)
    assert est.n_iter_ == 15 and est.stop_reason_ == "max_iter"
    assert est.get_params()["n_iter_no_change"] == np.inf


def test_a_failed_fit_keeps_the_previous_reason(data):
    X, y = data
    est = ShallowNNClassifier(max_iter=4, tol=None, warm_start=True, random_state=0)
    est.fit(X, y)
    before = (est.stop_reason_, est.stop_message_, list(est.dead_fraction_),
              len(est.history_), list(_markers(est)))
    calls = []

    def failing(Xb, rng):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("augmentation failed")
        return Xb

    est.set_params(augmentation=failing, max_iter=10)
    with pytest.raises(RuntimeError, match="augmentation failed"):
        est.fit(X, y)
    assert (est.stop_reason_, est.stop_message_, list(est.dead_fraction_),
            len(est.history_), _markers(est)) == before


def test_verbose_prints_the_reason(data, capsys):
    X, y = data
    ScratchLogisticRegression(verbose=1).fit(X, y)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("Training stopped (converged): Newton's method converged")


def test_every_code_is_documented():
    from sknn_scratch.training import stops

    for code in STOP_REASONS:
        assert f"``'{code}'``" in stops.__doc__


def test_a_callback_stop_is_named():
    from tests.test_callbacks import HAS_CALLBACKS, Recorder

    if not HAS_CALLBACKS:
        pytest.skip("scikit-learn has no sklearn.callback")
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    est = ShallowNNClassifier(max_iter=50, random_state=0).set_callbacks(
        Recorder(stop_after=3)).fit(X, y)
    assert est.stop_reason_ == "callback"
    assert est.stop_message_ == "a callback asked to stop training after epoch 3."
