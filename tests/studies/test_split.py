"""Tests for train_dev_test_split: sizes, stratification, validation."""

import numpy as np
import pytest

from sknn_scratch.studies import train_dev_test_split


def _data(n, ones=None):
    X = np.arange(n).reshape(n, 1)  # each row carries its own index
    y = np.zeros(n, dtype=int)
    if ones:
        y[:ones] = 1
    else:
        y[::2] = 1
    return X, y


def _sizes(parts):
    return [len(p) for p in parts[:3]]


@pytest.mark.parametrize(
    "n, dev_size, test_size, expected",
    [
        (100, 0.2, 0.1, [70, 20, 10]),
        (50, 7, 8, [35, 7, 8]),
        (10, 0.15, 0.25, [5, 2, 3]),  # fractions round up: ceil(1.5)=2, ceil(2.5)=3
        (100, 0.3, 0.5, [20, 30, 50]),  # dev is 30 % of the whole, not of the rest
        (40, 0.25, 6, [24, 10, 6]),  # fraction and count mixed
    ],
)
def test_sizes_are_fractions_of_the_whole_or_counts(n, dev_size, test_size, expected):
    X, y = _data(n)
    parts = train_dev_test_split(
        X, y, dev_size=dev_size, test_size=test_size, random_state=0
    )
    assert _sizes(parts) == expected
    assert [len(p) for p in parts[3:]] == expected


def test_parts_are_disjoint_and_cover_all_rows():
    X, y = _data(30)
    X_train, X_dev, X_test, y_train, y_dev, y_test = train_dev_test_split(
        X, y, dev_size=0.2, test_size=0.2, random_state=1
    )
    rows = np.concatenate([X_train, X_dev, X_test]).ravel()
    assert sorted(rows) == list(range(30))
    # labels travel with their rows
    for Xp, yp in ((X_train, y_train), (X_dev, y_dev), (X_test, y_test)):
        np.testing.assert_array_equal(yp, y[Xp.ravel()])


def test_stratification_keeps_exact_class_proportions():
    X, y = _data(100, ones=40)  # 60 zeros, 40 ones
    _, _, _, y_train, y_dev, y_test = train_dev_test_split(
        X, y, dev_size=0.2, test_size=0.2, random_state=3
    )
    # 20 of 100 at 60/40 -> 12 zeros, 8 ones; the rest 48/32 -> dev 12/8, train 36/24
    assert np.bincount(y_test).tolist() == [12, 8]
    assert np.bincount(y_dev).tolist() == [12, 8]
    assert np.bincount(y_train).tolist() == [36, 24]


def test_same_int_seed_gives_same_split_and_other_seed_differs():
    X, y = _data(50)
    a = train_dev_test_split(X, y, dev_size=10, test_size=10, random_state=7)
    b = train_dev_test_split(X, y, dev_size=10, test_size=10, random_state=7)
    c = train_dev_test_split(X, y, dev_size=10, test_size=10, random_state=8)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[2], c[2])


def test_unstratified_split_allows_a_singleton_class():
    X, y = _data(20)
    y[:] = 0
    y[0] = 1
    parts = train_dev_test_split(
        X, y, dev_size=5, test_size=5, random_state=0, stratify=False
    )
    assert _sizes(parts) == [10, 5, 5]


def test_impossible_stratification_says_how_to_fix_it():
    X, y = _data(20)
    y[:] = 0
    y[0] = 1
    with pytest.raises(ValueError, match="test set failed.*stratify=False"):
        train_dev_test_split(X, y, dev_size=5, test_size=5, random_state=0)


def test_lists_are_accepted():
    X, y = _data(10)
    parts = train_dev_test_split(
        X.tolist(), y.tolist(), dev_size=2, test_size=2, random_state=0
    )
    assert _sizes(parts) == [6, 2, 2]


@pytest.mark.parametrize(
    "dev_size, test_size, match",
    [
        (0.5, 0.5, "leaving no training set"),
        (6, 4, "leaving no training set"),
        (0.6, 5, "leaving no training set"),
        (0, 2, "dev_size must be a positive int"),
        (2, -1, "test_size must be a positive int"),
        (0.0, 2, r"dev_size must be in \(0, 1\)"),
        (1.0, 2, r"dev_size must be in \(0, 1\)"),
        (2, 10, "test_size=10 must be smaller than the number of samples"),
        (True, 2, "dev_size must be a float in"),
        ("2", 2, "dev_size must be a float in"),
    ],
)
def test_invalid_sizes_are_rejected(dev_size, test_size, match):
    X, y = _data(10)
    with pytest.raises(ValueError, match=match):
        train_dev_test_split(X, y, dev_size=dev_size, test_size=test_size)


def test_stratify_must_be_boolean():
    X, y = _data(10)
    with pytest.raises(ValueError, match="stratify must be True or False"):
        train_dev_test_split(X, y, dev_size=2, test_size=2, stratify=y)


def test_inconsistent_lengths_are_rejected():
    X, y = _data(10)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        train_dev_test_split(X, y[:9], dev_size=2, test_size=2)


def test_too_few_samples_are_rejected():
    X, y = _data(2)
    with pytest.raises(ValueError, match="at least 3 samples"):
        train_dev_test_split(X, y, dev_size=1, test_size=1)


def test_sizes_are_keyword_only():
    X, y = _data(10)
    with pytest.raises(TypeError):
        train_dev_test_split(X, y, 2, 2)
