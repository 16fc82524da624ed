"""Learning-rate decay: plain functions ``lr(epoch)`` of the epoch number.

Epochs are numbered from 1, as the notes number them (``epoch_num``), and as
``history_[k]['epoch']`` (= k + 1) numbers them: the first epoch already runs at
the decayed rate, e.g. the lecture's table for ``inverse_time`` with
``lr0 = 0.2, decay_rate = 1`` gives 0.1, 0.067, 0.05, 0.04 for epochs 1..4.
For epoch number ``t = 1, 2, ...``:

* constant:      lr0
* inverse_time:  lr0 / (1 + decay_rate * floor(t / decay_steps))
                 (the notes' 1 / (1 + decay_rate epoch_num) with decay_steps=1,
                 their fixed-interval decay with a longer interval)
* exponential:   lr0 * decay_rate ** t                  (the notes' 0.95^epoch_num form)
* step:          lr0 * decay_rate ** floor(t / decay_steps)
* inverse_sqrt:  lr0 / sqrt(t)                          (the notes' k / sqrt(epoch_num))

``decay_rate=None`` / ``decay_steps=None`` (the estimators' defaults) mean each
schedule's own default, :data:`DEFAULTS`: the notes' values where they give one
(``decay_rate=1`` for inverse_time, 0.95 for exponential), halving every 10
epochs for step, and an interval of 1 epoch for inverse_time. A setting that
would leave a decaying schedule constant (or growing) is refused by
:func:`resolve_schedule`.

A resumed fit (``warm_start``, ``partial_fit``) continues the numbering: its first
epoch is ``n_iter_ + 1``.
"""

import math


def constant(lr0, epoch, decay_rate=None, decay_steps=None):
    return lr0


def inverse_time(lr0, epoch, decay_rate, decay_steps):
    return lr0 / (1.0 + decay_rate * (epoch // decay_steps))


def exponential(lr0, epoch, decay_rate, decay_steps=None):
    return lr0 * decay_rate**epoch


def step(lr0, epoch, decay_rate, decay_steps):
    return lr0 * decay_rate ** (epoch // decay_steps)


def inverse_sqrt(lr0, epoch, decay_rate=None, decay_steps=None):
    return lr0 / math.sqrt(epoch)


SCHEDULES = {
    "constant": constant,
    "inverse_time": inverse_time,
    "exponential": exponential,
    "step": step,
    "inverse_sqrt": inverse_sqrt,
}

#: Each schedule's ``(decay_rate, decay_steps)`` when the estimator's is None
#: (None: the schedule does not use that parameter); the one source of the
#: defaults: the functions above take what :func:`learning_rate_at` resolves.
DEFAULTS = {
    "constant": (None, None),
    "inverse_time": (1.0, 1),
    "exponential": (0.95, None),
    "step": (0.5, 10),
    "inverse_sqrt": (None, None),
}


def _with_defaults(schedule, decay_rate, decay_steps):
    default_rate, default_steps = DEFAULTS[schedule]
    return (default_rate if decay_rate is None else decay_rate,
            default_steps if decay_steps is None else decay_steps)


def resolve_schedule(schedule, decay_rate, decay_steps):
    """``(decay_rate, decay_steps)`` for ``schedule``, None replaced by its default.

    Raises
    ------
    ValueError
        When the decay rate would make the schedule constant or growing:
        ``decay_rate >= 1`` for 'exponential' and 'step' (``lr0 * 1 ** t`` is
        ``lr0``), or ``decay_rate=0`` for those (a rate of 0 from the first
        decay on: nothing trains) and for 'inverse_time' (``lr0 / (1 + 0)``).
    """
    rate, steps = _with_defaults(schedule, decay_rate, decay_steps)
    default_rate = DEFAULTS[schedule][0]
    if schedule in ("exponential", "step"):
        if rate >= 1:
            raise ValueError(
                f"decay_rate={decay_rate!r} makes the '{schedule}' schedule's learning "
                f"rate learning_rate * decay_rate**k {'constant' if rate == 1 else 'grow'}"
                f": it multiplies the rate by decay_rate at each decay. Use a "
                f"decay_rate in (0, 1), e.g. the default None "
                f"({default_rate}), or learning_rate_schedule='constant'.")
        if rate == 0:
            raise ValueError(
                f"decay_rate=0 makes the '{schedule}' schedule's learning rate "
                "learning_rate * 0**k = 0 (from epoch 1 for 'exponential', from epoch "
                "decay_steps for 'step'): nothing would train. Use a decay_rate in "
                "(0, 1), or learning_rate_schedule='constant'.")
    if schedule == "inverse_time" and rate == 0:
        raise ValueError(
            "decay_rate=0 makes the 'inverse_time' schedule's learning rate "
            "learning_rate / (1 + 0 * k) constant. Use a positive decay_rate (the "
            "notes use 1, the default None), or learning_rate_schedule='constant'.")
    return rate, steps


def learning_rate_at(schedule, lr0, epoch, decay_rate, decay_steps):
    """The rate schedule ``schedule`` gives for epoch number ``epoch`` (from 1).

    ``decay_rate`` / ``decay_steps`` may be None: the schedule's default.
    """
    if epoch < 1:
        raise ValueError(f"Epochs are numbered from 1 (as in history_), got epoch={epoch}.")
    rate, steps = _with_defaults(schedule, decay_rate, decay_steps)
    return SCHEDULES[schedule](lr0, epoch, decay_rate=rate, decay_steps=steps)
