"""Why a net does not learn: checks that turn symptoms into a cause and a fix.

Each function returns a message (cause and fix, in the notes' vocabulary) or
None when the symptom is absent. The estimators raise them as warnings.
"""

import numpy as np

#: Feature standard deviations differing by this factor count as unscaled.
SCALE_RATIO = 1e3
#: First-layer gradients this many times smaller than the last layer's vanish.
VANISHING_RATIO = 1e-4
#: A loss this many times the loss at the start of training has exploded.
EXPLOSION_FACTOR = 1e2


def scale_hint(X):
    """Hint to standardise when feature scales differ by orders of magnitude.

    Dense input only (sparse data is usually scaled without centring on purpose).
    """
    if not isinstance(X, np.ndarray) or X.shape[0] < 2:
        return None
    step = max(1, X.shape[0] // 2000)  # a strided sample of rows is enough
    std = X[::step].std(axis=0)
    std = std[std > 0]
    if std.size < 2:
        return None
    ratio = float(std.max() / std.min())
    if ratio < SCALE_RATIO:
        return None
    return (
        f"the input features have very different scales (standard deviations from "
        f"{std.min():.3g} to {std.max():.3g}, a factor of {ratio:.0e}): gradient descent "
        "then zig-zags along the steep directions and crawls along the flat ones. "
        "Normalise the inputs, e.g. make_pipeline(StandardScaler(), model), as the "
        "notes' 'normalizing inputs' section says."
    )


def vanishing_hint(records, activation, init):
    """Hint when the first layer's gradients are orders of magnitude below the last's."""
    norms = [r["grad_norms"] for r in records if r.get("grad_norms")]
    if not norms or len(norms[0]) < 3:  # needs at least two hidden layers
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
