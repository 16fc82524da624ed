"""Save and load fitted estimators in HDF5: arrays and plain data, never pickle.

>>> from sknn_scratch.io import load_model, save_model
>>> save_model(clf, "model.h5")            # doctest: +SKIP
>>> clf = load_model("model.h5")           # doctest: +SKIP
>>> save_model(make_pipeline(StandardScaler(), clf), "pipe.h5")  # doctest: +SKIP

A ``Pipeline`` saves too when its last step is one of the three estimators and
every other step one of :data:`SUPPORTED_STEPS` (StandardScaler, MinMaxScaler,
MaxAbsScaler, RobustScaler, with any parameters): the estimator is stored as
always and the scalers' parameters and fitted arrays beside it
(:mod:`sknn_scratch._pipelinefile`); :func:`load_model` returns a Pipeline with
the same step names that predicts bit-identically. Other steps raise
``TypeError``; export such pipelines to ONNX (:mod:`sknn_scratch.onnx`).

The file holds the weights as datasets (``coefs_/0``, ``intercepts_/0``, ...),
``get_params()`` as JSON, the fitted attributes, the state of the training
random generator and of the optimizer (the layout is described in
:mod:`sknn_scratch._modelfile`). So a loaded model

* predicts bit-identically (``predict``, ``predict_proba``,
  ``decision_function``) and has the same ``get_params()``;
* continues training (``partial_fit``, ``fit`` with ``warm_start=True``)
  exactly as the original would, with the same shuffles and optimizer moments
  (NumPy scalar hyperparameters keep their type and value); wide full-batch
  gradient descent, which carries ``X W[1]`` in sample space
  (:mod:`sknn_scratch.training.sample_space`), continues to round-off (~1e-12).

``save_model(..., include_optimizer_state=False)`` writes a deployment file
without the optimizer state; resuming training from it starts a fresh optimizer
state, with a warning.

Not saved: callbacks registered with ``set_callbacks``, and anything that is
not plain data. A parameter holding an object (a ``RandomState`` instance as
``random_state``, a callable) makes :func:`save_model` raise ``ValueError``
naming it; set ``random_state`` to an int or None first (the fitted model's
generator state is saved either way).

Loading runs no code from the file: :func:`sknn_scratch._modelfile.read_model_file`
reads arrays and attributes with h5py and validates every shape, dtype and
count; this module then checks the parameters with the estimator's own
constraints and that they describe the stored layers. The versions of
sknn_scratch, scikit-learn and NumPy that wrote a file are recorded in it
(``read_model_file(path)["metadata"]``); the format does not depend on them.

Files outlive versions: a parameter missing from a file written by an older
version takes its current default (an older version did not have it, and
scikit-learn's and sknn_scratch's new parameters default to the old behaviour);
a fitted attribute added later takes its value in :data:`FITTED_FALLBACKS`; a
parameter this version does not know is refused, naming it and the version that
wrote the file; a file of a newer format version is refused.
"""

import dataclasses
import os
import uuid

import h5py
import numpy as np
import sklearn
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import __version__, _stopfile
from ._modelfile import (CLASS_NAMES, FORMAT_NAME, LABEL_DTYPE,
                         OPTIMIZER_SLOTS, ROOT_ATTRS, read_model_file)
from ._compat import validate_params
from ._pipelinefile import encode_pipeline, write_pipeline
from ._pipelines import (STEP_CLASSES, build_pipeline, complete_params, is_older,
                         pipeline_content)
from ._plaindata import check_size, dumps, encode_params
from ._seal import USERBLOCK_SIZE, seal
from .estimators import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from .estimators._linear_solvers import SOLVERS as FULL_BATCH
from .estimators._weights import dense_weights
from .optim import GD, Adam, Momentum, RMSprop

__all__ = ["load_model", "save_model", "read_model_file", "SUPPORTED_STEPS"]

#: Preprocessing steps a saved Pipeline may hold before its estimator.
SUPPORTED_STEPS = tuple(STEP_CLASSES)
#: Fitted attributes added after the first release, and the value a model
#: loaded from a file without them gets (what a fit without a validation set
#: leaves).
FITTED_FALLBACKS = {"validation_loss_curve_": None, "validation_scores_": None,
                    "best_validation_score_": None}

_CLASSES = {cls.__name__: cls for cls in (ScratchLogisticRegression,
                                          ShallowNNClassifier, DeepNNClassifier)}
_OPTIMIZERS = {cls.name: cls for cls in (GD, Momentum, RMSprop, Adam)}
_FITTED = ("classes_", "coefs_", "intercepts_", "n_features_in_", "n_layers_",
           "n_outputs_", "out_activation_", "n_iter_", "loss_curve_", "loss_",
           "best_loss_", "history_")  # and feature_names_in_ when present


def save_model(estimator, path, *, include_optimizer_state=True):
    """Save a fitted estimator, or a pipeline ending in one, to HDF5, without pickle.

    Parameters
    ----------
    estimator : ScratchLogisticRegression, ShallowNNClassifier, DeepNNClassifier \
            or Pipeline
        A fitted estimator of exactly one of these classes (not a subclass), or
        a fitted ``sklearn.pipeline.Pipeline`` (``make_pipeline``) of zero or
        more steps among :data:`SUPPORTED_STEPS` followed by such an estimator.
    path : str or os.PathLike
        Destination; an existing file is replaced only once the new one is
        completely written.
    include_optimizer_state : bool, default=True
        Store the optimizer's state (Adam's two moment estimates: twice the
        weights' size; momentum's velocity; RMSprop's squares) so that training
        resumes exactly. With False the file is a *deployment* file: weights,
        preprocessing and metadata only, about a third of the size with Adam.
        It loads and predicts identically; resuming training from it
        (``partial_fit``, ``fit`` with ``warm_start=True``) starts a fresh
        optimizer state and warns so.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the three sknn_scratch classifiers, or a
        pipeline step is not supported (the message names it and the list).
    sklearn.exceptions.NotFittedError
        If it (or a pipeline step) is not fitted.
    ValueError
        If a parameter is not plain data (e.g. a ``RandomState`` instance as
        ``random_state``, or a callable), or the weights are not finite.
    """
    pipeline = None
    if isinstance(estimator, Pipeline):
        estimator, pipeline = pipeline_content(estimator, _CLASSES)
    elif _CLASSES.get(type(estimator).__name__) is not type(estimator):
        raise TypeError(
            f"save_model saves the sknn_scratch estimators {list(CLASS_NAMES)} "
            f"(alone or as the last step of a Pipeline) only, got an instance of "
            f"{type(estimator).__module__}.{type(estimator).__qualname__}."
        )
    check_is_fitted(estimator)
    content = _content(estimator)
    if not include_optimizer_state:
        content["optimizer"] = content["stopping_state"] = None
    _write_model_file(path, {**content, "pipeline": pipeline})


def load_model(path):
    """Load an estimator saved by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    estimator : ScratchLogisticRegression, ShallowNNClassifier, DeepNNClassifier \
            or Pipeline
        Fitted, with the saved parameters, weights, fitted attributes, training
        generator and optimizer state; for a saved pipeline, a ``Pipeline`` with
        the same step names, fitted scalers and this estimator last.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an sknn_scratch model file, or is truncated,
        tampered with or inconsistent; the message says what is wrong.
    """
    content = read_model_file(path)
    where = f"Cannot load model from '{os.fspath(path)}'"
    cls = _CLASSES[content["class_name"]]
    attrs, meta = content["attributes"], content["metadata"]
    # The class's parameters; one missing from a file of an older version (which
    # did not have it) takes its default, one missing from a file of this version
    # means damage (it would silently change e.g. the activation).
    params = complete_params(
        content["params"], cls().get_params(deep=False), what=cls.__name__,
        where=where, written=f"sknn_scratch {meta['sknn_scratch_version']}",
        older=is_older(meta["sknn_scratch_version"], __version__))
    plain = {**FITTED_FALLBACKS, **content["plain_attributes"]}
    shadowing = sorted(name for name in plain if hasattr(cls, name))
    if shadowing:
        raise ValueError(f"{where}: fitted attribute(s) {shadowing} would hide "
                         f"members of {cls.__name__}.")
    estimator = cls(**params)
    sizes = (attrs["coefs_"][0].shape[0], *(W.shape[1] for W in attrs["coefs_"]))
    try:
        validate_params(estimator)  # the estimator's own _parameter_constraints
        wanted = tuple(estimator._architecture(sizes[0], sizes[-1]).layer_sizes)
    except ValueError as exc:  # InvalidParameterError is a ValueError
        raise ValueError(f"{where}: {exc}") from None
    if wanted != sizes:
        raise ValueError(
            f"{where}: the stored weights have layer sizes {sizes}, but the saved "
            f"parameters of {cls.__name__} describe {wanted}."
        )
    for name, value in {**attrs, **plain}.items():
        setattr(estimator, name, value)
    bit_generator = np.random.PCG64()
    bit_generator.state = content["rng_state"]
    estimator._rng = np.random.Generator(bit_generator)
    estimator._optimizer_state = _optimizer_state(content["optimizer"], where)
    estimator._stopping_state = content.get("stopping_state")
    # a weights-only file of a first-order fit (Newton keeps no optimizer state):
    # resuming training says it starts a fresh optimizer
    estimator._optimizer_state_dropped = (content["optimizer"] is None
                                          and params.get("solver") not in FULL_BATCH)
    if content["pipeline"] is not None:
        return build_pipeline(content["pipeline"], estimator, where, meta)
    return estimator


def _optimizer_state(saved, where):
    """``(update rule, state)`` as ``BaseScratchClassifier`` keeps it, or None."""
    if saved is None:
        return None
    try:
        rule = _OPTIMIZERS[saved["name"]](**saved["hyperparameters"])
    except TypeError:
        raise ValueError(
            f"{where}: the hyperparameters {sorted(saved['hyperparameters'])} do not "
            f"match the {saved['name']!r} optimizer."
        ) from None
    return rule, {"t": saved["t"], **{k: list(v) for k, v in saved["slots"].items()}}


def _content(estimator):
    """The dict :func:`read_model_file` returns, taken from a fitted estimator."""
    rng = getattr(estimator, "_rng", None)
    if not (isinstance(rng, np.random.Generator)
            and isinstance(rng.bit_generator, np.random.PCG64)):
        raise ValueError(
            f"This {type(estimator).__name__} has no PCG64 training generator "
            "(_rng): it was not fitted by sknn_scratch's fit or partial_fit."
        )
    optimizer = None
    if getattr(estimator, "_optimizer_state", None) is not None:
        rule, state = estimator._optimizer_state
        optimizer = {"name": rule.name, "t": state["t"],
                     "hyperparameters": dataclasses.asdict(rule),
                     "slots": {k: state[k] for k in OPTIMIZER_SLOTS[rule.name]}}
    attributes = {name: getattr(estimator, name) for name in _FITTED}
    # a sparsify()-ed ScratchLogisticRegression is stored (and loads) dense
    attributes["coefs_"] = dense_weights(attributes["coefs_"])
    if hasattr(estimator, "feature_names_in_"):
        attributes["feature_names_in_"] = estimator.feature_names_in_
    # Every other public fitted attribute (validation_scores_, ...) as plain data.
    plain = {name: value for name, value in vars(estimator).items()
             if name.endswith("_") and not name.startswith("_")
             and name not in attributes}
    return {"class_name": type(estimator).__name__,
            "params": estimator.get_params(deep=False), "attributes": attributes,
            "plain_attributes": plain,
            "rng_state": rng.bit_generator.state, "optimizer": optimizer,
            "stopping_state": getattr(estimator, "_stopping_state", None),
            "metadata": {"sknn_scratch_version": __version__,
                         "sklearn_version": sklearn.__version__}}


def _is_plain(value):
    try:
        dumps(value)
    except TypeError:
        return False
    return True


def _utf8(values, what):
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what} holds values that are not strings; only numbers "
                         "and strings can be saved.")
    return np.array([v.encode("utf-8") for v in values], dtype=bytes)


def _write_model_file(path, content):
    """Write ``content`` in the layout of :mod:`sknn_scratch._modelfile`.

    Everything is encoded and checked first, then written to a temporary file
    in the same folder, sealed (:mod:`sknn_scratch._seal`) and flushed to disk,
    which replaces ``path`` only when complete.
    """
    path = os.fspath(path)
    a, opt = content["attributes"], content["optimizer"]
    pipeline = content.get("pipeline")
    encoded = None if pipeline is None else encode_pipeline(pipeline)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Folder not found: '{folder}'; cannot save '{path}'.")
    arrays = {**{f"coefs_/{i}": W for i, W in enumerate(a["coefs_"])},
              **{f"intercepts_/{i}": b for i, b in enumerate(a["intercepts_"])}}
    if opt is not None:
        for slot in OPTIMIZER_SLOTS[opt["name"]]:
            arrays.update({f"optimizer_state/{slot}/{i}": x
                           for i, x in enumerate(opt["slots"][slot])})
    stopping = content.get("stopping_state")
    if stopping is not None:
        stopping_text, best = _stopfile.arrays(stopping)
        arrays.update(best)
    for name, x in arrays.items():
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} contains NaN or infinity; such a model cannot "
                             "be saved.")
    classes = np.asarray(a["classes_"])
    if classes.dtype.kind in "UO":
        stored_classes = _utf8(classes.tolist(), "classes_")
        if classes.dtype.kind == "U":  # at least as many bytes as the dtype's
            # characters: the reader allows no wider declared dtype (MAX_LABEL_CHARS)
            stored_classes = stored_classes.astype(
                f"S{max(stored_classes.dtype.itemsize, classes.dtype.itemsize // 4)}")
    elif LABEL_DTYPE.fullmatch(classes.dtype.str):
        stored_classes = classes
    else:
        raise ValueError(f"classes_ of dtype {classes.dtype} cannot be saved; only "
                         "numbers and strings can.")
    texts = {"params": encode_params(content["params"]),
             "history_": dumps(a["history_"]), "rng_state": dumps(content["rng_state"])}
    try:
        texts["plain_attributes"] = dumps(content["plain_attributes"])
    except TypeError as exc:
        bad = [k for k, v in content["plain_attributes"].items() if not _is_plain(v)]
        raise ValueError(f"Fitted attribute(s) {bad} contain {exc}, which a model file "
                         "cannot store (only plain data).") from None
    if opt is not None:
        texts["hyperparameters"] = dumps(opt["hyperparameters"], scalars=True)
    for key, text in texts.items():
        try:
            check_size(text)
        except ValueError as exc:
            raise ValueError(f"{key} cannot be saved in a model file: {exc}.") from None
    # a bare estimator is written exactly as format version 1 defines it, a
    # pipeline as version 2; NumPy scalar parameters need version 3
    scalars = any('"__scalar__"' in t for t in [*texts.values(), *_pipeline_params(encoded)])
    root = {"format": FORMAT_NAME,
            "format_version": 3 if scalars else 1 if encoded is None else 2,
            "class_name": content["class_name"], "dtype": a["coefs_"][0].dtype.name,
            "numpy_version": np.__version__, **content["metadata"],
            **{k: a[k] for k in ROOT_ATTRS if k.endswith("_")}}
    tmp = f"{path}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with h5py.File(tmp, "x", userblock_size=USERBLOCK_SIZE) as f:
            for key, kind in ROOT_ATTRS.items():
                f.attrs[key] = kind(root[key])
            for key, text in texts.items():
                if key != "hyperparameters":  # an attribute of optimizer_state
                    f.create_dataset(key, data=np.bytes_(text.encode("utf-8")))
            f.create_dataset("classes_", data=stored_classes)
            f["classes_"].attrs["dtype"] = classes.dtype.str
            if "feature_names_in_" in a:
                f.create_dataset("feature_names_in_", data=_utf8(
                    list(a["feature_names_in_"]), "feature_names_in_"))
            f.create_dataset("loss_curve_", data=np.asarray(a["loss_curve_"], float))
            if opt is not None:
                group = f.create_group("optimizer_state")
                group.attrs["name"], group.attrs["t"] = opt["name"], int(opt["t"])
                group.attrs["hyperparameters"] = texts["hyperparameters"]
                for slot in OPTIMIZER_SLOTS[opt["name"]]:
                    group.create_group(slot)
            if stopping is not None:
                f.create_group(_stopfile.GROUP).attrs["state"] = stopping_text
            f.create_group("coefs_"), f.create_group("intercepts_")
            for name, x in arrays.items():
                f.create_dataset(name, data=x)
            if encoded is not None:
                write_pipeline(f, encoded)
        seal(tmp)  # length and SHA-256 in the user block; fsyncs the file
        os.replace(tmp, path)
        _fsync_folder(folder)  # the rename itself survives a power cut
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _pipeline_params(encoded):
    """The parameter texts of an encoded pipeline (none for a bare estimator)."""
    if encoded is None:
        return []
    return [encoded["params"], *(step["params"] for step in encoded["steps"])]


def _fsync_folder(folder):
    """Flush a folder's entries (a rename into it) to disk, where the OS allows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: folders cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
