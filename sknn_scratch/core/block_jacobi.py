"""A per-class block-Jacobi preconditioner for multinomial Newton-CG.

The softmax Hessian (see :meth:`.hessian.LinearHessian.matrix`), with ``x~ = (x, 1)``
(the intercept as a feature of ones) and ``c_i = w_i / S``, has for outputs ``k``
and ``l`` the ``(d+1) x (d+1)`` block

    H_kl = sum_i c_i x~_i x~_i^T (delta_kl p_ik - p_ik p_il)  (+ alpha/S I on W's part)

Keeping only the diagonal blocks (``k = l``) gives

    B_k = X~^T diag(c p_k (1 - p_k)) X~ + (alpha / S) E,

``E`` the identity on the coefficients and 0 on the (unpenalised) intercept. ``B_k``
is exact within one class: the features' scales and correlations, which make CG
on raw data crawl even with the diagonal (Jacobi) preconditioner, are all in it;
only the coupling between classes (``- p_k p_l``) is left to CG. Preconditioned
CG runs on ``B^-1/2 H B^-1/2`` with ``B = blockdiag(B_1, .., B_K)``.

Building the ``K`` blocks costs ``n (d+1)^2 K`` multiply-adds (one symmetric
rank-``n`` update per class, at matrix-matrix speed), about ``(d+1) / 4.5``
Hessian products on digits' shape (measured); applying it costs ``K (d+1)^2``,
negligible beside a product. When to build is the caller's choice
(:class:`BuildPolicy` is the cost rule the estimator uses).
"""

import numpy as np

#: A block build costs about this many Hessian products per parameter row
#: ``d + 1`` (measured single-threaded: 1/4.5 at 1437 x 64 x 10 classes, 1/6 at
#: 20,000 x 300 x 10; rounded up so that a build is never underestimated).
BUILD_PRODUCTS_PER_FEATURE = 0.25
#: No blocks above this many entries ``K (d+1)^2`` (32 MB of float64).
MAX_BLOCK_ELEMENTS = 1 << 22
#: Ridge added to each block once scaled to a unit diagonal: a block that is
#: singular (no penalty, and a class of probability ~0 or collinear features)
#: still factorises, and CG's own products carry the exact curvature.
RIDGE = 1e-10
#: Each block's diagonal is at least this fraction of its largest possible value
#: (every ``p (1 - p)`` at 1/4, see :func:`.hessian.inverse_diagonal_bound`). On
#: separable data without a penalty the probabilities tend to 0 and 1 and the
#: blocks to 0; CG preconditioned by their inverse then took a step of 1e18 on
#: raw digits (C=inf) that no line search could shorten enough.
CURVATURE_FLOOR = 1e-6
#: Rows densified at a time from a sparse ``X`` (about 8 MB of float64).
CHUNK_ELEMENTS = 1 << 20


class BlockJacobi:
    """``r -> B^-1 r`` for the per-class diagonal blocks of ``H`` at ``P``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    P : ndarray of shape (n_samples, n_classes)
        Softmax probabilities at the point.
    sample_weight : ndarray of shape (n_samples,)
    weight_sum : float
        ``S``, the normaliser of the loss and of the penalty.
    alpha : float
        The L2 penalty's strength (on the coefficients only).

    Attributes
    ----------
    inverse : ndarray of shape (n_classes, n_features + 1, n_features + 1)
        ``B_k^-1``; row/column ``n_features`` is the intercept's.
    """

    def __init__(self, X, P, sample_weight, weight_sum, alpha):
        self.penalised = alpha > 0
        blocks, bound = class_blocks(X, P, sample_weight / weight_sum)
        diagonal = np.arange(X.shape[1] + 1)
        blocks[:, diagonal, diagonal] += CURVATURE_FLOOR * bound
        blocks[:, diagonal[:-1], diagonal[:-1]] += alpha / weight_sum
        self.inverse = safe_inverse(blocks)

    def __call__(self, r):
        """``B^-1 r`` for ``r`` in the Newton layout (``W`` row by row, then ``b``).

        That layout is the ``(d+1) x K`` matrix ``[W; b]`` read row by row, so
        class ``k``'s part of ``r`` is column ``k``: one batched product of the
        ``K`` inverses with the ``K`` columns.
        """
        K, m, _ = self.inverse.shape
        columns = r.reshape(m, K).T[:, :, None]  # (K, d+1, 1)
        z = np.matmul(self.inverse, columns)[:, :, 0].T.ravel()
        # Softmax's H is singular along u = (0, .., 0, 1, .., 1) (the same shift of
        # every intercept changes no probability), and the gradient, the residuals
        # and CG's iterates are orthogonal to it. B^-1 (unlike a diagonal with equal
        # intercept entries) does not keep them so: project, z - u (u . z) / K, i.e.
        # centre the intercepts' part. CG then runs in u's complement with the
        # preconditioner P B^-1 P, positive definite there, and the intercepts stay
        # centred (scikit-learn's convention).
        # Without a penalty every u_f = (the same v on each class's weight of
        # feature f) is such a direction too (sum_k p_k = 1 for any X); the
        # gradient has no part along them, and neither must the step: centre every
        # row of [W; b] across the classes. (With a penalty only the intercepts';
        # W's rows then have curvature alpha / S, and a start with uncentred W
        # needs steps along them.)
        Z = z.reshape(m, K)
        rows = Z if not self.penalised else Z[m - 1:]
        rows -= rows.mean(axis=1, keepdims=True)
        return z


def nonzero_fraction(X):
    """Non-zero entries of ``X`` (dense or sparse; a sparse matrix's explicit zeros
    not counted) over ``n_samples n_features``: the same number for both."""
    size = X.shape[0] * X.shape[1]
    count = X.count_nonzero() if not isinstance(X, np.ndarray) else np.count_nonzero(X)
    return count / size if size else 0.0


def class_blocks(X, P, row_weight):
    """``B_k = X~^T diag(c p_k (1 - p_k)) X~`` for every class, shape (K, d+1, d+1),
    and the diagonal they would have at ``p (1 - p) = 1/4``, ``sum_i c_i x~_if^2 / 4``.

    Each block as ``A_k^T A_k`` with ``A_k = sqrt(c p_k (1 - p_k)) X~`` (one
    symmetric product, half a general one's arithmetic); a sparse ``X`` is
    densified ``CHUNK_ELEMENTS`` at a time, so dense and sparse ``X`` add the same
    numbers.
    """
    n, d = X.shape
    K = P.shape[1]
    root = np.sqrt(row_weight[:, None] * P * (1.0 - P))  # (n, K)
    blocks = np.zeros((K, d + 1, d + 1))
    bound = np.zeros(d + 1)
    rows = max(1, CHUNK_ELEMENTS // (d + 1))
    for start in range(0, n, rows):
        chunk = slice(start, start + rows)
        Xt = np.ones((min(rows, n - start), d + 1))
        Xt[:, :d] = X[chunk] if isinstance(X, np.ndarray) else X[chunk].toarray()
        bound += 0.25 * (row_weight[chunk] @ np.square(Xt))
        A = np.empty_like(Xt)
        for k in range(K):  # at build time only, never per CG iteration
            np.multiply(Xt, root[chunk, k:k + 1], out=A)
            blocks[k] += A.T @ A
    return blocks, bound


def safe_inverse(blocks):
    """Inverses of symmetric positive semidefinite blocks, made definite if need be.

    Each block ``B`` is first scaled to a unit diagonal, ``B' = s B s`` with
    ``s = 1 / sqrt(diag B)`` (1 where the diagonal is 0: a feature that is 0 on
    every row, unpenalised), and a ``RIDGE`` is added to ``B'``; then
    ``B^-1 ~ s (B' + RIDGE I)^-1 s``. Scaling first makes the ridge relative to
    each feature's own curvature (raw features' curvatures span many orders of
    magnitude). A block that still fails Cholesky (non-finite entries) falls back
    to its diagonal, ``s^2`` (the Jacobi preconditioner).
    """
    K, m, _ = blocks.shape
    diagonal = np.diagonal(blocks, axis1=1, axis2=2)
    scale = np.ones_like(diagonal)
    positive = diagonal > 0
    scale[positive] = 1.0 / np.sqrt(diagonal[positive])
    scaled = blocks * scale[:, :, None] * scale[:, None, :]
    idx = np.arange(m)
    # a positive diagonal is scaled to 1; a zero one's row and column are 0 (B is
    # semidefinite) and get Jacobi's 1
    scaled[:, idx, idx] = 1.0 + RIDGE
    inverse = np.empty_like(scaled)
    for k in range(K):  # at build time only
        try:
            if not np.all(np.isfinite(scaled[k])):
                raise np.linalg.LinAlgError("non-finite block")
            np.linalg.cholesky(scaled[k])  # the test of definiteness
            inverse[k] = np.linalg.inv(scaled[k])
        except np.linalg.LinAlgError:
            inverse[k] = np.eye(m)
    return inverse * scale[:, :, None] * scale[:, None, :]


class BuildPolicy:
    """When to (re)build the blocks, by cost; deterministic (counts products only).

    A build costs about ``BUILD_PRODUCTS_PER_FEATURE (d + 1)`` Hessian products.
    At each Newton iteration: build (at the new point) when the previous CG solve
    took more products than a build costs, since that solve's successor is then
    likely to as well; otherwise keep the last blocks (or Jacobi if none were ever
    built). Never for one output, nor when ``K (d+1)^2`` exceeds
    ``MAX_BLOCK_ELEMENTS`` or there are no more rows than features (the build's
    ``n (d+1)^2 K`` then buys blocks of rank at most ``n``). A sparse product costs
    ``2 nnz K`` while the build densifies ``X``, so the cost is divided by ``X``'s
    fraction of non-zero entries; it is counted in dense ``X`` too (the products
    of dense ``X`` do not depend on it), so that the same data, dense or sparse,
    takes the same decisions. The inputs are the shape, that fraction and the
    product counts only.

    Parameters
    ----------
    n_samples, n_features, n_outputs : int
    state : tuple or None
        :meth:`state_at` of the policy of the fit this one continues (a warm
        start): the same decisions, and the blocks rebuilt where that fit built
        them, so the resumed fit takes the same steps as the uninterrupted one.
    nonzero_fraction : float
        Non-zero entries of ``X`` over ``n_samples n_features``
        (:func:`nonzero_fraction`).

    Attributes
    ----------
    enabled : bool
    products : int
        Hessian products of the current (or last) CG solve; the caller counts.
    built_at : ndarray or None
        The point the current blocks were built at.
    """

    def __init__(self, n_samples, n_features, n_outputs, state=None,
                 nonzero_fraction=1.0):
        m = n_features + 1
        self.enabled = (n_outputs > 1 and n_samples > n_features
                        and n_outputs * m * m <= MAX_BLOCK_ELEMENTS
                        and nonzero_fraction > 0)
        # a sparse product costs 2 nnz K, the build (X densified) n (d+1)^2 K
        self.cost = BUILD_PRODUCTS_PER_FEATURE * m / max(nonzero_fraction, 1e-300)
        self.products, self.built_at = 0, None
        self.before = None  # (products, built_at, theta) as the last decision found them
        if self.enabled and state is not None:
            self.products, self.built_at = state

    def state_at(self, theta):
        """``(products, built_at)`` for a fit that continues from ``theta``.

        Newton may end right after a solve at ``theta`` (converged, or
        ``max_iter`` reached while confirming): then the state before that
        solve's decision, so that the resumed fit decides at ``theta`` as this
        one did; otherwise the current state.
        """
        if not self.enabled:
            return None
        if self.before is not None and np.array_equal(self.before[2], theta):
            return self.before[:2]
        return (self.products, self.built_at)

    def build_now(self, theta):
        """Whether to build at ``theta``, given the last solve's products.

        (Measured on digits against alternatives: building once the products
        since the last build exceed the cost, or at half or twice the cost,
        cost about as much or more in all, products plus builds.) Resets the
        product count for the coming solve.
        """
        self.before = (self.products, self.built_at, theta.copy())
        build = self.enabled and self.products > self.cost
        if build:
            self.built_at = theta.copy()
        self.products = 0
        return build
