"""The model at one epoch (or Newton iteration) of a running fit, for callbacks.

What callbacks get as ``fitted_estimator``.

A complete fitted estimator, as if ``fit`` had stopped after that epoch: its
weights, ``history_`` and curves up to that epoch, ``n_iter_``/``t_``, and the
optimizer's state and the generator as they are after it. So a checkpoint
callback can ``save_model`` it, and ``warm_start`` from the saved file continues
exactly as the uninterrupted fit does, also when it stops on its own (the
stopping rule's running state, :mod:`._stopstate`). It holds no training data
and nothing of the running fit (see ``_callbacks.CallbackSupportMixin.__copy__``),
and it never shares a mutable array or list with the live estimator.
"""

import copy

from ..training.loop import TrainingResult
from . import _fitting, _stopstate

#: Fitted lists a resumed fit extends in place (``_store``): copied for a snapshot.
_EXTENDED = ("history_", "loss_curve_", "validation_scores_", "validation_loss_curve_")

#: ``stop_reason_`` and ``stop_message_`` of a snapshot: the fit had not ended, so
#: its last epoch's record carries no stop reason, as in the uninterrupted fit.
RUNNING = (None, "the fit was still running: this is the model after its latest epoch")


def builder(est, classes, arch, rng, resume, live):
    """``snapshot(coefs, intercepts, run)`` for one fit of ``est``.

    ``rng`` is the generator the training loop draws from (its state after an
    epoch is the one a resumed fit must start with); ``run`` is the loop's
    running :class:`TrainingResult`: this call's epochs (Newton iterations) so
    far and the optimizer's state now (None for Newton, which keeps none).
    ``live``: the fit's stopping monitor and dev split seed
    (``_fitting.train_first_order`` fills it), carried as ``_stopping_state``.
    """
    def snapshot(coefs, intercepts, run):
        model = copy.copy(est)
        if resume:
            for name in _EXTENDED:
                value = getattr(est, name, None)
                setattr(model, name, None if value is None else list(value))
        state = run.opt_state  # None: Newton, or no step yet
        if state is not None:
            state = (_fitting.update_rule(est), copy.deepcopy(state))
        result = TrainingResult(
            [W.copy() for W in coefs], [b.copy() for b in intercepts], state,
            records=[dict(record) for record in run.records], n_samples=run.n_samples)
        model._store(result, classes, arch, copy.deepcopy(rng), resume, RUNNING)
        model._stopping_state = _stopstate.capture(live.get("monitor"),
                                                   live.get("split_seed"))
        return dict(vars(model))

    return snapshot
