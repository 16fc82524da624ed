"""The course's published results on the cat/non-cat data (skipped without the data)."""

import time
import warnings

import numpy as np
import pytest

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.datasets import load_catvnoncat


@pytest.fixture(scope="module")
def cats(catvnoncat_dir):
    return load_catvnoncat(catvnoncat_dir)


def test_logistic_regression_reproduces_the_course_99_70(cats):
    # The notes: zeros init, full-batch gradient descent, lr 0.005, 2000 iterations,
    # inputs /255, no penalty. They report 99% train and 70% test accuracy.
    clf = ScratchLogisticRegression(C=np.inf, solver="gd", batch_size=None,
                                    learning_rate=0.005, max_iter=2000, tol=None,
                                    init="zeros")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the notes' recipe raises no false alarm
        clf.fit(cats.train.data, cats.train.target)
    assert clf.n_iter_ == 2000 and clf.stop_reason_ == "max_iter"
    assert round(clf.score(cats.train.data, cats.train.target), 2) == 0.99
    assert round(clf.score(cats.test.data, cats.test.target), 2) == 0.70
    # the notes print the cost before update i: 0.693147 at i=0, 0.140872 at i=1900
    assert clf.loss_curve_[0] == pytest.approx(0.693147, abs=1e-6)
    assert clf.loss_curve_[1900] == pytest.approx(0.140872, abs=1e-6)


def test_newton_solves_sklearns_objective_on_12288_features(cats):
    # Optimality of C sum l + 1/2 ||w||^2: C X^T (p - y) + w = 0 and sum (p - y) = 0.
    X, y = cats.train.data, cats.train.target
    C = 0.01
    start = time.perf_counter()
    # tol=1e-6: the default (1e-4, lbfgs' gradient scale) stops at a gradient of
    # ~1e-7 since Newton's CG solves only as far as the stopping rule needs
    clf = ScratchLogisticRegression(C=C, tol=1e-6).fit(X, y)
    assert time.perf_counter() - start < 30  # Hessian-vector products, no 12288^2 matrix
    p = 1.0 / (1.0 + np.exp(-(X @ clf.coef_[0] + clf.intercept_[0])))
    grad_w = C * X.T @ (p - y) + clf.coef_[0]
    assert np.abs(grad_w).max() < 1e-8
    assert abs(C * np.sum(p - y)) < 1e-8


def _course_four_layer_scores(X_train, y_train, X_test, y_test, seed):
    from threadpoolctl import threadpool_limits

    from sknn_scratch import DeepNNClassifier

    net = DeepNNClassifier((20, 7, 5), activation="relu", init="xavier", solver="gd",
                           batch_size=None, learning_rate=0.0075, max_iter=2500,
                           tol=None, alpha=0.0, random_state=seed)
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # two seeds side by side, one core each
        net.fit(X_train, y_train)
    return (net.score(X_train, y_train), net.score(X_test, y_test),
            [str(w.message) for w in caught])


def test_four_layer_net_matches_the_course_over_seeds(cats):
    # The notes' L-layer model: (20, 7, 5) relu, weights randn / sqrt(n_prev) (our
    # 'xavier'), full-batch gradient descent, lr 0.0075, 2500 epochs, no penalty.
    # Its 80% test accuracy is one lucky seed; over many seeds the recipe gives
    # 68-86% with a median of about 73% (the test set has only 50 images).
    # Seeds 0-3 (74, 76, 78, 80%): four seeds keep the suite's time in bounds.
    from joblib import Parallel, delayed

    scores = Parallel(n_jobs=2)(
        delayed(_course_four_layer_scores)(cats.train.data, cats.train.target,
                                           cats.test.data, cats.test.target, seed)
        for seed in range(4))
    train_scores, test_scores, said = zip(*scores)
    assert [m for messages in said for m in messages] == []  # no false alarm
    assert min(train_scores) >= 0.95
    assert np.median(test_scores) >= 0.72
    assert max(test_scores) >= 0.76
