"""scikit-learn's common estimator checks, for defaults and the course configurations."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier

ESTIMATORS = [
    ScratchLogisticRegression(),
    ShallowNNClassifier(),
    DeepNNClassifier(),
    ScratchLogisticRegression(solver="gd", batch_size=None),
    ScratchLogisticRegression(solver="newton"),
    ScratchLogisticRegression(solver="lbfgs"),
    DeepNNClassifier(solver="adam", batch_size=32),
    ShallowNNClassifier(solver="gd", batch_size=None),
]


def _expected_failed_checks(estimator):
    """The checks an estimator is known to fail, and why (measured)."""
    if isinstance(estimator, ShallowNNClassifier) and estimator.activation == "tanh":
        # unscaled blobs (std 20), class weights 1000 / 1e-4: the saturated tanh
        # units stop by tol with 28-30% of the test points in the weightless
        # classes (3 centres; > 0.87 of class 0 required); MLPClassifier(
        # activation='tanh') fails it too (0.86). With tol=None: 100% class 0.
        return {"check_class_weight_classifiers":
                "tanh units saturate on unscaled inputs and stop by tol early"}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
