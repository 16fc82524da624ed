"""The stopping rules' running state, carried from a checkpoint to its resumed fit.

Early stopping keeps, between epochs, the best dev score, the epoch and weights
that reached it and the count of epochs without improvement; the loss plateau
test (``tol``) keeps its count too; and the dev set held out of the training data
comes from a seed drawn once, at the start of the fit. A per-epoch model
(:mod:`._snapshot`) carries all of it as ``_stopping_state``, so that a fit
resumed from it (``warm_start``) stops at the same epoch with the same weights
as the uninterrupted fit. A completed fit carries none: a later warm start
begins the stopping rules afresh, as before.
"""

import numpy as np

from ..training.callbacks import ConvergenceMonitor, EarlyStopping


def carried(est, resume, rule):
    """The state ``est`` (a checkpoint) carries for ``rule``, or None."""
    state = getattr(est, "_stopping_state", None) if resume else None
    return state if state is not None and state["rule"] == rule else None


def split_seed(state, rng):
    """The dev split's seed: the checkpointed fit's, else drawn from the one RNG."""
    if state is not None and state.get("split_seed") is not None:
        return state["split_seed"]
    return int(rng.integers(np.iinfo(np.int32).max))


def early_stopping(est, state):
    """An :class:`EarlyStopping` for ``est``, continuing ``state`` if given."""
    monitor = EarlyStopping(est.n_iter_no_change, est.tol or 0.0)
    if state is not None:
        monitor.best_score, monitor.best_epoch = state["best_score"], state["best_epoch"]
        monitor.no_improvement = state["no_improvement"]
        if state["best_params"] is not None:
            coefs, intercepts = state["best_params"]
            monitor.best_params = ([W.copy() for W in coefs], [b.copy() for b in intercepts])
    return monitor


def plateau(est, state, best_loss):
    """A :class:`ConvergenceMonitor` for ``est``, continuing ``state``'s count."""
    return ConvergenceMonitor(est.tol, est.n_iter_no_change, best_loss,
                              0 if state is None else state["no_improvement"])


def capture(monitor, seed):
    """The running state of ``monitor`` (None: no stopping rule) after an epoch;
    ``seed``, the dev split's, is kept for early stopping only (tol has no split)."""
    if monitor is None:
        return None
    state = {"rule": monitor.reason, "no_improvement": monitor.no_improvement}
    if isinstance(monitor, EarlyStopping):  # tol holds out no dev split: no seed
        params = monitor.best_params
        state.update(split_seed=seed, best_score=monitor.best_score,
                     best_epoch=monitor.best_epoch,
                     best_params=None if params is None else (
                         [np.array(W) for W in params[0]], [np.array(b) for b in params[1]]))
    return state
