"""(e) predict_proba on 1,000,000 x 256 float32 rows: bounded extra memory, time.

The model is config (a) in float32 (hidden (256, 128), 10 classes) trained for one
epoch. X (1 GB) exists before tracing; the peak tracemalloc allocation of
``predict_proba`` beyond it is compared with what the answer itself needs (1M x 10
float32 = 40 MB) and with MLPClassifier, which runs the whole batch through every
layer at once. Times: min of the (interleaved) repeats, without tracemalloc.
"""

import numpy as np

import _common as C
import epoch
from memory import peak_allocation

N_ROWS = 1_000_000


def run(quick=False):
    X_train, y_train = epoch.data()
    X_train = X_train.astype(np.float32)
    models = {}
    with C.quiet():
        for who in ("ours", "mlp"):
            models[who] = epoch.make(who, 1).fit(X_train, y_train)
    X = np.random.default_rng(1).standard_normal((N_ROWS, X_train.shape[1]),
                                                   dtype=np.float32)
    peaks, times = {}, {who: [] for who in models}
    for who, model in models.items():
        peaks[who], proba = peak_allocation(lambda: model.predict_proba(X))
        peaks[who + "_output_bytes"] = proba.nbytes
        del proba
    for _ in range(1 if quick else 2):
        for who, model in models.items():
            times[who].append(C.timed(lambda: model.predict_proba(X))[0])
    ours, mlp = min(times["ours"]), min(times["mlp"])
    out = peaks["ours_output_bytes"]
    rows = [C.row("e", f"predict_proba 1M x 256 float32 (X {C.mb(X.nbytes)}): "
                  "peak beyond X", C.mb(peaks["ours"]), f"MLP {C.mb(peaks['mlp'])}",
                  f"{peaks['ours'] / out:.1f}x the {C.mb(out)} answer",
                  "bounded (not ~ n x width)", peaks["ours"] < 0.25 * X.nbytes),
            C.row("e", "predict_proba 1M x 256 float32: time, s", f"{ours:.2f}",
                  f"MLP {mlp:.2f}", f"{ours / mlp:.2f}x; "
                  f"{2 * N_ROWS * sum(W.size for W in models['ours'].coefs_) / ours / 1e9:.0f}"
                  " GFLOP/s")]
    results = {"n_rows": N_ROWS, "input_bytes": X.nbytes, "peak_bytes": peaks,
               "time_s": times}
    return rows, results
