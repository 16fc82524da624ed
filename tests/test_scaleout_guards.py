"""fit_on_dask and FileBackedArray refuse what they cannot do, before changing anything.

Cheap checks, no worker processes: a closed client (an in-process cluster,
closed), searches that are not protected, and numpy 2's ``copy=`` contract.
"""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.scaleout import FileBackedArray, complete_attempts, fit_on_dask

distributed = pytest.importorskip("distributed")


def _search(cls=GridSearchCV):
    return cls(ScratchLogisticRegression(max_iter=3), {"learning_rate": [0.1, 0.2]},
               cv=3)


def test_a_closed_client_is_named_and_the_search_left_unchanged():
    X, y = load_iris(return_X_y=True)
    with distributed.LocalCluster(n_workers=1, processes=False,
                                  dashboard_address=None) as cluster:
        client = distributed.Client(cluster)
        client.close()
    search = _search()
    with pytest.raises(ValueError, match="the dask client is closed"):
        fit_on_dask(search, X, y, client=client)
    assert search.cv == 3 and not hasattr(search, "cv_results_")


def test_searches_with_per_round_splits_are_refused():
    X, y = load_iris(return_X_y=True)
    search = _search(HalvingGridSearchCV)
    with pytest.raises(TypeError, match="GridSearchCV or RandomizedSearchCV.*"
                                        "HalvingGridSearchCV"):
        fit_on_dask(search, X, y, client=object())
    assert search.cv == 3


def test_an_estimator_that_is_not_a_search_is_refused():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="GridSearchCV or RandomizedSearchCV.*"
                                        "ScratchLogisticRegression"):
        fit_on_dask(ScratchLogisticRegression(), X, y, client=object())


def test_complete_attempts_names_a_missing_column():
    row = {"fit_call": "a", "task_name": "epoch", "task_id_path": (0, 1)}
    with pytest.raises(ValueError, match="'parent_task_id_path'"):
        complete_attempts([row])


@pytest.fixture
def file_array(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(6.0).reshape(3, 2))
    return FileBackedArray(tmp_path / "x.npy")


def test_file_backed_array_honours_numpy_copy(file_array):
    copied = np.array(file_array)  # copy=True
    assert copied.flags.writeable and not np.shares_memory(copied,
                                                           file_array._mapped())
    copied[0, 0] = 9.0  # a real, writeable copy
    assert file_array[0][0] == 0.0
    with pytest.raises(ValueError, match="copy"):
        np.asarray(file_array, dtype=np.float32, copy=False)
    view = np.asarray(file_array, copy=False)  # no copy needed: the map itself
    assert np.shares_memory(view, file_array._mapped())
    np.testing.assert_array_equal(np.asarray(file_array, dtype=np.float32),
                                  np.arange(6.0, dtype=np.float32).reshape(3, 2))


class _Scripted(GridSearchCV):
    """A search whose fit runs ``script(client)`` instead of fitting."""

    def __init__(self, estimator, param_grid, *, cv=3, script=None):
        super().__init__(estimator, param_grid, cv=cv)
        self.script = script

    def fit(self, X, y=None, **params):
        self.script()
        return self


@pytest.fixture
def local_client():
    with distributed.LocalCluster(n_workers=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_the_search_s_own_error_surfaces_when_the_client_closes_mid_search(
        local_client):
    X, y = load_iris(return_X_y=True)

    def close_and_fail():
        local_client.close()
        raise RuntimeError("the search's own error")

    search = _Scripted(ScratchLogisticRegression(), {"learning_rate": [0.1]},
                       script=close_and_fail)
    with pytest.raises(RuntimeError, match="the search's own error"):
        fit_on_dask(search, X, y, client=local_client)
    assert search.cv == 3


def test_the_memory_manager_stays_paused_until_the_last_search_ends(local_client):
    import threading

    X, y = load_iris(return_X_y=True)
    assert local_client.amm.running()
    a_done, b_started = threading.Event(), threading.Event()
    seen = {}

    def b_script():  # B runs on while A ends
        b_started.set()
        assert a_done.wait(30)
        seen["after A ended"] = local_client.amm.running()

    def a_script():
        b = _Scripted(ScratchLogisticRegression(), {"learning_rate": [0.1]},
                      script=b_script)
        seen["thread"] = threading.Thread(
            target=fit_on_dask, args=(b, X, y), kwargs={"client": local_client})
        seen["thread"].start()
        assert b_started.wait(30)

    a = _Scripted(ScratchLogisticRegression(), {"learning_rate": [0.1]},
                  script=a_script)
    fit_on_dask(a, X, y, client=local_client)
    a_done.set()
    seen["thread"].join(30)
    assert seen["after A ended"] is False  # B still needs its replicas
    assert local_client.amm.running()  # restarted once B ended


def test_a_search_whose_client_vanished_does_not_hold_the_pause(local_client):
    import time

    X, y = load_iris(return_X_y=True)
    other = distributed.Client(local_client.scheduler.address)
    gone = other.id

    def close_and_fail():
        other.close()
        raise RuntimeError("lost")

    with pytest.raises(RuntimeError, match="lost"):
        fit_on_dask(_Scripted(ScratchLogisticRegression(), {"learning_rate": [0.1]},
                              script=close_and_fail), X, y, client=other)
    assert not local_client.amm.running()  # its release could not reach the scheduler
    deadline = time.monotonic() + 30
    while local_client.run_on_scheduler(
            lambda dask_scheduler: gone in dask_scheduler.clients):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    fit_on_dask(_Scripted(ScratchLogisticRegression(), {"learning_rate": [0.1]},
                          script=lambda: None), X, y, client=local_client)
    assert local_client.amm.running()  # the next search's end restarted it


def test_a_release_drops_the_searches_whose_client_vanished(local_client):
    # X pauses, Y pauses, X's client closes without releasing, Y releases: Y was
    # the last live search, so the manager runs again
    import time

    from sknn_scratch import _amm

    x_client = distributed.Client(local_client.scheduler.address)
    gone = x_client.id
    assert local_client.amm.running()
    _amm.pause(x_client)
    y_token = _amm.pause(local_client)
    x_client.close()
    deadline = time.monotonic() + 30
    while local_client.run_on_scheduler(
            lambda dask_scheduler: gone in dask_scheduler.clients):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not local_client.amm.running()
    _amm.release(local_client, y_token)
    assert local_client.amm.running()
