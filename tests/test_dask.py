"""Scale-out: searches over sknn_scratch pipelines on dask.distributed.

Through joblib's dask backend (``joblib.parallel_config(backend="dask")``, extra
``sknn-scratch[dask]``) on a LocalCluster of two single-threaded worker
processes:

* GridSearchCV and RandomizedSearchCV give cv_results_ identical to n_jobs=1;
* a worker process killed (SIGKILL) in the middle of a search costs nothing: dask
  reschedules the lost tasks, every candidate is scored, the scores and the best
  parameters are those of the serial run.

Every wait is bounded (cluster start, workers, each search), and the cluster is
closed at the end whatever happens, so a broken cluster fails the tests instead
of hanging CI.
"""

import logging
import os
import signal
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
import pytest

try:
    import joblib
    from distributed import Client, LocalCluster
    from distributed.diagnostics.plugin import SchedulerPlugin
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("dask.distributed is not installed: pip install 'sknn-scratch[dask]' "
                "(the 'test' extra includes it)", allow_module_level=True)

from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn_scratch
from sknn_scratch import DeepNNClassifier, ShallowNNClassifier

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL-based fault test"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    # a killed worker makes distributed warn about lost connections / restarts
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]

START_TIMEOUT = 120  # s: cluster start and workers arriving (a loaded CI machine)
SEARCH_TIMEOUT = 240  # s: one search, including a worker restart


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None, silence_logs=logging.CRITICAL,
                           timeout=START_TIMEOUT)
    try:
        with Client(cluster, timeout=f"{START_TIMEOUT}s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
            client.run(_warm_up)  # import once, outside the timed searches
            yield client
    finally:
        cluster.close(timeout=60)


def _warm_up():
    import sknn_scratch.estimators  # noqa: F401  (and scikit-learn with it)


def _data():
    X, y = load_iris(return_X_y=True)
    return X[::3], y[::3]  # 50 rows


def _grid(max_iter=6, batch_size="auto"):
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(
        max_iter=max_iter, batch_size=batch_size, tol=None, random_state=0))
    grid = {"deepnnclassifier__alpha": [1e-4, 1e-2, 1.0],
            "deepnnclassifier__hidden_layer_sizes": [(6,), (8, 4)]}
    return GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                        error_score="raise", return_train_score=True)


def _randomized():
    pipe = make_pipeline(StandardScaler(), ShallowNNClassifier(max_iter=6,
                                                               random_state=0))
    space = {"shallownnclassifier__n_hidden": [2, 4, 8],
             "shallownnclassifier__learning_rate": [0.01, 0.05, 0.1],
             "shallownnclassifier__dropout": [0.0, 0.2]}
    return RandomizedSearchCV(pipe, space, n_iter=5, cv=3, random_state=0,
                              error_score="raise")


def _fit_bounded(search, X, y, *, dask, scatter=None):
    """``search.fit`` in a helper thread, failing (not hanging) after SEARCH_TIMEOUT."""

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not dask:
                return search.fit(X, y)
            with joblib.parallel_config(backend="dask", scatter=scatter,
                                        wait_for_workers_timeout=START_TIMEOUT):
                return search.fit(X, y)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(run).result(timeout=SEARCH_TIMEOUT)
    except FutureTimeout:
        pytest.fail(f"the search did not finish within {SEARCH_TIMEOUT} s")
    finally:
        pool.shutdown(wait=False)


def _assert_same_results(serial, distributed):
    a, b = serial.cv_results_, distributed.cv_results_
    assert a["params"] == b["params"]
    for key in a:  # every score column; timing columns differ by nature
        if "time" not in key and key != "params":
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]),
                                          err_msg=key)
    assert serial.best_params_ == distributed.best_params_


def test_workers_import_this_sknn_scratch(client):
    paths = client.run(lambda: sknn_scratch.__file__)
    assert len(paths) == 2 and set(paths.values()) == {sknn_scratch.__file__}


@pytest.mark.parametrize("make_search", [_grid, _randomized], ids=["grid", "randomized"])
def test_search_on_dask_matches_serial(client, make_search):
    X, y = _data()
    serial = _fit_bounded(make_search(), X, y, dask=False)
    on_dask = _fit_bounded(make_search(), X, y, dask=True)
    _assert_same_results(serial, on_dask)
    for a, b in zip(serial.best_estimator_[-1].coefs_, on_dask.best_estimator_[-1].coefs_):
        np.testing.assert_array_equal(a, b)


class KillOneWorkerMidSearch(SchedulerPlugin):
    """SIGKILL one busy worker process when the search's first task completes.

    ``pids`` maps worker addresses to process ids (from ``client.run(os.getpid)``).
    The scheduler runs in the test process (LocalCluster), so ``os.kill`` hits a
    child process of the test; the Nanny restarts it.
    """

    name = "sknn-kill-one-worker"

    def __init__(self, pids):
        self.pids = dict(pids)
        self.killed = None  # (address, pid, number of tasks it was processing)

    async def start(self, scheduler):
        self.scheduler = scheduler

    def transition(self, key, start, finish, *args, **kwargs):
        if self.killed is not None or finish != "memory":
            return
        if not str(key).startswith(("batch_of_", "mixed_batch_of_")):
            return  # only joblib's batches of fits, not scattered data
        busy = sorted(((len(ws.processing), address)
                       for address, ws in self.scheduler.workers.items()
                       if address in self.pids), reverse=True)
        if not busy:
            return
        n_processing, address = busy[0]
        os.kill(self.pids[address], signal.SIGKILL)
        self.killed = (address, self.pids[address], n_processing)


def test_search_survives_a_killed_worker(client):
    X, y = _data()
    serial = _fit_bounded(_grid(max_iter=20, batch_size=8), X, y, dask=False)

    client.wait_for_workers(2, timeout=START_TIMEOUT)
    pids = client.run(os.getpid)
    client.register_plugin(KillOneWorkerMidSearch(pids))
    try:
        # X and y broadcast to both workers, so the survivor holds every input
        on_dask = _fit_bounded(_grid(max_iter=20, batch_size=8), X, y, dask=True,
                               scatter=[X, y])
        killed = client.run_on_scheduler(
            lambda dask_scheduler: dask_scheduler.plugins[
                KillOneWorkerMidSearch.name].killed)
    finally:
        client.unregister_scheduler_plugin(KillOneWorkerMidSearch.name)

    assert killed is not None, "no worker was killed: the search ended first"
    address, pid, n_processing = killed
    assert n_processing >= 1, "the killed worker held no task"
    # every candidate scored (error_score='raise' would have raised), same results
    assert np.isfinite(on_dask.cv_results_["mean_test_score"]).all()
    _assert_same_results(serial, on_dask)
    # the Nanny brings the cluster back to two workers, in a new process
    client.wait_for_workers(2, timeout=START_TIMEOUT)
    assert pid not in client.run(os.getpid).values()
