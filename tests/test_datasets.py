"""Tests for sknn_scratch.datasets: course-format HDF5 loading and writing."""

import h5py
import numpy as np
import pytest
from sklearn.utils import Bunch

from sknn_scratch.datasets import (
    iter_h5_batches,
    load_catvnoncat,
    load_h5_dataset,
    save_h5_dataset,
)


@pytest.fixture
def small_file(tmp_path):
    """Ten 2x2x3 uint8 'images' whose pixels encode their row index, labels 0/1."""
    X = np.arange(10 * 2 * 2 * 3, dtype=np.uint8).reshape(10, 2, 2, 3)
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype=np.int64)
    path = save_h5_dataset(tmp_path / "small.h5", X, y, "set_x", "set_y", classes=["no", "yes"])
    return path, X, y


# ------------------------------------------------------------ writer / loader
def test_round_trip_preserves_values_shapes_and_dtypes(small_file):
    path, X, y = small_file
    X_read, y_read = load_h5_dataset(path, "set_x", "set_y")
    assert X_read.dtype == np.uint8 and X_read.shape == (10, 2, 2, 3)
    assert y_read.dtype == np.int64 and y_read.shape == (10,)
    np.testing.assert_array_equal(X_read, X)
    np.testing.assert_array_equal(y_read, y)


def test_writer_stores_class_names_as_bytes(small_file):
    path, _, _ = small_file
    with h5py.File(path, "r") as handle:
        classes = handle["list_classes"][()]
    assert classes.dtype.kind == "S"
    assert list(classes) == [b"no", b"yes"]


def test_writer_without_classes_writes_no_list_classes(tmp_path):
    path = save_h5_dataset(tmp_path / "f.h5", np.zeros((3, 2)), [0, 1, 0], "x", "y")
    with h5py.File(path, "r") as handle:
        assert sorted(handle) == ["x", "y"]


def test_writer_rejects_length_mismatch(tmp_path):
    with pytest.raises(ValueError, match="3 examples but 2 labels"):
        save_h5_dataset(tmp_path / "f.h5", np.zeros((3, 2)), [0, 1], "x", "y")


def test_writer_rejects_string_labels_with_a_hint(tmp_path):
    with pytest.raises(TypeError, match="LabelEncoder"):
        save_h5_dataset(tmp_path / "f.h5", np.zeros((2, 2)), ["cat", "dog"], "x", "y")


def test_writer_rejects_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_h5_dataset(tmp_path / "nope" / "f.h5", np.zeros((2, 2)), [0, 1], "x", "y")


def test_loader_flattens_column_and_row_label_vectors(tmp_path):
    X = np.arange(8.0).reshape(4, 2)
    for name, y in (("col", np.array([[0], [1], [2], [3]])), ("row", np.array([[0, 1, 2, 3]]))):
        path = tmp_path / f"{name}.h5"
        with h5py.File(path, "w") as handle:
            handle["x"], handle["y"] = X, y
        X_read, y_read = load_h5_dataset(path, "x", "y")
        np.testing.assert_array_equal(y_read, [0, 1, 2, 3])
        np.testing.assert_array_equal(X_read, X)


# ------------------------------------------------------------ error cases
def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "absent.h5"
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        load_h5_dataset(missing, "x", "y")


def test_missing_key_is_named_with_available_keys(small_file):
    path, _, _ = small_file
    with pytest.raises(ValueError, match=r"Key 'train_set_x' not found.*'set_x'"):
        load_h5_dataset(path, "train_set_x", "set_y")


def test_text_file_is_not_hdf5(tmp_path):
    path = tmp_path / "notes.h5"
    path.write_text("this is not an HDF5 file\n")
    with pytest.raises(ValueError, match="notes.h5' is not an HDF5 file"):
        load_h5_dataset(path, "x", "y")


def test_truncated_file_is_reported(small_file):
    path, _, _ = small_file
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_h5_dataset(path, "set_x", "set_y")


def test_length_mismatch_in_file_is_reported(tmp_path):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as handle:
        handle["x"], handle["y"] = np.zeros((5, 3)), np.zeros(4)
    with pytest.raises(ValueError, match="5 examples but 4 labels"):
        load_h5_dataset(path, "x", "y")


def test_directory_instead_of_file_is_reported(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_h5_dataset(tmp_path, "x", "y")


def test_same_key_for_examples_and_labels_is_rejected(small_file):
    path, _, _ = small_file
    with pytest.raises(ValueError, match="must differ"):
        load_h5_dataset(path, "set_x", "set_x")


# ------------------------------------------------------------ batches
def test_batches_cover_all_rows_in_order_with_partial_last(small_file):
    path, X, y = small_file
    batches = list(iter_h5_batches(path, "set_x", "set_y", batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)


def test_batches_read_slices_not_the_whole_dataset(small_file, monkeypatch):
    path, _, _ = small_file
    requested = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        requested.append((self.name, key))
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    list(iter_h5_batches(path, "set_x", "set_y", batch_size=3))
    x_reads = [key for name, key in requested if name == "/set_x"]
    assert x_reads == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]


def test_batch_size_larger_than_file_gives_one_batch(small_file):
    path, X, _ = small_file
    (only,) = list(iter_h5_batches(path, "set_x", "set_y", batch_size=100))
    np.testing.assert_array_equal(only[0], X)


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, True])
def test_bad_batch_size_is_rejected(small_file, batch_size):
    path, _, _ = small_file
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        iter_h5_batches(path, "set_x", "set_y", batch_size)


def test_batches_fail_at_call_time_not_first_iteration(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.h5"):
        iter_h5_batches(tmp_path / "absent.h5", "x", "y", 4)


# ------------------------------------------------------------ cat / non-cat
def _fake_catvnoncat(folder, n_train=4, n_test=2):
    folder.mkdir(parents=True, exist_ok=True)
    img = np.full((n_train, 64, 64, 3), 255, dtype=np.uint8)
    save_h5_dataset(folder / "train_catvnoncat.h5", img, np.arange(n_train) % 2,
                    "train_set_x", "train_set_y", classes=["non-cat", "cat"])
    save_h5_dataset(folder / "test_catvnoncat.h5", img[:n_test], np.ones(n_test, int),
                    "test_set_x", "test_set_y", classes=["non-cat", "cat"])


def test_catvnoncat_accepts_parent_folder_with_subfolder(tmp_path):
    _fake_catvnoncat(tmp_path / "catvnoncat")
    data = load_catvnoncat(tmp_path)
    assert data.train.data.shape == (4, 12288)
    np.testing.assert_array_equal(data.train.data, 1.0)  # 255 / 255


def test_catvnoncat_names_the_missing_file(tmp_path):
    _fake_catvnoncat(tmp_path)
    (tmp_path / "test_catvnoncat.h5").unlink()
    with pytest.raises(FileNotFoundError, match="test_catvnoncat.h5"):
        load_catvnoncat(tmp_path)


def test_catvnoncat_empty_folder_names_both_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_catvnoncat.h5 and test_catvnoncat.h5"):
        load_catvnoncat(tmp_path)


def test_catvnoncat_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="Data folder not found"):
        load_catvnoncat(tmp_path / "nowhere")


def test_catvnoncat_real_data_shapes_dtypes_and_counts(catvnoncat_dir):
    data = load_catvnoncat(catvnoncat_dir)
    assert isinstance(data, Bunch)
    assert data.target_names == ["non-cat", "cat"]
    for part, m in (("train", 209), ("test", 50)):
        bunch = data[part]
        assert bunch.images.shape == (m, 64, 64, 3) and bunch.images.dtype == np.uint8
        assert bunch.data.shape == (m, 12288) and bunch.data.dtype == np.float64
        assert bunch.target.shape == (m,) and bunch.target.dtype == np.int64
        assert 0.0 <= bunch.data.min() and bunch.data.max() <= 1.0
        assert set(np.unique(bunch.target)) <= {0, 1}
    assert int(data.train.target.sum()) == 72


def test_catvnoncat_data_is_flattened_images_over_255(catvnoncat_dir):
    data = load_catvnoncat(catvnoncat_dir)
    first = data.train.images[0]
    # Row-major flattening: feature index = (row * 64 + col) * 3 + channel.
    assert data.train.data[0, (5 * 64 + 7) * 3 + 2] == first[5, 7, 2] / 255.0


def test_catvnoncat_accepts_the_parent_of_the_real_folder(catvnoncat_dir):
    if catvnoncat_dir.name != "catvnoncat":
        pytest.skip("the data folder is not named catvnoncat/")
    data = load_catvnoncat(catvnoncat_dir.parent)
    assert data.test.data.shape == (50, 12288)
