"""scikit-learn's callback API: one fit is a task, each epoch (Newton iteration) a subtask."""

import importlib
import pickle
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch._callbacks import HAS_CALLBACKS

needs_callbacks = pytest.mark.skipif(not HAS_CALLBACKS,
                                     reason="scikit-learn has no sklearn.callback")

FIRST_ORDER = [
    pytest.param(lambda **kw: DeepNNClassifier(hidden_layer_sizes=(8,), **kw), id="deep"),
    pytest.param(lambda **kw: ShallowNNClassifier(**kw), id="shallow"),
    pytest.param(lambda **kw: ScratchLogisticRegression(solver="gd", learning_rate=0.1,
                                                        **kw), id="logistic-gd"),
]
TRANSIENT = ("_callback_fit_ctx", "_callback_fit_task", "_skl_callbacks_to_teardown")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, n_informative=4,
                               random_state=0)


class Recorder:
    """A FitCallback that records its hooks; it can ask to stop, or fail, at subtask n."""

    def __init__(self, stop_after=None, fail_after=None):
        self.stop_after, self.fail_after = stop_after, fail_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, fitted_estimator is not None))
        n = context.task_id + 1
        if context.parent is not None and n == self.fail_after:
            raise RuntimeError(f"callback failed after subtask {n}")
        return context.parent is not None and n == self.stop_after

    def count(self, kind, task_name):
        return sum(1 for e in self.events if e[:2] == (kind, task_name))


def scored(monitor, task_name):
    rows = monitor.get_logs().data
    return [row for row in rows if row["task_name"] == task_name]


@needs_callbacks
@pytest.mark.parametrize("make", FIRST_ORDER)
def test_scoring_monitor_logs_one_score_per_epoch(make, data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    est = make(max_iter=6, tol=None, random_state=0).set_callbacks(monitor).fit(X, y)
    rows = scored(monitor, "epoch")
    assert est.n_iter_ == 6
    assert [row["task_id"] for row in rows] == list(range(est.n_iter_))
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in rows)
    # the last epoch's weights are the fitted ones
    assert rows[-1]["accuracy"] == pytest.approx(est.score(X, y))


@needs_callbacks
def test_scoring_monitor_logs_one_score_per_newton_iteration(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    est = ScratchLogisticRegression().set_callbacks(monitor).fit(X, y)
    rows = scored(monitor, "newton-iter")
    assert est.n_iter_ > 1
    assert len(rows) == est.n_iter_
    assert rows[-1]["accuracy"] == pytest.approx(est.score(X, y))


@needs_callbacks
def test_each_partial_fit_call_is_a_task_with_one_epoch(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    monitor = ScoringMonitor(scoring="accuracy")
    est = ShallowNNClassifier(random_state=0).set_callbacks(monitor)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1])
    runs = monitor.get_logs(select="all")
    assert len(runs) == 3
    assert [[r["task_name"] for r in run.data] for run in runs] == [["fit", "epoch"]] * 3


@needs_callbacks
@pytest.mark.parametrize("make", FIRST_ORDER)
def test_a_callback_asking_to_stop_ends_training_after_that_epoch(make, data):
    X, y = data
    recorder = Recorder(stop_after=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning: the stop was asked for
        est = make(max_iter=50, random_state=0).set_callbacks(recorder).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    assert est.predict(X).shape == y.shape
    assert recorder.count("end", "epoch") == 3
    assert recorder.events[-1] == "teardown"


@needs_callbacks
def test_a_callback_asking_to_stop_ends_newton_iterations(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = ScratchLogisticRegression(tol=1e-12).set_callbacks(
            Recorder(stop_after=2)).fit(X, y)
    assert est.n_iter_ == 2
    # a usable model, not the optimum: the optimum's training accuracy is only 0.708
    # here, and two iterations of the preconditioned solver reach 0.683
    assert est.score(X, y) > 0.65


@needs_callbacks
def test_an_epoch_begun_but_not_run_is_closed_unscored(data):
    # the convergence monitor stops the loop after our subtask for the next epoch began
    X, y = data
    recorder = Recorder()
    est = ShallowNNClassifier(max_iter=50, tol=10.0, n_iter_no_change=1,
                              random_state=0).set_callbacks(recorder).fit(X, y)
    assert est.n_iter_ < 50
    epochs_ended = [e for e in recorder.events if e[:2] == ("end", "epoch")]
    assert recorder.count("begin", "epoch") == len(epochs_ended) == est.n_iter_ + 1
    assert sum(e[2] for e in epochs_ended) == est.n_iter_  # the extra one is empty


@needs_callbacks
def test_progress_bar_draws_the_epochs(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    ShallowNNClassifier(max_iter=5, tol=None).set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "ShallowNNClassifier - fit" in out and "100%" in out


@needs_callbacks
def test_progress_bar_inside_a_pipeline(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(max_iter=5, tol=None))
    pipe.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "Pipeline - fit" in out and "DeepNNClassifier - fit" in out
    assert pipe[-1].n_iter_ == 5


@needs_callbacks
def test_progress_bar_inside_grid_search(data, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = data
    search = GridSearchCV(ScratchLogisticRegression(solver="gd", max_iter=4, tol=None),
                          {"learning_rate": [0.01, 0.1]}, cv=2, n_jobs=1)
    search.set_callbacks(ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    # (rich truncates the long nested descriptions to the console width)
    assert "GridSearchCV - fit" in out and "| ScratchLogisticRegression" in out
    assert search.best_estimator_.n_iter_ == 4


@pytest.mark.parametrize("make", FIRST_ORDER)
def test_fit_without_callbacks_leaves_no_callback_attributes(make, data):
    X, y = data
    est = make(max_iter=3, tol=None).fit(X, y)
    assert not any(hasattr(est, name) for name in TRANSIENT + ("_skl_callbacks",))


@needs_callbacks
def test_fitted_model_with_callbacks_pickles_and_clones(data):
    from sklearn.callback import ScoringMonitor

    X, y = data
    est = DeepNNClassifier(max_iter=3, tol=None, random_state=0)
    est.set_callbacks(ScoringMonitor(scoring="accuracy")).fit(X, y)
    assert not any(hasattr(est, name) for name in TRANSIENT)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    assert clone(est).fit(X, y).n_iter_ == 3


@needs_callbacks
def test_a_failing_callback_leaves_no_state_and_is_torn_down(data):
    X, y = data
    recorder = Recorder(fail_after=2)
    est = ShallowNNClassifier(max_iter=10, tol=None).set_callbacks(recorder)
    before = dict(vars(est))
    with pytest.raises(RuntimeError, match="after subtask 2"):
        est.fit(X, y)
    assert vars(est) == before
    assert recorder.events.count("setup") == recorder.events.count("teardown") == 1


@pytest.fixture
def package_without_callbacks():
    """A fresh import of sknn_scratch made while ``sklearn.callback`` cannot be imported."""
    def ours(name):
        return name == "sknn_scratch" or name.startswith("sknn_scratch.")

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    real = sys.modules.get("sklearn.callback")
    for name in saved:
        del sys.modules[name]
    sys.modules["sklearn.callback"] = None  # `from sklearn.callback import ...` fails
    try:
        fresh = importlib.import_module("sknn_scratch.estimators")
    finally:
        if real is None:
            del sys.modules["sklearn.callback"]
        else:
            sys.modules["sklearn.callback"] = real
    try:
        yield fresh
    finally:
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_estimators_work_without_the_callback_framework(package_without_callbacks, data):
    X, y = data
    fresh = package_without_callbacks
    assert not sys.modules["sknn_scratch._callbacks"].HAS_CALLBACKS
    for est in (fresh.DeepNNClassifier(max_iter=3, tol=None),
                fresh.ShallowNNClassifier(max_iter=3, tol=None),
                fresh.ScratchLogisticRegression(),
                fresh.ScratchLogisticRegression(solver="gd", max_iter=3, tol=None)):
        assert not hasattr(est, "set_callbacks")
        est.fit(X, y)
        assert not any(hasattr(est, name) for name in TRANSIENT)
        assert pickle.loads(pickle.dumps(est)).score(X, y) == est.score(X, y)
        assert clone(est).partial_fit(X, y, classes=[0, 1]).n_iter_ == 1
    pipe = make_pipeline(StandardScaler(), fresh.ShallowNNClassifier(max_iter=3, tol=None))
    GridSearchCV(pipe, {"shallownnclassifier__n_hidden": [2, 3]}, cv=2).fit(X, y)


class Checkpoint:
    """A FitCallback that keeps every epoch's model (and can save it with save_model).

    ``task_name``: the subtasks whose models it keeps ("newton-iter" for Newton).
    """

    def __init__(self, folder=None, task_name="epoch"):
        self.folder = folder
        self.task_name = task_name
        self.models = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != self.task_name or fitted_estimator is None:
            return False
        self.models.append(fitted_estimator)
        if self.folder is not None:
            from sknn_scratch.io import save_model

            save_model(fitted_estimator, self.folder / f"epoch{len(self.models)}.h5")
        return False


@needs_callbacks
def test_the_per_epoch_model_carries_no_training_data_nor_live_state():
    X, y = make_classification(n_samples=3000, n_features=60, random_state=0)  # 1.4 MB
    keeper = Checkpoint()
    est = DeepNNClassifier(hidden_layer_sizes=(8,), max_iter=4, tol=None, random_state=0)
    est.set_callbacks(keeper).fit(X, y)
    final_size = len(pickle.dumps(est))
    assert len(keeper.models) == 4
    for k, model in enumerate(keeper.models, start=1):
        assert not any(hasattr(model, name) for name in TRANSIENT + ("_parent_callback_ctx",))
        assert model is not est
        # a fitted model of its own: its epochs so far, nothing of the others
        assert model.n_iter_ == len(model.history_) == len(model.loss_curve_) == k
        assert model.loss_curve_ == est.loss_curve_[:k]
        assert model.t_ == k * X.shape[0]
        # the fit had not ended: no stop reason, as the uninterrupted fit's record
        assert model.stop_reason_ is None and "still running" in model.stop_message_
        assert model.history_[-1]["stop_reason"] is None
        assert est.history_[k - 1]["stop_reason"] == (None if k < 4 else "max_iter")
        # as small as the final model (which holds the same arrays), not X's 1.4 MB
        assert len(pickle.dumps(model)) < 1.5 * final_size
    np.testing.assert_array_equal(keeper.models[-1].predict_proba(X), est.predict_proba(X))


@needs_callbacks
def test_the_per_epoch_model_under_warm_start_is_not_stale(data):
    X, y = data
    keeper = Checkpoint()
    est = ShallowNNClassifier(max_iter=3, tol=None, batch_size=40, random_state=0,
                              warm_start=True)
    est.fit(X, y)
    before = (list(est.loss_curve_), est._optimizer_state[1]["t"])
    est.set_callbacks(keeper).fit(X, y)
    first = keeper.models[0]
    assert first.n_iter_ == 1 and len(first.history_) == 4
    assert first.loss_curve_ == est.loss_curve_[:4] and before[0] == est.loss_curve_[:3]
    # its optimizer state and generator are those after epoch 4, not the live ones
    # (120 rows in mini-batches of 40: 3 steps, and one shuffle, per epoch)
    assert before[1] == 9 and first._optimizer_state[1]["t"] == 12
    assert first._rng is not est._rng
    assert first._rng.bit_generator.state != est._rng.bit_generator.state


@needs_callbacks
@pytest.mark.parametrize("solver", ["adam", "gd"])
def test_resuming_from_a_checkpoint_continues_exactly(solver, data, tmp_path):
    from sknn_scratch.io import load_model

    X, y = data
    params = dict(hidden_layer_sizes=(8, 4), max_iter=8, tol=None, batch_size=32,
                  solver=solver, dropout=0.1, random_state=0)
    keeper = Checkpoint(tmp_path)
    whole = DeepNNClassifier(**params).set_callbacks(keeper).fit(X, y)
    resumed = load_model(tmp_path / "epoch3.h5")  # as if the run had died after epoch 3
    resumed.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert resumed.loss_curve_ == whole.loss_curve_
    for a, b in zip(resumed.coefs_ + resumed.intercepts_, whole.coefs_ + whole.intercepts_):
        np.testing.assert_array_equal(a, b)


_CHECKPOINT_RUN = """
import sys
from pathlib import Path
import numpy as np
from sklearn.datasets import make_classification
from sknn_scratch import DeepNNClassifier
from sknn_scratch.io import load_model
from tests.test_callbacks import Checkpoint

folder, step = Path(sys.argv[1]), sys.argv[2]
X, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)
if step == "train":  # the run that dies after its checkpoints are written
    DeepNNClassifier((8, 4), max_iter=8, tol=None, batch_size=32, dropout=0.1,
                     random_state=0).set_callbacks(Checkpoint(folder)).fit(X, y)
else:  # a new interpreter resumes from epoch 3
    m = load_model(folder / "epoch3.h5").set_params(warm_start=True, max_iter=5).fit(X, y)
    np.savez(folder / "resumed.npz", *m.coefs_, *m.intercepts_, loss=m.loss_curve_)
"""


@needs_callbacks
def test_a_checkpoint_resumes_exactly_in_fresh_interpreters(data, tmp_path):
    # the checkpoint written by one process, resumed by another, equals the
    # uninterrupted run of this one (no state hidden in the writing process)
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for step in ("train", "resume"):
        subprocess.run([sys.executable, "-c", _CHECKPOINT_RUN, str(tmp_path), step],
                       cwd=root, check=True, timeout=300)
    X, y = data
    whole = DeepNNClassifier((8, 4), max_iter=8, tol=None, batch_size=32, dropout=0.1,
                             random_state=0).fit(X, y)
    resumed = np.load(tmp_path / "resumed.npz")
    np.testing.assert_array_equal(resumed["loss"], whole.loss_curve_)
    for k, a in enumerate(whole.coefs_ + whole.intercepts_):
        np.testing.assert_array_equal(resumed[f"arr_{k}"], a)
