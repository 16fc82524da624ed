"""Pipelines in model files, scikit-learn's side: which steps save, and back.

:func:`pipeline_content` turns a fitted ``Pipeline`` of scalers ending in one of
the three estimators into the ``pipeline`` dict of a model file's content (the
layout is :mod:`sknn_scratch._pipelinefile`'s); :func:`build_pipeline` turns the
dict read from a file back into a fitted ``Pipeline``, checking each step's
parameters with the step's own ``_parameter_constraints``.

Files outlive versions: :func:`complete_params` gives a parameter missing from
a file written by an older version its current default, and refuses a
parameter this version does not know, naming it and the version that wrote
the file.
"""

import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._compat import validate_params
from ._pipelinefile import is_older, transform_params
from ._scalers import SCALERS

__all__ = ["STEP_CLASSES", "pipeline_content", "build_pipeline", "complete_params",
           "is_older"]

#: The preprocessing steps a model file can hold (exactly these classes).
STEP_CLASSES = {cls.__name__: cls for cls in (StandardScaler, MinMaxScaler,
                                              MaxAbsScaler, RobustScaler)}
assert set(STEP_CLASSES) == set(SCALERS)
_ONNX_HINT = ("To deploy any other pipeline, export it to ONNX: "
              "sknn_scratch.onnx.to_onnx(pipeline) converts every step skl2onnx knows.")


def complete_params(saved, defaults, *, what, where, written, older):
    """``saved`` parameters, with the current default for each one missing.

    A missing parameter is filled in only when the file comes from an older
    version (``older``), which did not have it; a file from this very version
    lacking one is damaged. A parameter unknown here is always refused.
    """
    unknown = sorted(set(saved) - set(defaults))
    if unknown:
        raise ValueError(
            f"{where}: unknown parameter(s) {unknown} of {what}: this version "
            f"(sknn_scratch {__version__}, scikit-learn {sklearn.__version__}) does "
            f"not have them. The file was written by {written}; load it with that "
            "version or a newer one.")
    missing = sorted(set(defaults) - set(saved))
    if missing and not older:
        raise ValueError(
            f"{where}: missing parameter(s) {missing} of {what}; the file was written "
            f"by {written}, which saves them all, so the file is damaged.")
    return {**{name: defaults[name] for name in missing}, **saved}


def _refuse(name, why, final_names):
    raise TypeError(
        f"save_model cannot save pipeline step {name!r}: {why}. A model file holds a "
        f"Pipeline of zero or more fitted preprocessing steps among "
        f"{list(STEP_CLASSES)} followed by one of {list(final_names)}. {_ONNX_HINT}")


def _describe(step):
    if step is None or isinstance(step, str):
        return repr(step)
    return f"a {type(step).__module__}.{type(step).__qualname__}"


def pipeline_content(pipe, final_classes):
    """``(final estimator, pipeline dict)`` of a fitted Pipeline.

    Raises ``TypeError`` naming a step that cannot be saved (and the list of
    those that can), ``NotFittedError`` for an unfitted scaler, ``ValueError``
    for inconsistent fitted attributes.
    """
    if type(pipe) is not Pipeline:
        raise TypeError(f"save_model saves a sklearn.pipeline.Pipeline, not a subclass; "
                        f"got {type(pipe).__module__}.{type(pipe).__qualname__}.")
    *pre, (final_name, final) = pipe.steps
    if final_classes.get(type(final).__name__) is not type(final):
        _refuse(final_name, f"the last step must be an sknn_scratch estimator, got "
                f"{_describe(final)}", final_classes)
    records = []
    for name, step in pre:
        cls = STEP_CLASSES.get(type(step).__name__)
        if cls is None or cls is not type(step):
            _refuse(name, f"{_describe(step)} is not a supported preprocessing step",
                    final_classes)
        output = getattr(step, "_sklearn_output_config", {}).get("transform")
        if output not in (None, "default"):
            _refuse(name, f"its set_output(transform={output!r}) cannot be stored",
                    final_classes)
        try:
            check_is_fitted(step)
        except NotFittedError:
            raise NotFittedError(f"Pipeline step {name!r} ({cls.__name__}) is not "
                                 "fitted; fit the pipeline before saving it.") from None
        records.append(_step_record(name, step, cls.__name__))
    check_is_fitted(final)
    n_features = final.n_features_in_
    for record in records:
        if record["attributes"]["n_features_in_"] != n_features:
            raise ValueError(f"Pipeline step {record['name']!r} takes "
                             f"{record['attributes']['n_features_in_']} features but "
                             f"the estimator {n_features}: refit the pipeline.")
    params = {k: v for k, v in pipe.get_params(deep=False).items() if k != "steps"}
    return final, {"step_names": [name for name, _ in pipe.steps], "params": params,
                   "steps": records}


def _step_record(name, step, class_name):
    spec = SCALERS[class_name]
    params = step.get_params(deep=False)
    effective = transform_params(class_name, params)
    n = getattr(step, "n_features_in_", None)
    arrays = {}
    for key, held in spec.arrays.items():
        value = getattr(step, key, None)
        if held(effective) != (value is not None) or (
                value is not None and (getattr(value, "shape", None) != (n,)
                                       or value.dtype.kind != "f")):
            raise ValueError(
                f"Pipeline step {name!r} ({class_name}) has {key}={value!r:.60}, which "
                f"does not fit its parameters {effective} and n_features_in_={n}: its "
                "parameters changed after fitting? Refit the pipeline before saving.")
        if value is not None:
            arrays[key] = value
    attributes = {"n_features_in_": int(n)}
    if spec.counts:
        attributes["n_samples_seen_"] = step.n_samples_seen_
    return {"name": name, "class_name": class_name, "params": params, "arrays": arrays,
            "attributes": attributes,
            "feature_names_in_": getattr(step, "feature_names_in_", None)}


def build_pipeline(saved, estimator, where, metadata):
    """A fitted Pipeline from :func:`read_pipeline`'s dict and the loaded estimator."""
    written = (f"sknn_scratch {metadata['sknn_scratch_version']} with scikit-learn "
               f"{metadata['sklearn_version']}")
    older = (is_older(metadata["sknn_scratch_version"], __version__)
             or is_older(metadata["sklearn_version"], sklearn.__version__))
    steps = []
    for step in saved["steps"]:
        cls = STEP_CLASSES[step["class_name"]]
        what = f"pipeline step {step['name']!r} ({cls.__name__})"
        params = complete_params(step["params"], cls().get_params(deep=False),
                                 what=what, where=where, written=written, older=older)
        scaler = cls(**params)
        try:
            validate_params(scaler)  # the scaler's own _parameter_constraints
        except ValueError as exc:
            raise ValueError(f"{where}: {what}: {exc}") from None
        for key in SCALERS[cls.__name__].arrays:
            setattr(scaler, key, step["arrays"].get(key))  # None where not held
        for key, value in step["attributes"].items():
            setattr(scaler, key, value)
        if step["feature_names_in_"] is not None:
            scaler.feature_names_in_ = step["feature_names_in_"]
        steps.append((step["name"], scaler))
    steps.append((saved["step_names"][-1], estimator))
    defaults = Pipeline([("step", "passthrough")]).get_params(deep=False)
    del defaults["steps"]
    params = complete_params(saved["params"], defaults, what="the Pipeline",
                             where=where, written=written, older=older)
    pipe = Pipeline(steps, **params)
    try:
        validate_params(pipe)
    except ValueError as exc:
        raise ValueError(f"{where}: the Pipeline: {exc}") from None
    return pipe
