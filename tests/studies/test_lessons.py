"""The lesson presets (on reduced iteration counts), boundary figures, progress."""

import json

import numpy as np
import pytest

from sknn_scratch.cli import main
from sknn_scratch.studies.lessons import (
    format_lesson_table,
    hidden_units_lesson,
    init_lesson,
    optimizers_lesson,
    run_lesson,
)
from sknn_scratch.studies.study import max_iter_note


def test_hidden_units_lesson_is_the_notes_configuration():
    lesson = hidden_units_lesson(max_iter=3)
    assert lesson.X_train.shape == (400, 2)
    sizes = [est.n_hidden for name, (est, _) in lesson.models.items()
             if name != "logistic regression"]
    assert sizes == [1, 2, 3, 4, 5, 20, 50]
    net = lesson.models["4 hidden units"][0]
    assert (net.activation, net.solver, net.batch_size, net.learning_rate, net.tol,
            net.alpha) == ("tanh", "gd", None, 1.2, None, 0.0)
    assert hidden_units_lesson().models["4 hidden units"][0].max_iter == 10_000
    assert lesson.models["4 hidden units"][1] == "90.5"


def test_hidden_units_run_gives_eight_rows_with_the_course_beside():
    lesson = run_lesson(hidden_units_lesson(max_iter=3), n_jobs=1)
    assert [r.name for r in lesson.runs][-1] == "logistic regression"
    assert len(lesson.runs) == 8
    assert all(0.0 <= r.train_accuracy <= 1.0 for r in lesson.runs)
    table = format_lesson_table(lesson)
    assert "| 3 hidden units |" in table and "| 90.75 |" in table


def test_init_lesson_shows_the_refusal_of_zeros_and_trains_the_others():
    lesson = run_lesson(init_lesson(max_iter=5), n_jobs=1)
    assert (len(lesson.y_train), len(lesson.y_test)) == (300, 100)
    zeros = lesson.runs[0]
    assert zeros.model is None and "symmetry is never broken" in zeros.refusal
    assert all(r.model is not None for r in lesson.runs[1:])
    assert "symmetry is never broken" in format_lesson_table(lesson)


def test_optimizers_lesson_runs_gd_momentum_adam_with_and_without_decay():
    lesson = optimizers_lesson(max_iter=2)
    assert list(lesson.models) == ["gd", "gd + decay", "momentum", "momentum + decay",
                                   "Adam", "Adam + decay"]
    adam = lesson.models["Adam"][0]
    assert (adam.solver, adam.batch_size, adam.learning_rate, adam.init,
            adam.hidden_layer_sizes) == ("adam", 64, 0.0007, "he", (5, 2))
    assert lesson.models["gd + decay"][0].learning_rate_schedule == "inverse_time"
    run_lesson(lesson, n_jobs=1)
    # 300 points in batches of 64: 5 mini-batch losses per epoch are recorded
    assert all(len(r["batch_losses"]) == 5 for r in lesson.runs[0].model.history_)


def test_a_warning_of_a_fit_is_shown_next_to_its_row():
    lesson = optimizers_lesson(max_iter=1)
    lesson.models = {"tiny lr": lesson.models["gd"]}
    lesson.models["tiny lr"][0].set_params(learning_rate=1e30)  # diverges: warns
    run_lesson(lesson, n_jobs=1)
    (run,) = lesson.runs
    assert run.warnings and "DivergenceWarning" in format_lesson_table(lesson)


@pytest.fixture(scope="module")
def init_dir(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("init")
    assert main(["study", "--dataset", "circles", "--preset", "init", "--max-iter", "5",
                 "--n-jobs", "1", "--quiet", "--out", str(out)]) == 0
    return out


def test_init_preset_writes_its_report_and_figures(init_dir):
    names = {p.name for p in init_dir.iterdir()}
    assert names == {"report.md", "results.json", "decision_boundaries.png",
                     "loss_curves.png"}
    report = (init_dir / "report.md").read_text()
    assert "![Decision boundaries](decision_boundaries.png)" in report
    assert "| he |" in report and "99.3 / 96" in report
    assert "## Time of each phase" in report and "| figures |" in report
    results = json.loads((init_dir / "results.json").read_text())
    assert [m["name"] for m in results["models"]][0] == "zeros"


def test_a_preset_on_the_wrong_dataset_is_a_usage_error(tmp_path, capsys):
    assert main(["study", "--preset", "init", "--out", str(tmp_path)]) == 2
    assert "--preset init needs --dataset circles" in capsys.readouterr().err


def test_study_on_2d_data_draws_boundaries_with_progress_and_phase_times(
        tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["study", "--dataset", "moons", "--max-iter", "5", "--no-learning-curve",
                 "--grid", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    err = captured.err  # capsys: not a terminal, so lines
    assert "fits ..." in err and "[1/5] fitting ScratchLogisticRegression" in err
    assert err.count("[CV] END") == 6 and "[CV]" not in captured.out  # grid: 6 fits
    assert "figures:" in err
    assert (tmp_path / "decision_boundaries.png").read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "report.md").read_text()
    assert "![Decision boundaries](decision_boundaries.png)" in report
    assert "| fits |" in report and "| grid search |" in report and "| figures |" in report


def test_study_on_other_data_says_there_is_no_boundary_figure_and_quiet_is_silent(
        tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["study", "--dataset", "iris", "--max-iter", "3", "--no-learning-curve",
                 "--quiet", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    assert not (tmp_path / "decision_boundaries.png").exists()
    assert "No boundary figure (not 2-D" in (tmp_path / "report.md").read_text()


def test_learning_curve_reports_one_line_per_training_size(capsys):
    pytest.importorskip("matplotlib")
    from sklearn.linear_model import LogisticRegression

    from sknn_scratch.studies.curve_displays import error_learning_curve
    from sknn_scratch.studies.progress import StudyProgress

    X, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2
    progress = StudyProgress()
    with progress.phase("learning curve") as unit:
        error_learning_curve(LogisticRegression(), X, y, train_sizes=(0.5, 1.0), cv=2,
                             progress=unit)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "learning curve ..."
    assert lines[1].startswith("[learning curve 1/2] 10 examples x 2 folds")
    assert lines[2].startswith("[learning curve 2/2] 20 examples x 2 folds")
    assert lines[3].startswith("learning curve: ") and list(progress.timings) == [
        "learning curve"]
    quiet = StudyProgress(quiet=True)
    with quiet.phase("x") as unit:
        unit(1, 1, "done")
    assert capsys.readouterr().err == "" and "x" in quiet.timings


def test_dead_relu_units_and_a_single_class_are_reported_beside_the_row():
    from sknn_scratch.studies.lessons import dead_relu_units

    lesson = optimizers_lesson(max_iter=1)
    net = lesson.models["gd"][0].fit(lesson.X_train, lesson.y_train)
    assert dead_relu_units(net, lesson.X_train) == []
    # by hand: a bias of -1e3 puts every pre-activation of layer 2 below 0, so
    # relu gives 0 for every point: both of its units are dead
    net.intercepts_[1][:] = -1e3
    assert dead_relu_units(net, lesson.X_train) == [
        "dead ReLU: 2 of 2 units of hidden layer 2 output 0 on every training point"]
    # the net then predicts one class everywhere; the lesson table says both
    lesson.models = {"dead": (net, "")}
    net.set_params(max_iter=1, warm_start=True, learning_rate=1e-12)
    run_lesson(lesson, n_jobs=1)
    table = format_lesson_table(lesson)
    assert "lesson check: dead ReLU: 2 of 2 units of hidden layer 2" in table
    assert "lesson check: predicts one class for every training point" in table


def test_lesson_results_list_its_files_and_say_max_iter_overrode_the_notes(init_dir):
    results = json.loads((init_dir / "results.json").read_text())
    assert sorted(results["files"]) == sorted(p.name for p in init_dir.iterdir())
    assert results["settings"]["max_iter_overrides_notes"] is True
    assert results["settings"]["notes_max_iter"] == 15_000
    report = (init_dir / "report.md").read_text()
    assert "--max-iter 5" in report and "15,000" in report


def test_a_lesson_s_max_iter_note_names_its_one_count_and_is_empty_when_equal():
    # the lesson report's call: one count of the notes, no model names after it
    assert max_iter_note(3, {10000: ()}) == (
        "Note: --max-iter 3 ran 3 iterations instead of the notes' 10,000: the "
        "results are not comparable with the course's published numbers beside them.")
    assert max_iter_note(10000, {10000: ()}) == ""
    assert max_iter_note(None, {10000: ()}) == ""


def test_a_study_after_a_lesson_clears_the_lesson_s_boundaries(tmp_path):
    # a lesson's record of before fix19 (no 'files'): its boundary figure goes too
    (tmp_path / "results.json").write_text('{"sknn_scratch_version": "0"}')
    (tmp_path / "decision_boundaries.png").write_bytes(b"old")
    assert main(["study", "--dataset", "iris", "--max-iter", "2", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "decision_boundaries.png").exists()
