"""Files a study writes: report.md, results.json and the three figures."""

import json
import sys
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from .. import __version__
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
    Path(path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


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
    ]
    for r in results:
        lines += [f"### {r.name}", "", "```", repr(r.report), "```", ""]
    if extra:
        lines += [extra, ""]
    for title, name in figures:
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def write_figures(out, data, results, *, learning_curve_model=None, random_state=0):
    """Save the three PNGs; returns [(title, filename)] or [] without matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("note: matplotlib is not installed, so no figures were written "
              "(pip install 'sknn-scratch[plot]')", file=sys.stderr)
        return []
    from .plots import plot_bias_variance, plot_learning_curve, plot_loss_curves

    figures = []
    curves = {r.name: _unwrap(r.model) for r in results
              if getattr(_unwrap(r.model), "loss_curve_", None)}
    if curves:
        plot_loss_curves(curves).savefig(Path(out) / "loss_curves.png", dpi=100)
        figures.append(("Loss curves", "loss_curves.png"))
    if learning_curve_model is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fig = plot_learning_curve(learning_curve_model, data.X_train, data.y_train,
                                      cv=3, shuffle=True, random_state=random_state)
        fig.savefig(Path(out) / "learning_curves.png", dpi=100)
        figures.append(("Learning curve", "learning_curves.png"))
    plot_bias_variance({r.name: r.report for r in results}).savefig(
        Path(out) / "bias_variance.png", dpi=100)
    figures.append(("Bias and variance", "bias_variance.png"))
    return figures
