"""Section (o): one evaluation of the logistic objective and its gradient.

:class:`sknn_scratch.core.linear.LinearObjective` (what Newton's method and
L-BFGS call once per iteration or line-search trial) against scikit-learn's
``LinearModelLoss.loss_gradient`` (what its lbfgs and newton-cg call), on the
same coefficients, on section (j)'s shapes (``logistic.datasets``) but the dense
wide one and the cat images. Both get the same problem: the multinomial or
binary loss with intercept, ``C = 1`` (``l2_reg_strength = 1 / n``), unit
weights, the run's BLAS threads (one by default; sklearn's own loops get as
many). The two are interleaved, repeated and summarised by their minimum CPU
time (see ``_common``); their objectives are compared too (they must agree to
1e-12 relative, else the timing would compare different work).

Target (issue "fastobj"): ours at most sklearn's time (ratio <= 1) on every shape.

    python benchmarks/objective.py [--quick]
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402
from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss  # noqa: E402
from sklearn.linear_model._linear_loss import LinearModelLoss  # noqa: E402

import _common as C  # noqa: E402
import logistic  # noqa: E402
from sknn_scratch.core import losses  # noqa: E402
from sknn_scratch.core.linear import LinearObjective  # noqa: E402

TARGET = 1.0
SHAPES = ("sparse binary", "sparse 10-class", "dense 10-class", "breast_cancer", "digits")


def candidates(X, y, seed=0):
    """``(ours, sklearn's)``: two zero-argument calls evaluating the same point."""
    classes = np.unique(y)
    codes = np.searchsorted(classes, y)
    Y = losses.one_hot(codes, len(classes), dtype=np.float64)
    n, d = X.shape
    K = Y.shape[1]
    objective = LinearObjective(X, Y, np.ones(n), float(n), 1.0)
    # coefficients of the size a fit meets (logits of order 1)
    theta = np.random.default_rng(seed).standard_normal(d * K + K) * 0.1
    W, b = theta[: d * K].reshape(d, K), theta[d * K:]
    if K == 1:
        loss = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        coef, target = np.concatenate([W[:, 0], b]), codes.astype(np.float64)
    else:  # sklearn's layout: (K, d + 1), raveled column-major as its lbfgs does
        loss = LinearModelLoss(HalfMultinomialLoss(n_classes=K), fit_intercept=True)
        coef = np.column_stack([W.T, b]).ravel(order="F")
        target = codes.astype(np.float64)

    def ours():
        return objective(theta)[0]

    def theirs():
        return loss.loss_gradient(coef, X, target, l2_reg_strength=1.0 / n,
                                  n_threads=C.THREADS)[0]

    return ours, theirs


def compare(X, y, repeats, calls):
    """Best seconds per call of ours and sklearn's, interleaved, and both objectives."""
    ours, theirs = candidates(X, y)
    values = ours(), theirs()  # also warms up caches and SciPy's kernel check
    best = {ours: np.inf, theirs: np.inf}
    for _ in range(repeats):
        for fn in (ours, theirs):
            t, _ = C.timed(lambda: [fn() for _ in range(calls)])
            best[fn] = min(best[fn], t / calls)
    return best[ours], best[theirs], values


def run(quick=False):
    rows, results = [], {}
    with C.thread_limit():
        for name, X, y, note in logistic.datasets(quick=quick):
            if name not in SHAPES:
                continue
            # large shapes: single calls, the best of many (a burst of load from
            # other processes spoils one call, not a batch); small ones in batches
            small = X.shape[0] * X.shape[1] < 1e6
            repeats, calls = (7, 200) if small else (30 if quick else 50, 1)
            t_ours, t_sk, (f_ours, f_sk) = compare(X, y, repeats, calls)
            agree = abs(f_ours - f_sk) <= 1e-12 * abs(f_sk)
            ratio = t_ours / t_sk
            results[name] = {"ours_s": t_ours, "sklearn_s": t_sk, "ratio": ratio,
                             "objective_ours": f_ours, "objective_sklearn": f_sk}
            rows.append(C.row(
                "o", f"objective + gradient, {name} {X.shape[0]:,}x{X.shape[1]:,}{note}",
                f"{t_ours * 1e3:.2f} ms", f"{t_sk * 1e3:.2f} ms (LinearModelLoss)",
                f"{ratio:.2f}x" + ("" if agree else " (objectives DIFFER)"),
                f"<= {TARGET:g}x", bool(ratio <= TARGET and agree)))
    return rows, results


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    print(f"load average {C.load_average()}")
    for r in run(quick)[0]:
        print(f"{r['what']:58s} ours {r['ours']:>9s}  sklearn {r['reference']:>28s}"
              f"  {r['result']:>8s} {'ok' if r['ok'] else 'MISS'}")
    print(f"load average {C.load_average()}")
