"""(f) Scaling: DeepNNClassifier's time per epoch against rows and against width.

Config (a) otherwise (256 standard-normal features, 10 classes, Adam, batch 256,
float64). Rows: 1k, 5k, 20k, 100k (--quick: up to 20k) with hidden (256, 128).
Width w in 64, 128, 256, 512 with hidden (w, w/2) on 20k rows (--quick: 5k).
Per epoch = (fit with 1 + k epochs - fit with 1 epoch) / k, min over repeats; the
FLOP rate counts 6 n sum(d_in d_out) per epoch, as in (a).
"""

import numpy as np

import _common as C
import epoch


def _point(n, width, quick, peak):
    X, y = epoch.data(n_samples=n)
    hidden = (width, width // 2)
    extra = 1 if n >= 50_000 else 2 if n >= 10_000 else 4  # k more epochs
    repeats = 2 if n >= 50_000 else 3 if n >= 10_000 else 5
    timing = C.per_epoch(lambda name, it: epoch.make(name, it, hidden), ["ours"], X, y,
                         lo=1, hi=1 + extra, repeats=repeats)["ours"]
    s = timing["epoch_s"]
    flops = C.epoch_flops(n, (X.shape[1], *hidden, epoch.N_CLASSES))
    return {"n_samples": n, "hidden": hidden, "epoch_s": s,
            "epoch_s_per_1k": s / (n / 1000), "gflops": flops / s / 1e9,
            "share_of_peak": flops / s / peak, "overhead_s": timing["overhead_s"]}


def run(quick=False):
    peak = C.gemm_peak(np.float64)
    sizes = (1_000, 5_000, 20_000) if quick else (1_000, 5_000, 20_000, 100_000)
    n_width = 5_000 if quick else 20_000
    by_rows = [_point(n, 256, quick, peak) for n in sizes]
    by_width = [_point(n_width, w, quick, peak) for w in (64, 128, 256, 512)]
    rows = []
    for p in by_rows:
        rows.append(C.row("f", f"rows {p['n_samples']:>7,}, hidden (256, 128): s/epoch",
                          f"{p['epoch_s']:.4f}", None,
                          f"{p['epoch_s_per_1k'] * 1e3:.1f} ms per 1k rows; "
                          f"{p['share_of_peak']:.0%} of peak"))
    for p in by_width:
        rows.append(C.row("f", f"width {p['hidden']}, {n_width:,} rows: s/epoch",
                          f"{p['epoch_s']:.4f}", None,
                          f"{p['epoch_s_per_1k'] * 1e3:.1f} ms per 1k rows; "
                          f"{p['share_of_peak']:.0%} of peak"))
    # linear in rows: the time per 1k rows stays the same from 1k to 100k rows
    per_1k = [p["epoch_s_per_1k"] for p in by_rows]
    spread = max(per_1k) / min(per_1k)
    rows.append(C.row("f", f"time per 1k rows, {sizes[0]:,} to {sizes[-1]:,} rows: "
                           "max / min", f"{spread:.2f}", None,
                      "1.00 is exactly linear in rows", "<= 1.15", spread <= 1.15))
    # in width: time against the epoch's FLOPs (sum d_in d_out grows ~ width^2)
    per_gflop = [1.0 / p["gflops"] for p in by_width]  # seconds per GFLOP
    rows.append(C.row("f", "width: s per GFLOP of the epoch, narrowest to widest",
                      " / ".join(f"{t:.3f}" for t in per_gflop), None,
                      "falls as width grows: per-step overhead spread over more "
                      "FLOPs, no super-linear growth", "not rising",
                      all(b <= a * 1.1 for a, b in zip(per_gflop, per_gflop[1:]))))
    return rows, {"gemm_peak_flops_float64": peak, "by_rows": by_rows,
                  "by_width": by_width, "rows_spread": spread}
