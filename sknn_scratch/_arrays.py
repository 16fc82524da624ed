"""NumPy-only array helpers shared by the maths layers (``core/`` and ``optim/``)."""

import numpy as np

#: Bytes of one chunk of an element-wise pass over the parameter vector: the
#: passes run chunk by chunk, so that each chunk's operands (parameter, gradient,
#: state, one temporary) stay in the core's cache between passes instead of
#: streaming whole arrays through memory once per pass. 32,768 float64 elements.
SCRATCH_BYTES = 1 << 18


def chunk_length(dtype):
    """Elements of ``dtype`` in one chunk of :data:`SCRATCH_BYTES`."""
    return SCRATCH_BYTES // np.dtype(dtype).itemsize


def as_vectors(arrays):
    """1-D views of same-shaped ``arrays`` in one common memory order, or None.

    All C-contiguous or all F-contiguous: element ``k`` of every view is then the
    same entry of every array, which is what an element-wise pass over several
    arrays at once needs (a view of each, no copy). None for any other mix.
    """
    for order in ("c_contiguous", "f_contiguous"):
        if all(getattr(a.flags, order) for a in arrays):
            return [a.reshape(-1) if order == "c_contiguous" else a.T.reshape(-1)
                    for a in arrays]
    return None
