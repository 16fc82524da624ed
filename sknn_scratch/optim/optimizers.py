"""First-order update rules as pure functions: state in, gradients in, state out.

Every rule is an :class:`UpdateRule` with

* ``init(params) -> state``: the rule's memory for a list of parameter arrays;
* ``update(grads, state, lr) -> (updates, new_state)``: the steps to *add* to the
  parameters, and the next state. Nothing passed in is modified, so a test can
  inject any state and compare one step with hand-derived numbers;
* ``apply(params, grads, state, lr)``: the same rule in place (the training
  loop's path, which allocates no new state per step). ``update`` is ``apply``
  run on copies, so the two cannot disagree.

The rules, for a gradient ``g`` at step ``t = 1, 2, ...`` (the notes' forms):

* gd:        step = -lr g
* momentum:  v = beta v + (1 - beta) g;                     step = -lr v
* rmsprop:   s = beta_2 s + (1 - beta_2) g^2;               step = -lr g / (sqrt(s) + eps)
             (optionally with s_hat = s / (1 - beta_2^t) in place of s)
* adam:      m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g^2
             m_hat = m / (1 - beta_1^t);  v_hat = v / (1 - beta_2^t)
             step = -lr m_hat / (sqrt(v_hat) + eps)

Adam's bias correction is written out as in the notes. scikit-learn's MLPClassifier
folds it into the rate, ``lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)`` and
``step = -lr_t m / (sqrt(v) + eps)``, which is the same step except that epsilon is
effectively multiplied by ``sqrt(1 - beta_2^t)``: the two differ only while
``sqrt(v_hat)`` is comparable to ``eps``, i.e. for near-zero gradients early on.

The averages use :func:`sknn_scratch.optim.ewa.ewa_update`, the same recurrence as
the public :func:`sknn_scratch.optim.ewa`.
"""

import math
from dataclasses import dataclass

import numpy as np

from .._arrays import as_vectors, chunk_length
from .averages import bias_correction, ewa_update, ewa_update_of_squares

def _zeros_like(params):
    return [np.zeros_like(p) for p in params]


def _copy_state(state):
    return {k: [a.copy() for a in v] if isinstance(v, list) else v
            for k, v in state.items()}


class UpdateRule:
    """Base of the rules: ``apply`` is the in-place kernel, ``update`` the pure face.

    ``apply(params, grads, state, lr, scratch=None)`` adds the step to ``params``
    and advances ``state`` in place. It runs the rule's element-wise passes over
    cache-sized chunks (:data:`sknn_scratch._arrays.SCRATCH_BYTES` each);
    ``scratch`` (a 1-D array of the parameters' dtype, any length) holds the
    temporaries and sets the chunk length, so the training loop allocates nothing
    per step. ``update(grads, state, lr)`` runs the same kernel on copies and
    returns ``(steps, new_state)``, leaving its inputs untouched.

    A subclass names its per-parameter state lists in ``slots`` and implements
    ``_coefficients(state, lr)`` (the scalars of one step, computed once) and
    ``_kernel(p, g, slots, tmp, coefficients)`` (one chunk, in place).
    """

    name = None
    slots = ()

    def init(self, params):
        state = {"t": 0}
        state.update({slot: _zeros_like(params) for slot in self.slots})
        return state

    def update(self, grads, state, lr):
        steps = _zeros_like(grads)
        new_state = _copy_state(state)
        self.apply(steps, grads, new_state, lr)
        return steps, new_state

    def apply(self, params, grads, state, lr, scratch=None):
        state["t"] += 1
        coefficients = self._coefficients(state, lr)
        for i, (p, g) in enumerate(zip(params, grads)):
            arrays = [p, g] + [state[slot][i] for slot in self.slots]
            vectors = as_vectors(arrays)
            if vectors is None:  # no common contiguous order: whole arrays at once
                self._kernel(p, g, arrays[2:], np.empty_like(p), coefficients)
                continue
            size = vectors[0].size
            tmp = scratch
            if tmp is None or tmp.dtype != p.dtype:
                tmp = np.empty(min(size, chunk_length(p.dtype)), p.dtype)
            for start in range(0, size, tmp.size):  # chunks of the scratch's size
                stop = min(start + tmp.size, size)
                chunk = [v[start:stop] for v in vectors]
                self._kernel(chunk[0], chunk[1], chunk[2:], tmp[:stop - start],
                             coefficients)

    def _coefficients(self, state, lr):
        # Python floats: a NumPy float64 scalar would make every pass over float32
        # arrays compute in float64 and cast back (NEP 50), several times slower
        return float(lr)

    def _kernel(self, p, g, slots, tmp, coefficients):  # pragma: no cover - abstract
        """Subtract the step from ``p`` (one chunk), advancing ``slots`` in place."""
        raise NotImplementedError


@dataclass(frozen=True)
class GD(UpdateRule):
    """Plain (mini-batch / stochastic) gradient descent: ``step = -lr g``."""

    name = "gd"

    def _kernel(self, p, g, slots, tmp, lr):
        p -= np.multiply(g, lr, out=tmp)


@dataclass(frozen=True)
class Momentum(UpdateRule):
    """Gradient descent with momentum, the notes' EWA form (``beta`` = ``momentum``)."""

    beta: float = 0.9
    name = "momentum"
    slots = ("velocity",)

    def _kernel(self, p, g, slots, tmp, lr):
        v = ewa_update(slots[0], g, self.beta, tmp)  # v = beta v + (1 - beta) g
        p -= np.multiply(v, lr, out=tmp)


def _scaled_root_step(p, numerator, s, tmp, c, eps):
    """``p -= c * numerator / (sqrt(s) + eps)``, with ``tmp`` for the temporaries."""
    np.sqrt(s, out=tmp)
    tmp += eps
    np.divide(numerator, tmp, out=tmp)
    tmp *= c
    p -= tmp


@dataclass(frozen=True)
class RMSprop(UpdateRule):
    """RMSprop: divide the gradient by a running root mean square of its history."""

    beta_2: float = 0.999
    epsilon: float = 1e-8
    bias_correction: bool = False
    name = "rmsprop"
    slots = ("sq",)

    def _coefficients(self, state, lr):
        # lr g / (sqrt(c2 s) + eps) = (lr / sqrt(c2)) g / (sqrt(s) + eps / sqrt(c2)),
        # c2 = 1 / (1 - beta_2^t) with bias correction, else 1
        c2 = bias_correction(self.beta_2, state["t"]) if self.bias_correction else 1.0
        root = math.sqrt(c2)
        return float(lr / root), float(self.epsilon / root)

    def _kernel(self, p, g, slots, tmp, coefficients):
        s = ewa_update_of_squares(slots[0], g, self.beta_2, tmp)  # EWA of g^2
        _scaled_root_step(p, g, s, tmp, *coefficients)


@dataclass(frozen=True)
class Adam(UpdateRule):
    """Adam: momentum and RMSprop together, with explicit bias correction."""

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    name = "adam"
    slots = ("m", "v")

    def _coefficients(self, state, lr):
        # step = lr m_hat / (sqrt(v_hat) + eps), m_hat = c1 m, v_hat = c2 v with
        # c_i = 1 / (1 - beta_i^t); as one pass: (lr c1 / sqrt(c2)) m / (sqrt(v) + eps')
        # with eps' = eps / sqrt(c2), which is the same number.
        t = state["t"]
        root = math.sqrt(bias_correction(self.beta_2, t))
        return float(lr * bias_correction(self.beta_1, t) / root), float(self.epsilon / root)

    def _kernel(self, p, g, slots, tmp, coefficients):
        m = ewa_update(slots[0], g, self.beta_1, tmp)  # m = beta_1 m + (1 - beta_1) g
        # v = beta_2 v + (1 - beta_2) g^2, without forming g^2 (it overflows for
        # |g| > 1.3e154 although v stays finite up to |g| ~ 4e155); beyond that v
        # is inf, the entry's step 0, and the loop reports the overflow
        v = ewa_update_of_squares(slots[1], g, self.beta_2, tmp)
        _scaled_root_step(p, m, v, tmp, *coefficients)


def make_optimizer(solver, *, momentum=0.9, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """The update rule a ``solver`` name stands for, with its hyperparameters."""
    if solver == "gd":
        return GD()
    if solver == "momentum":
        return Momentum(beta=momentum)
    if solver == "rmsprop":
        return RMSprop(beta_2=beta_2, epsilon=epsilon)
    if solver == "adam":
        return Adam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    raise ValueError(f"Unknown solver {solver!r}.")
