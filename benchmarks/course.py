"""(b) The course's full-batch 4-layer cat net: DeepNNClassifier vs the notes' loop.

The net (20, 7, 5), relu, sigmoid output, W ~ randn / sqrt(n_prev), plain gradient
descent lr 0.0075 on all 209 training images at once (x/255, 12,288 features), no
L2. The reference is the notes' code as a student writes it: samples as columns,
``W[l]`` of shape (n_l, n_{l-1}), L_model_forward / compute_cost / L_model_backward
/ update_parameters with their caches. X is the course's ``train_x_orig.reshape(m,
-1).T / 255`` (a (12288, 209) F-ordered array, the same memory as our (209, 12288)
C-ordered rows).

Both run the same N epochs (2,500, or 300 with --quick) in 10 blocks, interleaved
(ours continues with ``warm_start``): the ratio is the median of the block-time
ratios, the totals are the sums.
"""

import numpy as np

from sknn_scratch import DeepNNClassifier
from sknn_scratch.datasets import load_catvnoncat

import _common as C

LAYERS, LEARNING_RATE = (20, 7, 5), 0.0075


# ------------------------------------------------------- the notes' code (columns)
def initialize_parameters_deep(layer_dims, rng):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = (rng.standard_normal((layer_dims[l], layer_dims[l - 1]))
                                    / np.sqrt(layer_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(0, Z), Z


def relu_backward(dA, cache):
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    A, activation_cache = sigmoid(Z) if activation == "sigmoid" else relu(Z)
    return A, ((A_prev, W, b), activation_cache)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)],
                                             parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)],
                                          parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    current_cache = caches[L - 1]
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \
        linear_activation_backward(dAL, current_cache, "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)],
                                                     current_cache, "relu")
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = (parameters["W" + str(l + 1)]
                                        - learning_rate * grads["dW" + str(l + 1)])
        parameters["b" + str(l + 1)] = (parameters["b" + str(l + 1)]
                                        - learning_rate * grads["db" + str(l + 1)])
    return parameters


def course_epochs(X, Y, parameters, learning_rate, num_iterations):
    """The body of the notes' ``L_layer_model`` loop (costs kept as it does)."""
    costs = []
    for _ in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        costs.append(compute_cost(AL, Y))
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs


def course_predict(X, parameters):
    AL, _ = L_model_forward(X, parameters)
    return (AL > 0.5).astype(int).ravel()


# ------------------------------------------------------------------ the benchmark
def run(quick=False, blocks=10):
    folder = C.catvnoncat_dir()
    if folder is None:
        note = ("skipped: catvnoncat files not found ($SKNN_SCRATCH_DATA or "
                "../shared/datasets/catvnoncat)")
        return [C.row("b", "course cat net", result=note)], {"skipped": note}
    cats = load_catvnoncat(folder)
    X, y = cats.train.data, cats.train.target
    X_test, y_test = cats.test.data, cats.test.target
    epochs = 300 if quick else 2500
    per_block = epochs // blocks

    # the course's layout: (n_x, m), F-ordered as train_x_orig.reshape(m, -1).T / 255
    X_cols, Y_cols = X.T, y.reshape(1, -1).astype(np.float64)
    parameters = initialize_parameters_deep((X.shape[1], *LAYERS, 1),
                                            np.random.default_rng(1))
    ours = DeepNNClassifier(LAYERS, activation="relu", init="xavier", solver="gd",
                            batch_size=None, learning_rate=LEARNING_RATE, tol=None,
                            alpha=0.0, max_iter=per_block, warm_start=True,
                            random_state=1)
    t_ours, t_course = [], []
    for _ in range(blocks):
        with C.quiet():
            t_ours.append(C.timed(lambda: ours.fit(X, y))[0])
        t, (parameters, _) = C.timed(lambda: course_epochs(
            X_cols, Y_cols, parameters, LEARNING_RATE, per_block))
        t_course.append(t)
    ratio = float(np.median(np.array(t_ours) / np.array(t_course)))
    total_ours, total_course = sum(t_ours), sum(t_course)
    acc = {
        "ours": (ours.score(X, y), ours.score(X_test, y_test)),
        "course": (float(np.mean(course_predict(X_cols, parameters) == y)),
                   float(np.mean(course_predict(X_test.T, parameters) == y_test))),
    }
    what = f"cat net 12288-20-7-5-1, {epochs} full-batch epochs, s"
    rows = [C.row("b", what, f"{total_ours:.2f}", f"notes' loop {total_course:.2f}",
                  f"{ratio:.2f}x (median of {blocks} blocks)", "<= 0.50x",
                  ratio <= 0.50),
            C.row("b", "cat net train / test accuracy after the run",
                  f"{acc['ours'][0]:.3f} / {acc['ours'][1]:.2f}",
                  f"notes' loop {acc['course'][0]:.3f} / {acc['course'][1]:.2f}",
                  "course: 0.986 / 0.80 (one seed)")]
    results = {"epochs": epochs, "blocks": blocks, "block_s_ours": t_ours,
               "block_s_course": t_course, "ratio_median": ratio,
               "total_s_ours": total_ours, "total_s_course": total_course,
               "accuracy_train_test": acc, "n_iter_ours": ours.n_iter_}
    return rows, results
