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
    DeepNNClassifier(solver="adam", batch_size=32),
    ShallowNNClassifier(solver="gd", batch_size=None),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
