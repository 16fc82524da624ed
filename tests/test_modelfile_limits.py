"""Bounded reading: small crafted (and resealed) files cannot make a loader
allocate much memory, and labels must be stored exactly in their declared dtype.

Each bomb is loaded in a fresh interpreter that reports the growth of its peak
resident memory (``ru_maxrss``) during the failed load.
"""

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import sknn_scratch
from sknn_scratch import _plaindata
from sknn_scratch._plaindata import loads
from sknn_scratch.io import load_model
from .test_modelfile import reseal, save_base_files


@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    return save_base_files(tmp_path_factory.mktemp("limits"))


def _crafted(base, folder, edit):
    folder.mkdir(exist_ok=True)
    path = folder / "crafted.h5"
    path.write_bytes(base.read_bytes())
    with h5py.File(path, "r+") as f:
        edit(f)
    reseal(path)
    return path


def _replace(name, data):
    def edit(f):
        attrs = dict(f[name].attrs)
        del f[name]
        f.create_dataset(name, data=data).attrs.update(attrs)
    return edit


_MEASURE = r"""
import json, resource, sys, warnings
from sknn_scratch import runtime
from sknn_scratch.io import load_model
warnings.simplefilter("ignore")
out = {}
for path in sys.argv[1:]:
    for name, load in (("load_model", load_model), ("runtime", runtime.load)):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            load(path)
            error = None
        except Exception as exc:
            error = [type(exc).__name__, str(exc)]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        out.setdefault(path, {})[name] = {"error": error, "peak_growth_kb": grown}
print(json.dumps(out))
"""


def _plain(name, text):
    def edit(f):
        del f[name]
        f.create_dataset(name, data=np.bytes_(text.encode()))
    return edit


def _declared(name, shape, dtype):
    def edit(f):
        del f[name]
        f.create_dataset(name, shape=shape, dtype=dtype)
    return edit


#: name -> (edit, message, whether the runtime reads the entry)
BOMBS = {
    # the 24 KB file whose labels declare a million characters each
    "label-width": (lambda f: f["classes_"].attrs.__setitem__("dtype", "<U999999"),
                    "wider than its stored labels", True),
    # the 16 million empty lists (a 48 MB text), and a million of them (3 MB)
    "json-16M-lists": (_plain("plain_attributes", "[" + ",".join(["[]"] * 2 ** 24) + "]"),
                       "more than the limit", False),
    "json-1M-lists": (_plain("history_", "[" + ",".join(["[]"] * (2 ** 20 + 8)) + "]"),
                      "more than the limit", False),
    "json-depth": (_plain("params", "[" * 5000 + "]" * 5000), "nested", True),
    # a label count and a weight matrix declared far beyond the file's bytes
    "label-count": (_declared("classes_", (2 ** 27,), "<i8"), "beyond the size limits",
                    True),
    "weight-elements": (_declared("coefs_/0", (4, 2 ** 25), "<f8"),
                        "beyond the size limits", True),
}


@pytest.fixture(scope="module")
def bomb_results(base_files, tmp_path_factory):
    """Every bomb loaded by both loaders in one fresh interpreter."""
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for name, (edit, _, _) in BOMBS.items():
        paths[name] = _crafted(base_files["multi"], folder / name, edit)
    done = subprocess.run([sys.executable, "-c", _MEASURE, *map(str, paths.values())],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(sknn_scratch.__file__).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {name: out[str(path)] for name, path in paths.items()}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_memory_bombs_are_refused_with_bounded_memory(name, bomb_results):
    _, match, runtime_reads = BOMBS[name]
    for loader, got in bomb_results[name].items():
        assert got["peak_growth_kb"] < 40 * 1024, (loader, got)  # 40 MB
        if loader == "runtime" and not runtime_reads:
            assert got["error"] is None, got  # training state: never read
            continue
        assert got["error"] is not None and got["error"][0] == "ValueError", (loader, got)
        assert match in got["error"][1], (loader, got["error"][1])


@pytest.mark.parametrize("stored, declared", [
    (np.array([0, 300], np.int16), "|i1"),  # would read 300 as 44
    (np.array([0.0, 0.5]), "<i8"),  # would read 0.5 as 0
    (np.array([0, 2], np.int8), "|b1"),
    (np.array([0.1, 1.0]), "<f4"),
    (np.array([b"ab", b"abc"]), "|S2"),  # would truncate to b"ab", b"ab"
])
def test_labels_not_representable_in_their_declared_dtype_are_refused(
        stored, declared, base_files, tmp_path):
    def edit(f):
        _replace("classes_", stored)(f)
        f["classes_"].attrs["dtype"] = declared
    path = _crafted(base_files["binary"], tmp_path, edit)
    with pytest.raises(ValueError, match="cannot represent exactly"):
        load_model(path)


def test_labels_that_fit_a_narrower_declared_dtype_are_read_exactly(base_files, tmp_path):
    def edit(f):
        _replace("classes_", np.array([-5, 120], np.int64))(f)
        f["classes_"].attrs["dtype"] = "|i1"
    model = load_model(_crafted(base_files["binary"], tmp_path, edit))
    assert model.classes_.dtype == np.int8 and model.classes_.tolist() == [-5, 120]


def test_wide_declared_string_labels_round_trip(tmp_path):
    """The writer stores as many bytes as the dtype's characters, so a legitimately
    wide label dtype is never refused as a bomb."""
    from sknn_scratch import ScratchLogisticRegression
    from sknn_scratch.io import save_model
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.array(["a", "b"] * 10)
    est = ScratchLogisticRegression().fit(X, y)
    est.classes_ = est.classes_.astype("<U300")  # as wide as the labels given
    save_model(est, tmp_path / "wide.h5")
    assert load_model(tmp_path / "wide.h5").classes_.dtype == np.dtype("<U300")


@pytest.mark.parametrize("text, match", [
    ("[" * 40 + "]" * 40, "nested deeper than the limit of 32"),
    ("[" + "0," * 2 ** 20 + "0]", "more than the limit of 1048576"),
])
def test_json_limits(text, match):
    with pytest.raises(ValueError, match=match):
        loads(text)
    assert _plaindata.MAX_JSON_DEPTH == 32 and _plaindata.MAX_JSON_ITEMS == 2 ** 20
