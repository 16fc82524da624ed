"""Input checks: the fast paths for plain float arrays (prediction, and training with
1-d numeric labels) decide exactly as scikit-learn's ``validate_data`` (and
``check_classification_targets`` / ``unique_labels``) do: same arrays, same errors,
same warnings."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import validate_data
from threadpoolctl import threadpool_limits

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression
from sknn_scratch.core import predict
from sknn_scratch.estimators import _data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

rng = np.random.default_rng(0)
X = rng.standard_normal((40, 4))
y = np.arange(40) % 3


def _fitted(make, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(data, y)


def _nan_row():
    Z = X[:3].copy()
    Z[1, 2] = np.nan
    return Z


INPUTS = {
    "float64-C": X[:5],
    "float64-F": np.asfortranarray(X[:5]),
    "float32": X[:5].astype(np.float32),
    "strided-view": X[::2],
    "one-row": X[:1],
    "nan": _nan_row(),
    "inf32": np.full((2, 4), np.inf, np.float32),
    "wrong-features": X[:5, :3],
    "zero-rows": X[:0],
    "float16": X[:5].astype(np.float16),
    "int": np.ones((3, 4), dtype=int),
    "one-d": X[0],
    "three-d": X[:4].reshape(2, 2, 4),
    "list": X[:2].tolist(),
    "dataframe": pd.DataFrame(X[:3], columns=list("abcd")),
}


def _outcome(check, est, data):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = check(est, data)
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            return ("error", type(exc), str(exc), [str(w.message) for w in caught])
    return ("ok", out.dtype, out.shape, np.asarray(out).tobytes(), out is data,
            [str(w.message) for w in caught])


def _reference(est, data):
    return validate_data(est, data, reset=False, accept_sparse="csr",
                         dtype=_data.FLOAT_DTYPES)


@pytest.mark.parametrize("named", [False, True], ids=["fitted-on-array", "fitted-on-frame"])
@pytest.mark.parametrize("make", [DeepNNClassifier, ScratchLogisticRegression])
@pytest.mark.parametrize("name", INPUTS)
def test_prediction_checks_decide_as_validate_data(name, make, named):
    est = _fitted(make, pd.DataFrame(X, columns=list("abcd")) if named else X)
    data = INPUTS[name]
    assert _outcome(_data.validate_predict_data, est, data) == _outcome(_reference, est, data)


def test_one_row_predictions_unchanged_by_the_fast_path():
    est = _fitted(lambda: DeepNNClassifier((8,), max_iter=3, random_state=0), X)
    for data in (X[:1], X[:1].astype(np.float32), np.asfortranarray(X[:7])):
        expected = predict.logits(est._arch(), est.coefs_, est.intercepts_,
                                  _reference(est, data))
        np.testing.assert_array_equal(est._logits(data), expected)


def test_finite_values_whose_sum_overflows_still_take_the_fast_path():
    big = np.full((3, 4), 1e308)
    assert _data._all_finite(big)
    big[1, 1] = np.inf
    assert not _data._all_finite(big)
    assert not _data._all_finite(np.array([[np.nan, 1.0]]))


def test_unweighted_rows_are_one_broadcast_value_not_a_vector_of_ones():
    X = np.zeros((5000, 3), np.float32)
    codes = np.arange(5000) % 2
    sw = _data.combined_weights(None, X, codes, None, np.array([0, 1]))
    assert sw.shape == (5000,) and sw.dtype == np.float32 and (sw == 1).all()
    assert sw.strides == (0,) and not sw.flags.writeable  # 4 bytes, read-only


def _plain_and_weighted_by_ones(batch_size):
    """The same net fitted without sample weights and with weights of one."""
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((150, 4)), rng.integers(0, 3, 150)

    def make():
        return DeepNNClassifier((6,), batch_size=batch_size, max_iter=5, tol=None,
                                random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X, y), make().fit(X, y, sample_weight=np.ones(150))


@pytest.mark.parametrize("batch_size", [None, 32])
def test_no_sample_weight_fits_exactly_as_weights_of_one(batch_size):
    plain, ones = _plain_and_weighted_by_ones(batch_size)
    for a, b in zip(plain.coefs_ + plain.intercepts_, ones.coefs_ + ones.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert plain.loss_curve_ == ones.loss_curve_


_FRESH_WEIGHTS = """
import numpy as np
from tests.estimators.test_data import _plain_and_weighted_by_ones
plain, ones = _plain_and_weighted_by_ones(32)
weights = [np.concatenate([a.ravel() for a in m.coefs_ + m.intercepts_]) for m in (plain, ones)]
print(np.array_equal(*weights), weights[0].tobytes().hex())
"""


def test_weights_of_one_fit_alike_in_a_fresh_interpreter():
    # the mini-batches' buffers (np.empty, the shared dA buffer, a last batch of 22
    # rows) hold other memory in a fresh process: the same weights there as here
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", _FRESH_WEIGHTS], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    with threadpool_limits(limits=1):
        plain, _ = _plain_and_weighted_by_ones(32)
    here = np.concatenate([a.ravel() for a in plain.coefs_ + plain.intercepts_])
    assert out == ["True", here.tobytes().hex()]


@pytest.mark.parametrize("n_classes, dtype", [(2, np.uint8), (256, np.uint8),
                                              (257, np.uint16)])
def test_label_codes_take_one_byte_a_row_up_to_256_classes(n_classes, dtype):
    classes = np.arange(n_classes) * 10
    y = classes[np.arange(600) % n_classes]
    codes = _data.encode_labels(y, classes)
    assert codes.dtype == dtype
    np.testing.assert_array_equal(codes, np.arange(600) % n_classes)


# -- training checks: the fast path for plain arrays decides as scikit-learn does ------
TRAIN_X = {
    "float64-C": X,
    "float32": X.astype(np.float32),
    "float64-F": np.asfortranarray(X),
    "strided-view": np.repeat(X, 2, axis=0)[::2],
    "big-endian": X.astype(">f8"),
    "read-only": np.frombuffer(X.tobytes()).reshape(X.shape),
    "nan": np.where(np.arange(40)[:, None] == 3, np.nan, X),
    "inf": np.where(np.arange(40)[:, None] == 3, np.inf, X),
    "int": (X * 10).astype(int),
    "float16": X.astype(np.float16),
    "no-columns": X[:, :0],
    "one-d": X[:, 0],
    "three-d": X.reshape(40, 2, 2),
    "list": X.tolist(),
    "dataframe": pd.DataFrame(X, columns=list("abcd")),
}
TRAIN_Y = {
    "int64": y,
    "uint8": y.astype(np.uint8),
    "negative-int8": (y - 1).astype(np.int8),
    "float-integral": y.astype(float),
    "float32-integral": y.astype(np.float32),
    "float-signed-zeros": np.where(y == 0, -0.0, y.astype(float)),
    "float-huge": np.where(y == 0, 1e19, y.astype(float)),
    "continuous": y + 0.5,
    "nan": np.where(np.arange(40) == 5, np.nan, y),
    "inf": np.where(np.arange(40) == 5, -np.inf, y),
    "one-class": np.zeros(40, int),
    "bool": y == 1,
    "str": np.array(["a", "bb", "c"])[y],
    "object-str": np.array(["a", "bb", "c"], dtype=object)[y],
    "object-mixed": np.array([1, "a", 2.5], dtype=object)[y],
    "list": y.tolist(),
    "wrong-length": y[:-1],
    "two-d": np.eye(3, dtype=int)[y][:, :2],
    # review: np.unique keeps the byte order, unique_labels gives native numbers
    "big-endian": y.astype(">i8"),
    "big-endian-float": y.astype(">f8"),
    # review: more classes than half the rows (over 20): scikit-learn's UserWarning
    # that y could be a regression target
    "one-class-a-row": np.arange(40),
    "float-one-class-a-row": np.arange(40.0) * 3,
    "half-the-rows": np.arange(40) // 2,
}
#: (reset, fitted attributes already on the estimator)
STATES = {
    "fresh": (True, {}),
    "refit-after-frame": (True, {"n_features_in_": 3,
                                 "feature_names_in_": np.array(list("abc"), object)}),
    "warm": (False, {"n_features_in_": 4}),
    "warm-other-width": (False, {"n_features_in_": 3}),
    "warm-after-frame": (False, {"n_features_in_": 4,
                                 "feature_names_in_": np.array(list("abcd"), object)}),
}


def _ours(est, Xd, yd, reset):
    Xv, yv = _data.validate_training_data(est, Xd, yd, reset)
    return Xv, yv, _data.training_classes(est, yv, None, first=True)


def _sklearn(est, Xd, yd, reset):
    Xv, yv = validate_data(est, Xd, yd, reset=reset, accept_sparse="csr",
                           dtype=_data.FLOAT_DTYPES, order="C", multi_output=True)
    check_classification_targets(yv)
    return Xv, yv, unique_labels(yv)


def _training_outcome(check, Xd, yd, state):
    reset, attributes = STATES[state]
    est = ScratchLogisticRegression()
    est.__dict__.update(attributes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            Xv, yv, classes = check(est, Xd, yd, reset)
        except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
            return ("error", type(exc), str(exc), [str(w.message) for w in caught])
    return ("ok", Xv.dtype, Xv.shape, Xv.strides, Xv.tobytes(), Xv is Xd,
            yv.dtype, yv.tobytes(), yv is yd, classes.dtype, classes.tobytes(),
            est.n_features_in_, getattr(est, "feature_names_in_", None) is not None,
            [str(w.message) for w in caught])


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("x_name", TRAIN_X)
def test_training_checks_of_X_decide_as_scikit_learn(x_name, state):
    Xd = TRAIN_X[x_name]
    assert (_training_outcome(_ours, Xd, y, state)
            == _training_outcome(_sklearn, Xd, y, state))


@pytest.mark.parametrize("y_name", [name for name in TRAIN_Y if name != "two-d"])
def test_training_checks_of_labels_decide_as_scikit_learn(y_name):
    for state in ("fresh", "warm"):
        yd = TRAIN_Y[y_name]
        assert (_training_outcome(_ours, X, yd, state)
                == _training_outcome(_sklearn, X, yd, state))


def test_a_two_d_y_is_left_to_the_multilabel_checks():
    est = ScratchLogisticRegression()
    with pytest.raises(ValueError, match="does not support multilabel targets"):
        _data.validate_training_data(est, X, TRAIN_Y["two-d"], reset=True)


def test_plain_arrays_skip_validate_data_and_type_of_target(monkeypatch):
    # the fast path's reason to be: ~1 ms of a small fit in their dispatch
    def refuse(*args, **kwargs):
        raise AssertionError("the general path ran")

    for name in ("validate_data", "check_classification_targets", "unique_labels"):
        monkeypatch.setattr(_data, name, refuse)
    for Xd, yd in ((X, y), (X.astype(np.float32), y.astype(float))):
        est = ScratchLogisticRegression()
        Xv, yv = _data.validate_training_data(est, Xd, yd, reset=True)
        assert Xv is Xd and yv is yd and est.n_features_in_ == 4
        np.testing.assert_array_equal(_data.training_classes(est, yv, None, True),
                                      [0, 1, 2])
