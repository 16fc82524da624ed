"""The study's learning curve fits its clones without the model's callbacks.

A ProgressBar set on the study's pipeline (``sknn-scratch study`` on a terminal)
would otherwise draw one "Pipeline - fit" bar per learning-curve fit: about 50
of them (issue 18).
"""

from types import SimpleNamespace

import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknn_scratch import ShallowNNClassifier  # noqa: E402
from sknn_scratch._callbacks import HAS_CALLBACKS  # noqa: E402
from sknn_scratch.studies import outputs  # noqa: E402
from tests.studies.test_plots import _report  # noqa: E402


class CountFits:
    """A FitCallback counting the fit tasks that begin (a bar each for ProgressBar)."""

    def __init__(self):
        self.fits = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        self.fits += context.parent is None

    def on_fit_task_end(self, estimator, context):
        pass


@pytest.mark.skipif(not HAS_CALLBACKS, reason="scikit-learn has no sklearn.callback")
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("strip", [True, False], ids=["study", "without-the-fix"])
def test_learning_curve_clones_fire_no_callback(tmp_path, monkeypatch, strip):
    X, y = load_iris(return_X_y=True)
    X, y = X[::2], y[::2]
    counter = CountFits()
    model = make_pipeline(StandardScaler(), ShallowNNClassifier(max_iter=2, tol=None,
                                                                random_state=0))
    model.set_callbacks(counter)
    if not strip:  # the check itself can fail: without the fix the clones report
        monkeypatch.setattr(outputs, "_without_callbacks", lambda model: model)
    data = SimpleNamespace(X_train=X, y_train=y, dev_label="dev")
    result = SimpleNamespace(name="m", model=SimpleNamespace(),
                             report=_report("m", 0.0, 0.1, 0.2, "high bias"))
    outputs.write_figures(tmp_path, data, [result], learning_curve_model=model)
    assert (tmp_path / "learning_curves.png").is_file()
    if strip:
        assert counter.fits == 0
    else:
        assert counter.fits >= 15  # 5 training sizes x 3 folds
