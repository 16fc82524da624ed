"""The study's ``--grid``: a small GridSearchCV on train, scored on dev.

The train and dev splits are stacked and a :class:`~sklearn.model_selection.PredefinedSplit`
marks the dev rows, so every candidate is fitted on train and scored on dev —
the notes' train/dev protocol, through scikit-learn's search machinery (and so
runnable on a dask.distributed cluster: :func:`sknn_scratch.scaleout.fit_on_dask`).
"""

import contextlib
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..estimators import DeepNNClassifier
from ..scaleout import fit_on_dask

#: Candidates of the default grid (2 x 3 = 6 fits).
DEFAULT_GRID = {
    "deepnnclassifier__alpha": [1e-4, 1e-2, 1.0],
    "deepnnclassifier__hidden_layer_sizes": [(64,), (64, 32)],
}


def dev_split(n_train, n_dev):
    """A PredefinedSplit whose single fold trains on the first ``n_train`` rows."""
    return PredefinedSplit(np.r_[np.full(n_train, -1), np.zeros(n_dev, dtype=int)])


@contextlib.contextmanager
def dask_backend(scheduler):
    """Run joblib work on dask.distributed: ``'local'`` starts a LocalCluster."""
    try:
        import joblib
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ValueError(
            "--scheduler needs dask.distributed: pip install 'sknn-scratch[dask]'"
        ) from exc
    cluster = None
    if scheduler == "local":
        # no dashboard; the scheduler's small HTTP server (health checks) on a free
        # port, so a busy 8787 gives no "Port 8787 is already in use" warning
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        client = Client(cluster)
    else:  # preflight.check_scheduler has seen a dask greeting there
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        with joblib.parallel_config(backend="dask"):
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def grid_search(data, *, grid=None, max_iter=None, random_state=0, scheduler=None,
                scale=True, verbose=0, callbacks=()):
    """Fit every candidate on train, score on dev; returns the fitted search.

    ``verbose`` is GridSearchCV's (2: a line per fitted candidate); ``callbacks``
    (e.g. scikit-learn's ProgressBar) are set on the search.
    """
    net = DeepNNClassifier(random_state=random_state,
                           **({} if max_iter is None else {"max_iter": max_iter}))
    pipe = make_pipeline(StandardScaler(), net) if scale else make_pipeline(net)
    search = GridSearchCV(pipe, grid or DEFAULT_GRID,
                          cv=dev_split(len(data.y_train), len(data.y_dev)),
                          refit=False, return_train_score=True, verbose=verbose)
    if callbacks:
        search.set_callbacks(*callbacks)
    X = np.concatenate([data.X_train, data.X_dev])
    y = np.concatenate([data.y_train, data.y_dev])
    context = dask_backend(scheduler) if scheduler else contextlib.nullcontext()
    with context as client, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if client is None:
            search.fit(X, y)
        else:  # inputs broadcast: survives the loss of a worker (README)
            fit_on_dask(search, X, y, client=client)
    return search


def grid_record(search):
    """The search for results.json: the grid, and each candidate's scores."""
    res = search.cv_results_
    grid = search.param_grid
    return {
        "param_grid": {k.split("__")[-1]: [_plain(v) for v in values]
                       for k, values in grid.items()},
        "fitted_on": "train",
        "scored_on": "dev",
        "candidates": [
            {"params": {k.split("__")[-1]: _plain(v) for k, v in params.items()},
             "rank": int(res["rank_test_score"][i]),
             "train_accuracy": float(res["mean_train_score"][i]),
             "dev_accuracy": float(res["mean_test_score"][i])}
            for i, params in enumerate(res["params"])],
    }


def _plain(value):
    """A grid value as JSON can hold it (tuples of layer sizes become lists)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def format_grid(search):
    """The search's candidates as a text table, best first."""
    res = search.cv_results_
    order = np.argsort(res["rank_test_score"], kind="stable")
    lines = [f"{'rank':>4} {'train':>6} {'dev':>6}  parameters", "-" * 60]
    for i in order:
        params = ", ".join(f"{k.split('__')[-1]}={v!r}" for k, v in res["params"][i].items())
        lines.append(f"{res['rank_test_score'][i]:>4} {100 * res['mean_train_score'][i]:6.1f} "
                     f"{100 * res['mean_test_score'][i]:6.1f}  {params}")
    return "\n".join(lines)
