"""Hessian-vector products of the linear (no hidden layer) cross-entropy objective.

For ``Z = X W + b`` and ``J = sum_i w_i l_i / S + alpha 1/2 ||W||^2 / S`` (``S = sum w``),
the gradient is ``X^T D / S`` with ``D = w (P - Y)``. Differentiating once more in
the direction ``V = (V_W, v_b)`` (the R-operator): ``R{Z} = X V_W + v_b`` and

* sigmoid:  R{P} = P (1 - P) R{Z}
* softmax:  R{P} = P * (R{Z} - sum_k P_k R{Z}_k)      (Jacobian of softmax times R{Z})

so ``H V = (X^T (w R{P}) / S + alpha V_W / S,  sum_rows w R{P} / S)``. Nothing of
size n_features^2 is ever formed, which is what lets Newton's method run on the
cat data's 12,288 features.
"""

import numpy as np
import scipy.sparse as sp

from .losses import inplace_output


def output_probabilities(X, W, b):
    """``P = sigmoid/softmax(X W + b)``, computed once per Newton iteration."""
    Z = X @ W
    Z += b
    return inplace_output(Z)


def inverse_diagonal_bound(X, sample_weight, weight_sum, alpha, n_outputs):
    """``1 / diag(H)`` with every curvature at its largest, a Jacobi preconditioner.

    ``H``'s diagonal entry for weight ``(feature f, output k)`` is
    ``sum_i w_i/S x_if^2 dP_ik/dZ_ik + alpha/S``, and ``dP/dZ = p (1 - p) <= 1/4``
    (sigmoid, and softmax's own class); for an intercept ``x_if`` is 1. With
    ``p (1 - p)`` set to 1/4 the diagonal depends only on the features' scales, so it
    is computed once per fit. Conjugate gradient preconditioned by it runs as on
    standardised features: on raw data (scales 1e-3 .. 1e3) plain CG loses
    conjugacy and Newton crawls. Laid out as the Newton vector: ``W`` row by row
    (n_features x n_outputs), then the intercepts. A zero entry (a feature that is
    0 in every row, and no penalty) gets 1.
    """
    w = sample_weight / weight_sum
    if isinstance(X, np.ndarray):
        d_W = 0.25 * np.einsum("ij,ij,i->j", X, X, w)
    else:  # scipy.sparse CSR: (X^2)^T w with X's squared values on X's own index
        # arrays (X.multiply(X) builds a second matrix, indices included, and takes
        # about as long as 25 products)
        if not X.has_canonical_format:  # duplicate entries add up before squaring
            X = X.copy()
            X.sum_duplicates()
        squares = sp.csr_matrix((np.square(X.data), X.indices, X.indptr), shape=X.shape,
                                copy=False)
        d_W = 0.25 * (squares.T @ w)
    d_W += alpha / weight_sum
    diagonal = np.concatenate([np.repeat(d_W, n_outputs), np.full(n_outputs, 0.25)])
    return np.divide(1.0, diagonal, out=np.ones_like(diagonal), where=diagonal > 0)


class LinearHessian:
    """The Hessian at one point, as products ``H V``.

    Built once per Newton iteration from the point's probabilities ``P``; what
    every product shares (the rows' weights ``w / S``, and for sigmoid the
    curvature ``w p (1 - p) / S``) is computed here, once.
    """

    def __init__(self, X, P, sample_weight, weight_sum, alpha):
        self.X, self.P, self.alpha, self.weight_sum = X, P, alpha, weight_sum
        self.row_weight = (sample_weight / weight_sum)[:, None]
        # sigmoid: R{P} = P (1 - P) R{Z}, so w R{P} / S = curvature * R{Z}
        self.curvature = (P * (1.0 - P) * self.row_weight if P.shape[1] == 1
                          else None)
        self.ones = np.ones(P.shape[0])

    def product(self, V_W, v_b):
        """``H V`` for ``V = (V_W, v_b)`` (see the module docstring)."""
        RZ = self.X @ V_W
        RZ += v_b
        if self.curvature is not None:
            RP = np.multiply(RZ, self.curvature, out=RZ)
        else:  # R{P} = P * (R{Z} - sum_k P_k R{Z}_k), then times w / S
            RZ -= np.einsum("ij,ij->i", self.P, RZ)[:, None]
            RP = RZ
            RP *= self.P
            RP *= self.row_weight
        if isinstance(self.X, np.ndarray):
            HV_W = (RP.T @ self.X).T  # (K, n) @ (n, d): BLAS is faster this way round
        else:
            HV_W = np.asarray(self.X.T @ RP)
        if self.alpha:
            HV_W = HV_W + (self.alpha / self.weight_sum) * V_W
        return HV_W, self.ones @ RP  # column sums as a matrix-vector product
