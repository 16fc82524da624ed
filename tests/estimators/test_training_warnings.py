"""Stops that leave a poor model warn, naming cause and fix; ordinary fits stay quiet.

Issue 11's cases: the notes' cat logistic regression and 4-layer net stopped early
by ``tol`` (the cat data: skipped without it), a (5, 2) relu net whose 2-unit
layer dies on two moons, a model predicting one class for everything.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.estimators._fitting import TrainingDiagnosticWarning


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = fit()
    return est, [(w.category, str(w.message)) for w in caught]


@pytest.fixture(scope="module")
def cats(catvnoncat_dir):
    from sknn_scratch.datasets import load_catvnoncat

    return load_catvnoncat(catvnoncat_dir)


def test_the_notes_cat_logistic_regression_with_default_tol_warns(cats):
    # Issue 11: stopped after 12 epochs at 44% train accuracy, saying nothing
    X, y = cats.train.data, cats.train.target
    est, caught = _caught(lambda: ScratchLogisticRegression(
        solver="gd", learning_rate=0.005, max_iter=2000, C=np.inf).fit(X, y))
    assert est.stop_reason_ == "tol" and est.n_iter_ == 12
    (category, message), = [c for c in caught if "plateau" in c[1]]
    assert category is ConvergenceWarning
    # its start: zeros weights, loss log 2; majority share 137/209 (non-cat)
    assert "0.6931 at the start, best 0.6931" in message
    assert "never improved meaningfully" in message
    assert f"predicting the majority class ({137 / 209:.1%})" in message
    assert "oscillates" in message and "a smaller learning_rate" in message
    assert "StandardScaler" in message and "tol=None" in message


def test_the_notes_four_layer_cat_net_stopped_by_tol_warns(cats):
    # Issue 11: seed 0 stops after 15 epochs, every test image called non-cat
    X, y = cats.train.data, cats.train.target
    est, caught = _caught(lambda: DeepNNClassifier(
        (20, 7, 5), solver="gd", learning_rate=0.0075, max_iter=2500, alpha=0,
        batch_size="auto", init="auto", random_state=0).fit(X, y))  # the issue's
    # (then default) batch and He init
    assert est.stop_reason_ == "tol"
    messages = [m for c, m in caught if "plateau" in m]
    assert len(messages) == 1
    # the class frequencies' cross-entropy: -(p log p + q log q), p = 137/209
    p = 137 / 209
    prior = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    assert f"no lower than {prior:.4g}" in messages[0]
    assert "no better than predicting the majority class" in messages[0]


def _dying_moons(**kw):
    # A cheap stand-in for issue 11's (5, 2) relu net (Adam, lr 0.0007, batch 64,
    # 10,000 epochs): at lr 0.1 the 2-unit layer dies in epoch 2 (seed 0).
    X, y = make_moons(300, noise=0.2, random_state=0)
    params = dict(solver="adam", learning_rate=0.1, batch_size=64, max_iter=30,
                  tol=None, init="he", alpha=0, random_state=0)
    return X, y, DeepNNClassifier((5, 2), **{**params, **kw}).fit(X, y)


def test_a_dead_layer_is_named_with_the_epoch_it_died():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        X, y, est = _dying_moons()
    caught = [(w.category, str(w.message)) for w in record]
    dead = [m for c, m in caught if m.startswith("DeepNNClassifier: dead units")]
    assert len(dead) == 1
    assert "all 2 units of hidden layer 2 (of 2)" in dead[0]
    assert "since epoch 2" in dead[0]
    for fix in ("activation='leaky_relu'", "smaller learning_rate", "wider layer",
                "random_state"):
        assert fix in dead[0]
    # the dead fraction, counted by hand at the fitted weights
    A1 = np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0)
    A2 = np.maximum(A1 @ est.coefs_[1] + est.intercepts_[1], 0)
    assert est.dead_fraction_ == [np.mean(~A1.any(axis=0)), 1.0]
    assert est.history_[0]["dead_fraction"][1] == 0.0  # alive in epoch 1
    assert [r["dead_fraction"][1] for r in est.history_[1:]] == [1.0] * 29
    assert not A2.any()
    # and a model that predicts one class says so
    one = [(c, m) for c, m in caught if "for every training sample, although" in m]
    assert len(one) == 1 and one[0][0] is TrainingDiagnosticWarning
    assert "y has 2 classes" in one[0][1]
    assert len(np.unique(est.predict(X))) == 1


def test_leaky_relu_does_not_die_on_the_same_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y, est = _dying_moons(activation="leaky_relu")
    assert est.dead_fraction_ == [0.0, 0.0] and est.score(X, y) > 0.8


def test_the_dead_layer_reproduction_is_the_same_in_a_fresh_process():
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from tests.estimators.test_training_warnings import _dying_moons\n"
        "X, y, est = _dying_moons()\n"
        "print(est.dead_fraction_[1], [r['dead_fraction'][1] for r in est.history_][:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1.0 [0.0, 1.0, 1.0]"


@pytest.mark.parametrize("load", [load_digits, load_breast_cancer])
@pytest.mark.parametrize("make", [ScratchLogisticRegression, ShallowNNClassifier,
                                  DeepNNClassifier])
def test_ordinary_fits_stay_quiet(load, make):
    # none of the end-of-fit diagnostics (a fit reaching max_iter still says so)
    from threadpoolctl import threadpool_limits

    X, y = load(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1):
        warnings.simplefilter("always")
        model = make_pipeline(StandardScaler(), make(random_state=0)).fit(X, y)
    assert [str(w.message) for w in caught
            if "max_iter=" not in str(w.message) or "plateau" in str(w.message)] == []
    est = model[-1]
    assert all(f <= 0.5 for f in est.dead_fraction_)
    assert est.stop_reason_ in ("converged", "tol", "max_iter")


def test_a_good_stop_by_tol_is_not_a_poor_one():
    # stopped by tol, but far better than the majority class: no warning
    X, y = make_moons(200, noise=0.1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ShallowNNClassifier(n_hidden=8, learning_rate=0.05, max_iter=1000,
                                  random_state=0).fit(X, y)
    assert est.stop_reason_ == "tol" and est.score(X, y) > 0.95


def test_a_flat_loss_names_a_larger_learning_rate():
    X, y = make_moons(200, noise=0.1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="plateau") as caught:
        ShallowNNClassifier(learning_rate=1e-7, random_state=0).fit(X, y)
    message = next(str(w.message) for w in caught if "plateau" in str(w.message))
    assert "The loss is flat" in message and "a larger learning_rate" in message


@pytest.mark.parametrize("schedule, rate", [("exponential", 1.0), ("step", 1.0)])
def test_a_constant_schedule_is_refused_at_fit(schedule, rate):
    X, y = make_moons(40, random_state=0)
    est = ShallowNNClassifier(learning_rate_schedule=schedule, decay_rate=rate)
    with pytest.raises(ValueError, match=f"decay_rate={rate} makes the '{schedule}'"):
        est.fit(X, y)
    assert not hasattr(est, "classes_")


def test_the_default_exponential_schedule_decays_by_095():
    X, y = make_moons(40, random_state=0)
    est = ShallowNNClassifier(learning_rate=0.2, learning_rate_schedule="exponential",
                              max_iter=3, tol=None, random_state=0).fit(X, y)
    assert [r["learning_rate"] for r in est.history_] == pytest.approx(
        [0.2 * 0.95, 0.2 * 0.95**2, 0.2 * 0.95**3], rel=1e-14)


def test_a_warm_start_that_stops_at_once_is_not_a_poor_stop():
    # the continued fit starts at the optimum, so its loss cannot improve on its
    # start: that is no sign of a poor model
    X, y = make_moons(200, noise=0.1, random_state=0)
    est = ShallowNNClassifier(n_hidden=8, learning_rate=0.05, max_iter=1000,
                              warm_start=True, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.stop_reason_ == "tol" and est.n_iter_ <= 12
