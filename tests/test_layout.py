"""Memory layout never changes a number: C- and F-ordered copies of the same weights.

The training loop stores a wide layer (n_in >= 8 n_out) column by column
(:mod:`sknn_scratch.core.flat`). That layout must not leak to users, and every
public entry point that takes or returns weights must give the same numbers
whichever order the arrays it is given are in.
"""

import copy
import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits

from sknn_scratch import (DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier,
                          check_gradients, runtime)
from sknn_scratch.io import load_model, save_model

X, y = load_digits(return_X_y=True)
X = X[:400] / 16.0
y = y[:400]
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

MAKERS = {
    # 64 -> 5 and 64 -> 4 are wide first layers; LR 64 -> 10 is not, 96 -> 3 below is
    "deep": lambda: DeepNNClassifier((5, 4), max_iter=5, tol=None, random_state=0),
    "shallow": lambda: ShallowNNClassifier(max_iter=5, tol=None, random_state=0),
    "logistic-adam": lambda: ScratchLogisticRegression(solver="adam", max_iter=5,
                                                       tol=None, random_state=0),
}


def _fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return est.fit(*args, **kwargs)


def _fortran_twin(est):
    """A deep copy whose weights and optimizer state are F-ordered copies."""
    twin = copy.deepcopy(est)
    twin.coefs_ = [np.asfortranarray(W) for W in est.coefs_]
    twin.intercepts_ = [b.copy() for b in est.intercepts_]
    rule, state = twin._optimizer_state
    state = {key: [np.asfortranarray(v) for v in value] if isinstance(value, list)
             else value for key, value in state.items()}
    twin._optimizer_state = (rule, state)
    assert not twin.coefs_[0].flags.c_contiguous or twin.coefs_[0].shape[1] == 1
    return est, twin


@pytest.fixture(params=list(MAKERS))
def pair(request):
    return _fortran_twin(_fit(MAKERS[request.param](), X, y))


def test_fitted_weights_are_row_ordered_for_every_solver_and_width():
    # what a user is handed is always C-ordered, also for wide layers
    wide_y = np.arange(60) % 3
    wide_X = np.random.default_rng(0).standard_normal((60, 96))
    for est in [MAKERS[k]() for k in MAKERS] + [
            ScratchLogisticRegression(), DeepNNClassifier((5,), max_iter=3, early_stopping=True,
                                                          tol=None, random_state=0)]:
        for data, target in ((X, y), (wide_X, wide_y)):
            _fit(est, data, target)
            for W in est.coefs_:
                assert W.flags.c_contiguous, (est, W.shape)
            if getattr(est, "_optimizer_state", None) is not None:
                for value in est._optimizer_state[1].values():
                    for v in value if isinstance(value, list) else ():
                        assert v.flags.c_contiguous, (est, v.shape)


def test_predictions_do_not_depend_on_weight_order(pair):
    est, twin = pair
    for data in (X, sparse.csr_matrix(X), X.astype(np.float32)):
        for method in METHODS:
            np.testing.assert_array_equal(getattr(est, method)(data),
                                          getattr(twin, method)(data))


def test_gradient_check_does_not_depend_on_weight_order(pair):
    est, twin = pair
    assert check_gradients(est, X[:8], y[:8]) == check_gradients(twin, X[:8], y[:8])


def test_model_file_and_runtime_do_not_depend_on_weight_order(pair, tmp_path):
    est, twin = pair
    save_model(est, tmp_path / "c.h5")
    save_model(twin, tmp_path / "f.h5")
    loaded_c, loaded_f = load_model(tmp_path / "c.h5"), load_model(tmp_path / "f.h5")
    for W, V in zip(loaded_c.coefs_ + loaded_c.intercepts_,
                    loaded_f.coefs_ + loaded_f.intercepts_):
        np.testing.assert_array_equal(W, V)
        assert V.flags.c_contiguous
    served_c, served_f = runtime.load(tmp_path / "c.h5"), runtime.load(tmp_path / "f.h5")
    for method in METHODS:
        expected = getattr(est, method)(X)
        np.testing.assert_array_equal(getattr(loaded_f, method)(X), expected)
        np.testing.assert_array_equal(getattr(served_c, method)(X), expected)
        np.testing.assert_array_equal(getattr(served_f, method)(X), expected)


def test_partial_fit_and_warm_start_do_not_depend_on_weight_order(pair):
    est, twin = pair
    a, b = copy.deepcopy(est), copy.deepcopy(twin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a.partial_fit(X, y)
        b.partial_fit(X, y)
        for W, V in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_array_equal(W, V)
        a.set_params(warm_start=True, max_iter=2).fit(X, y)
        b.set_params(warm_start=True, max_iter=2).fit(X, y)
    for W, V in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(W, V)
        assert V.flags.c_contiguous


def test_onnx_export_does_not_depend_on_weight_order(pair):
    pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
    import skl2onnx

    import sknn_scratch.onnx  # noqa: F401  (registers the converters)

    est, twin = pair
    outputs = []
    for model in (est, twin):
        onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
        session = ort.InferenceSession(onx.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: X})[1])
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_layout_checks_pass_in_fresh_interpreters():
    # memory layout and uninitialised memory differ per process: the row-order and
    # prediction checks above run again in two new interpreters
    import subprocess
    import sys

    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
             __file__, "-k",
             "row_ordered_for_every or predictions_do_not_depend"],
            capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:]
        assert "4 passed," in done.stdout, done.stdout[-500:]
