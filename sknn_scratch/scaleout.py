"""Searches on a dask.distributed cluster that survive the loss of a worker.

joblib's dask backend (``joblib.parallel_config(backend="dask")``) sends every
argument of a batch of fits larger than about 1 kB -- X, y and each fold's
train/test index arrays -- to *one* worker (``client.scatter`` without
replicas). Kill that worker and the only copy is gone: the search fails with
``FutureCancelledError: ... cancelled for reason: already forgotten`` (with the
full digits data; a 50-row X stays under 1 kB and never shows it).

:func:`fit_on_dask` runs the same ``search.fit`` through the same backend, but
first computes the cross-validation splits and broadcasts X, y and every
fold's index arrays to all workers (joblib's own ``scatter=`` option, which
calls ``client.scatter(..., broadcast=True)``), with the scheduler's active
memory manager paused meanwhile (its default policy drops all replicas but one
every 2 s). Every worker then holds every input, so when one dies dask reruns
its fits on the others from their own copies, and ``cv_results_`` are those of
the serial search.

For X too large to send (out of core), pass a :class:`FileBackedArray`: it
pickles as the file's path, and each worker maps the file itself (the workers
must see that path: one machine, or a shared file system).

A fit rerun after its worker died logs its epochs to callbacks again. Each fit
call has its own id (:func:`fit_call_id`, a ``ScoringMonitor`` column), and
:func:`complete_attempts` keeps, of each fit's attempts, the rows of the one
that got furthest.
"""

import os
from collections import Counter

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import indexable

from . import _amm
from ._callbacks import fit_call_id

__all__ = ["FileBackedArray", "complete_attempts", "fit_call_id", "fit_on_dask"]

#: Callback subtasks of an sknn_scratch fit: their rows' parent task is the fit.
_SUBTASKS = ("epoch", "newton-iter")
#: Columns complete_attempts reads from each row of an sknn_scratch fit.
_COLUMNS = ("task_name", "task_id_path", "parent_task_id_path")


def fit_on_dask(search, X, y=None, *, groups=None, client=None, **fit_params):
    """``search.fit(X, y)`` on dask.distributed, surviving the loss of any one worker.

    Parameters
    ----------
    search : GridSearchCV or RandomizedSearchCV
        The search to fit (halving searches, which draw new splits each round,
        are refused: those splits would not be broadcast). Its ``cv`` is used as given; it is set back after the
        fit (during it, the computed splits stand in for it).
    X : array-like of shape (n_samples, n_features) or FileBackedArray
        Training data. An in-memory X is broadcast to every worker; a
        :class:`FileBackedArray` travels as its path.
    y : array-like of shape (n_samples,), default=None
        Target, broadcast to every worker.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group-aware ``cv`` (as in ``search.fit``).
    client : dask.distributed.Client, default=None
        The cluster's client; by default the current one (``get_client()``).
    **fit_params : dict
        Passed to ``search.fit`` (e.g. routed ``sample_weight``).

    Returns
    -------
    search : object
        The fitted search.

    Notes
    -----
    Guarantee (tested on a two-process ``LocalCluster``, with the kill chosen by
    a scheduler plugin when a batch of fits starts, and at random moments): when
    one worker process dies at any moment after the inputs are broadcast, every
    candidate is still scored, and ``cv_results_`` equal those of the serial
    search run under ``threadpool_limits(1)`` (dask's worker processes use one
    BLAS thread). Not covered: the loss of *every* worker holding the inputs
    (e.g. two of two workers), or of the scheduler or the client.

    The scheduler's active memory manager, if running, is stopped for the
    duration of the search (it would reduce the broadcast inputs to one copy)
    and started again when the last ``fit_on_dask`` running on the cluster ends
    (a count kept on the scheduler): other work on the cluster meanwhile keeps
    any extra replicas it makes.
    """
    import joblib
    from dask.distributed import get_client
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    if not isinstance(search, (GridSearchCV, RandomizedSearchCV)):
        # halving searches draw new splits each round: those index arrays would
        # not be broadcast, and a worker's death at the wrong moment loses them
        raise TypeError(
            "fit_on_dask protects GridSearchCV or RandomizedSearchCV (their "
            "splits are computed once and broadcast); got "
            f"{type(search).__name__}.")
    client = get_client() if client is None else client
    if client.status != "running":
        raise ValueError(f"the dask client is closed or not connected (status "
                         f"{client.status!r}): connect a new Client to run the "
                         "search.")
    if not isinstance(X, FileBackedArray):
        X, y = indexable(X, y)
    else:
        y = indexable(y)[0]
    cv = check_cv(search.cv, y, classifier=is_classifier(search.estimator))
    # the same index arrays, object for object, reach every fit: joblib then
    # sends the broadcast copies instead of scattering them once more
    splits = [(train, test) for train, test in cv.split(X, y, groups)]
    inputs = [a for a in [X, y, *(a for split in splits for a in split)]
              if a is not None and not isinstance(a, FileBackedArray)]
    # The active memory manager (on by default) drops "superfluous" replicas every
    # few seconds, which would undo the broadcast: paused during the search.
    token = _amm.pause(client)
    original, failed = search.cv, True
    try:
        search.cv = splits
        with joblib.parallel_config(backend="dask", client=client, scatter=inputs):
            search.fit(X, y, **({} if groups is None else {"groups": groups}),
                       **fit_params)
        failed = False
    finally:
        search.cv = original
        # on failure the search's error is the one to see: release stays quiet
        _amm.release(client, token, quiet=failed)
    return search


def complete_attempts(rows, key="fit_call"):
    """The logged rows without those of fit attempts that were cut short.

    When a dask worker dies during a fit, dask runs that fit again elsewhere, and
    the epochs both attempts ran are logged twice (same ``task_id_path``).
    Fits are deterministic, so those rows hold the same scores; what tells the
    attempts apart is the fit call's id, logged as column ``key`` by
    ``ScoringMonitor(scoring={..., key: fit_call_id})``. Of each fit's
    attempts this keeps the one with the most rows (the complete one; on a tie,
    the first logged), and drops the others.

    Parameters
    ----------
    rows : list of dict
        Rows of one ``ScoringMonitorLog`` (``monitor.get_logs().data``: one
        run, e.g. one search), with ``task_id_path``, ``parent_task_id_path``
        and ``task_name``. Rows of different runs share task paths: pass them
        run by run.
    key : str, default="fit_call"
        The column holding :func:`fit_call_id`.

    Returns
    -------
    rows : list of dict
        The kept rows, in their order. Rows without an id (``key`` missing or
        None: not from an sknn_scratch fit) are all kept.
    """
    rows = list(rows)
    if rows and not any(key in row for row in rows):
        raise ValueError(
            f"None of the rows has a {key!r} column: log the fit call's id with "
            f"ScoringMonitor(scoring={{..., {key!r}: fit_call_id}}).")
    fit_of, size = {}, Counter()  # attempt -> its fit's task path; rows per attempt
    for row in rows:
        attempt = row.get(key)
        if attempt is None:
            continue
        missing = [c for c in _COLUMNS if c not in row]
        if missing:
            raise ValueError(f"A row with {key} {attempt!r} has no {missing[0]!r} "
                             "column: pass the rows of a ScoringMonitorLog "
                             "(monitor.get_logs().data).")
        # an epoch's parent task is the fit; the fit's own row is the fit
        path = (row["parent_task_id_path"] if row["task_name"] in _SUBTASKS
                else row["task_id_path"])
        fit_of.setdefault(attempt, tuple(path))
        size[attempt] += 1
    best = {}  # fit path -> its attempt with the most rows (the first on ties)
    for attempt, path in fit_of.items():
        if path not in best or size[attempt] > size[best[path]]:
            best[path] = attempt
    kept = set(best.values())
    return [row for row in rows if row.get(key) is None or row[key] in kept]


class FileBackedArray:
    """A read-only array kept in a ``.npy`` file, sent to dask workers as its path.

    Sizing and row indexing (``X[rows]``, what cross-validation does) read the
    file through ``numpy.load(path, mmap_mode='r')``, so only the rows a fit uses
    are read, in each worker's own process; ``np.asarray(X)`` reads it all.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npy`` file (``np.save``), e.g. written chunk by chunk with
        ``numpy.lib.format.open_memmap`` or from a dask array with
        ``da.store(x, open_memmap(path, mode='w+', dtype=..., shape=...))``.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    shape : tuple of int
    dtype : numpy.dtype
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        self._array = None
        array = self._mapped()
        if array.ndim != 2:
            raise ValueError(f"FileBackedArray needs a 2-d array (n_samples, "
                             f"n_features); {self.path} holds shape {array.shape}.")
        self.shape, self.dtype = array.shape, array.dtype

    def _mapped(self):
        if self._array is None:
            self._array = np.load(self.path, mmap_mode="r")
        return self._array

    ndim = 2

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        return np.asarray(self._mapped()[key])

    def __array__(self, dtype=None, copy=None):
        # numpy 2's contract: copy=True a new writeable array, copy=False never a
        # copy (an error if the dtype needs one), None a copy only when needed
        # (np.asarray has no copy argument before numpy 2, which setup.cfg allows)
        mapped = self._mapped()
        if copy:
            return np.array(mapped, dtype=dtype, copy=True)
        array = np.asarray(mapped, dtype=dtype)
        if copy is False and not np.shares_memory(array, mapped):
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return array

    def __reduce__(self):  # the path travels, not the data
        return type(self), (self.path,)

    def __repr__(self):
        return f"FileBackedArray({self.path!r}, shape={self.shape}, dtype={self.dtype})"

