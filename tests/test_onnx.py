"""ONNX export through skl2onnx, run in onnxruntime against predict / predict_proba."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch.cli import main
from sknn_scratch.io import save_model

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sknn_onnx = pytest.importorskip("sknn_scratch.onnx")

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]
DTYPES = [np.float32, np.float64]
#: Largest |ONNX - predict_proba| allowed, by input type.
ATOL = {np.float32: 1e-5, np.float64: 1e-12}


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return estimator.fit(X, y)


def _run(onx, X):
    sess = ort.InferenceSession(onx.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X})


def _check(model, onx, X, dtype, labels=None):
    """The graph's labels equal ``predict``; its probabilities ``predict_proba``."""
    label, proba = _run(onx, X.astype(dtype))[:2]
    expected = model.predict(X.astype(dtype)) if labels is None else labels
    np.testing.assert_array_equal(label, expected)
    np.testing.assert_allclose(proba, model.predict_proba(X.astype(dtype)), rtol=0,
                               atol=ATOL[dtype])
    assert proba.dtype == dtype


@pytest.fixture(scope="module")
def data():
    digits, cancer = load_digits(), load_breast_cancer()
    return {"multiclass": (digits.data, digits.target),  # 10 classes, softmax
            "binary": (cancer.data, cancer.target)}  # one sigmoid unit


@pytest.fixture(scope="module")
def pipelines(data):
    """StandardScaler + DeepNNClassifier for every activation and both problems."""
    cache = {}

    def get(kind, activation):
        if (kind, activation) not in cache:
            X, y = data[kind]
            net = DeepNNClassifier((16, 8), activation=activation, max_iter=8,
                                   random_state=0)
            cache[kind, activation] = _fit(make_pipeline(StandardScaler(), net), X, y)
        return cache[kind, activation]

    return get


# -- whole pipelines, as MLPClassifier exports ---------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("kind", ["multiclass", "binary"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_pipeline_exports_and_matches_predictions(activation, kind, dtype, data,
                                                  pipelines):
    X, _ = data[kind]
    pipe = pipelines(kind, activation)
    onx = skl2onnx.to_onnx(pipe, X[:1].astype(dtype),
                           options={DeepNNClassifier: {"zipmap": False}})
    _check(pipe, onx, X, dtype)


def test_default_zipmap_returns_one_dict_per_row(data, pipelines):
    X, _ = data["multiclass"]
    pipe = pipelines("multiclass", "relu")
    label, maps = _run(skl2onnx.to_onnx(pipe, X[:1].astype(np.float32)),
                       X[:20].astype(np.float32))
    np.testing.assert_array_equal(label, pipe.predict(X[:20]))
    got = np.array([[row[c] for c in range(10)] for row in maps])
    np.testing.assert_allclose(got, pipe.predict_proba(X[:20]), atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_zipmap_columns_gives_one_output_per_class(dtype, data, pipelines):
    """float64 too: ONNX's ZipMap takes float only, so the converter casts for it."""
    X, _ = data["binary"]
    pipe = pipelines("binary", "tanh")
    net = pipe[-1]
    outputs = _run(skl2onnx.to_onnx(pipe, X[:1].astype(dtype),
                                    options={id(net): {"zipmap": "columns"}}),
                   X.astype(dtype))
    assert len(outputs) == 3  # label, one column per class
    np.testing.assert_array_equal(outputs[0], pipe.predict(X))
    np.testing.assert_allclose(np.column_stack(outputs[1:]), pipe.predict_proba(X),
                               atol=1e-5)


def test_double_input_zipmap_gives_valid_graph(data, pipelines):
    X, _ = data["multiclass"]
    pipe = pipelines("multiclass", "sigmoid")
    label, maps = _run(skl2onnx.to_onnx(pipe, X[:1]), X[:5])  # float64, zipmap=True
    np.testing.assert_array_equal(label, pipe.predict(X[:5]))
    np.testing.assert_allclose([[m[c] for c in range(10)] for m in maps],
                               pipe.predict_proba(X[:5]), atol=1e-6)


# -- the three estimators, labels of every kind ---------------------------------------
X_SMALL = np.random.default_rng(0).normal(size=(90, 5))
Y_STR = np.array(["cat", "dog", "ému"])[np.arange(90) % 3]
ESTIMATORS = {
    "logistic-newton-multiclass-str": (ScratchLogisticRegression(), Y_STR),
    "logistic-gd-binary-int": (ScratchLogisticRegression(solver="gd", max_iter=20),
                               np.arange(90) % 2),
    "shallow-binary-str": (ShallowNNClassifier(max_iter=10, random_state=0),
                           np.where(Y_STR == "cat", "yes", "no")),
    "deep-multiclass-negative-int": (DeepNNClassifier((6, 5), max_iter=10,
                                                      random_state=0),
                                     np.arange(90) % 3 - 5),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", list(ESTIMATORS))
def test_each_estimator_exports_with_its_labels(case, dtype):
    est, y = ESTIMATORS[case]
    est = _fit(est, X_SMALL.astype(dtype), y)  # float32 fit gives float32 weights
    for input_dtype in DTYPES:
        onx = skl2onnx.to_onnx(est, X_SMALL[:1].astype(input_dtype),
                               options={id(est): {"zipmap": False}})
        _check(est, onx, X_SMALL, input_dtype)


def test_bool_labels_come_out_as_int64_like_skl2onnx():
    est = _fit(ShallowNNClassifier(max_iter=5, random_state=0), X_SMALL, Y_STR == "cat")
    label, _ = _run(skl2onnx.to_onnx(est, X_SMALL[:1].astype(np.float32),
                                     options={id(est): {"zipmap": False}}),
                    X_SMALL.astype(np.float32))
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, est.predict(X_SMALL).astype(np.int64))


def test_nocl_and_output_class_labels_options_are_honoured():
    est = _fit(DeepNNClassifier((4,), max_iter=5, random_state=0), X_SMALL, Y_STR)
    X32 = X_SMALL.astype(np.float32)
    label, _ = _run(skl2onnx.to_onnx(est, X32[:1], options={
        id(est): {"zipmap": False, "nocl": True}}), X32)
    np.testing.assert_array_equal(label, np.searchsorted(est.classes_, est.predict(X32)))
    *_, classes = _run(skl2onnx.to_onnx(est, X32[:1], options={
        id(est): {"zipmap": False, "output_class_labels": True}}), X32)
    np.testing.assert_array_equal(classes, est.classes_)


def test_non_integral_float_labels_are_refused():
    est = _fit(ScratchLogisticRegression(), X_SMALL, np.arange(90) % 2)
    est.classes_ = np.array([0.5, 1.5])
    for zipmap in (False, True):  # with ZipMap, skl2onnx's parser says it first
        with pytest.raises(RuntimeError, match="float class labels .*not (an )?integer"):
            skl2onnx.to_onnx(est, X_SMALL[:1].astype(np.float32),
                             options={id(est): {"zipmap": zipmap}})


def test_graph_uses_plain_onnx_operators():
    est = _fit(DeepNNClassifier((4, 3), activation="leaky_relu", max_iter=2,
                                random_state=0), X_SMALL, Y_STR)
    onx = sknn_onnx.to_onnx(est, zipmap=False)
    ops = [n.op_type for n in onx.graph.node]
    assert ops.count("MatMul") == 3 and ops.count("LeakyRelu") == 2
    alpha = [a.f for n in onx.graph.node if n.op_type == "LeakyRelu"
             for a in n.attribute]
    assert alpha == pytest.approx([0.01, 0.01])
    assert {"Softmax", "ArgMax", "Gather"} <= set(ops)
    assert all(n.domain in ("", "ai.onnx") for n in onx.graph.node)  # no ML domain
    assert [i.name for i in onx.graph.input] == ["X"]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_old_opsets_run_and_too_old_ones_are_refused(dtype):
    est = _fit(DeepNNClassifier((4,), activation="leaky_relu", max_iter=2,
                                random_state=0), X_SMALL, np.arange(90) % 2)
    onx = sknn_onnx.to_onnx(est, dtype=dtype, zipmap=False,
                            target_opset=sknn_onnx.MIN_OPSET)
    assert onx.opset_import[0].version == sknn_onnx.MIN_OPSET == 9
    _check(est, onx, X_SMALL, dtype)
    with pytest.raises(RuntimeError, match="needs target_opset >= 9 .*got 8"):
        sknn_onnx.to_onnx(est, dtype=dtype, target_opset=8)


# -- the course's cat data -------------------------------------------------------------
def test_cat_models_export_and_match(catvnoncat_dir):
    from sknn_scratch.datasets import load_catvnoncat

    cats = load_catvnoncat(catvnoncat_dir)
    X, y, X_test = cats.train.data, cats.train.target, cats.test.data
    models = [ScratchLogisticRegression(C=np.inf, solver="gd", learning_rate=0.005,
                                        max_iter=50, batch_size=None),
              DeepNNClassifier((20, 7, 5), max_iter=5, random_state=1)]
    for est in models:
        _fit(est, X, y)
        for dtype in DTYPES:
            onx = sknn_onnx.to_onnx(est, dtype=dtype, zipmap=False)
            _check(est, onx, X_test, dtype)
            _check(est, onx, X, dtype)


# -- sknn-scratch export ---------------------------------------------------------------
@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    est = _fit(DeepNNClassifier((6,), max_iter=5, random_state=0), X_SMALL, Y_STR)
    path = tmp_path_factory.mktemp("export") / "model.h5"
    save_model(est, path)
    return est, path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cli_export_writes_a_graph_that_matches(dtype, model_file, tmp_path, capsys):
    est, path = model_file
    out = tmp_path / "model.onnx"
    assert main(["export", str(path), "--onnx", str(out), "--dtype", dtype]) == 0
    assert "wrote" in capsys.readouterr().err
    import onnx

    _check(est, onnx.load(str(out)), X_SMALL, np.dtype(dtype).type)


def test_cli_export_zipmap_flag(model_file, tmp_path):
    est, path = model_file
    out = tmp_path / "model.onnx"
    assert main(["export", str(path), "--onnx", str(out), "--zipmap", "--quiet"]) == 0
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    label, maps = sess.run(None, {"X": X_SMALL[:3].astype(np.float32)})
    np.testing.assert_array_equal(label, est.predict(X_SMALL[:3]))
    assert set(maps[0]) == set(est.classes_)


@pytest.mark.parametrize("make, match", [
    (lambda d: d / "missing.h5", "Model file not found"),
    (lambda d: (d / "text.h5").write_text("no") and d / "text.h5", "not an HDF5 file"),
])
def test_cli_export_bad_model_is_one_line_exit_2(make, match, tmp_path, capsys):
    code = main(["export", str(make(tmp_path)), "--onnx", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("sknn-scratch: error: ") and match in err
    assert err.count("\n") == 1 and not (tmp_path / "m.onnx").exists()


def test_cli_export_to_missing_folder_is_exit_2(model_file, tmp_path, capsys):
    _, path = model_file
    code = main(["export", str(path), "--onnx", str(tmp_path / "no" / "m.onnx")])
    assert code == 2 and "Folder not found" in capsys.readouterr().err


def test_cli_export_without_skl2onnx_names_the_extra(model_file, tmp_path, capsys,
                                                      monkeypatch):
    _, path = model_file
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import skl2onnx fails
    monkeypatch.delitem(sys.modules, "sknn_scratch.onnx")
    monkeypatch.delattr("sknn_scratch.onnx")  # the submodule attribute too
    code = main(["export", str(path), "--onnx", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'sknn-scratch[onnx]'" in err
    assert err.startswith("sknn-scratch: error: ") and err.count("\n") == 1


def test_a_sparsified_logistic_regression_exports_as_the_dense_one(data):
    X, y = data["multiclass"]
    model = _fit(ScratchLogisticRegression(C=0.1), X / 16.0, y)
    options = {ScratchLogisticRegression: {"zipmap": False}}
    dense = skl2onnx.to_onnx(model, X[:1].astype(np.float64) / 16.0, options=options)
    model.sparsify()
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float64) / 16.0, options=options)
    _check(model, onx, X / 16.0, np.float64)
    assert onx.graph.initializer == dense.graph.initializer
