"""Course-format HDF5 datasets: loading, writing and out-of-core batches.

The deep-learning course ships its image sets as HDF5 files holding one array of
examples (``train_set_x``), one of labels (``train_set_y``) and the class names
as bytes (``list_classes``). This module reads that layout into scikit-learn's
conventions: rows are samples, and :func:`load_catvnoncat` returns
:class:`sklearn.utils.Bunch` objects like ``sklearn.datasets`` loaders do.

Every failure names the file, and the key when one is involved: a missing file,
a file that is not HDF5 (or is truncated), a missing key, or examples and labels
of different lengths.
"""

import numbers
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
from sklearn.utils import Bunch

from ._flower import make_flower

__all__ = [
    "make_flower",
    "load_catvnoncat",
    "load_h5_dataset",
    "save_h5_dataset",
    "iter_h5_batches",
]

_CATVNONCAT_FILES = {
    "train": ("train_catvnoncat.h5", "train_set_x", "train_set_y"),
    "test": ("test_catvnoncat.h5", "test_set_x", "test_set_y"),
}

_CATVNONCAT_DESCR = """\
Cat / non-cat images (deep-learning course, first assignments)
--------------------------------------------------------------
64x64 RGB photos labelled cat (1) or non-cat (0): 209 training and 50 test images.
``images`` holds the raw uint8 pixels (m, 64, 64, 3); ``data`` the same pixels
flattened to 12,288 features and divided by 255, as in the course.
"""


# ---------------------------------------------------------------- file access
@contextmanager
def _open_h5(path):
    """Open ``path`` read-only, turning h5py's errors into messages naming the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"HDF5 file not found: '{path}'.")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a directory, not an HDF5 file.")
    if not h5py.is_hdf5(path):
        raise ValueError(f"'{path}' is not an HDF5 file (no HDF5 signature found).")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(
            f"'{path}' is not an HDF5 file that can be read: it is probably "
            f"truncated or corrupt (h5py: {exc})."
        ) from exc
    with handle:
        yield handle


def _dataset(handle, key, path):
    """Return the HDF5 dataset ``key`` of an open file, or raise naming it."""
    if key not in handle:
        available = sorted(handle.keys())
        raise ValueError(
            f"Key '{key}' not found in '{path}'; available keys: {available}."
        )
    node = handle[key]
    if not isinstance(node, h5py.Dataset):
        raise ValueError(f"'{key}' in '{path}' is a group, not a dataset.")
    return node


def _label_layout(y_node, key, path):
    """Number of labels in ``y_node`` and the axis they run along.

    Labels are stored as ``(m,)`` in the course files; ``(m, 1)`` and the
    course's in-memory ``(1, m)`` are accepted too and returned as ``(m,)``.
    """
    shape = y_node.shape
    if len(shape) == 1:
        return shape[0], 0
    if len(shape) == 2 and shape[1] == 1:
        return shape[0], 0
    if len(shape) == 2 and shape[0] == 1:
        return shape[1], 1
    raise ValueError(
        f"Labels '{key}' in '{path}' must have shape (m,), (m, 1) or (1, m); "
        f"got {shape}."
    )


def _check_pair(handle, path, x_key, y_key):
    """Validate an (examples, labels) pair; return the nodes, length and label axis."""
    x_node = _dataset(handle, x_key, path)
    y_node = _dataset(handle, y_key, path)
    if x_node.ndim == 0:
        raise ValueError(f"Examples '{x_key}' in '{path}' are a scalar, not an array.")
    n_labels, y_axis = _label_layout(y_node, y_key, path)
    if x_node.shape[0] != n_labels:
        raise ValueError(
            f"'{x_key}' and '{y_key}' in '{path}' have different lengths: "
            f"{x_node.shape[0]} examples but {n_labels} labels."
        )
    return x_node, y_node, n_labels, y_axis


def _read_rows(node, start, stop, axis=0):
    """Read items ``start:stop`` of ``node`` along ``axis`` (1 for ``(1, m)`` labels)."""
    return np.asarray(node[start:stop] if axis == 0 else node[0, start:stop])


def _check_keys(x_key, y_key):
    for name, key in (("x_key", x_key), ("y_key", y_key)):
        if not isinstance(key, str) or not key:
            raise TypeError(f"{name} must be a non-empty string, got {key!r}.")
    if x_key == y_key:
        raise ValueError(f"x_key and y_key must differ, both are '{x_key}'.")


# ---------------------------------------------------------------- public API
def load_h5_dataset(path, x_key, y_key):
    """Load examples and labels from a course-format HDF5 file.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    x_key, y_key : str
        Names of the examples and labels datasets (e.g. ``"train_set_x"``,
        ``"train_set_y"``).

    Returns
    -------
    X : ndarray of shape (m, ...)
        The examples, in the dtype stored in the file.
    y : ndarray of shape (m,)
        The labels, flattened from ``(m, 1)`` or ``(1, m)`` when stored so.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is not a readable HDF5 file (wrong format, truncated), a
        key is missing, or examples and labels have different lengths.

    See Also
    --------
    save_h5_dataset : Write a file in the same layout.
    iter_h5_batches : Read the same layout batch by batch.
    """
    _check_keys(x_key, y_key)
    with _open_h5(path) as handle:
        x_node, y_node, n, y_axis = _check_pair(handle, path, x_key, y_key)
        try:
            X = np.asarray(x_node[()])
            y = _read_rows(y_node, 0, n, y_axis).reshape(n)
        except OSError as exc:
            raise ValueError(
                f"Could not read '{x_key}'/'{y_key}' from '{path}': the file is "
                f"probably truncated or corrupt (h5py: {exc})."
            ) from exc
    return X, y


def save_h5_dataset(path, X, y, x_key, y_key, classes=None):
    """Write examples and labels in the course's HDF5 layout.

    The file is created, or overwritten if it exists.

    Parameters
    ----------
    path : str or path-like
        Destination file; its folder must exist.
    X : array-like of shape (m, ...)
        Examples, stored with their dtype (e.g. uint8 images).
    y : array-like of shape (m,)
        Labels.
    x_key, y_key : str
        Dataset names for examples and labels.
    classes : sequence of str or bytes, default=None
        Class names, stored as a bytes array under ``list_classes`` as in
        the course files. Nothing is written when None.

    Returns
    -------
    path : pathlib.Path
        The written file.
    """
    _check_keys(x_key, y_key)
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"Folder '{path.parent}' does not exist; cannot write '{path}'."
        )
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim != 1:
        raise ValueError(
            f"X must be an array of examples and y a 1-D array of labels; got "
            f"shapes {X.shape} and {y.shape}."
        )
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have different lengths: {X.shape[0]} examples but "
            f"{y.shape[0]} labels."
        )
    if y.dtype.kind in "UO":
        raise TypeError(
            f"Labels of dtype {y.dtype} cannot be stored in HDF5; encode them as "
            "integers (e.g. with sklearn.preprocessing.LabelEncoder) and pass the "
            "names as classes."
        )
    if "list_classes" in (x_key, y_key) and classes is not None:
        raise ValueError("'list_classes' is reserved for the class names.")
    with h5py.File(path, "w") as handle:
        handle.create_dataset(x_key, data=X)
        handle.create_dataset(y_key, data=y)
        if classes is not None:
            names = [c if isinstance(c, bytes) else str(c).encode("utf-8") for c in classes]
            handle.create_dataset("list_classes", data=np.array(names, dtype=bytes))
    return path


def iter_h5_batches(path, x_key, y_key, batch_size):
    """Read a course-format HDF5 file in consecutive batches, without loading it whole.

    The file, keys and lengths are checked when this function is called; the
    batches are then read slice by slice from disk as the generator advances.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file.
    x_key, y_key : str
        Names of the examples and labels datasets.
    batch_size : int
        Rows per batch; the last batch holds the remainder.

    Yields
    ------
    X_batch : ndarray of shape (batch_size, ...)
    y_batch : ndarray of shape (batch_size,)

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`load_h5_dataset`, raised at call time.

    Examples
    --------
    >>> for X_batch, y_batch in iter_h5_batches("train.h5", "x", "y", 64):  # doctest: +SKIP
    ...     clf.partial_fit(X_batch.reshape(len(X_batch), -1) / 255, y_batch, classes=[0, 1])
    """
    _check_keys(x_key, y_key)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    with _open_h5(path) as handle:  # fail now, not at the first next()
        _check_pair(handle, path, x_key, y_key)
    return _batches(Path(path), x_key, y_key, int(batch_size))


def _batches(path, x_key, y_key, batch_size):
    with _open_h5(path) as handle:
        x_node, y_node, n, y_axis = _check_pair(handle, path, x_key, y_key)
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            X_batch = np.asarray(x_node[start:stop])
            y_batch = _read_rows(y_node, start, stop, y_axis).reshape(stop - start)
            yield X_batch, y_batch


def _catvnoncat_folder(directory):
    """The folder holding the two cat/non-cat files: ``directory`` or its ``catvnoncat/``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"Data folder not found: '{directory}'.")
    names = [spec[0] for spec in _CATVNONCAT_FILES.values()]
    for folder in (directory, directory / "catvnoncat"):
        if any((folder / name).exists() for name in names):
            for name in names:
                if not (folder / name).exists():
                    raise FileNotFoundError(f"'{name}' not found in '{folder}'.")
            return folder
    raise FileNotFoundError(
        f"{names[0]} and {names[1]} not found in '{directory}' "
        f"nor in '{directory / 'catvnoncat'}'."
    )


def _class_names(path):
    with _open_h5(path) as handle:
        raw = _dataset(handle, "list_classes", path)[()]
    return [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in np.ravel(raw)]


def load_catvnoncat(directory):
    """Load the course's cat / non-cat image set.

    Parameters
    ----------
    directory : str or path-like
        Folder holding ``train_catvnoncat.h5`` and ``test_catvnoncat.h5``, or
        a folder with a ``catvnoncat/`` subfolder holding them.

    Returns
    -------
    data : :class:`sklearn.utils.Bunch`
        With keys

        train, test : Bunch
            ``images`` uint8 of shape (m, 64, 64, 3); ``data`` float64 of
            shape (m, 12288), the images flattened and divided by 255;
            ``target`` int64 of shape (m,), 1 for cat.
        target_names : list of str
            ``['non-cat', 'cat']``, decoded from the files' ``list_classes``.
        DESCR : str
            A short description.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the two files is missing.
    ValueError
        If a file is not HDF5, lacks a key, has examples and labels of
        different lengths, or the two files disagree on the class names.

    Examples
    --------
    >>> cats = load_catvnoncat("../shared/datasets")  # doctest: +SKIP
    >>> cats.train.data.shape, cats.target_names  # doctest: +SKIP
    ((209, 12288), ['non-cat', 'cat'])
    """
    folder = _catvnoncat_folder(directory)
    parts, names = {}, {}
    for part, (filename, x_key, y_key) in _CATVNONCAT_FILES.items():
        path = folder / filename
        images, target = load_h5_dataset(path, x_key, y_key)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(
                f"'{x_key}' in '{path}' must hold uint8 RGB images of shape "
                f"(m, height, width, 3); got {images.dtype} of shape {images.shape}."
            )
        m = images.shape[0]
        parts[part] = Bunch(
            images=images,
            data=images.reshape(m, -1).astype(np.float64) / 255.0,
            target=target.astype(np.int64, copy=False),
        )
        names[part] = _class_names(path)
    if names["train"] != names["test"]:
        raise ValueError(
            f"The train and test files disagree on the class names: "
            f"{names['train']} vs {names['test']}."
        )
    return Bunch(
        train=parts["train"],
        test=parts["test"],
        target_names=names["train"],
        DESCR=_CATVNONCAT_DESCR,
    )
