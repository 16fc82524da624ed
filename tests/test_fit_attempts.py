"""A fit rerun after its worker died is told apart from the lost attempt in callback logs.

The retry is simulated without a cluster, as dask makes it: the same fit runs in
two fresh interpreters, the first dying (``os._exit``) after epoch 3 with the rows
it had logged so far. Both sets of rows, merged as the client's monitor receives
them, must be distinguishable (each fit call's id) and ``complete_attempts`` must
keep exactly the second, complete attempt.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn_scratch import ScratchLogisticRegression, ShallowNNClassifier
from sknn_scratch._callbacks import HAS_CALLBACKS
from sknn_scratch.scaleout import complete_attempts, fit_call_id

pytestmark = pytest.mark.skipif(not HAS_CALLBACKS,
                                reason="scikit-learn has no sklearn.callback")

ROOT = Path(__file__).resolve().parents[1]

_ATTEMPT = """
import json, os, sys
from sklearn.callback import ScoringMonitor
from sklearn.datasets import make_classification
from sknn_scratch import ShallowNNClassifier
from sknn_scratch.scaleout import fit_call_id

out, die_after = sys.argv[1], int(sys.argv[2])
X, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=0)
monitor = ScoringMonitor(scoring={"accuracy": "accuracy", "fit_call": fit_call_id})


def dump():
    rows = [dict(r, task_id_path=list(r["task_id_path"]),
                 parent_task_id_path=list(r["parent_task_id_path"]))
            for r in monitor.get_logs().data]
    with open(out, "w") as f:
        json.dump(rows, f)


class DieAfter:  # the worker is killed after epoch `die_after`: no cleanup at all
    def setup(self, estimator, context): pass
    def teardown(self, estimator, context): pass
    def on_fit_task_begin(self, estimator, context): pass
    def on_fit_task_end(self, estimator, context):
        if context.task_name == "epoch" and context.task_id + 1 == die_after:
            dump()
            os._exit(1)


net = ShallowNNClassifier(max_iter=6, tol=None, random_state=0)
net.set_callbacks(monitor, DieAfter()).fit(X, y)
dump()
"""


def _attempts(tmp_path, **die_after):
    """Rows each attempt logged, by name; the attempts run side by side."""
    procs = {name: subprocess.Popen([sys.executable, "-c", _ATTEMPT,
                                     str(tmp_path / f"{name}.json"), str(n)], cwd=ROOT)
             for name, n in die_after.items()}
    attempts = {}
    for name, proc in procs.items():
        proc.wait(timeout=300)
        rows = json.loads((tmp_path / f"{name}.json").read_text())
        for row in rows:
            row["task_id_path"] = tuple(row["task_id_path"])
            row["parent_task_id_path"] = tuple(row["parent_task_id_path"])
        attempts[name] = rows
    return attempts


def test_a_retried_fit_logs_rows_told_apart_from_the_lost_attempt(tmp_path):
    # the retry runs to the end (0: it never dies)
    attempts = _attempts(tmp_path, lost=3, retry=0)
    lost, retry = attempts["lost"], attempts["retry"]
    epochs = [row for row in lost + retry if row["task_name"] == "epoch"]
    assert [r["task_id"] for r in epochs] == [0, 1, 2] + [0, 1, 2, 3, 4, 5]
    # the same epochs, the same scores (fits are deterministic): only the id differs
    assert [r["accuracy"] for r in epochs[:3]] == [r["accuracy"] for r in epochs[3:6]]
    ids = {r["fit_call"] for r in lost}, {r["fit_call"] for r in retry}
    assert all(len(one) == 1 and len(next(iter(one))) == 32 for one in ids)
    assert ids[0] != ids[1]
    assert complete_attempts(lost + retry) == retry
    assert complete_attempts(retry + lost) == retry  # whatever the arrival order


def _rows(attempt, path, n, with_fit_row):
    rows = [{"task_id_path": (*path, k), "parent_task_id_path": path,
             "task_name": "epoch", "task_id": k, "fit_call": attempt} for k in range(n)]
    if with_fit_row:
        rows.append({"task_id_path": path, "parent_task_id_path": path[:-1],
                     "task_name": "fit", "task_id": path[-1], "fit_call": attempt})
    return rows


def test_complete_attempts_keeps_each_fits_longest_attempt_and_foreign_rows():
    # two folds of a search; fold 1's fit was cut after 2 epochs and rerun
    fold0 = _rows("a", (0, 0), 4, True)
    cut, rerun = _rows("b", (0, 1), 2, False), _rows("c", (0, 1), 4, True)
    search_row = {"task_id_path": (0,), "parent_task_id_path": (), "task_name": "fit",
                  "task_id": 0, "fit_call": None}  # the search's own: no attempt
    rows = [search_row] + fold0 + cut + rerun
    assert complete_attempts(rows) == [search_row] + fold0 + rerun
    # a kill after the last epoch: two full attempts with the same rows, one kept
    twice = _rows("d", (0, 0), 4, False) + _rows("e", (0, 0), 4, False)
    assert complete_attempts(twice) == twice[:4]
    with pytest.raises(ValueError, match="'attempt' column"):
        complete_attempts(rows, key="attempt")


def test_every_model_handed_over_carries_its_fit_calls_id():
    from sklearn.callback import ScoringMonitor

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    for est in (ShallowNNClassifier(max_iter=3, tol=None, random_state=0),
                ScratchLogisticRegression()):  # epochs and Newton iterations
        monitor = ScoringMonitor(scoring={"accuracy": "accuracy", "call": fit_call_id})
        est.set_callbacks(monitor)
        first = monitor_rows = None
        for _ in range(2):  # two fit calls: two ids
            est.fit(X, y)
            monitor_rows = monitor.get_logs().data
            ids = {row["call"] for row in monitor_rows}
            assert len(ids) == 1 and None not in ids
            assert len(monitor_rows) == est.n_iter_ + 1  # the subtasks and the fit
            assert ids != first
            first = ids
        # the id is no fitted attribute: nothing of it on the model or in its file
        assert fit_call_id(est) is None
    assert np.isfinite([row["accuracy"] for row in monitor_rows]).all()
