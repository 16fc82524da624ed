"""The training loop: epochs of mini-batch steps, with monitors that may stop it.

One epoch: shuffle the rows with the one ``rng``, and for each mini-batch run
forward/backward on the core, optionally clip the gradients by their global norm,
ask the update rule for the steps and add them. The epoch's loss is the weighted
mean of the mini-batch losses (as MLPClassifier reports it).

Monitors (see :mod:`callbacks`) look at each epoch's record and return True to
stop; stopping never raises. A non-finite loss or weight ends training with the
weights of the last finite epoch restored.
"""

from dataclasses import dataclass, field

import numpy as np

from ..core import network
from ..optim.schedules import learning_rate_at
from . import diagnostics
from .batches import effective_batch_size, iter_batches


@dataclass(frozen=True)
class LoopSettings:
    """How to train, independent of the estimator that asks.

    ``batch_size=None`` is full-batch gradient descent, 1 is SGD.
    """

    learning_rate: float = 0.001
    batch_size: int = None
    schedule: str = "constant"
    decay_rate: float = 1.0
    decay_steps: int = 10
    alpha: float = 0.0
    dropout: float = 0.0
    max_grad_norm: float = None
    augmentation: object = None
    shuffle: bool = True


@dataclass
class TrainingResult:
    coefs: list
    intercepts: list
    opt_state: dict
    records: list = field(default_factory=list)
    stop_reason: str = None  # None (ran out of epochs), 'converged', 'diverged', ...
    message: str = None


def _copy(arrays):
    return [a.copy() for a in arrays]


def _copy_state(state):
    return {k: _copy(v) if isinstance(v, list) else v for k, v in state.items()}


def _all_finite(arrays):
    return all(np.isfinite(a).all() for a in arrays)


def _squared_norm(g):
    flat = g.ravel(order="K")  # a view for C- or F-ordered arrays
    return float(np.vdot(flat, flat))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by ``max_norm / ||g||`` when their global norm exceeds it."""
    norm = np.sqrt(sum(_squared_norm(g) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return norm


def train_epoch(arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
                settings, lr, rng, workspace=None):
    """One pass over the data; updates ``coefs``, ``intercepts`` and ``opt_state``
    in place (``workspace``: reusable buffers from :func:`make_workspace`).

    Returns
    -------
    loss : float
        Weighted mean of the mini-batch objectives.
    opt_state : dict
        The update rule's state after the last step (the same object).
    grad_norms : list of float
        Per layer, the mean over mini-batches of ``||dJ/dW[l]||``.
    """
    n_samples = X.shape[0]
    batch_size = effective_batch_size(settings.batch_size, n_samples)
    dense = isinstance(X, np.ndarray)
    if workspace is None or workspace.batch_size != batch_size:
        workspace = make_workspace(arch, X, coefs[0].dtype, settings)
    if dense and batch_size < n_samples:  # one reused buffer per batch, no copies
        X_buffer = np.empty((batch_size, X.shape[1]), X.dtype)
        Y_buffer = np.empty((batch_size, Y.shape[1]), Y.dtype)
        w_buffer = np.empty(batch_size, sample_weight.dtype)
    total_weight = float(sample_weight.sum())
    loss_sum = 0.0
    norm_sums = np.zeros(arch.n_layers)
    n_batches = 0
    params = coefs + intercepts
    for rows in iter_batches(n_samples, batch_size, rng, settings.shuffle):
        if isinstance(rows, slice):  # full batch: no copy of X
            Xb, Yb, wb = X, Y, sample_weight
        elif dense:  # gather the batch rows into the reused buffers
            m = len(rows)
            Xb = np.take(X, rows, axis=0, out=X_buffer[:m])
            Yb = np.take(Y, rows, axis=0, out=Y_buffer[:m])
            wb = np.take(sample_weight, rows, out=w_buffer[:m])
        else:
            Xb, Yb, wb = X[rows], Y[rows], sample_weight[rows]
        batch_weight = float(wb.sum())
        if batch_weight == 0.0:
            continue  # all-zero-weight batch: nothing to learn from it
        if settings.augmentation is not None:
            Xb = settings.augmentation(Xb, rng)
        masks = network.draw_dropout_masks(arch, Xb.shape[0], settings.dropout, rng,
                                           coefs[0].dtype, workspace)
        loss, dW, db = network.loss_and_gradients(
            arch, coefs, intercepts, Xb, Yb, wb, settings.alpha, masks, batch_weight,
            workspace)
        norm_sums += [np.sqrt(_squared_norm(g)) for g in dW]
        grads = dW + db
        if settings.max_grad_norm is not None:
            clip_by_global_norm(grads, settings.max_grad_norm)
        optimizer.apply(params, grads, opt_state, lr, workspace.scratch)  # in place
        loss_sum += loss * batch_weight
        n_batches += 1
    return loss_sum / total_weight, opt_state, list(norm_sums / max(n_batches, 1))


def make_workspace(arch, X, dtype, settings):
    """The buffers one epoch over ``X`` needs (see :class:`network.Workspace`)."""
    batch_size = effective_batch_size(settings.batch_size, X.shape[0])
    return network.Workspace(arch, batch_size, dtype, dropout=bool(settings.dropout))


def run_training(arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
                 settings, rng, *, max_epochs, first_epoch=0, monitors=(),
                 evaluate=None, reference_loss=None):
    """Train for up to ``max_epochs`` epochs; the caller's arrays are not modified.

    Parameters
    ----------
    first_epoch : int
        Index of the first epoch (for schedules when resuming a fit).
    monitors : sequence
        Objects with ``on_epoch_end(record, coefs, intercepts) -> bool`` (True
        stops) and optionally ``finish(result)`` to adjust the result at the end.
    evaluate : callable ``(coefs, intercepts) -> (val_loss, val_score)``, optional
        Dev-set evaluation after each epoch.
    reference_loss : float, optional
        The objective at the start of training (estimated here on the first
        batch's rows when not given; a resumed fit passes its first one). An epoch
        whose loss exceeds ``EXPLOSION_FACTOR`` times it, or is not finite, counts
        as diverged.
    """
    coefs, intercepts = _copy(coefs), _copy(intercepts)
    opt_state = _copy_state(opt_state)  # the rules advance it in place
    workspace = make_workspace(arch, X, coefs[0].dtype, settings)
    result = TrainingResult(coefs, intercepts, opt_state)
    if reference_loss is None:  # the objective at the start, on one batch's rows
        rows = slice(0, workspace.batch_size)
        if sample_weight[rows].sum() > 0:
            reference_loss = network.loss_and_gradients(
                arch, coefs, intercepts, X[rows], Y[rows], sample_weight[rows],
                settings.alpha, workspace=workspace)[0]
    first_loss = reference_loss
    for epoch in range(first_epoch, first_epoch + max_epochs):
        lr = learning_rate_at(settings.schedule, settings.learning_rate, epoch,
                              settings.decay_rate, settings.decay_steps)
        saved = (_copy(coefs), _copy(intercepts), _copy_state(opt_state))
        loss, opt_state, grad_norms = train_epoch(
            arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
            settings, lr, rng, workspace)
        weights_finite = _all_finite(coefs) and _all_finite(intercepts)
        finite = np.isfinite(loss) and weights_finite
        if first_loss is None and finite:
            first_loss = loss
        if not finite or loss > diagnostics.EXPLOSION_FACTOR * first_loss:
            coefs[:], intercepts[:], opt_state = saved
            result.stop_reason = "diverged"
            result.message = diagnostics.explosion_message(
                epoch + 1, np.nan if first_loss is None else first_loss, loss,
                settings.learning_rate,
                getattr(optimizer, "name", "?"), weights_finite)
            break
        record = {"epoch": epoch + 1, "loss": loss, "val_loss": None, "val_score": None,
                  "learning_rate": lr, "grad_norms": grad_norms}
        if evaluate is not None:
            record["val_loss"], record["val_score"] = evaluate(coefs, intercepts)
        result.records.append(record)
        result.opt_state = opt_state
        stop = False
        for monitor in monitors:
            if monitor.on_epoch_end(record, coefs, intercepts):
                stop = True
                result.stop_reason = getattr(monitor, "reason", "stopped")
        if stop:
            break
    result.coefs, result.intercepts, result.opt_state = coefs, intercepts, opt_state
    for monitor in monitors:
        if hasattr(monitor, "finish"):
            monitor.finish(result)
    return result


def make_evaluator(arch, X_val, Y_val, sample_weight_val):
    """``evaluate(coefs, intercepts) -> (val_loss, val_score)`` on a dev set.

    ``val_loss`` is the weighted cross-entropy (no penalty term); ``val_score``
    the weighted accuracy.
    """
    from ..core import losses

    truth = Y_val[:, 0] > 0.5 if Y_val.shape[1] == 1 else Y_val.argmax(axis=1)
    weight_sum = float(sample_weight_val.sum())

    def evaluate(coefs, intercepts):
        Z = network.logits(arch, coefs, intercepts, X_val)
        loss = losses.weighted_loss(Z, Y_val, sample_weight_val, weight_sum)
        guess = Z[:, 0] > 0 if Z.shape[1] == 1 else Z.argmax(axis=1)
        score = float((guess == truth) @ sample_weight_val) / weight_sum
        return loss, score

    return evaluate
