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


def test_parameter_names_are_scikit_learns_read_once_per_init():
    # BaseEstimator reads them from inspect.signature(__init__) on every call
    from sklearn.base import BaseEstimator

    def sklearns(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    class Wider(ScratchLogisticRegression):
        def __init__(self, C=1.0, *, extra=3):
            self.C, self.extra = C, extra

    for cls in (ScratchLogisticRegression, ShallowNNClassifier, DeepNNClassifier,
                Wider):
        names = cls._get_param_names()
        assert names == sklearns(cls)
        names.append("not-a-parameter")  # a new list each call
        assert cls._get_param_names() == sklearns(cls)
    assert Wider(extra=5).get_params() == {"C": 1.0, "extra": 5}

    def narrower(self, C=1.0):
        self.C = C

    Wider.__init__ = narrower  # a replaced __init__ is read again
    assert Wider._get_param_names() == ["C"]

    def varargs(self, *args):
        pass

    Wider.__init__ = varargs  # scikit-learn's own error, every time
    for _ in range(2):
        with pytest.raises(RuntimeError, match="no varargs"):
            Wider._get_param_names()


def test_a_class_made_on_the_fly_is_not_kept_alive_by_its_parameter_names():
    import gc
    import weakref

    class Made(ScratchLogisticRegression):
        def __init__(self, C=1.0):
            super().__init__(C=C)  # a __class__ cell: __init__ refers to the class

    assert Made().get_params() == {"C": 1.0}
    ref = weakref.ref(Made)
    del Made
    gc.collect()
    assert ref() is None
