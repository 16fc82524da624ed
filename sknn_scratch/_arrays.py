"""NumPy-only array helpers shared by the maths layers (``core/`` and ``optim/``)."""


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
