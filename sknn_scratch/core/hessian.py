"""Hessian-vector products of the linear (no hidden layer) cross-entropy objective.

For ``Z = X W + b`` and ``J = sum_i w_i l_i / S + alpha 1/2 ||W||^2 / S`` (``S = sum w``),
the gradient is ``X^T D / S`` with ``D = w (P - Y)``. Differentiating once more in
the direction ``V = (V_W, v_b)`` (the R-operator): ``R{Z} = X V_W + v_b`` and

* sigmoid:  R{P} = P (1 - P) R{Z}
* softmax:  R{P} = P * (R{Z} - sum_k P_k R{Z}_k)      (Jacobian of softmax times R{Z})

so ``H V = (X^T (w R{P}) / S + alpha V_W / S,  sum_rows w R{P} / S)``. Nothing of
size n_features^2 is formed for the products, which is what lets Newton's method
run on the cat data's 12,288 features. For a few parameters the whole matrix is
cheaper (:meth:`LinearHessian.matrix`, Newton's exact step).
"""

import numpy as np
import scipy.sparse as sp


#: Up to this many parameters (dense or sparse ``X``), Newton forms ``H`` and
#: solves exactly: the matrix costs the arithmetic of ~p/2 products at
#: matrix-matrix speed, where conjugate gradient needs up to ``p`` products per
#: step, each a Python-level round of small operations.
MATRIX_MAX_PARAMETERS = 128
#: One sigmoid output, ``X`` (dense or sparse) with at most this many rows and at
#: least ``SAMPLE_SPACE_WIDTH`` times as many features: exact steps in sample space
#: (:class:`SampleSpaceStep`; the Gram matrix once costs ``n`` passes' arithmetic
#: at matrix-matrix speed, about as much as ~n / 8 Hessian products).
SAMPLE_SPACE_MAX_ROWS = 512
SAMPLE_SPACE_WIDTH = 8
#: A dense ``X`` above this size is multiplied block by block of rows of about
#: ``BLOCK_BYTES`` (see :meth:`LinearHessian.product`): a block stays in a core's
#: cache between its two products.
CACHED_BYTES = 8 << 20
BLOCK_BYTES = 2 << 20


def _inverse(diagonal):
    """``1 / diagonal``, 1 where an entry is 0 (a feature 0 in every row, no penalty)."""
    return np.divide(1.0, diagonal, out=np.ones_like(diagonal), where=diagonal > 0)


def block_rows(X, at_least=1):
    """Rows of ``X`` in a block of about :data:`BLOCK_BYTES` (at least
    ``at_least``): the Hessian products here, and the objective's pass in
    :mod:`.linear`, read both of their products from one cached block."""
    return max(at_least, BLOCK_BYTES // (X.dtype.itemsize * max(X.shape[1], 1)))


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
        d_W = 0.25 * (squared_entries(X).T @ w)
    d_W += alpha / weight_sum
    diagonal = np.concatenate([np.repeat(d_W, n_outputs), np.full(n_outputs, 0.25)])
    return _inverse(diagonal)


def inverse_diagonal(X, P, sample_weight, weight_sum, alpha, squared=None):
    """``1 / diag(H)`` at the point whose probabilities are ``P``.

    The entry for weight ``(feature f, output k)`` is
    ``1 / (sum_i w_i/S x_if^2 p_ik (1 - p_ik) + alpha/S)`` (softmax's own class and
    the sigmoid alike), for an intercept ``x_if = 1``: the curvatures the bound of
    :func:`inverse_diagonal_bound` sets to 1/4, here at their values. Laid out as
    the Newton vector; a zero entry gets 1. ``squared``: for sparse X,
    :func:`squared_entries` of it, computed once by the caller; a dense X is
    squared a block of rows at a time (one pass, nothing of X's size allocated).
    """
    C = P * (1.0 - P)  # (n, K): each row's curvature per output, times w_i / S
    C *= (sample_weight / weight_sum)[:, None]
    if isinstance(X, np.ndarray):
        d_W = np.zeros((X.shape[1], P.shape[1]))
        rows = block_rows(X)
        for start in range(0, X.shape[0], rows):
            block = np.square(X[start:start + rows], dtype=np.float64)
            d_W += block.T @ C[start:start + rows]
    else:
        d_W = np.asarray((squared if squared is not None else squared_entries(X)).T @ C)
    d_W += alpha / weight_sum
    diagonal = np.concatenate([d_W.ravel(), C.sum(axis=0)])
    return _inverse(diagonal)


def squared_entries(X):
    """A CSR ``X`` with its entries squared, on ``X``'s own index arrays."""
    if not X.has_canonical_format:  # duplicate entries add up before squaring
        X = X.copy()
        X.sum_duplicates()
    return sp.csr_matrix((np.square(X.data), X.indices, X.indptr), shape=X.shape,
                         copy=False)


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

    def matrix(self, max_elements=1 << 20):
        """``H`` itself, in the Newton vector's layout.

        With ``x~ = (x, 1)`` (the intercept as a feature of 1) and ``c_i = w_i / S``,
        the entry for weights ``(feature f, output k)`` and ``(g, l)`` is

            H[(f,k), (g,l)] = sum_i c_i x~_if x~_ig (delta_kl p_ik - p_ik p_il)

        (softmax's Jacobian ``diag(p) - p p^T``; for one sigmoid output
        ``p (1 - p)``), plus ``alpha / S`` on the coefficients' diagonal. Index
        ``f K + k``: ``W`` row by row, then the intercepts as row ``n_features``.

        Softmax's ``H`` is singular: shifting every intercept by the same amount
        changes no probability (``H u = 0`` for ``u = (0, .., 0, 1, .., 1)``), and
        the gradient has no component along ``u`` (the intercepts' gradients sum
        to ``sum_i c_i (sum_k p_ik - 1) = 0``). So ``s u u^T`` (``s``: the largest
        intercept curvature) is added: ``(H + s u u^T) p = -g`` then has ``u . p = 0``
        (dot it with ``u``), hence ``H p = -g``, the same Newton step and the same
        decrement ``-g . p = p^T H p``, from a positive definite matrix.

        For ``p`` parameters it costs the arithmetic of about ``p / 2`` products,
        in matrix-matrix form (fast), and ``p^2`` memory; rows are taken in chunks
        of at most ``max_elements`` temporaries.
        """
        n, d = self.X.shape
        K = self.P.shape[1]
        # the delta_kl part's weights: c p (1 - p) for a sigmoid, c p_k for softmax
        weights = self.curvature if K == 1 else self.P * self.row_weight
        H = np.zeros(((d + 1) * K, (d + 1) * K))
        same_output = np.zeros((d + 1, (d + 1) * K))  # [f, g K + k]: sum c x~_f x~_g p_k
        rows = max(1, max_elements // ((d + 1) * K))
        for start in range(0, n, rows):
            chunk = slice(start, start + rows)
            Xt = np.ones((min(rows, n - start), d + 1))
            Xt[:, :d] = self.X[chunk].toarray() if sp.issparse(self.X) else self.X[chunk]
            Xw = (Xt[:, :, None] * weights[chunk, None, :]).reshape(len(Xt), -1)
            same_output += Xt.T @ Xw
            if K > 1:  # - sum c x~_f p_k x~_g p_l, every pair of outputs
                Xp = (Xt[:, :, None] * self.P[chunk, None, :]).reshape(len(Xt), -1)
                H -= Xw.T @ Xp
        outputs = np.arange(K)
        blocks = H.reshape(d + 1, K, d + 1, K)  # a view: H[(f,k), (g,l)]
        blocks[:, outputs, :, outputs] += same_output.reshape(d + 1, d + 1, K).transpose(
            2, 0, 1)
        coefficients = np.arange(d * K)
        H[coefficients, coefficients] += self.alpha / self.weight_sum
        if K > 1:
            intercepts = slice(d * K, None)
            H[intercepts, intercepts] += np.max(np.diag(H)[intercepts])
        return H

    def product(self, V_W, v_b):
        """``H V`` for ``V = (V_W, v_b)`` (see the module docstring).

        A dense ``X`` larger than the cache is read once, not twice: block by
        block of rows, ``X_B V`` and then ``X_B^T R{P}_B`` while ``X_B`` is still
        cached (each product is otherwise two passes over memory, and on 2,000 x
        20,000 float64 the passes, not the arithmetic, take the time).

        The products stay in float64: in float32 (tried) the steps, the Newton
        decrement that confirms convergence and so the point reached changed
        (dense and CSR fits 1e-6 apart instead of 1e-13, 1.5e-4 from the optimum
        where float64 lands 3e-5), and a weak penalty (C=1e6) took twice the
        iterations, its curvature below float32's resolution of ``H``.
        """
        if not isinstance(self.X, np.ndarray) or self.X.nbytes <= CACHED_BYTES:
            HV_W, hv_b = self._rows_product(self.X, self.P, self.curvature,
                                            self.row_weight, V_W, v_b)
        else:
            rows = block_rows(self.X)
            HV_W, hv_b = 0.0, 0.0
            for start in range(0, self.X.shape[0], rows):
                block = slice(start, start + rows)
                block_W, block_b = self._rows_product(
                    self.X[block], self.P[block],
                    None if self.curvature is None else self.curvature[block],
                    self.row_weight[block], V_W, v_b)
                HV_W, hv_b = HV_W + block_W, hv_b + block_b
        if self.alpha:
            HV_W = HV_W + (self.alpha / self.weight_sum) * V_W
        return HV_W, hv_b

    def _rows_product(self, X, P, curvature, row_weight, V_W, v_b):
        """The data part of ``H V`` from some rows: their ``X``, ``P``, weights."""
        RZ = X @ V_W
        RZ += v_b
        if curvature is not None:
            RP = np.multiply(RZ, curvature, out=RZ)
        else:  # R{P} = P * (R{Z} - sum_k P_k R{Z}_k), then times w / S
            # the row dots as a matrix-vector product (einsum's or a reduction
            # along the short axis are several times slower)
            RZ -= (P * RZ) @ np.ones((P.shape[1], 1))
            RP = RZ
            RP *= P
            RP *= row_weight
        if isinstance(X, np.ndarray):
            HV_W = (RP.T @ X).T  # (K, n) @ (n, d): BLAS is faster this way round
        else:
            HV_W = np.asarray(X.T @ RP)
        return HV_W, self.ones[: RP.shape[0]] @ RP  # column sums as a matrix-vector product


class SampleSpaceStep:
    """Newton's exact step for one sigmoid output and few rows (``n << d``).

    For ``H = A^T C A + lambda E`` (``A = (X, 1)``, ``C = diag(c_i)`` with
    ``c_i = w_i p_i (1 - p_i) / S``, ``lambda = alpha / S``, ``E`` the identity on
    the coefficients and 0 on the unpenalised intercept), ``H p = -g`` reads

        X^T C z + lambda p_W = -g_W,   1^T C z = -g_b,   z = X p_W + p_b 1.

    The first gives ``p_W = -(g_W + X^T C z) / lambda``; put into ``z`` and
    written with ``y = C^1/2 z``, an ``n x n`` system with the Gram matrix
    ``G = X X^T`` (computed once per fit: it does not depend on the weights):

        (lambda I + C^1/2 G C^1/2) y = C^1/2 (-X g_W) + p_b lambda C^1/2 1,

    symmetric positive definite; two right-hand sides, then ``p_b`` from the
    second equation. Each step costs two passes over ``X`` and an ``n x n``
    Cholesky-sized solve, instead of a conjugate-gradient solve's two passes per
    Hessian product: on the cat data (209 x 12,288) the exact step of every
    iteration costs less than the products CG needs for an inexact one.
    """

    def __init__(self, X, sample_weight, weight_sum, alpha):
        # float64 once (n <= SAMPLE_SPACE_MAX_ROWS rows): a float32 X times the
        # float64 step vectors would be copied to float64 by NumPy at every step
        self.X = X if X.dtype == np.float64 else X.astype(np.float64)
        self.row_weight = sample_weight / weight_sum
        self.penalty = alpha / weight_sum  # lambda
        self.gram = self.X @ self.X.T
        if sp.issparse(self.gram):
            self.gram = self.gram.toarray()

    def __call__(self, P, g):
        """The step ``p = -H^-1 g`` at probabilities ``P`` (shape (n, 1))."""
        p = P[:, 0]
        root = np.sqrt(self.row_weight * p * (1.0 - p))  # C^1/2
        g_W, g_b = g[:-1], g[-1]
        system = root[:, None] * self.gram * root[None, :]
        system[np.diag_indices_from(system)] += self.penalty
        rhs = np.column_stack([root * -(self.X @ g_W), self.penalty * root])
        y_g, y_one = np.linalg.solve(system, rhs).T
        # 1^T C z = root . y = -g_b, with y = y_g + p_b y_one
        curvature = float(root @ y_one)
        p_b = (-g_b - float(root @ y_g)) / curvature if curvature > 0 else 0.0
        y = y_g + p_b * y_one
        p_W = -(g_W + self.X.T @ (root * y)) / self.penalty
        return np.concatenate([p_W, [p_b]])

