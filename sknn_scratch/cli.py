"""The ``sknn-scratch`` command (also ``python -m sknn_scratch``).

Exit codes: 0 success, 2 bad usage or bad data (one-line error, no traceback).
"""

import argparse
import sys
import time
from pathlib import Path

from . import _trainscale
from ._usage import UsageError
from ._cli_train import cmd_train


def _one_line(message):
    return " ".join(str(message).split())


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line ("sknn-scratch: error: ...") and exit 2."""

    def error(self, message):
        print(f"sknn-scratch: error: {_one_line(message)} (see '{self.prog} --help')",
              file=sys.stderr)
        sys.exit(2)


def _attach_progress_bars(models, quiet, stream=None):
    """scikit-learn's ProgressBar on every model that speaks callbacks, when the
    progress goes to a terminal (needs rich); returns True if attached."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return False
    from ._callbacks import HAS_CALLBACKS

    try:
        import rich
    except ImportError:
        return False
    if not HAS_CALLBACKS:
        return False
    from sklearn.callback import ProgressBar

    rich.reconfigure(stderr=True)  # bars on stderr, the table alone on stdout
    attached = False
    for model in models.values():
        final = model[-1] if hasattr(model, "steps") else model
        if hasattr(final, "set_callbacks"):  # MLPClassifier does not speak callbacks
            model.set_callbacks(ProgressBar())  # on the pipeline, which propagates it
            attached = True
    return attached


def _progress_printer(quiet, dev_label="dev"):
    if quiet:
        return None

    def report(i, n, name, result):
        if result is None:
            print(f"[{i}/{n}] fitting {name} ...", file=sys.stderr, flush=True)
        else:
            print(f"[{i}/{n}] {name}: {dev_label} accuracy "
                  f"{100 * result.dev_accuracy:.1f}% in {result.fit_time:.2f} s",
                  file=sys.stderr, flush=True)

    return report


def _run_lesson(args, out, stale, progress):
    """``--preset hidden-units|init|optimizers``: a lesson of the notes."""
    from .studies.lesson_report import run_lesson_preset
    from .studies.lessons import LESSON_DATASETS

    needed = LESSON_DATASETS[args.preset]
    if args.dataset != needed:
        raise UsageError(f"--preset {args.preset} needs --dataset {needed}")
    if args.grid or args.scheduler:
        raise UsageError(f"--grid and --scheduler do not apply to --preset {args.preset}")
    start = time.perf_counter()
    run_lesson_preset(args.preset, out, random_state=args.random_state,
                      max_iter=args.max_iter, n_jobs=args.n_jobs, progress=progress,
                      stale=stale)
    progress.say(f"wrote {out}/ (report.md, results.json, figures) in "
                 f"{time.perf_counter() - start:.1f} s")
    return 0


def _study_preflight(args):
    """Every check that needs no fitting, before any fitting: returns (out, stale)."""
    from .studies import preflight

    if args.preset == "course" and args.dataset != "catvnoncat":
        raise UsageError("--preset course needs --dataset catvnoncat")
    if args.preset == "course" and (args.grid or args.scheduler is not None):
        given = ("--grid" if args.grid else
                 f"--scheduler {args.scheduler} (which implies --grid)")
        raise UsageError(
            f"{given} with --preset course would tune on the test set: the course trains "
            "on all its training images and has no dev set. Drop --preset course to "
            "grid-search on a dev set held out from the training images")
    out, stale = preflight.check_out_folder(args.out)
    if args.scheduler is not None:
        preflight.check_scheduler(args.scheduler)
    return out, stale


def cmd_study(args):
    import contextlib

    from sklearn.base import clone

    from .studies import study
    from .studies.lessons import LESSON_DATASETS
    from .studies.outputs import write_figures, write_report_md, write_results_json
    from .studies.preflight import clear_earlier_study, make_out_folder
    from .studies.progress import StudyProgress

    out, stale = _study_preflight(args)
    progress = StudyProgress(args.quiet)
    if args.preset in LESSON_DATASETS:
        return _run_lesson(args, out, stale, progress)
    course = args.preset == "course"
    data = study.load_study_data(args.dataset, data_dir=args.data_dir,
                                 random_state=args.random_state, course=course)
    if course:
        models = study.course_models(random_state=args.random_state,
                                     max_iter=args.max_iter)
    else:
        models = study.default_models(random_state=args.random_state,
                                      max_iter=args.max_iter,
                                      scale=data.scaled_inputs)
    max_iter = study.max_iter_record(models, args.max_iter)
    notes = [f"--max-iter {args.max_iter} does not apply to {name}: {why}."
             for name, why in max_iter["skipped"].items()]
    if course and args.max_iter is not None:
        notes.append(study.course_max_iter_note(args.max_iter))
        max_iter["overrides_notes"] = dict(study.COURSE_ITERATIONS)
    if not args.quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    start = time.perf_counter()
    _attach_progress_bars(models, args.quiet)
    with progress.phase("fits"):
        results = study.run_study(
            data, models, progress=_progress_printer(args.quiet, data.dev_label))
    table = study.format_table(results, course=course, dev_label=data.dev_label)
    print(table)

    extra, grid = "", None
    if args.grid or args.scheduler is not None:
        from .studies.grid import format_grid, grid_record, grid_search

        bar = progress.progress_bar()
        # without a terminal, GridSearchCV's own line per fitted candidate, on
        # stderr (it prints to stdout, which holds the tables)
        lines = 0 if args.quiet or bar is not None else 2
        with progress.phase("grid search"), contextlib.redirect_stdout(sys.stderr):
            search = grid_search(data, max_iter=args.max_iter,
                                 random_state=args.random_state,
                                 scheduler=args.scheduler, scale=data.scaled_inputs,
                                 verbose=lines, callbacks=() if bar is None else (bar,))
        grid_table = format_grid(search)
        grid = grid_record(search)
        print("\nGrid search (fitted on train, scored on dev):\n" + grid_table)
        extra = ("## Grid search (fitted on train, scored on dev)\n\n```\n" + grid_table
                 + "\n```")

    clear_earlier_study(stale)
    make_out_folder(out)
    settings = {"dataset": args.dataset, "preset": args.preset,
                "random_state": args.random_state, "max_iter": max_iter,
                "grid": grid is not None, "scheduler": args.scheduler,
                "learning_curve": not args.no_learning_curve}
    lc_model = None if args.no_learning_curve else clone(
        results[min(2, len(results) - 1)].model)
    figures = write_figures(out, data, results, learning_curve_model=lc_model,
                            random_state=args.random_state, progress=progress)
    write_report_md(out / "report.md", data, results, figures, course=course,
                    extra=(extra + "\n\n" if extra else "") + progress.format_timings(),
                    notes=notes)
    write_results_json(out / "results.json", data, results, settings, grid=grid,
                       files=["report.md", *(name for _, name in figures if name)])
    if not args.quiet:
        print(f"wrote {out}/ (report.md, results.json"
              + "".join(f", {name}" for _, name in figures if name)
              + f") in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def cmd_export(args):
    from ._clifiles import export_weights_only, refuse_own_input

    out, flag = (args.weights_only, "--weights-only") if args.onnx is None else (
        args.onnx, "--onnx")
    refuse_own_input(out, flag, args.model, "MODEL.h5")
    if args.onnx is None:
        export_weights_only(args.model, out)
        if not args.quiet:
            print(f"wrote {out} ({Path(out).stat().st_size:,} bytes: weights, "
                  "preprocessing and metadata, no optimizer state)", file=sys.stderr)
        return 0
    try:
        from . import onnx as sknn_onnx
    except ImportError:
        raise UsageError("exporting to ONNX needs skl2onnx, which is not installed: "
                         "pip install 'sknn-scratch[onnx]'") from None
    try:
        onx = sknn_onnx.export_model_file(
            args.model, args.onnx, dtype=args.dtype, zipmap=args.zipmap,
            target_opset=args.target_opset)
    except RuntimeError as exc:  # skl2onnx reports conversion problems so
        raise UsageError(f"cannot convert '{args.model}' to ONNX: {exc}") from None
    if not args.quiet:
        outputs = ", ".join(o.name for o in onx.graph.output)
        print(f"wrote {args.onnx} ({Path(args.onnx).stat().st_size:,} bytes; input "
              f"{onx.graph.input[0].name} {args.dtype}; outputs {outputs})",
              file=sys.stderr)
    return 0


def _hidden_sizes(text):
    """``--hidden 64,32`` -> (64, 32); argparse turns the error into exit 2."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 64,32, got {text!r}")
    return sizes


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser():
    parser = _Parser(
        prog="sknn-scratch",
        description="scikit-learn compatible neural nets from scratch: studies and tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("study", help="train/dev/test study of the three estimators "
                       "beside sklearn's LogisticRegression and MLPClassifier")
    p.add_argument("--dataset", default="digits",
                   choices=["digits", "breast_cancer", "iris", "catvnoncat", "flower",
                            "moons", "circles"],
                   help="flower, moons and circles are 2-D: the report adds their "
                        "decision boundaries")
    p.add_argument("--data-dir", default=None,
                   help="folder with the course's cat files (default $SKNN_SCRATCH_DATA)")
    p.add_argument("--preset", default="default",
                   choices=["default", "course", "hidden-units", "init", "optimizers"],
                   help="'course': the notes' three cat models (needs catvnoncat); the "
                        "notes' lessons: 'hidden-units' (flower), 'init' (circles), "
                        "'optimizers' (moons)")
    p.add_argument("--max-iter", type=int, default=None,
                   help="epochs for the nets (default: each model's own); the default "
                        "preset's two logistic regressions run to convergence and "
                        "ignore it, the course preset's three models all use it")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--out", default="sknn-study",
                   help="output folder: new, empty, or an earlier study's (whose files "
                        "are replaced); checked before any fitting")
    p.add_argument("--no-learning-curve", action="store_true",
                   help="skip the learning curve (the slowest figure)")
    p.add_argument("--grid", action="store_true",
                   help="also grid-search alpha and layer sizes (train -> dev); not "
                        "with --preset course, which has no dev set")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run --grid on this dask.distributed scheduler ('local' starts "
                        "a LocalCluster here); implies --grid; checked before any fitting")
    p.add_argument("--n-jobs", type=_positive_int, default=2,
                   help="processes for a lesson preset's independent fits (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_study)

    p = sub.add_parser("export", help="convert a saved model file (save_model: an "
                       "estimator or a pipeline of scalers and an estimator) to ONNX")
    p.add_argument("model", metavar="MODEL.h5", help="model file written by save_model "
                   "(a saved pipeline exports whole)")
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--onnx", metavar="MODEL.onnx",
                    help="ONNX file to write (needs pip install 'sknn-scratch[onnx]')")
    to.add_argument("--weights-only", metavar="DEPLOY.h5",
                    help="model file to write without the optimizer state: weights, "
                         "preprocessing and metadata (a deployment file)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                   help="input type, and of the whole computation (default float32)")
    p.add_argument("--zipmap", action="store_true",
                   help="probabilities as a list of {label: probability} maps "
                        "(skl2onnx's ZipMap) instead of a plain tensor")
    p.add_argument("--target-opset", type=int, default=None,
                   help="ONNX opset to target (default: skl2onnx's latest)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("train", help="train a DeepNNClassifier on an HDF5 file too big "
                       "for memory (partial_fit chunk by chunk) and save it (save_model)")
    p.add_argument("--h5", required=True, metavar="FILE",
                   help="HDF5 file with examples and labels (course layout)")
    p.add_argument("--x-key", required=True, help="dataset of the examples (rows)")
    p.add_argument("--y-key", required=True, help="dataset of the labels")
    p.add_argument("--out", required=True, metavar="MODEL.h5",
                   help="model file to write (load with sknn_scratch.io.load_model)")
    p.add_argument("--hidden", type=_hidden_sizes, default=(64, 32), metavar="64,32",
                   help="hidden layer sizes (default 64,32)")
    p.add_argument("--epochs", type=_positive_int, default=1,
                   help="passes over the file (default 1)")
    p.add_argument("--batch-size", type=_positive_int, default=200,
                   help="rows per gradient step (default 200)")
    p.add_argument("--chunk-size", type=_positive_int, default=None,
                   help="rows read from the file per partial_fit call (default: whole "
                        "batches filling about 16 MB as float32)")
    p.add_argument("--classes", default=None, metavar="A,B,...",
                   help="every label, comma-separated (default: found by a first "
                        "pass over the labels)")
    p.add_argument("--learning-rate", type=float, default=0.001,
                   help="Adam step size (default 0.001)")
    p.add_argument("--scale", default=None, choices=_trainscale.SCALERS,
                   help="normalise the inputs first (one more pass over the file): "
                        "'standard' (StandardScaler.partial_fit) or 'maxabs' (each "
                        "feature / its largest |value|); saved with the net as a "
                        "pipeline (default: none, with a warning for raw inputs)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_train)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "max_iter", None) is not None and args.max_iter < 1:
        parser.error("--max-iter must be a positive integer")
    if getattr(args, "random_state", 0) < 0:
        parser.error("--random-state must be a non-negative integer")
    try:
        return args.func(args)
    except (UsageError, ValueError, FileNotFoundError, OSError) as exc:
        print(f"sknn-scratch: error: {_one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
