"""Fitted weights as users see them: row order, chained shapes, dense arrays."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_scratch.estimators._weights import check_weight_shapes, dense_weights, row_ordered


def test_row_ordered_copies_only_column_ordered_arrays():
    rows, columns = np.ones((3, 2)), np.asfortranarray(np.arange(6.0).reshape(3, 2))
    (out,) = row_ordered([rows, columns])
    assert out[0] is rows
    assert out[1] is not columns and out[1].flags.c_contiguous
    np.testing.assert_array_equal(out[1], columns)


@pytest.mark.parametrize("coefs, intercepts, match", [
    ([np.ones((4, 3))], [np.ones(3), np.ones(1)], "one array per layer"),
    ([np.ones((5, 3))], [np.ones(3)], r"coefs_\[0\] has shape \(5, 3\); expected \(4, n_out\)"),
    ([np.ones((4, 3))], [np.ones((1, 3))], r"intercepts_\[0\] has shape \(1, 3\)"),
    ([np.ones((4, 3))], [np.ones(3)], "has 3 outputs; the classes need 1"),
])
def test_weight_shapes_that_do_not_chain_are_named(coefs, intercepts, match):
    with pytest.raises(ValueError, match=match):
        check_weight_shapes(coefs, intercepts, 4, 1)


def test_dense_weights_turns_sparse_back_into_the_array():
    W = np.array([[0.0, 1.5], [2.0, 0.0]])
    dense = np.ones((2, 2))
    out = dense_weights([sp.csr_matrix(W), dense])
    np.testing.assert_array_equal(out[0], W)
    assert type(out[0]) is np.ndarray and out[1] is dense
