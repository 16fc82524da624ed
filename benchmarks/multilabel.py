"""Multilabel y: DeepNNClassifier beside MLPClassifier, same data, same settings.

    python benchmarks/multilabel.py            # 3 data sets, 3 repeats each
    python benchmarks/multilabel.py --quick    # 1 data set, 1 repeat

Both nets get one hidden layer of 100 relu units, Adam (learning rate 1e-3),
mini-batches of 200, ``alpha=1e-4`` and 200 epochs (``tol=None`` for ours,
``n_iter_no_change=max_iter`` for MLPClassifier, so that both run every epoch).
Data: ``make_multilabel_classification`` (1,500 rows, 20 features, 5 labels),
standardised, fitted on 1,000 rows and scored on 500. Printed per data set:
subset accuracy (``score``), label accuracy (1 - Hamming loss), the final
training loss (the same summed per-label cross-entropy plus the same L2 term in
both) and the fit time (CPU time, one BLAS thread, the minimum of the repeats,
the two candidates interleaved), with the ratio ours / MLPClassifier.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402
from sklearn.datasets import make_multilabel_classification  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import _common as C  # noqa: E402
from sknn_scratch import DeepNNClassifier  # noqa: E402

EPOCHS = 200


def candidates():
    return {
        "DeepNNClassifier": lambda: DeepNNClassifier(
            (100,), solver="adam", learning_rate=1e-3, batch_size=200, alpha=1e-4,
            max_iter=EPOCHS, tol=None, random_state=0),
        "MLPClassifier": lambda: MLPClassifier(
            (100,), solver="adam", learning_rate_init=1e-3, batch_size=200, alpha=1e-4,
            max_iter=EPOCHS, n_iter_no_change=EPOCHS, random_state=0),
    }


def measure(seed, repeats):
    X, Y = make_multilabel_classification(1500, 20, n_classes=5, random_state=seed)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, Y_train, Y_test = X[:1000], X[1000:], Y[:1000], Y[1000:]
    results = {}
    for _ in range(repeats):
        for name, make in candidates().items():  # interleaved
            with C.quiet():
                seconds, est = C.timed(lambda: make().fit(X_train, Y_train))
            times = results.setdefault(name, {"seconds": []})["seconds"]
            times.append(seconds)
            results[name].update(
                subset=est.score(X_test, Y_test),
                labels=float(np.mean(est.predict(X_test) == Y_test)),
                loss=est.loss_curve_[-1])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds, repeats = ((0,), 1) if args.quick else ((0, 1, 2), 3)
    with C.thread_limit(1):
        print(f"{'data':>5} {'model':<17} {'subset acc':>10} {'label acc':>9} "
              f"{'loss':>7} {'fit (s)':>8}")
        for seed in seeds:
            res = measure(seed, repeats)
            for name, r in res.items():
                print(f"{seed:>5} {name:<17} {r['subset']:>10.3f} {r['labels']:>9.3f} "
                      f"{r['loss']:>7.4f} {min(r['seconds']):>8.2f}")
            ours, ref = res["DeepNNClassifier"], res["MLPClassifier"]
            print(f"{'':>5} {'ours / MLP':<17} {ours['subset'] - ref['subset']:>+10.3f} "
                  f"{ours['labels'] - ref['labels']:>+9.3f} {'':>7} "
                  f"{min(ours['seconds']) / min(ref['seconds']):>7.2f}x")


if __name__ == "__main__":
    main()
