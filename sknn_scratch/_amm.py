"""The scheduler's active memory manager, paused cluster-wide while any search runs.

The active memory manager (on by default) drops all replicas of a piece of data
but one every 2 s, which would undo :func:`~sknn_scratch.scaleout.fit_on_dask`'s
broadcast. Two searches on one cluster must not undo each other's pause: the
count of running searches lives on the scheduler (one attribute of the
scheduler object, changed by functions that run on its event loop, so one at a
time). The first search stops the manager, remembering whether it ran; the
last one to end starts it again, if it ran before the first.
"""

def pause(client):
    """Count one more search on the cluster; the first one stops the manager."""
    def on_scheduler(dask_scheduler):
        amm = dask_scheduler.extensions.get("amm")
        state = getattr(dask_scheduler, "_sknn_scratch_amm_pauses", None)
        if state is None or state["count"] == 0:
            state = {"count": 0, "was_running": bool(amm and amm.running)}
            setattr(dask_scheduler, "_sknn_scratch_amm_pauses", state)
            if amm is not None:
                amm.stop()
        state["count"] += 1

    client.run_on_scheduler(on_scheduler)


def release(client, *, quiet=False):
    """One search fewer; the last one starts the manager again if it ran before.

    ``quiet``: a failure to reach the scheduler (a search that is failing, e.g.
    because the client closed meanwhile) is not raised, so it cannot hide the
    search's own error.
    """
    def on_scheduler(dask_scheduler):
        state = getattr(dask_scheduler, "_sknn_scratch_amm_pauses", None)
        if state is None or state["count"] == 0:
            return
        state["count"] -= 1
        amm = dask_scheduler.extensions.get("amm")
        if state["count"] == 0 and state["was_running"] and amm is not None:
            amm.start()

    try:
        client.run_on_scheduler(on_scheduler)
    except Exception:
        if not quiet:
            raise


def paused_searches(client):
    """How many searches hold the pause now (0 when none runs)."""
    def on_scheduler(dask_scheduler):
        state = getattr(dask_scheduler, "_sknn_scratch_amm_pauses", None)
        return 0 if state is None else state["count"]

    return client.run_on_scheduler(on_scheduler)
