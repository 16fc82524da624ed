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
from .sparse import add_product, add_transpose_product


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
        # X^T D computed as (D^T X) into rows of its own (see __call__)
        self.gradient_rows = (np.empty((K, self.n_features))
                              if K > 1 and isinstance(X, np.ndarray) else None)
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
        Z = self.logits
        if isinstance(self.X, np.ndarray):
            np.matmul(self.X, W, out=Z)
        else:  # added into zeros: SciPy's own kernels, nothing allocated
            Z[...] = 0.0
            add_product(self.X, W, Z)
        Z += b
        loss, P = (self._sigmoid(Z) if K == 1 else self._softmax(Z))
        self.theta, self.probabilities = theta.copy(), P
        D = np.subtract(P, self.Y, out=Z)  # the output delta, into Z's buffer
        D *= self.row_weight
        grad = np.empty_like(theta)
        grad_W = grad[: d * K].reshape(d, K)
        penalty = self.alpha / self.weight_sum
        if isinstance(self.X, np.ndarray):
            # (K, n) @ (n, d) into a C-ordered (K, d) buffer, then transposed into
            # the gradient (d K numbers): the same sums as straight into grad_W.T,
            # which NumPy does not hand to BLAS as it is (13 ms instead of 9.5 on
            # 20,000 x 300, K = 10; X^T D costs 12.5); the same time on digits.
            if self.gradient_rows is None:  # one row: grad_W.T is C-ordered
                np.matmul(D.T, self.X, out=grad_W.T)
            else:
                np.matmul(D.T, self.X, out=self.gradient_rows)
                grad_W[...] = self.gradient_rows.T
            if penalty:
                grad_W += penalty * W
        else:  # the penalty written first, X^T D added into it
            np.multiply(W, penalty, out=grad_W)
            add_transpose_product(self.X, D, grad_W)
        np.matmul(self.ones_rows, D, out=grad[d * K:])  # column sums as a product
        if penalty:
            loss += 0.5 * penalty * float(W.ravel() @ W.ravel())
        return loss, grad

    def _sigmoid(self, Z):
        """Loss and probabilities (a new array) of one sigmoid output.

        One exponential for both, ``e = e^-|z|`` (never overflows):
        ``l = log(1 + e^z) - y z = max(z, 0) + log1p(e) - y z`` (NumPy's
        ``logaddexp(0, z)``), and ``p = 1 / (1 + e)`` for ``z >= 0``, ``e / (1 + e)``
        for ``z < 0`` (the sigmoid of :mod:`.activations`).
        """
        z, y = Z[:, 0], self.Y[:, 0]
        e = np.abs(z)
        np.negative(e, out=e)
        np.exp(e, out=e)
        terms = np.log1p(e)
        terms += np.maximum(z, 0.0)
        terms -= y * z
        loss = float(terms @ self.sample_weight)
        P = np.add(e, 1.0)
        np.divide(1.0, P, out=P)
        P *= np.where(z < 0, e, 1.0)  # (a masked multiply costs ten times more)
        return loss / self.weight_sum, P[:, None]

    def _softmax(self, Z):
        """Loss and probabilities (a new array) of softmax outputs; ``Z`` is shifted.

        As :func:`.losses.inplace_loss_and_delta`: each row shifted by its true
        class's logit ``z_y`` (softmax is shift-invariant), so
        ``l = log sum_k e^(z_k - z_y)``, a sum containing ``e^0 = 1`` (no log(0),
        no cancellation); rows where some ``z_k - z_y`` would overflow ``exp`` are
        shifted by their maximum instead. Row dots and row sums run as
        matrix-vector products with a vector of ones (a reduction along a short
        axis is several times slower).
        """
        P = np.empty_like(Z)
        z_y = self._true_logits(Z, P)
        Z -= z_y[:, None]
        shifted_y = 0.0
        if Z.max() > losses._largest_safe_exponent(Z.dtype, Z.shape[1]):
            Z += z_y[:, None]
            Z -= Z.max(axis=1, keepdims=True)  # z - max_k z_k <= 0
            shifted_y = self._true_logits(Z, P)
        np.exp(Z, out=P)
        row_sums = P @ self.ones_outputs
        loss = float((np.log(row_sums) - shifted_y) @ self.sample_weight)
        P /= row_sums[:, None]
        return loss / self.weight_sum, P

    def _true_logits(self, Z, scratch):
        """``z_y = sum_k z_k y_k`` per row: the true class's logit (Y one-hot; the
        same numbers either way, the other terms are zeros)."""
        if self.true_logits is not None:
            return Z.reshape(-1)[self.true_logits]
        return np.multiply(Z, self.Y, out=scratch) @ self.ones_outputs
