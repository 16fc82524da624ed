"""A prediction runtime on NumPy and h5py only: no scikit-learn needed.

>>> from sknn_scratch import runtime
>>> model = runtime.load("model.h5")        # doctest: +SKIP
>>> model.predict(X), model.predict_proba(X)  # doctest: +SKIP

A file saved from a ``Pipeline`` (scalers, then the estimator) is served whole:
the stored scalers are applied first, with the very arithmetic of
scikit-learn's ``transform`` (:mod:`sknn_scratch._scalers`), so the results are
bit-identical to the pipeline's for dense input.

:func:`load` reads a model file written by :func:`sknn_scratch.io.save_model`
with the same validating reader as :func:`~sknn_scratch.io.load_model`
(:func:`sknn_scratch._modelfile.read_model_file`), so a malformed file fails with
the same ``ValueError``. It then checks what prediction depends on and the
reader leaves to the estimator classes: the activation is one of
:data:`sknn_scratch.core.activations.ACTIVATIONS` and the saved layer sizes
(``hidden_layer_sizes`` / ``n_hidden``) describe the stored weights. Other
parameters (solver, learning rate, ...) only matter for training and are
not checked here.

The returned :class:`RuntimeModel` predicts through :mod:`sknn_scratch.core.predict`,
the very code the estimators use, so ``predict``, ``predict_proba``,
``predict_log_proba`` and ``decision_function`` are bit-identical to the saved
estimator's for the same input. Importing this module, loading and predicting
never import scikit-learn (or SciPy): the runtime needs NumPy, h5py and the
package's files listed in :data:`FILES` only.
"""

import os
import warnings
from numbers import Integral

import numpy as np

from ._modelfile import read_model_file
from ._pipelinefile import is_older, transform_params
from ._scalers import FLOAT_DTYPES, SCALERS, transform
from .core import predict
from .core.activations import ACTIVATIONS

__all__ = ["load", "RuntimeModel", "FILES"]

#: The files of the package the runtime imports, relative to the ``sknn_scratch``
#: folder: copied with this layout next to NumPy and h5py, they serve a model on
#: a device that has neither scikit-learn nor SciPy (README, "Deployment").
FILES = ("__init__.py", "_arrays.py", "_h5reader.py", "_modelfile.py",
         "_pipelinefile.py", "_plaindata.py", "_scalers.py", "_seal.py", "_stopfile.py",
         "runtime.py",
         "core/__init__.py", "core/activations.py", "core/flat.py",
         "core/initializers.py", "core/losses.py", "core/network.py", "core/predict.py",
         "core/sparse.py")

_FLOAT_DTYPES = (np.float64, np.float32)


def load(path):
    """Load a model file for prediction only.

    Parameters
    ----------
    path : str or os.PathLike
        File written by :func:`sknn_scratch.io.save_model`.

    Returns
    -------
    model : RuntimeModel

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a valid model file (same messages as
        :func:`sknn_scratch.io.load_model`), its activation is unknown or its
        layer-size parameters do not describe its weights.
    """
    # weights, classes and preprocessing only: never the optimizer's moments
    content = read_model_file(path, training_state=False)
    where = f"Cannot load model from '{os.fspath(path)}'"
    class_name, params = content["class_name"], content["params"]
    attrs = content["attributes"]
    coefs, intercepts = attrs["coefs_"], attrs["intercepts_"]
    activation = _activation(class_name, params, where)
    sizes = (coefs[0].shape[0], *(W.shape[1] for W in coefs))
    wanted = (sizes[0], *_hidden_sizes(class_name, params, where), sizes[-1])
    if wanted != sizes:
        raise ValueError(
            f"{where}: the stored weights have layer sizes {sizes}, but the saved "
            f"parameters of {class_name} describe {wanted}."
        )
    pipeline, names, steps = content["pipeline"], attrs.get("feature_names_in_"), ()
    if pipeline is not None:
        _check_step_params(pipeline, content["metadata"], where)
        steps = tuple((s["name"], s["class_name"],
                       transform_params(s["class_name"], s["params"]), s["arrays"])
                      for s in pipeline["steps"])
        if steps:  # the pipeline's input is its first step's
            names = pipeline["steps"][0]["feature_names_in_"]
    multilabel = attrs["out_activation_"] == "logistic" and attrs["n_outputs_"] > 1
    return RuntimeModel(class_name, coefs, intercepts, attrs["classes_"], activation,
                        names, preprocessing=steps, multilabel=multilabel,
                        step_names=None if pipeline is None else pipeline["step_names"])


def _check_step_params(pipeline, metadata, where):
    """A step lacking a parameter its transform reads is refused, as load_model
    refuses it, unless an older sknn_scratch wrote the file (which did not have
    the parameter; its default is then used)."""
    from . import __version__
    if is_older(metadata.get("sknn_scratch_version"), __version__):
        return
    for step in pipeline["steps"]:
        missing = sorted(set(SCALERS[step["class_name"]].params) - set(step["params"]))
        if missing:
            raise ValueError(
                f"{where}: missing parameter(s) {missing} of pipeline step "
                f"{step['name']!r} ({step['class_name']}); the file was written by "
                f"sknn_scratch {metadata.get('sknn_scratch_version')}, which saves "
                "them all, so the file is damaged.")


def _activation(class_name, params, where):
    if class_name == "ScratchLogisticRegression":
        return "identity"  # no hidden layer: the activation is never applied
    value = params.get("activation")
    if not (isinstance(value, str) and value in ACTIVATIONS):
        raise ValueError(
            f"{where}: The 'activation' parameter of {class_name} must be a str among "
            f"{sorted(ACTIVATIONS)}. Got {value!r} instead."
        )
    return value


def _positive_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 1


def _hidden_sizes(class_name, params, where):
    """Hidden layer sizes the parameters describe (as the classes' ``_architecture``)."""
    if class_name == "ScratchLogisticRegression":
        return ()
    name = "n_hidden" if class_name == "ShallowNNClassifier" else "hidden_layer_sizes"
    value = params.get(name)
    if class_name == "DeepNNClassifier" and isinstance(value, (list, tuple, np.ndarray)):
        sizes = list(value)
        if sizes and all(_positive_int(s) for s in sizes):
            return tuple(int(s) for s in sizes)
    elif _positive_int(value):
        return (int(value),)
    raise ValueError(
        f"{where}: the {name!r} parameter of {class_name} must be "
        + ("a positive int or a non-empty sequence of them"
           if class_name == "DeepNNClassifier" else "a positive int")
        + f"; got {value!r}."
    )


def _feature_names(X):
    """Column names of a DataFrame when all are strings, as scikit-learn takes them."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    names = np.asarray(columns, dtype=object)
    types = sorted({type(n).__qualname__ for n in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {types} as feature name / column name types. If you "
            "want feature names to be stored and validated, you must convert them all "
            "to strings, by using X.columns = X.columns.astype(str) for example. "
            "Otherwise you can remove feature / column names from your input data, or "
            "convert them all to a non-string data type.")
    return names if types == ["str"] else None


def _refuse_complex(X):
    if getattr(X, "dtype", None) is not None and X.dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{X}\n")


def _as_float(X):
    """``X`` as an array of float32 or float64 (other types become float64)."""
    X = np.asarray(X)
    _refuse_complex(X)
    if X.dtype in _FLOAT_DTYPES:
        return X
    try:
        return X.astype(np.float64)
    except TypeError as exc:  # e.g. complex or missing values among objects
        raise ValueError(f"X cannot be converted to float64: {exc}.") from None


def _nan_message(class_name):
    return (  # scikit-learn's words (utils.validation._assert_all_finite)
        f"Input X contains NaN.\n{class_name} does not accept missing values encoded "
        "as NaN natively. For supervised learning, you might want to consider "
        "sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept "
        "missing values encoded as NaNs natively. Alternatively, it is possible to "
        "preprocess the data, for instance by using an imputer transformer in a "
        "pipeline or drop samples with missing values. See "
        "https://scikit-learn.org/stable/modules/impute.html You can find a list of "
        "all estimators that handle NaN values at the following page: "
        "https://scikit-learn.org/stable/modules/impute.html"
        "#estimators-that-handle-nan-values")


def _check_finite(data, class_name):
    """scikit-learn's ``assert_all_finite`` messages, naming NaN or infinity."""
    if not np.isfinite(data).all():
        if np.isnan(data).any():
            raise ValueError(_nan_message(class_name))
        raise ValueError("Input X contains infinity or a value too large for "
                         f"{data.dtype!r}.")


class RuntimeModel(predict.PredictFromLogitsMixin):
    """A fitted net for prediction: weights, classes and the activation, nothing
    else, and the preprocessing steps of a saved pipeline.

    Attributes
    ----------
    class_name : str
        The estimator class the file was saved from (the pipeline's last step).
    preprocessing : tuple of (name, class_name, params, arrays)
        The scalers applied before the net, in order; empty for a bare estimator.
    step_names : list of str or None
        Every step name of a saved pipeline (the net's last), else None.
    classes_ : ndarray of shape (n_classes,)
        For a multilabel model, the label indices ``0..n_labels-1``; its
        ``predict`` returns an indicator matrix of shape (n_samples, n_labels).
    coefs_, intercepts_ : list of ndarray
    activation : str
    n_features_in_ : int
    feature_names_in_ : ndarray of str or None
    """

    def __init__(self, class_name, coefs, intercepts, classes, activation,
                 feature_names_in=None, *, preprocessing=(), step_names=None,
                 multilabel=False):
        self.class_name = class_name
        self.preprocessing, self.step_names = tuple(preprocessing), step_names
        self.coefs_, self.intercepts_ = list(coefs), list(intercepts)
        self.classes_ = classes
        self.activation = activation
        self.feature_names_in_ = feature_names_in
        self._is_multilabel = multilabel  # predict: an indicator matrix
        self._arch = predict.architecture(self.coefs_, activation, multilabel)
        self.n_features_in_ = self._arch.layer_sizes[0]

    def __repr__(self):
        sizes = " -> ".join(map(str, self._arch.layer_sizes))
        steps = "".join(f"{c} -> " for _, c, _, _ in self.preprocessing)
        return (f"RuntimeModel({steps}{self.class_name}: {sizes}, activation="
                f"{self.activation!r}, classes={self.classes_.tolist()[:10]})")

    def _check(self, X):
        """``X`` as the estimators' ``validate_data`` would hand it to the net."""
        self._check_feature_names(X)
        if hasattr(X, "isna") and np.asarray(X.isna()).any():  # pandas NA, None, NaN
            raise ValueError(_nan_message(self.class_name))
        if self.preprocessing:
            X = self._preprocess(X)
        if hasattr(X, "tocsr"):  # a SciPy sparse matrix, used as the estimators do
            X = X.tocsr()
            _refuse_complex(X)
            if X.dtype not in _FLOAT_DTYPES:
                X = X.astype(np.float64)
            data = X.data
        else:
            X = _as_float(X)
            data = X
        self._check_shape(X)
        if X.shape[0] == 0:
            raise ValueError("X has 0 samples; at least 1 is required.")
        _check_finite(data, self.class_name)
        return X

    def _check_feature_names(self, X):
        """scikit-learn's feature-name checks, with its wording (``_check_feature_names``)."""
        names, fitted = _feature_names(X), self.feature_names_in_
        owner = self.preprocessing[0][1] if self.preprocessing else self.class_name
        if names is None and fitted is None:
            return
        if fitted is None:
            warnings.warn(f"X has feature names, but {owner} was fitted without feature "
                          "names", UserWarning, stacklevel=4)
        elif names is None:
            warnings.warn(f"X does not have valid feature names, but {owner} was fitted "
                          "with feature names", UserWarning, stacklevel=4)
        elif list(names) != list(fitted):
            unseen = sorted(set(names) - set(fitted))
            missing = sorted(set(fitted) - set(names))
            message = "The feature names should match those that were passed during fit.\n"
            for title, group in (("Feature names unseen at fit time:", unseen),
                                 ("Feature names seen at fit time, yet now missing:",
                                  missing)):
                if group:
                    message += title + "\n" + "".join(f"- {n}\n" for n in group[:5])
                    message += "- ...\n" if len(group) > 5 else ""
            if not unseen and not missing:
                message += "Feature names must be in the same order as they were in fit.\n"
            raise ValueError(message)

    def _check_shape(self, X):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2D array of shape (n_samples, n_features), "
                             f"got an array of shape {X.shape}.")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but this model expects "
                             f"{self.n_features_in_} features as input.")

    def _preprocess(self, X):
        """A float copy of ``X`` through the stored scalers, as the pipeline's
        ``transform`` calls compute it (same dtypes, same operations)."""
        if hasattr(X, "tocsr"):
            raise ValueError("This model's pipeline scales its input, which the "
                             "runtime does for dense arrays only; pass X.toarray().")
        X = np.asarray(X)
        _refuse_complex(X)
        self._check_shape(X)
        # a copy in the scalers' dtype (they keep float16/32/64, make others float64)
        X = X.copy(order="K") if X.dtype in FLOAT_DTYPES else _as_float(X)
        _check_finite(X, self.class_name)
        for _, class_name, params, arrays in self.preprocessing:
            X = transform(class_name, params, arrays, X)
        return X

    def _logits(self, X):
        return predict.logits(self._arch, self.coefs_, self.intercepts_, self._check(X))
