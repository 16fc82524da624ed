"""Two yardsticks for section (a): what NumPy itself allows, without sknn_scratch.

* :class:`LeanNumpyNet`: the same training as DeepNNClassifier in config (a)
  (relu net, softmax + cross-entropy, L2 alpha, Adam with the notes' bias
  correction, shuffled mini-batches) written as one flat loop with preallocated
  buffers and the fewest NumPy passes we know: no validation, no history, no
  divergence checks, no loss value. It is the practical floor of a NumPy
  implementation: the distance from it to DeepNNClassifier is framework overhead,
  the distance from it to the GEMMs alone is elementwise NumPy work.
* :class:`GemmFloor`: only the 8 matrix products of each mini-batch (forward 3,
  weight gradients 3, input deltas 2), on the same shapes.

Both take ``max_iter`` epochs and expose ``fit(X, y)`` so the epoch timer treats
them like the estimators.
"""

import numpy as np


class LeanNumpyNet:
    def __init__(self, hidden, max_iter, batch_size=256, learning_rate=1e-3, alpha=1e-4,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, random_state=0):
        self.hidden, self.max_iter, self.batch_size = tuple(hidden), max_iter, batch_size
        self.learning_rate, self.alpha = learning_rate, alpha
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.random_state = random_state

    def fit(self, X, y):
        dt, (n, d), bs = X.dtype, X.shape, self.batch_size
        b1, b2, eps, lr = self.beta_1, self.beta_2, self.epsilon, self.learning_rate
        rng = np.random.default_rng(self.random_state)
        classes, codes = np.unique(y, return_inverse=True)
        sizes = (d, *self.hidden, len(classes))
        L = len(sizes) - 1
        W = [(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dt)
             for a, b in zip(sizes[:-1], sizes[1:])]
        B = [np.zeros(b, dt) for b in sizes[1:]]
        params = W + B
        M, V, T = ([np.zeros_like(p) for p in params] for _ in range(3))
        Y = np.zeros((n, len(classes)), dt)
        Y[np.arange(n), codes] = 1
        Xb, Yb = np.empty((bs, d), dt), np.empty((bs, len(classes)), dt)
        Z = [np.empty((bs, s), dt) for s in sizes[1:]]
        dA = [np.empty((bs, s), dt) for s in sizes[1:-1]]
        mask = [np.empty((bs, s), bool) for s in sizes[1:-1]]
        dW, dB = [np.empty_like(w) for w in W], [np.empty_like(b) for b in B]
        t = 0
        for _ in range(self.max_iter):
            order = rng.permutation(n)
            for start in range(0, n, bs):
                rows = order[start:start + bs]
                m = len(rows)
                acts = [np.take(X, rows, axis=0, out=Xb[:m])]
                yb = np.take(Y, rows, axis=0, out=Yb[:m])
                for l in range(L):  # forward, in place
                    z = np.matmul(acts[-1], W[l], out=Z[l][:m])
                    z += B[l]
                    if l < L - 1:
                        acts.append(np.maximum(z, 0, out=z))
                z -= z.max(axis=1, keepdims=True)  # softmax, then dZ = (P - Y) / m
                np.exp(z, out=z)
                z /= z.sum(axis=1, keepdims=True)
                z -= yb
                z *= 1.0 / m
                dz, c = z, self.alpha / m
                for l in range(L - 1, -1, -1):  # backward
                    np.matmul(acts[l].T, dz, out=dW[l])
                    dW[l] += np.multiply(W[l], c, out=T[l])
                    np.sum(dz, axis=0, out=dB[l])
                    if l:
                        dz = np.matmul(dz, W[l].T, out=dA[l - 1][:m])
                        dz *= np.greater(acts[l], 0, out=mask[l - 1][:m])
                t += 1
                c1, c2 = 1.0 / (1.0 - b1 ** t), 1.0 / (1.0 - b2 ** t)
                for p, g, mm, vv, tmp in zip(params, dW + dB, M, V, T):  # Adam
                    mm *= b1
                    mm += np.multiply(g, 1.0 - b1, out=tmp)
                    vv *= b2
                    np.multiply(g, g, out=tmp)
                    tmp *= 1.0 - b2
                    vv += tmp
                    np.sqrt(np.multiply(vv, c2, out=tmp), out=tmp)
                    tmp += eps
                    np.divide(mm, tmp, out=tmp)
                    tmp *= lr * c1
                    p -= tmp
        self.coefs_, self.intercepts_, self.classes_ = W, B, classes
        return self


class GemmFloor:
    def __init__(self, hidden, max_iter, batch_size=256, n_outputs=10):
        self.hidden, self.max_iter = tuple(hidden), max_iter
        self.batch_size, self.n_outputs = batch_size, n_outputs

    def fit(self, X, y=None):
        dt, (n, d), bs = X.dtype, X.shape, self.batch_size
        sizes = (d, *self.hidden, self.n_outputs)
        rng = np.random.default_rng(0)
        W = [rng.standard_normal((a, b)).astype(dt) for a, b in zip(sizes[:-1], sizes[1:])]
        Z = [np.empty((bs, s), dt) for s in sizes[1:]]
        dA = [np.empty((bs, s), dt) for s in sizes[1:-1]]
        dW = [np.empty_like(w) for w in W]
        for _ in range(self.max_iter):
            for start in range(0, n, bs):
                acts = [X[start:start + bs]]
                m = acts[0].shape[0]
                for l in range(len(W)):
                    acts.append(np.matmul(acts[-1], W[l], out=Z[l][:m]))
                dz = acts[-1]
                for l in range(len(W) - 1, -1, -1):
                    np.matmul(acts[l].T, dz, out=dW[l])
                    if l:
                        dz = np.matmul(dz, W[l].T, out=dA[l - 1][:m])
        return self
