"""Products of a sparse mini-batch with dense matrices, added into existing buffers.

A net's first layer on sparse input (text-like ``X``: wide, a few non-zeros per
row) needs two products per mini-batch of ``m`` rows::

    forward    Z  += X  @ W       (m, n_features) @ (n_features, n_out)
    backward   dW += X^T @ dZ     (n_features, m) @ (m, n_out)

Both cost ``nnz(X) * n_out`` multiply-adds, far less than ``W`` has entries; what
costs is anything of ``W``'s size. SciPy's ``@`` allocates its result (for
``X^T dZ`` a zero-filled array the size of ``W``, then copied into the gradient)
and copies a ``W`` that is not C-contiguous. Here the products go through SciPy's
own compressed-row and compressed-column kernels (``csr_matvecs`` and
``csc_matvecs``: ``Y += A X``; for one column, ``csr_matvec`` and ``csc_matvec``,
the same sums without a call per stored entry), which *add into* the buffer
given: nothing is allocated and nothing is copied, ``dW`` can already hold the
L2 term. ``X^T``
needs no transposed copy: a CSR ``X``'s arrays are ``X^T``'s in CSC, and the other
way round.

Either format gives the same sums in the same order (each row of ``Z`` or ``dW``
adds its terms in increasing index order). The training loop hands over its
mini-batches in CSC: the kernels then visit ``W``'s rows, and ``dW``'s, in
increasing order (a batch of 200 text-like rows touches some 8,000 of 20,000)
instead of jumping between them row after row; on the benchmark of issue 14 that
saves about a quarter of both products' time, more than the conversion costs.
A CSC batch also lets the gradient be finished a block of ``W``'s rows at a time
(:func:`penalised_gradient_by_rows`: the L2 term, the product and both squared
norms while the block is in cache), which saves two of the three passes over
``dW`` that the separate steps take.

Those kernels are SciPy's private ``scipy.sparse._sparsetools``; this module is the
only place that touches them, and falls back to SciPy's public ``@`` (the same
sums, added to the buffer afterwards rather than into it; one temporary) when they
are missing or the operands do not suit them (another dtype, a non-contiguous
buffer, another sparse format than CSR or CSC).
"""

import functools

import numpy as np

from .._arrays import chunk_length


def _private_kernels():
    """SciPy's private ``scipy.sparse._sparsetools``, or None.

    Imported on first use, never at import: sparse input means SciPy is there,
    and the NumPy-only runtime (which imports this module) must not load it.
    """
    try:
        from scipy.sparse import _sparsetools
    except ImportError:  # pragma: no cover - a SciPy without the private module
        return None
    return _sparsetools


def _kernels_agree(kernels):
    """Whether ``kernels`` still mean ``Y += A X`` (for several columns and for one)
    and rows taken, CSR to CSC, here.

    A private API may change its signature or meaning in any SciPy release: one
    tiny product per process, against dense NumPy, decides whether they are used.
    Anything unexpected (an exception, another answer) means the public ``@``.
    """
    if kernels is None:
        return False
    try:
        A_data = np.array([1.0, 2.0, 3.0])
        A_indices, A_indptr = np.array([0, 2, 1], np.int32), np.array([0, 2, 3], np.int32)
        dense = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])  # the CSR arrays above
        B, G = np.arange(6.0).reshape(3, 2), np.arange(4.0).reshape(2, 2)
        Z, dW = np.ones((2, 2)), np.ones((3, 2))
        # Z += A B (A as CSR), dW += A^T G (the same arrays read as CSC of A^T)
        kernels.csr_matvecs(2, 3, 2, A_indptr, A_indices, A_data,
                            B.reshape(-1), Z.reshape(-1))
        kernels.csc_matvecs(3, 2, 2, A_indptr, A_indices, A_data,
                            G.reshape(-1), dW.reshape(-1))
        # the single-vector kernels, on B's and G's first columns
        z, dw = np.ones(2), np.ones(3)
        kernels.csr_matvec(2, 3, A_indptr, A_indices, A_data, B[:, 0].copy(), z)
        kernels.csc_matvec(3, 2, A_indptr, A_indices, A_data, G[:, 0].copy(), dw)
        # rows [1, 0] of A, then in CSC: A's arrays read as rows of A^T are [2, 1]
        Bj, Bx = np.empty(3, np.int32), np.empty(3)
        kernels.csr_row_index(2, np.array([1, 0], np.int32), A_indptr, A_indices,
                              A_data, Bj, Bx)
        Cp, Ci, Cx = np.empty(4, np.int32), np.empty(3, np.int32), np.empty(3)
        kernels.csr_tocsc(2, 3, np.array([0, 1, 3], np.int32), Bj, Bx, Cp, Ci, Cx)
        taken = np.zeros((2, 3))
        for j in range(3):  # the CSC arrays back to dense, column by column
            taken[Ci[Cp[j]:Cp[j + 1]], j] = Cx[Cp[j]:Cp[j + 1]]
        return (np.array_equal(Z, 1.0 + dense @ B)
                and np.array_equal(dW, 1.0 + dense.T @ G)
                and np.array_equal(z, Z[:, 0]) and np.array_equal(dw, dW[:, 0])
                and np.array_equal(taken, dense[[1, 0]]))
    except Exception:  # noqa: BLE001 - any failure means "do not use them"
        return False


@functools.cache
def _checked_kernels():
    """The checked kernel module or None, decided on the first sparse product."""
    kernels = _private_kernels()
    return kernels if _kernels_agree(kernels) else None


def _kernel_fits(X, dense, out):
    """Whether SciPy's kernels can take these operands as they are."""
    return (getattr(X, "format", None) in ("csr", "csc") and _checked_kernels() is not None
            and X.data.dtype == dense.dtype == out.dtype
            and X.indices.dtype == X.indptr.dtype
            and dense.flags.c_contiguous and out.flags.c_contiguous)


def _add_kernel_product(X, transpose, dense, out, indptr=None, n_rows=None):
    """``out += A @ dense`` through SciPy's kernels, for ``A = X`` or ``X^T`` (the
    other format on the same arrays); ``indptr``/``n_rows``: a block of ``A``'s rows.

    One column goes through the single-vector kernels (``csr_matvec`` /
    ``csc_matvec``): the same sums in the same order as the multi-vector ones,
    without their inner call per stored entry (on a 20,000 x 50,000 text-like
    CSR, 3 ms instead of 8 for ``X w``).
    """
    m, n = X.shape[::-1] if transpose else X.shape
    if indptr is None:
        indptr, n_rows = X.indptr, m
    csr = (X.format == "csr") != transpose
    kernels = _checked_kernels()
    k = dense.shape[1]
    if k == 1:
        kernel = kernels.csr_matvec if csr else kernels.csc_matvec
        kernel(n_rows, n, indptr, X.indices, X.data, dense.reshape(-1), out.reshape(-1))
    else:
        kernel = kernels.csr_matvecs if csr else kernels.csc_matvecs
        kernel(n_rows, n, k, indptr, X.indices, X.data, dense.reshape(-1),
               out.reshape(-1))
    return out


def add_product(X, W, out):
    """``out += X @ W`` for a sparse ``X`` of shape (m, n); returns ``out``."""
    if _kernel_fits(X, W, out):
        return _add_kernel_product(X, False, W, out)
    out += X @ W
    return out


def add_transpose_product(X, dZ, out):
    """``out += X^T @ dZ`` for a sparse ``X`` of shape (m, n); returns ``out``.

    Row ``i`` of ``dZ`` is added, times ``X[i, j]``, into row ``j`` of ``out`` for
    each stored entry ``X[i, j]``.
    """
    if _kernel_fits(X, dZ, out):
        return _add_kernel_product(X, True, dZ, out)
    out += np.asarray(X.T @ dZ)
    return out


def penalised_gradient_by_rows(X, dZ, W, factor, out):
    """``out = X^T dZ + factor W`` for a CSC ``X``, a block of ``out``'s rows at a time.

    ``X`` (m, n) in CSC is ``X^T`` (n, m) in CSR: row ``j`` of ``X^T dZ`` reads
    only column ``j`` of ``X``, so a block of rows of ``out`` is finished in one go
    while it is in cache: the L2 term ``factor W`` written, the product added
    (the same kernel and the same sums as :func:`add_transpose_product`), and the
    squared norms taken. One pass over ``W`` and ``out`` instead of three (the
    penalty, the product's scattered rows, the gradient's norm).

    Returns
    -------
    norms : tuple of float or None
        ``(||W||^2, ||out||^2)`` (``||W||^2`` is 0 when ``factor`` is, as the
        penalty then is), or None (nothing done) when the operands do not
        suit the kernel (``X`` not CSC, mixed dtypes, non-contiguous arrays): the
        caller then takes the general path.
    """
    if (getattr(X, "format", None) != "csc" or not _kernel_fits(X, dZ, out)
            or W.dtype != out.dtype or not W.flags.c_contiguous):
        return None
    n = X.shape[1]
    # rows per cache-sized block
    step = max(1, chunk_length(out.dtype) // max(dZ.shape[1], 1))
    w_squares = g_squares = 0.0
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = out[start:stop]
        w, g = W[start:stop].reshape(-1), block.reshape(-1)
        if factor:
            w_squares += float(np.vdot(w, w))
            np.multiply(w, factor, out=g)  # the L2 term's gradient
        else:
            g[...] = 0.0
        # rows start..stop of X^T dZ: X's columns start..stop (X.indptr[start:stop + 1]
        # holds absolute offsets into X.indices and X.data)
        _add_kernel_product(X, True, dZ, block, X.indptr[start:stop + 1], stop - start)
        g_squares += float(np.vdot(g, g))
    return w_squares, g_squares


class CscBatches:
    """Mini-batches of a CSR ``X``'s rows, handed over in CSC, in reused buffers.

    ``X[rows].tocsc()`` allocates two matrices per mini-batch (the CSC one with
    an ``indptr`` as long as ``X`` is wide) and spends as long in SciPy's Python
    checks as in the copying. Here SciPy's own kernels (``csr_row_index``, then
    ``csr_tocsc``) write the same arrays: the rows into a short-lived CSR
    batch, the result into buffers sized once for the ``batch_size`` longest
    rows of ``X``, which the next batch overwrites (``X[rows].tocsc()`` would
    hold both the last batch and the new one). A batch is valid until the next
    :meth:`take`.
    """

    def __init__(self, X, batch_size):
        self.X, self.csc = X, None
        if getattr(X, "format", None) != "csr" or X.indices.dtype != X.indptr.dtype:
            return  # every batch through X[rows].tocsc()
        index, lengths = X.indptr.dtype, np.diff(X.indptr)
        batch_size = min(int(batch_size), lengths.size)
        # the fullest possible batch: the batch_size longest rows
        capacity = int(np.partition(lengths, lengths.size - batch_size)[
            lengths.size - batch_size:].sum()) if batch_size else 0
        self.indptr = np.empty(batch_size + 1, index)  # the batch's, in CSR
        self.csc = (np.empty(X.shape[1] + 1, index), np.empty(capacity, index),
                    np.empty(capacity, X.data.dtype))

    def take(self, rows):
        """``X[rows]`` in CSC (the same arrays as ``X[rows].tocsc()``)."""
        X, kernels = self.X, _checked_kernels()
        m, n = len(rows), X.shape[1]
        if self.csc is None or kernels is None or m + 1 > self.indptr.size:
            return X[rows].tocsc()
        indptr = self.indptr
        rows = np.asarray(rows, indptr.dtype)
        indptr[0] = 0  # the batch's row lengths, summed up
        np.cumsum(X.indptr[rows + 1] - X.indptr[rows], out=indptr[1:m + 1])
        nnz = int(indptr[m])
        indices, data = np.empty(nnz, indptr.dtype), np.empty(nnz, X.data.dtype)
        kernels.csr_row_index(m, rows, X.indptr, X.indices, X.data, indices, data)
        c_indptr, c_indices, c_data = self.csc
        kernels.csr_tocsc(m, n, indptr[:m + 1], indices, data, c_indptr, c_indices,
                          c_data)
        return _csc_class(X)((c_data[:nnz], c_indices[:nnz], c_indptr), shape=(m, n),
                             copy=False)


def _csc_class(X):
    """SciPy's CSC class of ``X``'s kind (sparse array or sparse matrix)."""
    import scipy.sparse as sp  # sparse input: SciPy is there (see _private_kernels)

    return sp.csc_array if isinstance(X, sp.sparray) else sp.csc_matrix
