"""The NumPy-only runtime: bit-identical predictions, no scikit-learn, same errors."""

import ast
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import sknn_scratch
from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch import runtime
from sknn_scratch.core import predict
from sknn_scratch.io import load_model, save_model

from .test_io import CASES
from .test_modelfile import CORPUS, R, X, Y2, Y3, broken_copy, reseal, save_base_files

METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return estimator.fit(X, y)


def _same(expected, got):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.fixture(scope="module", params=list(CASES))
def saved(request, tmp_path_factory):
    """Every estimator / dtype / label kind of the io round-trip tests, saved."""
    make, X_, y_ = CASES[request.param]
    est = _fit(make(), X_, y_)
    path = tmp_path_factory.mktemp("runtime") / "model.h5"
    save_model(est, path)
    return est, X_, path


# -- predictions ---------------------------------------------------------------------
def test_runtime_predicts_bit_identically(saved):
    est, X_, path = saved
    model = runtime.load(path)
    for data in (X_, X_.astype(np.float64), X_.astype(np.float32), X_[:1]):
        for method in METHODS:
            _same(getattr(est, method)(data), getattr(model, method)(data))


def test_runtime_keeps_classes_and_shapes(saved):
    est, _, path = saved
    model = runtime.load(path)
    _same(est.classes_, model.classes_)
    assert model.n_features_in_ == est.n_features_in_
    assert model.class_name == type(est).__name__
    assert type(est).__name__ in repr(model)


def test_chunked_prediction_matches_whole_to_rounding(saved, monkeypatch):
    est, X_, path = saved
    model = runtime.load(path)
    whole = model.predict_proba(X_)
    monkeypatch.setattr(predict, "CHUNK_ELEMENTS", 7 * 8)  # several chunks of rows
    # estimator and runtime chunk alike, so they agree bit for bit
    _same(est.predict_proba(X_), model.predict_proba(X_))
    _same(est.predict(X_), model.predict(X_))
    # against the unchunked product only to rounding: OpenBLAS picks its kernel
    # (small-matrix, GEMV for one row) by the number of rows, and their sums of
    # products round differently in the last bit
    chunked = model.predict_proba(X_)
    assert chunked.dtype == whole.dtype
    np.testing.assert_allclose(chunked, whole, rtol=64 * np.finfo(whole.dtype).eps)


def test_lists_ints_and_sparse_input_are_handled_as_the_estimator_does(tmp_path):
    sparse = pytest.importorskip("scipy.sparse")
    est = _fit(DeepNNClassifier((5,), max_iter=3, random_state=0), X, Y3)
    save_model(est, tmp_path / "m.h5")
    model = runtime.load(tmp_path / "m.h5")
    ints = np.arange(40).reshape(10, 4) % 3
    for data in (X.tolist(), ints, sparse.csr_matrix(X), sparse.csr_matrix(ints)):
        for method in METHODS:
            _same(getattr(est, method)(data), getattr(model, method)(data))


def test_feature_names_are_checked(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd"))
    est = _fit(ShallowNNClassifier(max_iter=3, random_state=0), frame, Y2)
    save_model(est, tmp_path / "m.h5")
    model = runtime.load(tmp_path / "m.h5")
    _same(est.predict_proba(frame), model.predict_proba(frame))
    assert list(model.feature_names_in_) == list("abcd")
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[list("dcba")])


@pytest.mark.parametrize("bad, match", [
    (X[:, :3], "X has 3 features, but this model expects 4"),
    (X[0], "Expected a 2D array"),
    (np.where(np.eye(60, 4) > 0, np.nan, X), "Input X contains NaN"),
    (np.where(np.eye(60, 4) > 0, np.inf, X), "Input X contains infinity"),
    (np.zeros((0, 4)), "0 samples"),
])
def test_bad_input_raises_value_error(bad, match, tmp_path):
    est = _fit(ScratchLogisticRegression(), X, Y3)
    save_model(est, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=match):
        runtime.load(tmp_path / "m.h5").predict(bad)


def _messages(call, X):
    """(exception type and message or None, warnings' messages) of ``call(X)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call(X)
            error = None
        except Exception as exc:  # noqa: BLE001 - compared below
            error = (type(exc), str(exc))
    return error, [(w.category, str(w.message)) for w in caught
                   if "feature names" in str(w.message)]


def test_input_checks_match_the_estimators_wording(tmp_path):
    """Feature names (scikit-learn's warnings and errors), complex X, pandas NA:
    the runtime raises or warns exactly as the estimator does."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd"))
    named = _fit(ShallowNNClassifier(max_iter=3, random_state=0), frame, Y2)
    bare = _fit(ShallowNNClassifier(max_iter=3, random_state=0), X, Y2)
    for est, name in ((named, "named"), (bare, "bare")):
        save_model(est, tmp_path / f"{name}.h5")
    na = frame.astype("Float64")
    na.iloc[3, 1] = pd.NA
    cases = {"named": [X, frame[list("dcba")], frame.rename(columns={"a": "z"}),
                       X + 1j, na],
             "bare": [frame, X.astype(complex)]}
    for name, inputs in cases.items():
        est = named if name == "named" else bare
        model = runtime.load(tmp_path / f"{name}.h5")
        for bad in inputs:
            expected, got = _messages(est.predict, bad), _messages(model.predict, bad)
            assert got == expected, (name, got, expected)


def test_object_column_with_pandas_na_is_a_value_error(tmp_path):
    # the estimator itself raises numpy's TypeError here; the runtime says what is wrong
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=list("abcd")).astype(object)
    frame.iloc[0, 0] = pd.NA
    est = _fit(ShallowNNClassifier(max_iter=3, random_state=0),
               pd.DataFrame(X, columns=list("abcd")), Y2)
    save_model(est, tmp_path / "m.h5")
    with pytest.raises(ValueError, match="Input X contains NaN"):
        runtime.load(tmp_path / "m.h5").predict(frame)


# -- no scikit-learn -------------------------------------------------------------------
def _pipeline_file(folder):
    """A saved StandardScaler + MinMaxScaler(clip) + DeepNNClassifier pipeline."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    pipe = _fit(make_pipeline(StandardScaler(), MinMaxScaler(clip=True),
                              DeepNNClassifier((5, 3), max_iter=3, random_state=0)),
                X * 4 + 1, Y3)
    save_model(pipe, folder / "pipe.h5")
    return pipe, X * 5 - 2, folder / "pipe.h5"


def test_fresh_interpreter_loads_and_predicts_without_sklearn(saved, tmp_path):
    _predict_in_fresh_interpreter(*saved, tmp_path)


def test_fresh_interpreter_serves_a_pipeline_file_without_sklearn(tmp_path):
    """The scalers too are applied with NumPy alone, bit-identically."""
    _predict_in_fresh_interpreter(*_pipeline_file(tmp_path), tmp_path)


def _predict_in_fresh_interpreter(est, X_, path, tmp_path):
    np.save(tmp_path / "X.npy", X_)
    code = f"""
import sys
import numpy as np
from sknn_scratch import runtime
model = runtime.load({str(path)!r})
X = np.load({str(tmp_path / "X.npy")!r})
np.savez({str(tmp_path / "out.npz")!r}, proba=model.predict_proba(X),
         log_proba=model.predict_log_proba(X), decision=model.decision_function(X),
         label_index=np.searchsorted(model.classes_, model.predict(X)))
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')
               or m.startswith('sknn_scratch.estimators'))
assert 'sklearn' not in sys.modules, heavy
assert not heavy, heavy
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(sknn_scratch.__file__).parents[1])
    assert done.returncode == 0, done.stderr
    out = np.load(tmp_path / "out.npz")
    _same(est.predict_proba(X_), out["proba"])
    _same(est.predict_log_proba(X_), out["log_proba"])
    _same(est.decision_function(X_), out["decision"])
    np.testing.assert_array_equal(np.searchsorted(est.classes_, est.predict(X_)),
                                  out["label_index"])


_BLOCKED = r"""
import importlib.abc, sys
class Blocker(importlib.abc.MetaPathFinder):  # as if they were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("sklearn", "scipy", "pandas", "joblib"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)")
sys.meta_path.insert(0, Blocker())
"""


def test_the_runtime_files_alone_serve_models_without_sklearn_or_scipy(tmp_path):
    """A device install: runtime.FILES copied to an empty folder, with scikit-learn,
    SciPy and pandas made unimportable; FILES is exactly what the runtime imports."""
    est, X_ = _fit(DeepNNClassifier((5, 4), max_iter=3, random_state=0), X, Y3), X[:9]
    path = tmp_path / "bare.h5"
    save_model(est, path, include_optimizer_state=False)
    pipe, X_pipe, pipe_path = _pipeline_file(tmp_path)
    root = Path(sknn_scratch.__file__).parent
    for name in runtime.FILES:
        (tmp_path / "device" / "sknn_scratch" / name).parent.mkdir(parents=True,
                                                                  exist_ok=True)
        shutil.copy(root / name, tmp_path / "device" / "sknn_scratch" / name)
    np.save(tmp_path / "X.npy", X_)
    np.save(tmp_path / "X_pipe.npy", X_pipe)
    code = _BLOCKED + f"""
import json, numpy as np
from sknn_scratch import runtime
out = {{}}
for key, model, X in (("bare", {str(path)!r}, {str(tmp_path / "X.npy")!r}),
                      ("pipe", {str(pipe_path)!r}, {str(tmp_path / "X_pipe.npy")!r})):
    out[key] = runtime.load(model).predict_proba(np.load(X)).tolist()
files = sorted(m.__file__.split("sknn_scratch/")[1] for n, m in sys.modules.items()
               if n.startswith("sknn_scratch"))
print(json.dumps({{"proba": out, "files": files}}))
"""
    done = subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path[:0] = "
                           f"[{str(tmp_path / 'device')!r}, *{_site_packages()!r}]\n"
                           + code], capture_output=True, text=True,
                          cwd=tmp_path / "device")
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["files"] == sorted(runtime.FILES)
    np.testing.assert_array_equal(np.array(got["proba"]["bare"]), est.predict_proba(X_))
    np.testing.assert_array_equal(np.array(got["proba"]["pipe"]),
                                  pipe.predict_proba(X_pipe))


def _site_packages():
    """Where NumPy and h5py are installed (the device has them, and nothing of ours)."""
    import h5py as _h5py
    return sorted({str(Path(m.__file__).parents[1]) for m in (np, _h5py)})


def test_runtime_and_core_import_only_numpy_h5py_and_own_modules():
    root = Path(sknn_scratch.__file__).parent
    allowed = set(sys.stdlib_module_names) | {"numpy", "h5py"}
    for name in ("runtime.py", "_scalers.py", "_pipelinefile.py", "core/predict.py",
                 "core/network.py",
                 "core/activations.py", "core/losses.py", "core/initializers.py"):
        tree = ast.parse((root / name).read_text())
        absolute = {a.name.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, ast.Import) for a in n.names}
        absolute |= {n.module.split(".")[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and n.level == 0}
        assert absolute <= allowed, (name, absolute - allowed)
        relative = {"." * n.level + (n.module or "") for n in ast.walk(tree)
                    if isinstance(n, ast.ImportFrom) and n.level}
        assert not any("estimators" in r or r.startswith("..io") for r in relative), name


# -- malformed files: the same errors as load_model ------------------------------------
@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    """The base files of the reader's corpus (tests/test_modelfile.py)."""
    return save_base_files(tmp_path_factory.mktemp("base"))


#: Estimator-level cases the runtime also rejects (what prediction depends on).
RUNTIME_CHECKS = {"invalid-param", "params-vs-weights", "extra-layer-and-n_layers_"}


#: Cases in what only training reads (optimizer, curves, generator, other
#: attributes): the runtime never reads these entries.
TRAINING_STATE = {"loss-curve-length", "loss_-inconsistent",
                  "plain-attribute-redefines-core", "rng-state", "optimizer-shape",
                  "optimizer-name"}


@pytest.mark.parametrize("case", sorted(TRAINING_STATE))
def test_runtime_never_reads_the_training_state(case, base_files, tmp_path):
    path, match, _ = broken_copy(case, base_files, tmp_path)
    with pytest.raises(ValueError, match=match):
        load_model(path)
    runtime.load(path)  # prediction needs none of it


@pytest.mark.parametrize("case", [c for c, v in CORPUS.items() if c not in TRAINING_STATE
                                  and (v[3] == R or c in RUNTIME_CHECKS)])
def test_broken_file_raises_the_same_error_as_load_model(case, base_files, tmp_path):
    path, match, level = broken_copy(case, base_files, tmp_path)
    with pytest.raises(ValueError, match=match) as by_runtime:
        runtime.load(path)
    with pytest.raises(ValueError, match=match) as by_load_model:
        load_model(path)
    if level == R:  # found by the shared reader: the very same message
        assert str(by_runtime.value) == str(by_load_model.value)


def test_parameters_only_training_needs_are_not_checked(base_files, tmp_path):
    """Unknown or missing training parameters do not matter for prediction."""
    path = tmp_path / "m.h5"
    shutil.copy(base_files["multi"], path)
    _edit_params(path, lambda p: {**{k: v for k, v in p.items() if k != "alpha"},
                                  "foo": 1})
    with pytest.raises(ValueError, match="unknown parameter"):
        load_model(path)
    model = runtime.load(path)
    _same(load_model(base_files["multi"]).predict_proba(X), model.predict_proba(X))


def _edit_params(path, change):
    with h5py.File(path, "r+") as f:
        params = change(json.loads(f["params"][()].decode()))
        del f["params"]
        f.create_dataset("params", data=np.bytes_(json.dumps(params).encode()))
    reseal(path)


@pytest.mark.parametrize("change, match", [
    (lambda p: {k: v for k, v in p.items() if k != "activation"},
     "'activation' parameter of DeepNNClassifier must be a str among .* Got None"),
    (lambda p: {**p, "activation": ["relu"]}, "'activation' parameter"),
    (lambda p: {**p, "hidden_layer_sizes": [5, 0]}, "'hidden_layer_sizes' parameter"),
    (lambda p: {**p, "hidden_layer_sizes": True}, "'hidden_layer_sizes' parameter"),
    (lambda p: {**p, "hidden_layer_sizes": 5}, r"describe \(4, 5, 3\)"),
])
def test_runtime_checks_activation_and_layer_sizes(change, match, base_files, tmp_path):
    path = tmp_path / "m.h5"
    shutil.copy(base_files["multi"], path)
    _edit_params(path, change)
    with pytest.raises(ValueError, match=f"Cannot load model from .*{match}"):
        runtime.load(path)


def test_shallow_n_hidden_must_describe_the_weights(tmp_path):
    est = _fit(ShallowNNClassifier(n_hidden=3, max_iter=2, random_state=0), X, Y2)
    save_model(est, tmp_path / "m.h5")
    _edit_params(tmp_path / "m.h5", lambda p: {**p, "n_hidden": 4})
    for load in (runtime.load, load_model):
        with pytest.raises(ValueError, match=r"layer sizes \(4, 3, 1\), .* describe "
                                             r"\(4, 4, 1\)"):
            load(tmp_path / "m.h5")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="Model file not found"):
        runtime.load(tmp_path / "nope.h5")
