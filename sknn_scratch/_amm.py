"""The scheduler's active memory manager, paused cluster-wide while any search runs.

The active memory manager (on by default) drops all replicas of a piece of data
but one every 2 s, which would undo :func:`~sknn_scratch.scaleout.fit_on_dask`'s
broadcast. Two searches on one cluster must not undo each other's pause: the
running searches are counted on the scheduler (one attribute of the scheduler
object, changed by functions that run on its event loop, so one at a time). The
first search stops the manager, remembering whether it ran; the last one to end
starts it again, if it ran before the first. A search whose client vanished
without ending (closed mid-search) is dropped from the count at the next pause
or release on that scheduler.
"""

import uuid


def _drop_vanished(state, dask_scheduler):
    """Drop the holders whose client is gone (they will never release); returns
    whether any was dropped."""
    gone = [held for held, owner in state["holders"].items()
            if owner not in dask_scheduler.clients]
    for held in gone:
        del state["holders"][held]
    return bool(gone)


def pause(client):
    """Count one more search on the cluster; the first one stops the manager.

    Returns the search's token, for :func:`release`.
    """
    token, client_id = uuid.uuid4().hex, client.id

    def on_scheduler(dask_scheduler):
        amm = dask_scheduler.extensions.get("amm")
        state = getattr(dask_scheduler, "_sknn_scratch_amm_pauses", None)
        if state is None:
            state = {"holders": {}, "was_running": False}
            setattr(dask_scheduler, "_sknn_scratch_amm_pauses", state)
        if not state["holders"]:
            # no search holds the pause: the manager is as its user left it
            state["was_running"] = bool(amm and amm.running)
        # emptied by the cleanup: the manager is still stopped by the vanished
        # searches' pause, and state["was_running"] still tells how it was before
        _drop_vanished(state, dask_scheduler)
        if not state["holders"] and amm is not None:
            amm.stop()
        state["holders"][token] = client_id

    client.run_on_scheduler(on_scheduler)
    return token


def release(client, token, *, quiet=False):
    """The search ``token`` ended; the last one starts the manager again if it ran
    before the first.

    ``quiet``: a failure to reach the scheduler (a search that is failing, e.g.
    because the client closed meanwhile) is not raised, so it cannot hide the
    search's own error.
    """
    def on_scheduler(dask_scheduler):
        state = getattr(dask_scheduler, "_sknn_scratch_amm_pauses", None)
        if state is None:
            return
        released = state["holders"].pop(token, None) is not None
        dropped = _drop_vanished(state, dask_scheduler)
        if not (released or dropped):
            return
        amm = dask_scheduler.extensions.get("amm")
        if not state["holders"] and state["was_running"] and amm is not None:
            amm.start()

    try:
        client.run_on_scheduler(on_scheduler)
    except Exception:
        if not quiet:
            raise
