"""One vector for all parameters: layout, views, packing, and recognising it."""

import numpy as np
import pytest

from sknn_scratch.core.flat import FlatLayout, base_vector, is_wide

SIZES = (40, 3, 6, 2)  # 40 -> 3 is wide (40 >= 8 * 3); the others are not


def test_views_tile_the_vector_weights_first_then_biases():
    layout = FlatLayout(SIZES)
    assert layout.size == 40 * 3 + 3 * 6 + 6 * 2 + 3 + 6 + 2
    assert layout.n_coefs == 40 * 3 + 3 * 6 + 6 * 2
    flat = np.arange(layout.size, dtype=float)
    coefs, intercepts = layout.views(flat)
    assert [W.shape for W in coefs] == [(40, 3), (3, 6), (6, 2)]
    assert [b.shape for b in intercepts] == [(3,), (6,), (2,)]
    for array in coefs + intercepts:
        assert np.shares_memory(array, flat)
    # biases after all the weights, in layer order
    np.testing.assert_array_equal(intercepts[0], flat[layout.n_coefs:layout.n_coefs + 3])


def test_a_wide_layer_is_stored_column_by_column():
    layout = FlatLayout(SIZES)
    assert layout.transposed == [True, False, False]
    assert is_wide(40, 3) and not is_wide(3, 6)
    flat = np.arange(layout.size, dtype=float)
    (W1, W2, _), _ = layout.views(flat)
    assert W1.flags.f_contiguous and not W1.flags.c_contiguous
    assert W2.flags.c_contiguous
    # column j of W1 is the j-th run of 40 entries
    np.testing.assert_array_equal(W1[:, 1], np.arange(40, 80))
    np.testing.assert_array_equal(W2[0], 120 + np.arange(6))


def test_pack_copies_arrays_into_a_new_vector_that_views_give_back():
    rng = np.random.default_rng(0)
    layout = FlatLayout(SIZES)
    arrays = [rng.standard_normal(s) for s in layout.shapes]
    flat = layout.pack(arrays, np.float32)
    assert flat.dtype == np.float32 and flat.shape == (layout.size,)
    coefs, intercepts = layout.views(flat)
    for got, expected in zip(coefs + intercepts, arrays):
        np.testing.assert_array_equal(got, expected.astype(np.float32))
        assert not np.shares_memory(got, expected)


def test_base_vector_recognises_the_views_of_one_vector_only():
    layout = FlatLayout(SIZES)
    flat = np.zeros(layout.size)
    coefs, intercepts = layout.views(flat)
    assert base_vector(coefs + intercepts) is flat
    assert base_vector(intercepts + coefs) is None  # wrong order
    assert base_vector(coefs + intercepts[:-1]) is None  # does not cover the vector
    assert base_vector([c.copy() for c in coefs] + intercepts) is None
    assert base_vector([]) is None


@pytest.mark.parametrize("sizes", [(5, 2), (3, 4, 4, 3), (100, 2, 2)])
def test_layout_sizes_add_up(sizes):
    layout = FlatLayout(sizes)
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    assert layout.size == expected


def test_vector_of_accepts_only_this_layouts_own_views():
    layout = FlatLayout(SIZES)
    flat = np.zeros(layout.size)
    coefs, intercepts = layout.views(flat)
    assert layout.vector_of(coefs + intercepts) is flat
    # the same vector with the wide layer row by row: tiles it, but not as laid out
    rows = [flat[:120].reshape(40, 3)] + coefs[1:] + intercepts
    assert base_vector(rows) is flat
    assert layout.vector_of(rows) is None
    assert FlatLayout((40, 3, 6, 3)).vector_of(coefs + intercepts) is None  # other sizes


@pytest.mark.parametrize("arrays", [
    pytest.param(lambda c, b: c + b[:2], id="one-array-missing"),
    pytest.param(lambda c, b: c[:2] + b[:2], id="a-layer-missing"),
    pytest.param(lambda c, b: c + b + [b[0]], id="one-array-too-many"),
    pytest.param(lambda c, b: [np.zeros((40, 4))] + c[1:] + b, id="wider-layer"),
    pytest.param(lambda c, b: c + [np.zeros(1)] + b[1:], id="broadcastable-bias"),
])
def test_pack_refuses_arrays_of_another_layout(arrays):
    """Packing never leaves part of the (uninitialised) buffer unwritten."""
    layout = FlatLayout(SIZES)
    coefs, intercepts = layout.views(np.ones(layout.size))
    with pytest.raises(ValueError, match=r"Cannot pack .* layer sizes \(40, 3, 6, 2\)"):
        layout.pack(arrays(list(coefs), list(intercepts)), np.float64)


def test_sparse_input_keeps_the_first_layer_row_by_row_and_no_other():
    # 40 -> 3 and 30 -> 2 are wide; only the first layer meets sparse X
    sizes = (40, 3, 30, 2)
    assert FlatLayout(sizes).transposed == [True, False, True]
    layout = FlatLayout(sizes, sparse_input=True)
    assert layout.transposed == [False, False, True]
    (W1, _, W3), _ = layout.views(np.arange(layout.size, dtype=float))
    assert W1.flags.c_contiguous and not W1.flags.f_contiguous
    assert W3.flags.f_contiguous and not W3.flags.c_contiguous
    np.testing.assert_array_equal(W1[1], [3.0, 4.0, 5.0])  # row 1: entries 3..5
