"""(c) ScratchLogisticRegression(solver='newton') vs sklearn's LogisticRegression.

Same objective ``C sum l_i + 1/2 ||w||^2`` on breast_cancer and digits (both
standardised, C=1) and on the cat images (x/255, C=0.01). Accuracy of the
solution: max |coef - reference| where the reference is sklearn's newton-cholesky
at tol=1e-12 (affordable up to a few hundred coefficients); for cat (12,288
features: a 12,288^2 Hessian) the optimality residual instead, the largest entry
of the objective's gradient ``max |C X^T (p - y) + w|`` (0 at the optimum).
Times: both fits repeated, interleaved, median.
sklearn runs lbfgs at its default tol (1e-4) with max_iter raised to 10,000 so that
it stops on its tolerance, not on the iteration cap.
"""

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchLogisticRegression

import _common as C


def _datasets():
    out = []
    for name, loader in (("breast_cancer", load_breast_cancer), ("digits", load_digits)):
        X, y = loader(return_X_y=True)
        out.append((name, StandardScaler().fit_transform(X), y, 1.0))
    folder = C.catvnoncat_dir()
    if folder is not None:
        from sknn_scratch.datasets import load_catvnoncat

        cats = load_catvnoncat(folder)
        out.append(("cat", cats.train.data, cats.train.target, 0.01))
    return out


def optimality(X, y, coef, intercept, C_):
    """max |gradient| of C sum l + 1/2 ||w||^2 over coef (and C sum (p - y) for b)."""
    Z = X @ coef.T + intercept
    if coef.shape[0] == 1:
        P = 1 / (1 + np.exp(-Z))
        Y = (y == np.unique(y)[1]).astype(float)[:, None]
    else:
        Z = Z - Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        Y = (y[:, None] == np.unique(y)[None, :]).astype(float)
    R = P - Y
    grad_w = C_ * (R.T @ X) + coef
    grad_b = C_ * R.sum(axis=0)
    return float(max(np.abs(grad_w).max(), np.abs(grad_b).max()))


def run(quick=False):
    rows, results = [], {}
    for name, X, y, C_ in _datasets():
        repeats = 3 if name == "cat" else (5 if quick else 9)
        candidates = {
            "ours": lambda: ScratchLogisticRegression(C=C_, solver="newton").fit(X, y),
            "lbfgs": lambda: LogisticRegression(C=C_, max_iter=10_000).fit(X, y),
        }
        times = {k: [] for k in candidates}
        fitted = {}
        for _ in range(repeats):
            for key, fit in candidates.items():
                with C.quiet():
                    t, fitted[key] = C.timed(fit)
                times[key].append(t)
        t_ours, t_lbfgs = (float(np.median(times[k])) for k in ("ours", "lbfgs"))
        ours, lbfgs = fitted["ours"], fitted["lbfgs"]
        entry = {"C": C_, "shape": X.shape, "time_s": times, "median_s":
                 {"ours": t_ours, "lbfgs": t_lbfgs},
                 "n_iter": {"ours": int(ours.n_iter_), "lbfgs": int(np.max(lbfgs.n_iter_))},
                 "optimality": {k: optimality(X, y, m.coef_, m.intercept_, C_)
                                for k, m in fitted.items()}}
        if name != "cat":
            with C.quiet():
                ref = LogisticRegression(C=C_, solver="newton-cholesky", tol=1e-12,
                                         max_iter=1000).fit(X, y)
            entry["max_coef_diff"] = {
                k: float(np.abs(m.coef_ - ref.coef_).max()) for k, m in fitted.items()}
            entry["optimality"]["reference"] = optimality(X, y, ref.coef_,
                                                          ref.intercept_, C_)
            label, values = "max abs(coef - ref)", entry["max_coef_diff"]
        else:
            label, values = "max abs(C X^T(p-y) + w)", entry["optimality"]
        results[name] = entry
        rows.append(C.row(
            "c", f"LR {name} {X.shape[0]}x{X.shape[1]} C={C_:g}: {label}",
            f"{values['ours']:.1e}", f"lbfgs {values['lbfgs']:.1e}",
            f"{ours.n_iter_} vs {np.max(lbfgs.n_iter_)} iterations"))
        rows.append(C.row("c", f"LR {name}: fit time, s (median of {repeats})",
                          f"{t_ours:.4f}", f"lbfgs {t_lbfgs:.4f}",
                          f"{t_ours / t_lbfgs:.2f}x"))
    return rows, results
