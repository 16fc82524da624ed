"""save_model / load_model: exact round trips, and a corpus of broken files."""

import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

import sknn_scratch
import sknn_scratch.runtime
from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch import _modelfile
from sknn_scratch.io import load_model, read_model_file, save_model

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(60, 4))
Y3 = np.array(["cat", "dog", "ému"])[np.arange(60) % 3]  # non-ASCII label too
Y2 = np.arange(60) % 2


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: few epochs on purpose
        return estimator.fit(X, y)


CASES = {
    "deep-f64-str-multiclass": (lambda: DeepNNClassifier((5, 3), max_iter=4,
                                                         random_state=0), X, Y3),
    "deep-f32-binary": (lambda: DeepNNClassifier(6, max_iter=4, batch_size=16,
                                                 random_state=1),
                        X.astype(np.float32), Y2),
    "shallow-f64-binary-class-weight": (lambda: ShallowNNClassifier(
        solver="momentum", max_iter=3, class_weight={0: 1.0, 1: 2.5}, random_state=2),
        X, Y2),
    "shallow-f32-bool-labels-rmsprop": (lambda: ShallowNNClassifier(
        solver="rmsprop", max_iter=3, class_weight="balanced", random_state=np.int64(3)),
        X.astype(np.float32), Y3[:60] == "cat"),
    "logistic-newton-inf-C-multiclass": (lambda: ScratchLogisticRegression(
        C=np.inf, class_weight={"cat": 2, "dog": 1}), X, Y3),
    "deep-dropout-early-stopping": (lambda: DeepNNClassifier(
        (6,), dropout=0.2, early_stopping=True, validation_fraction=0.25, max_iter=4,
        learning_rate_schedule="inverse_time", max_grad_norm=1.0, random_state=4), X, Y3),
    # 40 -> 3 is a wide layer, stored column by column while training (core.flat)
    "deep-wide-first-layer-adam": (lambda: DeepNNClassifier((3,), max_iter=3,
                                                            random_state=5),
                                   _RNG.normal(size=(60, 40)), Y3),
    "logistic-gd-f32-str-binary": (lambda: ScratchLogisticRegression(
        solver="gd", max_iter=3, batch_size=None), X.astype(np.float32),
        np.where(Y2 == 1, "yes", "no")),
}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):
    make, X_, y_ = CASES[request.param]
    return _fit(make(), X_, y_), X_, y_


def _round_trip(estimator, tmp_path):
    path = tmp_path / "model.h5"
    save_model(estimator, path)
    return load_model(path)


def _same_arrays(a, b):
    return len(a) == len(b) and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b))


# -- round trips --------------------------------------------------------------------
def test_loaded_model_predicts_bit_identically(fitted, tmp_path):
    est, X_, _ = fitted
    loaded = _round_trip(est, tmp_path)
    assert type(loaded) is type(est)
    for method in ("predict", "predict_proba", "decision_function", "predict_log_proba"):
        expected, got = getattr(est, method)(X_), getattr(loaded, method)(X_)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
    X64 = np.asarray(X_, dtype=np.float64)  # float64 input, whatever X_ is
    np.testing.assert_array_equal(loaded.predict(X64), est.predict(X64))


def test_loaded_model_has_same_params_and_fitted_attributes(fitted, tmp_path):
    est, _, _ = fitted
    loaded = _round_trip(est, tmp_path)
    assert loaded.get_params() == est.get_params()
    def types(params):  # NumPy scalars come back as the equal Python scalars
        return {k: type(v.item() if isinstance(v, np.generic) else v)
                for k, v in params.items()}

    assert types(loaded.get_params()) == types(est.get_params())
    assert loaded.classes_.dtype == est.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert _same_arrays(loaded.coefs_, est.coefs_)
    assert _same_arrays(loaded.intercepts_, est.intercepts_)
    public = sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))
    assert sorted(k for k in vars(loaded) if k.endswith("_")
                  and not k.startswith("_")) == public
    for name in set(public) - {"classes_", "coefs_", "intercepts_"}:
        assert getattr(loaded, name) == getattr(est, name), name


def test_partial_fit_after_load_continues_exactly(fitted, tmp_path):
    est, X_, y_ = fitted
    est = copy.deepcopy(est)  # the fixture is shared by the module's tests
    loaded = _round_trip(est, tmp_path)
    for model in (est, loaded):
        if model.class_weight == "balanced":  # partial_fit refuses it (SGDClassifier)
            model.set_params(class_weight=None)
        model.partial_fit(X_[::2], y_[::2])
    assert _same_arrays(loaded.coefs_, est.coefs_)
    assert _same_arrays(loaded.intercepts_, est.intercepts_)
    assert loaded.loss_curve_ == est.loss_curve_
    np.testing.assert_array_equal(loaded.predict_proba(X_), est.predict_proba(X_))


def test_warm_start_fit_after_load_continues_exactly(tmp_path):
    est = _fit(DeepNNClassifier((4,), max_iter=3, warm_start=True, random_state=0), X, Y3)
    loaded = _round_trip(est, tmp_path)
    for model in (est, loaded):
        _fit(model, X, Y3)
    assert _same_arrays(loaded.coefs_, est.coefs_) and len(loaded.history_) == 6
    assert loaded.n_iter_ == est.n_iter_ == 3 and loaded.t_ == est.t_
    assert loaded.history_ == est.history_


@pytest.mark.parametrize("params", [
    dict(hidden_layer_sizes=[3, 2], class_weight={"a": 1, "b": 0.5}, batch_size=None),
    dict(hidden_layer_sizes=(3,), random_state=7, tol=0.0, verbose=False),
])
def test_parameter_types_survive(params, tmp_path):
    est = _fit(DeepNNClassifier(max_iter=2, **params), X, np.where(Y2, "a", "b"))
    loaded = _round_trip(est, tmp_path)
    for name, value in est.get_params().items():
        assert type(getattr(loaded, name)) is type(value) and getattr(
            loaded, name) == value, name


def test_object_labels_and_feature_names_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "ü"])
    est = _fit(ShallowNNClassifier(max_iter=2, random_state=0), frame, Y3)
    est.classes_ = est.classes_.astype(object)  # as a pandas-era model might hold
    loaded = _round_trip(est, tmp_path)
    assert loaded.classes_.dtype == object and loaded.classes_.tolist() == Y3[:3].tolist()
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    np.testing.assert_array_equal(loaded.predict_proba(frame), est.predict_proba(frame))


def test_read_model_file_reports_versions_and_class(tmp_path):
    est = _fit(ShallowNNClassifier(max_iter=2, random_state=0), X, Y2)
    save_model(est, tmp_path / "m.h5")
    content = read_model_file(tmp_path / "m.h5")
    assert content["class_name"] == "ShallowNNClassifier"
    assert content["metadata"]["sknn_scratch_version"] == sknn_scratch.__version__
    # a bare estimator is written as format version 1 (version 2 adds pipelines)
    assert content["metadata"]["format_version"] == 1 < _modelfile.FORMAT_VERSION
    assert content["pipeline"] is None
    assert content["optimizer"]["name"] == "adam"


# -- save-time errors ----------------------------------------------------------------
def test_save_unfitted_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(DeepNNClassifier(), tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()


@pytest.mark.parametrize("estimator", [LogisticRegression(), "model",
                                       type("MyDeep", (DeepNNClassifier,), {})()])
def test_save_other_estimators_raises_type_error(estimator, tmp_path):
    with pytest.raises(TypeError, match="save_model saves the sknn_scratch estimators"):
        save_model(estimator, tmp_path / "m.h5")


@pytest.mark.parametrize("name, value, match", [
    ("random_state", np.random.RandomState(0), "'random_state'.*RandomState.*int"),
    ("random_state", np.random.default_rng(0), "'random_state'.*Generator"),
    ("augmentation", lambda X, rng: X, "'augmentation'.*function"),
    ("verbose", print, "'verbose'.*builtin_function_or_method"),
    ("class_weight", {0: object()}, "'class_weight'.*object"),
])
def test_save_non_plain_parameter_raises_naming_it(name, value, match, tmp_path):
    est = _fit(ShallowNNClassifier(max_iter=2, random_state=0), X, Y2)
    est.set_params(**{name: value})
    with pytest.raises(ValueError, match=match):
        save_model(est, tmp_path / "m.h5")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left


def test_save_non_plain_fitted_attribute_raises_naming_it(tmp_path):
    est = _fit(ShallowNNClassifier(max_iter=2, random_state=0), X, Y2)
    est.extra_ = object()
    with pytest.raises(ValueError, match=r"\['extra_'\]"):
        save_model(est, tmp_path / "m.h5")


def test_failed_save_keeps_existing_file(tmp_path):
    est = _fit(ShallowNNClassifier(max_iter=2, random_state=0), X, Y2)
    save_model(est, tmp_path / "m.h5")
    before = (tmp_path / "m.h5").read_bytes()
    est.coefs_ = [np.full_like(est.coefs_[0], np.nan), est.coefs_[1]]
    with pytest.raises(ValueError, match="coefs_/0 contains NaN"):
        save_model(est, tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]


def test_load_missing_file_raises_file_not_found(tmp_path):
    path = tmp_path / "nope.h5"
    with pytest.raises(FileNotFoundError, match=str(path)):
        load_model(path)


def test_a_sparsified_logistic_regression_is_saved_dense_and_predicts_the_same(tmp_path):
    # sparsify() makes coef_ a scipy.sparse matrix; the model file stores arrays, so the
    # weights are densified when saving (the estimator itself stays sparse).
    X, y = load_breast_cancer(return_X_y=True)
    est = ScratchLogisticRegression().fit(X / X.max(axis=0), y)
    expected = est.predict_proba(X / X.max(axis=0))
    est.sparsify()
    save_model(est, tmp_path / "sparse.h5")
    assert sp.issparse(est.coef_)
    loaded = load_model(tmp_path / "sparse.h5")
    assert isinstance(loaded.coef_, np.ndarray)
    np.testing.assert_array_equal(loaded.predict_proba(X / X.max(axis=0)), expected)
    runtime = sknn_scratch.runtime.load(tmp_path / "sparse.h5")
    np.testing.assert_array_equal(runtime.predict_proba(X / X.max(axis=0)), expected)
