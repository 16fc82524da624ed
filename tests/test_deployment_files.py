"""Weights-only (deployment) files and exact NumPy-scalar hyperparameters."""

import copy
import warnings

import h5py
import numpy as np
import pytest

from sknn_scratch import DeepNNClassifier, ShallowNNClassifier, _h5reader, runtime
from sknn_scratch.io import load_model, read_model_file, save_model

X = np.random.default_rng(0).normal(size=(80, 6))
Y = np.array(["a", "b", "c"])[np.arange(80) % 3]


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return call(*args, **kwargs)


@pytest.fixture(scope="module")
def net():
    return _quiet(DeepNNClassifier((7, 5), max_iter=3, random_state=0).fit, X, Y)


def _weights_bytes(est):
    return sum(a.nbytes for a in est.coefs_ + est.intercepts_)


def test_weights_only_file_holds_no_optimizer_state_and_is_smaller(net, tmp_path):
    save_model(net, tmp_path / "full.h5")
    save_model(net, tmp_path / "weights.h5", include_optimizer_state=False)
    with h5py.File(tmp_path / "full.h5") as f:
        assert set(f["optimizer_state"]) == {"m", "v"}  # Adam: two moments
    with h5py.File(tmp_path / "weights.h5") as f:
        assert "optimizer_state" not in f
    full, light = ((tmp_path / n).stat().st_size for n in ("full.h5", "weights.h5"))
    # the two moments are exactly twice the weights' bytes (plus their headers)
    assert full - light >= 2 * _weights_bytes(net)
    assert read_model_file(tmp_path / "weights.h5")["optimizer"] is None


def test_weights_only_file_predicts_identically_in_both_loaders(net, tmp_path):
    path = tmp_path / "weights.h5"
    save_model(net, path, include_optimizer_state=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model in (load_model(path), runtime.load(path)):
            np.testing.assert_array_equal(model.predict_proba(X), net.predict_proba(X))
            np.testing.assert_array_equal(model.predict(X), net.predict(X))


@pytest.mark.parametrize("resume", ["partial_fit", "warm_start"])
def test_resuming_from_weights_only_starts_a_fresh_optimizer_and_warns(net, tmp_path,
                                                                      resume):
    save_model(net, tmp_path / "weights.h5", include_optimizer_state=False)
    loaded = load_model(tmp_path / "weights.h5")
    # the expected run: the same model, its optimizer state forgotten
    fresh = copy.deepcopy(net)
    fresh._optimizer_state = None

    def go(est):
        if resume == "partial_fit":
            return est.partial_fit(X, Y)
        return est.set_params(warm_start=True, max_iter=2).fit(X, Y)

    with pytest.warns(UserWarning, match="weights-only model file .* fresh 'adam' "
                                         "optimizer state"):
        _quiet_but_user(go, loaded)
    _quiet(go, fresh)
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, fresh.coefs_ + fresh.intercepts_):
        np.testing.assert_array_equal(a, b)


def _quiet_but_user(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", UserWarning)
        warnings.filterwarnings("ignore", category=Warning, message=".*max_iter")
        return call(*args)


def test_resuming_from_a_full_file_does_not_warn(net, tmp_path):
    save_model(net, tmp_path / "full.h5")
    loaded = load_model(tmp_path / "full.h5")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded.partial_fit(X, Y)
    assert not [w for w in caught if "weights-only" in str(w.message)]


def test_size_limit_counts_only_what_is_read(net, tmp_path, monkeypatch):
    """A net whose weights fit the limit but whose Adam moments would not (the
    (9500, 9500) float32 net of the issue, scaled down: the limit is lowered)."""
    save_model(net, tmp_path / "full.h5")
    save_model(net, tmp_path / "weights.h5", include_optimizer_state=False)
    weights = sum(a.size for a in net.coefs_ + net.intercepts_)
    monkeypatch.setattr(_h5reader, "MAX_ELEMENTS", 2 * weights)
    np.testing.assert_array_equal(runtime.load(tmp_path / "full.h5").predict_proba(X),
                                  net.predict_proba(X))
    np.testing.assert_array_equal(load_model(tmp_path / "weights.h5").predict_proba(X),
                                  net.predict_proba(X))
    with pytest.raises(ValueError, match="beyond the size limits"):
        load_model(tmp_path / "full.h5")  # training state: the moments are read


@pytest.mark.parametrize("make, params", [
    (DeepNNClassifier, dict(hidden_layer_sizes=(5,), learning_rate=np.float32(0.01),
                            beta_1=np.float32(0.85), alpha=np.float32(1e-3))),
    (ShallowNNClassifier, dict(n_hidden=np.int32(4), solver="momentum",
                               learning_rate=np.float32(0.05),
                               momentum=np.float32(0.8), batch_size=np.int64(16))),
])
def test_numpy_scalar_hyperparameters_round_trip_and_training_continues_bitwise(
        make, params, tmp_path):
    X32 = X.astype(np.float32)
    est = _quiet(make(max_iter=2, random_state=0, **params).fit, X32, Y)
    save_model(est, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    for name, value in params.items():
        got = loaded.get_params()[name]
        assert type(got) is type(value) and got == value, (name, got)
    twin = copy.deepcopy(est)
    for model in (loaded, twin):
        _quiet(model.partial_fit, X32, Y)
        _quiet(model.set_params(warm_start=True, max_iter=2).fit, X32, Y)
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, twin.coefs_ + twin.intercepts_):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_a_model_with_an_image_augmenter_cannot_be_saved_and_says_why(tmp_path):
    from sknn_scratch.augment import ImageAugmenter

    images = np.random.default_rng(0).random((40, 2 * 2 * 3))
    est = _quiet(DeepNNClassifier((3,), max_iter=2, random_state=0,
                                  augmentation=ImageAugmenter((2, 2, 3))).fit,
                 images, np.arange(40) % 2)
    with pytest.raises(ValueError, match="Parameter 'augmentation' cannot be saved .*"
                                         r"set it to None before saving"):
        save_model(est, tmp_path / "m.h5")
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_newton_fit_has_no_optimizer_state_to_drop(tmp_path):
    from sknn_scratch import ScratchLogisticRegression

    est = ScratchLogisticRegression(solver="newton").fit(X, Y)
    save_model(est, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5").set_params(solver="adam", warm_start=True,
                                                      max_iter=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded.fit(X, Y)
    assert not [w for w in caught if "weights-only" in str(w.message)]


def test_numpy_scalar_parameters_need_format_version_3_others_keep_theirs(tmp_path):
    """An older reader would misread the scalar tags: it refuses the file by its
    version; files without NumPy scalar parameters keep format version 1."""
    plain = _quiet(DeepNNClassifier((3,), max_iter=2, random_state=0).fit, X, Y)
    typed = _quiet(DeepNNClassifier((3,), max_iter=2, random_state=0,
                                    learning_rate=np.float32(0.01)).fit, X, Y)
    for est, version in ((plain, 1), (typed, 3)):
        save_model(est, tmp_path / "m.h5")
        assert read_model_file(tmp_path / "m.h5")["metadata"]["format_version"] == version
