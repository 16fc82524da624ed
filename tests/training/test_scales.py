"""training.scales.feature_scales: each feature's standard deviation and largest |x|,
against np.std and exact rational arithmetic (statistics.pstdev), in any layout."""

import os
import statistics
import subprocess
import sys
import warnings

import numpy as np
import pytest

from sknn_scratch.training import scales
from sknn_scratch.training.scales import feature_scales

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LAYOUTS = {
    "C": lambda X: np.ascontiguousarray(X),
    "F": lambda X: np.asfortranarray(X),
    "C rows 1::2": lambda X: np.ascontiguousarray(np.repeat(X, 2, axis=0))[1::2],
    "F rows ::2": lambda X: np.asfortranarray(np.repeat(X, 2, axis=0))[::2],
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("block_bytes, min_rows", [(4 << 20, 8), (8 * 7 * 3, 1)],
                         ids=["one block", "blocks of 3 columns or 7 rows"])
def test_feature_scales_are_numpys_std_and_max_abs_in_any_blocks(
        layout, block_bytes, min_rows, monkeypatch):
    monkeypatch.setattr(scales, "_COLUMNS", 1)
    monkeypatch.setattr(scales, "_MIN_ROWS", min_rows)
    monkeypatch.setattr(scales, "_BLOCK_BYTES", block_bytes)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 20)) * np.logspace(-3, 3, 20)
    X[:, 4] = 0.0  # an all-zero column
    X[:, 9] = 5.0 + 1e-3 * X[:, 9]  # far from 0: the mean is subtracted exactly
    expected = X.std(axis=0)
    X[:, 7] *= 1e297  # values near 1e300: their variance overflows, not their std
    expected[7] *= 1e297
    X = LAYOUTS[layout](X)
    std, peaks = feature_scales(X)
    np.testing.assert_array_equal(peaks, np.abs(X).max(axis=0))
    np.testing.assert_allclose(std, expected, rtol=1e-13)


def _random_matrix(rng):
    """A matrix whose columns are of any kind the scale hint meets: scales from
    1e-300 (1e-30 in float32) to 1e300 (1e30), offsets, constant, all-zero,
    constant up to rounding, subnormal, integer; in a random layout."""
    dtype = rng.choice([np.float64, np.float32, np.int32])
    n, d = int(rng.integers(1, 60)), int(rng.integers(1, 12))
    top = {np.float64: 300, np.float32: 30, np.int32: 9}[dtype]
    columns = []
    for _ in range(d):
        kind = rng.integers(6)
        scale = 10.0 ** rng.uniform(-top, top) if dtype != np.int32 else 1e4
        x = rng.standard_normal(n) * scale
        if kind == 1:  # far from 0
            x = x * 1e-3 + rng.choice([-1, 1]) * scale
        elif kind == 2:
            x = np.full(n, scale)
        elif kind == 3:
            x = np.zeros(n)
        elif kind == 4:  # constant up to a few ulps
            eps = np.finfo(dtype if dtype != np.int32 else float).eps
            x = np.full(n, scale) * (1 + eps * rng.integers(-3, 4, n))
        elif kind == 5 and dtype == np.float64:  # subnormal
            x = rng.standard_normal(n) * 1e-310
        columns.append(x)
    X = np.column_stack(columns).astype(dtype)
    return LAYOUTS[rng.choice(list(LAYOUTS))](X)


def _exact(X):
    """Standard deviations by exact rational arithmetic, rounded once (pstdev)."""
    values = X.astype(np.float64).T.tolist()
    return (np.array([statistics.pstdev(column) for column in values]),
            np.array([max(map(abs, column)) for column in values]))


def _worst_errors(seeds, block_bytes):
    """Largest relative error of the scales, and whether every peak was exact."""
    worst, peaks_exact = 0.0, True
    for seed in seeds:
        rng = np.random.default_rng(seed)
        X = _random_matrix(rng)
        scales._BLOCK_BYTES = block_bytes(rng)
        std, peaks = feature_scales(X)
        exact_std, exact_peaks = _exact(X)
        peaks_exact &= bool(np.array_equal(peaks, exact_peaks))
        error = np.abs(std - exact_std) / np.where(exact_std > 0, exact_std, 1.0)
        worst = max(worst, float(error.max()))
    return worst, peaks_exact


@pytest.mark.filterwarnings("error")  # no overflow warning either
def test_feature_scales_match_exact_arithmetic_on_random_matrices(monkeypatch):
    monkeypatch.setattr(scales, "_BLOCK_BYTES", scales._BLOCK_BYTES)
    # blocks of any size, down to one row or one column
    worst, peaks_exact = _worst_errors(range(150), lambda rng: int(rng.integers(8, 4096)))
    assert peaks_exact
    assert worst < 1e-12  # the hint prints 3 digits


_FRESH_SCRIPT = """
import warnings
warnings.simplefilter("error")
import numpy as np
from tests.training.test_scales import _worst_errors
print(*_worst_errors(range(1000, 1040), lambda rng: int(rng.integers(8, 4096))))
"""


def test_feature_scales_match_exact_arithmetic_in_a_fresh_process():
    # the block is np.empty: what it held before must not leak into the sums
    out = subprocess.run([sys.executable, "-c", _FRESH_SCRIPT], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) < 1e-12 and out[1] == "True"


def _scales_digest():
    """sha256 of ``feature_scales`` on random matrices, blocks of 8 to 4,096 bytes."""
    import hashlib

    digest, kept = hashlib.sha256(), scales._BLOCK_BYTES
    try:
        for seed in range(2000, 2030):
            rng = np.random.default_rng(seed)
            X = _random_matrix(rng)
            scales._BLOCK_BYTES = int(rng.integers(8, 4096))
            for part in feature_scales(X):
                digest.update(part.tobytes())
        # and the real 2 MB blocks on 1,000 x 700: three blocks of 374 rows (C order),
        # three panels of 262 columns (Fortran order)
        scales._BLOCK_BYTES = kept
        X = np.random.default_rng(1).standard_normal((1000, 700))
        X *= np.logspace(-3, 3, 700)
        for part in feature_scales(X) + feature_scales(np.asfortranarray(X)):
            digest.update(part.tobytes())
    finally:
        scales._BLOCK_BYTES = kept
    return digest.hexdigest()


def test_feature_scales_give_the_same_bytes_in_a_fresh_process():
    code = ("import warnings\nwarnings.simplefilter('error')\n"
            "from tests.training.test_scales import _scales_digest\n"
            "print(_scales_digest())\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert out == _scales_digest()


def test_feature_scales_keep_nan_and_inf_columns_apart():
    X = np.random.default_rng(0).standard_normal((20, 3))
    X[3, 0], X[5, 1] = np.nan, np.inf
    std, peaks = feature_scales(X)
    assert np.isnan(std[:2]).all() and std[2] == pytest.approx(X[:, 2].std(), rel=1e-13)
    assert np.isnan(peaks[0]) and peaks[1] == np.inf


_SCALES_MEMORY_SCRIPT = """
import gc, tracemalloc
import numpy as np
from sknn_scratch.training import scales
scales._BLOCK_BYTES = 256 << 10  # 64 rows of 512: a second block would show
X = np.random.default_rng(0).standard_normal((2000, 512)).astype(np.float32)
X[:, 7] *= 1e30  # squares overflow: this column is taken again, rescaled
wide = np.random.default_rng(0).standard_normal((100, 20000)).astype(np.float32)
for X in (X, np.asfortranarray(X), np.asfortranarray(X)[::2], wide):
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    scales.feature_scales(X)
    print(tracemalloc.get_traced_memory()[1] - base)
    tracemalloc.stop()
"""


def test_feature_scales_hold_one_float64_block_at_a_time():
    # the scale hint runs at the start of every dense fit, on up to 2,000 rows: its
    # peak (one float64 block of at most 2 MB, the variance taken in it with no
    # block-sized temporary) must stay well below a fit's own (section d: ~4 MB
    # in float32); 2,000 x 512 float64 would be 8 MB in one block. With 256 KB
    # blocks a second block-sized array (a temporary of np.std, a block kept alive
    # while the next is made) would double the peak.
    out = subprocess.run([sys.executable, "-c", _SCALES_MEMORY_SCRIPT], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    # NumPy's ufuncs buffer a broadcast operand and a cast one: 8 * 8,192 bytes each
    buffers = 2 * 8 * np.getbufsize()
    *narrow, wide = map(int, out)
    for peak in narrow:  # C order, Fortran order, a strided sample
        # a block, a column, the ufunc buffers, vectors
        assert peak <= (256 << 10) + 8 * 2000 + buffers + 64 * 1024
    # 20,000 columns: the block, the results (2 x 8 bytes a column), a panel's vectors
    assert wide <= (256 << 10) + 16 * 20000 + buffers + 64 * 1024
