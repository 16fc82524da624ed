"""Mini-batch indices: full batch, coverage, deterministic shuffling, clipping."""

import numpy as np
import pytest

from sknn_scratch.training.batches import effective_batch_size, iter_batches


@pytest.mark.parametrize("batch_size, n_samples, expected", [
    (None, 10, 10),   # None = full batch
    (50, 10, 10),     # larger than the data: clipped
    (10, 10, 10),
    (3, 10, 3),
    (1, 10, 1),       # SGD
    (0, 10, 1),       # never below one row
    (4.0, 10, 4),
])
def test_effective_batch_size(batch_size, n_samples, expected):
    assert effective_batch_size(batch_size, n_samples) == expected


@pytest.mark.parametrize("batch_size", [10, 25])
def test_full_batch_yields_single_slice_none(batch_size):
    batches = list(iter_batches(10, batch_size, np.random.default_rng(0)))
    assert batches == [slice(None)]


def test_full_batch_draws_nothing_from_the_rng():
    rng = np.random.default_rng(0)
    list(iter_batches(10, 10, rng))
    assert rng.random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("batch_size", [1, 3, 4, 9])
@pytest.mark.parametrize("shuffle", [True, False])
def test_mini_batches_cover_every_row_exactly_once(batch_size, shuffle):
    batches = list(iter_batches(10, batch_size, np.random.default_rng(1), shuffle))
    rows = np.concatenate(batches)
    np.testing.assert_array_equal(np.sort(rows), np.arange(10))


def test_mini_batch_sizes_are_batch_size_then_remainder():
    batches = list(iter_batches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]


def test_sgd_yields_one_row_per_batch():
    batches = list(iter_batches(5, 1, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [1] * 5


def test_without_shuffle_rows_come_in_order():
    batches = list(iter_batches(7, 3, np.random.default_rng(0), shuffle=False))
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]


def test_shuffling_is_the_rng_permutation():
    batches = list(iter_batches(7, 3, np.random.default_rng(5)))
    np.testing.assert_array_equal(np.concatenate(batches),
                                  np.random.default_rng(5).permutation(7))


def test_shuffling_is_deterministic_for_a_seed():
    a = list(iter_batches(20, 6, np.random.default_rng(3)))
    b = list(iter_batches(20, 6, np.random.default_rng(3)))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_shuffling_differs_between_seeds_and_between_epochs():
    rng = np.random.default_rng(3)
    first = np.concatenate(list(iter_batches(20, 6, rng)))
    second = np.concatenate(list(iter_batches(20, 6, rng)))
    other = np.concatenate(list(iter_batches(20, 6, np.random.default_rng(4))))
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_shuffled_order_is_numpys_permutation_in_int32():
    # the same rows in the same order as rng.permutation (so every RNG stream and
    # fitted model is unchanged), held as int32: half the memory of int64
    order = np.concatenate(list(iter_batches(1001, 64, np.random.default_rng(7))))
    assert order.dtype == np.int32
    np.testing.assert_array_equal(order, np.random.default_rng(7).permutation(1001))
