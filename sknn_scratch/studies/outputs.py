"""Files a study writes: report.md, results.json and the figures."""

import sys
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from .. import __version__
from .preflight import write_record
from .study import format_table


def _unwrap(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def write_results_json(path, data, results, settings, *, grid=None, files=()):
    """results.json: the numbers, the settings actually used, the grid's candidates
    (``grid``, from :func:`grid.grid_record`) and the names of every file the
    study wrote (``files``; a later study in the same folder deletes them)."""
    payload = {
        "sknn_scratch_version": __version__,
        "dataset": data.name,
        "n_train": int(len(data.y_train)),
        "n_dev": int(len(data.y_dev)),
        "n_test": int(len(data.y_test)),
        "dev_is_test": data.dev_is_test,
        "dev_label": data.dev_label,
        "settings": settings,
        "models": [r.as_dict() for r in results],
        "grid": grid,
        "files": ["results.json", *files],
    }
    write_record(path, payload)


def write_report_md(path, data, results, figures, course=False, extra="", notes=()):
    sizes = (f"Train {len(data.y_train)}, dev {len(data.y_dev)}, test "
             f"{len(data.y_test)} samples.")
    if course:
        sizes = (f"The course's protocol: train on all {len(data.y_train)} training "
                 f"images, test on its {len(data.y_test)}; it has no dev set, so the "
                 "test set stands in for it in the dev column and the diagnosis.")
    lines = [
        f"# sknn-scratch study: {data.name}" + (" (course preset)" if course else ""),
        "",
        sizes + " Accuracies in %; log loss on the dev set; diagnosis from train and "
        "dev error (baseline error 0, threshold 5 points).",
        "",
        "```",
        format_table(results, course=course, dev_label=data.dev_label),
        "```",
        "",
        *[f"{note}\n" for note in notes],
        "## Bias and variance",
        "",
        *([] if getattr(data, "dev_label", "dev") == "dev" else
          [f"(\"dev\" below: {data.dev_label})", ""]),
    ]
    for r in results:
        lines += [f"### {r.name}", "", "```", repr(r.report), "```", ""]
    if extra:
        lines += [extra, ""]
    for title, name in figures:
        lines += [f"## {title}", ""]
        lines += [f"![{title}]({name})" if name else
                  f"No boundary figure (not 2-D: the data has {data.X_train.shape[1]} "
                  "features).", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def _without_callbacks(model):
    """``model`` with no callbacks (a ProgressBar would draw one bar per clone
    of a learning curve: about 50 "Pipeline - fit" bars)."""
    if hasattr(model, "set_callbacks"):
        model.set_callbacks()
    for _, step in getattr(model, "steps", ()):
        if hasattr(step, "set_callbacks"):
            step.set_callbacks()
    return model


def write_figures(out, data, results, *, learning_curve_model=None, random_state=0,
                  progress=None):
    """Save the PNGs; returns [(title, filename)] or [] without matplotlib.

    A ``("Decision boundaries", None)`` entry says that the data is not 2-D.
    ``progress``: a :class:`~.progress.StudyProgress` timing the learning curve
    (one line per training size) and the other figures.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("note: matplotlib is not installed, so no figures were written "
              "(pip install 'sknn-scratch[plot]')", file=sys.stderr)
        return []
    from .bias_variance_display import BiasVarianceDisplay
    from .boundaries import DecisionBoundaryGridDisplay
    from .curve_displays import error_learning_curve
    from .loss_display import LossCurveDisplay
    from .progress import StudyProgress

    progress = progress or StudyProgress(quiet=True)
    figures = []
    if learning_curve_model is not None:
        with progress.phase("learning curve (3-fold CV)") as unit, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            display = error_learning_curve(
                _without_callbacks(learning_curve_model), data.X_train, data.y_train,
                cv=3, shuffle=True, random_state=random_state, progress=unit)
        display.figure_.savefig(Path(out) / "learning_curves.png", dpi=100)
        figures.append(("Learning curve", "learning_curves.png"))
    with progress.phase("figures"):
        curves = {r.name: _unwrap(r.model) for r in results
                  if getattr(_unwrap(r.model), "loss_curve_", None)}
        if curves:
            dev_label = getattr(data, "dev_label", "dev")
            LossCurveDisplay.from_estimator(
                curves, smoothing=0.9,
                val_label="validation" if dev_label == "dev" else dev_label).figure_.savefig(
                Path(out) / "loss_curves.png", dpi=100)
            figures.insert(0, ("Loss curves", "loss_curves.png"))
        BiasVarianceDisplay.from_reports(
            {r.name: r.report for r in results},
            dev_label=getattr(data, "dev_label", "dev")).figure_.savefig(
            Path(out) / "bias_variance.png", dpi=100)
        figures.append(("Bias and variance", "bias_variance.png"))
        if data.X_train.shape[1] == 2:
            DecisionBoundaryGridDisplay.from_estimators(
                {r.name: r.model for r in results}, data.X_train, data.y_train,
                ncols=3).figure_.savefig(Path(out) / "decision_boundaries.png", dpi=90)
            figures.append(("Decision boundaries", "decision_boundaries.png"))
        else:
            figures.append(("Decision boundaries", None))
    return figures
