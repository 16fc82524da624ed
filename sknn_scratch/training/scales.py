"""Each feature's standard deviation and largest ``|x|`` (the unscaled-input hint's
figures), in float64, in a bounded buffer and without overflow.

The hint runs at the start of every dense fit, so this is read in few passes: blocks
of whole rows (contiguous in a C-ordered ``X``, so memory is read in long runs) and,
per block, the column maxima and minima, the rows minus the first row (one float64
copy), and the column sums and sums of squares of that difference.
"""

import numpy as np

#: Bytes of the one float64 block (section d: the scale check at the start of a fit
#: must stay below the fit's own peak, ~4 MB for 20,000 x 256 float32).
_BLOCK_BYTES = 2 << 20
#: Rows of a block at least: wider ``X`` is taken in panels of 4,096 columns (runs
#: of 32 KB; the panel's few vectors then weigh well below the block).
_MIN_ROWS = 64
#: Largest |x| within [2^-400, 2^400] (or 0): squares neither overflow nor underflow.
_SAFE = 2.0 ** 400
#: Columns of a block on the rescaled path, at least.
_COLUMNS = 16


def feature_scales(X):
    """Standard deviation of each column of ``X`` (``np.std``'s: of the population, in
    float64) and each column's largest ``|x|``: ``(scales, peaks)``.

    The variance of values near 1e300 (1e30 in float32) would overflow to inf, the
    standard deviation does not: columns whose largest ``|x|`` is beyond ``2^400``
    (or below ``2^-400``) are scaled by a power of two first (exact).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"feature_scales needs a 2-d X with at least one row; got "
                         f"shape {X.shape}.")
    n, n_features = X.shape
    scales, peaks = np.empty(n_features), np.empty(n_features)
    if abs(X.strides[0]) < abs(X.strides[1]):
        # column-major (Fortran order, pandas' .values): panels of whole columns,
        # each one run of memory; blocks of rows would read every column in short runs
        width = max(_COLUMNS, _BLOCK_BYTES // (8 * n))
    else:  # row-major: blocks of whole rows, each one run of memory
        width = max(1, _BLOCK_BYTES // (8 * _MIN_ROWS))
    # (columns whose squares overflow or underflow are redone below: no warning)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for start in range(0, n_features, width):
            cols = slice(start, start + width)
            scales[cols], peaks[cols] = _panel_scales(X[:, cols])
    # squares of values beyond 2^400 may overflow, of values below 2^-400 underflow
    # (NaN and inf land here too): those columns again, scaled
    extreme = ~((peaks <= _SAFE) & ((peaks >= 1.0 / _SAFE) | (peaks == 0)))
    if extreme.any():
        columns = np.flatnonzero(extreme)
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as np.std gives
            scales[columns] = _rescaled_scales(X, columns, peaks[columns])
    return scales, peaks


def _panel_scales(P):
    """``(scales, peaks)`` of the columns of ``P``, one block of rows at a time.

    The variance from sums over the rows shifted by the first row ``x_0`` (exact
    for nearly constant columns, whose differences are exact):
    ``var = S2/n - (S1/n)^2`` with ``S1 = sum(x - x_0)``, ``S2 = sum((x - x_0)^2)``.
    The subtraction cancels ``(mean - x_0)^2`` of ``S2/n = var + (mean - x_0)^2``,
    and ``(x_0 - mean)^2 <= n var`` (``x_0`` is one of the rows), so the relative
    error stays below about ``n^2 eps`` (1e-9 for 2,000 rows; ~1e-14 typically),
    far below the 3 digits the hint prints.
    """
    n, width = P.shape
    rows = max(1, min(n, _BLOCK_BYTES // (8 * width)))
    # the block in P's own layout: a copy across layouts reads memory in short runs
    fast = 0 if abs(P.strides[0]) < abs(P.strides[1]) else 1
    block = np.empty((rows, width), order="CF"[fast == 0])
    # elements along P's fast axis apart in memory (a strided sample of rows in
    # Fortran order) are read once, into the block, rather than three times
    scattered = P.shape[fast] > 1 and abs(P.strides[fast]) != P.itemsize
    ones = np.ones(rows)
    first = np.array(P[0], dtype=np.float64)
    high, low = (first.copy(), first.copy()) if scattered else (P[0].copy(), P[0].copy())
    s1, s2 = np.zeros(width), np.zeros(width)
    for start in range(0, n, rows):
        chunk = P[start:start + rows]
        shifted = block[:len(chunk)]
        if scattered:
            np.copyto(shifted, chunk)
            chunk = shifted
        np.maximum(high, chunk.max(axis=0), out=high)
        np.minimum(low, chunk.min(axis=0), out=low)
        np.subtract(chunk, first, out=shifted)
        s1 += ones[:len(chunk)] @ shifted
        s2 += np.einsum("ij,ij->j", shifted, shifted)
    peaks = np.maximum(high.astype(np.float64), -low.astype(np.float64))
    return _std(s1, s2, n), peaks


def _std(s1, s2, n):
    """Standard deviations from the sums ``s1``, ``s2`` of ``n`` shifted rows."""
    mean = s1 / n
    return np.sqrt(np.maximum(s2 / n - mean * mean, 0.0))  # >= 0 up to round-off


def _rescaled_scales(X, columns, peaks):
    """Standard deviations of ``X[:, columns]`` whose largest ``|x|`` are ``peaks``,
    each column scaled into ``[0.5, 1)`` by a power of two first (exact)."""
    n = X.shape[0]
    scales = np.empty(len(columns))
    # NaN/inf peaks: exponent 0 (no scaling), and NaN scales as np.std gives
    exponents = np.frexp(np.where(np.isfinite(peaks), peaks, 0.0))[1]
    step = max(_COLUMNS, _BLOCK_BYTES // (8 * n))
    for start in range(0, len(columns), step):
        part = slice(start, start + step)
        block = np.array(X[:, columns[part]], dtype=np.float64)
        np.ldexp(block, -exponents[part], out=block)
        # shifted by the first row, as in _panel_scales (np.std's steps would
        # subtract a rounded mean: a few ulps off on nearly constant columns)
        block -= block[0].copy()
        s1, s2 = block.sum(axis=0), np.einsum("ij,ij->j", block, block)
        scales[part] = np.ldexp(_std(s1, s2, n), exponents[part])
        del block  # before the next block is made: one at a time
    return scales
