"""Dead hidden units, counted from the activations the forward pass already made.

A hidden unit is *dead* in an epoch when it output exactly 0 for every training
sample of that epoch (a ReLU whose ``z = a_prev W + b`` stayed negative: its
gradient is 0 too, so gradient descent never brings it back; the notes' "dying
ReLU"). After each mini-batch's forward pass the loop hands the batch's
activations ``A[l]`` (before dropout) to :meth:`UnitActivity.observe`. For ReLU
(``A >= 0``) it keeps each unit's sum over the batch's rows, as the BLAS product
``1^T A`` (the way backprop sums ``db``, ~3x faster than a reduction): a sum of
non-negative numbers is 0 exactly when all of them are. For activations that
can be negative it keeps each unit's largest and smallest output. Nothing is
recomputed: one pass over ``A[l]`` per layer, about ``1 / n[l-1]`` of the
layer's matrix product. The weights change during the epoch, so a unit counts
as alive if any batch woke it.
"""

import numpy as np

#: Per-batch extrema kept before they are folded into the epoch's (bounded memory).
_ROWS = 32


class UnitActivity:
    """Per hidden layer, which units output something other than 0 this epoch."""

    def __init__(self, arch, dtype):
        hidden = arch.layer_sizes[1:-1]
        # relu outputs are >= 0: their sum is 0 exactly when all are
        self.signed = arch.activation != "relu"
        self.high = [np.zeros((_ROWS, n), dtype) for n in hidden]
        self.low = [np.zeros((_ROWS, n), dtype) for n in hidden] if self.signed else None
        self.alive = [np.zeros(n, bool) for n in hidden]
        self.rows = 0

    def start_epoch(self):
        for alive in self.alive:
            alive.fill(False)
        self.rows = 0

    def observe(self, workspace, m):
        """Record a batch's activations ``workspace.Z[l][:m]`` of each hidden layer
        (``workspace``: the :class:`~sknn_scratch.core.network.Workspace` of the
        forward pass)."""
        i = self.rows
        for l, high in enumerate(self.high):
            A = workspace.Z[l][:m]
            if self.signed:
                A.max(axis=0, out=high[i])
                A.min(axis=0, out=self.low[l][i])
            else:  # relu: the column sums 1^T A, >= 0
                np.matmul(workspace.ones[:m], A, out=high[i])
        self.rows += 1
        if self.rows == _ROWS:
            self._fold()

    def _fold(self):
        n = self.rows
        for l, alive in enumerate(self.alive):
            alive |= self.high[l][:n].any(axis=0)  # nonzero (or NaN): some output
            if self.signed:
                alive |= self.low[l][:n].any(axis=0)
        self.rows = 0

    def dead_fractions(self):
        """Fraction of dead units per hidden layer over the epoch so far."""
        self._fold()
        return [float(alive.size - np.count_nonzero(alive)) / alive.size
                for alive in self.alive]


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
