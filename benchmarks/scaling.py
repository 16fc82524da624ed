"""(f) Scaling: DeepNNClassifier's time per epoch against rows and against width.

Config (a) otherwise (256 standard-normal features, 10 classes, Adam, batch 256,
float64). Rows: 1k, 5k, 20k, 100k (--quick: up to 20k) with hidden (256, 128).
Width w in 64, 128, 256, 512 with hidden (w, w/2) on 20k rows (--quick: 5k).
Per epoch = (fit with 1 + k epochs - fit with 1 epoch) / k, k chosen so the difference
lasts ~0.4 s, min over 3 rounds with every point interleaved in each round; the
FLOP rate counts 6 n sum(d_in d_out) per epoch, as in (a).
"""

import numpy as np

import _common as C
import epoch


#: Each difference of fits is made about this long (more epochs for small ones), so
#: the clock's noise on a shared machine is a small part of it.
DIFFERENCE_S = 0.4
#: Rounds over every point; each point's minimum is kept.
ROUNDS = 3


def _extra_epochs(n, width):
    """k: epochs beyond the first, from a rough epoch time (~20 ms per 1k rows at
    width 256, ~ width^2), so that k epochs take about ``DIFFERENCE_S``."""
    rough = 0.02 * (n / 1000) * (width / 256) ** 2 + 1e-3
    return int(np.clip(round(DIFFERENCE_S / rough), 1, 20))


def _measure(points, rounds):
    """Per-epoch time of every point, the points interleaved round by round.

    Measured one after the other, a change of the machine's load between points
    shows up as a change of slope (seen: 18 to 21 ms per 1k rows from one point to
    the next); interleaved, every point sees every phase of the load and the
    minima compare like with like.
    """
    samples = {n: epoch.data(n_samples=n) for n in {n for n, _ in points}}
    extra = {p: _extra_epochs(*p) for p in points}
    timing = C.per_epoch(lambda p, it: epoch.make("ours", it, (p[1], p[1] // 2)),
                         points, None, None, lo=1, repeats=rounds,
                         his={p: 1 + k for p, k in extra.items()},
                         data={p: samples[p[0]] for p in points})
    return {p: {**timing[p], "extra_epochs": extra[p]} for p in points}


def _point(n, width, timing, peak):
    hidden = (width, width // 2)
    s = timing["epoch_s"]
    flops = C.epoch_flops(n, (epoch.N_FEATURES, *hidden, epoch.N_CLASSES))
    return {"n_samples": n, "hidden": hidden, "epoch_s": s,
            "epoch_s_per_1k": s / (n / 1000), "gflops": flops / s / 1e9,
            "share_of_peak": flops / s / peak, "overhead_s": timing["overhead_s"],
            "extra_epochs": timing["extra_epochs"]}


def run(quick=False):
    peak = C.gemm_peak(np.float64)
    sizes = (1_000, 5_000, 20_000) if quick else (1_000, 5_000, 20_000, 100_000)
    n_width = 5_000 if quick else 20_000
    widths = (64, 128, 256, 512)
    points = [(n, 256) for n in sizes] + [(n_width, w) for w in widths if w != 256
                                         or n_width not in sizes]
    timing = _measure(points, 1 if quick else ROUNDS)
    by_rows = [_point(n, 256, timing[n, 256], peak) for n in sizes]
    by_width = [_point(n_width, w, timing[n_width, w], peak) for w in widths]
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
