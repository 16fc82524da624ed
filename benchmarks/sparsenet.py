"""(k) Nets on sparse input: DeepNNClassifier((64,)) vs MLPClassifier on CSR.

CSR 20,000 x 20,000 of 0/1, 0.5% non-zeros (text-like column frequencies, see
logistic.py), 5 classes drawn from a sparse true linear model; both nets with
Adam, batch 200, learning rate 1e-3, alpha 1e-4 (MLPClassifier's defaults).

* time of one epoch, (fit with 3 epochs - fit with 1) / 2, interleaved repeats
  (target: <= 0.7x MLPClassifier's);
* accuracy on 5,000 held-out rows after 5 epochs (target: MLPClassifier's,
  within 0.01);
* peak allocation of a 1-epoch fit beyond X (tracemalloc; target: no more than
  MLPClassifier's plus one copy of X's index arrays, ``indices`` and ``indptr``).
"""

import numpy as np
from sklearn.neural_network import MLPClassifier

from sknn_scratch import DeepNNClassifier

import _common as C
from logistic import labels, sparse_binary_features
from memory import peak_allocation

N_TRAIN, N_TEST, N_FEATURES, DENSITY, N_CLASSES = 20_000, 5_000, 20_000, 0.005, 5
HIDDEN, BATCH, TARGET = (64,), 200, 0.7


def data(n_train=N_TRAIN):
    rng = np.random.default_rng(20)
    X = sparse_binary_features(n_train + N_TEST, N_FEATURES, DENSITY, rng)
    y = labels(X, N_CLASSES, rng, signal=3.0)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def make(name, max_iter):
    if name == "ours":
        return DeepNNClassifier(HIDDEN, alpha=1e-4, learning_rate=1e-3,
                                batch_size=BATCH, max_iter=max_iter, tol=None,
                                random_state=0)
    return MLPClassifier(HIDDEN, alpha=1e-4, learning_rate_init=1e-3, batch_size=BATCH,
                         max_iter=max_iter, tol=0.0, n_iter_no_change=10**9,
                         random_state=0)


def run(quick=False):
    X, y, X_test, y_test = data(8_000 if quick else N_TRAIN)
    timing = C.per_epoch(make, ["ours", "mlp"], X, y, lo=1, hi=3,
                         repeats=2 if quick else 3)
    ours, mlp = timing["ours"]["epoch_s"], timing["mlp"]["epoch_s"]
    accuracy, peaks = {}, {}
    for who in ("ours", "mlp"):
        with C.quiet():
            accuracy[who] = make(who, 5).fit(X, y).score(X_test, y_test)
            peaks[who], _ = peak_allocation(lambda: make(who, 1).fit(X, y))
    index_bytes = X.indices.nbytes + X.indptr.nbytes
    ratio = ours / mlp
    shape = f"{X.shape[0]:,}x{X.shape[1]:,} CSR {X.nnz / np.prod(X.shape):.1%}"
    rows = [
        C.row("k", f"net (64,) on {shape}, {N_CLASSES} classes: s/epoch", f"{ours:.3f}",
              f"MLP {mlp:.3f}", f"{ratio:.2f}x", f"<= {TARGET:.2f}x", ratio <= TARGET),
        C.row("k", "  held-out accuracy after 5 epochs", f"{accuracy['ours']:.3f}",
              f"MLP {accuracy['mlp']:.3f}", None, "MLP's - 0.01",
              accuracy["ours"] >= accuracy["mlp"] - 0.01),
        C.row("k", "  fit peak beyond X (1 epoch)", C.mb(peaks["ours"]),
              f"MLP {C.mb(peaks['mlp'])}",
              f"X's index arrays {C.mb(index_bytes)}", "<= MLP + index arrays",
              peaks["ours"] <= peaks["mlp"] + index_bytes)]
    results = {"shape": X.shape, "nnz": int(X.nnz), **timing, "ratio": ratio,
               "accuracy": accuracy, "peak_bytes": peaks, "index_bytes": index_bytes}
    return rows, results


if __name__ == "__main__":
    import sys

    with C.thread_limit(1):
        table_rows, _ = run(quick="--quick" in sys.argv)
    for r in table_rows:
        print(r["what"], "|", r["ours"], "|", r["reference"], "|", r["result"], "|",
              r["ok"])
