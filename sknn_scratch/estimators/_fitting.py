"""From an estimator's parameters to a run of the training loop (first-order solvers).

Builds the update rule, the loop settings, the dev set (an explicit ``X_val`` or a
``validation_fraction`` of the weighted rows, stratified where it can be, drawn
with the one RNG), the monitors, and turns the loop's diagnostics into warnings
that name the cause and the fix.
"""

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ..core import losses
from ..optim import make_optimizer
from ..optim.schedules import resolve_schedule
from ..training import diagnostics, stops
from ..training.activity import dead_since
from ..training.loop import LoopSettings, make_evaluator, run_training
from ..training.outcome import fit_outcome
from . import _stopstate


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the loss exploded or became non-finite."""


class TrainingDiagnosticWarning(UserWarning):
    """A symptom that explains poor training (unscaled inputs, vanishing gradients)."""


def loop_settings(est, n_samples):
    decay_rate, decay_steps = resolve_schedule(
        est.learning_rate_schedule, est.decay_rate, est.decay_steps)
    batch_size = min(200, n_samples) if est.batch_size == "auto" else est.batch_size
    return LoopSettings(
        learning_rate=est.learning_rate, batch_size=batch_size,
        schedule=est.learning_rate_schedule, decay_rate=decay_rate,
        decay_steps=decay_steps, alpha=est._alpha(),
        dropout=getattr(est, "dropout", 0.0),
        max_grad_norm=getattr(est, "max_grad_norm", None),
        augmentation=getattr(est, "augmentation", None))


def split_validation(X, codes, sw, fraction, seed):
    """Hold out ``fraction`` of the rows that carry weight, split as ``seed`` draws.

    Rows of zero weight all stay in the training part: they would make a dev set
    that weighs nothing, and they change nothing in training. So the split is the
    one the data without them gets (zero weight is the same as no row). It is
    stratified when every class present can be, i.e. has at least 2 rows and each
    part has room for one row of every class; otherwise it is a plain random split
    (MLPClassifier does not stratify a multiclass y either). Like MLPClassifier,
    the validation part needs at least 2 rows. ``seed``: drawn once per fit
    from the one RNG (:func:`._stopstate.split_seed`).
    """
    weighted = np.flatnonzero(sw > 0)
    n_val = math.ceil(fraction * weighted.size)  # train_test_split's rounding
    n_train = weighted.size - n_val
    if n_val < 2 or n_train < 1:
        zero = X.shape[0] - weighted.size
        of = (f"the {weighted.size} samples with positive sample_weight (of "
              f"{X.shape[0]})" if zero else f"{X.shape[0]} samples")
        problem = (f"{n_val} validation sample(s); at least 2 are needed" if n_val < 2
                   else "no sample to train on")
        raise ValueError(
            f"early_stopping cannot hold out validation_fraction={fraction} of {of}: "
            f"that leaves {problem}. Use another validation_fraction, more data, or "
            "pass X_val/y_val."
        )
    stratifiable = codes.ndim == 1  # not a multilabel indicator (as MLPClassifier)
    if stratifiable:
        counts = np.bincount(codes[weighted])
        counts = counts[counts > 0]
        stratifiable = counts.min() >= 2 and min(n_val, n_train) >= counts.size
    train, val = train_test_split(
        weighted, test_size=fraction, random_state=seed,
        stratify=codes[weighted] if stratifiable else None)
    train = np.union1d(train, np.flatnonzero(sw == 0))  # sorted
    val.sort()
    return (X[train], codes[train], sw[train]), (X[val], codes[val], sw[val])


def update_rule(est):
    """The first-order update rule (optimizer) ``est``'s parameters ask for."""
    return make_optimizer(est.solver, momentum=est.momentum, beta_1=est.beta_1,
                          beta_2=est.beta_2, epsilon=est.epsilon)


def train_first_order(est, arch, coefs, intercepts, X, codes, sw, n_classes, rng, *,
                      incremental, resume, dev, live):
    """Run the loop for ``est``; returns the loop's TrainingResult.

    ``dev`` is None or ``(X_val, codes_val, sw_val)``; with ``early_stopping`` and
    no dev set, one is held out of the training data. ``live`` (a dict) receives
    the stopping rule's monitor and the dev split's seed, for per-epoch models.
    """
    optimizer = update_rule(est)
    state = getattr(est, "_optimizer_state", None) if resume else None
    opt_state = state[1] if state is not None and state[0] == optimizer else None
    if resume and state is None and getattr(est, "_optimizer_state_dropped", False):
        warnings.warn(
            f"This {type(est).__name__} was loaded from a weights-only model file "
            "(saved with include_optimizer_state=False): training resumes from its "
            f"weights with a fresh {optimizer.name!r} optimizer state (step count 0, "
            "no moment estimates), so the first updates differ from those of an "
            "uninterrupted run.", UserWarning, stacklevel=4)

    early = est.early_stopping and not incremental
    rule = "early_stopping" if early else "tol"
    carried = _stopstate.carried(est, resume and not incremental, rule)
    if early and dev is None:
        live["split_seed"] = _stopstate.split_seed(carried, rng)
        (X, codes, sw), dev = split_validation(X, codes, sw, est.validation_fraction,
                                               live["split_seed"])
    Y = losses.one_hot(codes, n_classes, dtype=bool)  # the loop casts each batch
    evaluate = None
    if dev is not None:
        X_val, codes_val, sw_val = dev
        evaluate = make_evaluator(arch, X_val, losses.one_hot(codes_val, n_classes,
                                                              X_val.dtype), sw_val)

    monitors = []
    if early:
        monitors.append(_stopstate.early_stopping(est, carried))
    elif not incremental and est.tol is not None:
        best = est.best_loss_ if resume else np.inf
        monitors.append(_stopstate.plateau(est, carried, best))
    live["monitor"] = monitors[0] if monitors else None
    monitors.extend(est._extra_monitors())  # callback subtasks, when callbacks are set
    if est.verbose:
        monitors.append(VerbosePrinter())

    result = run_training(
        arch, coefs, intercepts, optimizer, opt_state, X, Y, sw, loop_settings(
            est, X.shape[0]), rng,
        max_epochs=1 if incremental else est.max_iter,
        first_epoch=len(est.history_) if resume else 0, monitors=monitors,
        evaluate=evaluate, copy=resume)
    result.opt_state = (optimizer, result.opt_state)
    return result


def explain_stop(est, result, incremental, solver=None):
    """``(code, sentence)``: why this fit ended (see :mod:`..training.stops`);
    ``solver`` is the full-batch solver that ran ('newton', 'lbfgs'), if any."""
    return stops.explain_stop(result, solver=solver or est.solver, max_iter=est.max_iter,
                              tol=est.tol, n_iter_no_change=est.n_iter_no_change,
                              incremental=incremental)


def mark_stop(records, stop):
    """A call's records with ``'stop_reason'``: ``stop``'s code on the last, None
    on the others."""
    for record in records:
        record["stop_reason"] = None
    if records:
        records[-1]["stop_reason"] = stop[0]
    return records


def last_dead_fraction(history, arch):
    """``dead_fraction_``: per hidden layer, the last epoch's (NaN: no epoch kept)."""
    if history:
        return list(history[-1]["dead_fraction"])
    return [float("nan")] * (arch.n_layers - 1)


def warn_about(est, result, incremental, stop, data):
    """Turn what went wrong into one warning each, naming cause and fix.

    ``stop`` is :func:`explain_stop`'s code and sentence; ``data`` the training
    ``(X, codes, sample_weight)``, for the end-of-fit checks of ``fit`` (one
    forward pass: see :mod:`..training.outcome`; ``partial_fit`` skips them).
    """
    name = type(est).__name__
    if result.stop_reason == "diverged":
        warnings.warn(f"{name}: {result.message}", DivergenceWarning, stacklevel=7)
        return
    dead = _warn_dead_layers(est, name)
    if not dead:  # dead units explain zero gradients themselves
        hint = diagnostics.vanishing_hint(result.records, getattr(est, "activation", None),
                                          getattr(est, "init", None))
        if hint:
            warnings.warn(f"{name}: {hint}", TrainingDiagnosticWarning, stacklevel=7)
    if incremental or not result.records:
        return
    outcome = fit_outcome(est._arch(), est.coefs_, est.intercepts_, *data,
                          len(est.classes_), predictions=result.predicted)
    if stop[0] == "tol":
        resumed = len(est.history_) > len(result.records)  # warm_start: may be optimal
        message = diagnostics.poor_stop_message(
            [r["loss"] for r in result.records], None if resumed else result.start_loss,
            outcome, est.tol, est.n_iter_no_change, est.max_iter, est.learning_rate)
        if message:
            warnings.warn(f"{name}: {message}", ConvergenceWarning, stacklevel=7)
    if outcome.n_predicted == 1 and outcome.n_present > 1:
        if isinstance(outcome.predicted, tuple):  # a multilabel y: one label set
            message = diagnostics.one_label_set_message(list(outcome.predicted),
                                                        outcome.n_present)
        else:
            label = est.classes_[outcome.predicted]
            # only Newton and L-BFGS stop as 'converged': the optimum as set
            message = diagnostics.one_class_message(
                label.item() if hasattr(label, "item") else label, outcome.n_present,
                converged_C=est.C if stop[0] == "converged" else None)
        warnings.warn(f"{name}: {message}", TrainingDiagnosticWarning, stacklevel=7)
    if result.stop_reason in (None, "stalled") and est.tol is not None:
        if result.message:  # Newton's method says why it stopped short
            warnings.warn(f"{name}: {result.message}", ConvergenceWarning, stacklevel=7)
            return
        curve = [r["loss"] for r in result.records]
        change = curve[-2] - curve[-1] if len(curve) > 1 else float("nan")
        warnings.warn(
            f"{name}: max_iter={est.max_iter} reached before the loss stopped improving "
            f"by tol={est.tol} (last change {change:.3g}, loss {curve[-1]:.6g}). "
            "Increase max_iter or the learning rate.",
            ConvergenceWarning, stacklevel=7)


def _warn_dead_layers(est, name):
    """Warn about each hidden layer whose last epoch left most units dead."""
    fractions = est.dead_fraction_
    warned = False
    for layer, fraction in enumerate(fractions):
        if fraction > diagnostics.DEAD_LAYER_FRACTION:
            since = dead_since(est.history_, layer, fraction)
            message = diagnostics.dead_layer_message(
                layer, len(fractions), fraction, est.coefs_[layer].shape[1], since,
                getattr(est, "activation", None))
            warnings.warn(f"{name}: {message}", TrainingDiagnosticWarning, stacklevel=8)
            warned = True
    return warned


def warn_if_unscaled(est, X, solver):
    hint = diagnostics.scale_hint(X, solver=solver)
    if hint:
        warnings.warn(f"{type(est).__name__}: {hint}", TrainingDiagnosticWarning,
                      stacklevel=7)


class VerbosePrinter:
    """``verbose=True``: one line per epoch with the loss (MLPClassifier's format)."""

    def on_epoch_end(self, record, coefs, intercepts):
        line = f"Iteration {record['epoch']}, loss = {record['loss']:.8f}"
        if record["val_score"] is not None:
            line += f", validation score = {record['val_score']:.6f}"
        print(line)
        return False
