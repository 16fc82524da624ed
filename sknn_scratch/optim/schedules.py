"""Learning-rate decay: plain functions ``lr(epoch)`` of the epoch index (0-based).

* constant:      lr0
* inverse_time:  lr0 / (1 + decay_rate * epoch)          (the notes' 1/(1 + decay t))
* exponential:   lr0 * decay_rate ** epoch                (the notes' 0.95^t form)
* step:          lr0 * decay_rate ** (epoch // decay_steps)
* inverse_sqrt:  lr0 / sqrt(epoch + 1)                    (the notes' k / sqrt(t))
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
    return lr0 / math.sqrt(epoch + 1)


SCHEDULES = {
    "constant": constant,
    "inverse_time": inverse_time,
    "exponential": exponential,
    "step": step,
    "inverse_sqrt": inverse_sqrt,
}


def learning_rate_at(schedule, lr0, epoch, decay_rate, decay_steps):
    """The rate schedule ``schedule`` gives for ``epoch`` (0-based)."""
    return SCHEDULES[schedule](lr0, epoch, decay_rate=decay_rate, decay_steps=decay_steps)
