"""make_flower: the notes' planar data, from its description."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sknn_scratch.datasets import make_flower


def test_shape_labels_and_class_sizes():
    X, y = make_flower(random_state=0)
    assert X.shape == (400, 2) and y.shape == (400,)
    assert np.bincount(y).tolist() == [200, 200]
    X, y = make_flower(7, random_state=0)
    assert np.bincount(y).tolist() == [3, 4]


def test_without_noise_the_points_lie_on_the_rose_r_equals_4_sin_4t():
    # by hand: class j's angles are linspace(3.12 j, 3.12 (j + 1), n), and a
    # point is (r sin t, r cos t) with r = 4 sin(4 t)
    X, y = make_flower(6, noise=0.0, random_state=0)
    t = np.r_[np.linspace(0, 3.12, 3), np.linspace(3.12, 6.24, 3)]
    r = 4 * np.sin(4 * t)
    np.testing.assert_allclose(X, np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-12)
    assert y.tolist() == [0, 0, 0, 1, 1, 1]


def test_same_seed_same_data_and_other_seed_other_data():
    a, b = make_flower(random_state=3), make_flower(random_state=3)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], make_flower(random_state=4)[0])


def test_deterministic_in_a_fresh_process():
    code = ("from sknn_scratch.datasets import make_flower;"
            "print(make_flower(random_state=5)[0].sum().hex())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert run == make_flower(random_state=5)[0].sum().hex() + "\n"


def test_not_linearly_separable_as_the_notes_say():
    X, y = make_flower(random_state=0)
    assert 0.40 < LogisticRegression().fit(X, y).score(X, y) < 0.60  # the notes: 47%


@pytest.mark.parametrize("kwargs, name", [
    ({"n_samples": 1}, "n_samples"), ({"n_samples": 2.5}, "n_samples"),
    ({"n_samples": True}, "n_samples"), ({"noise": -0.1}, "noise"),
    ({"noise": float("nan")}, "noise"), ({"noise": "0.2"}, "noise")])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of make_flower"):
        make_flower(**kwargs)
