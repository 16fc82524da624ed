"""Worker faults on a dask cluster, shared by tests/test_dask.py and benchmarks/scaleout.py.

:class:`KillAtWorstMoment` is a scheduler plugin that SIGKILLs a worker process at
a moment it picks deterministically; :func:`killed_worker` reads what it did;
:func:`assert_same_results` compares two searches' ``cv_results_``.
"""

import os
import signal

import numpy as np
from distributed.diagnostics.plugin import SchedulerPlugin


def assert_same_results(serial, distributed):
    """Every score column, the parameters and ``best_params_`` equal (timings aside)."""
    a, b = serial.cv_results_, distributed.cv_results_
    assert repr(a["params"]) == repr(b["params"])  # (estimators as parameters)
    for key in a:  # every score column; timing columns differ by nature
        if "time" in key or key == "params":
            continue
        if np.ma.isMaskedArray(a[key]):  # param_ columns: compare the unmasked values
            mask = np.ma.getmaskarray(a[key])
            np.testing.assert_array_equal(mask, np.ma.getmaskarray(b[key]), err_msg=key)
            assert repr(a[key].data[~mask]) == repr(b[key].data[~mask]), key
        else:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]),
                                          err_msg=key)
    assert repr(serial.best_params_) == repr(distributed.best_params_)


class KillAtWorstMoment(SchedulerPlugin):
    """SIGKILL a worker when the search's first batch of fits starts processing.

    The victim is the worker holding the only copy of some input (a scattered key
    with a single holder) if there is one: losing it loses that input. Otherwise
    it is the worker the batch runs on. A running active memory manager first
    makes its periodic pass (which drops replicas), so that the moment is the
    worst one whatever its timing. ``pids`` maps worker addresses to process
    ids; the scheduler runs in the test process (LocalCluster), so ``os.kill`` hits
    a child process of the test, which its Nanny restarts.

    With ``at`` (an int) the kill happens instead at the ``at``-th start or end of
    a batch, on the worker ``victim`` (an index into the sorted addresses).
    """

    name = "sknn-kill-worker"

    def __init__(self, pids, at=None, victim=0):
        self.pids = dict(pids)
        self.at, self.victim = at, victim
        self.n_events = 0
        self.killed = None  # (address, pid, holds a sole replica)

    async def start(self, scheduler):
        self.scheduler = scheduler

    def _sole_holders(self):
        self.sole = sorted((str(ts.key), next(iter(ts.who_has)).address)
                           for ts in self.scheduler.tasks.values()
                           if ts.state == "memory" and len(ts.who_has) == 1
                           and not str(ts.key).startswith(("batch_of_",
                                                           "mixed_batch_of_")))
        return sorted({address for _, address in self.sole})

    def transition(self, key, start, finish, *args, **kwargs):
        if self.killed is not None or finish not in ("processing", "memory"):
            return
        if not str(key).startswith(("batch_of_", "mixed_batch_of_")):
            return  # joblib's batches of fits only, not the data
        alive = sorted(a for a in self.scheduler.workers if a in self.pids)
        if not alive:
            return
        self.n_events += 1
        if self.at is None:
            if finish != "processing":
                return
            amm = self.scheduler.extensions.get("amm")
            if amm is not None and amm.running:  # its drops, now rather than in 2 s
                amm.run_once()
            sole = [a for a in self._sole_holders() if a in self.pids]
            ts = self.scheduler.tasks[key]
            address = sole[0] if sole else ts.processing_on.address
            holds_sole = bool(sole)
        elif self.n_events == self.at:
            address, holds_sole = alive[self.victim % len(alive)], None
        else:
            return
        os.kill(self.pids[address], signal.SIGKILL)
        self.killed = (address, self.pids[address], holds_sole)


def killed_worker(client):
    """The plugin's ``killed`` and, last, the sole replicas it saw (None: no kill)."""
    def report(dask_scheduler):
        plugin = dask_scheduler.plugins[KillAtWorstMoment.name]
        return None if plugin.killed is None else (*plugin.killed,
                                                   getattr(plugin, "sole", None))

    return client.run_on_scheduler(report)


