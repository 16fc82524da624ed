"""Numerical safety, and properties that hold for any shape, dtype, labels and weights.

Saturated logits (|z| ~ 1e4) give finite losses, gradients and probabilities;
huge learning rates on unscaled data are caught (the last finite weights kept, a
warning saying why); and, with hypothesis over random data: probabilities are
finite and normalised, ``predict`` agrees with ``predict_proba``, and backprop
matches finite differences.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sknn_scratch import (
    DeepNNClassifier,
    ScratchLogisticRegression,
    ShallowNNClassifier,
    check_gradients,
)
from sknn_scratch.core import losses, network
from sknn_scratch.estimators._fitting import DivergenceWarning

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),  # unscaled-input hints
]

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(30, 4))
Y = np.arange(30) % 3

# Each property runs in well under a second; together these take a few seconds.
FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])


def _weights(est):
    return est.coefs_ + est.intercepts_


def _all_finite(arrays):
    return all(np.isfinite(a).all() for a in arrays)


# ---------------------------------------------------------------- saturated logits
@pytest.mark.parametrize("z", [1e4, -1e4, 3e4])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_saturated_logits_give_finite_loss_and_probabilities(z, n_outputs):
    Z = np.array([[z] * n_outputs, [-z] * n_outputs, [z, -z, 0][:n_outputs]])
    Y_ = losses.one_hot(np.array([0, 1, 1]), 2 if n_outputs == 1 else 3)
    loss = losses.weighted_loss(Z, Y_, np.ones(3))
    assert np.isfinite(loss)
    log_p = losses.log_proba(Z)
    assert np.isfinite(log_p).all()
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_saturated_network_gives_finite_gradients(n_outputs, dtype):
    arch = network.Architecture((4, 5, n_outputs), "tanh")
    coefs, intercepts = network.init_params(arch, "xavier", np.random.default_rng(0),
                                            dtype)
    coefs[-1] = (coefs[-1] * 1e4 / np.abs(coefs[-1]).max()).astype(dtype)
    Xd = X.astype(dtype)
    Z = network.logits(arch, coefs, intercepts, Xd)
    assert np.abs(Z).max() > 1e3  # really saturated
    Y_ = losses.one_hot(Y % 2 if n_outputs == 1 else Y, 2 if n_outputs == 1 else 3,
                        dtype)
    loss, dW, db = network.loss_and_gradients(arch, coefs, intercepts, Xd, Y_,
                                              np.ones(30, dtype), alpha=1e-4)
    assert np.isfinite(loss)
    assert _all_finite(dW + db)


@pytest.mark.parametrize("make", [
    lambda: ScratchLogisticRegression(max_iter=5),
    lambda: ShallowNNClassifier(max_iter=3, random_state=0),
    lambda: DeepNNClassifier((4, 3), max_iter=3, random_state=0),
], ids=["logistic", "shallow", "deep"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_fitted_model_with_saturated_logits_predicts_finite_normalised(make, n_classes):
    est = make().fit(X, Y % n_classes)
    W = est.coefs_[-1]
    est.coefs_ = est.coefs_[:-1] + [W * (1e4 / np.abs(W).max())]
    assert np.abs(est.decision_function(X)).max() > 1e3
    proba = est.predict_proba(X)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    log_proba = est.predict_log_proba(X)
    assert np.isfinite(log_proba).all() and (log_proba <= 0).all()
    assert np.isfinite(est.score(X, Y % n_classes))
    result = check_gradients(est, X[:8], Y[:8] % n_classes)
    assert np.isfinite(result.max_relative_error)


# ---------------------------------------------------------------- huge learning rates
def _unscaled(n=60):
    rng = np.random.default_rng(1)
    X_ = rng.normal(size=(n, 4)) * [1, 1e3, 1e-2, 1e4] + [0, 500, 0, -3e4]
    y_ = (X_[:, 0] + rng.normal(size=n) > 0).astype(int) + (np.arange(n) % 3 == 0)
    return X_, y_


HUGE_LR = [
    pytest.param(lambda lr: ScratchLogisticRegression(
        solver="gd", learning_rate=lr, max_iter=20, tol=None), id="logistic-gd"),
    pytest.param(lambda lr: ShallowNNClassifier(
        solver="gd", learning_rate=lr, max_iter=20, tol=None, random_state=0),
        id="shallow-gd"),
    pytest.param(lambda lr: ShallowNNClassifier(
        learning_rate=lr, max_iter=20, tol=None, batch_size=16, random_state=0),
        id="shallow-adam-minibatch"),
    pytest.param(lambda lr: DeepNNClassifier(
        (5, 4), solver="momentum", learning_rate=lr, max_iter=40, tol=None,
        random_state=0), id="deep-momentum"),
    pytest.param(lambda lr: DeepNNClassifier(
        (5, 4), solver="rmsprop", learning_rate=lr, max_iter=20, tol=None,
        random_state=0), id="deep-rmsprop"),
]


@pytest.mark.parametrize("learning_rate", [1e3, 1e6])
@pytest.mark.parametrize("make", HUGE_LR)
def test_huge_learning_rate_is_caught_and_last_finite_weights_kept(make, learning_rate):
    X_, y_ = _unscaled()
    est = make(learning_rate)
    with pytest.warns(DivergenceWarning, match="diverged") as record:
        est.fit(X_, y_)
    message = next(str(w.message) for w in record if w.category is DivergenceWarning)
    assert "learning rate" in message and repr(learning_rate) in message
    assert _all_finite(_weights(est)), "a fitted model holds NaN or inf weights"
    assert len(est.loss_curve_) == est.n_iter_ and np.isfinite(est.loss_curve_).all()
    proba = est.predict_proba(X_)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if est.n_iter_ >= 1:  # the kept weights are those of the last finite epoch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shorter = clone(est).set_params(max_iter=est.n_iter_).fit(X_, y_)
        for a, b in zip(_weights(est), _weights(shorter)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", HUGE_LR)
def test_huge_learning_rate_in_partial_fit_keeps_finite_weights(make):
    X_, y_ = _unscaled()
    est = make(1e6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            est.partial_fit(X_, y_, classes=[0, 1, 2])
            assert _all_finite(_weights(est))
    assert np.isfinite(est.predict_proba(X_)).all()


def test_newton_on_separable_data_without_penalty_stays_finite():
    X_, _ = _unscaled()
    y_ = (X_[:, 1] > 500).astype(int)  # perfectly separable: coef_ -> infinity
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ScratchLogisticRegression(C=np.inf, max_iter=50).fit(X_, y_)
    assert _all_finite(_weights(est))
    proba = est.predict_proba(X_)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# ---------------------------------------------------------------- hypothesis
LABEL_KINDS = {
    "int": lambda k: np.arange(k) * 3 - 2,
    "str": lambda k: np.array(["cat", "dog", "ému", "zèbre"][:k]),
    "object": lambda k: np.array(["a", "b", "c", "d"][:k], dtype=object),
    "float": lambda k: np.arange(k, dtype=float) + 0.0,
    "bool": lambda k: np.array([False, True]),
    "plus-minus-one": lambda k: np.array([-1, 1]),
}


@st.composite
def problems(draw, smooth=False):
    """A small random classification problem and an estimator for it."""
    kind = draw(st.sampled_from(["logistic", "shallow", "deep"]))
    label_kind = draw(st.sampled_from(sorted(LABEL_KINDS)))
    k = 2 if label_kind in ("bool", "plus-minus-one") else draw(st.integers(2, 4))
    n = draw(st.integers(k, 30))
    d = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]))
    X_ = (rng.normal(size=(n, d)) * scale).astype(dtype)
    y_ = LABEL_KINDS[label_kind](k)[rng.permutation(np.arange(n) % k)]
    weighting = draw(st.sampled_from(["none", "positive", "integer"]))
    sw = {"none": None, "positive": rng.uniform(0.1, 3.0, n),
          "integer": rng.integers(1, 4, n)}[weighting]
    activation = draw(st.sampled_from(
        ["tanh", "sigmoid", "identity"] if smooth else
        ["relu", "leaky_relu", "tanh", "sigmoid", "identity"]))
    common = dict(max_iter=draw(st.integers(1, 4)), random_state=seed)
    if kind == "logistic":
        est = ScratchLogisticRegression(
            C=draw(st.sampled_from([0.1, 1.0, np.inf])),
            solver=draw(st.sampled_from(["newton", "gd", "adam"])), **common)
    elif kind == "shallow":
        est = ShallowNNClassifier(n_hidden=draw(st.integers(1, 6)), activation=activation,
                                  alpha=draw(st.sampled_from([0.0, 1e-3, 0.1])),
                                  **common)
    else:
        sizes = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
        est = DeepNNClassifier(sizes, activation=activation,
                               dropout=0.0 if smooth else draw(st.sampled_from([0.0, 0.3])),
                               batch_size=draw(st.sampled_from(["auto", None, 4])),
                               **common)
    return est, X_, y_, sw


@FEW
@given(problems())
def test_probabilities_are_finite_normalised_and_agree_with_predict(problem):
    est, X_, y_, sw = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_, y_, sample_weight=sw)
    assert _all_finite(_weights(est))
    assert list(est.classes_) == sorted(set(y_.tolist()))
    proba = est.predict_proba(X_)
    assert proba.shape == (len(X_), len(est.classes_))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    tol = 1e-5 if X_.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=tol)
    predicted = est.predict(X_)
    assert set(predicted.tolist()) <= set(est.classes_.tolist())
    index = np.searchsorted(est.classes_, predicted)
    rows = np.arange(len(X_))
    # the predicted class has the largest probability (ties allowed)
    assert (proba[rows, index] >= proba.max(axis=1) - tol).all()
    log_proba = est.predict_log_proba(X_)
    assert np.isfinite(log_proba).all()
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-4, atol=1e-7)
    scores = est.decision_function(X_)
    if len(est.classes_) == 2:  # the decision ranks samples like P(classes_[1])
        order = np.argsort(scores, kind="stable")
        assert (np.diff(proba[order, 1]) >= -tol).all()


def _agrees(result):
    """Every layer within 1e-5, or its difference within the finite differences'
    rounding noise (the documented reading, core.gradcheck); never a bug verdict."""
    from sknn_scratch.core.gradcheck import NOISE_RATIO

    assert all(e < 1e-5 or r <= NOISE_RATIO
               for e, r in zip(result.layer_errors, result.noise_ratios)), result
    assert "bug" not in result.verdict and "suspicious" not in result.verdict, result


@FEW
@given(problems(smooth=True))
def test_backprop_matches_finite_differences(problem):
    est, X_, y_, sw = problem
    result = check_gradients(est, X_, y_, sw)  # the weights fit would start from
    _agrees(result)
    assert result.passed, result


@FEW
@given(problems(smooth=True))
def test_backprop_matches_finite_differences_after_training(problem):
    est, X_, y_, sw = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_, y_, sample_weight=sw)
    result = check_gradients(est, X_, y_, sw)
    # Near a minimum (Newton gets there in a step or two) the gradient itself is
    # ~0 and the relative error measures finite-difference noise: check the
    # absolute error ||g - g_approx|| ~ relative error * 2 ||g|| there instead.
    inputs = est._objective_inputs(X_, y_, sw)
    _, dW, db = network.loss_and_gradients(
        inputs["arch"], inputs["coefs"], inputs["intercepts"], inputs["X"], inputs["Y"],
        inputs["sample_weight"], inputs["alpha"], inputs["masks"])
    norm = np.sqrt(sum(float(np.vdot(g, g)) for g in dW + db))
    _agrees(result)
    if norm > 1e-3:
        assert result.passed, result
    else:  # absolute error ~ relative error * 2 ||g||
        assert result.relative_error * 2 * norm < 1e-8, (result, norm)
