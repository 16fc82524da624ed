"""Bounded reads from an open HDF5 file: the primitives of the model-file reader.

Every size a file declares is checked before anything is allocated for it,
against the file's real size on disk and against the documented limits below;
a check that fails raises ``ValueError`` naming the entry. NumPy, h5py and the
standard library only (the NumPy-only runtime uses it).

Limits (per file, on what is actually read):

* :data:`MAX_ELEMENTS` array elements in all (a weights-only read, as the
  runtime's, never counts the optimizer's moments);
* every array's declared bytes (elements x item size) must be stored in the
  file, contiguously, and fit in the file's size;
* :data:`MAX_ATTRIBUTE_BYTES` per HDF5 attribute;
* the JSON limits of :func:`sknn_scratch._plaindata.loads` per JSON text.
"""

import math
import os

import h5py
import numpy as np

from ._plaindata import MAX_JSON_BYTES, loads

MAX_LAYERS = 256
MAX_ELEMENTS = 2 ** 28  # all arrays read from one file together (2 GiB of float64)
MAX_ATTRIBUTE_BYTES = 2 ** 16  # one attribute: a name, a number, a short JSON text
_KINDS = {"f": "float32 or float64", "S": "fixed-length UTF-8 bytes",
          "biufS": "numbers or fixed-length UTF-8 bytes"}


class H5Reader:
    """Checked reads from an open model file; every failure names the entry.

    Parameters
    ----------
    handle : h5py.File
    path : str
        The file's path, for messages and its size on disk.
    """

    def __init__(self, handle, path):
        self.h, self.path, self.elements = handle, path, 0
        self.file_bytes = os.path.getsize(path)

    def fail(self, message):
        raise ValueError(f"Cannot load model from '{self.path}': {message}.")

    def names(self, group, prefix, limit):
        """Member names of ``group``, all hard links, at most ``limit`` of them."""
        if not isinstance(group, h5py.Group):
            self.fail(f"'{prefix.rstrip('/')}' should be a group, found a "
                      f"{type(group).__name__}")
        if len(group) > limit:
            self.fail(f"'{prefix.rstrip('/') or '/'}' holds {len(group)} entries, more "
                      f"than the limit of {limit}")
        for key in group:
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                self.fail(f"'{prefix}{key}' is a link ({type(link).__name__}); a model "
                          "file holds its own datasets and groups only")
        return set(group)

    def attr(self, obj, key, kind, where="/"):
        if key not in obj.attrs:
            self.fail(f"attribute '{key}' of '{where}' is missing")
        aid = obj.attrs.get_id(key)
        if aid.shape != ():
            self.fail(f"attribute '{key}' of '{where}' is not a scalar")
        # a fixed-length type is allocated at its declared size before the read
        if aid.get_type().get_size() > MAX_ATTRIBUTE_BYTES or (
                aid.get_storage_size() > MAX_ATTRIBUTE_BYTES):
            self.fail(f"attribute '{key}' of '{where}' is larger than the limit of "
                      f"{MAX_ATTRIBUTE_BYTES} bytes")
        value = obj.attrs[key]
        ok = {str: isinstance(value, str) and len(value) <= MAX_ATTRIBUTE_BYTES,
              int: isinstance(value, np.integer) and not isinstance(value, np.bool_),
              float: isinstance(value, np.floating)}[kind]
        if not ok:
            self.fail(f"attribute '{key}' of '{where}' should be {kind.__name__}, got "
                      f"{str(value)[:80]!r}")
        return kind(value)

    def array(self, name, ndim, kinds, *, itemsizes=None):
        """The dataset ``name``, read only after its declared size is checked."""
        node = self.h[name]
        if not isinstance(node, h5py.Dataset):
            self.fail(f"'{name}' should be a dataset, found a {type(node).__name__}")
        if node.shape is None:
            self.fail(f"'{name}' is an empty (null) dataset")
        if ndim is not None and node.ndim != ndim:
            self.fail(f"'{name}' has shape {node.shape}; expected {ndim} dimension(s)")
        dt = node.dtype
        if dt.kind not in kinds or (itemsizes and dt.itemsize not in itemsizes):
            want = "float64" if itemsizes == (8,) else _KINDS[kinds]
            self.fail(f"'{name}' has dtype {dt}; expected {want}")
        size = math.prod(node.shape)
        nbytes = size * dt.itemsize
        self.elements += size
        if self.elements > MAX_ELEMENTS or nbytes > self.file_bytes:
            self.fail(f"'{name}' declares shape {node.shape} of {dt} ({nbytes} bytes), "
                      f"beyond the size limits ({MAX_ELEMENTS} elements in all, and "
                      f"no more bytes than the file's {self.file_bytes})")
        plist = node.id.get_create_plist()
        if (node.is_virtual or plist.get_nfilters() or plist.get_external_count()
                or plist.get_layout() not in (h5py.h5d.CONTIGUOUS, h5py.h5d.COMPACT)):
            self.fail(f"'{name}' uses chunked, filtered, external or virtual storage; "
                      "model files store arrays contiguously")
        stored = node.id.get_storage_size()
        if stored != nbytes:
            self.fail(f"'{name}' declares shape {node.shape} ({nbytes} "
                      f"bytes) but the file stores {stored} bytes for it")
        return node[()]

    def json(self, name):
        node = self.h[name]
        if isinstance(node, h5py.Dataset) and node.dtype.itemsize > MAX_JSON_BYTES:
            self.fail(f"'{name}' declares {node.dtype.itemsize} bytes of JSON, more "
                      f"than the limit of {MAX_JSON_BYTES}")
        raw = self.array(name, 0, "S")
        try:
            return loads(raw.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            self.fail(f"'{name}' is not valid model JSON ({exc})")

    def layers(self, prefix, count=None):
        """Arrays ``prefix0 .. prefix{n-1}``; exactly those names, ``count`` of them."""
        found = self.names(self.h[prefix.rstrip("/")], prefix, MAX_LAYERS)
        n = len(found) if count is None else count
        expected = {str(i) for i in range(n)}
        if not found:
            self.fail(f"'{prefix.rstrip('/')}' holds no arrays")
        if found != expected:
            self.fail(f"'{prefix.rstrip('/')}' should hold {n} arrays named "
                      f"0..{n - 1}; " + diff([prefix + k for k in expected - found],
                                             [prefix + k for k in found - expected]))
        arrays = [self.array(f"{prefix}{i}", None, "f", itemsizes=(4, 8))
                  for i in range(n)]
        for i, x in enumerate(arrays):
            if not np.all(np.isfinite(x)):
                self.fail(f"'{prefix}{i}' contains NaN or infinity")
        return arrays

    def strings(self, raw, name, n):
        try:
            values = [v.decode("utf-8") for v in raw.tolist()]
        except UnicodeDecodeError:
            self.fail(f"'{name}' is not valid UTF-8")
        if len(values) != n:
            self.fail(f"'{name}' has {len(values)} entries, expected {n}")
        return values


def diff(missing, unexpected):  # only the non-empty parts
    return "; ".join(f"{word} {sorted(names)}" for word, names in (
        ("missing", missing), ("unexpected", unexpected)) if names)
