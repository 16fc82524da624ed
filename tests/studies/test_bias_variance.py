"""Tests for bias_variance_report: diagnosis on real models, exact gaps on a stub."""

import dataclasses
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier
from sknn_scratch.studies import BiasVarianceReport, bias_variance_report
from sknn_scratch.studies.bias_variance import diagnose_fitted, scoring_name

#: The notes' remedies for a DeepNNClassifier at its defaults (Adam already), in its names.
NET_BIAS_ADVICE = (
    "bigger network: more hidden units or more layers (hidden_layer_sizes)",
    "less L2 regularization: decrease alpha",
    "train longer or use a better optimizer (max_iter, tuned learning_rate)",
    "try another architecture (activation, init, depth)",
)
NET_VARIANCE_ADVICE = (
    "more training data",
    "L2 regularization: increase alpha",
    "dropout: increase dropout",
    "data augmentation (augmentation) to enlarge the training set",
    "early stopping (early_stopping=True)",
)


class FixedScores(ClassifierMixin, BaseEstimator):
    """Stub whose score is ``train_score`` on its training set, ``dev_score`` elsewhere.

    Exact binary fractions (0.75, 0.5, ...) keep the expected gaps exact.
    """

    def __init__(self, train_score=1.0, dev_score=1.0):
        self.train_score = train_score
        self.dev_score = dev_score

    def fit(self, X, y):
        self.n_fit_ = len(X)
        return self

    def score(self, X, y, sample_weight=None):
        return self.train_score if len(X) == self.n_fit_ else self.dev_score


X_TRAIN, Y_TRAIN = np.zeros((4, 1)), np.array([0, 1, 0, 1])
X_DEV, Y_DEV = np.zeros((6, 1)), np.array([0, 1, 0, 1, 0, 1])


def _stub_report(train_score, dev_score, **kwargs):
    return bias_variance_report(
        FixedScores(train_score, dev_score), X_TRAIN, Y_TRAIN, X_DEV, Y_DEV, **kwargs
    )


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.fixture(scope="module")
def iris_parts():
    """Iris standardised and shuffled once: 100 training and 50 dev samples."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)  # lbfgs converges in a few steps
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    return X[:100], y[:100], X[100:], y[100:]


# ------------------------------------------------------------ real models
def test_tiny_network_on_digits_reads_high_bias(digits):
    X, y = digits
    tiny = make_pipeline(StandardScaler(), DeepNNClassifier((1,), random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        report = bias_variance_report(tiny, X[:1000], y[:1000], X[1000:1400], y[1000:1400])
    # One hidden unit cannot separate ten digits: most training digits are wrong.
    assert report.train_error > 0.3
    assert report.diagnosis == "high bias"
    assert report.advice == NET_BIAS_ADVICE


def test_wide_network_on_sixty_digits_reads_high_variance(digits):
    X, y = digits
    wide = make_pipeline(
        StandardScaler(), DeepNNClassifier((256,), alpha=0.0, max_iter=500, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        report = bias_variance_report(wide, X[:60], y[:60], X[600:1100], y[600:1100])
    assert report.train_error == 0.0  # 60 samples, 256 units: memorised
    assert report.dev_error > 0.1
    assert report.diagnosis == "high variance"
    assert report.advice == NET_VARIANCE_ADVICE


def test_scaled_logistic_regression_on_breast_cancer_reads_good_fit():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, dev = order[:400], order[400:]
    model = make_pipeline(StandardScaler(), LogisticRegression())
    report = bias_variance_report(model, X[train], y[train], X[dev], y[dev])
    assert report.diagnosis == "good fit"
    assert report.advice == ()


def test_estimator_is_cloned_and_returned_fitted(iris_parts):
    model = LogisticRegression(max_iter=500)
    report = bias_variance_report(model, *iris_parts)
    assert not hasattr(model, "coef_")  # the original is untouched
    assert report.estimator is not model
    assert report.estimator.coef_.shape == (3, 4)


def test_default_error_is_one_minus_accuracy(iris_parts):
    X_train, y_train, X_dev, y_dev = iris_parts
    report = bias_variance_report(LogisticRegression(max_iter=500), *iris_parts)
    wrong = np.sum(report.estimator.predict(X_dev) != y_dev)
    assert report.dev_error == pytest.approx(wrong / 50)


def test_scoring_name_is_used_instead_of_score(iris_parts):
    X_train, y_train, X_dev, y_dev = iris_parts
    report = bias_variance_report(
        LogisticRegression(max_iter=500), *iris_parts, scoring="balanced_accuracy"
    )
    expected = 1.0 - balanced_accuracy_score(y_dev, report.estimator.predict(X_dev))
    assert report.dev_error == pytest.approx(expected)


def test_negative_loss_scorer_gives_one_plus_loss(iris_parts):
    X_train, y_train, X_dev, y_dev = iris_parts
    report = bias_variance_report(
        LogisticRegression(max_iter=500), *iris_parts, scoring="neg_log_loss"
    )
    loss = log_loss(y_dev, report.estimator.predict_proba(X_dev))
    assert report.dev_error == pytest.approx(1.0 + loss)


# ------------------------------------------------------------ exact gaps (stub)
def test_gaps_are_train_minus_baseline_and_dev_minus_train():
    report = _stub_report(0.75, 0.5, baseline_error=0.125)
    assert report.train_error == 0.25
    assert report.dev_error == 0.5
    assert report.avoidable_bias == 0.125  # 0.25 - 0.125
    assert report.variance == 0.25  # 0.5 - 0.25


@pytest.mark.parametrize(
    "train_score, dev_score, baseline, diagnosis",
    [
        (1.0, 1.0, 0.0, "good fit"),
        (0.75, 0.75, 0.0, "high bias"),
        (1.0, 0.75, 0.0, "high variance"),
        (0.75, 0.5, 0.0, "high bias and high variance"),
        (0.75, 0.75, 0.25, "good fit"),  # all of the train error is unavoidable
        (0.96875, 0.9375, 0.0, "good fit"),  # gaps 0.03125 each, below 0.05
    ],
)
def test_diagnosis_from_gaps(train_score, dev_score, baseline, diagnosis):
    assert _stub_report(train_score, dev_score, baseline_error=baseline).diagnosis == diagnosis


def test_both_high_gives_both_advices():
    report = _stub_report(0.75, 0.5)
    # FixedScores has no parameter advice knows: the notes' generic words
    assert report.advice == (
        "a more flexible model (more capacity)",
        "train longer or use a better optimizer",
        "more training data",
        "regularization: a simpler model or a stronger penalty",
    )


def test_gap_equal_to_threshold_is_not_high():
    report = _stub_report(0.75, 0.5, threshold=0.25)  # both gaps exactly 0.25
    assert report.diagnosis == "good fit"
    assert not report.high_bias and not report.high_variance


def test_threshold_moves_the_diagnosis():
    assert _stub_report(0.96875, 1.0).diagnosis == "good fit"  # bias 0.03125
    assert _stub_report(0.96875, 1.0, threshold=0.03).diagnosis == "high bias"


def test_negative_gaps_are_never_high():
    with pytest.warns(UserWarning, match="avoidable bias is negative"):
        report = _stub_report(0.75, 1.0, baseline_error=0.5)
    assert report.avoidable_bias == -0.25 and report.variance == -0.25
    assert report.diagnosis == "good fit"


# ------------------------------------------------------------ report object
def test_report_is_frozen():
    report = _stub_report(0.75, 0.5)
    assert isinstance(report, BiasVarianceReport)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.train_error = 0.0


def test_repr_is_a_table_with_the_numbers_and_diagnosis():
    report = _stub_report(0.75, 0.5, baseline_error=0.125)
    text = repr(report)
    assert str(report) == text
    for label, number in (
        ("baseline error", "0.1250"),
        ("train error", "0.2500"),
        ("dev error", "0.5000"),
        ("avoidable bias", "0.1250"),
        ("variance", "0.2500"),
    ):
        (line,) = [row for row in text.splitlines() if row.strip().startswith(label)]
        assert number in line
    assert "high bias and high variance" in text
    assert "more training data" in text
    assert "FixedScores" in text


def test_repr_names_the_steps_of_a_pipeline(iris_parts):
    model = make_pipeline(StandardScaler(), LogisticRegression())
    text = repr(bias_variance_report(model, *iris_parts))
    assert "Pipeline(StandardScaler, LogisticRegression)" in text


# ------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"baseline_error": -0.1}, "baseline_error must be a finite number >= 0"),
        ({"baseline_error": float("nan")}, "baseline_error must be a finite number"),
        ({"baseline_error": "0.1"}, "baseline_error must be a real number"),
        ({"threshold": -0.01}, "threshold must be a finite number >= 0"),
        ({"threshold": float("inf")}, "threshold must be a finite number"),
        ({"threshold": True}, "threshold must be a real number"),
    ],
)
def test_invalid_numbers_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _stub_report(1.0, 1.0, **kwargs)


def test_unknown_scoring_is_rejected():
    with pytest.raises(ValueError, match="not a valid scoring value"):
        _stub_report(1.0, 1.0, scoring="accuracyy")
