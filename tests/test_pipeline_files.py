"""Pipelines in model files: round trips, the runtime, refused steps, damaged and
crafted files, and files written by older (or newer) versions."""

import inspect
import json
import shutil
import warnings

import h5py
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler,
                                   RobustScaler, StandardScaler)

import sknn_scratch
from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch import _modelfile, runtime
from sknn_scratch._scalers import SCALERS
from sknn_scratch.io import SUPPORTED_STEPS, load_model, read_model_file, save_model

from .test_modelfile import _h5 as _edit
from .test_runtime import _fit as _fit_quietly
from .test_runtime import _same

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(80, 4)) * [1.0, 10.0, 0.1, 3.0] + [0.0, 50.0, -1.0, 7.0]
X_NEW = X[::-1] * 1.7 - 2.0  # partly outside the training range: clipping matters
Y3 = np.array(["cat", "dog", "ému"])[np.arange(80) % 3]
Y2 = np.arange(80) % 2
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

SCALER_CASES = {
    "standard": lambda: StandardScaler(),
    "minmax": lambda: MinMaxScaler(),
    "maxabs": lambda: MaxAbsScaler(),
    "robust": lambda: RobustScaler(),
}
VARIANTS = {  # every parameter that changes transform, and None fitted attributes
    "standard-no-mean": lambda: StandardScaler(with_mean=False),
    "standard-no-std": lambda: StandardScaler(with_std=False),
    "standard-neither": lambda: StandardScaler(with_mean=False, with_std=False),
    "minmax-range-clip": lambda: MinMaxScaler(feature_range=(-1, 2), clip=True),
    "maxabs-clip": lambda: MaxAbsScaler(clip=True),
    "robust-no-centering": lambda: RobustScaler(with_centering=False),
    "robust-no-scaling-range": lambda: RobustScaler(with_scaling=False,
                                                    quantile_range=(10.0, 90.0)),
    "robust-unit-variance": lambda: RobustScaler(unit_variance=True),
}
ESTIMATORS = {
    "logistic": lambda: ScratchLogisticRegression(max_iter=20),
    "shallow": lambda: ShallowNNClassifier(n_hidden=5, max_iter=5, random_state=0),
    "deep": lambda: DeepNNClassifier((6, 4), max_iter=5, random_state=0),
}


def _fit(model, X_=X, y=Y3):
    return _fit_quietly(model, X_, y)  # few epochs on purpose


def _same_pipelines(pipe, loaded):
    assert type(loaded) is Pipeline
    assert [n for n, _ in loaded.steps] == [n for n, _ in pipe.steps]
    assert repr(loaded.get_params(deep=True)) == repr(pipe.get_params(deep=True))
    for (_, a), (_, b) in zip(pipe.steps[:-1], loaded.steps[:-1]):
        assert type(a) is type(b)
        fitted = sorted(k for k in vars(a) if k.endswith("_"))
        assert sorted(k for k in vars(b) if k.endswith("_")) == fitted
        for key in fitted:
            x, y = getattr(a, key), getattr(b, key)
            if isinstance(x, np.ndarray):
                _same(x, y)
            else:
                assert x == y, key


def _predictions_match(pipe, model, data):
    for method in METHODS:
        _same(getattr(pipe, method)(data), getattr(model, method)(data))


# -- round trips: every scaler x every estimator, bit for bit -----------------------
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
@pytest.mark.parametrize("scaler", list(SCALER_CASES))
def test_scaler_and_estimator_round_trip_bit_identically(scaler, estimator, tmp_path):
    pipe = _fit(make_pipeline(SCALER_CASES[scaler](), ESTIMATORS[estimator]()))
    save_model(pipe, tmp_path / "pipe.h5")
    loaded = load_model(tmp_path / "pipe.h5")
    _same_pipelines(pipe, loaded)
    model = runtime.load(tmp_path / "pipe.h5")
    for data in (X, X_NEW, X_NEW.astype(np.float32), X_NEW[:1]):
        _predictions_match(pipe, loaded, data)
        _predictions_match(pipe, model, data)  # the NumPy runtime too


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_scaler_parameters_and_none_attributes_round_trip(variant, tmp_path):
    pipe = _fit(make_pipeline(VARIANTS[variant](), ShallowNNClassifier(
        max_iter=5, random_state=0)), X, Y2)
    save_model(pipe, tmp_path / "pipe.h5")
    loaded, model = load_model(tmp_path / "pipe.h5"), runtime.load(tmp_path / "pipe.h5")
    _same_pipelines(pipe, loaded)
    for data in (X_NEW, X_NEW.astype(np.float32), X_NEW.astype(np.float16),
                 np.round(X_NEW).astype(int), np.asfortranarray(X_NEW)):
        _predictions_match(pipe, loaded, data)
        _predictions_match(pipe, model, data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chained_scalers_custom_names_and_float32_fit(dtype, tmp_path):
    pipe = _fit(Pipeline([("robust", RobustScaler()), ("minmax", MinMaxScaler(clip=True)),
                          ("std", StandardScaler()), ("abs", MaxAbsScaler()),
                          ("net", DeepNNClassifier((5,), max_iter=4, random_state=1))],
                         verbose=False), X.astype(dtype))
    save_model(pipe, tmp_path / "pipe.h5")
    loaded, model = load_model(tmp_path / "pipe.h5"), runtime.load(tmp_path / "pipe.h5")
    _same_pipelines(pipe, loaded)
    assert model.step_names == ["robust", "minmax", "std", "abs", "net"]
    assert "RobustScaler -> MinMaxScaler" in repr(model)
    for data in (X_NEW, X_NEW.astype(dtype)):
        _predictions_match(pipe, loaded, data)
        _predictions_match(pipe, model, data)


def test_pipeline_of_the_estimator_alone_round_trips(tmp_path):
    pipe = _fit(Pipeline([("clf", ScratchLogisticRegression())]))
    save_model(pipe, tmp_path / "pipe.h5")
    loaded = load_model(tmp_path / "pipe.h5")
    _same_pipelines(pipe, loaded)
    _predictions_match(pipe, loaded, X_NEW)
    _predictions_match(pipe, runtime.load(tmp_path / "pipe.h5"), X_NEW)


def test_per_feature_sample_counts_round_trip(tmp_path):
    """A scaler fitted on data with NaN counts samples per feature (an array)."""
    with_nan = X.copy()
    with_nan[::5, 1] = np.nan
    scaler = StandardScaler().fit(with_nan)
    assert isinstance(scaler.n_samples_seen_, np.ndarray)
    net = _fit(DeepNNClassifier((4,), max_iter=3, random_state=0), scaler.transform(X))
    pipe = Pipeline([("scale", scaler), ("net", net)])
    save_model(pipe, tmp_path / "pipe.h5")
    loaded = load_model(tmp_path / "pipe.h5")
    _same_pipelines(pipe, loaded)
    _predictions_match(pipe, loaded, X_NEW)


def test_feature_names_are_kept_and_checked(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "ü"])
    pipe = _fit(make_pipeline(StandardScaler(), DeepNNClassifier((4,), max_iter=3,
                                                                 random_state=0)), frame)
    save_model(pipe, tmp_path / "pipe.h5")
    loaded, model = load_model(tmp_path / "pipe.h5"), runtime.load(tmp_path / "pipe.h5")
    _same(pipe.feature_names_in_, loaded.feature_names_in_)
    assert list(model.feature_names_in_) == ["a", "b", "c", "ü"]
    _predictions_match(pipe, model, frame)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[["ü", "c", "b", "a"]])


def test_training_resumes_after_load(tmp_path):
    pipe = _fit(make_pipeline(StandardScaler(), DeepNNClassifier((4,), max_iter=3,
                                                                 random_state=0)))
    save_model(pipe, tmp_path / "pipe.h5")
    loaded = load_model(tmp_path / "pipe.h5")
    Xs = pipe[0].transform(X)
    pipe[-1].partial_fit(Xs, Y3)
    loaded[-1].partial_fit(loaded[0].transform(X), Y3)
    _same(pipe.predict_proba(X_NEW), loaded.predict_proba(X_NEW))


def test_table_defaults_are_scikit_learns():
    """The NumPy-only table fills in missing parameters with sklearn's defaults."""
    assert set(SUPPORTED_STEPS) == set(SCALERS)
    for name, spec in SCALERS.items():
        cls = {c.__name__: c for c in (StandardScaler, MinMaxScaler, MaxAbsScaler,
                                       RobustScaler)}[name]
        defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
        assert {k: d for k, (d, _) in spec.params.items()} == {
            k: defaults[k] for k in spec.params}, name


def test_bare_estimator_file_is_still_format_version_1(tmp_path):
    est = _fit(DeepNNClassifier((4,), max_iter=2, random_state=0))
    save_model(est, tmp_path / "bare.h5")
    save_model(_fit(make_pipeline(StandardScaler(), est)), tmp_path / "pipe.h5")
    with h5py.File(tmp_path / "bare.h5", "r") as f:
        assert f.attrs["format_version"] == 1 and "pipeline" not in f
    with h5py.File(tmp_path / "pipe.h5", "r") as f:
        assert f.attrs["format_version"] == 2 and "pipeline" in f
    assert type(load_model(tmp_path / "bare.h5")) is DeepNNClassifier


# -- steps that cannot be saved -----------------------------------------------------
class MyScaler(StandardScaler):
    pass


def _unsupported():
    net = lambda: DeepNNClassifier((4,), max_iter=2, random_state=0)  # noqa: E731
    return {
        "pca": (lambda: make_pipeline(PCA(3), net()), "'pca'", "sklearn.decomposition"),
        "function-transformer": (lambda: make_pipeline(FunctionTransformer(np.tanh),
                                                       net()),
                                 "'functiontransformer'", "FunctionTransformer"),
        "passthrough": (lambda: Pipeline([("skip", "passthrough"), ("net", net())]),
                        "'skip'", "'passthrough'"),
        "none": (lambda: Pipeline([("skip", None), ("net", net())]), "'skip'", "None"),
        "nested-pipeline": (lambda: Pipeline([("inner", make_pipeline(StandardScaler())),
                                              ("net", net())]), "'inner'", "Pipeline"),
        "scaler-subclass": (lambda: Pipeline([("mine", MyScaler()), ("net", net())]),
                            "'mine'", "MyScaler"),
        "sklearn-final-step": (lambda: make_pipeline(StandardScaler(),
                                                     LogisticRegression()),
                               "'logisticregression'", "last step must be"),
        "nested-final-step": (lambda: Pipeline([("s", StandardScaler()),
                                                ("inner", make_pipeline(net()))]),
                              "'inner'", "last step must be"),
        "pandas-output": (lambda: make_pipeline(StandardScaler(), net()).set_output(
            transform="pandas"), "'standardscaler'", "set_output"),
    }


@pytest.mark.parametrize("case", list(_unsupported()))
def test_unsupported_step_raises_type_error_naming_it(case, tmp_path):
    if case == "pandas-output":
        pytest.importorskip("pandas")
    make, step, what = _unsupported()[case]
    pipe = _fit(make())
    with pytest.raises(TypeError) as info:
        save_model(pipe, tmp_path / "pipe.h5")
    message = str(info.value)
    assert f"pipeline step {step}" in message and what in message
    assert "StandardScaler" in message and "RobustScaler" in message
    assert "ONNX" in message
    assert list(tmp_path.iterdir()) == []


def test_unfitted_pipeline_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError, match="'standardscaler' .*not fitted"):
        save_model(make_pipeline(StandardScaler(), DeepNNClassifier()), tmp_path / "p.h5")
    pipe = _fit(make_pipeline(StandardScaler(), DeepNNClassifier((3,), max_iter=2)))
    pipe.steps[-1] = ("deepnnclassifier", DeepNNClassifier())
    with pytest.raises(NotFittedError):
        save_model(pipe, tmp_path / "p.h5")
    assert list(tmp_path.iterdir()) == []


def test_scaler_changed_after_fit_is_refused(tmp_path):
    pipe = _fit(make_pipeline(StandardScaler(), DeepNNClassifier((3,), max_iter=2)))
    pipe[0].set_params(with_std=False)  # scale_ no longer matches the parameters
    with pytest.raises(ValueError, match="'standardscaler' .*Refit the pipeline"):
        save_model(pipe, tmp_path / "p.h5")


def test_export_cli_exports_a_pipeline_file_whole(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from sknn_scratch.cli import main

    pipe = _fit(make_pipeline(RobustScaler(), MinMaxScaler(clip=True),
                              DeepNNClassifier((6,), max_iter=5, random_state=0)))
    save_model(pipe, tmp_path / "pipe.h5")
    for dtype, atol in (("float32", 1e-5), ("float64", 1e-12)):
        out = tmp_path / f"pipe-{dtype}.onnx"
        assert main(["export", str(tmp_path / "pipe.h5"), "--onnx", str(out),
                     "--dtype", dtype, "--quiet"]) == 0
        sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        label, proba = sess.run(None, {"X": X_NEW.astype(dtype)})
        np.testing.assert_array_equal(label, pipe.predict(X_NEW.astype(dtype)))
        np.testing.assert_allclose(proba, pipe.predict_proba(X_NEW.astype(dtype)),
                                   rtol=0, atol=atol)


def test_export_refuses_what_skl2onnx_would_convert_wrongly(tmp_path, capsys):
    pytest.importorskip("skl2onnx")
    from sknn_scratch.cli import main

    pipe = _fit(make_pipeline(MaxAbsScaler(clip=True), DeepNNClassifier((3,), max_iter=2)))
    save_model(pipe, tmp_path / "pipe.h5")
    assert main(["export", str(tmp_path / "pipe.h5"), "--onnx",
                 str(tmp_path / "p.onnx")]) == 2
    assert "MaxAbsScaler with clip=True" in capsys.readouterr().err
    assert not (tmp_path / "p.onnx").exists()


# -- damaged and crafted pipeline files ---------------------------------------------
@pytest.fixture(scope="module")
def pipe_file(tmp_path_factory):
    pipe = _fit(Pipeline([("std", StandardScaler()), ("mm", MinMaxScaler(clip=True)),
                          ("net", DeepNNClassifier((5,), max_iter=3, random_state=0))]))
    path = tmp_path_factory.mktemp("pipe") / "pipe.h5"
    save_model(pipe, path)
    return pipe, path


def test_damaged_pipeline_file_is_refused_by_its_seal(pipe_file, tmp_path):
    _, path = pipe_file
    with h5py.File(path, "r") as f:  # a byte inside the scaler's scale_ array
        offset = f["pipeline/steps/0/scale_"].id.get_offset()
    raw = bytearray(path.read_bytes())
    raw[offset + 3] ^= 0x10  # HDF5 offsets count from the user block's start
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(bytes(raw))
    for load in (load_model, runtime.load):
        with pytest.raises(ValueError, match="checksum mismatch"):
            load(damaged)


def _replace(name, data):
    def change(f):
        del f[name]
        f.create_dataset(name, data=data)
    return _edit(change)


def _json_edit(name, update):
    def change(f):
        value = update(json.loads(f[name][()].decode()))
        del f[name]
        f.create_dataset(name, data=np.bytes_(json.dumps(value).encode()))
    return _edit(change)


def _set_attr(obj, key, value):
    def change(f):
        f[obj].attrs[key] = value
    return _edit(change)


S0 = "pipeline/steps/0"
CRAFTED = {  # id: (change, message; both loaders refuse unless marked load_model only)
    "unknown-step-class": (_set_attr(S0, "class_name", "PCA"),
                           r"pipeline step 'std' is a 'PCA', which this version of "
                           r"sknn_scratch cannot read; it reads the preprocessing steps "
                           r"\['StandardScaler'"),
    "scale-wrong-shape": (_replace(f"{S0}/scale_", np.ones(3)),
                          r"'pipeline/steps/0/scale_' has shape \(3,\), but the step "
                          "takes n_features_in_=4"),
    "mean-nan": (_replace(f"{S0}/mean_", np.array([0.0, np.nan, 0.0, 0.0])),
                 "'pipeline/steps/0/mean_' contains NaN or infinity"),
    "scale-zero": (_replace(f"{S0}/scale_", np.array([1.0, 0.0, 1.0, 1.0])),
                   "contains zeros, which the step divides by"),
    "scale-ints": (_replace(f"{S0}/scale_", np.ones(4, dtype=int)),
                   "expected float32 or float64"),
    "missing-array": (_edit(lambda f: f.__delitem__(f"{S0}/var_")),
                      r"missing \['pipeline/steps/0/var_'\]"),
    "array-of-other-parameters": (_json_edit(f"{S0}/params", lambda p: {
        **p, "with_std": False}), r"unexpected \['pipeline/steps/0/scale_', "),
    "extra-entry": (_edit(lambda f: f.create_dataset("pipeline/evil", data=1)),
                    "'pipeline' must hold exactly"),
    "step-count": (_json_edit("pipeline/step_names", lambda n: n[:1] + n[1:]
                              + ["extra"]), r"should hold 3 group\(s\) named 0..2"),
    "duplicate-names": (_json_edit("pipeline/step_names", lambda n: ["a", "a", "net"]),
                        "distinct non-empty step names"),
    "n_features_in_": (_json_edit(f"{S0}/attributes", lambda a: {**a,
                                                                 "n_features_in_": 5}),
                       "with n_features_in_ = 4"),
    "bad-flag": (_json_edit(f"{S0}/params", lambda p: {**p, "with_mean": "yes"}),
                 "invalid 'with_mean' parameter: 'yes'"),
    "bad-feature-range": (_json_edit("pipeline/steps/1/params", lambda p: {
        **p, "feature_range": {"__tuple__": [2, 1]}}), "invalid 'feature_range'"),
    "pipeline-in-version-1": (_set_attr("/", "format_version", 1),
                              "format version 1 does not have"),
    "soft-link": (_edit(lambda f: f.__setitem__("pipeline/steps/1/scale_x",
                                                h5py.SoftLink(f"/{S0}/scale_"))),
                  "is a link"),
    "invalid-copy-param": (_json_edit(f"{S0}/params", lambda p: {**p, "copy": "no"}),
                           "The 'copy' parameter of StandardScaler must be"),
    "invalid-pipeline-param": (_json_edit("pipeline/params", lambda p: {
        **p, "verbose": "loud"}), "The 'verbose' parameter of Pipeline must be"),
}
LOAD_MODEL_ONLY = {"invalid-copy-param", "invalid-pipeline-param"}  # not for prediction


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_pipeline_file_is_refused_saying_what(case, pipe_file, tmp_path):
    change, match = CRAFTED[case]
    path = tmp_path / "crafted.h5"
    shutil.copy(pipe_file[1], path)
    change(path)
    with pytest.raises(ValueError, match=f"Cannot load model from .*{match}"):
        load_model(path)
    if case in LOAD_MODEL_ONLY:  # only training or get_params depends on it
        _predictions_match(pipe_file[0], runtime.load(path), X_NEW)
    else:
        with pytest.raises(ValueError, match=match):
            runtime.load(path)


# -- files written by other versions ------------------------------------------------
def _as_written_by(version, sklearn_version=None):
    def change(f):
        f.attrs["sknn_scratch_version"] = version
        if sklearn_version is not None:
            f.attrs["sklearn_version"] = sklearn_version
    return change


def test_older_file_without_a_parameter_takes_its_default(pipe_file, tmp_path):
    """As a version before ``max_grad_norm`` and MinMaxScaler's ``clip`` would
    have written the file: the missing parameters take today's defaults."""
    pipe = _fit(make_pipeline(MinMaxScaler(), DeepNNClassifier((5,), max_iter=3,
                                                               random_state=0)))
    path = tmp_path / "old.h5"
    save_model(pipe, path)

    def old(f):
        _as_written_by("0.0.9", "0.23.2")(f)
        for name, key in (("params", "max_grad_norm"),
                          ("pipeline/steps/0/params", "clip"),
                          ("plain_attributes", "validation_scores_")):
            value = json.loads(f[name][()].decode())
            del value[key], f[name]
            f.create_dataset(name, data=np.bytes_(json.dumps(value).encode()))
    _edit(old)(path)
    loaded = load_model(path)
    assert loaded[-1].max_grad_norm is None and loaded[0].clip is False
    assert loaded[-1].validation_scores_ is None  # the documented fallback
    _predictions_match(pipe, loaded, X_NEW)
    _predictions_match(pipe, runtime.load(path), X_NEW)


def test_file_of_this_version_missing_a_parameter_is_refused(pipe_file, tmp_path):
    path = tmp_path / "m.h5"
    shutil.copy(pipe_file[1], path)
    _json_edit("pipeline/steps/1/params", lambda p: {
        k: v for k, v in p.items() if k != "clip"})(path)
    with pytest.raises(ValueError, match=r"missing parameter\(s\) \['clip'\] of pipeline "
                                         r"step 'mm' \(MinMaxScaler\); the file was "
                                         r"written by sknn_scratch 0\.1\.0 .*damaged"):
        load_model(path)


@pytest.mark.parametrize("where", ["params", f"{S0}/params", "pipeline/params"])
def test_unknown_parameter_is_refused_naming_it_and_the_writer(where, pipe_file,
                                                               tmp_path):
    path = tmp_path / "m.h5"
    shutil.copy(pipe_file[1], path)
    _edit(_as_written_by("0.7.0", "1.12.0"))(path)
    _json_edit(where, lambda p: {**p, "new_knob": 3})(path)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['new_knob'\] .*"
                                         r"written by sknn_scratch 0\.7\.0"):
        load_model(path)


def test_newer_format_version_is_refused_clearly(pipe_file, tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    shutil.copy(pipe_file[1], path)
    _set_attr("/", "format_version", _modelfile.FORMAT_VERSION + 1)(path)
    for load in (load_model, runtime.load, read_model_file):
        with pytest.raises(ValueError, match="format version 4; this sknn_scratch "
                                             "reads format versions up to 3 .upgrade"):
            load(path)
    # and a reader from before pipelines (format version 1) refuses a pipeline file
    monkeypatch.setattr(_modelfile, "FORMAT_VERSION", 1)
    with pytest.raises(ValueError, match="format version 2; .* up to 1 .upgrade"):
        load_model(pipe_file[1])


def test_version_comparison():
    from sknn_scratch._pipelines import is_older

    assert is_older("0.0.9", sknn_scratch.__version__)
    assert is_older("1.8.dev0", "1.9.1") and not is_older("1.9.1", "1.9.1")
    assert not is_older("2.0", "1.9.1") and not is_older("unknown", "1.9.1")
