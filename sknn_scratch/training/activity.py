"""Dead hidden units, counted from the activations the forward pass already made.

A hidden unit is *dead* in an epoch when it output exactly 0 for every training
sample of that epoch (a ReLU whose ``z = a_prev W + b`` stayed negative: its
gradient is 0 too, so gradient descent never brings it back; the notes' "dying
ReLU"). After each mini-batch's forward pass the loop hands the batch's
activations ``A[l]`` (before dropout) to :meth:`UnitActivity.observe`. Nothing is
recomputed, and only units not yet seen alive this epoch are looked at:

* the epoch's first batch is read whole, one pass over ``A[l]`` per layer (about
  ``1 / n[l-1]`` of the layer's matrix product): for ReLU (``A >= 0``) each
  unit's sum over the rows, as the BLAS product ``1^T A`` (the way backprop sums
  ``db``): a sum of non-negative numbers is 0 exactly when all of them are; for
  activations that can be negative, each unit's largest and smallest output;
* later batches read only the columns of the units still silent, usually none
  (then a batch costs one integer test). A unit whose weights change during the
  epoch counts as alive if any batch woke it.

So an epoch of ``B`` mini-batches costs about ``1 / B`` of one pass per layer,
plus the few columns of the units that really are dead.
"""

import numpy as np


class UnitActivity:
    """Per hidden layer, which units have output only 0 so far this epoch."""

    def __init__(self, arch, dtype):
        self.sizes = arch.layer_sizes[1:-1]
        # relu outputs are >= 0: their sum is 0 exactly when all are
        self.signed = arch.activation != "relu"
        self.high = [np.zeros(n, dtype) for n in self.sizes]
        self.low = [np.zeros(n, dtype) for n in self.sizes] if self.signed else None
        self.silent = None  # per layer: indices of the units not seen alive yet
        self.n_silent = 0  # over all layers; 0 = nothing left to look at this epoch

    def start_epoch(self):
        self.silent = None  # no batch seen yet: the next one is read whole

    def observe(self, workspace, m):
        """Record a batch's activations ``workspace.Z[l][:m]`` of each hidden layer
        (``workspace``: the :class:`~sknn_scratch.core.network.Workspace` of the
        forward pass)."""
        if self.silent is None:
            self._read_whole(workspace, m)
        elif self.n_silent:
            self._read_silent(workspace, m)

    def _read_whole(self, workspace, m):
        """The epoch's first batch: every unit of every layer."""
        self.silent = []
        for l, (n, high) in enumerate(zip(self.sizes, self.high)):
            A = workspace.Z[l][:m]
            if self.signed:
                A.max(axis=0, out=high)
                A.min(axis=0, out=self.low[l])
            else:  # relu: the column sums 1^T A, >= 0
                np.matmul(workspace.ones[:m], A, out=high)
            if np.count_nonzero(high) == n:  # NaN counts: a NaN output is no dead unit
                silent = _NONE
            elif self.signed:
                silent = np.flatnonzero((high == 0) & (self.low[l] == 0))
            else:
                silent = np.flatnonzero(high == 0)
            self.silent.append(silent)
        self.n_silent = sum(silent.size for silent in self.silent)

    def _read_silent(self, workspace, m):
        """A later batch: only the columns of the units still silent."""
        for l, silent in enumerate(self.silent):
            if silent.size:
                A = workspace.Z[l][:m, silent]  # a copy of the few silent columns
                self.silent[l] = silent[~(A != 0).any(axis=0)]  # NaN != 0: alive
        self.n_silent = sum(silent.size for silent in self.silent)

    def dead_fractions(self):
        """Fraction of dead units per hidden layer over the epoch so far (1.0
        before the epoch's first batch: no unit has output anything yet)."""
        if self.silent is None:
            return [1.0] * len(self.sizes)
        return [silent.size / n for silent, n in zip(self.silent, self.sizes)]


_NONE = np.zeros(0, np.intp)


def dead_since(history, layer, threshold):
    """The first epoch of the final run of epochs in which ``layer``'s dead fraction
    was at least ``threshold`` (None when the records carry no count)."""
    since = None
    for record in reversed(history):
        fractions = record.get("dead_fraction")
        if not fractions or fractions[layer] < threshold:
            break
        since = record["epoch"]
    return since
