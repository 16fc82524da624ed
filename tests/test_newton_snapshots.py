"""The model callbacks get at each Newton iteration is a complete fitted estimator.

As for the epoch solvers (tests/test_callbacks.py): at iteration k it is the model
a fit stopped after k iterations would be -- compared here with a separate fit
with ``max_iter=k`` -- except that the fit had not ended (``stop_reason_`` None);
it can be saved with ``save_model``, and ``warm_start`` from the file continues
as the uninterrupted fit.
"""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch._callbacks import HAS_CALLBACKS
from sknn_scratch.io import load_model, save_model
from tests.test_callbacks import Checkpoint

pytestmark = [
    pytest.mark.skipif(not HAS_CALLBACKS, reason="scikit-learn has no sklearn.callback"),
    # the fits stopped after k iterations on purpose
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]


@pytest.fixture(scope="module")
def data():
    # three classes, not separable: Newton takes several iterations
    return make_classification(n_samples=150, n_features=5, n_informative=3,
                               n_classes=3, flip_y=0.1, random_state=0)


def _fit(X, y, keeper=None, **params):
    est = ScratchLogisticRegression(C=0.5, random_state=0, **params)
    if keeper is not None:
        est.set_callbacks(keeper)
    return est.fit(X, y)


def test_each_newton_iteration_hands_over_the_model_stopped_there(data):
    X, y = data
    keeper = Checkpoint(task_name="newton-iter")
    final = _fit(X, y, keeper)
    assert final.n_iter_ >= 3 and len(keeper.models) == final.n_iter_
    for k, model in enumerate(keeper.models, start=1):
        stopped = _fit(X, y, max_iter=k)  # a fit that ends after k iterations
        assert stopped.n_iter_ == k
        assert model.n_iter_ == len(model.history_) == k
        assert model.t_ == k * X.shape[0]
        assert model.loss_curve_ == stopped.loss_curve_ == final.loss_curve_[:k]
        assert model.loss_ == stopped.loss_ and model.best_loss_ == stopped.best_loss_
        np.testing.assert_array_equal(model.coef_, stopped.coef_)
        np.testing.assert_array_equal(model.intercept_, stopped.intercept_)
        np.testing.assert_array_equal(model.predict_proba(X), stopped.predict_proba(X))
        # the fit was still running: no stop reason on it nor on its last record
        assert model.stop_reason_ is None and "still running" in model.stop_message_
        assert model.history_[-1]["stop_reason"] is None
        assert [r["loss"] for r in model.history_] == final.loss_curve_[:k]
    np.testing.assert_array_equal(keeper.models[-1].predict_proba(X),
                                  final.predict_proba(X))


def test_a_newton_iteration_model_saves_and_resumes_exactly(data, tmp_path):
    X, y = data
    keeper = Checkpoint(task_name="newton-iter")
    whole = _fit(X, y, keeper)
    model = keeper.models[1]  # after iteration 2: as if the run had died there
    assert len(pickle.dumps(model)) < 1.5 * len(pickle.dumps(whole))  # no X inside
    save_model(model, tmp_path / "iter2.h5")
    loaded = load_model(tmp_path / "iter2.h5")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.n_iter_ == 2 and loaded.loss_curve_ == model.loss_curve_
    resumed = loaded.set_params(warm_start=True).fit(X, y)
    assert resumed.loss_curve_ == whole.loss_curve_
    np.testing.assert_array_equal(resumed.coef_, whole.coef_)
    np.testing.assert_array_equal(resumed.intercept_, whole.intercept_)


def test_newton_iteration_models_with_a_dev_set_carry_its_scores(data):
    X, y = data
    keeper = Checkpoint(task_name="newton-iter")
    final = ScratchLogisticRegression(C=0.5).set_callbacks(keeper).fit(
        X[:100], y[:100], X_val=X[100:], y_val=y[100:])
    for k, model in enumerate(keeper.models, start=1):
        assert model.validation_scores_ == final.validation_scores_[:k]
        assert model.validation_loss_curve_ == final.validation_loss_curve_[:k]
