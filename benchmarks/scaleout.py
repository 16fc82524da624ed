"""(n) A grid search on dask.distributed surviving a worker killed at the worst moment.

The issue's realistic size: a generated 20,000 x 100 set (make_classification,
five classes; 4,000 rows with --quick), a grid of mini-batch nets and Newton
logistic regression, 3-fold stratified CV. The search runs

  serially, BLAS on one thread (the reference: dask's worker processes use one);
  through ``fit_on_dask`` on a LocalCluster of two single-threaded worker
  processes, one of which a scheduler plugin SIGKILLs when the first batch of
  fits starts (on the worker holding a sole copy of an input if there is one:
  the plugin of tests/test_dask.py).

It prints the wall time of each (the cluster's start excluded), their ratio, and
whether ``cv_results_`` (every score column) and ``best_params_`` equal the
serial search's. The target is that equality: the time is there to show the cost
of the cluster, the broadcast and the rerun fits on a 2-core machine.

    python benchmarks/scaleout.py [--quick]
"""

import logging
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # _common, then this sknn_scratch/tests

from sklearn.datasets import make_classification  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression  # noqa: E402

import _common as C  # noqa: E402


def make_search():
    """Six candidates x 3 folds, and the refit."""
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(
        hidden_layer_sizes=(32,), max_iter=5, tol=None, random_state=0))
    grid = [{"deepnnclassifier__alpha": [1e-4, 1e-2, 1.0],
             "deepnnclassifier__hidden_layer_sizes": [(32,), (32, 16)]},
            {"deepnnclassifier": [ScratchLogisticRegression(C=1.0, max_iter=20)]}]
    return GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                        error_score="raise")


def measure(n_samples):
    """Wall times and outcome of the serial search and of the one with a kill."""
    from distributed import Client, LocalCluster

    from sknn_scratch.scaleout import fit_on_dask
    from tests.dask_faults import KillAtWorstMoment, assert_same_results, killed_worker

    X, y = make_classification(n_samples, 100, n_informative=30, n_redundant=10,
                               n_classes=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        with threadpool_limits(1):
            serial = make_search().fit(X, y)
        serial_s = time.perf_counter() - t0
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                          dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
                Client(cluster) as client:
            client.wait_for_workers(2)
            client.register_plugin(KillAtWorstMoment(client.run(os.getpid)))
            t0 = time.perf_counter()
            try:
                on_dask, error = fit_on_dask(make_search(), X, y, client=client), None
            except Exception as exc:  # reported, not raised: the row says MISS
                on_dask, error = None, f"{type(exc).__name__}: {exc}"
            dask_s = time.perf_counter() - t0
            killed = killed_worker(client)
    if error is None:
        try:
            assert_same_results(serial, on_dask)
        except AssertionError as exc:
            error = f"cv_results_ differ: {str(exc).splitlines()[0]}"
    return {"n_samples": n_samples, "n_features": 100, "serial_s": serial_s,
            "dask_with_kill_s": dask_s, "killed": killed is not None,
            "victim_held_a_sole_copy": None if killed is None else killed[2],
            "equal_to_serial": error is None and killed is not None, "error": error}


def run(quick=False):
    results = measure(4_000 if quick else 20_000)
    size = f"{results['n_samples']:,} x 100"
    equal = results["equal_to_serial"]
    outcome = ("cv_results_ equal serial" if equal else
               results["error"] or "no worker was killed (the search ended first)")
    rows = [C.row("n", f"grid search {size}, a worker killed at the worst moment "
                  "(fit_on_dask, 2 workers) vs serial (wall)",
                  f"{results['dask_with_kill_s']:.1f} s", f"{results['serial_s']:.1f} s",
                  f"{results['dask_with_kill_s'] / results['serial_s']:.1f}x; "
                  + outcome, "cv_results_ equal serial", equal)]
    return rows, results


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    section_rows, section_results = run(quick)
    for key, value in section_results.items():
        print(f"{key}: {value}")
