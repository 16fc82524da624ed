"""The file-handling parts of ``sknn-scratch train`` and ``export``.

Labels as HDF5 stores them (fixed-length or variable-length byte strings, bool,
numbers), ``--classes`` converted to the labels' type without loss, outputs
that would replace their own input refused, and the weights-only export.
Every mistake is a :class:`sknn_scratch.cli.UsageError` (one line, exit 2).
"""

import os

import numpy as np

_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def _usage(message):
    from ._usage import UsageError

    return UsageError(message)


def as_labels(y):
    """A chunk of labels as the estimator takes them: HDF5 byte strings (fixed or
    variable length, which h5py returns as an object array of bytes) -> str."""
    if y.dtype.kind == "S":
        return y.astype(str)
    if y.dtype.kind == "O":
        # element by element, keeping the shape: (m, 1) labels stay (m, 1)
        # (``tolist`` of a 2-D array would give lists, read as "[b'a']")
        return np.array([v.decode("utf-8") if isinstance(v, bytes) else str(v)
                         for v in y.ravel().tolist()], dtype=str).reshape(y.shape)
    return y


def given_classes(text, label_dtype):
    """``--classes 0,1,2`` converted exactly to the type of the file's labels.

    Raises
    ------
    UsageError
        If a value does not fit that type (``300`` for uint8 labels, ``0.5`` for
        integers, ``maybe`` for bool).
    """
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if label_dtype.kind in "SUO":
        return np.unique(np.array(parts, dtype=str))
    values = [_convert(part, label_dtype, text) for part in parts]
    return np.unique(np.array(values, dtype=label_dtype))


def _convert(part, dtype, text):
    problem = f"--classes {text}: {part!r} is not a label of the file's type ({dtype})"
    if dtype.kind == "b":  # np.array(["False"]).astype(bool) would be True
        if part.lower() not in _TRUE | _FALSE:
            raise _usage(problem + "; use True/False or 1/0")
        return part.lower() in _TRUE
    try:
        value = int(part) if dtype.kind in "iu" else float(part)
    except ValueError:
        raise _usage(problem) from None
    if dtype.kind in "iu" and not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
        info = np.iinfo(dtype)
        raise _usage(f"{problem}: it is outside {info.min}..{info.max}")
    return value


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)
    except OSError:  # the output does not exist yet
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_own_input(output, output_flag, source, source_flag):
    """UsageError if writing ``output`` would replace the input ``source`` (the same
    file through a symbolic or hard link or another relative path too)."""
    if os.path.exists(source) and _same_file(output, source):
        raise _usage(f"{output_flag} {output} is the input file {source} "
                     f"({source_flag}); writing it would replace the input: give "
                     "another file name")


def export_weights_only(model_path, out_path):
    """Rewrite a model file without its optimizer state (a deployment file)."""
    from .io import load_model, save_model

    try:
        model = load_model(model_path)
    except (OSError, ValueError) as exc:
        raise _usage(str(exc)) from None
    save_model(model, out_path, include_optimizer_state=False)
