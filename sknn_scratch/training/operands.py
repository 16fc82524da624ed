"""The update rule's operands, found once per training run.

The training loop keeps weights, gradients and optimizer state as views of one
vector each (:mod:`sknn_scratch.core.flat`); the update rule then runs over those
vectors instead of 2L short arrays.
"""

from ..core.flat import base_vector


def rule_operands(coefs, intercepts, workspace, opt_state):
    """The update rule's ``(params, grads, state)`` for :func:`train_epoch`: one
    vector each when they are laid out flat, else the arrays unchanged.

    Found once per run: the layout checks walk every array (a few microseconds
    each), which the course's full-batch nets would otherwise repeat every epoch.
    A flat ``state`` is a new dict whose ``t`` the caller copies back.
    """
    params, grads, state = coefs + intercepts, workspace.dW + workspace.db, opt_state
    flat_params, flat_grads = base_vector(params), base_vector(grads)
    slots = {k: base_vector(v) for k, v in state.items() if isinstance(v, list)}
    if flat_params is None or flat_grads is None or any(
            v is None for v in slots.values()) or not all(
            _same_layout(params, other) for other in
            [grads] + [v for v in state.values() if isinstance(v, list)]):
        return params, grads, state
    flat_state = dict(state)
    flat_state.update({k: [v] for k, v in slots.items()})
    return [flat_params], [flat_grads], flat_state


def _same_layout(arrays, others):
    """Whether entry ``k`` of one flat vector is entry ``k`` of the other: the same
    shapes and strides array by array (a wide layer is stored by rows for sparse
    input and by columns otherwise, see :mod:`sknn_scratch.core.flat`)."""
    return len(arrays) == len(others) and all(
        a.shape == b.shape and a.strides == b.strides for a, b in zip(arrays, others))
