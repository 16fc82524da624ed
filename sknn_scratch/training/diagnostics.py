"""Why a net does not learn: checks that turn symptoms into a cause and a fix.

Each function returns a message (cause and fix, in the notes' vocabulary) or
None when the symptom is absent. The estimators raise them as warnings.
"""

import numpy as np

from .scales import feature_scales
from .stops import METHODS, NAMES

#: Feature standard deviations differing by this factor count as unscaled.
SCALE_RATIO = 1e3
#: First-layer gradients this many times smaller than the last layer's vanish.
VANISHING_RATIO = 1e-4
#: A loss this many times the loss at the start of training has exploded.
EXPLOSION_FACTOR = 1e2


#: Rows the scale hint looks at (a strided sample of this many to twice as many),
_SAMPLE_ROWS = 2000
#: fewer when that many rows hold more than this many values (beyond 4,194
#: features), but never fewer than _MIN_SAMPLE_ROWS: see scale_hint.
_SAMPLE_VALUES = 1 << 23
_MIN_SAMPLE_ROWS = 500
#: Columns whose spread is within this many units in the last place are constant.
_ROUNDING_ULPS = 1024


def scale_hint(X, solver=None):
    """Hint to standardise when feature scales differ by orders of magnitude.

    Dense input only (sparse data is usually scaled without centring on purpose).
    Features of zero variance are left out, and so are features constant up to
    rounding (spread within 1024 ulps of their largest value). With few rows a
    standard deviation can be far below its feature's scale by chance (``P(s < e sigma) ~ e^(m-1)``
    for ``m`` rows), so among ``d`` features the smallest is typically
    ``d^(-1/(m-1))`` of the rest: the threshold grows by that factor (3 rows of
    1e5 i.i.d. features give a spurious factor of ~5e3, not a hint).
    ``solver='newton'`` or ``'lbfgs'`` explains the harm to that method instead of
    gradient descent's.

    The standard deviations come from every ``(n // r)``-th row, ``m`` = ``r`` to
    ``2 r`` rows: ``r`` = 2,000, or on wide ``X`` (2,000 rows of more than 2^23
    values) ``r = max(500, 2^23 / n_features)``, so that the check costs about a
    gradient evaluation (all 2,000 rows of 2,000 x 20,000 took 0.2 s, a third of a fit).
    A factor of 1e3 is far beyond what sampling does to a standard deviation: for
    light-tailed features its relative error is ``sqrt((kurtosis - 1) / (4 m))``,
    3% for 500 normal rows. Sampling can only mislead on a feature whose spread
    lives in a few rows: in a fraction ``p`` of them, the sample holds ``~m p``,
    none with probability ``~exp(-m p)`` (5e-5 for ``p = 2%`` and ``m = 500``: the
    feature then counts as constant and is left out), and otherwise gives a
    standard deviation about ``1 +- 1/(2 sqrt(m p))`` times the feature's. Rarer
    features, or ones that recur with the sampling period, can be missed.
    """
    if not isinstance(X, np.ndarray) or X.shape[0] < 2:
        return None
    # a strided sample of rows is enough (see the docstring)
    rows = min(_SAMPLE_ROWS, max(_MIN_SAMPLE_ROWS, _SAMPLE_VALUES // max(X.shape[1], 1)))
    sample = X[::max(1, X.shape[0] // rows)]
    std, peaks = feature_scales(sample)
    # a column constant up to rounding (e.g. std 7e-16 around -0.03, values
    # apart) has no scale: its spread is within 1024 units in the last place
    eps = np.finfo(X.dtype).eps if X.dtype.kind == "f" else 0.0
    std = std[std > _ROUNDING_ULPS * eps * peaks]
    if std.size < 2:
        return None
    ratio = float(std.max() / std.min())
    chance = float(std.size) ** (1.0 / (sample.shape[0] - 1))
    if ratio < SCALE_RATIO * chance:
        return None
    if solver == "newton":
        harm = (
            "Newton's method is unaffected by scale only in exact arithmetic: the "
            "Hessian's condition number grows with the square of that factor, so "
            "conjugate gradient needs many more Hessian products per step and "
            "float64 round-off limits how close to the optimum it gets."
        )
    elif solver == "lbfgs":
        harm = ("L-BFGS then needs many more iterations: the Hessian's condition "
                "number grows with the square of that factor, and a few curvature "
                "pairs cannot make up for it.")
    else:
        harm = ("gradient descent then zig-zags along the steep directions and "
                "crawls along the flat ones.")
    return (
        f"the input features have very different scales (standard deviations from "
        f"{std.min():.3g} to {std.max():.3g}, a factor of {ratio:.0e}): {harm} "
        "Normalise the inputs, e.g. make_pipeline(StandardScaler(), model), as the "
        "notes' 'normalizing inputs' section says."
    )


#: Largest |feature| that still looks standardised (a few standard deviations)
_STANDARDISED_PEAK = 10.0


def newton_message(failure, losses, grad_max, tol, max_iter, largest_feature=0.0,
                   start_loss=np.nan, solver="newton"):
    """Why Newton's method (or ``solver='lbfgs'``: L-BFGS) stopped before its gradient
    test (``max |g| <= tol``) passed.

    ``failure`` is the solver's: ``'overflow'``, ``'line search'``, ``'round-off'``
    (L-BFGS: a step lowered the objective by round-off only) or None (it ran out of
    iterations); ``losses`` the objective after each iteration.
    ``start_loss`` the objective before the first iteration (NaN if unknown).
    ``largest_feature`` is ``max |X|``: the gradient ``X^T (P - Y) / S`` carries
    round-off of about ``eps max |X|``, and no number of iterations brings it
    below that.
    """
    n_iter, method = len(losses), METHODS[solver]
    if failure == "overflow":
        what = ("the objective, its gradient or a Hessian-vector product"
                if solver == "newton" else "the objective or its gradient")
        return (
            f"{method} stopped at iteration {n_iter}: {what} overflowed to inf/NaN "
            "in float64, "
            "which happens when feature values are huge. The weights before the "
            "overflow were kept. Standardise the features, e.g. "
            "make_pipeline(StandardScaler(), model), as the notes' 'normalizing "
            "inputs' section says."
        )
    # after one iteration the change is from the starting point (when known)
    before = losses[-2] if n_iter > 1 else start_loss
    change = f"last change {before - losses[-1]:.3g}, " if np.isfinite(before) else ""
    if grad_max > tol:
        found = (f"the largest gradient entry is {grad_max:.3g} > tol={tol:g} ({change}"
                 f"loss {losses[-1]:.6g})")
        not_optimum = "so this is not the optimum"
    else:  # the gradient test passed; the Newton decrement had not confirmed it
        found = (f"the largest gradient entry is {grad_max:.3g} <= tol={tol:g}, but the "
                 "Newton decrement (the decrease the quadratic model still expects) "
                 f"had not confirmed convergence ({change}loss {losses[-1]:.6g})")
        not_optimum = "so the optimum is not confirmed"
    floor = np.finfo(np.float64).eps * largest_feature
    if floor > tol and grad_max > tol:
        # float64 round-off alone keeps the gradient near floor: more iterations
        # cannot help. Below it already, only a larger tol helps when the feature
        # values are of standardised size; otherwise smaller values help too.
        within = grad_max <= floor
        fix = ("Use a larger tol." if within and largest_feature <= _STANDARDISED_PEAK
               else "Standardise the features, e.g. make_pipeline(StandardScaler(), "
                    "model), or use a larger tol.")
        if within:
            where = (f"which is already within float64 round-off for feature values "
                     f"up to {largest_feature:.3g} (about {floor:.1g})")
        else:
            where = (f"and with feature values up to {largest_feature:.3g} float64 "
                     f"round-off alone leaves the gradient near {floor:.1g}")
        early = "" if within else " before converging"
        return (f"{method} stopped at iteration {n_iter}{early}: {found}, "
                f"{where}: tol is out of reach. {fix}")
    if failure == "round-off":
        return (
            f"{method} stopped at iteration {n_iter}: its last step lowered the "
            f"objective by float64 round-off only, yet {found}, {not_optimum}: near "
            "the optimum the objective's changes fall below float64's resolution "
            "before the gradient reaches tol. Use a larger tol, or solver='newton' "
            "(near the optimum its steps are judged by the gradient)."
        )
    if failure == "line search":
        return (
            f"{method} stopped at iteration {n_iter}: the line search found no "
            f"step that lowers the objective, yet {found}, {not_optimum}. The "
            "problem is too ill-conditioned for float64 at this "
            "tolerance: standardise the features (make_pipeline(StandardScaler(), "
            "model)) or use a larger tol."
        )
    return (
        f"{method} reached max_iter={max_iter} before converging: {found}. "
        "Increase max_iter, or standardise the features (make_pipeline("
        f"StandardScaler(), model)): {NAMES[solver]} needs fewer iterations on scaled "
        "inputs."
    )


def vanishing_hint(records, activation, init):
    """Hint when the first layer's gradients are orders of magnitude below the last's,
    or when some layer's gradient is exactly 0 at the last epoch (nothing flows)."""
    norms = [r["grad_norms"] for r in records if r.get("grad_norms")]
    if not norms or len(norms[0]) < 2:  # needs at least one hidden layer
        return None
    zero = [l for l, g in enumerate(norms[-1]) if g == 0]
    if zero:
        return _zero_gradient_hint(records, zero, activation)
    if len(norms[0]) < 3:  # the ratio needs at least two hidden layers
        return None
    first = np.median([n[0] for n in norms])
    last = np.median([n[-1] for n in norms])
    if last == 0 or first / last >= VANISHING_RATIO:
        return None
    return (
        f"vanishing gradients: the first layer's gradient norm ({first:.2e}) is "
        f"{last / max(first, 1e-300):.0e} times smaller than the last layer's "
        f"({last:.2e}), so the early layers barely learn. With activation="
        f"{activation!r} and init={init!r}, try activation='relu' with init='he' (or "
        "init='auto'), or fewer layers."
    )


def _zero_gradient_hint(records, layers, activation):
    since = None
    for record in reversed(records):
        norms = record.get("grad_norms")
        if not norms or any(norms[l] != 0 for l in layers):
            break
        since = record["epoch"]
    names = ", ".join(f"{l + 1}" for l in layers)
    return (
        f"vanishing gradients: the gradient of layer(s) {names} (numbered from the "
        f"input; {len(records[-1]['grad_norms'])} in all) is exactly 0 since epoch "
        f"{since}, so those weights no longer change. Exactly zero gradients come "
        "from dead units: hidden units that output 0 for every sample (dead ReLUs, "
        f"activation={activation!r}) pass no gradient back. Try activation="
        "'leaky_relu', a smaller learning_rate, wider layers or another random_state."
    )


#: A loss that fell by less than this fraction of its start never improved meaningfully.
MEANINGFUL_IMPROVEMENT = 0.01
#: Hidden layers with more than this fraction of dead units (most) are warned about.
DEAD_LAYER_FRACTION = 0.5


def poor_stop_message(losses, start_loss, outcome, tol, n_iter_no_change, max_iter,
                      learning_rate):
    """Why a stop by the loss plateau test (``tol``) left a poor model, or None.

    Poor: the loss never fell by :data:`MEANINGFUL_IMPROVEMENT` of its starting
    value, or not below the cross-entropy of predicting the class frequencies
    (``outcome.prior_loss``), or the training accuracy is no better than
    predicting the majority class. ``start_loss=None`` (a resumed fit, whose
    start may already be the optimum) skips the first test. The symptom is read
    off the epochs the
    plateau test looked at: a loss that rose by more than ``tol`` in any of them
    oscillates (the learning rate is too large, or the inputs unscaled);
    otherwise it is flat (the rate is too small).
    """
    best = min(losses)
    findings = []
    if start_loss is not None and best > start_loss * (1.0 - MEANINGFUL_IMPROVEMENT):
        start = start_loss
        findings.append(f"the loss never improved meaningfully on its starting value "
                        f"({start:.4g} at the start, best {best:.4g})")
    elif best >= outcome.prior_loss:
        findings.append(f"the loss (best {best:.4g}) is no lower than {outcome.prior_loss:.4g},"
                        " the cross-entropy of predicting the class frequencies without "
                        "looking at X")
    # (<= up to round-off: predicting the majority class for every row, the
    # accuracy, summed chunk by chunk, equals the share from one bincount)
    if outcome.accuracy <= outcome.majority * (1.0 + 1e-9):
        findings.append(f"the training accuracy ({outcome.accuracy:.1%}) is no better "
                        f"than predicting the majority class ({outcome.majority:.1%})")
    if not findings:
        return None
    # the symptom, over the epochs the plateau test looked at
    window = np.asarray(losses[-(n_iter_no_change + 2):])
    steps = np.diff(window)
    rises = int((steps > tol).sum())
    if rises:
        symptom = (f"The loss oscillates (it rose by more than tol in {rises} of the last "
                   f"{steps.size} epochs): the learning rate ({learning_rate!r}) is too "
                   "large for these inputs, or the inputs are unscaled.")
        rate = "a smaller learning_rate"
    else:
        symptom = (f"The loss is flat (no epoch changed it by more than tol): the "
                   f"learning rate ({learning_rate!r}) is too small.")
        rate = "a larger learning_rate"
    return (
        f"the loss plateau test (tol={tol}, n_iter_no_change={n_iter_no_change}) stopped "
        f"training after {len(losses)} of max_iter={max_iter} epochs, but "
        f"{'; and '.join(findings)}. {symptom} Fixes: {rate}, standardised inputs "
        "(make_pipeline(StandardScaler(), model)), or tol=None to run every one of the "
        "max_iter epochs, as the notes do."
    )


def dead_layer_message(layer, n_hidden, fraction, n_units, since, activation):
    """A hidden layer (0-based ``layer``) whose ``fraction`` of units is dead."""
    n_dead = round(fraction * n_units)
    share = "all" if n_dead == n_units else f"{n_dead} of the"
    when = f" since epoch {since}" if since is not None else ""
    consequence = (" With the whole layer dead the output no longer depends on X: the "
                   "net predicts the same for every sample." if n_dead == n_units else "")
    return (
        f"dead units: {share} {n_units} units of hidden layer {layer + 1} (of "
        f"{n_hidden}) output exactly 0 for every training sample{when}, so no gradient "
        f"flows through them and gradient descent cannot revive them (dead ReLU, "
        f"activation={activation!r}).{consequence} Fixes: activation='leaky_relu' "
        "(a small slope for z < 0 keeps a gradient), a smaller learning_rate, a wider "
        "layer, or another random_state."
    )


def one_class_message(label, n_present, converged_C=None):
    """The model predicts ``label`` for every training sample of a y with more classes.

    ``converged_C``: the ``C`` of a logistic regression whose full-batch solver
    (Newton, L-BFGS) converged. That is the optimum of the objective as set, and
    learning rates, tol and early stops are no cause.
    """
    found = (f"the model predicts the class {label!r} for every training sample, "
             f"although y has {n_present} classes: it has learned nothing beyond the "
             "class frequencies.")
    if converged_C is not None:
        return (
            f"{found} The solver converged, so this is the optimum of the objective "
            f"as set: at C={converged_C!r} the L2 penalty outweighs what the features "
            "explain (a larger C weakens it, and standardised inputs (StandardScaler) "
            "let a small-scaled feature count), or that class dominates y "
            "(class_weight='balanced'), or the features carry no signal about y."
        )
    return (
        f"{found} See the other warnings (dead units, an early stop by tol) for "
        "the cause; the usual fixes are a smaller learning_rate, standardised inputs "
        "(StandardScaler), tol=None, a weaker L2 penalty (a smaller alpha, a larger "
        "C), or class_weight='balanced' when that class dominates y."
    )


def one_label_set_message(labels, n_present):
    """A multilabel model predicts the label set ``labels`` (indices) for every sample."""
    return (
        f"the model predicts the labels {labels} for every training sample, although "
        f"y has {n_present} label sets: it has learned nothing beyond the label "
        "frequencies. See the other warnings (dead units, an early stop by tol) for "
        "the cause; the usual fixes are a smaller learning_rate, standardised inputs "
        "(StandardScaler), tol=None or a weaker L2 penalty (a smaller alpha)."
    )


def explosion_message(epoch, first_loss, loss, learning_rate, solver,
                      weights_finite=True, cause=None, after_last_step=False,
                      state_finite=True):
    """Why training stopped when the loss or the weights became non-finite, or the
    loss exploded; ``cause`` (default: :func:`learning_rate_cause`) says why."""
    start = f"{first_loss:.4g} at the start"
    if not weights_finite:
        growth = (f"the weights became infinite or NaN (the loss was {loss:.4g}, "
                  f"{start})")
    elif not state_finite:
        growth = (f"the optimizer's running averages became infinite or NaN (the loss "
                  f"was {loss:.4g}, {start})")
    elif after_last_step:
        growth = (f"the loss at the weights after its last step is {loss:.4g} "
                  f"({start})")
    elif np.isfinite(loss):
        ratio = f" (x{loss / first_loss:.3g})" if first_loss > 0 else ""
        growth = f"the loss grew from {first_loss:.4g} to {loss:.4g}{ratio}"
    else:
        growth = f"the loss became {loss} ({start})"
    if cause is None:
        cause = learning_rate_cause(learning_rate, solver)
    return (f"training diverged at epoch {epoch}: {growth}. {cause} The weights of "
            "the last epoch before the divergence were kept.")


def learning_rate_cause(learning_rate, solver):
    return (f"The learning rate {learning_rate!r} is too high for solver={solver!r}; "
            "try a rate about 10 times smaller (or standardise the inputs, or set "
            "max_grad_norm).")


def weight_overflow_cause(weight_sum):
    return (
        f"The sample weights (sample_weight times the class_weight factors) sum to "
        f"{weight_sum:.4g}, beyond the floating-point range, so the weighted mean "
        "loss sum(w l) / sum(w) is not a number; the learning rate is not the cause. "
        "Divide sample_weight (or the class_weight values) by a common factor such as "
        "their mean (to keep the same L2 penalty, divide alpha by it too, or multiply "
        "C by it)."
    )


def augmentation_cause(augmentation):
    return (
        f"The augmentation {augmentation!r} returned NaN or inf values for a training "
        "batch, which made the loss and the gradients NaN; the learning rate is not "
        "the cause. Fix the augmentation so that it returns finite values (e.g. no "
        "division by a zero standard deviation)."
    )


def penalty_cause(alpha, learning_rate, decay, bound, solver):
    """``decay`` is ``learning_rate * alpha / m`` and ``bound`` its stable limit;
    ``decay=None``: the L2 term itself overflows."""
    if decay is None:
        return (
            f"The L2 penalty alpha={alpha!r} is so large that the L2 term alpha/2 "
            "||W||^2 / m overflows (m: the total sample weight); the learning rate is "
            "not the cause. Lower alpha (for ScratchLogisticRegression alpha = 1/C: "
            "raise C)."
        )
    return (
        f"The L2 penalty alpha={alpha!r} is too strong for the step: weight decay "
        f"multiplies the weights by 1 - learning_rate * alpha / m = {1.0 - decay:.4g} "
        f"each step (m: a mini-batch's total sample weight), which overshoots zero "
        f"and grows them (solver={solver!r} needs learning_rate * alpha / m < "
        f"{bound:.3g}). Lower alpha (for ScratchLogisticRegression alpha = 1/C: raise "
        "C), or the learning rate."
    )


def gradient_overflow_cause(solver):
    return (
        f"The gradients are too large for solver={solver!r}: the running average of "
        "their squares overflows (|g| beyond about 1e155), which would freeze the "
        "affected weights. Standardise the inputs (make_pipeline(StandardScaler(), "
        "model)) or set max_grad_norm to clip the gradients."
    )
