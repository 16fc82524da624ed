"""Advice in the estimator's own parameter names (issue 19), and exact thresholds."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, make_scorer
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.studies import bias_variance_report
from sknn_scratch.studies.advice import bias_advice, variance_advice
from sknn_scratch.studies.bias_variance import diagnose_fitted, scoring_name


def _words(advice):
    return " ".join(advice)


def _names_absent(advice, names):
    text = _words(advice)
    return [name for name in names if name in text]


def test_sklearn_logistic_regression_is_told_about_C_only():
    model = make_pipeline(StandardScaler(), LogisticRegression())
    bias, variance = bias_advice(model), variance_advice(model)
    assert "larger C" in _words(bias) and "more features" in _words(bias)
    assert "smaller C" in _words(variance) and "more training data" in variance
    assert not _names_absent(bias + variance, ["alpha", "dropout", "hidden_layer_sizes",
                                               "augmentation", "bigger network"])
    assert "max_iter" not in _words(bias)  # lbfgs runs to convergence


def test_scratch_logistic_regression_advice_uses_its_parameters():
    newton = ScratchLogisticRegression()
    assert not _names_absent(bias_advice(newton) + variance_advice(newton),
                             ["alpha", "dropout", "hidden_layer_sizes", "n_hidden"])
    assert "max_iter" not in _words(bias_advice(newton))  # Newton converges
    gd = ScratchLogisticRegression(solver="gd")  # the course's: train longer applies
    assert "max_iter" in _words(bias_advice(gd)) and "larger C" in _words(bias_advice(gd))


def test_shallow_net_is_told_n_hidden():
    bias = bias_advice(ShallowNNClassifier())
    assert "bigger network: more hidden units (n_hidden)" in bias
    assert "hidden_layer_sizes" not in _words(bias)


def test_mlp_classifier_gets_its_own_names():
    bias, variance = bias_advice(MLPClassifier()), variance_advice(MLPClassifier())
    assert "learning_rate_init" in _words(bias) and "hidden_layer_sizes" in _words(bias)
    assert "init," not in _words(bias)  # MLPClassifier has no init parameter
    assert "L2 regularization: increase alpha" in variance
    assert not _names_absent(variance, ["dropout", "augmentation"])


class _FixedLR(ClassifierMixin, BaseEstimator):
    """A stub with LogisticRegression's C whose scores are fixed."""

    def __init__(self, C=1.0, train_score=1.0, dev_score=0.5):
        self.C, self.train_score, self.dev_score = C, train_score, dev_score

    def score(self, X, y):
        return self.train_score if len(X) == 4 else self.dev_score


def test_report_builds_advice_from_the_fitted_model():
    report = diagnose_fitted(_FixedLR(), np.zeros((4, 1)), [0, 1, 0, 1],
                             np.zeros((6, 1)), [0, 1] * 3)
    assert report.diagnosis == "high variance"
    assert report.advice == ("more training data",
                             "L2 regularization: a larger penalty, i.e. a smaller C")


# ------------------------------------------------------------ floating point
class _Counts(ClassifierMixin, BaseEstimator):
    """Accuracy as sklearn computes it (a mean of booleans) from error counts."""

    def __init__(self, n_train=20, train_wrong=0, n_dev=20, dev_wrong=1):
        self.n_train, self.train_wrong = n_train, train_wrong
        self.n_dev, self.dev_wrong = n_dev, dev_wrong

    def score(self, X, y):
        n, wrong = ((self.n_train, self.train_wrong) if X[0, 0] == 0
                    else (self.n_dev, self.dev_wrong))  # dev rows are ones
        return float(np.average(np.arange(n) >= wrong))


def _report(n_train, train_wrong, n_dev, dev_wrong, baseline=0.0):
    return diagnose_fitted(_Counts(n_train, train_wrong, n_dev, dev_wrong),
                           np.zeros((n_train, 1)), np.zeros(n_train),
                           np.ones((n_dev, 1)), np.zeros(n_dev), baseline_error=baseline)


def test_one_dev_error_in_twenty_is_exactly_the_threshold():
    report = _report(20, 0, 20, 1)
    assert report.variance == pytest.approx(0.05)  # 0.050000000000000044 in floats
    assert report.diagnosis == "good fit"
    assert _report(20, 0, 20, 2).diagnosis == "high variance"  # 10 points


def test_exact_five_point_gaps_are_never_high():
    """Every (train, dev) size pair up to 60 with error counts whose gap is exactly
    5 points (in fractions): none is high; one more dev error always is."""
    checked = 0
    for n_train in range(1, 61):
        for n_dev in range(20, 61, 20):  # 5 points of n_dev must be a whole error
            for train_wrong in range(0, n_train + 1, max(1, n_train // 4)):
                dev = Fraction(train_wrong, n_train) + Fraction(1, 20)
                if dev.denominator > n_dev or (dev * n_dev).denominator != 1 or dev > 1:
                    continue
                dev_wrong = int(dev * n_dev)
                report = _report(n_train, train_wrong, n_dev, dev_wrong)
                assert not report.high_variance, (n_train, train_wrong, n_dev, dev_wrong)
                if dev_wrong < n_dev:
                    assert _report(n_train, train_wrong, n_dev, dev_wrong + 1).high_variance
                checked += 1
    assert checked > 100


def test_exact_five_point_avoidable_bias_is_not_high():
    for n_train in (20, 40, 60, 100, 140):
        wrong = n_train // 20 * 3  # 15 % train error, baseline 10 %
        assert not _report(n_train, wrong, 20, wrong * 20 // n_train, baseline=0.1).high_bias


# ------------------------------------------------------------ baselines and names
def test_baseline_above_the_train_error_is_warned():
    with pytest.warns(UserWarning, match=r"baseline_error=0.1 is above the train error"):
        report = _report(20, 0, 20, 0, baseline=0.1)
    assert report.avoidable_bias == -0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _report(20, 2, 20, 2, baseline=0.1)  # equal: no warning


def test_make_scorer_is_named_after_its_metric():
    scorer = make_scorer(f1_score, average="macro")
    assert scoring_name(scorer) == "f1_score(average='macro')"
    assert scoring_name("accuracy") == "accuracy"
    X, y = np.r_[np.zeros((10, 1)), np.ones((10, 1))], np.r_[np.zeros(10), np.ones(10)]
    report = bias_variance_report(LogisticRegression(), X, y, X, y, scoring=scorer)
    assert "_Scorer" not in repr(report) and "f1_score(average='macro')" in repr(report)


def test_a_pipeline_of_deep_net_gets_net_advice():
    model = make_pipeline(StandardScaler(), DeepNNClassifier())
    assert bias_advice(model)[0].endswith("(hidden_layer_sizes)")


# -- advice from the parameters' values, not only their names (adversarial review) --
def _text(advice):
    return " | ".join(advice)


def test_no_remedy_the_model_already_has_or_cannot_use():
    # a shallow net has no depth to change
    assert "depth" not in _text(bias_advice(ShallowNNClassifier()))
    assert "depth" in _text(bias_advice(DeepNNClassifier()))
    # no penalty: a larger C relaxes nothing (C is unused with penalty=None)
    assert "larger C" not in _text(bias_advice(LogisticRegression(penalty=None)))
    assert "larger C" in _text(bias_advice(LogisticRegression()))
    assert "larger C" not in _text(bias_advice(ScratchLogisticRegression(C=np.inf)))
    # alpha=0 cannot decrease; adam is already the solver
    assert "decrease alpha" not in _text(bias_advice(MLPClassifier(alpha=0.0)))
    assert "solver='adam'" not in _text(bias_advice(MLPClassifier()))
    assert "solver='adam'" in _text(bias_advice(MLPClassifier(solver="sgd")))
    # early stopping already on
    assert "early stopping" not in _text(variance_advice(DeepNNClassifier(early_stopping=True)))
    assert "early stopping" in _text(variance_advice(DeepNNClassifier()))
