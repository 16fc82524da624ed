"""Fitted weights as users see them: row order, shapes that chain, dense arrays.

The training loop stores a wide layer column by column (:mod:`sknn_scratch.core.flat`)
and ``sparsify()`` may turn ``coef_`` into a SciPy sparse matrix; these helpers keep
both inside: what an estimator hands out, saves or checks is a plain row-ordered
array of the shape its neighbours expect.
"""

import numpy as np
import scipy.sparse as sp


def row_ordered(*groups):
    """Each list of arrays in ``groups`` with its column-ordered arrays (the training
    loop's wide layers, see core.flat) replaced by row-ordered copies; the others
    stay as they are (views of the training vector), so the copies are small."""
    return tuple([a if a.flags.c_contiguous else np.array(a, order="C") for a in group]
                 for group in groups)


def check_weight_shapes(coefs, intercepts, n_features, n_outputs):
    """ValueError naming the first of ``coefs_``/``intercepts_`` whose shape does not
    chain from ``n_features`` inputs to ``n_outputs`` outputs."""
    if len(coefs) != len(intercepts) or not coefs:
        raise ValueError(f"coefs_ and intercepts_ must hold one array per layer; got "
                         f"{len(coefs)} and {len(intercepts)}.")
    n_in = n_features
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        W, b = np.asarray(W), np.asarray(b)
        if W.ndim != 2 or W.shape[0] != n_in:
            raise ValueError(f"coefs_[{l}] has shape {W.shape}; expected ({n_in}, n_out) "
                             "to follow the previous layer. Refit the estimator.")
        if b.shape != (W.shape[1],):
            raise ValueError(f"intercepts_[{l}] has shape {b.shape}; expected "
                             f"({W.shape[1]},) to match coefs_[{l}]. Refit the estimator.")
        n_in = W.shape[1]
    if n_in != n_outputs:
        raise ValueError(f"coefs_[{len(coefs) - 1}] has {n_in} outputs; the classes need "
                         f"{n_outputs}. Refit the estimator.")


def dense_weights(weights):
    """``weights`` as ndarrays: a ``sparsify()``-ed matrix (scipy.sparse) becomes the
    C-ordered array it was made from; dense arrays are returned as they are."""
    return [np.asarray(W.toarray(order="C")) if sp.issparse(W) else W for W in weights]
