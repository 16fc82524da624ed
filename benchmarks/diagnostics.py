"""Section (i): what the training diagnostics cost, as a fraction of an epoch.

* **Dead-unit counting** (:class:`sknn_scratch.training.activity.UnitActivity`):
  one pass per hidden layer over the first mini-batch's activations (which the
  forward pass already computed), then only the columns of the units not yet
  seen alive this epoch. Measured as the best time of the counter's calls for
  one epoch's batches against the best time of a whole epoch (with the counter).
* **End-of-fit check** (:func:`sknn_scratch.training.outcome.fit_outcome`): one
  forward pass over at most 2000 training rows after ``fit``, for the poor-stop
  and one-class warnings. Reported per epoch of a default fit (the pass divided
  by the epochs run), and as a fraction of one epoch.

* **Scale check** (:func:`sknn_scratch.training.diagnostics.scale_hint`) at the
  start of every dense fit, on logistic.py's dense wide 2,000 x 20,000, against
  scikit-learn's whole ``LogisticRegression().fit`` there (0.46 s; the check took
  0.20 s before it read blocks of whole rows and sampled wide X down to 500 rows).
  Target: at most 10% of that fit (~0.05 s).

Target: the diagnostics cost at most 2% of a training epoch. Also prints issue
11's (5, 2) relu two-moons case (Adam, lr 0.0007, batch 64, He init, 10,000
epochs: ~1 min) with the dead fraction of each layer, unless ``quick``.

    python benchmarks/diagnostics.py [--quick]
"""

import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits, make_moons  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import _common as C  # noqa: E402
from sknn_scratch import DeepNNClassifier  # noqa: E402
from sknn_scratch.core import losses, network  # noqa: E402
from sknn_scratch.optim import make_optimizer  # noqa: E402
from sknn_scratch.training.activity import UnitActivity  # noqa: E402
from sknn_scratch.training.diagnostics import scale_hint  # noqa: E402
from sknn_scratch.training.loop import (LoopSettings, make_workspace,  # noqa: E402
                                        train_epoch)
from sknn_scratch.training.outcome import fit_outcome  # noqa: E402

TARGET = 0.02
#: The scale check's target, as a fraction of scikit-learn's logistic regression fit.
SCALE_TARGET = 0.10


def _epoch_times(X, y, hidden, batch_size, repeats):
    """Best epoch time, and the best time of the counter's calls for one epoch's
    batches on the same workspace (timed on their own: the machine's noise on a
    whole epoch is larger than the counter's cost)."""
    arch = network.Architecture((X.shape[1], *hidden, int(y.max()) + 1), "relu")
    rng = np.random.default_rng(0)
    coefs, intercepts = network.init_params(arch, "he", rng)
    opt = make_optimizer("adam")
    state = opt.init(coefs + intercepts)
    Y = losses.one_hot(y, arch.layer_sizes[-1], dtype=bool)
    w = np.ones(X.shape[0])
    settings = LoopSettings(learning_rate=1e-3, batch_size=batch_size, alpha=1e-4)
    ws = make_workspace(arch, X, X.dtype, settings)
    activity = UnitActivity(arch, X.dtype)
    sizes = [min(batch_size, X.shape[0] - s) for s in range(0, X.shape[0], batch_size)]

    def count_one_epoch():
        activity.start_epoch()
        for m in sizes:
            activity.observe(ws, m)
        return activity.dead_fractions()

    epoch, counting = np.inf, np.inf
    for _ in range(repeats):
        t, _ = C.timed(lambda: train_epoch(arch, coefs, intercepts, opt, state, X, Y,
                                           w, settings, 1e-3, rng, ws, None, activity))
        epoch = min(epoch, t)
        counting = min(counting, C.timed(count_one_epoch)[0])
    return epoch, counting, arch, coefs, intercepts


def run(quick=False):
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rows, results = [], {}
    cases = [("digits (64, 32), batch 200", X, y, (64, 32), 200),
             ("digits (64, 32), batch 32", X, y, (64, 32), 32)]
    for label, Xc, yc, hidden, batch in cases:
        epoch, t_count, arch, coefs, intercepts = _epoch_times(Xc, yc, hidden, batch,
                                                               20 if quick else 60)
        counting = t_count / epoch
        t_check, _ = C.timed(lambda: fit_outcome(arch, coefs, intercepts, Xc, yc,
                                                 np.ones(len(yc)), 10))
        with C.quiet():
            n_epochs = DeepNNClassifier(hidden, batch_size=batch, random_state=0).fit(
                Xc, yc).n_iter_
        check = t_check / epoch
        total = counting + check / n_epochs
        results[label] = {"epoch_s": epoch, "counting_ratio": counting,
                          "check_s": t_check, "check_per_epoch_ratio": check,
                          "epochs": n_epochs, "total_ratio": total}
        rows.append(C.row(
            "i", f"diagnostics cost per epoch, {label}",
            ours=f"{total:.2%}", reference=f"epoch {epoch * 1e3:.2f} ms",
            result=(f"count {counting:.2%} + end check {check:.0%} of an epoch / "
                    f"{n_epochs} epochs"),
            target=f"<= {TARGET:.0%}", ok="yes" if total <= TARGET else "NO"))
    rows.append(_scale_check_row(results))
    if not quick:
        Xm, ym = make_moons(300, noise=0.2, random_state=0)
        fractions = []
        for seed in range(4):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                est = DeepNNClassifier((5, 2), solver="adam", learning_rate=0.0007,
                                       batch_size=64, max_iter=10_000, tol=None,
                                       init="he", alpha=0, random_state=seed).fit(Xm, ym)
            said = any("dead units" in str(w.message) for w in caught)
            fractions.append((seed, est.score(Xm, ym), est.dead_fraction_, said))
        results["moons (5, 2) relu, 10,000 epochs"] = fractions
        rows.append(C.row(
            "i", "issue 11's (5, 2) relu moons: dead layer warned",
            result="; ".join(f"seed {s}: acc {a:.2f}, dead {[round(f, 2) for f in d]}"
                             f"{', warned' if w else ''}" for s, a, d, w in fractions),
            ok="yes" if all(w == (d[-1] == 1.0) for _, _, d, w in fractions) else "NO"))
    return rows, results


def _scale_check_row(results):
    """The scale check on the dense wide shape against sklearn's fit there."""
    import logistic  # the dense wide shape's labels

    rng = np.random.default_rng(17)
    X = rng.standard_normal((2_000, 20_000))
    y = logistic.labels(X, 2, rng, informative=0.01, signal=2.0)
    check = min(C.timed(lambda: scale_hint(X))[0] for _ in range(5))
    with C.quiet():
        fit = min(C.timed(lambda: LogisticRegression().fit(X, y))[0] for _ in range(2))
    ratio = check / fit
    results["scale check, dense wide"] = {"check_s": check, "sklearn_fit_s": fit,
                                          "ratio": ratio}
    return C.row("i", "scale check at the start of a fit, dense wide 2,000 x 20,000",
                 ours=f"{check * 1e3:.1f} ms",
                 reference=f"sklearn LogisticRegression fit {fit:.2f} s",
                 result=f"{ratio:.1%} of sklearn's fit", target=f"<= {SCALE_TARGET:.0%}",
                 ok="yes" if ratio <= SCALE_TARGET else "NO")


if __name__ == "__main__":
    with C.thread_limit(1):
        table, _ = run(quick="--quick" in sys.argv)
    for r in table:
        print(f"{r['what']}: {r['ours'] or ''} {r['result']} (target {r['target']}, "
              f"ok {r['ok']}) {r['reference'] or ''}")
