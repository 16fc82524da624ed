"""Full-batch gradient descent on wide data: the first layer carried in sample space.

When a net sees few rows of many features (the course's cat net: 209 images of
12,288 pixels), each epoch's time goes to the two products with ``X``: the forward
``Z[1] = X W[1] + b[1]`` and the backward ``dW[1] = X^T dZ[1]``. Plain gradient
descent on the full batch updates the first layer as (see ``network.backward``)::

    W[1] <- W[1] - lr (X^T dZ[1] + c W[1]),     c = alpha / sum(w)

(``dZ[1]`` already carries the sample weights ``w / sum(w)``). Multiplying on the
left by ``X``, with the Gram matrix ``G = X X^T`` (n x n, formed once)::

    X W[1] <- (1 - lr c) X W[1] - lr G dZ[1]

so the loop carries ``P = X W[1]`` (n x h) and the forward pass only adds the bias.
Per epoch this replaces one n d h product by one n^2 h product; ``G`` costs n^2 d
once and ``P = X W[1]`` (recomputed at each start) n d h.

When it is taken (:func:`sample_space_first_layer`): dense float64 ``X``, every
epoch one full batch of all rows (``batch_size >= n_samples``, so the order does
not matter), solver ``'gd'`` with any learning-rate schedule, no augmentation and no
gradient clipping (each would make the update something other than
``a W[1] + X^T (something)``), ``8 n <= d`` (an epoch's saving ``n d h`` is then at
least 8 times what it adds, ``n^2 h``, as for Newton's sample-space steps), and
enough epochs to repay ``G``: ``max_epochs * h >= n`` (``G``'s ``n^2 d`` is ``n / h``
epochs' saving). Dropout on the hidden layers is allowed (it does not change the
first layer's update form). Momentum, RMSprop and Adam take the direct path.

Round-off: in exact arithmetic the carried ``P`` equals ``X W[1]``; in float64 it
drifts from a direct product by round-off, so it is recomputed directly at every
start (fit, warm start, resume, ``partial_fit``) and before each epoch whose number
is ``k * REFRESH_EVERY + 1`` (by the absolute epoch counter). Training on this path
agrees with the direct path, and a resumed or warm-started fit with an
uninterrupted one, to round-off (relative differences ~1e-12), not bit for bit.
"""

import numpy as np

from ..optim.optimizers import GD
from .batches import effective_batch_size

#: the carried ``X W[1]`` is recomputed from ``X`` every this many epochs
REFRESH_EVERY = 100
#: taken when ``FACTOR * n_samples <= n_features``
FACTOR = 8
_enabled = True  # tests switch the path off to compare with the direct one


class SampleSpaceFirstLayer:
    """``P = X W[1]`` carried through plain full-batch gradient-descent steps.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_features, n_units)
        The first layer's weights, which the training loop updates in place.
    """

    def __init__(self, X, W):
        self.X, self.W = X, W
        self.gram = X @ X.T  # G = X X^T, once per run
        self.product = np.empty((X.shape[0], W.shape[1]), W.dtype)
        self._step = np.empty_like(self.product)
        self.refresh()

    def refresh(self):
        """Recompute ``P = X W[1]`` directly (bounds the carried round-off)."""
        np.matmul(self.X, self.W, out=self.product)
        self._fresh = True  # no step carried since

    def start_epoch(self, epochs_done):
        """Before an epoch: refresh at fixed absolute epochs (``REFRESH_EVERY``),
        unless nothing was carried since the last refresh (a run's first epoch)."""
        if epochs_done % REFRESH_EVERY == 0 and not self._fresh:
            self.refresh()

    def step(self, first_delta, lr, penalty):
        """Follow the update ``W[1] <- W[1] - lr (X^T dZ[1] + penalty W[1])``:
        ``P <- (1 - lr penalty) P - lr G dZ[1]``."""
        self._fresh = False
        # in float64, as the direct path's update: NumPy 2 keeps a float32 rate or
        # penalty (np.float32(0.01)) times a Python float in float32 (NEP 50)
        lr, penalty = float(lr), float(penalty)
        if penalty:
            self.product *= 1.0 - lr * penalty
        np.matmul(self.gram, first_delta, out=self._step)
        self._step *= lr
        self.product -= self._step


def sample_space_first_layer(arch, X, coefs, optimizer, settings, max_epochs):
    """A :class:`SampleSpaceFirstLayer` for this run, or None when the direct path
    is taken (the rules are in the module docstring)."""
    if not (_enabled and isinstance(X, np.ndarray) and X.ndim == 2):
        return None
    n, d = X.shape
    W = coefs[0]
    taken = (X.dtype == np.float64 and W.dtype == np.float64
             and effective_batch_size(settings.batch_size, n) == n
             and type(optimizer) is GD
             and settings.augmentation is None and settings.max_grad_norm is None
             and FACTOR * n <= d and max_epochs * W.shape[1] >= n)
    return SampleSpaceFirstLayer(X, W) if taken else None
