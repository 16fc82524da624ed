"""The ``sknn-scratch`` command, end to end (small --max-iter for speed)."""

import json
import os
import subprocess
import sys

import pytest

from sknn_scratch.cli import main

MODELS = ["ScratchLogisticRegression", "ShallowNNClassifier", "DeepNNClassifier",
          "sklearn LogisticRegression", "sklearn MLPClassifier"]


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("study")
    assert main(["study", "--max-iter", "15", "--quiet", "--out", str(out)]) == 0
    return out


def test_study_writes_every_output_file(study_dir):
    names = {p.name for p in study_dir.iterdir()}
    assert names == {"report.md", "results.json", "loss_curves.png",
                     "learning_curves.png", "bias_variance.png"}
    for png in study_dir.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_results_json_has_every_model_and_split(study_dir):
    results = json.loads((study_dir / "results.json").read_text())
    assert results["dataset"] == "digits"
    assert [m["name"] for m in results["models"]] == MODELS
    for model in results["models"]:
        for key in ("train_accuracy", "dev_accuracy", "test_accuracy"):
            assert 0.0 <= model[key] <= 1.0
        assert model["diagnosis"] in {"good fit", "high bias", "high variance",
                                      "high bias and high variance"}
    assert results["n_train"] + results["n_dev"] + results["n_test"] == 1797


def test_report_md_holds_the_table_and_the_figures(study_dir):
    report = (study_dir / "report.md").read_text()
    assert all(name in report for name in MODELS)
    assert "![Loss curves](loss_curves.png)" in report
    assert "BiasVarianceReport" in report


def test_study_prints_the_table(tmp_path, capsys):
    assert main(["study", "--dataset", "iris", "--max-iter", "10", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "dev" in out and "test" in out
    assert all(name in out for name in MODELS)


def test_grid_search_is_reported(tmp_path, capsys):
    assert main(["study", "--dataset", "iris", "--max-iter", "5", "--grid", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    assert "Grid search" in capsys.readouterr().out
    assert "Grid search" in (tmp_path / "report.md").read_text()


def test_progress_lines_go_to_stderr(tmp_path, capsys):
    main(["study", "--dataset", "iris", "--max-iter", "5", "--no-learning-curve",
          "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "[1/5] fitting ScratchLogisticRegression" in err


@pytest.mark.parametrize("argv, message", [
    (["study", "--dataset", "catvnoncat", "--data-dir", "/nonexistent"], "nonexistent"),
    (["study", "--preset", "course"], "--preset course needs --dataset catvnoncat"),
])
def test_user_mistakes_exit_2_with_one_line(argv, message, tmp_path, capsys):
    assert main(argv + ["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sknn-scratch: error:") and message in err
    assert len(err.splitlines()) == 1


def test_bad_usage_exits_2():
    with pytest.raises(SystemExit) as exc:
        main(["study", "--max-iter", "0"])
    assert exc.value.code == 2


def test_course_preset_prints_the_published_numbers(catvnoncat_dir, tmp_path, capsys):
    assert main(["study", "--dataset", "catvnoncat", "--data-dir", str(catvnoncat_dir),
                 "--preset", "course", "--max-iter", "20", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "99.0 / 70.0" in out and "98.6 / 80.0" in out


def test_python_dash_m_runs_the_command():
    result = subprocess.run([sys.executable, "-m", "sknn_scratch", "--help"],
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0 and "study" in result.stdout


class _Terminal:
    def isatty(self):
        return True


def test_progress_bars_are_attached_only_for_a_terminal():
    pytest.importorskip("rich")
    from sknn_scratch._callbacks import HAS_CALLBACKS
    from sknn_scratch.cli import _attach_progress_bars
    from sknn_scratch.studies.study import default_models

    models = default_models(max_iter=2)
    assert not _attach_progress_bars(models, quiet=False, stream=open(os.devnull, "w"))
    assert not _attach_progress_bars(models, quiet=True, stream=_Terminal())
    if HAS_CALLBACKS:
        try:
            assert _attach_progress_bars(models, quiet=False, stream=_Terminal())
            assert hasattr(models["DeepNNClassifier"], "_skl_callbacks")
            assert not hasattr(models["sklearn MLPClassifier"], "_skl_callbacks")
        finally:
            import rich

            rich.reconfigure()
