"""All of a net's parameters in one contiguous vector, the layers as views of it.

The training loop keeps ``theta = [W[1], ..., W[L], b[1], ..., b[L]]`` in one 1-D
buffer and hands the estimator views of it shaped like ``coefs_`` and
``intercepts_``; the gradients and the optimizer's state use the same layout. An
update rule then runs over one long vector in a few cache-sized chunks instead of
over 2L small arrays, and the L2 term (weights only) covers the leading
``n_coefs`` entries.

Each ``W[l]`` block is stored row by row (C order), except for a *wide* layer
(many more inputs than outputs, like the cat net's 12288 -> 20), stored column by
column: its view is then F-contiguous. Backprop computes a wide layer's gradient
as ``(dZ^T A)^T``, a product whose rows are long and contiguous (about twice as
fast in BLAS as ``A^T dZ``), and that product lands in the gradient vector as it
is, with no copy back to row order.

With sparse input (``sparse_input=True``) the first layer stays row by row
whatever its shape. Its products then run in SciPy's sparse kernels, which walk
``W``'s rows: the forward ``X @ W`` reads the rows of the features a mini-batch
holds, and the gradient ``X^T dZ`` adds into those same rows. Both need ``W`` (and
its gradient) C-contiguous; a column-ordered ``W`` would be copied to row order at
every product (the whole layer, however few features the batch touches).
"""

import numpy as np

#: A layer counts as wide when it has this many times more inputs than outputs.
WIDE_RATIO = 8


def is_wide(n_in, n_out):
    """Whether a layer ``n_in -> n_out`` is stored (and its gradient computed) transposed."""
    return n_in >= WIDE_RATIO * n_out


class FlatLayout:
    """Offsets of ``[W[1..L], b[1..L]]`` in one vector, for ``layer_sizes``.

    ``sparse_input=True`` keeps the first layer row by row even when it is wide
    (for a net trained on a SciPy sparse ``X``, see the module docstring).
    """

    def __init__(self, layer_sizes, sparse_input=False):
        sizes = tuple(int(n) for n in layer_sizes)
        self.layer_sizes = sizes
        self.sparse_input = bool(sparse_input)
        self.n_layers = len(sizes) - 1
        self.shapes = ([(sizes[i], sizes[i + 1]) for i in range(self.n_layers)]
                       + [(n,) for n in sizes[1:]])
        self.transposed = [is_wide(*shape) and not (i == 0 and self.sparse_input)
                           for i, shape in enumerate(self.shapes[:self.n_layers])]
        counts = [int(np.prod(s)) for s in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int).tolist()
        self.size = self.offsets[-1]
        self.n_coefs = self.offsets[self.n_layers]  # weights first, then biases

    def views(self, flat):
        """``(coefs, intercepts)``: arrays shaped like the layers, sharing ``flat``."""
        arrays = []
        for i, (a, b, shape) in enumerate(zip(self.offsets[:-1], self.offsets[1:],
                                              self.shapes)):
            if i < self.n_layers and self.transposed[i]:
                arrays.append(flat[a:b].reshape(shape[::-1]).T)  # F-contiguous
            else:
                arrays.append(flat[a:b].reshape(shape))
        return arrays[:self.n_layers], arrays[self.n_layers:]

    def vector_of(self, arrays):
        """The vector ``arrays`` (coefs then intercepts) are exactly this layout's
        views of, or None (other shapes, another order, separate arrays)."""
        flat = base_vector(arrays)
        if flat is None or flat.size != self.size:
            return None
        coefs, intercepts = self.views(flat)
        if len(arrays) != len(coefs) + len(intercepts) or any(
                a.shape != v.shape or a.strides != v.strides
                for a, v in zip(arrays, coefs + intercepts)):
            return None
        return flat

    def pack(self, arrays, dtype):
        """A new flat buffer holding copies of ``arrays`` (coefs then intercepts).

        Raises ``ValueError`` unless ``arrays`` has exactly this layout's number of
        arrays with exactly its shapes (the buffer starts uninitialised, so any
        gap or broadcast would leave garbage in it).
        """
        shapes = [np.shape(a) for a in arrays]
        if shapes != self.shapes:
            raise ValueError(
                f"Cannot pack {len(shapes)} arrays of shapes {shapes} into the layout "
                f"of layer sizes {self.layer_sizes}, which needs {len(self.shapes)} "
                f"arrays of shapes {self.shapes}."
            )
        flat = np.empty(self.size, dtype)
        coefs, intercepts = self.views(flat)
        for view, array in zip(coefs + intercepts, arrays):
            view[...] = array
        return flat


def _contiguous(array):
    return array.flags.c_contiguous or array.flags.f_contiguous


def base_vector(arrays):
    """The 1-D buffer ``arrays`` tile exactly, in order, as contiguous views; else None.

    That is the case for the views :meth:`FlatLayout.views` returns (in the order
    coefs then intercepts), which lets the update rules run over one vector.
    """
    if not arrays:
        return None
    base = arrays[0].base
    if (base is None or not isinstance(base, np.ndarray) or base.ndim != 1
            or not base.flags.c_contiguous):
        return None
    position = base.__array_interface__["data"][0]
    for array in arrays:
        if (array.base is not base or not _contiguous(array)
                or array.__array_interface__["data"][0] != position):
            return None
        position += array.nbytes
    if position != base.__array_interface__["data"][0] + base.nbytes:
        return None
    return base
