"""Weight initialisers ``f(fan_in, fan_out, rng, dtype) -> W`` of shape (fan_in, fan_out).

Rows of ``W`` index the inputs because data rows are samples (``Z = A @ W + b``); the
notes' ``W[l]`` of shape (n[l], n[l-1]) is this matrix transposed. Biases always
start at zero. The variances are the notes' (and do not depend on n_samples):

* ``zeros``:  W = 0 (fine for logistic regression; breaks symmetry never, so
  hidden layers reject it)
* ``random``: W = 0.01 * N(0, 1) (the notes' first nets)
* ``xavier``: W = N(0, 1) * sqrt(1 / fan_in)  (tanh / sigmoid)
* ``he``:     W = N(0, 1) * sqrt(2 / fan_in)  (relu family)
"""

import numpy as np


def zeros(fan_in, fan_out, rng, dtype=np.float64):
    return np.zeros((fan_in, fan_out), dtype=dtype)


def random(fan_in, fan_out, rng, dtype=np.float64):
    return (0.01 * rng.standard_normal((fan_in, fan_out))).astype(dtype, copy=False)


def xavier(fan_in, fan_out, rng, dtype=np.float64):
    scale = np.sqrt(1.0 / fan_in)
    return (scale * rng.standard_normal((fan_in, fan_out))).astype(dtype, copy=False)


def he(fan_in, fan_out, rng, dtype=np.float64):
    scale = np.sqrt(2.0 / fan_in)
    return (scale * rng.standard_normal((fan_in, fan_out))).astype(dtype, copy=False)


INITIALIZERS = {"zeros": zeros, "random": random, "xavier": xavier, "he": he}

#: What ``init='auto'`` picks for each hidden activation.
AUTO_INIT = {
    "relu": "he",
    "leaky_relu": "he",
    "tanh": "xavier",
    "sigmoid": "xavier",
    "identity": "xavier",
}


def resolve_init(init, activation):
    """Name of the initialiser that ``init`` means for ``activation``."""
    return AUTO_INIT[activation] if init == "auto" else init
