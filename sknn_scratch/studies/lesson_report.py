"""Files a lesson preset writes: report.md, results.json and its figures."""

import sys
from pathlib import Path

from .. import __version__
from .lessons import format_lesson_table
from .preflight import clear_earlier_study, make_out_folder, write_record
from .study import max_iter_note


def write_lesson_figures(out, lesson):
    """Boundary grid (and loss curves); returns [(title, filename)], [] without
    matplotlib."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("note: matplotlib is not installed, so no figures were written "
              "(pip install 'sknn-scratch[plot]')", file=sys.stderr)
        return []
    from .boundaries import DecisionBoundaryGridDisplay
    from .loss_display import LossCurveDisplay

    figures = []
    panels = {run.name: run.model if run.model is not None else
              f"no model:\n{run.refusal.split(':')[0]}\n(see the table)"
              for run in lesson.runs}
    grid = DecisionBoundaryGridDisplay.from_estimators(
        panels, lesson.X_train, lesson.y_train, ncols=4 if len(panels) > 6 else 3)
    grid.figure_.suptitle(lesson.title)
    grid.figure_.savefig(Path(out) / "decision_boundaries.png", dpi=90)
    figures.append(("Decision boundaries", "decision_boundaries.png"))
    fitted = {run.name: run.model for run in lesson.runs if run.model is not None}
    if lesson.loss_curves and fitted:
        display = LossCurveDisplay.from_estimator(fitted, smoothing=lesson.smoothing)
        display.ax_.set_yscale("log")
        display.figure_.savefig(Path(out) / "loss_curves.png", dpi=90)
        figures.append(("Loss curves", "loss_curves.png"))
    return figures


def write_lesson_report(out, lesson, figures, timings_md, settings):
    """report.md (table, notes, figures, phase times) and results.json (written
    last, listing every file the lesson wrote)."""
    override = max_iter_note(settings.get("max_iter"), {lesson.iterations: ()})
    lines = [f"# sknn-scratch study: {lesson.title} (preset {lesson.preset})", "",
             *([override, ""] if override else []),
             lesson.note, "", format_lesson_table(lesson), ""]
    for title, name in figures:
        lines += [f"## {title}", "", f"![{title}]({name})", ""]
    lines += [timings_md, ""]
    Path(out, "report.md").write_text("\n".join(lines), encoding="utf-8")
    payload = {"sknn_scratch_version": __version__, "preset": lesson.preset,
               "settings": settings, "n_train": int(len(lesson.y_train)),
               "n_test": None if lesson.y_test is None else int(len(lesson.y_test)),
               "models": [run.as_dict() for run in lesson.runs],
               "files": ["results.json", "report.md",
                         *(name for _, name in figures if name)]}
    write_record(Path(out, "results.json"), payload)


def run_lesson_preset(preset, out, *, random_state=0, max_iter=None, n_jobs=2,
                      progress, stale=()):
    """Run a lesson preset end to end, writing into ``out``; returns the lesson.

    ``stale``: an earlier study's files in ``out`` (from
    :func:`~.preflight.check_out_folder`), deleted once the fits are done."""
    from .lessons import LESSONS, run_lesson

    lesson = LESSONS[preset](random_state=random_state, max_iter=max_iter)
    with progress.phase(f"fits ({len(lesson.models)} models, {n_jobs} processes)") as unit:
        run_lesson(lesson, n_jobs=n_jobs, progress=unit)
    print(format_lesson_table(lesson))
    clear_earlier_study(stale)
    make_out_folder(out)
    with progress.phase("figures"):
        figures = write_lesson_figures(out, lesson)
    settings = {"preset": preset, "random_state": random_state, "max_iter": max_iter,
                "notes_max_iter": lesson.iterations,
                "max_iter_overrides_notes": max_iter is not None
                and max_iter != lesson.iterations, "n_jobs": n_jobs}
    write_lesson_report(out, lesson, figures, progress.format_timings(), settings)
    return lesson
