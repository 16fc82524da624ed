"""The notes' optimisation and regularisation toolkit, at the estimator level."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch import check_gradients
from sknn_scratch.core import network

SOLVER_RATES = {"gd": 0.1, "momentum": 0.1, "rmsprop": 0.001, "adam": 0.003}
SCHEDULES = {
    "constant": {},
    "inverse_time": {"decay_rate": 0.05},
    "exponential": {"decay_rate": 0.97},
    "step": {"decay_rate": 0.5, "decay_steps": 10},
    "inverse_sqrt": {},
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def small():
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4,
                               n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("solver", SOLVER_RATES)
def test_every_solver_and_schedule_learns_scaled_digits(solver, schedule, digits):
    X_train, X_test, y_train, y_test = digits
    net = DeepNNClassifier((32,), solver=solver, learning_rate=SOLVER_RATES[solver],
                           learning_rate_schedule=schedule, max_iter=40, batch_size=64,
                           random_state=0, **SCHEDULES[schedule])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = make_pipeline(StandardScaler(), net).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.9


@pytest.mark.parametrize("schedule, kwargs, expected", [
    # epochs 1, 2, 3: numbered from 1 as in the notes (optim.schedules)
    ("constant", {}, [0.1, 0.1, 0.1]),
    ("inverse_time", {"decay_rate": 1.0}, [0.1 / 2, 0.1 / 3, 0.1 / 4]),
    ("exponential", {"decay_rate": 0.5}, [0.05, 0.025, 0.0125]),
    ("step", {"decay_rate": 0.5, "decay_steps": 2}, [0.1, 0.05, 0.05]),
    ("inverse_sqrt", {}, [0.1, 0.1 / np.sqrt(2), 0.1 / np.sqrt(3)]),
])
def test_history_records_the_scheduled_learning_rate(schedule, kwargs, expected, small):
    X, y = small
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = ShallowNNClassifier(solver="gd", learning_rate=0.1, max_iter=3, tol=None,
                                  learning_rate_schedule=schedule, **kwargs).fit(X, y)
    np.testing.assert_allclose([r["learning_rate"] for r in net.history_], expected)


def test_history_has_one_record_per_epoch_with_grad_norms_per_layer(small):
    X, y = small
    net = DeepNNClassifier((8, 4), max_iter=5, tol=None, random_state=0).fit(X, y)
    assert [r["epoch"] for r in net.history_] == [1, 2, 3, 4, 5]
    assert all(len(r["grad_norms"]) == 3 for r in net.history_)
    assert set(net.history_[0]) == {"epoch", "loss", "val_loss", "val_score",
                                    "learning_rate", "grad_norms", "dead_fraction",
                                    "stop_reason", "batch_losses"}


def test_history_records_each_mini_batch_loss_in_step_order(small):
    # equal batches of equal weight: the epoch's loss is the plain mean of its
    # mini-batch losses, and an epoch has ceil(n / batch_size) of them
    X, y = small
    n = len(y) - len(y) % 4
    net = DeepNNClassifier((8,), batch_size=n // 4, max_iter=3, tol=None,
                           random_state=0).fit(X[:n], y[:n])
    for record in net.history_:
        assert len(record["batch_losses"]) == 4
        assert np.mean(record["batch_losses"]) == pytest.approx(record["loss"], rel=1e-12)


def test_dropout_changes_training_but_not_prediction(small):
    X, y = small
    plain = DeepNNClassifier((16,), max_iter=5, tol=None, random_state=0).fit(X, y)
    dropped = DeepNNClassifier((16,), dropout=0.5, max_iter=5, tol=None,
                               random_state=0).fit(X, y)
    assert not np.allclose(plain.coefs_[0], dropped.coefs_[0])
    # prediction is deterministic and uses no mask: the logits are the plain forward
    Z = np.maximum(X @ dropped.coefs_[0] + dropped.intercepts_[0], 0)
    Z = Z @ dropped.coefs_[1] + dropped.intercepts_[1]
    np.testing.assert_allclose(dropped.decision_function(X), Z, rtol=1e-12)
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))


def test_inverted_dropout_keeps_the_expected_activation():
    rng = np.random.default_rng(0)
    arch = network.Architecture((3, 400, 2), "relu")
    (mask,) = network.draw_dropout_masks(arch, 2000, 0.3, rng)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert mask.mean() == pytest.approx(1.0, abs=0.01)
    assert (mask == 0).mean() == pytest.approx(0.3, abs=0.01)


def test_early_stopping_stops_restores_the_best_and_records_dev_curves(small):
    X, y = small
    net = DeepNNClassifier((64, 64), alpha=0.0, learning_rate=0.01, early_stopping=True,
                           validation_fraction=0.2, n_iter_no_change=5, max_iter=500,
                           random_state=0).fit(X, y)
    assert net.n_iter_ < 500
    assert len(net.validation_scores_) == len(net.validation_loss_curve_) == net.n_iter_
    assert net.best_validation_score_ == max(net.validation_scores_)
    best_epoch = int(np.argmax(net.validation_scores_))
    # the stop came n_iter_no_change + 1 epochs after the last improvement
    assert net.n_iter_ - 1 - best_epoch >= 5


def test_early_stopping_keeps_the_best_epochs_weights(small):
    X, y = small
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3,
                                                      random_state=0)
    net = DeepNNClassifier((64, 64), alpha=0.0, learning_rate=0.01, early_stopping=True,
                           n_iter_no_change=5, max_iter=500, random_state=0)
    net.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert net.score(X_val, y_val) == pytest.approx(net.best_validation_score_)


def test_explicit_dev_set_curve_equals_scoring_after_each_epoch(small):
    X, y = small
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3,
                                                      random_state=1)
    params = dict(hidden_layer_sizes=(8,), max_iter=1, tol=None, random_state=0,
                  batch_size=32)
    curve = DeepNNClassifier(**{**params, "max_iter": 6}).fit(
        X_train, y_train, X_val=X_val, y_val=y_val).validation_scores_
    stepwise = DeepNNClassifier(**params, warm_start=True)
    scores = [stepwise.fit(X_train, y_train).score(X_val, y_val) for _ in range(6)]
    np.testing.assert_allclose(curve, scores)


def test_dev_set_arguments_must_come_together(small):
    X, y = small
    with pytest.raises(ValueError, match="together"):
        DeepNNClassifier().fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="not in"):
        DeepNNClassifier().fit(X, y, X_val=X[:3], y_val=[0, 1, 9])


def test_max_grad_norm_clips_the_global_gradient_norm(small):
    X, y = small
    clipped = ShallowNNClassifier(solver="gd", batch_size=None, learning_rate=1.0,
                                  max_grad_norm=1e-3, max_iter=1, tol=None,
                                  random_state=0).fit(X, y)
    start = ShallowNNClassifier(random_state=0, max_iter=1, tol=None,
                                solver="gd", learning_rate=0.0 + 1e-300).fit(X, y)
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(
        clipped.coefs_ + clipped.intercepts_, start.coefs_ + start.intercepts_)))
    assert step == pytest.approx(1e-3, rel=1e-6)  # lr 1 x clipped norm 1e-3


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
@pytest.mark.parametrize("hidden", [(5,), (5, 4), (5, 4, 3)])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_check_gradients_passes_everywhere(activation, hidden, alpha, dropout, small):
    X, y = small
    est = DeepNNClassifier(hidden, activation=activation, alpha=alpha, dropout=dropout,
                           random_state=0)
    # Check after a few epochs: at initialisation the biases are exactly 0, so a
    # sample whose previous relu layer is all zero sits exactly on the relu kink,
    # where two-sided differences average the two one-sided slopes.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(max_iter=3, tol=None).fit(X, y)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, 12)
    result = check_gradients(est, X[:12], y[:12], sample_weight=weights, epsilon=1e-6)
    assert result.max_relative_error < 1e-7, result


@pytest.mark.parametrize("C", [np.inf, 2.0])
def test_check_gradients_passes_for_logistic_regression(C, small):
    X, y = small
    weights = np.random.default_rng(0).uniform(0.5, 2.0, 12)
    est = ScratchLogisticRegression(C=C, init="random", random_state=0)
    assert check_gradients(est, X[:12], y[:12], sample_weight=weights).passed


def test_check_gradients_on_a_fitted_model_leaves_it_unchanged(small):
    X, y = small
    net = DeepNNClassifier((6,), max_iter=5, tol=None, random_state=0).fit(X, y)
    before = [W.copy() for W in net.coefs_]
    assert check_gradients(net, X[:10], y[:10]).max_relative_error < 1e-7
    for W, old in zip(net.coefs_, before):
        np.testing.assert_array_equal(W, old)


def test_check_gradients_repr_reads_like_the_notes(small):
    X, y = small
    text = repr(check_gradients(ShallowNNClassifier(random_state=0), X[:8], y[:8]))
    assert "backprop is correct" in text


# -- diagnostics: each fires on the case built for it, and is silent when healthy --

@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=300, n_features=10, random_state=0)
    return StandardScaler().fit_transform(X), y


def _diagnostics(est, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    return [w for w in caught if w.category.__name__ in (
        "TrainingDiagnosticWarning", "DivergenceWarning")]


def test_healthy_fit_raises_no_diagnostic(binary):
    X, y = binary
    assert _diagnostics(DeepNNClassifier((32,) * 4, random_state=0), X, y) == []


def test_vanishing_gradients_are_named_with_a_fix(binary):
    X, y = binary
    est = DeepNNClassifier((32,) * 6, activation="sigmoid", init="random", max_iter=5,
                           random_state=0)
    # (5 epochs of it also leave a model predicting one class: said separately)
    (w,) = [w for w in _diagnostics(est, X, y) if "vanishing" in str(w.message)]
    assert "vanishing gradients" in str(w.message) and "init='he'" in str(w.message)


def test_unscaled_inputs_get_the_standard_scaler_hint(binary):
    X, y = binary
    (w,) = _diagnostics(DeepNNClassifier(max_iter=5, random_state=0),
                        X * np.logspace(0, 4, X.shape[1]), y)
    assert "StandardScaler" in str(w.message)


def test_unscaled_inputs_hint_for_newton_speaks_of_newton(binary):
    X, y = binary
    found = _diagnostics(ScratchLogisticRegression(), X * np.logspace(0, 4, X.shape[1]), y)
    (w,) = [w for w in found if "scales" in str(w.message)]
    message = str(w.message)
    assert "Newton" in message and "StandardScaler" in message
    assert "zig-zag" not in message and "gradient descent" not in message


@pytest.mark.parametrize("learning_rate", [1e3, 1e6])
def test_divergence_stops_keeps_finite_weights_and_blames_the_rate(learning_rate, binary):
    X, y = binary
    est = DeepNNClassifier(solver="gd", learning_rate=learning_rate, max_iter=50,
                           random_state=0)
    found = _diagnostics(est, X * 100, y)
    (w,) = [w for w in found if w.category.__name__ == "DivergenceWarning"]
    assert "too high" in str(w.message) and repr(learning_rate) in str(w.message)
    assert all(np.isfinite(a).all() for a in est.coefs_ + est.intercepts_)
    assert np.isfinite(est.predict_proba(X)).all()


def test_exploding_loss_names_the_growth(binary):
    X, y = binary
    est = DeepNNClassifier(solver="gd", learning_rate=10.0, max_iter=50, random_state=0)
    (w,) = _diagnostics(est, X, y)
    assert "the loss grew from" in str(w.message)
    assert est.n_iter_ < 50 and np.isfinite(est.loss_curve_).all()
