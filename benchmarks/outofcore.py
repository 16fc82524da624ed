"""(g) Out-of-core training: ``sknn-scratch train`` on HDF5 files of growing size.

Each file holds float32 rows of 1,024 standard-normal features and labels of 10
classes (the argmax of a fixed linear map of the row, so there is something to
learn); quick: 100 MB and 200 MB, full: 200 MB, 1 GB and 2 GB. The command runs
as a child process (``python -m sknn_scratch train``, hidden 64,32, one epoch, the
default chunks of ~16 MB). Its peak resident memory is the kernel's high-water mark
of the child's own address space (``VmHWM`` of /proc/self/status, reported by a
small ``atexit`` hook around the command). Not ``ru_maxrss`` (``getrusage``/
``wait4``): on Linux a child's ``ru_maxrss`` starts from the *parent's* resident
size when it is forked and exec'd, so it would report this benchmark's own ~300 MB
(the 1M-row arrays of other sections, the data of the accuracy check) rather than
the command's. The baseline is a child that only imports what ``train`` imports.
Each file is deleted as soon as its run is over.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

import _common as C

N_FEATURES, N_CLASSES, WRITE_ROWS = 1024, 10, 16_384
LIMIT = 300 * 2**20


def write_file(path, n_rows, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    with h5py.File(path, "w") as f:
        x = f.create_dataset("x", shape=(n_rows, N_FEATURES), dtype=np.float32)
        y = f.create_dataset("y", shape=(n_rows,), dtype=np.int64)
        for start in range(0, n_rows, WRITE_ROWS):
            stop = min(start + WRITE_ROWS, n_rows)
            block = rng.standard_normal((stop - start, N_FEATURES), dtype=np.float32)
            x[start:stop] = block
            y[start:stop] = (block @ W).argmax(axis=1)


#: Prefix run in the child: report the peak RSS of this process's own memory map.
_PEAK_HOOK = """
import atexit, sys
def _report_peak():
    try:
        with open('/proc/self/status') as status:
            kib = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))
    except (OSError, StopIteration):
        return
    sys.stderr.write(f'\\nPEAK_RSS_KIB {kib}\\n')
atexit.register(_report_peak)
"""

#: ``python -m sknn_scratch ...`` with the hook (the arguments follow ``-c CODE``).
_RUN_CLI = _PEAK_HOOK + """
import runpy
sys.argv[0] = 'sknn-scratch'
runpy.run_module('sknn_scratch', run_name='__main__', alter_sys=True)
"""


def run_child(code, args=()):
    """Run ``python -c code *args``; return its exit code, peak RSS (bytes), wall
    and cpu seconds, stderr (without the peak line) and its ``ru_maxrss``."""
    env = dict(os.environ, PYTHONPATH=C.repo_root() + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(C.THREADS)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, *args],
                                 stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode(errors="replace").splitlines()
    peak = [int(line.split()[1]) * 1024 for line in lines
            if line.startswith("PEAK_RSS_KIB ")]
    if not peak:  # no /proc: fall back to ru_maxrss (an overestimate, see above)
        peak = [usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)]
    message = "\n".join(line for line in lines
                        if line and not line.startswith("PEAK_RSS_KIB "))
    return {"code": child.returncode, "peak_rss": peak[0], "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime, "message": message,
            "ru_maxrss": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)}


def run(quick=False):
    sizes_mb = (100, 200) if quick else (200, 1024, 2048)
    workdir = tempfile.mkdtemp(prefix="sknn-outofcore-")
    points = []
    try:
        base = run_child(_PEAK_HOOK + "import sknn_scratch.cli, sknn_scratch.datasets, "
                         "sknn_scratch.io, sknn_scratch.estimators")
        if base["code"]:
            raise RuntimeError(base["message"])
        for size in sizes_mb:
            n_rows = size * 2**20 // (4 * N_FEATURES)
            path, model = os.path.join(workdir, "data.h5"), os.path.join(workdir, "m.h5")
            t_write = time.perf_counter()
            write_file(path, n_rows)
            t_write = time.perf_counter() - t_write
            file_bytes = os.path.getsize(path)
            child = run_child(_RUN_CLI, [
                "train", "--h5", path, "--x-key", "x", "--y-key", "y", "--out", model,
                "--hidden", "64,32", "--epochs", "1"])
            if child["code"]:
                raise RuntimeError(f"sknn-scratch train failed: {child['message']}")
            accuracy = _accuracy(model, path, rows=20_000)
            os.remove(path)
            points.append({"file_bytes": file_bytes, "n_rows": n_rows,
                           "peak_rss_bytes": child["peak_rss"], "wall_s": child["wall_s"],
                           "cpu_s": child["cpu_s"], "ru_maxrss_bytes": child["ru_maxrss"],
                           "write_s": t_write, "stderr": child["message"],
                           "train_accuracy_first_20k": accuracy})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    base_rss = base["peak_rss"]
    rows = [C.row("g", "child that only imports: peak RSS", C.mb(base_rss))]
    for p in points:
        rows.append(C.row(
            "g", f"train on {C.mb(p['file_bytes'])} file ({p['n_rows']:,} rows), 1 epoch:"
            " peak RSS", C.mb(p["peak_rss_bytes"]), None,
            f"{p['wall_s']:.1f} s wall, {p['cpu_s']:.1f} s cpu; acc "
            f"{p['train_accuracy_first_20k']:.2f}", "< 300 MB",
            p["peak_rss_bytes"] < LIMIT))
    rss = [p["peak_rss_bytes"] for p in points]
    spread = max(rss) - min(rss)
    growth = points[-1]["file_bytes"] / points[0]["file_bytes"]
    rows.append(C.row("g", f"peak RSS spread over a {growth:.0f}x larger file",
                      C.mb(spread), None, f"max {C.mb(max(rss))}, "
                      f"{C.mb(max(rss) - base_rss)} above the imports",
                      "flat: < 16 MB (1 chunk)", spread < 16 * 2**20))
    return rows, {"baseline_rss_bytes": base_rss, "points": points}


def _accuracy(model_path, data_path, rows):
    from sknn_scratch.io import load_model

    with h5py.File(data_path, "r") as f:
        X, y = f["x"][:rows], f["y"][:rows]
    return float(load_model(model_path).score(X, y))
