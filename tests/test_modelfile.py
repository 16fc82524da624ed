"""The model file reader: a corpus of broken files, purity, and the JSON codec."""

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
from sknn_scratch import DeepNNClassifier
from sknn_scratch import _modelfile, _seal
from sknn_scratch import io as sknn_io
from sknn_scratch._plaindata import dumps, encode_params, encode_value, loads
from sknn_scratch.io import load_model, read_model_file, save_model

X = np.random.default_rng(0).normal(size=(60, 4))
Y3 = np.array(["cat", "dog", "ému"])[np.arange(60) % 3]
Y2 = np.arange(60) % 2


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return estimator.fit(X, y)


def save_base_files(folder):
    """A 3-layer net (4 -> 5 -> 4 -> out) saved for 3 string classes and for 2."""
    files = {}
    for name, y in (("multi", Y3), ("binary", Y2)):
        est = _fit(DeepNNClassifier((5, 4), max_iter=2, random_state=0), X, y)
        save_model(est, folder / f"{name}.h5")
        files[name] = folder / f"{name}.h5"
    return files


@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    return save_base_files(tmp_path_factory.mktemp("base"))


def reseal(path):
    """Seal ``path`` anew after an edit through h5py, as a crafted file would be:
    the seal catches damage, the reader's own checks catch crafted content."""
    with open(path, "r+b") as handle:
        handle.write(bytes(_seal.USERBLOCK_SIZE))
    _seal.seal(path)


def _h5(edit):
    def apply(path):
        with h5py.File(path, "r+") as f:
            edit(f)
        reseal(path)
    return apply


def _put(name, data=None, **kwargs):
    def edit(f):
        attrs = dict(f[name].attrs) if isinstance(f[name], h5py.Dataset) else {}
        del f[name]
        f.create_dataset(name, data=data, **kwargs).attrs.update(attrs)
    return _h5(edit)


def _attr(name, value, obj="/"):
    def edit(f):
        f[obj].attrs[name] = value
    return _h5(edit)


def _json(name, change):
    """Rewrite a JSON dataset; ``change`` returns new data or raw text."""
    def edit(f):
        new = change(json.loads(f[name][()].decode()))
        text = new if isinstance(new, str) else json.dumps(new)
        del f[name]
        f.create_dataset(name, data=np.bytes_(text.encode()))
    return _h5(edit)


def _raw(change):
    def apply(path):
        path.write_bytes(change(path.read_bytes()))
    return apply


def _extra_layer(n_layers=None):
    def edit(f):
        f.create_dataset("coefs_/3", data=np.zeros((3, 3)))
        f.create_dataset("intercepts_/3", data=np.zeros(3))
        if n_layers:
            f.attrs["n_layers_"] = n_layers
            del f["optimizer_state"]  # optional: its 2L arrays would not match
    return _h5(edit)


def _soft_link(f):
    del f["coefs_/0"]
    f["coefs_/0"] = h5py.SoftLink("/coefs_/1")


def _many_layers(f):
    for i in range(3, 300):
        f.create_dataset(f"coefs_/{i}", data=np.zeros(1))


def _nan_at(name, index, value=np.nan):
    def edit(f):
        data = f[name][()]
        data.flat[index] = value
        f[name][...] = data
    return _h5(edit)


def _foreign(path):
    with h5py.File(path, "w") as f:
        f.create_dataset("train_set_x", data=np.zeros((2, 3)))


def _drop(key):
    return lambda d: {k: v for k, v in d.items() if k != key}


R, E = "reader", "estimator"  # which layer must catch it
CORPUS = {
    # id: (base file, change, message fragment, level)
    "text-file": ("multi", _raw(lambda b: b"coefs_ = [1, 2]\n"), "not an HDF5 file", R),
    "empty-file": ("multi", _raw(lambda b: b""), "not an HDF5 file", R),
    "truncated-half": ("multi", _raw(lambda b: b[: len(b) // 2]), "truncated or corrupt",
                       R),
    "truncated-1-byte": ("multi", _raw(lambda b: b[:-1]), "truncated or corrupt", R),
    "foreign-hdf5": ("multi", _foreign, "no 'format' attribute", R),
    "other-format": ("multi", _attr("format", "keras"), "its format is 'keras'", R),
    "newer-format": ("multi", _attr("format_version", 4), "format version 4; this "
                     "sknn_scratch reads format versions up to 3 .upgrade", R),
    "unknown-class": ("multi", _attr("class_name", "MLPClassifier"),
                      "unknown estimator class 'MLPClassifier'", R),
    "missing-layer": ("multi", _h5(lambda f: f.__delitem__("coefs_/1")),
                      r"missing \['coefs_/1'\]", R),
    "no-layers": ("multi", _h5(lambda f: [f["coefs_"].__delitem__(k) for k in "012"]),
                  "'coefs_' holds no arrays", R),
    "layers-not-group": ("multi", _put("coefs_", np.zeros(3)),
                         "'coefs_' should be a group", R),
    "stray-layer": ("multi", _h5(lambda f: f.create_dataset("coefs_/7", data=[[0.0]])),
                    r"unexpected \['coefs_/7'\]", R),
    "extra-intercept": ("multi", _h5(lambda f: f.create_dataset("intercepts_/3",
                                                                 data=[0.0])),
                        r"'intercepts_' should hold 3 arrays named 0..2; "
                        r"unexpected \['intercepts_/3'\]", R),
    "extra-layer": ("multi", _extra_layer(), "n_layers_ is 4, but the file holds 4", R),
    "extra-layer-and-n_layers_": ("multi", _extra_layer(5), r"layer sizes \(4, 5, 4, 3, "
                                  r"3\), but the saved parameters .* describe", E),
    "huge-n_layers_": ("multi", _attr("n_layers_", 10**9), "n_layers_ is 1000000000", R),
    "too-many-layers": ("multi", _h5(_many_layers),
                        "'coefs_' holds 300 entries, more than the limit of 256", R),
    "rows-mismatch": ("multi", _put("coefs_/1", np.zeros((4, 4))),
                      "'coefs_/1' has 4 rows, but 'coefs_/0' has 5 columns", R),
    "intercept-length": ("multi", _put("intercepts_/0", np.zeros(7)),
                         r"'intercepts_/0' has shape \(7,\), but 'coefs_/0' has 5", R),
    "n_features_in_": ("multi", _attr("n_features_in_", 7),
                       "'coefs_/0' has 4 rows, but n_features_in_ is 7", R),
    "coef-1d": ("multi", _put("coefs_/0", np.zeros(20)), "non-empty 2-d array", R),
    "coef-strings": ("multi", _put("coefs_/0", np.full((4, 5), b"x")),
                     r"'coefs_/0' has dtype \|S1; expected float32 or float64", R),
    "coef-ints": ("multi", _put("coefs_/0", np.zeros((4, 5), np.int64)),
                  "has dtype int64; expected float32 or float64", R),
    "mixed-float-dtypes": ("multi", _put("coefs_/0", np.zeros((4, 5), np.float32)),
                           r"dtype\(s\) \['float32', 'float64'\]", R),
    "nan-weight": ("multi", _nan_at("coefs_/1", 3), "'coefs_/1' contains NaN or inf", R),
    "inf-intercept": ("multi", _nan_at("intercepts_/2", 0, np.inf),
                      "'intercepts_/2' contains NaN or infinity", R),
    "huge-declared-shape": ("multi", _put("coefs_/0", shape=(10**6, 10**6), dtype="f8"),
                            "beyond the size limits", R),
    "declared-not-stored": ("multi", _put("coefs_/0", shape=(4, 5), dtype="f8"),
                            r"\(160 bytes\) but the file stores 0 bytes", R),
    "compressed": ("multi", _put("coefs_/0", np.zeros((4, 5)), compression="gzip"),
                   "chunked, filtered, external or virtual", R),
    "soft-link": ("multi", _h5(_soft_link), r"'coefs_/0' is a link \(SoftLink\)", R),
    "external-link": ("multi", _h5(lambda f: f.__setitem__(
        "extra", h5py.ExternalLink("/etc/passwd", "/x"))),
        r"'extra' is a link \(ExternalLink\)", R),
    "unexpected-entry": ("multi", _h5(lambda f: f.create_dataset("extra", data=1)),
                         r"Cannot load model from .*: unexpected \['extra'\]\.$", R),
    "unexpected-attribute": ("multi", _attr("evil", 1), r"unexpected attribute\(s\)", R),
    "missing-attribute": ("multi", _h5(lambda f: f.attrs.__delitem__("n_iter_")),
                          "attribute 'n_iter_' of '/' is missing", R),
    "attribute-type": ("multi", _attr("n_features_in_", "4"),
                       "attribute 'n_features_in_' of '/' should be int", R),
    "unknown-param": ("multi", _json("params", lambda d: {**d, "foo": 1}),
                      r"unknown parameter\(s\) \['foo'\] of DeepNNClassifier: this "
                      r"version .* not have them\. The file was written by "
                      r"sknn_scratch 0\.1\.0", E),
    "missing-param": ("multi", _json("params", _drop("alpha")),
                      r"missing parameter\(s\) \['alpha'\]", E),
    "params-not-object": ("multi", _json("params", lambda d: [1, 2]),
                          "'params' is not a JSON object", R),
    "invalid-param": ("multi", _json("params", lambda d: {**d, "activation": "evil"}),
                      "'activation' parameter of DeepNNClassifier must be", E),
    "params-vs-weights": ("multi", _json("params", lambda d: {
        **d, "hidden_layer_sizes": {"__tuple__": [9, 9]}}), r"describe \(4, 9, 9, 3\)", E),
    "params-not-json": ("multi", _json("params", lambda d: "import os"),
                        "'params' is not valid model JSON", R),
    "params-nan-literal": ("multi", _json("params", lambda d: '{"alpha": NaN}'),
                           "non-standard JSON constant NaN", R),
    "params-bad-tag": ("multi", _json("params", lambda d: {**d, "tol": {"__tuple__": 5}}),
                       "malformed __tuple__", R),
    "params-vlen-string": ("multi", _put("params", "{}", dtype=h5py.string_dtype()),
                           "'params' has dtype object; expected fixed-length", R),
    "3-classes-1-output": ("binary", _put("classes_", np.array([0, 1, 2])),
                           r"has 3 classes, which need 3 output unit\(s\), but the last "
                           "layer of coefs_ has 1", R),
    "2-classes-3-outputs": ("multi", _put("classes_", np.array([b"a", b"b"])),
                            r"has 2 classes, which need 1 output unit\(s\)", R),
    "classes-unsorted": ("binary", _put("classes_", np.array([1, 0])),
                         "distinct labels in sorted order", R),
    "classes-bad-dtype": ("binary", _attr("dtype", "<M8[ns]", "classes_"),
                          "unsupported dtype '<M8", R),
    "classes-bad-utf8": ("multi", _put("classes_", np.array([b"\xff", b"a", b"b"])),
                         "'classes_' is not valid UTF-8", R),
    "feature-names-length": ("multi", _h5(lambda f: f.create_dataset(
        "feature_names_in_", data=np.array([b"a", b"b", b"c"]))),
        "'feature_names_in_' has 3 entries, expected 4", R),
    "out-activation": ("binary", _attr("out_activation_", "softmax"),
                       "out_activation_='softmax' do not match", R),
    "loss-curve-length": ("multi", _put("loss_curve_", np.zeros(1)),
                          "must both hold n_iter_=2 epochs", R),
    "loss_-inconsistent": ("multi", _attr("loss_", 123.0), "loss_ and best_loss_", R),
    "plain-attribute-redefines-core": ("multi", _json("plain_attributes", lambda d: {
        **d, "coefs_": [1]}), "'plain_attributes' must be a JSON object whose keys", R),
    "rng-state": ("multi", _json("rng_state", lambda d: {**d, "bit_generator": "MT19937"}),
                  "'rng_state' is not the state of a PCG64 generator", R),
    "optimizer-shape": ("multi", _put("optimizer_state/m/0", np.zeros((2, 2))),
                        r"'optimizer_state/m/0' has shape \(2, 2\)", R),
    "optimizer-name": ("multi", _attr("name", "lbfgs", "optimizer_state"),
                       "unknown optimizer 'lbfgs'", R),
}


def broken_copy(case, base_files, folder):
    """The corpus file ``case``: (path, expected message, level)."""
    base, change, match, level = CORPUS[case]
    path = folder / "broken.h5"
    shutil.copy(base_files[base], path)
    change(path)
    return path, match, level


@pytest.mark.parametrize("case", list(CORPUS))
def test_broken_file_raises_value_error_saying_what(case, base_files, tmp_path):
    path, match, level = broken_copy(case, base_files, tmp_path)
    if level == R:  # the NumPy/h5py-only reader catches it by itself
        with pytest.raises(ValueError, match=match):
            read_model_file(path)
    else:
        read_model_file(path)
    with pytest.raises(ValueError, match=match):
        load_model(path)


# -- the reading code runs nothing and needs no scikit-learn --------------------------
def test_reader_imports_only_numpy_h5py_and_stdlib():
    code = ("import sys, sknn_scratch._modelfile; "
            "bad = [m for m in sys.modules if m.startswith(('sklearn', 'scipy', "
            "'sknn_scratch.estimators'))]; print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    root = Path(sknn_scratch.__file__).parent
    for name in ("_modelfile.py", "_h5reader.py", "_plaindata.py", "_seal.py",
                 "_pipelinefile.py", "_scalers.py", "_stopfile.py"):
        tree = ast.parse((root / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                    for a in n.names}
        imported |= {"." * n.level + (n.module or "") for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom)}
        assert imported <= set(sys.stdlib_module_names) | {
            "numpy", "h5py", "._plaindata", "._seal", "._pipelinefile", "._scalers",
            "._h5reader", "._stopfile"}, name


def test_no_pickle_or_eval_in_io_modules():
    root = Path(sknn_scratch.__file__).parent
    for name in ("io.py", "_modelfile.py", "_h5reader.py", "_plaindata.py", "_seal.py",
                 "_pipelinefile.py", "_scalers.py", "_pipelines.py", "_stopfile.py"):
        tree = ast.parse((root / name).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree)
                    if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree)
                     if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"pickle", "dill", "joblib", "marshal", "shelve"}, name
        called = {n.func.id for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not called & {"eval", "exec", "compile", "__import__"}, name


def test_allow_list_names_the_three_estimators():
    assert set(_modelfile.CLASS_NAMES) == set(sknn_io._CLASSES)


# -- plain data <-> JSON --------------------------------------------------------------
@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, float("inf"), -float("inf"), "é", (64, 32), [1, (2, 3)],
    {0: 1.0, 1: 2.5}, {"cat": 2, "dog": None}, {"__tuple__": 1}, {1.5: "x", None: 2},
    {"a": {"b": [(1,)]}},
])
def test_plain_data_round_trips_with_types(value):
    back = loads(dumps(value))
    assert back == value and type(back) is type(value)
    json.loads(dumps(value), parse_constant=lambda c: 1 / 0)  # strict JSON


def test_numpy_values_round_trip_as_equal_values():
    assert loads(dumps(np.int64(5))) == 5 and loads(dumps(np.float32(0.5))) == 0.5
    assert np.isnan(loads(dumps(float("nan"))))
    back = loads(dumps(np.array([3, 4], dtype=np.int32)))
    assert back.dtype == np.int32 and back.tolist() == [3, 4]


@pytest.mark.parametrize("value", [object(), len, np.random.RandomState(0),
                                   np.zeros((2, 2)), {(1, 2): 3}, [1, {2}]])
def test_non_plain_values_are_refused(value):
    with pytest.raises(TypeError):
        encode_value(value)
    with pytest.raises(ValueError, match="Parameter 'p' cannot be saved"):
        encode_params({"p": value})


@pytest.mark.parametrize("text, match", [
    ("NaN", "non-standard JSON constant"),
    ('{"__float__": "1e999"}', "malformed __float__"),
    ('{"__ndarray__": {"dtype": "O", "data": []}}', "malformed __ndarray__"),
    ('{"__ndarray__": {"dtype": "<i1", "data": [1000]}}', "malformed __ndarray__"),
    ('{"__dict__": [[[1], 2]]}', "malformed __dict__"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_loads_rejects_what_dumps_never_writes(text, match):
    with pytest.raises(ValueError, match=match):
        loads(text)


# --- fix17: parameter value types the writer accepts, read back by both loaders ---

def _cw_model(keys, y, weights=(1.0, 2.0, 0.5)):
    cw = {k: w for k, w in zip(keys, weights)}
    return _fit(DeepNNClassifier(max_iter=3, random_state=0, class_weight=cw), X, y), cw


def _same_typed(a, b):
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(map(type, a)) == list(map(type, b))
                and all(_same_typed(ka, kb) for ka, kb in zip(a, b))
                and all(_same_typed(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            _same_typed(u, v) for u, v in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and (a == b or (a != a and b != b))


@pytest.mark.parametrize("keys, y", [
    ([np.int64(0), np.int64(1), np.int64(2)], np.arange(60) % 3),
    ([np.int32(0), np.int32(1), np.int32(2)], (np.arange(60) % 3).astype(np.int32)),
    ([np.False_, np.True_], (np.arange(60) % 2).astype(bool)),
    ([0, 1, 2], np.arange(60) % 3),
])
def test_class_weight_numpy_keys_round_trip_both_loaders(tmp_path, keys, y):
    from sknn_scratch import runtime
    from sklearn.utils.class_weight import compute_class_weight
    cls = np.unique(y)
    weights = compute_class_weight("balanced", classes=cls, y=y)
    est, cw = _cw_model(keys[:len(cls)], y, weights)
    path = tmp_path / "cw.h5"
    save_model(est, path)
    back = load_model(path).get_params()["class_weight"]
    assert _same_typed(cw, back)
    rt = runtime.load(path)
    np.testing.assert_array_equal(rt.predict(X), est.predict(X))


WRITER_VALUES = [
    None, True, False, 0, -3, 2 ** 70, 0.5, float("inf"), float("-inf"), float("nan"),
    "s", "", (1, 2), [1, (2, 3)], {"a": 1}, {"__tuple__": 1}, {1: 2.0, "x": None},
    {None: 1}, {1.5: 2}, {(1): (3, 4)},
    np.bool_(True), np.int8(-5), np.int16(7), np.int32(8), np.int64(9), np.uint8(255),
    np.uint16(1), np.uint32(2), np.uint64(2 ** 63), np.float16(0.1), np.float32(0.01),
    np.float64(0.3), np.float32("inf"),
    {np.int64(0): np.float32(1.5), np.int32(1): np.float16(2.5)},
    {np.bool_(False): 1.0, np.bool_(True): np.float64(3.0)},
    {np.uint8(3): 1, np.float32(0.5): 2, np.float16(1.5): 3},
    np.array([1, 2], dtype=np.int32), np.array([0.5], dtype=np.float16),
    np.array([True, False]), np.array([1.5, 2.5], dtype=np.float32),
]


@pytest.mark.parametrize("value", WRITER_VALUES, ids=repr)
def test_every_value_the_writer_accepts_is_read_back(value):
    back = loads(encode_params({"p": value}))["p"]
    assert _same_typed(value, back)


def test_writer_values_read_back_by_both_loaders(tmp_path):
    """The same values as a (free-form) class_weight would ride in the params
    JSON; here they are written through h5py into a saved file's params and read
    by load_model's and the runtime's parser, after a reseal."""
    from sknn_scratch import runtime
    est = _fit(DeepNNClassifier(max_iter=2, random_state=0), X, Y2)
    path = tmp_path / "m.h5"
    save_model(est, path)
    # the learning rate is kept exactly, with its type, for each numeric scalar type
    for value in (np.float16(0.01), np.float32(0.01), np.float64(0.01)):
        est.set_params(learning_rate_init=value) if "learning_rate_init" in \
            est.get_params() else est.set_params(learning_rate=value)
        save_model(est, path)
        name = "learning_rate_init" if "learning_rate_init" in est.get_params() \
            else "learning_rate"
        assert _same_typed(value, load_model(path).get_params()[name])
        runtime.load(path)


def test_longdouble_parameter_refused_before_writing(tmp_path):
    if np.dtype(np.longdouble).itemsize == 8:
        pytest.skip("longdouble is float64 on this platform")
    path = tmp_path / "ld.h5"
    est = _fit(DeepNNClassifier(max_iter=2, random_state=0), X, Y2)
    name = "learning_rate_init" if "learning_rate_init" in est.get_params() \
        else "learning_rate"
    est.set_params(**{name: np.longdouble(0.01)})
    with pytest.raises(ValueError, match=name):
        save_model(est, path)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    est.set_params(**{name: 0.01, "class_weight": {0: np.longdouble(2.0), 1: 1.0}})
    with pytest.raises(ValueError, match="class_weight"):
        save_model(est, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "dir"])
def test_not_a_regular_file_refused_without_blocking(tmp_path, kind):
    import os
    from sknn_scratch import runtime
    path = tmp_path / "m.h5"
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(path)
    else:
        path.mkdir()  # already refused as IsADirectoryError (kept), never opened
    error, match = ((ValueError, "not a regular file") if kind == "fifo"
                    else (IsADirectoryError, "directory"))
    for loader in (load_model, runtime.load):
        with pytest.raises(error, match=match):
            loader(path)


def test_runtime_refuses_a_pipeline_step_missing_a_parameter_like_load_model(tmp_path):
    import json as _json
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler
    from sknn_scratch import runtime
    pipe = make_pipeline(MinMaxScaler(), DeepNNClassifier(max_iter=2, random_state=0))
    _fit(pipe, X, Y2)
    path = tmp_path / "p.h5"
    save_model(pipe, path)

    def drop_clip(f):
        node = f["pipeline/steps/0/params"]
        params = _json.loads(node[()].decode() if isinstance(node[()], bytes)
                             else node[()])
        del params["clip"]
        del f["pipeline/steps/0/params"]
        f["pipeline/steps/0/params"] = np.bytes_(_json.dumps(params)) \
            if isinstance(node, h5py.Dataset) else _json.dumps(params)
    _h5(drop_clip)(path)
    for loader in (load_model, runtime.load):
        with pytest.raises(ValueError, match=r"missing parameter\(s\) \['clip'\]"):
            loader(path)


def _state(change):
    """Rewrite the JSON state of ``/stopping_state``: ``change`` returns the new dict."""
    def edit(f):
        group = f["stopping_state"]
        group.attrs["state"] = dumps(change(loads(group.attrs["state"])))
    return edit


def _stopping_nan(f):
    f["stopping_state/intercepts/0"][0] = np.nan


def _stopping_weights_deleted(f):
    # a best epoch without its weights: resuming could not restore them
    del f["stopping_state/coefs"], f["stopping_state/intercepts"]


def _stopping_shape(f):
    del f["stopping_state/coefs/0"]
    f.create_dataset("stopping_state/coefs/0", data=np.zeros((2, 2)))


STOPPING_CORPUS = {
    "extra-key": _state(lambda s: {**s, "patience": 3}),
    "missing-key": _state(lambda s: {k: v for k, v in s.items() if k != "best_epoch"}),
    "tol-with-arrays": _state(lambda s: {"rule": "tol",
                                         "no_improvement": s["no_improvement"]}),
    "no-improvement-negative": _state(lambda s: {**s, "no_improvement": -1}),
    "split-seed-text": _state(lambda s: {**s, "split_seed": "7"}),
    "best-score-int": _state(lambda s: {**s, "best_score": 1}),
    "best-score-inf": _state(lambda s: {**s, "best_score": float("inf")}),
    "best-epoch-float": _state(lambda s: {**s, "best_epoch": 1.0}),
    "best-weights-shape": _stopping_shape,
    "best-weights-nan": _stopping_nan,
    "best-weights-deleted": _stopping_weights_deleted,
    "weights-without-best-epoch": _state(lambda s: {**s, "best_epoch": None}),
}


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    """A per-epoch model of an early-stopping fit, saved with its best weights."""
    pytest.importorskip("sklearn.callback")
    from tests.test_callbacks import Checkpoint

    keeper = Checkpoint()
    _fit(DeepNNClassifier((5,), max_iter=4, early_stopping=True, n_iter_no_change=10,
                          random_state=0).set_callbacks(keeper), X, Y3)
    model = keeper.models[1]
    assert model._stopping_state["best_params"] is not None
    path = tmp_path_factory.mktemp("checkpoint") / "m.h5"
    save_model(model, path)
    return path


@pytest.mark.parametrize("case", list(STOPPING_CORPUS))
def test_broken_stopping_state_is_refused(case, checkpoint_file, tmp_path):
    load_model(checkpoint_file)  # the unedited checkpoint loads
    path = tmp_path / "broken.h5"
    shutil.copy(checkpoint_file, path)
    with h5py.File(path, "r+") as f:
        STOPPING_CORPUS[case](f)
    reseal(path)
    with pytest.raises(ValueError, match="stopping"):
        load_model(path)
