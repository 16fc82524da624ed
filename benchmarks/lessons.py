"""Section (l): the three lesson presets of ``sknn-scratch study``, in full.

Each preset (hidden-units on the flower, init on circles, optimizers on moons) is
run as the command runs it (its independent fits on 2 processes) and timed on
the wall clock, against the issue's target of 3 minutes on a 2-core machine;
every model's accuracy is recorded beside the course's published figure.

    python benchmarks/lessons.py          # all three, in full, into a temp folder
    python benchmarks/lessons.py --docs   # the same, written to docs/lessons/<preset>/
                                          # (the README's figures and tables)

``--quick`` (from run.py) divides the iteration counts by 20.
"""

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import _common as C  # noqa: E402
from sknn_scratch.studies.lesson_report import run_lesson_preset  # noqa: E402
from sknn_scratch.studies.progress import StudyProgress  # noqa: E402

PRESETS = ("hidden-units", "init", "optimizers")
#: Full iteration counts of each preset (quick runs use a twentieth).
FULL_ITER = {"hidden-units": 10_000, "init": 15_000, "optimizers": 10_000}
TARGET_S = 180.0


def _pct(value):
    return "-" if value is None else f"{100 * value:.2f}%"


def run(quick=False, out_root=None, verbose=False):
    rows, results = [], {}
    for preset in PRESETS:
        max_iter = FULL_ITER[preset] // 20 if quick else None
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(out_root, preset) if out_root else tmp
            progress = StudyProgress(quiet=not verbose)
            start = time.perf_counter()
            with C.quiet():
                lesson = run_lesson_preset(preset, out, max_iter=max_iter, n_jobs=2,
                                           progress=progress)
            wall = time.perf_counter() - start
        ok = None if quick else wall < TARGET_S
        cpu = sum(r.fit_cpu_time for r in lesson.runs)
        rows.append(C.row("l", f"preset {preset}: wall time (2 processes)",
                          f"{wall:.0f} s", None,
                          f"fits' CPU {cpu:.0f} s, {cpu / 2:.0f} s per core; "
                          f"figures {progress.timings.get('figures', 0):.0f} s wall",
                          f"< {TARGET_S:.0f} s", ok))
        for run_ in lesson.runs:
            ours = _pct(run_.train_accuracy) + (
                "" if lesson.X_test is None else f" / {_pct(run_.test_accuracy)}")
            rows.append(C.row("l", f"  {preset}: {run_.name} (train"
                              + ("" if lesson.X_test is None else " / test") + ")",
                              ours if not run_.refusal else "refused",
                              (run_.course + "%") if run_.course else None,
                              f"{len(run_.warnings)} warning(s)" if run_.warnings else None))
        results[preset] = {"wall_s": wall, "fits_cpu_s": cpu, "max_iter": max_iter, "timings": progress.timings,
                           "models": [r.as_dict() for r in lesson.runs]}
    return rows, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--docs", action="store_true",
                        help="write each preset's report and figures to docs/lessons/")
    args = parser.parse_args(argv)
    out_root = os.path.join(C.repo_root(), "docs", "lessons") if args.docs else None
    rows, _ = run(args.quick, out_root=out_root, verbose=True)
    for r in rows:
        print(" | ".join(str(r[k]) for k in ("what", "ours", "reference", "result", "target",
                                            "ok") if r[k] is not None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
