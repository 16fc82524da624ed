"""(d) Memory of ``fit``: peak tracemalloc allocation beyond the input.

Config (a) (20,000 x 256, hidden (256, 128), Adam, batch 256), 3 epochs, for
DeepNNClassifier and MLPClassifier in float64 and float32. X and y exist before
tracing starts, so the peak is what ``fit`` allocates on top of them (NumPy reports
its allocations to tracemalloc). A float32 fit that upcast X would need a float64
copy of it (40 MB) on top of everything else, so its peak would not be about half
the float64 one.
"""

import gc
import tracemalloc

import numpy as np

import _common as C
import epoch


def peak_allocation(fn):
    """Peak bytes allocated while ``fn()`` runs, beyond what was allocated before."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, result


def run(quick=False):
    X64, y = epoch.data()
    rows, results = [], {}
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        X = X64.astype(dtype)
        peaks = {}
        for who in ("ours", "mlp"):
            with C.quiet():
                est = epoch.make(who, 3)
                peaks[who], _ = peak_allocation(lambda: est.fit(X, y))
            peaks[who + "_weights_dtype"] = str(est.coefs_[0].dtype)
        results[name] = {**peaks, "input_bytes": X.nbytes}
        ratio = peaks["ours"] / peaks["mlp"]
        rows.append(C.row("d", f"fit peak beyond X ({C.mb(X.nbytes)}), {name}",
                          C.mb(peaks["ours"]), f"MLP {C.mb(peaks['mlp'])}",
                          f"{ratio:.2f}x", "<= 1.00x", ratio <= 1.0))
    f64, f32 = results["float64"], results["float32"]
    half = f32["ours"] / f64["ours"]
    upcast = X64.nbytes  # what a float64 copy of the float32 X would add
    ok = half < 0.6 and f32["ours_weights_dtype"] == "float32"
    rows.append(C.row("d", "float32 fit: peak f32 / f64, weights dtype", f"{half:.2f}",
                      f"MLP {f32['mlp'] / f64['mlp']:.2f}",
                      f"weights {f32['ours_weights_dtype']}; an upcast X would add "
                      f"{C.mb(upcast)}", "~0.5, float32", ok))
    results["float32_over_float64"] = half
    return rows, results
