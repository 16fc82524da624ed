"""The training loop: epochs of mini-batch steps, with monitors that may stop it.

One epoch: shuffle the rows with the one ``rng``, and for each mini-batch run
forward/backward on the core, optionally clip the gradients by their global norm,
ask the update rule for the steps and add them. The epoch's loss is the weighted
mean of the mini-batch losses (as MLPClassifier reports it).

Monitors (see :mod:`callbacks`) look at each epoch's record and return True to
stop; stopping never raises. The divergence guard (:mod:`guard`) ends training
when the loss explodes or the weights or the optimizer's averages stop being
finite, checks the weights handed back (the last update's result included) and
names the cause; the last sound weights are kept.

The weights, their gradients and the optimizer's state are each one contiguous
vector (:mod:`sknn_scratch.core.flat`) with per-layer views: the update rule runs
over the vector chunk by chunk, and nothing parameter-sized is allocated per step
or per epoch. Wide full-batch gradient descent carries the first layer's ``X W[1]``
through the steps instead of recomputing it (:mod:`.sample_space`; exact up to
round-off, so resumed fits agree with uninterrupted ones to ~1e-12 there).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ..core import network
from ..core.flat import FlatLayout
from ..core.sparse import CscBatches
from ..optim.schedules import learning_rate_at
from .activity import UnitActivity
from .guard import DivergenceGuard
from .batches import augment_batch, effective_batch_size, gather_rows, iter_batches
from .operands import rule_operands
from .sample_space import sample_space_first_layer


@dataclass(frozen=True)
class LoopSettings:
    """How to train, independent of the estimator that asks.

    ``batch_size=None`` is full-batch gradient descent, 1 is SGD.
    """

    learning_rate: float = 0.001
    batch_size: int = None
    schedule: str = "constant"
    decay_rate: float = None  # None: the schedule's default (optim.schedules)
    decay_steps: int = None
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
    stop_reason: str = None  # None (ran out of epochs), 'tol', 'diverged', ...
    message: str = None
    start_loss: float = None  # the objective at the starting weights
    n_samples: int = 0  # rows trained on per epoch (an estimator's t_ counts them)
    solver_state: object = None  # Newton's preconditioner policy, for a warm start
    # the class codes the final weights predict for every training row, when the
    # solver has them at hand (the end-of-fit checks then need no pass over X)
    predicted: object = None


def _squared_norm(g):
    flat = g.ravel(order="K")  # a view for C- or F-ordered arrays
    return float(np.vdot(flat, flat))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by ``max_norm / ||g||`` when their global norm exceeds it."""
    norm = math.sqrt(sum(_squared_norm(g) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm  # a Python float: float32 stays float32 (NEP 50)
    return norm


def train_epoch(arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
                settings, lr, rng, workspace=None, guard=None, activity=None,
                batch_losses=None, operands=None, first_layer=None):
    """One pass over the data; updates ``coefs``, ``intercepts`` and ``opt_state``
    in place (``workspace``: reusable buffers from :func:`make_workspace`;
    ``guard``: a :class:`~.guard.DivergenceGuard` told when an augmented batch
    with a non-finite loss held NaN or inf; ``activity``: a
    :class:`~.activity.UnitActivity` shown each batch's hidden activations;
    ``batch_losses``: a list each mini-batch's objective is appended to, in step
    order; ``operands``: what :func:`rule_operands` returned for these weights,
    this ``workspace`` and ``opt_state``, so that a run finds them once rather
    than every epoch; ``first_layer``: a
    :class:`~.sample_space.SampleSpaceFirstLayer` carrying ``X W[1]`` for the
    full batch, followed through each step).

    ``Y`` holds the one-hot targets in any dtype (bool keeps them small): each
    batch is converted to the weights' dtype in the workspace.

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
    dtype = coefs[0].dtype
    batch_size = effective_batch_size(settings.batch_size, n_samples)
    dense = isinstance(X, np.ndarray)
    if workspace is None or workspace.batch_size != batch_size:
        workspace = make_workspace(arch, X, dtype, settings)
        operands = None  # they were the other workspace's gradients
    total_weight = float(sample_weight.sum())
    loss_sum = 0.0
    norm_sums = np.zeros(arch.n_layers)
    n_batches = 0
    if operands is None:
        operands = rule_operands(coefs, intercepts, workspace, opt_state)
    rule_params, rule_grads, rule_state = operands
    batches = None  # sparse X: mini-batches taken in CSC into reused buffers
    if not dense and batch_size < n_samples and settings.augmentation is None:
        batches = CscBatches(X, batch_size)
    for rows in iter_batches(n_samples, batch_size, rng, settings.shuffle):
        if isinstance(rows, slice):  # full batch: no copy of X
            Xb, wb = X, sample_weight
            Yb = Y if Y.dtype == dtype else Y.astype(dtype)
        elif dense:  # gather the batch rows into the reused buffers
            Xb = gather_rows(X, rows, workspace.X)
            Yb = gather_rows(Y, rows, workspace.Y)
            wb = gather_rows(sample_weight, rows, workspace.w)
        else:  # in CSC already, unless an augmentation is to see CSR rows
            Xb = batches.take(rows) if batches is not None else X[rows]
            wb = sample_weight[rows]
            Yb = gather_rows(Y, rows, workspace.Y)
        batch_weight = float(wb.sum())
        if batch_weight == 0.0:
            continue  # all-zero-weight batch: nothing to learn from it
        if settings.augmentation is not None:
            # a full batch is the caller's X itself: the augmentation gets a copy
            # (mini-batches are gathered into the workspace or sliced: copies)
            Xb = augment_batch(settings.augmentation,
                               Xb.copy() if Xb is X else Xb, rng)
        if not dense and Xb is not X:
            # sparse mini-batch rows held column by column: both first-layer products
            # (core.sparse) then walk W's rows, and dW's, in increasing order
            Xb = Xb.tocsc(copy=False)  # (CscBatches' batches already are)
        masks = network.draw_dropout_masks(arch, Xb.shape[0], settings.dropout, rng,
                                           dtype, workspace)
        outputs, inputs = network.forward(
            arch, coefs, intercepts, Xb, masks, workspace,
            None if first_layer is None else first_layer.product)
        if activity is not None:  # before backward writes dZ[l] over the hidden A[l]
            activity.observe(workspace, Xb.shape[0])
        loss, dW, db = network.backward(arch, coefs, outputs, inputs, Yb, wb,
                                        settings.alpha, masks, batch_weight, workspace)
        if (guard is not None and settings.augmentation is not None
                and not math.isfinite(loss) and not _all_finite(Xb)):
            guard.augmentation_nonfinite = True  # rare path: checked only then
        # ||dW[l]||, from backward where the sparse first layer's pass took it
        norm_sums += [np.sqrt(_squared_norm(g) if known is None else known)
                      for g, known in zip(dW, workspace.grad_squares)]
        if settings.max_grad_norm is not None:
            clip_by_global_norm(dW + db, settings.max_grad_norm)
        optimizer.apply(rule_params, rule_grads, rule_state, lr, workspace.scratch)
        if first_layer is not None:  # X W[1] follows the step (see sample_space)
            first_layer.step(workspace.first_delta, lr, settings.alpha / batch_weight)
        loss_sum += loss * batch_weight
        n_batches += 1
        if batch_losses is not None:
            batch_losses.append(float(loss))
    opt_state["t"] = rule_state["t"]
    return loss_sum / total_weight, opt_state, list(norm_sums / max(n_batches, 1))


def _all_finite(X):
    return bool(np.isfinite(X if isinstance(X, np.ndarray) else X.data).all())


def make_workspace(arch, X, dtype, settings):
    """The buffers one epoch over ``X`` needs (see :class:`network.Workspace`),
    with room for gathered rows of ``X`` when it is dense and cut into batches, and
    the gradients laid out for ``X`` (dense or sparse, as :func:`run_training`
    lays out the weights)."""
    n_samples = X.shape[0]
    batch_size = effective_batch_size(settings.batch_size, n_samples)
    gather = isinstance(X, np.ndarray) and batch_size < n_samples
    return network.Workspace(arch, batch_size, dtype, dropout=bool(settings.dropout),
                             gather_dtype=X.dtype if gather else None,
                             sparse_input=not isinstance(X, np.ndarray))


def run_training(arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
                 settings, rng, *, max_epochs, first_epoch=0, monitors=(),
                 evaluate=None, reference_loss=None, copy=True):
    """Train for up to ``max_epochs`` epochs.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        The starting weights. They are copied into one flat vector (see
        :mod:`sknn_scratch.core.flat`, laid out for a dense or a sparse ``X``)
        unless ``copy=False`` and they already are views of one in that layout
        (as :func:`network.init_params` returns them, given ``sparse_input``):
        then training updates them in place.
    opt_state : dict or None
        The update rule's state to resume from (copied, never modified), or None
        for a fresh ``optimizer.init``.
    Y : ndarray of shape (n_samples, n_outputs)
        One-hot targets, any dtype (see :func:`train_epoch`).
    first_epoch : int
        Epochs already run (when resuming a fit): this run's first epoch is
        number ``first_epoch + 1`` for the schedule and in the records.
    monitors : sequence
        Objects with ``on_epoch_end(record, coefs, intercepts) -> bool`` (True
        stops), optionally ``start(result)`` (the result, filled as epochs run)
        and ``finish(result)`` to adjust the result at the end.
    evaluate : callable ``(coefs, intercepts) -> (val_loss, val_score)``, optional
        Dev-set evaluation after each epoch.
    reference_loss : float, optional
        The objective at the start of training; by default evaluated on this
        run's data at the starting weights (:mod:`.guard`, on a sample of rows
        for large data). An epoch whose loss is not finite or exceeds
        ``EXPLOSION_FACTOR`` times ``max(reference, log K)``, or that leaves
        non-finite weights or optimizer averages, counts as diverged. The weights
        handed back are checked as well, the last update's result included: if
        they fail, the weights at the start of their epoch are kept and its
        record dropped. After a divergence the optimizer's state is reset (its
        averages have seen the exploding gradients).

    Returns
    -------
    TrainingResult
        ``coefs``/``intercepts`` are views of the trained vector; ``opt_state``
        holds per-parameter views of the state's vectors.
    """
    layout = FlatLayout(arch.layer_sizes, sparse_input=not isinstance(X, np.ndarray))
    dtype = coefs[0].dtype
    theta = None if copy else layout.vector_of(coefs + intercepts)
    if theta is None:
        theta = layout.pack(coefs + intercepts, dtype)
    coefs, intercepts = layout.views(theta)
    opt_state = _flat_state(layout, optimizer, opt_state, dtype)
    workspace = make_workspace(arch, X, dtype, settings)
    if workspace.batch_size == X.shape[0]:  # full batch: converted once, not every epoch
        Y = Y.astype(dtype, copy=False)
        # the weights as one contiguous vector (unweighted data comes as a broadcast
        # 1.0): the loss's dot product sums as it does for any weights
        sample_weight = np.ascontiguousarray(sample_weight)
    result = TrainingResult(coefs, intercepts, opt_state, n_samples=X.shape[0])
    for monitor in monitors:  # e.g. callbacks that snapshot the model at each epoch
        if hasattr(monitor, "start"):
            monitor.start(result)
    guard = DivergenceGuard(arch, coefs, intercepts, X, Y, sample_weight, settings,
                            optimizer, reference_loss, lazy=True, workspace=workspace)
    # the weights at the start of this epoch and of the previous one (swapped, not
    # copied): the fallbacks when an epoch's result must be discarded
    saved, previous = np.empty_like(theta), np.empty_like(theta)
    problem = None
    activity = UnitActivity(arch, dtype) if arch.n_layers > 1 else None
    operands = rule_operands(coefs, intercepts, workspace, opt_state)
    # wide full-batch gradient descent: X W[1] carried through the steps
    first_layer = sample_space_first_layer(arch, X, coefs, optimizer, settings,
                                           max_epochs)
    for epoch in range(first_epoch, first_epoch + max_epochs):
        # schedules number epochs from 1, as history_ does (optim.schedules)
        lr = learning_rate_at(settings.schedule, settings.learning_rate, epoch + 1,
                              settings.decay_rate, settings.decay_steps)
        saved, previous = previous, saved
        np.copyto(saved, theta)
        batch_losses = []  # per step: what the notes' smoothed cost curves average
        if activity is not None:
            activity.start_epoch()
        if first_layer is not None:
            first_layer.start_epoch(epoch)  # recomputed at fixed epochs: bounded drift
        loss, opt_state, grad_norms = train_epoch(
            arch, coefs, intercepts, optimizer, opt_state, X, Y, sample_weight,
            settings, lr, rng, workspace, guard, activity, batch_losses, operands,
            first_layer)
        # the state as the rule sees it: one vector per average when laid out flat
        problem = guard.epoch_problem(loss, theta, operands[2])
        if problem is not None:
            np.copyto(theta, saved)
            break
        record = {"epoch": epoch + 1, "loss": loss, "val_loss": None, "val_score": None,
                  "learning_rate": lr, "grad_norms": grad_norms,
                  "dead_fraction": [] if activity is None else activity.dead_fractions(),
                  "batch_losses": batch_losses}
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
    # Check the weights handed back: after a divergence, the start of the diverged
    # epoch (in full batch its loss is exactly what exploded); otherwise the result
    # of the last update, which no epoch loss has seen.
    if result.records:
        ok, final_loss = guard.sound(coefs, intercepts, theta)
        if not ok:
            np.copyto(theta, saved if problem is None else previous)
            dropped = result.records.pop()
            if problem is None:
                problem, loss, lr = "final", final_loss, dropped["learning_rate"]
    if problem is not None:
        opt_state = _flat_state(layout, optimizer, None, dtype)
        result.stop_reason = "diverged"
        result.message = guard.message(
            first_epoch + len(result.records) + 1, loss, lr,
            "loss" if problem == "final" else problem,
            after_last_step=problem == "final")
    result.coefs, result.intercepts, result.opt_state = coefs, intercepts, opt_state
    result.start_loss = guard.start_loss
    for monitor in monitors:
        if hasattr(monitor, "finish"):
            monitor.finish(result)
    return result


def _flat_state(layout, optimizer, state, dtype):
    """``state`` (None: a fresh ``optimizer.init``) with each per-parameter list
    copied into one vector laid out like the weights, as per-parameter views of it."""
    if state is None:
        state = optimizer.init([])  # its scalar entries; the lists come empty
        vectors = {k: np.zeros(layout.size, dtype)
                   for k, v in state.items() if isinstance(v, list)}
    else:
        vectors = {k: layout.pack(v, dtype)
                   for k, v in state.items() if isinstance(v, list)}
    flat = dict(state)
    for key, vector in vectors.items():
        coefs, intercepts = layout.views(vector)
        flat[key] = coefs + intercepts
    return flat


def make_evaluator(arch, X_val, Y_val, sample_weight_val):
    """``evaluate(coefs, intercepts) -> (val_loss, val_score)`` on a dev set.

    ``val_loss`` is the weighted cross-entropy (no penalty term); ``val_score``
    the weighted accuracy.
    """
    from ..core import losses

    multilabel = arch.multilabel  # then the score is the subset accuracy
    if multilabel or Y_val.shape[1] == 1:
        truth = Y_val > 0.5
    else:
        truth = Y_val.argmax(axis=1)
    weight_sum = float(sample_weight_val.sum())

    def evaluate(coefs, intercepts):
        Z = network.logits(arch, coefs, intercepts, X_val)
        loss = losses.weighted_loss(Z, Y_val, sample_weight_val, weight_sum, multilabel)
        guess = Z > 0 if multilabel or Z.shape[1] == 1 else Z.argmax(axis=1)
        hits = guess == truth
        if hits.ndim == 2:  # every label right
            hits = hits.all(axis=1)
        score = float(hits @ sample_weight_val) / weight_sum
        return loss, score

    return evaluate
