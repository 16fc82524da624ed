"""Shared helpers of the benchmark sections: the clock, thread limits, GEMM peak, rows.

The machine these run on is often shared, so every comparison is measured in the
same run, the candidates interleaved (round-robin), repeated, and summarised by the
minimum (noise from other processes only ever adds time).

The clock: with one BLAS thread (the default of ``run.py``) time is measured as
this process's CPU time (``time.process_time``: user + system, page faults
included). Other processes on the same cores then cost us no time: on a
2-core machine with a load average of 7 a 1024x1024 GEMM takes twice its CPU
time in wall-clock time, the CPU time stays within a few percent. With more
threads, OpenBLAS's spinning threads would inflate CPU time, so wall-clock time
(``time.perf_counter``) is used instead.
"""

import contextlib
import os
import time
import warnings

import numpy as np

#: 'cpu' or 'wall'; set by run.py (see the module docstring).
CLOCK = "cpu"
THREADS = 1


def now():
    return time.process_time() if CLOCK == "cpu" else time.perf_counter()


def configure(threads):
    global CLOCK, THREADS
    THREADS = threads
    CLOCK = "cpu" if threads == 1 else "wall"


def thread_limit(threads=None):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads or THREADS)


def blas_threads_in_use():
    """``num_threads`` of each loaded BLAS library (threadpoolctl's view)."""
    from threadpoolctl import threadpool_info

    return sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})


@contextlib.contextmanager
def threads_and_clock(threads):
    """Within the block: ``threads`` BLAS threads and the matching clock (see above)."""
    saved = CLOCK, THREADS
    configure(threads)
    try:
        with thread_limit(threads):
            yield
    finally:
        configure(saved[1])


def load_average():
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on Linux/macOS
        return None


@contextlib.contextmanager
def quiet():
    """No ConvergenceWarning & co. from fits that stop early on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def timed(fn):
    """Run ``fn()`` and return (seconds on the clock, result)."""
    start = now()
    result = fn()
    return now() - start, result


def gemm_peak(dtype, n=1024, repeats=5):
    """Best measured throughput (FLOP/s) of ``a @ a`` for an n x n ``a``."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, a, out=out)  # warm-up
    best = min(timed(lambda: np.matmul(a, a, out=out))[0] for _ in range(repeats))
    return 2.0 * n ** 3 / best


def epoch_flops(n_samples, sizes):
    """The conventional cost of one training epoch: 6 n sum(d_in d_out)
    (forward 2, and backward 4: the weight gradient and the input delta)."""
    return 6.0 * n_samples * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def per_epoch(make, names, X, y, lo=1, hi=4, repeats=3, between=None, his=None,
              data=None):
    """Seconds per epoch of each candidate, fixed fit overhead excluded.

    ``make(name, max_iter)`` builds an unfitted estimator. Each repeat fits every
    candidate with ``max_iter=lo`` and ``max_iter=hi``, candidates interleaved;
    per epoch = (min t_hi - min t_lo) / (hi - lo), overhead = min t_lo - lo epochs.
    ``between()`` (e.g. a GEMM peak measurement) runs once per repeat.
    Optional per-candidate dicts: ``his[name]`` replaces ``hi`` and
    ``data[name]`` = ``(X, y)`` replaces ``X, y`` for that candidate.
    """
    his = {name: (his or {}).get(name, hi) for name in names}
    data = {name: (data or {}).get(name, (X, y)) for name in names}
    times = {(name, it): [] for name in names for it in (lo, his[name])}
    for _ in range(repeats):
        if between is not None:
            between()
        for name in names:
            X_fit, y_fit = data[name]
            for it in (lo, his[name]):
                with quiet():
                    est = make(name, it)
                    times[name, it].append(timed(lambda: est.fit(X_fit, y_fit))[0])
    out = {}
    for name in names:
        hi_name = his[name]
        t_lo, t_hi = min(times[name, lo]), min(times[name, hi_name])
        epoch = max(t_hi - t_lo, 0.0) / (hi_name - lo)
        out[name] = {"epoch_s": epoch, "overhead_s": t_lo - lo * epoch,
                     "fit_s": {str(lo): times[name, lo],
                               str(hi_name): times[name, hi_name]}}
    return out


def row(section, what, ours=None, reference=None, result=None, target=None, ok=None,
        **extra):
    """One line of the final table (all cells are preformatted strings)."""
    return {"section": section, "what": what, "ours": ours, "reference": reference,
            "result": result, "target": target, "ok": ok, **extra}


def mb(nbytes):
    return f"{nbytes / 2**20:,.1f} MB"


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def catvnoncat_dir():
    """$SKNN_SCRATCH_DATA (or its catvnoncat/), else ../shared/datasets/catvnoncat."""
    candidates = []
    if os.environ.get("SKNN_SCRATCH_DATA"):
        root = os.environ["SKNN_SCRATCH_DATA"]
        candidates += [os.path.join(root, "catvnoncat"), root]
    candidates.append(os.path.join(repo_root(), "..", "shared", "datasets", "catvnoncat"))
    for folder in candidates:
        if all(os.path.isfile(os.path.join(folder, f"{part}_catvnoncat.h5"))
               for part in ("train", "test")):
            return os.path.normpath(folder)
    return None
