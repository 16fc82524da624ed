"""The ``/pipeline`` group of a model file: layout, writing and validated reading.

NumPy, h5py and the standard library only (the NumPy-only runtime reads
pipelines through :func:`sknn_scratch._modelfile.read_model_file`, which calls
:func:`read_pipeline`). A pipeline file is the final estimator's usual file
(:mod:`sknn_scratch._modelfile`) written with format version 2, plus::

    /pipeline/step_names    JSON list of every step name, in order; the last
                            names the estimator stored at the root
    /pipeline/params        JSON of the Pipeline's other parameters (memory,
                            verbose, transform_input)
    /pipeline/steps/0 .. /pipeline/steps/{k-1}
                            one group per preprocessing step, in order;
                            attr class_name (a key of :data:`SCALERS`)
        params              JSON of the step's ``get_params(deep=False)``
        attributes          JSON: n_features_in_, and n_samples_seen_ if the
                            class has it (a number, or one per feature)
        mean_, scale_, ...  the fitted arrays the class holds for those
                            parameters (an attribute that is None is absent),
                            float32 or float64 of shape (n_features_in_,)
        feature_names_in_   UTF-8 bytes, only if the step was fitted on names

A reader that meets a step class it does not know, or any entry it does not
expect, refuses the file saying which.
"""

import re

import numpy as np

from ._plaindata import dumps, encode_params
from ._scalers import SCALERS

__all__ = ["MAX_STEPS", "encode_pipeline", "write_pipeline", "read_pipeline",
           "transform_params", "is_older"]

MAX_STEPS = 64
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def _release(version):
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", str(version))
    return None if match is None else tuple(int(g or 0) for g in match.groups())


def is_older(written, current):
    """Whether release ``written`` ("0.1.0", "1.8.dev0", ...) precedes ``current``."""
    w, c = _release(written), _release(current)
    return w is not None and c is not None and w < c


def transform_params(class_name, params):
    """The parameters ``transform`` reads, with the current default for any that
    the file lacks (written before the parameter existed)."""
    return {name: params.get(name, default)
            for name, (default, _) in SCALERS[class_name].params.items()}


def encode_pipeline(pipeline):
    """JSON texts and arrays to write, all checked before the file is opened.

    ``pipeline`` is the dict :func:`read_pipeline` returns. ``ValueError`` names
    a parameter that is not plain data or an array that is not finite.
    """
    steps = []
    for step in pipeline["steps"]:
        where = f"pipeline step {step['name']!r}"
        try:
            params = encode_params(step["params"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        for name, x in step["arrays"].items():
            if not np.all(np.isfinite(x)):
                raise ValueError(f"{where}: {name} contains NaN or infinity; such a "
                                 "step cannot be saved.")
        names = step.get("feature_names_in_")
        if names is not None:
            if not all(isinstance(v, str) for v in names):
                raise ValueError(f"{where}: feature_names_in_ holds values that are "
                                 "not strings.")
            names = np.array([v.encode("utf-8") for v in names], dtype=bytes)
        steps.append({"class_name": step["class_name"], "params": params,
                      "attributes": dumps(step["attributes"]), "arrays": step["arrays"],
                      "feature_names_in_": names})
    return {"step_names": dumps(list(pipeline["step_names"])),
            "params": encode_params(pipeline["params"]), "steps": steps}


def write_pipeline(f, encoded):
    """Write :func:`encode_pipeline`'s output into the open h5py file ``f``."""
    def text(group, key, value):
        group.create_dataset(key, data=np.bytes_(value.encode("utf-8")))

    g = f.create_group("pipeline")
    text(g, "step_names", encoded["step_names"])
    text(g, "params", encoded["params"])
    steps = g.create_group("steps")
    for i, step in enumerate(encoded["steps"]):
        s = steps.create_group(str(i))
        s.attrs["class_name"] = step["class_name"]
        text(s, "params", step["params"])
        text(s, "attributes", step["attributes"])
        for name, x in step["arrays"].items():
            s.create_dataset(name, data=x)
        if step["feature_names_in_"] is not None:
            s.create_dataset("feature_names_in_", data=step["feature_names_in_"])


def read_pipeline(r, n_features):
    """Read and check ``/pipeline`` with the model reader ``r``.

    ``n_features`` is the stored estimator's ``n_features_in_``: every scaler
    keeps the width, so each step must take exactly that many features.
    """
    found = r.names(r.h["pipeline"], "pipeline/", 8)
    if found != {"step_names", "params", "steps"}:
        r.fail("'pipeline' must hold exactly 'step_names', 'params' and 'steps'; "
               f"found {sorted(found)}")
    if set(r.h["pipeline"].attrs):
        r.fail(f"unexpected attribute(s) {sorted(r.h['pipeline'].attrs)} on 'pipeline'")
    names = r.json("pipeline/step_names")
    if not (isinstance(names, list) and 1 <= len(names) <= MAX_STEPS + 1
            and all(isinstance(n, str) and n and "__" not in n and len(n) <= 200
                    for n in names) and len(set(names)) == len(names)):
        r.fail("'pipeline/step_names' must be a JSON list of distinct non-empty step "
               "names without '__'")
    params = r.json("pipeline/params")
    if not (isinstance(params, dict) and len(params) <= 16
            and all(_PARAM.fullmatch(k) for k in params)):
        r.fail("'pipeline/params' is not a JSON object of parameter names and values")
    steps = r.names(r.h["pipeline/steps"], "pipeline/steps/", MAX_STEPS)
    k = len(names) - 1
    if steps != {str(i) for i in range(k)}:
        r.fail(f"'pipeline/steps' should hold {k} group(s) named 0..{k - 1}, one per "
               f"preprocessing step of {names}; found {sorted(steps)}")
    return {"step_names": names, "params": params,
            "steps": [_read_step(r, i, names[i], n_features) for i in range(k)]}


def _read_step(r, i, name, n_features):
    prefix = f"pipeline/steps/{i}"
    found = r.names(r.h[prefix], prefix + "/", 16)
    class_name = r.attr(r.h[prefix], "class_name", str, prefix)
    if set(r.h[prefix].attrs) != {"class_name"}:
        r.fail(f"unexpected attribute(s) {sorted(set(r.h[prefix].attrs) - {'class_name'})}"
               f" on '{prefix}'")
    spec = SCALERS.get(class_name)
    if spec is None:
        r.fail(f"pipeline step {name!r} is a {class_name!r}, which this version of "
               f"sknn_scratch cannot read; it reads the preprocessing steps "
               f"{list(SCALERS)} (a newer sknn_scratch may have written this file)")
    where = f"pipeline step {name!r} ({class_name})"
    params = r.json(f"{prefix}/params")
    if not (isinstance(params, dict) and len(params) <= 64
            and all(_PARAM.fullmatch(k) for k in params)):
        r.fail(f"'{prefix}/params' is not a JSON object of parameter names and values")
    effective = transform_params(class_name, params)
    for key, (_, ok) in spec.params.items():
        if not ok(effective[key]):
            r.fail(f"{where} has an invalid {key!r} parameter: {effective[key]!r}")
    attributes = r.json(f"{prefix}/attributes")
    wanted = {"n_features_in_", *(("n_samples_seen_",) if spec.counts else ())}
    if not (isinstance(attributes, dict) and set(attributes) == wanted
            and attributes["n_features_in_"] == n_features
            and type(attributes["n_features_in_"]) is int
            and (not spec.counts or _count(attributes["n_samples_seen_"], n_features))):
        r.fail(f"'{prefix}/attributes' must hold exactly {sorted(wanted)}, with "
               f"n_features_in_ = {n_features} (the estimator's) and a non-negative "
               "sample count (a number, or one per feature)")
    arrays = {key for key, held in spec.arrays.items() if held(effective)}
    required = {"params", "attributes"} | arrays
    if not required <= found <= required | {"feature_names_in_"}:
        missing = sorted(required - found)
        extra = sorted(found - required - {"feature_names_in_"})
        r.fail(f"{where} with parameters {effective} holds the fitted arrays "
               f"{sorted(arrays)}; " + "; ".join(
                   f"{word} {[f'{prefix}/{n}' for n in names]}" for word, names in
                   (("missing", missing), ("unexpected", extra)) if names))
    values = {}
    for key in sorted(arrays):
        x = r.array(f"{prefix}/{key}", 1, "f", itemsizes=(4, 8))
        if x.shape != (n_features,):
            r.fail(f"'{prefix}/{key}' has shape {x.shape}, but the step takes "
                   f"n_features_in_={n_features} features")
        if not np.all(np.isfinite(x)):
            r.fail(f"'{prefix}/{key}' contains NaN or infinity")
        if key in spec.divisors and not np.all(x != 0):
            r.fail(f"'{prefix}/{key}' contains zeros, which the step divides by")
        values[key] = x
    feature_names = None
    if "feature_names_in_" in found:
        feature_names = np.array(r.strings(
            r.array(f"{prefix}/feature_names_in_", 1, "S"),
            f"{prefix}/feature_names_in_", n_features), dtype=object)
    return {"name": name, "class_name": class_name, "params": params,
            "arrays": values, "attributes": attributes,
            "feature_names_in_": feature_names}


def _count(value, n_features):
    if isinstance(value, np.ndarray):
        return (value.shape == (n_features,) and value.dtype.kind in "iuf"
                and bool(np.all(value >= 0)))  # NaN fails too
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and value >= 0 and value == value)
