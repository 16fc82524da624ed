"""The model file format, and reading it with full validation, on NumPy and h5py only.

This module imports nothing but NumPy, h5py and the standard library (and
:mod:`sknn_scratch._plaindata`, the same), never scikit-learn or the estimators,
so a NumPy-only runtime can reuse :func:`read_model_file`. The writer lives in
:mod:`sknn_scratch.io`, which turns estimators into the *content* dict returned
here, and back.

A file begins with a 512-byte user block holding its seal: its length and
SHA-256, checked with plain reads before HDF5 opens it (:mod:`sknn_scratch._seal`).
Files written before seals existed have no user block; they are still read, with
an :class:`UnsealedFileWarning`.

Layout, every array stored contiguously, uncompressed. Format version 1 is a
bare estimator, and this version still writes bare estimators so; version 2 adds
an optional ``/pipeline`` group (the preprocessing steps of a ``Pipeline`` that
ends in the estimator, :mod:`sknn_scratch._pipelinefile`), so an older reader
refuses a pipeline file by its version instead of misreading it; version 3 is
any file whose parameters hold NumPy scalars, written as ``__scalar__`` tags
(:mod:`sknn_scratch._plaindata`), which an older reader would misread::

    /                     attrs: format, format_version, class_name, dtype,
                          sknn_scratch_version, sklearn_version, numpy_version,
                          n_features_in_, n_layers_, n_outputs_, n_iter_,
                          out_activation_, loss_, best_loss_
    /params               JSON (UTF-8 bytes) of ``get_params(deep=False)``
    /history_             JSON of the per-epoch records
    /plain_attributes     JSON object: the other public fitted attributes (plain
                          data, e.g. ``validation_scores_``)
    /rng_state            JSON of the training generator's ``bit_generator.state``
    /classes_             numbers, or UTF-8 bytes; attr ``dtype`` = original dtype
    /feature_names_in_    UTF-8 bytes (only if the model was fitted on named columns)
    /loss_curve_          float64
    /coefs_/0 .. /coefs_/{L-1}            float32 or float64, shape (n_in, n_out)
    /intercepts_/0 .. /intercepts_/{L-1}  shape (n_out,)
    /optimizer_state      optional; attrs name, t, hyperparameters (JSON);
                          one group per slot (``m``, ``v``, ...) of 2L arrays
                          shaped as coefs_ then intercepts_
    /stopping_state       optional; a checkpoint's stopping-rule state
                          (:mod:`sknn_scratch._stopfile`)

JSON holds plain data only (:mod:`sknn_scratch._plaindata`). Reading never
unpickles or evaluates anything and raises ``ValueError`` saying what is wrong.
It never allocates from a declared size: every array must be stored in full and
within the limits of :mod:`sknn_scratch._h5reader`, every JSON text within those
of :func:`sknn_scratch._plaindata.loads`, and a string label type may be no
wider than its stored labels or :data:`MAX_LABEL_CHARS` characters. Labels must
be stored exactly in their declared dtype (an int16 300 declared ``|i1`` is
refused, not read as 44). A weights-only file (``save_model(...,
include_optimizer_state=False)``) has no ``/optimizer_state``.
"""

import math
import os
import re
import warnings

import h5py
import numpy as np

from ._h5reader import H5Reader, diff
from ._pipelinefile import read_pipeline
from ._stopfile import GROUP as STOPPING_GROUP, read as read_stopping
from ._plaindata import loads
from ._seal import verify


class UnsealedFileWarning(UserWarning):
    """A model file written before seals existed: read, but not verified."""

FORMAT_NAME = "sknn_scratch.model"
FORMAT_VERSION = 3  # the newest this version reads; see the layout above
CLASS_NAMES = ("ScratchLogisticRegression", "ShallowNNClassifier", "DeepNNClassifier")
#: Per update rule, the lists of arrays its state holds.
OPTIMIZER_SLOTS = {"gd": (), "momentum": ("velocity",), "rmsprop": ("sq",),
                   "adam": ("m", "v")}
#: A string label type may declare this many characters, or as many as the
#: stored UTF-8 bytes of the longest label (the writer pads them to it).
MAX_LABEL_CHARS = 64

ROOT_ATTRS = {"format": str, "format_version": int, "class_name": str, "dtype": str,
               "sknn_scratch_version": str, "sklearn_version": str,
               "numpy_version": str, "n_features_in_": int, "n_layers_": int,
               "n_outputs_": int, "n_iter_": int, "out_activation_": str,
               "loss_": float, "best_loss_": float}
_REQUIRED = {"params", "history_", "rng_state", "classes_", "loss_curve_", "coefs_",
             "intercepts_", "plain_attributes"}
_OPTIONAL = {"feature_names_in_", "optimizer_state", "pipeline", STOPPING_GROUP}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]{0,98}_")
_CORE = {"classes_", "coefs_", "intercepts_", "loss_curve_", "history_",
         "feature_names_in_", *(k for k in ROOT_ATTRS if k.endswith("_"))}
LABEL_DTYPE = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248]|[US]\d{1,6}|O)")


def read_model_file(path, *, training_state=True):
    """Read and validate a model file, running no code from it.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`sknn_scratch.io.save_model`.
    training_state : bool, default=True
        Also read what only training needs: the optimizer state, the loss
        curve and history, the other fitted attributes and the generator
        state. With False (the runtime) these are neither read nor counted
        towards the size limits; ``plain_attributes`` is then ``{}``,
        ``rng_state`` and ``optimizer`` None, and ``attributes`` has no
        ``loss_curve_`` or ``history_``.

    Returns
    -------
    content : dict
        ``class_name`` (one of :data:`CLASS_NAMES`), ``params`` (dict),
        ``attributes`` (fitted attribute name -> value: ``coefs_``,
        ``intercepts_``, ``classes_``, ``n_features_in_``, ...),
        ``plain_attributes`` (further fitted attributes, plain data),
        ``rng_state`` (dict), ``optimizer`` (None, for a weights-only file, or
        dict: ``name``, ``t``, ``hyperparameters``, ``slots``),
        ``stopping_state`` (None, or a checkpoint's: :mod:`sknn_scratch._stopfile`), ``metadata`` (format and library
        versions, ``dtype``) and ``pipeline`` (None for a bare estimator, else
        :func:`sknn_scratch._pipelinefile.read_pipeline`'s dict).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not HDF5, truncated, foreign or inconsistent.

    Notes
    -----
    :func:`sknn_scratch.io.load_model` adds the checks that need the classes:
    parameter names and values, and that they describe the stored layers. A
    NumPy-only consumer must check ``params["activation"]`` against its table.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"Model file not found: '{path}'.")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a directory, not a model file.")
    # Seal first, with plain reads: HDF5 parses nothing that is not intact.
    if not verify(path):
        warnings.warn(f"'{path}' has no seal (it was written before model files "
                      "were sealed): its checksum cannot be verified, so damage to the file may "
                      "go undetected. Save it again to seal it.", UnsealedFileWarning,
                      stacklevel=3)
    if not h5py.is_hdf5(path):
        raise ValueError(f"Cannot load model from '{path}': it is not an HDF5 file "
                         "(no HDF5 signature found).")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"Cannot load model from '{path}': the HDF5 file is truncated "
                         f"or corrupt (h5py: {exc}).") from None
    with handle:
        try:
            return _Reader(handle, path, training_state).read()
        except (OSError, RuntimeError, KeyError, TypeError) as exc:
            raise ValueError(f"Cannot load model from '{path}': the file is truncated "
                             f"or corrupt; reading it failed (h5py: {exc}).") from None


class _Reader(H5Reader):
    """One pass over an open file; every check fails with a message naming the entry."""

    def __init__(self, handle, path, training_state):
        super().__init__(handle, path)
        self.training_state = training_state

    def classes(self, n_outputs, multilabel=False):
        raw = self.array("classes_", 1, "biufS")
        spec = self.attr(self.h["classes_"], "dtype", str, "classes_")
        if not LABEL_DTYPE.fullmatch(spec):
            self.fail(f"'classes_' declares an unsupported dtype {spec!r}")
        dtype = np.dtype(spec)
        if (raw.dtype.kind == "S") != (dtype.kind in "USO"):
            self.fail(f"'classes_' stored as {raw.dtype} cannot hold labels of dtype "
                      f"{spec!r}")
        if raw.shape[0] < 2:
            self.fail(f"'classes_' holds {raw.shape[0]} label(s); at least 2 needed")
        if dtype.kind in "US" and dtype.itemsize // (4 if dtype.kind == "U" else 1) > max(
                raw.dtype.itemsize, MAX_LABEL_CHARS):
            # checked before allocating: predict allocates this width per row too
            self.fail(f"'classes_' declares the dtype {spec!r}, wider than its stored "
                      f"labels ({raw.dtype.itemsize} bytes) and than the limit of "
                      f"{MAX_LABEL_CHARS} characters")
        if dtype.kind in "UO":
            labels = self.strings(raw, "classes_", raw.shape[0])
            if dtype.kind == "U" and max(map(len, labels)) > dtype.itemsize // 4:
                self.fail(f"'classes_' holds labels longer than its dtype {spec!r}")
            classes = np.array(labels, dtype=dtype)
        else:
            with np.errstate(all="ignore"):
                classes = raw.astype(dtype)
            # the declared dtype must hold every stored value exactly (an int16
            # 300 declared '|i1' would read as 44; 0.5 declared '<i8' as 0)
            if not np.array_equal(classes, raw) or (dtype.kind == "b" and not set(
                    np.unique(raw).tolist()) <= {0, 1}):
                self.fail(f"'classes_' stored as {raw.dtype} holds values its declared "
                          f"dtype {spec!r} cannot represent exactly")
        if not all(classes[:-1] < classes[1:]):
            self.fail("'classes_' must hold distinct labels in sorted order, got "
                      f"{classes.tolist()[:10]}")
        k = classes.shape[0]
        if multilabel and not np.array_equal(classes, np.arange(n_outputs)):
            self.fail(f"'classes_' of a multilabel model must be its label indices "
                      f"0..{n_outputs - 1}, got {classes.tolist()[:10]}")
        if not multilabel and n_outputs != (1 if k == 2 else k):
            self.fail(f"'classes_' has {k} classes, which need "
                      f"{1 if k == 2 else k} output unit(s), but the last layer of "
                      f"coefs_ has {n_outputs}")
        return classes

    def optimizer(self, params):
        g = self.h["optimizer_state"]
        found = self.names(g, "optimizer_state/", 8)
        name = self.attr(g, "name", str, "optimizer_state")
        if name not in OPTIMIZER_SLOTS:
            self.fail(f"unknown optimizer {name!r} in 'optimizer_state'")
        t = self.attr(g, "t", int, "optimizer_state")
        text = self.attr(g, "hyperparameters", str, "optimizer_state")
        try:
            hyper = loads(text)
        except ValueError:
            hyper = None
        if not isinstance(hyper, dict) or not all(
                isinstance(v, (bool, int, float, np.number, np.bool_))
                and math.isfinite(v) for v in hyper.values()):
            self.fail("'optimizer_state' hyperparameters are not a dict of numbers")
        slots = OPTIMIZER_SLOTS[name]
        if found != set(slots) or t < 0:
            self.fail(f"'optimizer_state' of {name!r} needs t >= 0 and exactly the "
                      f"groups {list(slots)}; found t={t}, {sorted(found)}")
        state = {}
        for slot in slots:
            state[slot] = self.layers(f"optimizer_state/{slot}/", len(params))
            for i, (x, p) in enumerate(zip(state[slot], params)):
                if x.shape != p.shape:
                    self.fail(f"'optimizer_state/{slot}/{i}' has shape {x.shape}, "
                              f"but its parameter has shape {p.shape}")
        return {"name": name, "t": t, "hyperparameters": hyper, "slots": state}

    def rng_state(self):
        s = self.json("rng_state")
        ok = (isinstance(s, dict)
              and set(s) == {"bit_generator", "state", "has_uint32", "uinteger"}
              and s["bit_generator"] == "PCG64" and isinstance(s["state"], dict)
              and set(s["state"]) == {"state", "inc"}
              and all(_uint(v, 128) for v in s["state"].values())
              and _uint(s["has_uint32"], 1) and _uint(s["uinteger"], 32))
        if not ok:
            self.fail("'rng_state' is not the state of a PCG64 generator")
        return s

    def curves(self, meta):
        """``loss_curve_`` and ``history_``, checked against each other and the root."""
        n_iter = meta["n_iter_"]
        curve = self.array("loss_curve_", 1, "f", itemsizes=(8,))
        history = self.json("history_")
        # n_iter_ counts the epochs of the last fit call, the curves all of them
        if not (isinstance(history, list) and 0 <= n_iter <= len(history)
                and curve.shape == (len(history),) and np.all(np.isfinite(curve))
                and all(isinstance(r, dict) and r.get("loss") == c
                        for r, c in zip(history, curve.tolist()))):
            self.fail(f"'loss_curve_' and 'history_' must both hold n_iter_={n_iter} "
                      "epochs or more (every epoch of the model) with the same finite "
                      "losses")
        last, best = (curve[-1], curve.min()) if curve.size else (np.nan, np.nan)
        if not (_same(meta["loss_"], last) and _same(meta["best_loss_"], best)):
            self.fail("loss_ and best_loss_ must be the last and the smallest value "
                      "of loss_curve_")
        return {"loss_curve_": curve.tolist(), "history_": history}

    def read(self):
        h = self.h
        if "format" not in h.attrs:
            self.fail("it has no 'format' attribute, so it is not an sknn_scratch "
                      "model file (a data file?)")
        fmt = self.attr(h, "format", str)
        if fmt != FORMAT_NAME:
            self.fail(f"its format is {fmt!r}, not {FORMAT_NAME!r}")
        version = self.attr(h, "format_version", int)
        if not 1 <= version <= FORMAT_VERSION:
            self.fail(f"it has format version {version}; this sknn_scratch reads "
                      f"format versions up to {FORMAT_VERSION} (upgrade sknn_scratch "
                      "to read files written by a newer one)")
        class_name = self.attr(h, "class_name", str)
        if class_name not in CLASS_NAMES:
            self.fail(f"unknown estimator class {class_name!r}; model files hold one "
                      f"of {list(CLASS_NAMES)}")
        extra = sorted(set(h.attrs) - set(ROOT_ATTRS))
        if extra:
            self.fail(f"unexpected attribute(s) {extra} on '/'")
        meta = {key: self.attr(h, key, kind) for key, kind in ROOT_ATTRS.items()}
        members = self.names(h, "", 16)
        if not _REQUIRED <= members <= _REQUIRED | _OPTIONAL:
            self.fail(diff(_REQUIRED - members, members - _REQUIRED - _OPTIONAL))
        if "pipeline" in members and version < 2:
            self.fail(f"it holds a 'pipeline' group, which format version {version} "
                      "does not have (pipelines need format version 2)")

        params = self.json("params")
        if not (isinstance(params, dict) and len(params) <= 256
                and all(_NAME.fullmatch(k) for k in params)):
            self.fail("'params' is not a JSON object of parameter names and values")

        coefs = self.layers("coefs_/")
        intercepts = self.layers("intercepts_/", len(coefs))
        n_in = meta["n_features_in_"]
        for i, (W, b) in enumerate(zip(coefs, intercepts)):
            if W.ndim != 2 or b.ndim != 1 or W.size == 0:
                self.fail(f"'coefs_/{i}' must be a non-empty 2-d array and "
                          f"'intercepts_/{i}' 1-d; got shapes {W.shape} and {b.shape}")
            if W.shape[0] != n_in:
                source = (f"n_features_in_ is {n_in}" if i == 0
                          else f"'coefs_/{i - 1}' has {n_in} columns")
                self.fail(f"'coefs_/{i}' has {W.shape[0]} rows, but {source}")
            if b.shape != (W.shape[1],):
                self.fail(f"'intercepts_/{i}' has shape {b.shape}, but 'coefs_/{i}' "
                          f"has {W.shape[1]} columns")
            n_in = W.shape[1]
        dtypes = sorted({x.dtype.name for x in coefs + intercepts})
        if dtypes != [meta["dtype"]]:
            self.fail(f"the weights have dtype(s) {dtypes}, but 'dtype' says "
                      f"{meta['dtype']!r}; all must share one")
        n_layers = len(coefs)
        if meta["n_layers_"] != n_layers + 1:
            self.fail(f"n_layers_ is {meta['n_layers_']}, but the file holds "
                      f"{n_layers} weight matrices (n_layers_ should be {n_layers + 1})")
        n_out = coefs[-1].shape[1]
        # 'logistic' over several outputs: a multilabel net, a sigmoid per label
        multilabel = (n_out > 1 and meta["out_activation_"] == "logistic"
                      and class_name != "ScratchLogisticRegression")
        out = "logistic" if n_out == 1 or multilabel else "softmax"
        if meta["n_outputs_"] != n_out or meta["out_activation_"] != out:
            self.fail(f"n_outputs_={meta['n_outputs_']} and out_activation_="
                      f"{meta['out_activation_']!r} do not match the last layer's "
                      f"{n_out} output(s) ({out!r})")
        classes = self.classes(n_out, multilabel)

        attributes = {key: meta[key] for key in ROOT_ATTRS if key.endswith("_")}
        attributes.update(classes_=classes, coefs_=coefs, intercepts_=intercepts)
        if "feature_names_in_" in members:
            attributes["feature_names_in_"] = np.array(
                self.strings(self.array("feature_names_in_", 1, "S"),
                             "feature_names_in_", meta["n_features_in_"]), dtype=object)
        plain, rng_state, optimizer, stopping = {}, None, None, None
        if self.training_state:  # prediction needs none of it: not even read
            attributes.update(self.curves(meta))
            plain = self.json("plain_attributes")
            if not isinstance(plain, dict) or not all(
                    _FITTED_NAME.fullmatch(k) and k not in _CORE for k in plain):
                self.fail("'plain_attributes' must be a JSON object whose keys name "
                          "further fitted attributes (lowercase, ending in '_')")
            optimizer = (self.optimizer(coefs + intercepts)
                         if "optimizer_state" in members else None)
            rng_state = self.rng_state()
            if STOPPING_GROUP in members:
                stopping = read_stopping(self, coefs, intercepts)
        metadata = {key: meta[key] for key in ROOT_ATTRS
                    if not key.endswith("_") and key not in ("format", "class_name")}
        pipeline = (read_pipeline(self, meta["n_features_in_"])
                    if "pipeline" in members else None)
        return {"class_name": class_name, "params": params, "attributes": attributes,
                "plain_attributes": plain, "rng_state": rng_state,
                "optimizer": optimizer, "stopping_state": stopping,
                "metadata": metadata, "pipeline": pipeline}


def _uint(value, bits):
    return type(value) is int and 0 <= value < 2 ** bits


def _same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))
