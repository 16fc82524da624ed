"""ONNX export through skl2onnx, the way scikit-learn models are exported.

Importing this module registers converters for ``ScratchLogisticRegression``,
``ShallowNNClassifier`` and ``DeepNNClassifier`` with skl2onnx, so a whole
pipeline converts as one graph, as with ``MLPClassifier``::

    import skl2onnx
    import sknn_scratch.onnx  # registers the converters

    pipe = make_pipeline(StandardScaler(), DeepNNClassifier()).fit(X, y)
    onx = skl2onnx.to_onnx(pipe, X[:1].astype(np.float32))

Needs the optional extra: ``pip install 'sknn-scratch[onnx]'`` (skl2onnx, and
onnxruntime to run the graphs).

The graph of a net is, per layer, ``MatMul`` + ``Add`` and the hidden
activation (``Relu``, ``Tanh``, ``Sigmoid``, ``LeakyRelu`` with alpha 0.01 —
``Max(Z, 0.01 Z)`` in double, which onnxruntime lacks a LeakyRelu for — or
nothing for identity) up to the output logits ``Z``; then

* probabilities: two classes ``Concat(Sigmoid(-Z), Sigmoid(Z))`` (as the
  estimator's ``exp(log_proba)``: the small probability of ``classes_[0]`` keeps
  its relative precision instead of being ``1 - p``); more classes
  ``Softmax(Z)``;
* labels: from the logits exactly as ``predict`` does (``Z > 0`` for two
  classes, the first ``ArgMax`` else) gathered from ``classes_``. As in every
  skl2onnx classifier, the label output is int64 for numeric labels (float
  labels must hold integral values) and string otherwise.

The graph computes in double when the input is double (``DoubleTensorType``,
or float64 ``X`` given to ``to_onnx``) and in float otherwise; the weights are
cast to that type. Options (``options={id(estimator) or type: {...}}``):
``zipmap`` (True, False or 'columns'), ``nocl`` and ``output_class_labels``,
as skl2onnx's classifiers. Unlike those, ``zipmap`` works with double input
too (ONNX's ZipMap takes float only: the probabilities are cast to float for
it; use ``zipmap=False`` to keep them double). Any ``target_opset`` from 9
up (:data:`MIN_OPSET`) works.
"""

import os

import numpy as np

try:
    import skl2onnx
    from skl2onnx.common.data_types import (DoubleTensorType, FloatTensorType,
                                            guess_proto_type)
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes)
    from skl2onnx.common.utils_classifier import get_label_classes
    # the parser skl2onnx registers for classifiers, and its two steps
    from skl2onnx._parse import (_apply_zipmap, _parse_sklearn_classifier,
                                 _parse_sklearn_simple_model)
    from skl2onnx.proto import onnx_proto
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"sknn_scratch.onnx needs skl2onnx ({exc}). Install the optional extra: "
        "pip install 'sknn-scratch[onnx]'"
    ) from None

from .core.activations import LEAKY_SLOPE
from .estimators import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from .estimators._weights import dense_weights

__all__ = ["register", "to_onnx", "export_model_file", "ESTIMATORS"]

ESTIMATORS = (ScratchLogisticRegression, ShallowNNClassifier, DeepNNClassifier)
OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True],
           "output_class_labels": [False, True]}
#: Lowest ``target_opset`` whose graphs onnxruntime runs (Max on doubles needs 8+,
#: tested from 9).
MIN_OPSET = 9
#: ONNX operator of each hidden activation (identity adds no node).
ONNX_ACTIVATIONS = {"relu": ("Relu", {}), "tanh": ("Tanh", {}),
                    "sigmoid": ("Sigmoid", {}),
                    "leaky_relu": ("LeakyRelu", {"alpha": LEAKY_SLOPE}),
                    "identity": (None, {})}


def _label_classes(scope, estimator):
    """Labels as the graph stores them: (ONNX type, ndarray) — int64 or UTF-8 bytes."""
    classes = np.asarray(get_label_classes(scope, estimator))
    if classes.dtype.kind in "biu":
        return onnx_proto.TensorProto.INT64, classes.astype(np.int64)
    if classes.dtype.kind == "f":
        as_int = classes.astype(np.int64)
        if not np.array_equal(as_int, classes):
            raise RuntimeError(
                f"{type(estimator).__name__} has float class labels "
                f"{classes.tolist()[:10]} that are not integers; ONNX classifiers "
                "(skl2onnx) return int64 or string labels. Fit on integer or string "
                "labels to export."
            )
        return onnx_proto.TensorProto.INT64, as_int
    return onnx_proto.TensorProto.STRING, np.array(
        [str(c).encode("utf-8") for c in classes])


def convert_sknn_classifier(scope, operator, container):
    """skl2onnx converter: the net's logits, then probabilities and labels."""
    est = operator.raw_operator
    if est._is_multilabel:
        raise RuntimeError(
            f"{type(est).__name__} was fitted on a multilabel y (an indicator matrix "
            f"of {est.n_outputs_} labels), which the ONNX export does not cover: its "
            "graph gives one class label per sample. Serve the model file with "
            "sknn_scratch.runtime, whose predict returns the indicator matrix.")
    if container.target_opset < MIN_OPSET:
        raise RuntimeError(
            f"the {type(est).__name__} converter needs target_opset >= {MIN_OPSET} "
            f"(the opsets onnxruntime runs it with), got {container.target_opset}.")
    proto = guess_proto_type(operator.inputs[0].type)
    if proto != onnx_proto.TensorProto.DOUBLE:
        proto = onnx_proto.TensorProto.FLOAT
    dtype = np.float64 if proto == onnx_proto.TensorProto.DOUBLE else np.float32

    def name(hint):
        return scope.get_unique_variable_name(hint)

    def node(op_type, inputs, hint, **attrs):
        output = name(hint)
        container.add_node(op_type, inputs, output,
                           name=scope.get_unique_operator_name(op_type), **attrs)
        return output

    def constant(hint, value, onnx_type=proto):
        value = np.asarray(value)
        key = name(hint)
        container.add_initializer(key, onnx_type, list(value.shape), value.ravel())
        return key

    A = node("Cast", [operator.inputs[0].full_name], "cast_input", to=proto)
    op_type, attrs = ONNX_ACTIVATIONS[getattr(est, "activation", "identity")]
    last = len(est.coefs_) - 1
    # dense_weights: a sparsify()-ed ScratchLogisticRegression exports as the dense one
    for i, (W, b) in enumerate(zip(dense_weights(est.coefs_), est.intercepts_)):
        # Z = A @ W + b, rows are samples (sklearn's layout)
        Z = node("MatMul", [A, constant("coefficient", W.astype(dtype))], "mul_result")
        Z = node("Add", [Z, constant("intercepts", b.astype(dtype)[None, :])],
                 "add_result")
        if i < last and op_type == "LeakyRelu" and dtype == np.float64:
            # onnxruntime has no double LeakyRelu: max(z, 0.01 z) is the same number
            slope = node("Mul", [Z, constant("slope", np.array(LEAKY_SLOPE, dtype))],
                         "leaky_slope")
            Z = node("Max", [Z, slope], "next_activations")
        elif i < last and op_type is not None:
            Z = node(op_type, [Z], "next_activations", **attrs)
        A = Z

    label_out, proba_out = operator.outputs[0].full_name, operator.outputs[1].full_name
    class_type, classes = _label_classes(scope, est)
    if est.coefs_[-1].shape[1] == 1:  # one sigmoid unit, classes_[1] positive
        p0 = node("Sigmoid", [node("Neg", [Z], "neg_logit")], "negative_class_proba")
        p1 = node("Sigmoid", [Z], "positive_class_proba")
        container.add_node("Concat", [p0, p1], proba_out, axis=1,
                           name=scope.get_unique_operator_name("Concat"))
        # label index 1 where Z > 0, as predict (a tie at 0 goes to classes_[0])
        int64 = onnx_proto.TensorProto.INT64
        zero = constant("zero", np.zeros((), dtype))
        positive = node("Greater", [Z, zero], "positive")
        positive = node("Cast", [positive], "positive_int", to=int64)
        flat = constant("flat", np.array([-1], np.int64), int64)
        index = node("Reshape", [positive, flat], "label_index")
    else:
        container.add_node("Softmax", [Z], proba_out, axis=1,
                           name=scope.get_unique_operator_name("Softmax"))
        index = node("ArgMax", [Z], "label_index", axis=1, keepdims=0)
    container.add_node("Gather", [constant("classes", classes, class_type), index],
                       label_out, axis=0, name=scope.get_unique_operator_name("Gather"))


def parse_sknn_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's classifier parser, plus ZipMap for double graphs.

    ONNX's ZipMap takes float probabilities only, so skl2onnx's own classifiers
    (MLPClassifier included) give an invalid graph for float64 input unless
    ``zipmap=False``. Here the double probabilities are cast to float before
    the ZipMap (the dicts hold float32 values, as they always do); with
    ``zipmap=False`` they stay double.
    """
    options = scope.get_options(model, dict(zipmap=True))
    if not options["zipmap"] or not isinstance(inputs[0].type, DoubleTensorType):
        return _parse_sklearn_classifier(scope, model, inputs, custom_parsers)
    if options.get("output_class_labels", False):
        raise RuntimeError(
            "Option 'output_class_labels' is not compatible with option 'zipmap'.")
    label, proba = _parse_sklearn_simple_model(scope, model, inputs, custom_parsers)
    cast = scope.declare_local_operator("SklearnCast")
    cast.inputs.append(proba)
    proba_float = scope.declare_local_variable("probabilities_float", FloatTensorType())
    cast.outputs.append(proba_float)
    return _apply_zipmap(options["zipmap"], scope, model, FloatTensorType(),
                         [label, proba_float])


def register():
    """Register the three estimators with skl2onnx (done on import; idempotent)."""
    for cls in ESTIMATORS:
        skl2onnx.update_registered_converter(
            cls, f"SknnScratch{cls.__name__}", calculate_linear_classifier_output_shapes,
            convert_sknn_classifier, options=OPTIONS, parser=parse_sknn_classifier)


register()


def to_onnx(model, n_features=None, *, dtype=np.float32, zipmap=True, target_opset=None,
            input_name="X"):
    """Convert a fitted estimator (or a pipeline ending in one) to an ONNX model.

    A convenience over ``skl2onnx.to_onnx`` with one input ``input_name`` of
    shape ``[None, n_features]`` (default: the model's ``n_features_in_``).

    Parameters
    ----------
    model : fitted estimator or Pipeline
    n_features : int, optional
    dtype : {np.float32, np.float64}, default=np.float32
        Type of the input, and of the whole computation.
    zipmap : bool or 'columns', default=True
        skl2onnx's ``zipmap`` option of the final classifier: True returns
        the probabilities as a list of ``{label: probability}`` dicts, False as
        a tensor (what most edge runtimes can read).
    target_opset : int, optional

    Returns
    -------
    onnx.ModelProto
    """
    if n_features is None:
        n_features = model.n_features_in_
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    tensor = DoubleTensorType if dtype == np.float64 else FloatTensorType
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    for name, step in getattr(model, "steps", [])[:-1]:
        if type(step).__name__ == "MaxAbsScaler" and getattr(step, "clip", False):
            # skl2onnx (1.20) converts it as if clip were False: wrong, silently
            raise RuntimeError(
                f"pipeline step {name!r} is a MaxAbsScaler with clip=True, which "
                "skl2onnx's converter ignores (the graph would not clip); export it "
                "with clip=False or serve the model file with sknn_scratch.runtime.")
    return skl2onnx.to_onnx(
        model, initial_types=[(input_name, tensor([None, int(n_features)]))],
        options={id(final): {"zipmap": zipmap}}, target_opset=target_opset)


def export_model_file(model_path, onnx_path, *, dtype=np.float32, zipmap=False,
                      target_opset=None):
    """Convert a model file written by :func:`sknn_scratch.io.save_model` to ONNX.

    A saved pipeline (scalers, then the estimator) converts whole. Returns the
    ONNX model, written to ``onnx_path`` (replaced only once the new file is
    complete). Probabilities are a plain tensor unless ``zipmap``.
    """
    from .io import load_model

    estimator = load_model(model_path)
    onx = to_onnx(estimator, dtype=dtype, zipmap=zipmap, target_opset=target_opset)
    onnx_path = os.fspath(onnx_path)
    folder = os.path.dirname(os.path.abspath(onnx_path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Folder not found: '{folder}'; cannot write "
                                f"'{onnx_path}'.")
    tmp = f"{onnx_path}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(onx.SerializeToString())
        os.replace(tmp, onnx_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return onx
