"""Learning-rate decay: plain functions ``lr(epoch)`` of the epoch number.

Epochs are numbered from 1, as the notes number them (``epoch_num``), and as
``history_[k]['epoch']`` (= k + 1) numbers them: the first epoch already runs at
the decayed rate, e.g. the lecture's table for ``inverse_time`` with
``lr0 = 0.2, decay_rate = 1`` gives 0.1, 0.067, 0.05, 0.04 for epochs 1..4.
For epoch number ``t = 1, 2, ...``:

* constant:      lr0
* inverse_time:  lr0 / (1 + decay_rate * t)            (the notes' 1 / (1 + decay_rate epoch_num))
* exponential:   lr0 * decay_rate ** t                  (the notes' 0.95^epoch_num form)
* step:          lr0 * decay_rate ** floor(t / decay_steps)
* inverse_sqrt:  lr0 / sqrt(t)                          (the notes' k / sqrt(epoch_num))

A resumed fit (``warm_start``, ``partial_fit``) continues the numbering: its first
epoch is ``n_iter_ + 1``.
"""

import math


def constant(lr0, epoch, decay_rate=None, decay_steps=None):
    return lr0


def inverse_time(lr0, epoch, decay_rate=1.0, decay_steps=None):
    return lr0 / (1.0 + decay_rate * epoch)


def exponential(lr0, epoch, decay_rate=0.95, decay_steps=None):
    return lr0 * decay_rate**epoch


def step(lr0, epoch, decay_rate=0.5, decay_steps=10):
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


def learning_rate_at(schedule, lr0, epoch, decay_rate, decay_steps):
    """The rate schedule ``schedule`` gives for epoch number ``epoch`` (from 1)."""
    if epoch < 1:
        raise ValueError(f"Epochs are numbered from 1 (as in history_), got epoch={epoch}.")
    return SCHEDULES[schedule](lr0, epoch, decay_rate=decay_rate, decay_steps=decay_steps)
