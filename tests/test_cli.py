"""The ``sknn-scratch`` command, end to end (small --max-iter for speed)."""

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys

from pathlib import Path

import pytest

from sknn_scratch.cli import main

MODELS = ["ScratchLogisticRegression", "ShallowNNClassifier", "DeepNNClassifier",
          "sklearn LogisticRegression", "sklearn MLPClassifier"]


@pytest.fixture(scope="module")
def default_study(tmp_path_factory):
    """``sknn-scratch study`` at its defaults, as the README runs it: (folder, table)."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("study") / "study"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["study", "--quiet", "--no-learning-curve", "--out", str(out)]) == 0
    return out, printed.getvalue().strip()


@pytest.fixture(scope="module")
def study_dir(default_study):
    return default_study[0]


def test_study_writes_every_output_file(study_dir):
    names = {p.name for p in study_dir.iterdir()}
    assert names == {"report.md", "results.json", "loss_curves.png", "bias_variance.png"}
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
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    png = (tmp_path / "learning_curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "train" in out and "dev" in out and "test" in out
    assert all(name in out for name in MODELS)


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
                 "--preset", "course", "--max-iter", "20",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "99.0 / 70.0" in captured.out and "98.6 / 80.0" in captured.out
    # no dev set in the course: its test set stands in, and every output says so
    label = "test (no dev set in the course)"
    assert f"(dev, dev loss and diagnosis: {label})" in captured.out
    assert f"logistic regression: {label} accuracy" in captured.err
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["dev_is_test"] is True and record["dev_label"] == label
    assert label in (tmp_path / "report.md").read_text()
    assert record["settings"]["max_iter"]["applied_to"] == [
        "logistic regression", "2-layer net [7]", "4-layer net [20, 7, 5]"]
    # the published numbers come from the notes' iterations, not from 20
    assert record["settings"]["max_iter"]["overrides_notes"] == {
        "logistic regression": 2000, "2-layer net [7]": 2500,
        "4-layer net [20, 7, 5]": 2500}
    report = (tmp_path / "report.md").read_text()
    assert "--max-iter 20" in report and "2,500" in report and "not comparable" in report


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


# ------------------------------------------------------------ issue 19: errors first
def _fails_first(argv, capsys, *message):
    """exit 2, one line naming the problem, and no table (nothing was fitted)."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("sknn-scratch: error:")
    for part in message:
        assert part in err
    return err


def test_course_preset_refuses_to_grid_search_on_the_test_set(tmp_path, capsys):
    for option in (["--grid"], ["--scheduler", "local"]):
        _fails_first(["study", "--dataset", "catvnoncat", "--preset", "course", *option,
                      "--out", str(tmp_path / "s")], capsys, "tune on the test set")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("out, message", [
    ("/proc/sknn-study", "--out /proc/sknn-study: cannot write"),
    ("", "--out is empty"),
])
def test_out_is_checked_before_fitting_and_named(out, message, capsys):
    _fails_first(["study", "--dataset", "iris", "--out", out], capsys, message)


def test_a_folder_that_is_not_a_study_is_refused(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("mine")
    _fails_first(["study", "--dataset", "iris", "--out", str(tmp_path)], capsys,
                 "not empty", "no earlier study")
    assert (tmp_path / "thesis.tex").read_text() == "mine"


def test_an_earlier_study_s_files_are_replaced(tmp_path, capsys):
    record = {"sknn_scratch_version": "0", "files": ["results.json", "report.md",
                                                      "old_figure.png"]}
    (tmp_path / "results.json").write_text(json.dumps(record))
    (tmp_path / "old_figure.png").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept")  # not the study's: left alone
    assert main(["study", "--dataset", "iris", "--max-iter", "3", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "old_figure.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "kept"
    written = json.loads((tmp_path / "results.json").read_text())
    assert sorted(written["files"]) == sorted(p.name for p in tmp_path.iterdir()
                                              if p.name != "notes.txt")


def test_closed_scheduler_port_fails_before_fitting(tmp_path, capsys):
    pytest.importorskip("distributed")
    _fails_first(["study", "--dataset", "iris", "--scheduler", "tcp://127.0.0.1:1",
                  "--out", str(tmp_path)], capsys, "--scheduler tcp://127.0.0.1:1")


@pytest.fixture
def silent_port():
    """A listening socket that accepts connections and never speaks."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_schemes_beyond_tcp_are_connected_before_fitting(silent_port, tmp_path, capsys,
                                                         monkeypatch):
    pytest.importorskip("distributed")
    from sknn_scratch.studies import preflight

    monkeypatch.setattr(preflight, "SCHEDULER_TIMEOUT", 1.0)
    for address in ["http://127.0.0.1:1", "inproc://x", f"tls://127.0.0.1:{silent_port}",
                    f"ws://127.0.0.1:{silent_port}"]:
        _fails_first(["study", "--dataset", "iris", "--scheduler", address, "--out",
                      str(tmp_path)], capsys, f"--scheduler {address}")


@pytest.fixture
def fake_servers():
    """An HTTP server (waits for a request, as ``python -m http.server``) and a
    server that answers every connection with 'HTTP/1.1 400 Bad Request'."""
    import http.server
    import socketserver
    import threading

    class Answer400(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                               http.server.SimpleHTTPRequestHandler),
               socketserver.ThreadingTCPServer(("127.0.0.1", 0), Answer400)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"tcp://127.0.0.1:{server.server_address[1]}" for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_non_dask_servers_fail_fast_in_one_line(fake_servers, tmp_path, capsys,
                                                monkeypatch):
    pytest.importorskip("distributed")
    import time

    from sknn_scratch.studies import preflight

    monkeypatch.setattr(preflight, "SCHEDULER_TIMEOUT", 1.0)
    http_server, answers_400 = fake_servers
    start = time.perf_counter()
    _fails_first(["study", "--dataset", "iris", "--scheduler", http_server, "--out",
                  str(tmp_path)], capsys, "no dask scheduler answered within 1 s")
    _fails_first(["study", "--dataset", "iris", "--scheduler", answers_400, "--out",
                  str(tmp_path)], capsys, "not a dask scheduler", "HTTP/1.1")
    assert time.perf_counter() - start < 10


def test_a_real_scheduler_passes_the_check():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from sknn_scratch.studies.preflight import check_scheduler

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        check_scheduler(cluster.scheduler_address, timeout=10)

        async def in_a_notebook():  # an event loop already runs (Jupyter)
            check_scheduler(cluster.scheduler_address, timeout=10)

        import asyncio
        asyncio.run(in_a_notebook())


def test_a_scheme_whose_server_never_sends_the_handshake_is_cut_off(monkeypatch):
    # dask's connect reads the handshake without a timeout: a tls:// server that
    # accepts and never answers would hang it (here a connect that never returns)
    pytest.importorskip("distributed")
    import asyncio
    import time

    import distributed.comm

    from sknn_scratch.studies.preflight import StudyUsageError, check_scheduler

    async def silent(address, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(distributed.comm, "connect", silent)
    start = time.perf_counter()
    with pytest.raises(StudyUsageError, match="answered within 0.4 s"):
        check_scheduler("tls://127.0.0.1:1", timeout=0.2)
    assert time.perf_counter() - start < 5


def test_local_scheduler_prints_no_dashboard_port_warning():
    pytest.importorskip("distributed")
    import socket
    import warnings

    from sknn_scratch.studies.grid import dask_backend

    busy = socket.socket()
    try:
        busy.bind(("127.0.0.1", 8787))  # as a running notebook's cluster would
        busy.listen()
    except OSError:
        pass  # already busy: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with dask_backend("local"):
                pass
        assert not [w for w in caught if "already in use" in str(w.message)]
    finally:
        busy.close()


def test_grid_search_is_reported_and_results_json_records_the_settings(tmp_path,
                                                                       capsys):
    assert main(["study", "--dataset", "iris", "--max-iter", "5", "--grid",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "Grid search" in captured.out
    assert "Grid search" in (tmp_path / "report.md").read_text()
    err = captured.err
    assert "--max-iter 5 does not apply to ScratchLogisticRegression" in err
    record = json.loads((tmp_path / "results.json").read_text())
    settings = record["settings"]
    assert settings["grid"] is True and settings["scheduler"] is None
    assert settings["max_iter"]["applied_to"] == [
        "ShallowNNClassifier", "DeepNNClassifier", "sklearn MLPClassifier"]
    assert set(settings["max_iter"]["skipped"]) == {"ScratchLogisticRegression",
                                                    "sklearn LogisticRegression"}
    grid = record["grid"]
    assert grid["param_grid"]["alpha"] == [1e-4, 1e-2, 1.0]
    assert len(grid["candidates"]) == 6
    assert sorted(c["rank"] for c in grid["candidates"])[0] == 1
    assert record["dev_is_test"] is False and record["dev_label"] == "dev"


# ------------------------------------------------------------ README against the CLI
def _regenerate_module():
    path = Path(__file__).resolve().parents[1] / "docs" / "regenerate_readme.py"
    spec = importlib.util.spec_from_file_location("regenerate_readme", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_fit_times(table):
    """The table's rows without the 'fit s' column (timings differ run to run)."""
    row = re.compile(r"^(.*\d\.\d{4}) +\d+\.\d{2}( .*)$")
    rows = [row.sub(r"\1\2", line) for line in table.splitlines()[2:]]
    assert all(" good fit" in r or " high " in r for r in rows), rows
    return rows


def test_readme_study_table_matches_a_fresh_run(default_study):
    """The README's digits table is what ``sknn-scratch study`` prints today, but
    for the fit times (regenerate it with ``python docs/regenerate_readme.py``)."""
    readme = _regenerate_module().readme_table()
    assert _without_fit_times(readme) == _without_fit_times(default_study[1])
    assert readme.splitlines()[0] == default_study[1].splitlines()[0]


def test_readme_lists_every_option():
    from sknn_scratch.cli import build_parser

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("study", "train"):
        for action in commands[name]._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in readme, f"README misses {name} {option}"


# ------------------------------------------------------- fix19: adversarial review
def test_a_study_file_that_is_a_folder_is_refused_before_fitting(tmp_path, capsys):
    record = {"sknn_scratch_version": "0", "files": ["results.json", "report.md"]}
    (tmp_path / "results.json").write_text(json.dumps(record))
    (tmp_path / "report.md").mkdir()
    _fails_first(["study", "--dataset", "iris", "--max-iter", "2", "--quiet",
                  "--no-learning-curve", "--out", str(tmp_path)], capsys,
                 f"--out {tmp_path}", "report.md", "not a file")
    assert json.loads((tmp_path / "results.json").read_text()) == record


def test_a_failure_while_writing_keeps_the_folder_an_earlier_study(tmp_path,
                                                                   monkeypatch):
    from sknn_scratch.studies import outputs

    record = {"sknn_scratch_version": "0", "files": ["results.json", "report.md"]}
    (tmp_path / "results.json").write_text(json.dumps(record))
    (tmp_path / "report.md").write_text("old")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_report_md", broken)
    assert main(["study", "--dataset", "iris", "--max-iter", "2", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 2
    # the record survives: the folder is still accepted as an earlier study
    assert json.loads((tmp_path / "results.json").read_text()) == record
    monkeypatch.undo()
    assert main(["study", "--dataset", "iris", "--max-iter", "2", "--quiet",
                 "--no-learning-curve", "--out", str(tmp_path)]) == 0
    assert "files" in json.loads((tmp_path / "results.json").read_text())


def test_scheduler_without_grid_is_named_in_the_course_refusal(tmp_path, capsys):
    err = _fails_first(["study", "--dataset", "catvnoncat", "--preset", "course",
                        "--scheduler", "local", "--out", str(tmp_path / "s")], capsys,
                       "--scheduler", "tune on the test set")
    assert "--grid with" not in err
