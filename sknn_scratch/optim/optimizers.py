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

from dataclasses import dataclass

import numpy as np

from .averages import bias_correction, ewa_update


def _zeros_like(params):
    return [np.zeros_like(p) for p in params]


def _copy_state(state):
    return {k: [a.copy() for a in v] if isinstance(v, list) else v
            for k, v in state.items()}


class UpdateRule:
    """Base of the rules: ``apply`` is the in-place kernel, ``update`` the pure face.

    ``apply(params, grads, state, lr, scratch=None)`` adds the step to ``params``
    and advances ``state`` in place; ``scratch`` (arrays shaped like the params)
    holds the temporaries, so the training loop allocates nothing per step (large
    temporaries cost page faults, which made a naive Adam step 2-3x slower).
    ``update(grads, state, lr)`` runs the same kernel on copies and returns
    ``(steps, new_state)``, leaving its inputs untouched.
    """

    name = None

    def init(self, params):
        return {"t": 0}

    def update(self, grads, state, lr):
        steps = _zeros_like(grads)
        new_state = _copy_state(state)
        self.apply(steps, grads, new_state, lr)
        return steps, new_state

    def apply(self, params, grads, state, lr, scratch=None):
        state["t"] += 1
        scratch = scratch if scratch is not None else [np.empty_like(p) for p in params]
        for i, (p, g, tmp) in enumerate(zip(params, grads, scratch)):
            p -= self._step(i, g, state, lr, tmp)

    def _step(self, i, g, state, lr, tmp):  # pragma: no cover - abstract
        """The (positive) amount subtracted from parameter ``i``, written in ``tmp``."""
        raise NotImplementedError


@dataclass(frozen=True)
class GD(UpdateRule):
    """Plain (mini-batch / stochastic) gradient descent: ``step = -lr g``."""

    name = "gd"

    def _step(self, i, g, state, lr, tmp):
        return np.multiply(g, lr, out=tmp)


@dataclass(frozen=True)
class Momentum(UpdateRule):
    """Gradient descent with momentum, the notes' EWA form (``beta`` = ``momentum``)."""

    beta: float = 0.9
    name = "momentum"

    def init(self, params):
        return {"t": 0, "velocity": _zeros_like(params)}

    def _step(self, i, g, state, lr, tmp):
        v = ewa_update(state["velocity"][i], g, self.beta, tmp)  # beta v + (1-beta) g
        return np.multiply(v, lr, out=tmp)


@dataclass(frozen=True)
class RMSprop(UpdateRule):
    """RMSprop: divide the gradient by a running root mean square of its history."""

    beta_2: float = 0.999
    epsilon: float = 1e-8
    bias_correction: bool = False
    name = "rmsprop"

    def init(self, params):
        return {"t": 0, "sq": _zeros_like(params)}

    def _step(self, i, g, state, lr, tmp):
        s = ewa_update(state["sq"][i], np.multiply(g, g, out=tmp), self.beta_2, tmp)
        c2 = bias_correction(self.beta_2, state["t"]) if self.bias_correction else 1.0
        denominator = np.sqrt(np.multiply(s, c2, out=tmp), out=tmp)  # sqrt(s_hat)
        denominator += self.epsilon
        step = np.divide(g, denominator, out=tmp)
        step *= lr
        return step


@dataclass(frozen=True)
class Adam(UpdateRule):
    """Adam: momentum and RMSprop together, with explicit bias correction."""

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    name = "adam"

    def init(self, params):
        return {"t": 0, "m": _zeros_like(params), "v": _zeros_like(params)}

    def _step(self, i, g, state, lr, tmp):
        t = state["t"]
        m = ewa_update(state["m"][i], g, self.beta_1, tmp)  # beta_1 m + (1-beta_1) g
        v = ewa_update(state["v"][i], np.multiply(g, g, out=tmp), self.beta_2, tmp)
        # step = lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta_1^t), ...
        denominator = np.sqrt(np.multiply(v, bias_correction(self.beta_2, t), out=tmp),
                              out=tmp)
        denominator += self.epsilon
        step = np.divide(m, denominator, out=tmp)
        step *= lr * bias_correction(self.beta_1, t)
        return step


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
