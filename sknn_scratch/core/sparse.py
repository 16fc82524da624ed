"""Products of a CSR mini-batch with dense matrices, added into existing buffers.

A net's first layer on sparse input (text-like ``X``: wide, a few non-zeros per
row) needs two products per mini-batch of ``m`` rows::

    forward    Z  += X  @ W       (m, n_features) @ (n_features, n_out)
    backward   dW += X^T @ dZ     (n_features, m) @ (m, n_out)

Both cost ``nnz(X) * n_out`` multiply-adds, far less than ``W`` has entries; what
costs is anything of ``W``'s size. SciPy's ``@`` allocates its result (for
``X^T dZ`` a zero-filled array the size of ``W``, then copied into the gradient)
and copies a ``W`` that is not C-contiguous. Here the products go through SciPy's
own compressed-row kernels (``csr_matvecs``: ``Y += A X`` for a CSR ``A``, and
``csc_matvecs`` for ``X^T``, whose CSC arrays are ``X``'s CSR arrays as they are),
which *add into* the buffer given: nothing is allocated and nothing is copied,
``dW`` can already hold the L2 term.

Those kernels are SciPy's private ``scipy.sparse._sparsetools``; this module is the
only place that touches them, and falls back to SciPy's public ``@`` (the same
sums, added to the buffer afterwards rather than into it; one temporary) when they
are missing or the operands do not suit them (another dtype, a non-contiguous
buffer, another sparse format).
"""

import numpy as np

try:  # pragma: no branch - which one is decided by the installed SciPy
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a SciPy without the private module
    _sparsetools = None


def _kernel_fits(X, dense, out):
    """Whether SciPy's kernels can take these operands as they are."""
    return (_sparsetools is not None and getattr(X, "format", None) == "csr"
            and X.data.dtype == dense.dtype == out.dtype
            and X.indices.dtype == X.indptr.dtype
            and dense.flags.c_contiguous and out.flags.c_contiguous)


def add_product(X, W, out):
    """``out += X @ W`` for a sparse ``X`` of shape (m, n); returns ``out``."""
    if _kernel_fits(X, W, out):
        m, n = X.shape
        # Y += A X, A in CSR (m x n), X (n x k) and Y (m x k) row by row
        _sparsetools.csr_matvecs(m, n, W.shape[1], X.indptr, X.indices, X.data,
                                 W.reshape(-1), out.reshape(-1))
    else:
        out += X @ W
    return out


def add_transpose_product(X, dZ, out):
    """``out += X^T @ dZ`` for a sparse ``X`` of shape (m, n); returns ``out``.

    ``X^T`` (n x m) in compressed-*column* form has exactly ``X``'s CSR arrays, so
    no transposed copy of ``X`` is built: row ``i`` of ``dZ`` is added, times
    ``X[i, j]``, into row ``j`` of ``out`` for each stored entry of row ``i``.
    """
    if _kernel_fits(X, dZ, out):
        m, n = X.shape
        # Y += A X with A = X^T held as CSC (n x m): indptr over X's rows
        _sparsetools.csc_matvecs(n, m, dZ.shape[1], X.indptr, X.indices, X.data,
                                 dZ.reshape(-1), out.reshape(-1))
    else:
        out += np.asarray(X.T @ dZ)
    return out
