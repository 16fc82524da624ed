"""The objective and gradient of the linear (no hidden layer) model, for Newton's method.

For ``Z = X W + b`` (rows are samples), targets ``Y`` (one-hot, or one 0/1 column
for a sigmoid), weights ``w`` and ``S = sum w``:

    J = sum_i w_i l_i / S + alpha 1/2 ||W||^2 / S,
    dJ/dW = X^T D + alpha W / S,   dJ/db = sum_rows D,   D = w (P - Y) / S

(``P``: sigmoid/softmax of ``Z``; the delta collapses to ``P - Y`` as in
:mod:`.losses`). The same numbers as :func:`.network.forward` then
:func:`.network.backward` on a net without hidden layer, in fewer passes: one
product ``X W``, the softmax and loss in place, one product ``X^T D``, buffers
kept from call to call. Newton's method evaluates it once per line-search trial
on the whole training set, and wants the probabilities of the accepted point for
its Hessian: :attr:`LinearObjective.probabilities` keeps them, so no second
softmax is needed (on digits' 1437 x 10 logits a softmax costs about as much as
a Hessian product: float64 ``exp`` is not vectorised on most CPUs).
"""

import numpy as np

from . import losses
from .hessian import block_rows
from .sparse import add_product, add_transpose_product

#: At least this many rows per block of the dense pass, whose blocks are of about
#: :data:`.hessian.BLOCK_BYTES` (measured best between 1 and 4 MB on 2,000 x 20,000
#: and 20,000 x 300); with fewer rows of very wide X, 8 rows took as long as the
#: two separate passes, 16 rows 0.43 of it.
MIN_BLOCK_ROWS = 16


class LinearObjective:
    """``theta -> (J, dJ/dtheta)`` for ``theta = (W row by row, b)``.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR/CSC of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs), float64
        :func:`.losses.one_hot` targets (one column: a sigmoid output).
    sample_weight : ndarray of shape (n_samples,), float64
    weight_sum : float
        ``S``, the normaliser of the loss and of the penalty.
    alpha : float
        The L2 penalty's strength (``1 / C``).

    Attributes
    ----------
    theta, probabilities : ndarray or None
        The point evaluated last and its ``P`` (fresh arrays per call, so a
        Hessian built from ``P`` is never overwritten by a later evaluation).
    """

    def __init__(self, X, Y, sample_weight, weight_sum, alpha):
        self.X, self.Y, self.alpha, self.weight_sum = X, Y, alpha, weight_sum
        n, K = Y.shape
        self.n_features = X.shape[1]
        self.row_weight = (sample_weight / weight_sum)[:, None]
        if sample_weight.size and np.all(sample_weight == sample_weight[0]):
            # equal weights (an unweighted fit): D scaled by one number, the same
            # w_i / S of every row, without broadcasting a column
            self.row_weight = float(self.row_weight[0, 0])
        self.sample_weight = sample_weight
        self.logits = np.empty((n, K))  # Z, then the output delta D
        dense = isinstance(X, np.ndarray)
        # X^T D computed as (D^T X) into rows of its own, block by block
        # (see _dense_pass)
        self.gradient_rows = np.empty((K, self.n_features)) if K > 1 and dense else None
        self.block_rows = block_rows(X, MIN_BLOCK_ROWS)
        self.block_gradient = (np.empty((K, self.n_features))
                               if dense and n > self.block_rows else None)
        self.ones_rows, self.ones_outputs = np.ones(n), np.ones(K)
        # one-hot Y: each row's true class as a position in Z's flat buffer, so
        # z_y is one gather instead of a pass over Z Y and a row sum
        self.true_logits = None
        if K > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y @ self.ones_outputs == 1):
            self.true_logits = np.arange(n) * K + Y.argmax(axis=1)
        self.theta = self.probabilities = None

    def __call__(self, theta):
        """``(J, gradient)`` at ``theta``; remembers ``theta`` and its ``P``."""
        d, K = self.n_features, self.Y.shape[1]
        W, b = theta[: d * K].reshape(d, K), theta[d * K:]
        grad = np.empty_like(theta)
        grad_W = grad[: d * K].reshape(d, K)
        P = np.empty_like(self.logits)  # fresh: a Hessian may keep the last one
        penalty = self.alpha / self.weight_sum
        # X W is exactly 0 at W = 0 (X is finite): the usual first point
        zero_W = not W.any()
        if isinstance(self.X, np.ndarray):
            loss = self._dense_pass(W, b, P, grad_W, zero_W)
            if penalty:
                grad_W += penalty * W
        else:  # added into zeros: SciPy's own kernels, nothing allocated
            Z = self.logits
            Z[...] = 0.0
            if not zero_W:
                add_product(self.X, W, Z)
            Z += b
            loss = self._outputs_and_delta(slice(None), P)
            # the penalty written first, X^T D added into it
            np.multiply(W, penalty, out=grad_W)
            add_transpose_product(self.X, Z, grad_W)
        self.theta, self.probabilities = theta.copy(), P
        np.matmul(self.ones_rows, self.logits, out=grad[d * K:])  # column sums of D
        loss /= self.weight_sum
        if penalty:
            loss += 0.5 * penalty * float(W.ravel() @ W.ravel())
        return loss, grad

    def _dense_pass(self, W, b, P, grad_W, zero_W):
        """Both products with a dense X in one pass over it: blocks of rows.

        For each block of about :data:`.hessian.BLOCK_BYTES` (in cache) its logits
        ``Z_B = X_B W + b``, its probabilities, loss and delta ``D_B``, then its
        share ``D_B^T X_B`` of the gradient, so X is read from memory once per
        call, not twice (2,000 x 20,000, one output: 36 ms per call instead of
        84; 20,000 x 300, 10 outputs: 45 instead of 58). The gradient is summed
        block by block (round-off of the order of the sums' own). ``D_B^T X_B``
        runs as ``(K, m) @ (m, d)`` into a C-ordered ``(K, d)`` buffer, then
        transposed into the gradient (d K numbers): NumPy does not hand a product
        into ``grad_W.T`` to BLAS as it is (13 ms instead of 9.5 on 20,000 x 300,
        K = 10). Returns the weighted loss sum.
        """
        X, Z, K = self.X, self.logits, W.shape[1]
        # one output: grad_W.T is itself a C-ordered (1, d) row
        rows_of_grad = grad_W.T if K == 1 else self.gradient_rows
        loss = 0.0
        for start in range(0, X.shape[0], self.block_rows):
            rows = slice(start, start + self.block_rows)
            Z_B, X_B = Z[rows], X[rows]
            if zero_W:
                Z_B[...] = b
            else:
                np.matmul(X_B, W, out=Z_B)
                Z_B += b
            loss += self._outputs_and_delta(rows, P)
            if start == 0:
                np.matmul(Z_B.T, X_B, out=rows_of_grad)
            else:
                np.matmul(Z_B.T, X_B, out=self.block_gradient)
                rows_of_grad += self.block_gradient
        if K > 1:
            grad_W[...] = rows_of_grad.T
        return loss

    def _outputs_and_delta(self, rows, P):
        """For the logits in ``Z[rows]``: their probabilities into ``P[rows]``, the
        weighted loss sum (returned), and the delta ``D = w (P - Y) / S`` in place
        of the logits."""
        Z_B = self.logits[rows]
        if self.Y.shape[1] == 1:
            loss = self._sigmoid(Z_B, rows, P[rows])
        else:
            loss = self._softmax(Z_B, rows, P[rows])
        D = np.subtract(P[rows], self.Y[rows], out=Z_B)  # into Z's buffer
        D *= self.row_weight if np.isscalar(self.row_weight) else self.row_weight[rows]
        return loss

    def _sigmoid(self, Z, rows, P):
        """Weighted loss sum of one sigmoid output; its probabilities into ``P``.

        One exponential for both, ``e = e^-|z|`` (never overflows):
        ``l = log(1 + e^z) - y z = max(z, 0) + log1p(e) - y z`` (NumPy's
        ``logaddexp(0, z)``), and ``p = 1 / (1 + e)`` for ``z >= 0``, ``e / (1 + e)``
        for ``z < 0`` (the sigmoid of :mod:`.activations`).
        """
        z, y = Z[:, 0], self.Y[rows, 0]
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        terms = np.log1p(e)
        terms += np.maximum(z, 0.0)
        terms -= y * z
        loss = float(terms @ self.sample_weight[rows])
        p = P[:, 0]
        np.add(e, 1.0, out=p)
        np.divide(1.0, p, out=p)
        p *= np.where(z < 0, e, 1.0)  # (a masked multiply costs ten times more)
        return loss

    def _softmax(self, Z, rows, P):
        """Weighted loss sum of softmax outputs; probabilities into ``P``; ``Z`` (the
        logits of ``rows``) is shifted.

        As :func:`.losses.inplace_loss_and_delta`: each row shifted by its true
        class's logit ``z_y`` (softmax is shift-invariant), so
        ``l = log sum_k e^(z_k - z_y)``, a sum containing ``e^0 = 1`` (no log(0),
        no cancellation); rows where some ``z_k - z_y`` would overflow ``exp`` are
        shifted by their maximum instead. Row dots and row sums run as
        matrix-vector products with a vector of ones (a reduction along a short
        axis is several times slower).
        """
        z_y = self._true_logits(Z, rows, P)
        Z -= z_y[:, None]
        shifted_y = 0.0
        if Z.max() > losses._largest_safe_exponent(Z.dtype, Z.shape[1]):
            Z += z_y[:, None]
            Z -= Z.max(axis=1, keepdims=True)  # z - max_k z_k <= 0
            shifted_y = self._true_logits(Z, rows, P)
        np.exp(Z, out=P)
        row_sums = P @ self.ones_outputs
        loss = float((np.log(row_sums) - shifted_y) @ self.sample_weight[rows])
        P /= row_sums[:, None]
        return loss

    def _true_logits(self, Z, rows, scratch):
        """``z_y = sum_k z_k y_k`` per row of ``Z`` (the logits of ``rows``): the
        true class's logit (Y one-hot; the same numbers either way, the other
        terms are zeros)."""
        if self.true_logits is not None:
            # positions in the whole buffer, of which Z is a block of rows
            return self.logits.reshape(-1)[self.true_logits[rows]]
        return np.multiply(Z, self.Y[rows], out=scratch) @ self.ones_outputs
