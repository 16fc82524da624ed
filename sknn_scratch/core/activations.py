"""Hidden-layer activations and their derivatives, chosen by name from tables.

Every function works **in place** on the pre-activation ``Z`` (turning it into
``A = g(Z)``), so the forward pass allocates nothing per layer beyond the matmul
result. Each derivative is computed from the *output* ``A`` (as scikit-learn's
``neural_network`` does), so the cache only needs the activations:

    sigmoid'    = A (1 - A)
    tanh'       = 1 - A^2
    relu'       = 1[A > 0]                       (A > 0  <=>  Z > 0)
    leaky_relu' = 1 if A > 0 else LEAKY_SLOPE    (the slope is > 0, so sign(A) = sign(Z))

``inplace_backprop(name, A, dA)`` writes ``dA * g'(Z)`` (``dA`` = dJ/dA) over ``A``:
formula ``dZ[l] = dA[l] * g'(Z[l])`` of backprop. ``A`` is needed for nothing else
once its layer's gradient is taken, so dJ/dZ takes its place and backprop needs
one buffer for ``dA``, shared by all layers, instead of one per layer.
"""

import functools

import numpy as np

#: Slope of leaky ReLU for negative inputs (the notes' 0.01).
LEAKY_SLOPE = 0.01


def _identity(Z):
    return Z


def _sigmoid(Z):
    # Stable logistic: exp only of non-positive numbers, so no overflow warning.
    # sigma(z) = 1/(1+e^-z) for z >= 0, e^z/(1+e^z) for z < 0.
    neg = Z < 0
    E = np.exp(-np.abs(Z))
    np.divide(1.0, 1.0 + E, out=Z)
    Z[neg] = E[neg] * Z[neg]
    return Z


def _tanh(Z):
    return np.tanh(Z, out=Z)


@functools.lru_cache(maxsize=64)
def _zero_row(n, dtype):
    row = np.zeros(n, dtype)
    row.flags.writeable = False
    return row


def _relu(Z):
    # against a row of zeros broadcast over the rows: NumPy's maximum with a
    # scalar 0 takes a loop about 2x slower than with an array operand
    if Z.ndim == 2:
        return np.maximum(Z, _zero_row(Z.shape[1], Z.dtype), out=Z)
    return np.maximum(Z, 0, out=Z)


def _leaky_relu(Z):
    np.multiply(Z, np.where(Z > 0, 1.0, LEAKY_SLOPE).astype(Z.dtype, copy=False), out=Z)
    return Z


ACTIVATIONS = {
    "identity": _identity,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
}


def _d_identity(A, dA):
    np.copyto(A, dA)
    return A


def _d_sigmoid(A, dA):
    dA *= A                      # dA a
    np.subtract(1.0, A, out=A)   # 1 - a
    A *= dA                      # dA a (1 - a)
    return A


def _d_tanh(A, dA):
    A *= A                       # a^2
    np.subtract(1.0, A, out=A)   # 1 - a^2
    A *= dA
    return A


def _d_relu(A, dA):
    return np.multiply(dA, A > 0, out=A)


def _d_leaky_relu(A, dA):
    dA[A <= 0] *= LEAKY_SLOPE
    np.copyto(A, dA)
    return A


DERIVATIVES = {
    "identity": _d_identity,
    "sigmoid": _d_sigmoid,
    "tanh": _d_tanh,
    "relu": _d_relu,
    "leaky_relu": _d_leaky_relu,
}

#: Hidden activations a user may choose (identity is allowed, as in MLPClassifier).
HIDDEN_ACTIVATIONS = tuple(ACTIVATIONS)


def inplace_activation(name, Z):
    """Apply activation ``name`` to ``Z`` in place and return it (now ``A``)."""
    return ACTIVATIONS[name](Z)


def inplace_backprop(name, A, dA):
    """Write ``dZ = dA * g'(Z)`` over ``A`` and return it, g' computed from ``A = g(Z)``
    (``dA`` may be overwritten too)."""
    return DERIVATIVES[name](A, dA)


def activation(name, Z):
    """Out-of-place ``g(Z)``: a convenience for tests and readers."""
    return inplace_activation(name, np.array(Z, dtype=float))


def derivative(name, Z):
    """Out-of-place ``g'(Z)`` computed through the output, for tests and readers."""
    A = activation(name, Z)
    return inplace_backprop(name, A, np.ones_like(A))
