"""First-order update rules as pure functions: state in, gradients in, state out.

Every rule is an :class:`UpdateRule` with

* ``init(params) -> state``: the rule's memory for a list of parameter arrays;
* ``update(grads, state, lr) -> (updates, new_state)``: the steps to *add* to the
  parameters, and the next state. Nothing passed in is modified, so a test can
  inject any state and compare one step with hand-derived numbers.

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

from dataclasses import dataclass

import numpy as np

from .averages import bias_correction, ewa_update


def _zeros_like(params):
    return [np.zeros_like(p) for p in params]


def _averaged(averages, values, beta):
    """New list of EWAs ``beta * a + (1 - beta) * x`` (inputs untouched)."""
    return [ewa_update(a.copy(), x, beta) for a, x in zip(averages, values)]


@dataclass(frozen=True)
class GD:
    """Plain (mini-batch / stochastic) gradient descent: ``step = -lr g``."""

    name = "gd"

    def init(self, params):
        return {"t": 0}

    def update(self, grads, state, lr):
        return [-lr * g for g in grads], {"t": state["t"] + 1}


@dataclass(frozen=True)
class Momentum:
    """Gradient descent with momentum, the notes' EWA form (``beta`` = ``momentum``)."""

    beta: float = 0.9
    name = "momentum"

    def init(self, params):
        return {"t": 0, "velocity": _zeros_like(params)}

    def update(self, grads, state, lr):
        velocity = _averaged(state["velocity"], grads, self.beta)
        return [-lr * v for v in velocity], {"t": state["t"] + 1, "velocity": velocity}


@dataclass(frozen=True)
class RMSprop:
    """RMSprop: divide the gradient by a running root mean square of its history."""

    beta_2: float = 0.999
    epsilon: float = 1e-8
    bias_correction: bool = False
    name = "rmsprop"

    def init(self, params):
        return {"t": 0, "sq": _zeros_like(params)}

    def update(self, grads, state, lr):
        t = state["t"] + 1
        sq = _averaged(state["sq"], [g * g for g in grads], self.beta_2)
        c2 = bias_correction(self.beta_2, t) if self.bias_correction else 1.0
        steps = [-lr * g / (np.sqrt(s * c2) + self.epsilon) for g, s in zip(grads, sq)]
        return steps, {"t": t, "sq": sq}


@dataclass(frozen=True)
class Adam:
    """Adam: momentum and RMSprop together, with explicit bias correction."""

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    name = "adam"

    def init(self, params):
        return {"t": 0, "m": _zeros_like(params), "v": _zeros_like(params)}

    def update(self, grads, state, lr):
        t = state["t"] + 1
        m = _averaged(state["m"], grads, self.beta_1)
        v = _averaged(state["v"], [g * g for g in grads], self.beta_2)
        c1, c2 = bias_correction(self.beta_1, t), bias_correction(self.beta_2, t)
        steps = [
            -lr * (mi * c1) / (np.sqrt(vi * c2) + self.epsilon) for mi, vi in zip(m, v)
        ]
        return steps, {"t": t, "m": m, "v": v}


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
