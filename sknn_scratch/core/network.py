"""A fully connected net as plain lists of arrays: initialise, forward, backward.

Layout is scikit-learn's (rows are samples). For layer ``l = 1..L``::

    Z[l] = A[l-1] @ W[l] + b[l]      W[l]: (n[l-1], n[l]),  b[l]: (n[l],)
    A[l] = g(Z[l])                   hidden layers (g = the chosen activation)
    A[L] = Z[L]                      the output layer is kept as *logits*

The notes write ``Z = W A + b`` with samples as columns; everything here is that
formula transposed, which is why the gradients read ``A.T @ dZ`` instead of
``dZ @ A.T``. Probabilities come from :mod:`losses` (sigmoid or softmax, or a
sigmoid per label for a multilabel ``Architecture``).

Inverted dropout: ``masks[l]`` (for hidden layer ``l``, shape of ``A[l]``) holds
``1/keep_prob`` for kept units and 0 for dropped ones, so the expected value of
``A[l] * mask`` equals ``A[l]`` and nothing needs rescaling at predict time.
"""

from dataclasses import dataclass

import numpy as np

from . import activations, losses
from .._arrays import as_vectors, chunk_length
from .flat import FlatLayout, is_wide
from .initializers import INITIALIZERS, resolve_init
from .sparse import add_product, add_transpose_product, penalised_gradient_by_rows


@dataclass(frozen=True)
class Architecture:
    """Shape and activation of a net: all an estimator asks the core for.

    ``layer_sizes`` is ``(n_features, *hidden, n_outputs)``; no hidden layer is a
    logistic regression. ``multilabel`` makes the outputs independent sigmoid
    units (one per label) instead of a softmax (see :mod:`losses`).
    """

    layer_sizes: tuple
    activation: str = "relu"
    multilabel: bool = False

    @property
    def n_layers(self):
        return len(self.layer_sizes) - 1

    def __repr__(self):
        arrows = " -> ".join(str(n) for n in self.layer_sizes)
        labels = ", multilabel=True" if self.multilabel else ""
        return f"Architecture({arrows}, activation={self.activation!r}{labels})"


class Workspace:
    """Buffers for one mini-batch size, reused by every training step.

    Training allocates nothing per step beyond small (m, n_outputs) and
    per-row temporaries: each layer's ``Z``/``A`` (which backprop overwrites with
    ``dZ``), one ``dA`` buffer shared by the hidden layers, the dropout masks,
    the batch's targets and the gradients live here, and batches of up to
    ``batch_size`` rows use leading-row views (still C-contiguous) of them.
    The gradients are views of one vector, ``grad``, laid out by
    :class:`~sknn_scratch.core.flat.FlatLayout` like the training loop's weights;
    ``grad_squares[l]`` is the last backward's ``||dW[l]||^2`` where it came for
    free with the product (a sparse first layer), else None.
    With ``gather_dtype``, ``X`` and ``w`` receive a batch's rows of the inputs
    (of that dtype) and of the sample weights. ``sparse_input`` lays the gradients
    out for a sparse ``X`` (the first layer row by row, as ``init_params`` does).
    """

    def __init__(self, arch, batch_size, dtype=np.float64, dropout=False,
                 gather_dtype=None, sparse_input=False):
        sizes = arch.layer_sizes
        if gather_dtype is not None:
            self.X = np.empty((batch_size, sizes[0]), gather_dtype)
            self.w = np.empty(batch_size, gather_dtype)
        hidden = sizes[1:-1]
        self.batch_size = batch_size
        self.Z = [np.empty((batch_size, n), dtype) for n in sizes[1:]]
        # dA[l] of every hidden layer in turn (backward: rows [:m] of width n[l])
        self.dA = np.empty(batch_size * max(hidden, default=0), dtype)
        self.dropped = [np.empty((batch_size, n), dtype) for n in hidden] if dropout else None
        self.masks = [np.empty((batch_size, n), dtype) for n in hidden] if dropout else None
        self.uniform = [np.empty((batch_size, n)) for n in hidden] if dropout else None
        self.Y = np.empty((batch_size, sizes[-1]), dtype)  # the batch's targets
        self.ones = np.ones(batch_size, dtype)  # db = ones^T dZ, one matrix-vector product
        self.first_delta = None  # dZ[1] of the last backward pass
        layout = FlatLayout(sizes, sparse_input)
        self.grad = np.empty(layout.size, dtype)
        self.dW, self.db = layout.views(self.grad)
        # ||dW[l]||^2 when backward() had it for free (a sparse first layer), else None
        self.grad_squares = [None] * arch.n_layers
        # one chunk of temporaries: the L2 term in backward(), then the update rule's
        self.scratch = np.empty(min(chunk_length(dtype), layout.size), dtype)


def _buffer(workspace, name, l, m):
    """Rows ``[:m]`` of buffer ``name[l]``, or None without a workspace."""
    if workspace is None:
        return None
    return getattr(workspace, name)[l][:m]


def _delta_buffer(workspace, m, n):
    """The workspace's shared ``dA`` buffer as an (m, n) array, or None."""
    if workspace is None:
        return None
    return workspace.dA[:m * n].reshape(m, n)


def _matmul(A, B, out):
    """``A @ B`` into ``out`` when given (dense ``A``)."""
    if out is None:
        return A @ B
    return np.matmul(A, B, out=out)


def _sparse_layer(X, W, b, out):
    """``Z = X W + b`` for a sparse ``X``, into ``out`` when given (see :mod:`.sparse`).

    The product is added into zeros, then ``b``: the same sums in the same order
    as SciPy's ``X @ W + b``, whichever order ``W`` is stored in.
    """
    if out is None:
        Z = X @ W
    else:
        out[...] = 0.0
        Z = add_product(X, W, out)
    Z += b
    return Z


def _sparse_weight_gradient(X, dZ, W, factor, out, scratch):
    """``dW = X^T dZ + factor W`` for a sparse ``X``, ``||W||^2`` and ``||dW||^2``.

    A CSC ``X`` (the training loop's mini-batches) goes through
    :func:`.sparse.penalised_gradient_by_rows`: penalty, product and both norms
    in one pass over ``W``'s size. Otherwise the L2 term is written first
    (``factor W``, or zeros), then ``X^T dZ`` is added into it
    (:func:`.sparse.add_transpose_product`); ``||dW||^2`` is then None (not
    computed). Nothing is allocated with ``out`` (a workspace view).
    """
    if out is None:
        out = np.empty(W.shape, np.result_type(W.dtype, dZ.dtype))
    norms = penalised_gradient_by_rows(X, dZ, W, factor, out)
    if norms is not None:
        return out, norms[0], norms[1]
    if factor:
        squares = _add_penalty(out, W, factor, scratch, overwrite=True)
    else:
        out[...] = 0.0
        squares = 0.0
    return add_transpose_product(X, dZ, out), squares, None


def _add_penalty(grad, W, factor, scratch=None, overwrite=False):
    """``grad += factor * W`` (``grad = factor * W`` with ``overwrite``) and return
    ``||W||^2``, through ``scratch``.

    The L2 term's gradient and (for the loss) its squared norm. With ``scratch``
    (1-D) the passes run chunk by chunk, each chunk of ``W`` read from memory
    once, and nothing is allocated.
    """
    vectors = None if scratch is None else as_vectors([grad, W])
    if vectors is None:
        if overwrite:
            np.multiply(W, factor, out=grad)
        else:
            grad += factor * W
        return float(np.vdot(W, W))
    g, w = vectors
    squares = 0.0
    for start in range(0, g.size, scratch.size):
        stop = min(start + scratch.size, g.size)
        chunk = w[start:stop]
        squares += float(np.vdot(chunk, chunk))
        if overwrite:
            np.multiply(chunk, factor, out=g[start:stop])
        else:
            g[start:stop] += np.multiply(chunk, factor, out=scratch[:stop - start])
    return squares


def init_params(arch, init, rng, dtype=np.float64, sparse_input=False):
    """Fresh ``(coefs, intercepts)`` for ``arch``, drawn from ``rng``.

    Biases start at zero; ``init`` is a name of :data:`INITIALIZERS` or ``'auto'``.
    The arrays are views of one vector (see :mod:`~sknn_scratch.core.flat`; laid
    out for a sparse ``X`` with ``sparse_input``), which the training loop can
    then train in place. The values do not depend on the layout.
    """
    name = resolve_init(init, arch.activation)
    if name == "zeros" and arch.n_layers > 1:
        raise ValueError(
            "init='zeros' cannot train a net with hidden layers: every unit of a "
            "layer would compute the same function and receive the same gradient, "
            "so symmetry is never broken. Use init='random', 'xavier', 'he' or 'auto'."
        )
    sizes = arch.layer_sizes
    make = INITIALIZERS[name]
    layout = FlatLayout(sizes, sparse_input)
    coefs, intercepts = layout.views(np.zeros(layout.size, dtype))  # one vector
    for l, W in enumerate(coefs):
        W[...] = make(sizes[l], sizes[l + 1], rng, dtype)
    return coefs, intercepts


def draw_dropout_masks(arch, n_samples, dropout, rng, dtype=np.float64, workspace=None):
    """Inverted-dropout masks for every hidden layer (None when ``dropout == 0``).

    Each unit is kept with probability ``keep = 1 - dropout`` (one uniform draw
    per unit from ``rng``); kept units are scaled by ``1 / keep``.
    """
    if not dropout or arch.n_layers == 1:
        return None
    keep = 1.0 - dropout
    masks = []
    for l, n in enumerate(arch.layer_sizes[1:-1]):
        if workspace is None:
            uniform, mask = rng.random((n_samples, n)), np.empty((n_samples, n), dtype)
        else:
            uniform = rng.random(out=workspace.uniform[l][:n_samples])
            mask = workspace.masks[l][:n_samples]
        np.less(uniform, keep, out=mask, casting="unsafe")  # 1 where kept, else 0
        mask *= 1.0 / keep  # inverted dropout: kept units scaled by 1/keep_prob
        masks.append(mask)
    return masks


def forward(arch, coefs, intercepts, X, masks=None, workspace=None,
            first_product=None):
    """Forward pass keeping the cache backprop needs (in ``workspace`` if given).

    ``first_product``, when given, is ``X @ W[0]`` already known (the training
    loop carries it for wide full-batch data, see
    :mod:`sknn_scratch.training.sample_space`): layer 1 then only adds the bias.

    Returns
    -------
    outputs : list of ndarray
        ``[A[1], ..., A[L-1], Z[L]]``: each hidden activation before dropout
        (its derivative is computed from it) and the output logits.
    inputs : list
        What each layer consumed: ``[X, A[1]*mask[1], ...]`` (same objects as
        ``outputs`` when there is no dropout).
    """
    inputs, outputs = [X], []
    m = X.shape[0]
    last = arch.n_layers - 1
    for l, (W, b) in enumerate(zip(coefs, intercepts)):
        # (m, n[l-1]) @ (n[l-1], n[l]) -> (m, n[l])
        out = _buffer(workspace, "Z", l, m)
        if l == 0 and first_product is not None:
            Z = np.add(first_product, b, out=out)
        elif isinstance(inputs[-1], np.ndarray):
            Z = _matmul(inputs[-1], W, out)
            Z += b
        else:  # sparse X
            Z = _sparse_layer(inputs[-1], W, b, out)
        if l == last:
            outputs.append(Z)  # logits; the loss applies sigmoid/softmax itself
            break
        A = activations.inplace_activation(arch.activation, Z)
        outputs.append(A)
        if masks is not None:
            A = np.multiply(A, masks[l], out=_buffer(workspace, "dropped", l, m))
        inputs.append(A)
    return outputs, inputs


def logits(arch, coefs, intercepts, X):
    """Output logits ``Z[L]`` without keeping a cache (prediction path)."""
    return forward(arch, coefs, intercepts, X)[0][-1]


def backward(arch, coefs, outputs, inputs, Y, sample_weight, alpha=0.0,
             masks=None, weight_sum=None, workspace=None):
    """Loss and gradients of ``J = sum w l / sum w + alpha 1/2 sum ||W||^2 / sum w``.

    Parameters
    ----------
    outputs, inputs : lists from :func:`forward` (``outputs`` is overwritten).
    Y : ndarray of shape (m, n_outputs)
        Targets from :func:`losses.one_hot`.
    sample_weight : ndarray of shape (m,)
    weight_sum : float, optional
        The ``sum w`` that normalises the loss; defaults to this batch's.
    workspace : Workspace, optional
        Where to write the gradients and deltas (they are then overwritten by
        the next call); ``workspace.first_delta`` is left holding ``dZ[1]``.

    Returns
    -------
    loss : float
    coef_grads, intercept_grads : lists of ndarray shaped like the parameters.
    """
    if weight_sum is None:
        weight_sum = float(sample_weight.sum())
    Z_out = outputs[-1]
    m = Z_out.shape[0]
    # Output delta: dZ[L] = (A[L] - Y) w / sum w  (matched sigmoid/softmax + CE;
    # per-label sigmoids with the summed binary CE give the same A - Y)
    loss, dZ = losses.inplace_loss_and_delta(Z_out, Y, sample_weight, weight_sum,
                                             arch.multilabel)
    squares = 0.0  # sum_l ||W[l]||^2, for the penalty term of the loss

    L = arch.n_layers
    coef_grads, intercept_grads = [None] * L, [None] * L
    ws = workspace
    for l in range(L - 1, -1, -1):
        # dW[l] = A[l-1]^T dZ[l] + alpha W[l] / sum w ;  db[l] = sum_rows dZ[l]
        A = inputs[l]
        if not isinstance(A, np.ndarray):  # sparse X: the penalty written first
            coef_grads[l], norm, grad_norm = _sparse_weight_gradient(
                A, dZ, coefs[l], alpha / weight_sum, None if ws is None else ws.dW[l],
                None if ws is None else ws.scratch)
            squares += norm
            if ws is not None:
                ws.grad_squares[l] = grad_norm
        elif is_wide(A.shape[1], dZ.shape[1]):
            # A wide layer with few outputs (the cat net's 12288 -> 20): computed as
            # (dZ^T A)^T, the product writes long contiguous rows, ~2x faster in
            # BLAS than A^T dZ. The workspace stores this layer's gradient column
            # by column (see core.flat), so the product is written in place.
            dWT = _matmul(dZ.T, A, None if ws is None else ws.dW[l].T)
            coef_grads[l] = dWT.T if ws is not None else np.ascontiguousarray(dWT.T)
        else:
            coef_grads[l] = _matmul(A.T, dZ, None if ws is None else ws.dW[l])
        if alpha and isinstance(A, np.ndarray):
            squares += _add_penalty(coef_grads[l], coefs[l], alpha / weight_sum,
                                    None if ws is None else ws.scratch)
        if ws is None:
            intercept_grads[l] = dZ.sum(axis=0)
        else:  # the row sum as (1, m) @ (m, n[l]): a BLAS product, ~3x a reduction
            intercept_grads[l] = np.matmul(ws.ones[:m], dZ, out=ws.db[l])
        if l == 0:
            if ws is not None:  # the first layer's delta, for sample_space
                ws.first_delta = dZ
            break
        # dA[l-1] = dZ[l] W[l]^T, through the dropout mask, then dZ = dA * g'(Z),
        # written over A[l-1] (its last use was dW[l] above): the next layer's
        # dA can then reuse dA's buffer
        dA = _matmul(dZ, coefs[l].T, _delta_buffer(ws, m, coefs[l].shape[0]))
        if masks is not None:
            dA *= masks[l - 1]
        dZ = activations.inplace_backprop(arch.activation, outputs[l - 1], dA)
    loss += losses.l2_penalty(coefs, alpha, weight_sum, squared_norm=squares)
    return loss, coef_grads, intercept_grads


def loss_and_gradients(arch, coefs, intercepts, X, Y, sample_weight, alpha=0.0,
                       masks=None, weight_sum=None, workspace=None, first_product=None):
    """Forward then backward: the objective and its gradient at ``(coefs, intercepts)``
    (``first_product``: ``X @ W[0]`` when already known, see :func:`forward`)."""
    outputs, inputs = forward(arch, coefs, intercepts, X, masks, workspace,
                              first_product)
    return backward(arch, coefs, outputs, inputs, Y, sample_weight, alpha, masks,
                    weight_sum, workspace)
