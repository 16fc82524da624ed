"""(a) Epoch time, same work: DeepNNClassifier vs sklearn's MLPClassifier.

20,000 x 256 standard-normal rows, 10 classes, hidden (256, 128), Adam, batch 256,
alpha 1e-4, learning rate 1e-3, shuffled, in float64 and float32. The time of one
epoch is (fit with 4 epochs - fit with 1 epoch) / 3 with early stopping disabled,
so input validation, initialisation and the other fixed costs of ``fit`` drop out.
% of peak: the epoch's 6 n sum(d_in d_out) FLOPs per second over the throughput of a
1024 x 1024 ``a @ a`` measured in the same run and dtype.

Each dtype is measured twice: under the run's thread setting (one BLAS thread and
CPU time by default, steady on a shared machine) and with one BLAS thread per core
and wall-clock time, the issue's setting (threadpoolctl's thread count is recorded
in results.json). NumPy's element-wise passes run on one core either way, which is
why the share of peak is lower with two threads: the peak doubles, they do not
speed up.

Two yardsticks are timed in the same rounds (see lean.py): the same training as
one lean NumPy loop (the floor of a NumPy implementation), and its matrix products
alone. The 6 n sum(d_in d_out) convention counts the input layer's delta, which
backprop never needs; the products actually run are 78% of it here, which is why
the GEMMs alone come out near or above 100% "of peak".
"""

import os

import numpy as np
from sklearn.neural_network import MLPClassifier

from sknn_scratch import DeepNNClassifier

import _common as C
from lean import GemmFloor, LeanNumpyNet

N_SAMPLES, N_FEATURES, N_CLASSES, HIDDEN, BATCH = 20_000, 256, 10, (256, 128), 256
#: Issue 14's targets (the core stays NumPy): per dtype, epoch time over
#: MLPClassifier's, share of GEMM peak, and for float64 the epoch at most 5% above
#: the lean NumPy loop's (lean.py) measured in the same run (None: no such target).
TARGETS = {"float64": (0.78, 0.60, 1.05), "float32": (0.65, 0.60, None)}


def data(n_samples=N_SAMPLES, n_features=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_samples, n_features)),
            rng.integers(0, N_CLASSES, n_samples))


def make(name, max_iter, hidden=HIDDEN):
    if name == "lean":
        return LeanNumpyNet(hidden, max_iter, batch_size=BATCH)
    if name == "gemm":
        return GemmFloor(hidden, max_iter, batch_size=BATCH, n_outputs=N_CLASSES)
    if name == "ours":
        return DeepNNClassifier(hidden, alpha=1e-4, learning_rate=1e-3, batch_size=BATCH,
                                max_iter=max_iter, tol=None, random_state=0)
    return MLPClassifier(hidden, alpha=1e-4, learning_rate_init=1e-3, batch_size=BATCH,
                         max_iter=max_iter, shuffle=True, tol=0.0,
                         n_iter_no_change=10**9, random_state=0)


SIZES = (N_FEATURES, *HIDDEN, N_CLASSES)
FLOPS = C.epoch_flops(N_SAMPLES, SIZES)  # of one epoch


def _measure(X64, y, dtype, quick, label):
    """Rows and results of one dtype under the current thread limit and clock."""
    name = np.dtype(dtype).name
    X = X64.astype(dtype)
    peaks = []
    timing = C.per_epoch(make, ["ours", "mlp", "lean", "gemm"], X, y, lo=1, hi=4,
                         repeats=2 if quick else 3,
                         between=lambda: peaks.append(C.gemm_peak(dtype)))
    peak = max(peaks)
    ours, mlp = timing["ours"]["epoch_s"], timing["mlp"]["epoch_s"]
    ratio = ours / mlp
    share = FLOPS / ours / peak
    target_ratio, target_share, target_lean = TARGETS[name]
    results = {**timing, "gemm_peak_flops": peak, "ratio": ratio,
               "share_of_peak": share, "mlp_share_of_peak": FLOPS / mlp / peak,
               "blas_threads": C.blas_threads_in_use(), "clock": C.CLOCK}
    rows = [C.row("a", f"epoch {name}, {label}: s/epoch (ours vs MLP)", f"{ours:.3f}",
                  f"MLP {mlp:.3f}", f"{ratio:.2f}x", f"<= {target_ratio:.2f}x",
                  ratio <= target_ratio),
            C.row("a", f"epoch {name}, {label}: % of GEMM peak", f"{share:.0%}",
                  f"MLP {FLOPS / mlp / peak:.0%}",
                  f"{FLOPS / ours / 1e9:.1f} of {peak / 1e9:.1f} GFLOP/s",
                  f">= {target_share:.0%}", share >= target_share)]
    lean = timing["lean"]["epoch_s"]
    results["lean_ratio"] = ours / lean
    if target_lean is not None:
        rows.append(C.row("a", f"epoch {name}, {label}: vs the lean NumPy loop",
                          f"{ours:.3f}", f"lean {lean:.3f}", f"{ours / lean:.2f}x",
                          f"<= {target_lean:.2f}x", ours / lean <= target_lean))
    for who, what in (("lean", "same training as a lean NumPy loop"),
                      ("gemm", "its 8 matrix products alone")):
        t = timing[who]["epoch_s"]
        rows.append(C.row("a", f"  yardstick: {what}", None, f"{t:.3f}",
                          f"{t / mlp:.2f}x MLP; {FLOPS / t / peak:.0%} of peak"))
    rows.append(C.row("a", "  fit overhead (fit(1 epoch) - 1 epoch), s",
                      f"{timing['ours']['overhead_s']:.3f}",
                      f"MLP {timing['mlp']['overhead_s']:.3f}"))
    return rows, results


def run(quick=False):
    """Both dtypes twice: with the run's thread setting (1 BLAS thread and CPU time
    by default: steady on a shared machine), then with every core, as the issue
    measures (BLAS threads left to OpenBLAS, wall-clock time)."""
    X64, y = data()
    rows, results = [], {"config": {"n_samples": N_SAMPLES, "sizes": SIZES,
                                    "batch_size": BATCH, "epoch_flops": FLOPS}}
    settings = [C.THREADS] + ([os.cpu_count()] if os.cpu_count() != C.THREADS else [])
    for threads in settings:
        with C.threads_and_clock(threads):
            label = (f"{threads} BLAS thread{'s' if threads > 1 else ''}, "
                     f"{'CPU time' if C.CLOCK == 'cpu' else 'wall'}")
            for dtype in (np.float64, np.float32):
                section_rows, section_results = _measure(X64, y, dtype, quick, label)
                rows += section_rows
                results[f"{np.dtype(dtype).name}_{threads}_threads"] = section_results
    return rows, results
