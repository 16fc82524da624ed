"""Why a fit ended: a short code and a sentence for ``stop_reason_``.

The codes (``STOP_REASONS``):

* ``'max_iter'``: every epoch (Newton iteration) allowed by ``max_iter`` ran;
* ``'partial_fit'``: ``partial_fit`` runs one epoch per call;
* ``'tol'``: the training loss did not improve by ``tol`` for more than
  ``n_iter_no_change`` consecutive epochs (the loss plateau test);
* ``'early_stopping'``: the dev-set accuracy did not improve by ``tol`` for more
  than ``n_iter_no_change`` epochs (the best epoch's weights are kept);
* ``'diverged'``: the divergence guard stopped it (:mod:`.guard`);
* ``'callback'``: a callback asked to stop;
* ``'converged'``: Newton's or L-BFGS's gradient test passed (``max |g| <= tol``);
* ``'line_search'``: their line search found no step that lowers the objective.
"""

#: The full-batch solvers (iterations and a gradient test) and their names.
METHODS = {"newton": "Newton's method", "lbfgs": "L-BFGS"}
#: Their short names ("Newton iterations").
NAMES = {"newton": "Newton", "lbfgs": "L-BFGS"}

STOP_REASONS = ("max_iter", "partial_fit", "tol", "early_stopping", "diverged",
                "callback", "converged", "line_search")


def explain_stop(result, *, solver, max_iter, tol, n_iter_no_change, incremental):
    """``(code, sentence)`` for a loop or Newton :class:`~.loop.TrainingResult`.

    The loop's own ``stop_reason`` is None when it ran out of epochs, the name of
    the monitor that stopped it, or 'diverged'; Newton's is 'converged',
    'callback', 'diverged', 'stalled' (line search) or None (max_iter).
    """
    reason, records = result.stop_reason, result.records
    newton = solver in METHODS  # a full-batch solver: iterations, a gradient test
    method = METHODS.get(solver)
    unit = "iteration" if newton else "epoch"
    last = records[-1]["epoch"] if records else 0
    if reason == "diverged":
        return "diverged", result.message
    if reason == "callback":
        return "callback", f"a callback asked to stop training after {unit} {last}."
    if reason == "converged" and newton:
        return "converged", (
            f"{method} converged at iteration {len(records)}: the largest "
            f"entry of the gradient is at most tol={tol}.")
    if reason == "stalled":
        if tol is None or not result.message:  # tol=None asks to run until then
            return "line_search", (
                f"{method} stopped at iteration {len(records)}: no step lowers "
                "the objective any more (tol=None: it runs until then).")
        return "line_search", result.message
    if reason == "tol":
        best = min(r["loss"] for r in records)
        return "tol", (
            f"the training loss did not improve by tol={tol} on its best value "
            f"({best:.6g}) for {n_iter_no_change + 1} consecutive epochs "
            f"(n_iter_no_change={n_iter_no_change}): stopped at epoch {last}.")
    if reason == "early_stopping":
        best = max(records, key=lambda r: r["val_score"])
        return "early_stopping", (
            f"early stopping: the validation score did not improve by tol={tol} for "
            f"{n_iter_no_change + 1} consecutive epochs (n_iter_no_change="
            f"{n_iter_no_change}); stopped at epoch {last} and kept the weights of "
            f"epoch {best['epoch']} (validation score {best['val_score']:.4g}).")
    if incremental:
        return "partial_fit", f"partial_fit runs one {unit} per call ({unit} {last})."
    if newton and tol is None:
        return "max_iter", (f"ran all max_iter={max_iter} {NAMES[solver]} iterations "
                            "(tol=None).")
    if newton:
        return "max_iter", (
            f"reached max_iter={max_iter} {NAMES[solver]} iterations before the gradient "
            f"test (largest gradient entry <= tol={tol}) passed.")
    if tol is None:
        return "max_iter", f"ran all max_iter={max_iter} epochs (tol=None)."
    return "max_iter", (
        f"reached max_iter={max_iter} epochs while the training loss was still "
        f"improving by more than tol={tol} within n_iter_no_change="
        f"{n_iter_no_change} epochs.")
