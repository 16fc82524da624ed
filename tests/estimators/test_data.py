"""Prediction input checks: the fast path for plain float arrays decides exactly as
scikit-learn's ``validate_data`` does (same arrays, same errors, same warnings)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.validation import validate_data

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression
from sknn_scratch.core import predict
from sknn_scratch.estimators import _data

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


@pytest.mark.parametrize("batch_size", [None, 32])
def test_no_sample_weight_fits_exactly_as_weights_of_one(batch_size):
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((150, 4)), rng.integers(0, 3, 150)

    def make():
        return DeepNNClassifier((6,), batch_size=batch_size, max_iter=5, tol=None,
                                random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain, ones = make().fit(X, y), make().fit(X, y, sample_weight=np.ones(150))
    for a, b in zip(plain.coefs_ + plain.intercepts_, ones.coefs_ + ones.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert plain.loss_curve_ == ones.loss_curve_


@pytest.mark.parametrize("n_classes, dtype", [(2, np.uint8), (256, np.uint8),
                                              (257, np.uint16)])
def test_label_codes_take_one_byte_a_row_up_to_256_classes(n_classes, dtype):
    classes = np.arange(n_classes) * 10
    y = classes[np.arange(600) % n_classes]
    codes = _data.encode_labels(y, classes)
    assert codes.dtype == dtype
    np.testing.assert_array_equal(codes, np.arange(600) % n_classes)
