"""Mixed precision for Newton's method: Hessian-vector products in float32.

Newton's method needs its objective, gradient and stopping test exact (they
decide the optimum reached) but only an approximate step: conjugate gradient
solves ``H p = -g`` to a tolerance far above float32's round-off, so the products
``H V`` it asks for may run in float32, at about twice BLAS's float64 speed and
half its memory traffic. Only the operands' rounding (relative ``2^-24``) and
float32 sums change the products, by a relative ``~sqrt(n) 2^-24``; the line
search and the stopping test stay in float64, so the optimum and the guarantees on
it are unchanged (the caller falls back to float64 products where CG stalls).

The float32 copy carries a column of ones, ``X~ = (X, 1)``: with ``V~ = (V_W; v_b)``
(the Newton vector's own layout, ``W`` row by row then the intercepts),
``R{Z} = X~ V~`` and the data part of ``H V`` is ``X~^T (w R{P}) / S``, two products
and no separate intercept pass. The products run transposed, ``R{Z}^T`` of shape
(K, n): softmax's per-row terms then broadcast along rows of length n (NumPy's
fast case) rather than along rows of K entries (on digits' 1437 x 10 the
column-vector broadcasts cost as much as a product).
"""

import numpy as np

#: The float32 copy ``(X, 1)`` of a dense ``X`` is made only when it takes at most
#: this many bytes (on top of ``X`` itself: half of a float64 ``X``'s memory).
LOW_PRECISION_MAX_BYTES = 64 << 20
#: ... and when ``X``'s entries are at most this large in absolute value
#: (products of such entries and of CG's directions must stay far from float32's
#: overflow at ~3e38).
LOW_PRECISION_MAX_ENTRY = 1e15


def low_precision_copy(X):
    """``(X, 1)`` in float32 for :class:`Float32Products`, or None (float64 products).

    None for sparse ``X`` (its products are bound by index traffic, not by the
    values' width), for a copy larger than :data:`LOW_PRECISION_MAX_BYTES` and for
    entries beyond :data:`LOW_PRECISION_MAX_ENTRY`.
    """
    if not isinstance(X, np.ndarray) or X.dtype not in (np.float32, np.float64):
        return None
    n, d = X.shape
    if n * (d + 1) * 4 > LOW_PRECISION_MAX_BYTES:
        return None
    if X.size == 0 or not max(X.max(), -X.min()) <= LOW_PRECISION_MAX_ENTRY:
        return None
    X_low = np.empty((n, d + 1), np.float32)
    X_low[:, :d] = X
    X_low[:, d] = 1.0
    return X_low


class Float32Products:
    """The data part of ``H V`` at one point, from a float32 ``(X, 1)``.

    ``P`` (probabilities), ``row_weight`` (``w / S``, shape (n, 1)) and, for one
    sigmoid output, ``curvature`` (``w p (1 - p) / S``) are those of
    :class:`~sknn_scratch.core.hessian.LinearHessian`; they are cast and
    transposed once here, per Newton iteration.
    """

    def __init__(self, X_low, P, row_weight, curvature=None, block_rows=None):
        self.X_low = X_low
        n, K = P.shape
        # rows per block: an X~ larger than the cache is read once per product,
        # not twice (see LinearHessian.product)
        self.block_rows = block_rows or n
        if curvature is not None:  # sigmoid: w R{P} / S = curvature R{Z}
            self.weights = curvature.T.astype(np.float32)  # (1, n)
            self.P = None
        else:  # softmax: w R{P} / S = (w P / S) (R{Z} - sum_k P_k R{Z}_k)
            self.P = P.T.astype(np.float32)  # (K, n)
            self.weights = (P * row_weight).T.astype(np.float32)
        self.RZ = np.empty((K, n), np.float32)  # R{Z}^T, then w R{P}^T / S
        self.scratch = np.empty((K, n), np.float32)
        self.V = np.empty((X_low.shape[1], K), np.float32)  # V~ = (V_W; v_b)
        self.ones = np.ones(K, np.float32)

    def __call__(self, V_W, v_b):
        """``(X^T (w R{P}) / S, sum_rows w R{P} / S)`` in float64, for ``V = (V_W, v_b)``.

        Beyond float32's range the result holds inf or NaN, silently: the caller
        checks it and redoes the product in float64.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            return self._product(V_W, v_b)

    def _product(self, V_W, v_b):
        V = self.V
        V[:-1], V[-1] = V_W, v_b  # rounded to float32
        HV = np.zeros(V.shape[::-1], np.float32)  # X~^T (w R{P} / S), transposed
        for start in range(0, self.RZ.shape[1], self.block_rows):
            rows = slice(start, start + self.block_rows)
            X, RZ = self.X_low[rows], self.RZ[:, rows]
            np.matmul(V.T, X.T, out=RZ)  # R{Z}^T = V~^T X~^T, (K, rows)
            if self.P is not None:
                # sum_k P_k R{Z}_k per sample, as (1, K) @ (K, rows)
                RZ -= self.ones @ np.multiply(self.P[:, rows], RZ,
                                              out=self.scratch[:, rows])
            RZ *= self.weights[:, rows]
            HV += RZ @ X
        HV = HV.T.astype(np.float64)  # (d + 1, K)
        if self.P is not None:
            # R{P}'s rows sum to 0 (sum_k P_k (R{Z}_k - sum_l P_l R{Z}_l) = 0), so
            # HV's rows sum to 0 over the outputs; float32's rounding does not
            # keep that, and CG would then drift along H's null direction (every
            # intercept shifted alike), which no gradient ever corrects.
            # Re-centred, as in exact arithmetic.
            HV -= (HV @ np.full(HV.shape[1], 1.0 / HV.shape[1]))[:, None]
        return HV[:-1], HV[-1]
