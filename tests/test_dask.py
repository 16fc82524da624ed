"""Scale-out: searches over sknn_scratch pipelines on dask.distributed.

On a LocalCluster of two single-threaded worker processes (extra
``sknn-scratch[dask]``):

* through joblib's dask backend, GridSearchCV and RandomizedSearchCV give
  cv_results_ identical to n_jobs=1 run under ``threadpool_limits(1)`` (the
  workers' BLAS threads);
* through :func:`sknn_scratch.scaleout.fit_on_dask`, a worker process killed
  (SIGKILL) at any moment of a digits-sized search costs nothing: the kill is
  chosen by a scheduler plugin (the first batch of fits starting, on the worker
  holding the only copy of an input if there is one) or at random events; every
  candidate is scored, with the serial scores. The same plugin makes joblib's
  plain backend lose the search (what the README warns about).

Every wait is bounded (cluster start, workers, each search), and the cluster is
closed at the end whatever happens, so a broken cluster fails the tests instead
of hanging CI. The worker processes are forked from a server that imported
sknn_scratch once (BLAS on one thread): a cluster starts in about a second, so
each test that kills a worker gets a cluster of its own.
"""

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np
import pytest

try:
    import joblib
    from distributed import Client, LocalCluster

    from tests.dask_faults import KillAtWorstMoment, assert_same_results, killed_worker
except ImportError:  # pragma: no cover - the test extra installs it
    pytest.skip("dask.distributed is not installed: pip install 'sknn-scratch[dask]' "
                "(the 'test' extra includes it)", allow_module_level=True)

from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from threadpoolctl import threadpool_limits

import sknn_scratch
from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.scaleout import FileBackedArray, fit_on_dask

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL-based fault test"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    # a killed worker makes distributed warn about lost connections / restarts
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]

START_TIMEOUT = 120  # s: cluster start and workers arriving (a loaded CI machine)
SEARCH_TIMEOUT = 240  # s: one search, including a worker restart


@pytest.fixture(scope="module", autouse=True)
def _preloaded_worker_processes():
    """Worker processes forked from a server that has imported sknn_scratch.

    A spawned worker imports dask, scikit-learn and sknn_scratch itself: several
    seconds per worker (tens on a loaded machine), for each cluster and each
    restart after a kill. Forked from a server that did it once, a cluster
    starts in about a second. The server starts with BLAS on one thread, as
    dask's own worker processes run (``distributed.nanny.pre-spawn-environ``).
    """
    import dask
    from multiprocessing import forkserver

    from distributed.utils import get_mp_context

    # the preload list and the server are process-wide; under pytest-xdist other
    # modules may run in this process afterwards: both are put back at the end
    server = forkserver._forkserver
    preload_before = server._preload_modules
    started_here = server._forkserver_pid is None
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(
            ["distributed", "sknn_scratch.estimators", "sklearn.model_selection",
             "joblib", "threadpoolctl"])
        try:
            saved = dict(os.environ)
            os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                              MKL_NUM_THREADS="1")
            try:
                forkserver.ensure_running()
            finally:
                os.environ.clear()
                os.environ.update(saved)
            yield
        finally:
            get_mp_context().set_forkserver_preload(preload_before)
            if started_here:
                server._stop()  # the next user starts a server without our preloads


@contextlib.contextmanager
def _local_cluster():
    """Two single-threaded worker processes and a client, closed (bounded) at the end."""
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


@pytest.fixture(scope="module")
def client():
    with _local_cluster() as client:
        yield client


@pytest.fixture
def fresh_client():
    """A cluster of its own for a test that kills a worker: no test waits for the
    Nanny to restart one (on a loaded machine that can stall for minutes)."""
    with _local_cluster() as client:
        yield client


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
    """``search.fit`` in a helper thread, failing (not hanging) after SEARCH_TIMEOUT.

    ``dask``: False (serial, BLAS on one thread as in the workers), True (joblib's
    dask backend), or "fit_on_dask".
    """

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not dask:
                with threadpool_limits(1):
                    return search.fit(X, y)
            if dask == "fit_on_dask":
                return fit_on_dask(search, X, y)
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


def _blas_threads():
    from threadpoolctl import threadpool_info

    return frozenset(pool["num_threads"] for pool in threadpool_info())


def test_workers_import_this_sknn_scratch_and_run_blas_on_one_thread(client):
    paths = client.run(lambda: sknn_scratch.__file__)
    assert len(paths) == 2 and set(paths.values()) == {sknn_scratch.__file__}
    # the condition under which results equal serial ones (README)
    assert set(client.run(_blas_threads).values()) == {frozenset({1})}


@pytest.mark.parametrize("make_search", [_grid, _randomized], ids=["grid", "randomized"])
def test_search_on_dask_matches_serial(client, make_search):
    X, y = _data()
    serial = _fit_bounded(make_search(), X, y, dask=False)
    on_dask = _fit_bounded(make_search(), X, y, dask=True)
    assert_same_results(serial, on_dask)
    for a, b in zip(serial.best_estimator_[-1].coefs_, on_dask.best_estimator_[-1].coefs_):
        np.testing.assert_array_equal(a, b)




def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y  # 1,797 rows: X 0.9 MB, each fold's indices ~10 kB


def _digits_grid():
    """Six fits of mini-batch nets and Newton LR (the BLAS-thread sensitive one)."""
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(
        hidden_layer_sizes=(16,), max_iter=4, tol=None, random_state=0))
    grid = [{"deepnnclassifier__alpha": [1e-4, 1.0]},
            {"deepnnclassifier": [ScratchLogisticRegression(C=1.0, max_iter=5)]}]
    return GridSearchCV(pipe, grid, cv=StratifiedKFold(2, shuffle=True, random_state=0),
                        error_score="raise")


@pytest.fixture(scope="module")
def digits_serial():
    """The digits search run serially, BLAS on one thread (the reference)."""
    X, y = _digits()
    return _fit_bounded(_digits_grid(), X, y, dask=False)


def test_newton_and_nets_on_dask_match_serial_under_one_blas_thread(client,
                                                                    digits_serial):
    X, y = _digits()
    assert_same_results(digits_serial,
                         _fit_bounded(_digits_grid(), X, y, dask="fit_on_dask"))


def _search_with_a_kill(client, make_search, X, y, *, how, **plugin):
    pids = client.run(os.getpid)
    client.register_plugin(KillAtWorstMoment(pids, **plugin))
    try:
        return _fit_bounded(make_search(), X, y, dask=how), killed_worker(client)
    except Exception as exc:
        return exc, killed_worker(client)


def test_plain_joblib_backend_loses_the_search_with_a_sole_replica(fresh_client):
    # what fit_on_dask exists for (README): the fold indices live on one worker
    X, y = _digits()
    outcome, killed = _search_with_a_kill(fresh_client, _digits_grid, X, y, how=True)
    assert killed is not None and killed[2], "no worker held a sole replica"
    assert isinstance(outcome, Exception), "the plain backend survived: update README"


@pytest.mark.parametrize("file_backed", [False, True], ids=["in-memory", "file-backed"])
def test_fit_on_dask_survives_a_kill_at_the_worst_moment(fresh_client, digits_serial,
                                                         file_backed, tmp_path):
    X, y = _digits()
    if file_backed:  # out-of-core X: workers map the file themselves
        np.save(tmp_path / "X.npy", X)
        X = FileBackedArray(tmp_path / "X.npy")
    on_dask, killed = _search_with_a_kill(fresh_client, _digits_grid, X, y,
                                          how="fit_on_dask")
    assert killed is not None, "no worker was killed: the search ended first"
    assert killed[2] is False  # everything broadcast: no input had a sole holder
    assert not isinstance(on_dask, Exception), on_dask
    assert_same_results(digits_serial, on_dask)


def test_fit_on_dask_survives_kills_at_random_moments(digits_serial):
    X, y = _digits()
    rng = np.random.default_rng(0)
    # 6 fits in batches: each batch starts and ends (>= 2 events per batch)
    for at, victim in zip(rng.integers(1, 7, size=3), rng.integers(0, 2, size=3)):
        with _local_cluster() as client:  # a fresh cluster for each kill
            on_dask, killed = _search_with_a_kill(client, _digits_grid, X, y,
                                                  how="fit_on_dask", at=int(at),
                                                  victim=int(victim))
        assert killed is not None, f"no kill at event {at}"
        assert not isinstance(on_dask, Exception), on_dask
        assert_same_results(digits_serial, on_dask)


@pytest.fixture
def external_client(tmp_path):
    """A scheduler and a worker in processes of their own (``dask scheduler`` and
    ``dask worker``), not a LocalCluster, and a client of them."""
    pytest.importorskip("sklearn.callback")
    file = tmp_path / "scheduler.json"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cli = [sys.executable, "-m", "distributed.cli"]
    procs = [subprocess.Popen(cli[:2] + ["distributed.cli.dask_scheduler", "--port", "0",
                                         "--dashboard-address", ":0",
                                         "--scheduler-file", str(file)],
                              env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not file.exists():
            if time.monotonic() > deadline or procs[0].poll() is not None:
                pytest.fail("the dask scheduler did not start")
            time.sleep(0.2)
        procs.append(subprocess.Popen(
            cli[:2] + ["distributed.cli.dask_worker", "--scheduler-file", str(file),
                       "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        with Client(scheduler_file=str(file), timeout=f"{START_TIMEOUT}s") as client:
            client.wait_for_workers(1, timeout=START_TIMEOUT)
            yield client
    finally:
        # the test is over: no graceful shutdown (seconds), each process group
        # (a worker's nanny and its worker process) is killed at once
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_scoring_monitor_gets_every_row_through_an_external_scheduler(external_client):
    from sklearn.callback import ScoringMonitor

    X, y = _data()
    monitor = ScoringMonitor(scoring="accuracy")
    net = ShallowNNClassifier(max_iter=3, tol=None, random_state=0)
    search = GridSearchCV(make_pipeline(StandardScaler(), net.set_callbacks(monitor)),
                          {"shallownnclassifier__n_hidden": [2, 4]}, cv=3)
    _fit_bounded(search, X, y, dask=True)
    rows = [row for run in monitor.get_logs(select="all") for row in run.data]
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    # 2 candidates x 3 folds + the refit, each a fit of 3 epochs: 21 rows, not the
    # few a LocalCluster (scheduler in this process) lets through
    assert len(epochs) == 21, [(r["task_name"], r["task_id"]) for r in rows]
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in epochs)


def test_file_backed_array_refuses_a_non_2d_file_and_pickles_as_its_path(tmp_path):
    np.save(tmp_path / "y.npy", np.arange(5.0))
    with pytest.raises(ValueError, match=r"2-d array .* shape \(5,\)"):
        FileBackedArray(tmp_path / "y.npy")
    X = np.arange(20_000.0).reshape(2000, 10)
    np.save(tmp_path / "X.npy", X)
    handle = FileBackedArray(tmp_path / "X.npy")
    assert len(pickle.dumps(handle)) < 500  # not the 160 kB of data
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(handle))[[3, 1]], X[[3, 1]])
    assert len(handle) == 2000 and np.asarray(handle).shape == (2000, 10)
