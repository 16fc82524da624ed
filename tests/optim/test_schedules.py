"""Learning-rate schedules: each formula at a few epochs, by hand.

Epochs are numbered from 1, as the notes number them (``epoch_num``): the first
epoch already runs at the decayed rate of the formula.
"""

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


@pytest.mark.parametrize("epoch", [1, 2, 7, 100])
def test_constant_is_lr0_at_every_epoch(epoch):
    assert constant(0.1, epoch) == 0.1


def test_inverse_time_reproduces_the_lectures_table():
    # the lecture's table: alpha0 = 0.2, decay_rate = 1, epoch_num 1..4
    # alpha = alpha0 / (1 + decay_rate * epoch_num) = 0.1, 0.067, 0.05, 0.04
    got = [learning_rate_at("inverse_time", 0.2, t, 1.0, None) for t in (1, 2, 3, 4)]
    assert [round(lr, 3) for lr in got] == [0.1, 0.067, 0.05, 0.04]
    assert got == pytest.approx([0.2 / 2, 0.2 / 3, 0.2 / 4, 0.2 / 5], rel=1e-15)


@pytest.mark.parametrize("epoch, expected", [(1, 0.1 / 1.5), (2, 0.1 / 2.0),
                                             (3, 0.1 / 2.5), (10, 0.1 / 6.0)])
def test_inverse_time_is_lr0_over_one_plus_decay_times_epoch(epoch, expected):
    got = inverse_time(0.1, epoch, decay_rate=0.5, decay_steps=1)
    assert got == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("epoch, expected", [(1, 0.19), (2, 0.1805), (3, 0.171475)])
def test_exponential_is_lr0_times_decay_to_the_epoch(epoch, expected):
    # the notes' alpha = 0.95^epoch_num * alpha0
    assert exponential(0.2, epoch, decay_rate=0.95) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("epoch, expected", [(1, 0.8), (9, 0.8), (10, 0.4), (19, 0.4),
                                             (20, 0.2), (35, 0.1)])
def test_step_halves_every_decay_steps_epochs(epoch, expected):
    # lr0 * decay_rate ** floor(epoch / decay_steps)
    assert step(0.8, epoch, decay_rate=0.5, decay_steps=10) == pytest.approx(expected,
                                                                             rel=1e-15)


@pytest.mark.parametrize("epoch, expected", [(1, 0.6), (4, 0.3), (9, 0.2), (100, 0.06)])
def test_inverse_sqrt_is_lr0_over_sqrt_epoch(epoch, expected):
    # the notes' alpha = k / sqrt(epoch_num) (with k = lr0)
    assert inverse_sqrt(0.6, epoch) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name, expected", [
    ("constant", 0.1),
    ("inverse_time", 0.1 / (1 + 0.5 * 2)),  # 4 // 2 = 2 intervals
    ("exponential", 0.1 * 0.5**4),
    ("step", 0.1 * 0.5**2),          # 4 // 2 = 2
    ("inverse_sqrt", 0.1 / 4**0.5),
])
def test_learning_rate_at_dispatches_by_name(name, expected):
    assert learning_rate_at(name, 0.1, 4, decay_rate=0.5, decay_steps=2) == pytest.approx(
        expected, rel=1e-15)


@pytest.mark.parametrize("epoch", [0, -1])
def test_learning_rate_at_rejects_epoch_numbers_below_one(epoch):
    with pytest.raises(ValueError, match="numbered from 1"):
        learning_rate_at("inverse_time", 0.1, epoch, 1.0, 10)


def test_schedules_table_names():
    assert set(SCHEDULES) == {"constant", "inverse_time", "exponential", "step",
                              "inverse_sqrt"}


def test_unknown_schedule_raises_key_error():
    with pytest.raises(KeyError):
        learning_rate_at("cosine", 0.1, 1, 1.0, 10)


# -- decay_rate=None: each schedule's own default; settings that decay nothing ------

@pytest.mark.parametrize("schedule, expected", [
    ("inverse_time", [0.2 / 2, 0.2 / 3, 0.2 / 4]),      # the notes' decay_rate=1
    ("exponential", [0.2 * 0.95, 0.2 * 0.9025, 0.2 * 0.857375]),  # the notes' 0.95
    ("step", [0.2, 0.2, 0.2]),                            # halves at epoch 10
])
def test_none_means_each_schedules_documented_default(schedule, expected):
    got = [learning_rate_at(schedule, 0.2, t, None, None) for t in (1, 2, 3)]
    assert got == pytest.approx(expected, rel=1e-14)


def test_step_default_halves_every_ten_epochs():
    got = [learning_rate_at("step", 0.8, t, None, None) for t in (9, 10, 19, 20)]
    assert got == pytest.approx([0.8, 0.4, 0.4, 0.2], rel=1e-15)


def test_every_decaying_schedule_decays_at_its_defaults():
    for name in ("inverse_time", "exponential", "step", "inverse_sqrt"):
        assert learning_rate_at(name, 1.0, 100, None, None) < 1.0, name


@pytest.mark.parametrize("epoch, expected", [
    # the notes' fixed-interval decay: lr0 / (1 + decay_rate * floor(epoch / interval))
    (1, 0.5), (999, 0.5), (1000, 0.5 / 2), (1999, 0.5 / 2), (2000, 0.5 / 3),
    (3500, 0.5 / 4)])
def test_inverse_time_with_decay_steps_is_the_notes_fixed_interval_decay(epoch, expected):
    got = learning_rate_at("inverse_time", 0.5, epoch, 1.0, 1000)
    assert got == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("schedule", ["exponential", "step"])
@pytest.mark.parametrize("rate", [1.0, 1.5])
def test_a_decay_rate_that_does_not_decay_is_refused(schedule, rate):
    from sknn_scratch.optim.schedules import resolve_schedule

    with pytest.raises(ValueError, match=f"decay_rate={rate} makes the '{schedule}'"):
        resolve_schedule(schedule, rate, None)


def test_inverse_time_with_zero_decay_rate_is_refused():
    from sknn_scratch.optim.schedules import resolve_schedule

    with pytest.raises(ValueError, match="'inverse_time' schedule's learning rate"):
        resolve_schedule("inverse_time", 0.0, None)


@pytest.mark.parametrize("schedule, expected", [
    ("constant", (None, None)), ("inverse_time", (1.0, 1)), ("exponential", (0.95, None)),
    ("step", (0.5, 10)), ("inverse_sqrt", (None, None))])
def test_resolve_schedule_fills_the_defaults(schedule, expected):
    from sknn_scratch.optim.schedules import resolve_schedule

    assert resolve_schedule(schedule, None, None) == expected
    assert resolve_schedule("step", 0.7, 3) == (0.7, 3)
