"""Plain data <-> strict JSON, with NumPy and the standard library only.

JSON has no tuples, no dicts with non-string keys, no infinities and no arrays
of a given dtype; these are written as one-key tagged objects::

    (64, 32)               {"__tuple__": [64, 32]}
    {0: 1.0, 1: 2.5}       {"__dict__": [[0, 1.0], [1, 2.5]]}
    inf                    {"__float__": "inf"}
    np.array([3, 4])       {"__ndarray__": {"dtype": "<i8", "data": [3, 4]}}

In parameters (:func:`encode_params`) a NumPy scalar keeps its type:
``np.float32(0.01)`` is written as
``{"__scalar__": {"dtype": "<f4", "value": 0.009999999776482582}}`` (the float64
of the very float32 value, which converts back exactly), so a hyperparameter
such as ``learning_rate=np.float32(0.01)`` round-trips in type and value.

A dict whose keys are all strings (and no tag) stays a JSON object. Anything
else (callables, random generators, arbitrary objects) is refused: a model file
never holds what only pickle could restore.

Reading is bounded (:func:`loads`): at most :data:`MAX_JSON_BYTES` of text, at
most :data:`MAX_JSON_ITEMS` values (counted on the text before it is parsed) and
at most :data:`MAX_JSON_DEPTH` levels of nesting.
"""

import json
import math
import re

import numpy as np

_TAGS = ("__tuple__", "__dict__", "__float__", "__ndarray__", "__scalar__")
#: Limits of one JSON text read from a file (params, history, attributes, ...).
MAX_JSON_BYTES = 2 ** 24
MAX_JSON_ITEMS = 2 ** 20  # '[', '{' and ',' in the text bound the values it holds
MAX_JSON_DEPTH = 32
_NUMERIC = re.compile(r"[<>|=]?(b1|[iu][1248]|f[248])")


class UnsupportedScalar(TypeError):
    """A NumPy number whose type no model file can hold exactly (longdouble, ...)."""


def encode_value(value, scalars=False):
    """JSON-ready form of plain data; ``TypeError`` for anything else.

    With ``scalars`` (hyperparameters), NumPy scalars keep their type (tagged);
    otherwise they are written as the Python number of the same value.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if scalars and isinstance(value, np.generic) and _NUMERIC.fullmatch(value.dtype.str):
        # the Python number of the same value, tagged with its NumPy type
        return {"__scalar__": {"dtype": value.dtype.str,
                               "value": encode_value(value.item())}}
    if (isinstance(value, np.generic) and value.dtype.kind in "biuf"
            and not _NUMERIC.fullmatch(value.dtype.str)):
        raise UnsupportedScalar(f"a {type(value).__module__}.{type(value).__qualname__} "
                                f"(dtype {value.dtype.str!r}) value, whose type a model "
                                "file cannot hold exactly")
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode_value(v, scalars) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, scalars) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, (str, int, float, np.generic, type(None))) for k in value):
            raise TypeError("a dict key that is not a str, number or None")
        if all(isinstance(k, str) and k not in _TAGS for k in value):
            return {k: encode_value(v, scalars) for k, v in value.items()}
        return {"__dict__": [[encode_value(k, scalars), encode_value(v, scalars)]
                             for k, v in value.items()]}
    if (isinstance(value, np.ndarray) and value.ndim == 1
            and _NUMERIC.fullmatch(value.dtype.str)):
        return {"__ndarray__": {"dtype": value.dtype.str,
                                "data": [encode_value(v) for v in value.tolist()]}}
    raise TypeError(f"a {type(value).__module__}.{type(value).__qualname__} object")


def encode_params(params):
    """JSON text of a ``get_params()`` dict; ``ValueError`` naming a bad parameter."""
    encoded = {}
    for name, value in params.items():
        try:
            encoded[name] = encode_value(value, scalars=True)
        except UnsupportedScalar as exc:
            raise ValueError(
                f"Parameter {name!r} cannot be saved in a model file: its value "
                f"{value!r} contains {exc}; convert it to float (or np.float64, "
                "np.float32, np.float16) before saving.") from None
        except TypeError as exc:
            hint = ("set it to an int (or None) before saving; the fitted model's own "
                    "generator state is saved either way" if name == "random_state"
                    else "only None, bool, int, float, str and lists, tuples or dicts "
                    "of these can be saved (set it to None before saving, and back "
                    "after loading)")
            raise ValueError(
                f"Parameter {name!r} cannot be saved in a model file: its value "
                f"{value!r} contains {exc}, which only pickle could store; {hint}."
            ) from None
    return json.dumps(encoded, allow_nan=False)


def decode_value(obj, depth=0):
    """Inverse of :func:`encode_value`; ``ValueError`` on anything unexpected."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if depth >= MAX_JSON_DEPTH:
        raise ValueError(f"JSON nested deeper than the limit of {MAX_JSON_DEPTH} levels")
    depth += 1
    if isinstance(obj, list):
        return [decode_value(v, depth) for v in obj]
    if not isinstance(obj, dict):  # pragma: no cover - json gives no other types
        raise ValueError(f"unexpected JSON value {obj!r}")
    if len(obj) != 1 or next(iter(obj)) not in _TAGS:
        return {k: decode_value(v, depth) for k, v in obj.items()}
    tag, body = next(iter(obj.items()))
    if tag == "__float__" and body in ("inf", "-inf", "nan"):
        return float(body)
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(decode_value(v, depth) for v in body)
    if tag == "__dict__" and isinstance(body, list) and all(
            isinstance(p, list) and len(p) == 2 for p in body):
        pairs = [(decode_value(k, depth), decode_value(v, depth)) for k, v in body]
        # NumPy scalar keys (np.int64(0) of a class_weight) come back as such
        if all(isinstance(k, (str, int, float, bool, np.generic, type(None)))
               for k, _ in pairs):
            return dict(pairs)
    if (tag == "__ndarray__" and isinstance(body, dict) and set(body) == {"dtype", "data"}
            and isinstance(body["dtype"], str) and isinstance(body["data"], list)
            and _NUMERIC.fullmatch(body["dtype"])
            and all(isinstance(v, (bool, int, float)) for v in body["data"])):
        try:
            return np.array(body["data"], dtype=body["dtype"])
        except OverflowError:
            pass
    if (tag == "__scalar__" and isinstance(body, dict) and set(body) == {"dtype", "value"}
            and isinstance(body["dtype"], str) and _NUMERIC.fullmatch(body["dtype"])):
        value = decode_value(body["value"], depth)
        if isinstance(value, (bool, int, float)):
            scalar = _exact_scalar(value, np.dtype(body["dtype"]))
            if scalar is not None:
                return scalar
    raise ValueError(f"malformed {tag} value {json.dumps(body)[:80]}")


def _exact_scalar(value, dtype):
    """``dtype.type(value)`` if it holds exactly ``value`` (else None): a crafted
    ``{"dtype": "|i1", "value": 300}`` is refused, never wrapped to 44."""
    try:
        with np.errstate(all="ignore"):
            scalar = dtype.type(value)
    except (OverflowError, ValueError):
        return None
    if dtype.kind == "b" and not isinstance(value, bool):
        return None
    same = scalar.item() == value or (value != value and scalar != scalar)
    return scalar if same else None


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def dumps(value, scalars=False):
    """Strict JSON text of plain data (see :func:`encode_value`)."""
    return json.dumps(encode_value(value, scalars), allow_nan=False)


def check_size(text):
    """``ValueError`` if ``text`` exceeds :data:`MAX_JSON_BYTES` or
    :data:`MAX_JSON_ITEMS` (counted without parsing)."""
    if len(text) > MAX_JSON_BYTES:
        raise ValueError(f"JSON text of {len(text)} characters, more than the limit "
                         f"of {MAX_JSON_BYTES}")
    # every value but the first follows a ',' or opens (or is) a container
    items = text.count(",") + text.count("[") + text.count("{")
    if items > MAX_JSON_ITEMS:
        raise ValueError(f"JSON text holds up to {items} values, more than the limit "
                         f"of {MAX_JSON_ITEMS}")


def loads(text):
    """Plain data from JSON text; ``ValueError`` if it is not what :func:`dumps` writes.

    The parse is pure: ``json`` builds only dicts, lists, strings and numbers,
    and the tags are turned into tuples, dicts, floats, NumPy scalars or numeric
    arrays. The size limits are checked on the text before it is parsed, so a
    small file cannot make the parse build millions of objects.
    """
    check_size(text)
    try:
        return decode_value(json.loads(text, parse_constant=_reject_constant))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
