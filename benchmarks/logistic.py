"""(j) ScratchLogisticRegression vs LogisticRegression, both at their defaults (C=1).

The data users bring to logistic regression: sparse, wide, multiclass. For each
shape both estimators are fitted at their defaults and compared on the objective
both minimise,

    C * sum_i log-loss_i + 1/2 ||coef||^2     (intercept not penalised),

with the multinomial loss and all ``n_classes`` coefficient rows penalised for more
than two classes (what scikit-learn's lbfgs minimises since 1.5). Target (issue
14): our objective at least as low as lbfgs' (to 1e-6 relative) in at most 1x
its fit time, both measured in this run (CPU time, one BLAS thread, interleaved
repeats, minimum).

Our default ``solver='auto'`` runs Newton's method on the small shapes
(breast_cancer, digits, cat: within 1e-4 of the optimum's coefficients, about 1e-8
relative on the objective) and L-BFGS with lbfgs' own stopping rule on the large
ones (the row says which ran). Where Newton runs, the two stop at very different
accuracies (lbfgs at ``tol=1e-4`` up to 1e-1 relative above the optimum), so each
shape has a second row, for
information (the measured floor of the issue's closing note, not a target): the
time lbfgs needs to reach OUR objective (lbfgs' objective <= ours + 1e-6 |ours|)
and our time over it. That run is scikit-learn's own lbfgs call (same loss, same
scipy L-BFGS-B options, same iterates as ``LogisticRegression()``) with a
callback that stops at the first iterate low enough, rather than refits over a
decreasing sequence of ``tol`` whose timed fit would overshoot the target by its
own tolerance: see ``_equal_accuracy.py``. It is interleaved with the two fits
above, capped at ``EQ_CAP_FACTOR`` x lbfgs' default time (a capped run prints
"not reached in N s" and an upper bound on the ratio), and run once only when it
takes over ``EQ_SINGLE_S``. Where both default fits are cheap (``NEWTON_MAX_S``),
a third row gives scikit-learn's newton-cg (our algorithm) refitted over a
decreasing ``tol`` until it reaches our objective: an upper bound on its time, as
it has no callback to stop it at the target. newton-cholesky is left out: its
dense Hessian costs 29 s on the dense 10-class shape and does not fit in memory
on the sparse and wide ones.

The synthetic shapes are generated here with fixed seeds. Labels come from a
sparse "true" linear model plus noise (drawn from its sigmoid / softmax
probabilities), so the problem is neither separable nor pure noise:

* sparse binary and sparse 10-class CSR 50,000 x 50,000, 0.2% non-zeros, all 1
  (bag-of-words presence), column frequencies skewed as in text (Zipf-like);
* dense 10-class 20,000 x 300 standard-normal;
* dense wide binary 2,000 x 20,000 standard-normal;
* breast_cancer and digits (standardised) and the cat images (x / 255, when
  SKNN_SCRATCH_DATA points at them).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchLogisticRegression

import _common as C
import _equal_accuracy as E

#: Relative slack on the objective (the issue's "to 1e-6 relative").
SLACK = 1e-6
TIME_TARGET = 1.0
#: lbfgs-to-our-objective runs stop after this many times lbfgs' default fit time
#: (or EQ_MAX_ITER iterations) and say so; one run only when it takes over EQ_SINGLE_S
#: (the CPU time of a run that long varies by a few % between runs).
EQ_CAP_FACTOR = 10.0
EQ_MAX_ITER = 20_000
EQ_SINGLE_S = 10.0
#: scikit-learn's newton-cg refitted to our objective (``_equal_accuracy``) only
#: where both default fits take at most this, capped at EQ_CAP_FACTOR x the slower.
NEWTON_MAX_S = 5.0


def sparse_binary_features(n_samples, n_features, density, rng):
    """CSR of 0/1 with ``density`` non-zeros, column frequencies Zipf-like."""
    per_row = max(1, int(round(density * n_features)))
    # column popularity ~ 1 / rank^0.8 (skewed as words are), in random order
    popularity = 1.0 / np.arange(1, n_features + 1) ** 0.8
    popularity = rng.permutation(popularity / popularity.sum())
    cols = rng.choice(n_features, size=(n_samples, per_row), p=popularity)
    rows = np.repeat(np.arange(n_samples), per_row)
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols.ravel())),
                      shape=(n_samples, n_features))
    X.sum_duplicates()
    X.data[:] = 1.0  # presence, not counts
    return X


def labels(X, n_classes, rng, informative=0.05, signal=1.0):
    """Labels drawn from a sparse true linear model's probabilities."""
    n_features = X.shape[1]
    k = 1 if n_classes == 2 else n_classes
    W = np.zeros((n_features, k))
    chosen = rng.random((n_features, k)) < informative
    W[chosen] = rng.standard_normal(chosen.sum())
    Z = np.asarray(X @ W)
    Z *= signal / max(Z.std(), 1e-12)  # logits of standard deviation `signal`
    if k == 1:
        return (rng.random(Z.shape[0]) < 1 / (1 + np.exp(-Z[:, 0]))).astype(int)
    Z += rng.gumbel(size=Z.shape)  # argmax of logits + Gumbel noise ~ softmax draw
    return Z.argmax(axis=1)


def datasets(quick=False):
    """``(name, X, y, note)`` for each shape (note: how it was shrunk, if it was)."""
    out = []
    n_sparse = 20_000 if quick else 50_000
    note = "" if not quick else " (quick: 20,000 rows)"
    rng = np.random.default_rng(14)
    X = sparse_binary_features(n_sparse, 50_000, 0.002, rng)
    out.append(("sparse binary", X, labels(X, 2, rng, signal=3.0), note))
    rng = np.random.default_rng(15)
    X = sparse_binary_features(n_sparse, 50_000, 0.002, rng)
    out.append(("sparse 10-class", X, labels(X, 10, rng, signal=3.0), note))
    rng = np.random.default_rng(16)
    X = rng.standard_normal((20_000, 300))
    out.append(("dense 10-class", X, labels(X, 10, rng, signal=2.0), ""))
    rng = np.random.default_rng(17)
    X = rng.standard_normal((2_000, 20_000))
    out.append(("dense wide", X, labels(X, 2, rng, informative=0.01, signal=2.0), ""))
    for name, loader in (("breast_cancer", load_breast_cancer), ("digits", load_digits)):
        X, y = loader(return_X_y=True)
        out.append((name, StandardScaler().fit_transform(X), y, ""))
    folder = C.catvnoncat_dir()
    if folder is not None:
        from sknn_scratch.datasets import load_catvnoncat

        cats = load_catvnoncat(folder)
        out.append(("cat", cats.train.data, cats.train.target, ""))
    return out


def objective(X, y, coef, intercept, C_=1.0):
    """``C sum log-loss + 1/2 ||coef||^2`` (binary: one row; else multinomial)."""
    classes = np.unique(y)
    Z = np.asarray(X @ coef.T) + intercept
    if coef.shape[0] == 1:
        z, t = Z[:, 0], (y == classes[1])
        loss = np.logaddexp(0.0, z) - np.where(t, z, 0.0)  # -log sigmoid(+-z)
    else:
        codes = np.searchsorted(classes, y)
        top = Z.max(axis=1)
        log_norm = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
        loss = log_norm - Z[np.arange(Z.shape[0]), codes]
    return float(C_ * loss.sum() + 0.5 * np.sum(np.asarray(coef) ** 2))


def solver_that_ran(model):
    """'Newton' or 'L-BFGS': what ``solver='auto'`` chose (its stop message says)."""
    return "L-BFGS" if model.stop_message_.startswith("L-BFGS") else "Newton"


def within_slack(ours):
    """The highest objective that counts as ours: ours + 1e-6 |ours| (the target's)."""
    return ours + SLACK * abs(ours)


def newton_cg_row(X, y, name, best, obj):
    """scikit-learn's newton-cg refitted to our objective, when cheap (see E)."""
    slowest = max(best.values())
    if slowest > NEWTON_MAX_S:
        return {"skipped": f"fits over {NEWTON_MAX_S:.0f} s"}, None
    run = E.refits_to_objective(X, y, within_slack(obj["ours"]),
                                cap_s=EQ_CAP_FACTOR * slowest)
    if run["reached"]:
        ratio = run["ratio"] = best["ours"] / run["seconds"]
        result = (f">= {ratio:.2f}x at equal accuracy (one fit, run to its own tol: "
                  f"an upper bound on its time; all refits {run['total_s']:.3f} s)")
    else:
        result = (f"not reached ({run['stop']}) after refits totalling "
                  f"{run['total_s']:.1f} s")
    return run, C.row(
        "j", f"LR {name}: fit s, newton-cg refitted to our objective (tol 1e-4 down)",
        f"{best['ours']:.3f}",
        f"newton-cg {run['seconds']:.3f}, tol {run['tol']:.0e}, {run['n_iter']} it.",
        result, "info")


def compare(X, y, repeats):
    """Fit both at their defaults and run lbfgs to our objective, interleaved.

    Returns ``(times, fitted, eq_runs)``: per-candidate lists of seconds, the last
    fitted estimators, and the :func:`_equal_accuracy.lbfgs_to_objective` runs (a
    single one when the first takes over ``EQ_SINGLE_S`` or is capped).
    """
    candidates = {"ours": ScratchLogisticRegression,
                  "lbfgs": lambda: LogisticRegression(max_iter=100)}
    times = {k: [] for k in candidates}
    fitted, eq_runs, goal = {}, [], None
    for _ in range(repeats):
        for key, make in candidates.items():
            with C.quiet():
                t, fitted[key] = C.timed(lambda: make().fit(X, y))
            times[key].append(t)
        if goal is None:
            goal = within_slack(objective(X, y, fitted["ours"].coef_,
                                          fitted["ours"].intercept_))
        if not eq_runs or (eq_runs[0]["seconds"] <= EQ_SINGLE_S
                           and eq_runs[0]["stop"] != "cap"):
            eq_runs.append(E.lbfgs_to_objective(
                X, y, goal, cap_s=EQ_CAP_FACTOR * min(times["lbfgs"]),
                max_iter=EQ_MAX_ITER))
    return times, fitted, eq_runs


def equal_accuracy(X, y, eq_runs, best, obj, n_iter):
    """The equal-accuracy figures for results.json and the row's cells."""
    reached = [r for r in eq_runs if r["reached"]]
    chosen = min(reached or eq_runs, key=lambda r: r["seconds"])
    out = {"time_s": [r["seconds"] for r in eq_runs], "n_iter": chosen["n_iter"],
           "stop": chosen["stop"], "message": chosen["message"], "reached": bool(reached),
           # recomputed here, independently of lbfgs' own value
           "objective": objective(X, y, chosen["coef"], chosen["intercept"]),
           "min_s": chosen["seconds"],
           "ratio": best["ours"] / chosen["seconds"] if reached else None}
    default = (f"default lbfgs: {best['lbfgs']:.3f} s, {n_iter['lbfgs']} it., "
               f"{obj['lbfgs'] / obj['ours'] - 1:+.1e} rel. above ours")
    if reached:
        result = f"{out['ratio']:.2f}x at equal accuracy; {default}"
        reference = f"lbfgs to ours {chosen['seconds']:.3f}, {chosen['n_iter']} it."
    elif chosen["stop"] == "cap":  # lbfgs needs longer than the cap: ratio below this
        result = (f"not reached in {chosen['seconds']:.1f} s: ratio < "
                  f"{best['ours'] / chosen['seconds']:.2f}x; {default}")
        reference = f"lbfgs > {chosen['seconds']:.1f}, > {chosen['n_iter']} it."
    else:  # lbfgs stopped by itself (ftol, line search or max_iter) above ours
        result = (f"never reached: lbfgs stops ({chosen['stop']}) at "
                  f"{out['objective'] / obj['ours'] - 1:+.1e} rel.; {default}")
        reference = f"lbfgs {chosen['seconds']:.3f}, {chosen['n_iter']} it."
    return out, reference, result


def run(quick=False, verbose=False, only=None):
    rows, results = [], {}
    for name, X, y, note in datasets(quick):
        if only is not None and name.replace(" ", "_") not in only:
            continue
        repeats = 2 if quick or X.shape[0] * X.shape[1] > 1e7 else 5
        times, fitted, eq_runs = compare(X, y, repeats)
        best = {k: min(v) for k, v in times.items()}
        obj = {k: objective(X, y, m.coef_, m.intercept_) for k, m in fitted.items()}
        ratio = best["ours"] / best["lbfgs"]
        low_enough = obj["ours"] <= obj["lbfgs"] * (1 + SLACK)
        n_iter = {k: int(np.max(m.n_iter_)) for k, m in fitted.items()}
        eq, eq_reference, eq_result = equal_accuracy(X, y, eq_runs, best, obj, n_iter)
        results[name] = {"shape": X.shape, "nnz": int(X.nnz) if sp.issparse(X) else None,
                         "n_classes": int(np.unique(y).size), "time_s": times,
                         "min_s": best, "ratio": ratio, "objective": obj,
                         "n_iter": n_iter, "lbfgs_to_our_objective": eq,
                         "our_solver": solver_that_ran(fitted["ours"])}
        results[name]["newton_cg_to_our_objective"], newton_row = newton_cg_row(
            X, y, name, best, obj)
        shape = f"{X.shape[0]:,}x{X.shape[1]:,}" + (" CSR" if sp.issparse(X) else "")
        rows.append(C.row(
            "j", f"LR {name} {shape}{note}: fit s, objective",
            f"{best['ours']:.3f}, {obj['ours']:.6g}",
            f"lbfgs {best['lbfgs']:.3f}, {obj['lbfgs']:.6g}",
            f"{ratio:.2f}x; objective {obj['ours'] / obj['lbfgs'] - 1:+.1e} rel.; "
            f"{n_iter['ours']} {solver_that_ran(fitted['ours'])} vs {n_iter['lbfgs']} "
            "iterations",
            f"<= {TIME_TARGET:.2f}x, obj <= lbfgs", ratio <= TIME_TARGET and low_enough))
        rows.append(C.row(
            "j", f"LR {name}: fit s, lbfgs until our objective (+1e-6 rel.)",
            f"{best['ours']:.3f}, {n_iter['ours']} it.", eq_reference, eq_result,
            "info (floor)"))
        rows += [newton_row] if newton_row else []
        if verbose:
            for row in rows[-3 if newton_row else -2:]:
                print(row["what"], row["ours"], row["reference"], row["result"],
                      flush=True)
    return rows, results


if __name__ == "__main__":
    import sys

    with C.thread_limit(1):
        names = [a for a in sys.argv[1:] if a != "--quick"]  # e.g. sparse_binary
        run(quick="--quick" in sys.argv, verbose=True, only=names or None)
