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
never import scikit-learn (or SciPy).
"""

import os
from numbers import Integral

import numpy as np

from ._modelfile import read_model_file
from ._pipelinefile import transform_params
from ._scalers import FLOAT_DTYPES, transform
from .core import predict
from .core.activations import ACTIVATIONS

__all__ = ["load", "RuntimeModel"]

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
    content = read_model_file(path)
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
        steps = tuple((s["name"], s["class_name"],
                       transform_params(s["class_name"], s["params"]), s["arrays"])
                      for s in pipeline["steps"])
        if steps:  # the pipeline's input is its first step's
            names = pipeline["steps"][0]["feature_names_in_"]
    multilabel = attrs["out_activation_"] == "logistic" and attrs["n_outputs_"] > 1
    return RuntimeModel(class_name, coefs, intercepts, attrs["classes_"], activation,
                        names, preprocessing=steps, multilabel=multilabel,
                        step_names=None if pipeline is None else pipeline["step_names"])


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
        names = getattr(X, "columns", None)
        if names is not None and self.feature_names_in_ is not None:
            if [str(c) for c in names] != list(self.feature_names_in_):
                raise ValueError("The feature names should match those that were "
                                 "passed during fit.")
        if self.preprocessing:
            X = self._preprocess(X)
        if hasattr(X, "tocsr"):  # a SciPy sparse matrix, used as the estimators do
            X = X.tocsr()
            data = X.data
            if X.dtype not in _FLOAT_DTYPES:
                X = X.astype(np.float64)
                data = X.data
        else:
            X = np.asarray(X)
            if X.dtype not in _FLOAT_DTYPES:
                X = X.astype(np.float64)
            data = X
        self._check_shape(X)
        if X.shape[0] == 0:
            raise ValueError("X has 0 samples; at least 1 is required.")
        if not np.isfinite(data).all():
            raise ValueError("Input X contains NaN or infinity.")
        return X

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
        self._check_shape(X)
        # a copy in the scalers' dtype (they keep float16/32/64, make others float64)
        X = X.copy(order="K") if X.dtype in FLOAT_DTYPES else X.astype(np.float64)
        if not np.isfinite(X).all():
            raise ValueError("Input X contains NaN or infinity.")
        for _, class_name, params, arrays in self.preprocessing:
            X = transform(class_name, params, arrays, X)
        return X

    def _logits(self, X):
        return predict.logits(self._arch, self.coefs_, self.intercepts_, self._check(X))
