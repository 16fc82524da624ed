"""``sknn-scratch train``: out-of-core training on an HDF5 file (partial_fit by chunks)."""

import numpy as np
import pytest

from sknn_scratch.cli import main
from sknn_scratch.datasets import save_h5_dataset
from sknn_scratch.io import load_model


def _blobs(n=1200, n_features=8, n_classes=3, seed=0):
    """Separable float32 classes: labels are the argmax of a fixed linear map."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features)).astype(np.float32)
    y = (X @ rng.standard_normal((n_features, n_classes))).argmax(axis=1)
    return X, y


@pytest.fixture
def h5_file(tmp_path):
    X, y = _blobs()
    return save_h5_dataset(tmp_path / "data.h5", X, y, "features", "labels"), X, y


def _exit_code(argv):
    """What the command exits with, whether main returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _train(path, out, *extra):
    return main(["train", "--h5", str(path), "--x-key", "features", "--y-key", "labels",
                 "--out", str(out), "--quiet", *extra])


def test_saved_model_loads_and_predicts_the_training_data(h5_file, tmp_path):
    path, X, y = h5_file
    out = tmp_path / "model.h5"
    assert _train(path, out, "--hidden", "16", "--epochs", "10", "--chunk-size", "300",
                  "--batch-size", "32", "--learning-rate", "0.01") == 0
    model = load_model(out)
    assert model.hidden_layer_sizes == (16,)
    assert model.coefs_[0].dtype == np.float32  # float32 rows are never upcast
    assert model.score(X, y) > 0.9


def test_classes_come_from_a_pass_over_every_chunk(tmp_path):
    X, y = _blobs(n=600)
    y = np.where(np.arange(600) < 590, y % 2, 7)  # class 7 only in the last chunk
    path = save_h5_dataset(tmp_path / "late.h5", X, y, "features", "labels")
    out = tmp_path / "model.h5"
    assert _train(path, out, "--chunk-size", "100") == 0
    assert load_model(out).classes_.tolist() == [0, 1, 7]


def test_one_epoch_is_one_partial_fit_per_chunk(h5_file, tmp_path):
    path, _, _ = h5_file
    out = tmp_path / "model.h5"
    assert _train(path, out, "--epochs", "2", "--chunk-size", "500") == 0
    model = load_model(out)  # 1,200 rows = chunks of 500, 500, 200
    assert len(model.history_) == 2 * 3 and model.t_ == 2 * 1200


def test_given_classes_are_used_as_is(h5_file, tmp_path):
    path, _, _ = h5_file
    out = tmp_path / "model.h5"
    assert _train(path, out, "--classes", "0,1,2,3") == 0
    assert load_model(out).classes_.tolist() == [0, 1, 2, 3]


def test_uint8_images_are_flattened_to_float32(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(200, 4, 4, 3), dtype=np.uint8)
    labels = (images.reshape(200, -1).mean(axis=1) > 127.5).astype(int)
    path = save_h5_dataset(tmp_path / "img.h5", images, labels, "features", "labels")
    out = tmp_path / "model.h5"
    assert _train(path, out, "--epochs", "2") == 0
    model = load_model(out)
    assert model.n_features_in_ == 48
    assert model.coefs_[0].dtype == np.float32


def test_progress_goes_to_stderr(h5_file, tmp_path, capsys):
    path, _, _ = h5_file
    out = tmp_path / "model.h5"
    assert main(["train", "--h5", str(path), "--x-key", "features", "--y-key", "labels",
                 "--out", str(out), "--epochs", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "epoch 2/2: loss" in captured.err and f"wrote {out}" in captured.err


@pytest.mark.parametrize("change, message", [
    ({"--x-key": "nope"}, "Key 'nope' not found"),
    ({"--y-key": "nope"}, "Key 'nope' not found"),
    ({"--h5": "missing.h5"}, "HDF5 file not found"),
    ({"--hidden": "16,x"}, "argument --hidden"),
    ({"--epochs": "0"}, "argument --epochs"),
    ({"--classes": "a,b"}, "--classes a,b"),
    ({"--classes": "0,1"}, "classes not in"),  # the file also holds label 2
    ({"--out": "no-such-folder/model.h5"}, "does not exist"),
])
def test_mistakes_exit_2_with_one_line(change, message, h5_file, tmp_path, capsys,
                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, _, _ = h5_file
    args = {"--h5": str(path), "--x-key": "features", "--y-key": "labels",
            "--out": str(tmp_path / "model.h5"), **change}
    assert _exit_code(["train", *(s for kv in args.items() for s in kv)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sknn-scratch: error:") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "model.h5").exists()


def test_a_single_class_file_exits_2(tmp_path, capsys):
    X, _ = _blobs(n=50)
    path = save_h5_dataset(tmp_path / "one.h5", X, np.zeros(50, int), "features",
                           "labels")
    assert _train(path, tmp_path / "model.h5") == 2
    assert "single class" in capsys.readouterr().err


def _h5_with_labels(path, labels, n_features=4):
    import h5py

    X, _ = _blobs(n=len(labels), n_features=n_features)
    with h5py.File(path, "w") as f:
        f["features"] = X
        f.create_dataset("labels", data=labels)
    return path


@pytest.mark.parametrize("shape", [(120, 1), (120,)])
def test_variable_length_string_labels_of_shape_m_1_are_read(tmp_path, shape):
    import h5py

    labels = np.array(["cat", "dog", "ému"] * 40, dtype=object).reshape(shape)
    path = tmp_path / "vlen.h5"
    X, _ = _blobs(n=120, n_features=4)
    with h5py.File(path, "w") as f:
        f["features"] = X
        f.create_dataset("labels", data=labels, dtype=h5py.string_dtype())
    assert _train(path, tmp_path / "model.h5") == 0
    model = load_model(tmp_path / "model.h5")
    assert model.classes_.tolist() == ["cat", "dog", "ému"]


@pytest.mark.parametrize("labels, classes, message", [
    (np.arange(120, dtype=np.uint8) % 2, "0,300", "'300' is not a label"),
    (np.arange(120, dtype=np.int64) % 2, "0,1.5", "'1.5' is not a label"),
    (np.arange(120) % 2 == 0, "False,maybe", "'maybe' is not a label"),
])
def test_classes_not_fitting_the_label_type_exit_2_with_one_line(labels, classes, message,
                                                                tmp_path, capsys):
    path = _h5_with_labels(tmp_path / "d.h5", labels)
    assert _train(path, tmp_path / "model.h5", "--classes", classes) == 2
    err = capsys.readouterr().err
    assert err.startswith("sknn-scratch: error:") and err.count("\n") == 1, err
    assert message in err


@pytest.mark.parametrize("classes", ["False,True", "0,1", "true,false"])
def test_bool_classes_are_parsed_as_bools(classes, tmp_path):
    path = _h5_with_labels(tmp_path / "d.h5", np.arange(120) % 2 == 0)
    assert _train(path, tmp_path / "model.h5", "--classes", classes) == 0
    assert load_model(tmp_path / "model.h5").classes_.tolist() == [False, True]


def _aliases(tmp_path, target):
    """The same file by another relative path and by a symbolic link."""
    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    return [str(target), f"sub/../{target.name}", str(link)]


def test_train_refuses_to_overwrite_its_input(h5_file, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, _, _ = h5_file
    before = path.read_bytes()
    for out in _aliases(tmp_path, path):
        assert _train(path, out) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "would replace the input" in err
    assert path.read_bytes() == before


def test_export_refuses_to_overwrite_its_input_and_writes_weights_only(tmp_path, capsys,
                                                                       monkeypatch):
    import h5py

    from sknn_scratch import DeepNNClassifier
    from sknn_scratch.io import save_model

    monkeypatch.chdir(tmp_path)
    X, y = _blobs(n=200)
    net = DeepNNClassifier((5,), max_iter=30, random_state=0).fit(X, y)
    model = tmp_path / "same.h5"
    save_model(net, model)
    before = model.read_bytes()
    for out in _aliases(tmp_path, model):
        for flag in ("--onnx", "--weights-only"):
            assert _exit_code(["export", str(model), flag, out, "--quiet"]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "would replace the input" in err
    assert model.read_bytes() == before
    assert main(["export", str(model), "--weights-only", "light.h5", "--quiet"]) == 0
    with h5py.File("light.h5") as f:
        assert "optimizer_state" not in f
    np.testing.assert_array_equal(load_model("light.h5").predict_proba(X),
                                  net.predict_proba(X))
