"""Reproducibility: the same random_state gives bit-identical weights.

Run after run, after clone, after a pickle round trip in the middle of a
partial_fit sequence, and whether a grid search runs serially or on loky worker
processes (dask: tests/test_dask.py). Concurrent predict_proba calls from several
threads on one fitted model give exactly the serial results.
"""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.augment import ImageAugmenter

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(80, 5))
Y = np.array(["a", "b", "c"])[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]

# Everything that draws from the one generator: init, shuffling, mini-batches,
# dropout masks, the early-stopping split, augmentation.
ESTIMATORS = {
    "logistic-newton": lambda: ScratchLogisticRegression(max_iter=20),
    "logistic-adam-minibatch": lambda: ScratchLogisticRegression(
        solver="adam", init="random", batch_size=16, max_iter=5, random_state=3),
    "shallow-sgd-momentum": lambda: ShallowNNClassifier(
        6, solver="momentum", batch_size=1, max_iter=3, random_state=3),
    "deep-dropout-early-stopping": lambda: DeepNNClassifier(
        (8, 5), dropout=0.3, early_stopping=True, validation_fraction=0.2,
        n_iter_no_change=3, batch_size=16, max_iter=8, random_state=3),
    "deep-augmentation-rmsprop": lambda: DeepNNClassifier(
        (6,), solver="rmsprop", augmentation=ImageAugmenter(image_shape=(1, 5, 1),
                                                            noise_std=0.05),
        max_iter=4, random_state=np.int64(7)),
}


def _weights(est):
    return est.coefs_ + est.intercepts_


def _assert_same_weights(a, b):
    wa, wb = _weights(a), _weights(b)
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)  # bit for bit, not allclose


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args, **kwargs)


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS)
def test_same_random_state_gives_identical_weights_run_after_run(make):
    first, second = _fit(make(), X, Y), _fit(make(), X, Y)
    _assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_
    assert first.n_iter_ == second.n_iter_
    # and refitting the same object starts over from the same generator
    _assert_same_weights(first, _fit(first, X, Y))


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS)
def test_clone_gives_identical_weights(make):
    est = _fit(make(), X, Y)
    _assert_same_weights(est, _fit(clone(est), X, Y))


def test_random_state_instance_is_reproducible_through_clone():
    est = DeepNNClassifier((6,), max_iter=3, random_state=np.random.RandomState(5))
    _assert_same_weights(_fit(clone(est), X, Y), _fit(clone(est), X, Y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS)
def test_pickle_round_trip_mid_partial_fit_continues_identically(make, dtype):
    Xd = X.astype(dtype)
    batches = [slice(0, 30), slice(30, 60), slice(60, 80), slice(0, 80), slice(10, 50)]
    classes = np.unique(Y)
    straight = make()
    for rows in batches:
        straight.partial_fit(Xd[rows], Y[rows], classes=classes)
    resumed = make()
    for rows in batches[:2]:
        resumed.partial_fit(Xd[rows], Y[rows], classes=classes)
    resumed = pickle.loads(pickle.dumps(resumed))
    for rows in batches[2:]:
        resumed.partial_fit(Xd[rows], Y[rows])
    _assert_same_weights(straight, resumed)
    assert straight.loss_curve_ == resumed.loss_curve_
    np.testing.assert_array_equal(straight.predict_proba(Xd), resumed.predict_proba(Xd))


@pytest.mark.parametrize("make", ESTIMATORS.values(), ids=ESTIMATORS)
def test_pickle_round_trip_mid_warm_start_continues_identically(make):
    straight = _fit(make().set_params(warm_start=True), X, Y)
    _fit(straight, X, Y)
    resumed = pickle.loads(pickle.dumps(_fit(make().set_params(warm_start=True), X, Y)))
    _fit(resumed, X, Y)
    _assert_same_weights(straight, resumed)


def _search_data():
    X_, y_ = load_iris(return_X_y=True)
    return X_[::2], y_[::2]  # 75 rows: fast


def _grid(n_jobs):
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(max_iter=6, random_state=0))
    grid = {"deepnnclassifier__alpha": [1e-4, 1.0],
            "deepnnclassifier__hidden_layer_sizes": [(5,), (6, 4)]}
    return GridSearchCV(pipe, grid, cv=StratifiedKFold(3, shuffle=True, random_state=0),
                        n_jobs=n_jobs, return_train_score=True, error_score="raise")


def _random(n_jobs):
    pipe = make_pipeline(StandardScaler(), ShallowNNClassifier(max_iter=6, random_state=0))
    space = {"shallownnclassifier__n_hidden": [2, 4, 8],
             "shallownnclassifier__learning_rate": [0.01, 0.05, 0.1],
             "shallownnclassifier__dropout": [0.0, 0.2]}
    return RandomizedSearchCV(pipe, space, n_iter=4, cv=3, random_state=0, n_jobs=n_jobs,
                              error_score="raise")


def assert_same_search_results(a, b):
    """Same candidates, same scores to the bit, same refitted weights."""
    assert a.cv_results_["params"] == b.cv_results_["params"]
    for key in a.cv_results_:
        if key.startswith(("split", "mean_test", "mean_train", "std_test", "std_train",
                           "rank")):
            np.testing.assert_array_equal(a.cv_results_[key], b.cv_results_[key],
                                          err_msg=key)
    assert a.best_params_ == b.best_params_
    _assert_same_weights(a.best_estimator_[-1], b.best_estimator_[-1])


@pytest.mark.parametrize("make_search", [_grid, _random], ids=["grid", "randomized"])
def test_search_on_loky_workers_matches_serial(make_search):
    X_, y_ = _search_data()
    serial = _fit(make_search(n_jobs=1), X_, y_)
    parallel = _fit(make_search(n_jobs=2), X_, y_)  # loky processes
    assert_same_search_results(serial, parallel)


@pytest.mark.parametrize("make", [
    lambda: DeepNNClassifier((16, 8), max_iter=3, random_state=0),
    lambda: ShallowNNClassifier(max_iter=3, random_state=0),
    lambda: ScratchLogisticRegression(max_iter=10),
], ids=["deep", "shallow", "logistic"])
def test_concurrent_predict_proba_matches_serial(make):
    est = _fit(make(), X, Y)
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(int(n), 5)) for n in rng.integers(1, 400, size=48)]
    inputs.append(rng.normal(size=(5000, 5)))
    serial = [est.predict_proba(x) for x in inputs]
    before = pickle.dumps(est)
    with ThreadPoolExecutor(max_workers=6) as pool:
        concurrent = list(pool.map(est.predict_proba, inputs))
        labels = list(pool.map(est.predict, inputs))
    for s, c, x, lab in zip(serial, concurrent, inputs, labels):
        np.testing.assert_array_equal(s, c)
        np.testing.assert_array_equal(est.predict(x), lab)
    assert pickle.dumps(est) == before  # predicting wrote nothing to the model
