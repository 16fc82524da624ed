"""The divergence guard: has training blown up, which weights are safe to keep, and why.

**Reference.** At the start of every run (a ``fit``, each warm ``fit``, each
``partial_fit``) the objective is evaluated at the starting weights on the run's
own data: on all rows, or on :data:`SAMPLE_ROWS` rows spread over the data
(:func:`sample_rows`), never on one mini-batch (with ``batch_size=1`` that is
one sample's loss, and a stream's first batch may hold one class only). It is
the same objective the epochs report: the weighted mean cross-entropy plus the
L2 term counted once per mini-batch, as the epoch's mean of the mini-batch
objectives counts it.

**Exploded.** An epoch loss that is not finite, or exceeds ``EXPLOSION_FACTOR``
times ``max(reference, log K)``, has exploded. ``log K`` (K classes, 2 for one
sigmoid unit) is the loss of a uniform guess: a start near zero loss (a well
fitted model, or a loss that underflows to 0.0) does not turn every ordinary
fluctuation into a "divergence", and a zero reference never divides.

**Safe weights.** The weights a run hands back are checked too, including the
result of the last update, which no epoch loss has seen: weights and optimizer
state finite, objective on the sample not exploded. When they fail, the weights
at the start of their epoch are kept instead and that epoch's record dropped.

**Cause.** :meth:`DivergenceGuard.message` says what blew up and why, in the
notes' words: overflowing sample weights, an augmentation returning NaN, an L2
penalty too strong for the step (weight decay overshooting), gradients too large
for the running average of their squares, or else the learning rate.
"""

import math

import numpy as np

from ..core import losses, network
from ..core.flat import base_vector
from . import diagnostics
from .batches import effective_batch_size, gather_rows

#: Rows on which the reference objective and the final check are evaluated.
SAMPLE_ROWS = 2000
#: Strides for :func:`sample_rows` (primes: one of them is coprime with any n).
_PRIMES = (7919, 104729, 1299709)


def sample_rows(n_samples, limit=SAMPLE_ROWS):
    """All rows (``slice(None)``), or ``limit`` distinct rows spread over the data.

    Row ``i`` of the sample is ``i * p mod n`` for a prime ``p`` coprime with
    ``n``: the rows are distinct, and for labels that repeat with a period ``q``
    every position in the period is drawn (a plain stride ``n // limit`` takes
    a single class of alternating labels). No random draw: the one RNG's stream
    is the same whether or not the data are sampled.
    """
    if n_samples <= limit:
        return slice(None)
    p = next(q for q in _PRIMES if n_samples % q)
    return np.sort(np.arange(limit, dtype=np.int64) * p % n_samples)


#: Rows per forward pass of the guard's objective.
CHUNK_ROWS = 64


def _finite_sum(a):
    # one pass, no temporary: a NaN or inf anywhere makes the sum NaN or inf (it
    # could overflow only for values near the float maximum, diverged anyway)
    return math.isfinite(float(a.sum()))


class DivergenceGuard:
    """The explosion test, the final check and the diagnosis for one run.

    Parameters
    ----------
    arch : Architecture
    coefs, intercepts : lists of ndarray
        The starting weights (the reference objective is evaluated there).
    X, Y, sample_weight : the run's training data (``Y`` one-hot, any dtype).
    settings : LoopSettings
    optimizer : UpdateRule
    reference_loss : float, optional
        Overrides the reference objective (default: evaluated on the data).
    workspace : Workspace, optional
        The training loop's buffers (:func:`~.loop.make_workspace`): the objective's
        forward passes run in them, between epochs, so the check allocates no
        activations of its own (used when they hold :data:`CHUNK_ROWS` rows).
    lazy : bool, default=False
        Let the loop's first :meth:`epoch_problem` supply the reference when the
        first epoch's loss is that very objective (see below).
    """

    def __init__(self, arch, coefs, intercepts, X, Y, sample_weight, settings,
                 optimizer, reference_loss=None, lazy=False, workspace=None):
        n_samples = X.shape[0]
        roomy = workspace is not None and workspace.batch_size >= CHUNK_ROWS
        self.workspace = workspace if roomy else None
        rows = sample_rows(n_samples)
        if not isinstance(rows, slice) and sample_weight[rows].sum() > 0:
            # X's rows are gathered chunk by chunk in objective(), never copied whole
            self.X, self.Y, self.w, self.rows = X, Y[rows], sample_weight[rows], rows
        else:  # every row (also when the sample carries no weight)
            # contiguous weights (unweighted data come as a broadcast 1.0, see
            # combined_weights): the dot products sum as they do for any weights
            self.X, self.Y, self.rows = X, Y, None
            self.w = np.ascontiguousarray(sample_weight)
        self.arch, self.settings, self.optimizer = arch, settings, optimizer
        self.total_weight = float(sample_weight.sum())
        batch = effective_batch_size(settings.batch_size, n_samples)
        # the epoch loss is sum_b w_b J_b / sum w with J_b = mean loss + alpha/2
        # ||W||^2 / w_b: the L2 term once per batch, i.e. divided by sum w / n_batches
        self.penalty_weight = self.total_weight / math.ceil(n_samples / batch)
        self.chance_loss = losses.chance_loss(arch.layer_sizes[-1], arch.multilabel)
        self.augmentation_nonfinite = False  # set by the loop's train_epoch
        # Plain full batch on every row: the first epoch's loss is this very
        # objective at the starting weights, so it is taken from there (one
        # forward pass less per partial_fit); with dropout or augmentation the
        # epoch sees other inputs, so the reference is computed here.
        self._from_first_epoch = (lazy and reference_loss is None and batch == n_samples
                                  and self.rows is None and not settings.dropout
                                  and settings.augmentation is None)
        #: The objective at the starting weights (None until the first epoch when
        #: that epoch's loss is it): the dropout rescale of ``reference`` never moves it.
        self.start_loss = None
        if not self._from_first_epoch:
            self._set_reference(self.objective(coefs, intercepts)
                                if reference_loss is None else reference_loss)
            self.start_loss = self.reference
        # Dropout raises the loss the epochs report above the objective of the
        # whole net (dropped units; the more layers and the higher the rate, the
        # more): the first epoch's loss, measured the same way, also sets the scale.
        self._with_first_epoch = bool(settings.dropout) and not self._from_first_epoch

    def _set_reference(self, reference):
        self.reference = float(reference)
        scale = self.reference if math.isfinite(self.reference) else 0.0
        self.threshold = diagnostics.EXPLOSION_FACTOR * max(scale, self.chance_loss)

    def objective(self, coefs, intercepts):
        """The epochs' objective on the sample at these weights (forward only).

        The rows go through the net :data:`CHUNK_ROWS` at a time, in the training
        workspace when there is one (its activation buffers and, for sampled
        dense rows, its batch buffer): the check then adds to a fit's memory
        only per-row losses, not a copy of the sample or its activations.
        """
        ws = self.workspace
        with np.errstate(all="ignore"):  # an exploded net may overflow: reported
            total = 0.0
            for start in range(0, self.w.shape[0], CHUNK_ROWS):
                part = slice(start, start + CHUNK_ROWS)  # of the sample
                X = self._rows(part)
                Z = network.forward(self.arch, coefs, intercepts, X, workspace=ws)[0][-1]
                total += float(losses.sample_losses(Z, self.Y[part], self.arch.multilabel) @ self.w[part])
            loss = total / float(self.w.sum())
            return float(loss + losses.l2_penalty(coefs, self.settings.alpha,
                                                  self.penalty_weight))

    def _rows(self, part):
        """Rows ``part`` of the sample: a view of ``X`` when every row is sampled,
        else gathered (into the workspace's batch buffer when it has one)."""
        if self.rows is None:
            return self.X[part]
        rows = self.rows[part]
        buffer = getattr(self.workspace, "X", None)
        if buffer is None or not isinstance(self.X, np.ndarray):
            return self.X[rows]
        return gather_rows(self.X, rows, buffer)

    def exploded(self, loss):
        """A loss that is not finite or above the threshold (see module docstring)."""
        return not math.isfinite(loss) or loss > self.threshold

    def state_finite(self, opt_state):
        """Whether the update rule's averages are finite (one pass over each)."""
        for value in opt_state.values():
            if isinstance(value, list):
                vector = base_vector(value)
                parts = [vector] if vector is not None else value
                if not all(_finite_sum(p) for p in parts):
                    return False
        return True

    def epoch_problem(self, loss, theta, opt_state):
        """None, or why the epoch that ended with this loss counts as diverged."""
        if self._from_first_epoch:  # the first epoch's loss is the reference
            self._from_first_epoch = False
            self._set_reference(loss)
            self.start_loss = self.reference
        elif self._with_first_epoch:
            self._with_first_epoch = False
            if math.isfinite(loss) and loss > self.reference:
                self._set_reference(loss)
        if not _finite_sum(theta):
            return "weights"
        if not self.state_finite(opt_state):
            return "state"
        if self.exploded(loss):
            return "loss"
        return None

    def sound(self, coefs, intercepts, theta):
        """``(ok, loss)``: weights finite and their objective on the sample not exploded."""
        if not _finite_sum(theta):
            return False, math.nan
        loss = self.objective(coefs, intercepts)
        return not self.exploded(loss), loss

    # -- the diagnosis ----------------------------------------------------------------
    def _decay(self, lr):
        """``lr * alpha / m`` and the largest stable value for the update rule.

        The L2 term's gradient ``alpha W / m`` (m: a batch's total sample weight)
        makes each step multiply W by ``1 - lr alpha / m`` (the notes' weight
        decay). Plain GD grows W when that factor is below -1, i.e. for
        ``lr alpha / m > 2``; with momentum (the EWA form, beta) the bound is
        ``2 (1 + beta) / (1 - beta)``. RMSprop and Adam scale their steps to about
        ``lr`` whatever the gradient, so the penalty cannot blow them up.
        """
        name = getattr(self.optimizer, "name", None)
        if name == "gd":
            bound = 2.0
        elif name == "momentum":
            beta = self.optimizer.beta
            bound = 2.0 * (1.0 + beta) / (1.0 - beta)
        else:
            return 0.0, math.inf
        with np.errstate(all="ignore"):
            return lr * self.settings.alpha / self.penalty_weight, bound

    def cause(self, lr, problem):
        """The cause-and-fix text for a divergence (see :mod:`diagnostics`)."""
        s = self.settings
        solver = getattr(self.optimizer, "name", "?")
        if not math.isfinite(self.total_weight):
            return diagnostics.weight_overflow_cause(self.total_weight)
        if self.augmentation_nonfinite:
            return diagnostics.augmentation_cause(s.augmentation)
        if s.alpha and not math.isfinite(self.reference):
            # a non-finite start with a finite weight sum: alpha/2 ||W||^2 overflowed
            return diagnostics.penalty_cause(s.alpha, lr, None, None, solver)
        decay, bound = self._decay(lr)
        # the penalty is the cause when its step is unstable and its curvature
        # alpha / m exceeds 1, the data term's scale for standardised inputs (a
        # huge learning rate with an ordinary alpha is the rate's fault)
        if decay > bound and s.alpha / self.penalty_weight > 1.0:
            return diagnostics.penalty_cause(s.alpha, lr, decay, bound, solver)
        if problem == "state":
            return diagnostics.gradient_overflow_cause(solver)
        return diagnostics.learning_rate_cause(s.learning_rate, solver)

    def message(self, epoch, loss, lr, problem, after_last_step=False):
        """The whole divergence message for the estimator's warning."""
        return diagnostics.explosion_message(
            epoch, self.reference, loss, self.settings.learning_rate,
            getattr(self.optimizer, "name", "?"), weights_finite=problem != "weights",
            cause=self.cause(lr, problem), after_last_step=after_last_step,
            state_finite=problem != "state")
