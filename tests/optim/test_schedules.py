"""Learning-rate schedules: each formula at a few epochs, by hand."""

import pytest

from sknn_scratch.optim.schedules import (
    SCHEDULES,
    constant,
    exponential,
    inverse_sqrt,
    inverse_time,
    learning_rate_at,
    step,
)


@pytest.mark.parametrize("epoch", [0, 1, 7, 100])
def test_constant_is_lr0_at_every_epoch(epoch):
    assert constant(0.1, epoch) == 0.1


@pytest.mark.parametrize("epoch, expected", [(0, 0.1), (1, 0.1 / 1.5), (3, 0.1 / 2.5),
                                             (10, 0.1 / 6.0)])
def test_inverse_time_is_lr0_over_one_plus_decay_times_epoch(epoch, expected):
    assert inverse_time(0.1, epoch, decay_rate=0.5) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("epoch, expected", [(0, 0.2), (1, 0.19), (2, 0.1805),
                                             (3, 0.171475)])
def test_exponential_is_lr0_times_decay_to_the_epoch(epoch, expected):
    assert exponential(0.2, epoch, decay_rate=0.95) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("epoch, expected", [(0, 0.8), (9, 0.8), (10, 0.4), (19, 0.4),
                                             (20, 0.2), (35, 0.1)])
def test_step_halves_every_decay_steps_epochs(epoch, expected):
    assert step(0.8, epoch, decay_rate=0.5, decay_steps=10) == pytest.approx(expected,
                                                                             rel=1e-15)


@pytest.mark.parametrize("epoch, expected", [(0, 0.6), (3, 0.3), (8, 0.2), (99, 0.06)])
def test_inverse_sqrt_is_lr0_over_sqrt_epoch_plus_one(epoch, expected):
    assert inverse_sqrt(0.6, epoch) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name, expected", [
    ("constant", 0.1),
    ("inverse_time", 0.1 / (1 + 0.5 * 4)),
    ("exponential", 0.1 * 0.5**4),
    ("step", 0.1 * 0.5**2),          # 4 // 2 = 2
    ("inverse_sqrt", 0.1 / 5**0.5),
])
def test_learning_rate_at_dispatches_by_name(name, expected):
    assert learning_rate_at(name, 0.1, 4, decay_rate=0.5, decay_steps=2) == pytest.approx(
        expected, rel=1e-15)


def test_schedules_table_names():
    assert set(SCHEDULES) == {"constant", "inverse_time", "exponential", "step",
                              "inverse_sqrt"}


def test_unknown_schedule_raises_key_error():
    with pytest.raises(KeyError):
        learning_rate_at("cosine", 0.1, 0, 1.0, 10)
