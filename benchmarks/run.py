"""Performance benchmarks of sknn_scratch against scikit-learn, in one table.

    python benchmarks/run.py            # full: ~10 minutes
    python benchmarks/run.py --quick    # smaller sizes: ~3 minutes
    python benchmarks/run.py --sections a,c   # some sections only (nothing saved)

Sections (one module each, ``run(quick) -> (rows, results)``):

  a  epoch.py     epoch time vs MLPClassifier, float64/float32, % of GEMM peak
  b  course.py    the course's full-batch cat net vs the notes' NumPy loop
  c  newton.py    ScratchLogisticRegression(newton) vs LogisticRegression(lbfgs)
  d  memory.py    peak allocation of fit beyond the input; no float32 upcast
  e  predict.py   predict_proba on 1M x 256 float32 rows: memory and time
  f  scaling.py   s/epoch against rows and width
  g  outofcore.py ``sknn-scratch train`` on growing HDF5 files: peak RSS
  h  deployment.py (when present) latency of estimator / runtime / onnxruntime
  i  diagnostics.py cost of dead-unit counting and the end-of-fit check per epoch
  j  logistic.py  LR at defaults vs LogisticRegression: sparse, wide, multiclass
  k  sparsenet.py DeepNNClassifier epoch on CSR input vs MLPClassifier
  l  lessons.py   the three lesson presets in full: wall time (2 processes) and
                  accuracies beside the course's
  m  defaults.py  the estimators at their defaults vs LogisticRegression /
                  MLPClassifier at theirs: 5-fold CV accuracy and fit time
  n  scaleout.py  grid search on 20,000 x 100 through fit_on_dask with a worker
                  killed at the worst moment: wall time vs serial, cv_results_ equal
  o  objective.py the logistic objective + gradient per call (Newton's and
                  L-BFGS's evaluation) vs LinearModelLoss.loss_gradient

A full run (all sections) prints the table and writes benchmarks/results.json and
benchmarks/RESULTS.md. By default BLAS is limited to one thread and times are CPU
times (see _common.py): on a shared machine that keeps the numbers comparable
between runs; ``--threads N`` uses N threads and wall-clock time instead.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # the sections, then this sknn_scratch

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

import _common as C  # noqa: E402

SECTIONS = {"a": "epoch", "b": "course", "c": "newton", "d": "memory", "e": "predict",
            "f": "scaling", "g": "outofcore", "h": "deployment", "i": "diagnostics",
            "j": "logistic", "k": "sparsenet", "l": "lessons",
            "m": "defaults", "n": "scaleout", "o": "objective"}
TITLES = {"a": "epoch time vs MLPClassifier", "b": "course cat net vs the notes' loop",
          "c": "Newton logistic regression vs lbfgs", "d": "fit memory",
          "e": "predict_proba on 1M rows", "f": "scaling", "g": "out-of-core training",
          "h": "deployment latency", "i": "training diagnostics' cost",
          "j": "LR at defaults on sparse, wide, multiclass", "k": "nets on sparse input",
          "l": "lesson presets", "m": "defaults vs scikit-learn's",
          "n": "scale-out surviving a killed worker",
          "o": "logistic objective + gradient per call"}
COLUMNS = (("section", "sec"), ("what", "measurement"), ("ours", "sknn_scratch"),
           ("reference", "reference"), ("result", "result"), ("target", "target"),
           ("ok", "ok"))


def deployment_rows(results):
    """Rows for the table from benchmarks/deployment.py's own result dict."""
    rows = []
    latency, config = results["latency"], results["config"]
    for name, t in latency.items():
        reference = ("pipeline: sklearn Pipeline" if name.startswith("pipeline:")
                     else "estimator.predict_proba")
        base = latency.get(reference)
        speed = "" if base is None or name == reference else (
            f"{base['1_row_s'] / t['1_row_s']:.1f}x / "
            f"{base['batch_s'] / t['batch_s']:.1f}x faster than "
            + ("sklearn's Pipeline" if name.startswith("pipeline:") else "the estimator"))
        rows.append(C.row("h", f"{name}: 1 row / {config['batch_rows']:,} rows (wall)",
                          f"{t['1_row_s'] * 1e6:.0f} us / {t['batch_s'] * 1e3:.2f} ms",
                          None, speed or None))
    # targets of the pipeline-files issue, one-row latency in the same run
    for what, name, reference, target in (
            ("estimator 1-row predict_proba vs MLPClassifier's", "estimator.predict_proba",
             "MLPClassifier.predict_proba", 0.5),
            ("runtime on a pipeline file, 1 row, vs sklearn's Pipeline",
             "pipeline: runtime (NumPy)", "pipeline: sklearn Pipeline", 0.25)):
        if name in latency and reference in latency:
            ratio = latency[name]["1_row_s"] / latency[reference]["1_row_s"]
            rows.append(C.row("h", what, f"{latency[name]['1_row_s'] * 1e6:.0f} us",
                              f"{latency[reference]['1_row_s'] * 1e6:.0f} us",
                              f"{ratio:.2f}x", f"<= {target}x", ratio <= target))
    sizes = ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in results["sizes_bytes"].items())
    rows.append(C.row("h", "model file sizes", None, None, sizes))
    if "onnx_skipped" in config:
        rows.append(C.row("h", "onnxruntime", None, None,
                          f"skipped: {config['onnx_skipped']}"))
    return rows


def run_section(key, quick):
    module = importlib.import_module(SECTIONS[key])
    if key == "h":
        with C.quiet():
            results = module.run(verbose=False)
        return deployment_rows(results), results
    with C.thread_limit():
        return module.run(quick=quick)


def format_table(rows):
    def cell(row, key):
        value = row.get(key)
        if key == "ok":
            return "" if value is None else ("ok" if value else "MISS")
        return "" if value is None else str(value)

    cells = [[title for _, title in COLUMNS]] + [[cell(r, k) for k, _ in COLUMNS]
                                                 for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = []
    for n, line in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def environment():
    from threadpoolctl import threadpool_info

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = [f"{i['internal_api']} {i.get('version')} ({i.get('architecture')})"
            for i in threadpool_info() if i["user_api"] == "blas"]
    return {"python": platform.python_version(), "numpy": np.__version__,
            "sklearn": sklearn.__version__, "cpu": cpu, "cores": os.cpu_count(),
            "blas": sorted(set(blas))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (~3 min)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads (default 1: CPU time; more: wall time)")
    parser.add_argument("--sections", default=None,
                        help="comma-separated section letters, e.g. a,c (no files saved)")
    args = parser.parse_args(argv)
    C.configure(args.threads)
    keys = list(SECTIONS) if args.sections is None else args.sections.split(",")
    unknown = [k for k in keys if k not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; choose among {list(SECTIONS)}")
    if "h" in keys and not os.path.exists(os.path.join(HERE, "deployment.py")):
        keys.remove("h")

    mode = "quick" if args.quick else "full"
    started = time.perf_counter()
    rows, results, loads = [], {}, {}
    for key in keys:
        loads[key] = C.load_average()
        print(f"[{key}] {TITLES[key]} (load average {loads[key]}) ...", file=sys.stderr,
              flush=True)
        t0 = time.perf_counter()
        try:
            if key == "h" and not hasattr(importlib.import_module("deployment"), "run"):
                continue
            section_rows, section_results = run_section(key, args.quick)
        except Exception as exc:  # one broken section must not hide the others
            section_rows = [C.row(key, f"{TITLES[key]}: FAILED", None, None,
                                  f"{type(exc).__name__}: {exc}")]
            section_results = {"error": traceback.format_exc()}
            traceback.print_exc()
        elapsed = time.perf_counter() - t0
        rows += section_rows
        results[SECTIONS[key]] = {"elapsed_s": elapsed, "load_average": loads[key],
                                  **section_results}
        print(f"[{key}] done in {elapsed:.0f} s", file=sys.stderr, flush=True)

    total = time.perf_counter() - started
    end_load = C.load_average()
    clock = ("CPU time of this process (1 BLAS thread)" if C.CLOCK == "cpu"
             else f"wall-clock time ({C.THREADS} BLAS threads)")
    env = environment()
    header = [
        f"sknn_scratch benchmarks, {mode} run, "
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, {total / 60:.1f} min",
        f"{env['cpu']}, {env['cores']} cores; numpy {env['numpy']}, scikit-learn "
        f"{env['sklearn']}, {', '.join(env['blas'])}",
        f"times: {clock}; minima (or medians) of interleaved repeats",
        "load average (1 min) at the start of each section: "
        + ", ".join(f"{k} {v[0]}" for k, v in loads.items() if v) + f"; at the end "
        f"{end_load[0] if end_load else '?'}",
    ]
    table = format_table(rows)
    print("\n".join(header) + "\n\n" + table)

    if args.sections is None:
        payload = {"mode": mode, "threads": C.THREADS, "clock": C.CLOCK,
                   "total_s": total, "load_average_end": end_load, "environment": env,
                   "rows": rows, "sections": results}
        with open(os.path.join(HERE, "results.json"), "w") as f:
            json.dump(payload, f, indent=1, default=_plain)
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write("# Benchmark results\n\nOutput of `python benchmarks/run.py"
                    + (" --quick" if args.quick else "") + "`:\n\n"
                    + "\n".join(header) + "\n\n" + table + "\n")
    return 0


def _plain(value):
    """JSON for NumPy scalars and arrays, tuples stay lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
