"""Deployment latency and file sizes: estimator vs NumPy runtime vs onnxruntime.

    python benchmarks/deployment.py

or ``from deployment import run; results = run()`` (what ``benchmarks/run.py``
calls). Two models are trained briefly on digits, saved with ``save_model`` and
exported to ONNX (float32 and float64 graphs): the pipeline users fit,
``make_pipeline(StandardScaler(), DeepNNClassifier((256, 128)))`` on the raw
pixels, and the bare ``DeepNNClassifier((256, 128))`` on pixels / 16. Then the
median latency of ``predict_proba`` on 1 row and on 1,000 rows is measured, in
the same run, for

* the pipeline loaded with ``load_model`` (scikit-learn's Pipeline: the
  scaler's and the estimator's input validation, the NumPy core), and
  ``sknn_scratch.runtime`` serving the same file (scaler and net in NumPy);
* the estimator (scikit-learn input validation + the NumPy core),
* ``sknn_scratch.runtime`` (the same NumPy core, no scikit-learn),
* onnxruntime on the float32 graph and on the float64 graph of each,

every one on one thread (NumPy's BLAS limited with threadpoolctl when it is
installed, onnxruntime with ``intra_op_num_threads=1`` and no spinning): the
numbers compare the code paths, not the thread pools, and stay stable on a
shared machine. The candidates are timed in turns (blocks of consecutive
calls, round-robin), each call with ``time.perf_counter``; medians reported.
The HDF5 file holds the weights, the Adam moments (2x the weights) and the
training history; the weights-only file (``include_optimizer_state=False``, the
deployment file) the weights, preprocessing and metadata; the ONNX files hold
the weights in their type. The runtime's peak memory while loading each HDF5
file (``tracemalloc``: the arrays it allocates) is shown beside the weights'
size: the runtime reads the weights, never the optimizer's moments.
"""

import contextlib
import itertools
import os
import statistics
import tempfile
import time
import tracemalloc
import warnings

import numpy as np


def _median_seconds(calls, repeats, blocks=5):
    """Median time of one call of each candidate.

    The ``repeats`` calls of a candidate run in ``blocks`` runs of consecutive
    calls (warm caches, as when serving), the candidates' runs taking turns
    (round-robin), so that a change in the machine's load during the
    measurement hits every candidate alike.
    """
    for fn in calls.values():
        fn()  # warm-up: first-call allocations, lazy imports
    times = {name: [] for name in calls}
    per_block = max(1, repeats // blocks)
    for _ in range(blocks):
        for name, fn in calls.items():
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def run(*, hidden_layer_sizes=(256, 128), max_iter=10, repeats_one=300,
        repeats_batch=30, batch_rows=1000, random_state=0, verbose=True):
    """Measure and (if ``verbose``) print the table; return the numbers as a dict.

    Returns
    -------
    dict
        ``latency``: {name: {"1_row_s": median seconds, "batch_s": ...}},
        ``sizes_bytes``: {"weights_float64": raw array bytes, "hdf5": ...,
        "onnx_float32": ..., "onnx_float64": ...},
        ``config``: what was measured (layers, rows, repeats, versions).
    """
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknn_scratch import DeepNNClassifier, runtime
    from sknn_scratch.io import load_model, save_model

    pixels, y = load_digits(return_X_y=True)
    X = pixels / 16.0
    est = DeepNNClassifier(hidden_layer_sizes, max_iter=max_iter,
                           random_state=random_state)
    pipe = make_pipeline(StandardScaler(), DeepNNClassifier(
        hidden_layer_sizes, max_iter=max_iter, random_state=random_state))
    mlp = MLPClassifier(hidden_layer_sizes, max_iter=max_iter, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # trained briefly on purpose
        est.fit(X, y)
        pipe.fit(pixels, y)
        mlp.fit(X, y)
    rows = np.resize(X, (batch_rows, X.shape[1]))  # 1,000 rows (digits has 1,797)
    one = X[:1]
    pixel_rows = np.resize(pixels, (batch_rows, X.shape[1]))

    workdir = tempfile.mkdtemp(prefix="sknn-deploy-")
    h5_path = os.path.join(workdir, "model.h5")
    save_model(est, h5_path)
    model = runtime.load(h5_path)
    pipe_path = os.path.join(workdir, "pipeline.h5")
    save_model(pipe, pipe_path)
    pipe_loaded, pipe_model = load_model(pipe_path), runtime.load(pipe_path)
    # (function, input dtype, pixels?): pipelines take the raw pixels
    candidates = {
        "pipeline: sklearn Pipeline": (pipe_loaded.predict_proba, np.float64, True),
        "pipeline: runtime (NumPy)": (pipe_model.predict_proba, np.float64, True),
        "estimator.predict_proba": (est.predict_proba, np.float64, False),
        "MLPClassifier.predict_proba": (mlp.predict_proba, np.float64, False),
        "runtime.predict_proba (NumPy)": (model.predict_proba, np.float64, False)}
    light_path = os.path.join(workdir, "weights-only.h5")
    save_model(est, light_path, include_optimizer_state=False)
    sizes = {"weights_float64": sum(a.nbytes for a in est.coefs_ + est.intercepts_),
             "hdf5": os.path.getsize(h5_path),
             "hdf5_weights_only": os.path.getsize(light_path),
             "hdf5_pipeline": os.path.getsize(pipe_path)}
    load_peak = {"hdf5": _load_peak(runtime.load, h5_path),
                 "hdf5_weights_only": _load_peak(runtime.load, light_path),
                 "hdf5_load_model": _load_peak(load_model, h5_path)}
    config = {"hidden_layer_sizes": tuple(hidden_layer_sizes),
              "n_features": X.shape[1], "n_classes": len(est.classes_),
              "max_iter": max_iter, "batch_rows": batch_rows,
              "repeats_one": repeats_one, "repeats_batch": repeats_batch,
              "train_accuracy": float(est.score(X, y)), "threads": 1,
              "numpy": np.__version__}
    try:
        import onnxruntime as ort

        from sknn_scratch.onnx import to_onnx
    except ImportError as exc:
        config["onnx_skipped"] = f"{exc} (pip install 'sknn-scratch[onnx]')"
    else:
        config["onnxruntime"] = ort.__version__
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        # no busy-waiting after a run: it would steal the core from the next candidate
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        for dtype, (fitted, kind, data) in itertools.product(
                (np.float32, np.float64), ((pipe, "pipeline", pixel_rows),
                                           (est, "estimator", rows))):
            name = np.dtype(dtype).name
            onx = to_onnx(fitted, dtype=dtype, zipmap=False)
            path = os.path.join(workdir, f"{kind}-{name}.onnx")
            with open(path, "wb") as f:
                f.write(onx.SerializeToString())
            sizes[f"onnx_{name}" if kind == "estimator" else
                  f"onnx_pipeline_{name}"] = os.path.getsize(path)
            sess = ort.InferenceSession(path, options,
                                        providers=["CPUExecutionProvider"])

            def proba(data, sess=sess):
                return sess.run(["probabilities"], {"X": data})[0]

            label = (f"onnxruntime {name} graph" if kind == "estimator"
                     else f"pipeline: onnxruntime {name}")
            candidates[label] = (proba, dtype, kind == "pipeline")
            np.testing.assert_allclose(proba(data.astype(dtype)),
                                       fitted.predict_proba(data), atol=1e-5)
    np.testing.assert_array_equal(model.predict_proba(rows), est.predict_proba(rows))
    np.testing.assert_array_equal(pipe_model.predict_proba(pixel_rows),
                                  pipe_loaded.predict_proba(pixel_rows))
    np.testing.assert_array_equal(pipe_model.predict_proba(pixels[:1]),
                                  pipe.predict_proba(pixels[:1]))

    inputs = {("1_row_s", False): one, ("batch_s", False): rows,
              ("1_row_s", True): pixels[:1], ("batch_s", True): pixel_rows}
    with _one_thread():
        medians = {size: _median_seconds(
            {name: (lambda fn=fn, x=inputs[size, raw].astype(dtype): fn(x))
             for name, (fn, dtype, raw) in candidates.items()}, repeats)
            for size, repeats in (("1_row_s", repeats_one), ("batch_s", repeats_batch))}
    order = sorted(candidates, key=lambda name: not name.startswith("pipeline:"))
    latency = {name: {size: medians[size][name] for size in medians} for name in order}
    for path in os.listdir(workdir):
        os.remove(os.path.join(workdir, path))
    os.rmdir(workdir)

    results = {"latency": latency, "sizes_bytes": sizes,
               "load_peak_bytes": load_peak, "config": config}
    if verbose:
        print(format_table(results))
    return results


def _load_peak(load, path):
    """Peak bytes allocated (NumPy arrays and Python objects) while loading."""
    load(path)  # warm-up: lazy imports, h5py's first-use allocations
    tracemalloc.start()
    try:
        load(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def baseline(name):
    """The candidate a latency is compared with: sklearn's Pipeline for the
    pipeline rows, the estimator for the others."""
    return ("pipeline: sklearn Pipeline" if name.startswith("pipeline:")
            else "estimator.predict_proba")


def format_table(results):
    """The printed report of :func:`run`'s results."""
    c, lat = results["config"], results["latency"]
    sizes = " -> ".join(map(str, (c["n_features"], *c["hidden_layer_sizes"],
                                  c["n_classes"])))
    batch_header = f"{c['batch_rows']:,} rows (ms)"
    lines = [f"DeepNNClassifier {sizes} on digits ({c['max_iter']} epochs, train "
             f"accuracy {c['train_accuracy']:.3f}), alone and after a StandardScaler "
             f"(raw pixels);\nmedians of {c['repeats_one']} (1 row) / "
             f"{c['repeats_batch']} ({c['batch_rows']:,} rows) calls timed in turns, "
             "one thread; ratio = time / time of sklearn's Pipeline (pipeline rows) or "
             "of the estimator",
             "",
             f"{'predict_proba':<32}{'1 row (us)':>12}{'ratio':>9}"
             f"{batch_header:>18}{'ratio':>9}",
             "-" * 80]
    for name, t in lat.items():
        base = lat[baseline(name)]
        lines.append(f"{name:<32}{t['1_row_s'] * 1e6:>12.1f}"
                     f"{t['1_row_s'] / base['1_row_s']:>9.2f}"
                     f"{t['batch_s'] * 1e3:>18.3f}"
                     f"{t['batch_s'] / base['batch_s']:>9.2f}")
    lines += ["", f"{'file':<32}{'bytes':>12}", "-" * 44]
    labels = {"weights_float64": "(the float64 weights alone)",
              "hdf5": "HDF5 (save_model, + Adam state)",
              "hdf5_weights_only": "HDF5 weights only (deployment)",
              "onnx_float32": "ONNX float32",
              "onnx_float64": "ONNX float64", "hdf5_pipeline": "HDF5 pipeline",
              "onnx_pipeline_float32": "ONNX pipeline float32",
              "onnx_pipeline_float64": "ONNX pipeline float64"}
    for key, size in results["sizes_bytes"].items():
        lines.append(f"{labels.get(key, key):<32}{size:>12,}")
    weights = results["sizes_bytes"]["weights_float64"]
    lines += ["", f"{'peak memory while loading':<32}{'bytes':>12}{'x weights':>11}",
              "-" * 55]
    for key, label in (("hdf5", "runtime.load, HDF5 + Adam"),
                       ("hdf5_weights_only", "runtime.load, weights only"),
                       ("hdf5_load_model", "load_model, HDF5 + Adam")):
        peak = results.get("load_peak_bytes", {}).get(key)
        if peak is not None:
            lines.append(f"{label:<32}{peak:>12,}{peak / weights:>11.2f}")
    if "onnx_skipped" in c:
        lines.append(f"\nonnxruntime rows skipped: {c['onnx_skipped']}")
    return "\n".join(lines)


if __name__ == "__main__":
    run()
