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
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout="10s")
    try:
        with joblib.parallel_config(backend="dask"):
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def grid_search(data, *, grid=None, max_iter=None, random_state=0, scheduler=None,
                scale=True):
    """Fit every candidate on train, score on dev; returns the fitted search."""
    net = DeepNNClassifier(random_state=random_state,
                           **({} if max_iter is None else {"max_iter": max_iter}))
    pipe = make_pipeline(StandardScaler(), net) if scale else make_pipeline(net)
    search = GridSearchCV(pipe, grid or DEFAULT_GRID,
                          cv=dev_split(len(data.y_train), len(data.y_dev)),
                          refit=False, return_train_score=True)
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
