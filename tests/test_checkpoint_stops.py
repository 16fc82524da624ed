"""A checkpoint resumes exactly also when the fit stops on its own (early stopping, tol).

The stopping rules keep a running state (best dev score and its weights, epochs
without improvement, the held-out dev split): a model saved after epoch k and
resumed with ``warm_start`` must stop at the same epoch, with the same weights,
as the uninterrupted fit. Every epoch's checkpoint is resumed, in memory and
through ``save_model``/``load_model``.
"""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.io import load_model, save_model
from tests.test_callbacks import Checkpoint, needs_callbacks

STOPPING = [
    pytest.param(DeepNNClassifier, dict(hidden_layer_sizes=(8,), early_stopping=True,
                                        n_iter_no_change=3, tol=1e-3), id="deep-early"),
    pytest.param(ShallowNNClassifier, dict(n_hidden=8, early_stopping=True,
                                           n_iter_no_change=3, tol=1e-3),
                 id="shallow-early"),
    pytest.param(ScratchLogisticRegression, dict(solver="adam", learning_rate=0.05,
                                                 early_stopping=True, n_iter_no_change=3,
                                                 tol=1e-3), id="logistic-adam-early"),
    pytest.param(DeepNNClassifier, dict(hidden_layer_sizes=(8,), n_iter_no_change=2,
                                        tol=0.02), id="deep-tol"),
]


@needs_callbacks
@pytest.mark.parametrize("cls, stopping", STOPPING)
def test_every_checkpoint_resumes_to_the_same_stop(cls, stopping, tmp_path):
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4,
                               n_classes=3, random_state=0)
    params = dict(max_iter=40, batch_size=32, random_state=0, **stopping)
    keeper = Checkpoint()
    whole = cls(**params).set_callbacks(keeper).fit(X, y)
    assert whole.stop_reason_ in ("early_stopping", "tol")  # it stopped on its own
    assert len(keeper.models) == len(whole.loss_curve_) >= 3
    for k, model in enumerate(keeper.models[:-1], start=1):
        save_model(model, tmp_path / "m.h5")
        for start in (model, load_model(tmp_path / "m.h5")):
            resumed = start.set_params(warm_start=True, max_iter=40 - k).fit(X, y)
            assert resumed.loss_curve_ == whole.loss_curve_, k
            assert resumed.validation_scores_ == whole.validation_scores_, k
            assert resumed.stop_reason_ == whole.stop_reason_
            for a, b in zip(resumed.coefs_ + resumed.intercepts_,
                            whole.coefs_ + whole.intercepts_):
                np.testing.assert_array_equal(a, b)
