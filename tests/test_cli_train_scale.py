"""``sknn-scratch train`` on raw inputs: the unscaled-input warning and ``--scale``
(issue 19), and ``--classes`` errors that describe the argument."""

import warnings

import numpy as np
import pytest
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

from sknn_scratch.cli import main
from sknn_scratch.datasets import save_h5_dataset
from sknn_scratch.estimators._fitting import TrainingDiagnosticWarning
from sknn_scratch.io import load_model


@pytest.fixture
def raw_pixels(tmp_path):
    """uint8 'images' (4x4x3) whose label is whether the red channel is bright."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(600, 4, 4, 3), dtype=np.uint8)
    y = (X[..., 0].mean(axis=(1, 2)) > 127.5).astype(np.int64)
    return save_h5_dataset(tmp_path / "raw.h5", X, y, "train_set_x", "train_set_y"), X, y


def _train(path, out, *extra):
    return main(["train", "--h5", str(path), "--x-key", "train_set_x", "--y-key",
                 "train_set_y", "--out", str(out), "--quiet", "--chunk-size", "200",
                 "--hidden", "8", "--epochs", "2", *extra])


def test_raw_pixels_are_warned_about_and_scale_is_offered(raw_pixels, tmp_path):
    path, X, _ = raw_pixels
    rms = np.sqrt(np.mean(X[:200].astype(float) ** 2))  # of the first chunk
    with pytest.warns(TrainingDiagnosticWarning,
                      match=f"root mean square is {rms:.3g} ") as got:
        assert _train(path, tmp_path / "m.h5") == 0
    assert "--scale standard" in str(got[0].message)
    assert len([w for w in got if w.category is TrainingDiagnosticWarning]) == 1


@pytest.mark.parametrize("kind, reference", [("standard", StandardScaler),
                                             ("maxabs", MaxAbsScaler)])
def test_scale_fits_the_scaler_over_the_file_and_saves_it(kind, reference, raw_pixels,
                                                           tmp_path):
    path, X, y = raw_pixels
    flat = X.reshape(len(X), -1).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingDiagnosticWarning)
        assert _train(path, tmp_path / "m.h5", "--scale", kind, "--epochs", "30",
                      "--learning-rate", "0.03") == 0
    model = load_model(tmp_path / "m.h5")
    scaler = model[0]
    expected = reference().fit(flat)  # the whole file at once, in memory
    for name in ("mean_", "var_", "max_abs_"):
        if hasattr(expected, name):
            np.testing.assert_allclose(getattr(scaler, name), getattr(expected, name),
                                       rtol=1e-5)
    assert model.score(flat, y) > 0.8  # raw rows in, as the file holds them


def test_given_classes_error_describes_the_argument(raw_pixels, tmp_path, capsys):
    path, _, _ = raw_pixels
    assert _train(path, tmp_path / "m.h5", "--classes", "0") == 2
    err = capsys.readouterr().err
    assert "--classes 0 names a single class [0]" in err
    assert "holds a single class" not in err
