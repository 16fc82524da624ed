"""A grid search over sknn_scratch pipelines on a dask.distributed cluster.

Run:  pip install 'sknn-scratch[dask]' && python examples/grid_search_dask.py [ADDRESS]
Without ADDRESS a LocalCluster of two worker processes starts on this machine;
with one (e.g. tcp://scheduler:8786) the search runs on that cluster, whose
workers need sknn-scratch installed. ``fit_on_dask`` is ``search.fit`` through
joblib's dask backend, with every input on every worker, so that the search
survives the loss of a worker (README, "Grid search on a dask.distributed cluster").
"""

import sys

from dask.distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier
from sknn_scratch.scaleout import fit_on_dask

if __name__ == "__main__":
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), DeepNNClassifier(max_iter=50, random_state=0)),
        {"deepnnclassifier__alpha": [1e-4, 1e-2, 1.0],
         "deepnnclassifier__hidden_layer_sizes": [(32,), (64, 32)]},
        cv=3)
    if len(sys.argv) > 1:
        client = Client(sys.argv[1])
    else:
        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True))
    with client:  # X, y and the folds broadcast: the search survives a lost worker
        fit_on_dask(search, X, y, client=client)
    print("best:", search.best_params_, f"cv accuracy {search.best_score_:.3f}")
