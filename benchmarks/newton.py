"""(c) ScratchLogisticRegression(solver='newton') vs sklearn's LogisticRegression.

Same objective ``C sum l_i + 1/2 ||w||^2`` on breast_cancer and digits (both
standardised, C=1) and on the cat images (x/255, C=0.01). The reference solution
is sklearn's newton-cholesky at tol=1e-12 (affordable up to a few hundred
coefficients); for cat (12,288 features: a 12,288^2 Hessian) lbfgs at tol=1e-12,
whose optimality residual, the largest entry of the objective's gradient
``max |C X^T (p - y) + w|`` (0 at the optimum), is printed beside it.

The issue asks for coefficients equal to 1e-4 at no more than lbfgs' fit time.
lbfgs at its default tol (1e-4, a projected-gradient test) stops far from that
(1e-2 off on these data), so two times are compared: lbfgs at its default, and
lbfgs at the largest tol of 1e-5, 1e-6, ... whose coefficients are within 1e-4 of
the reference ("lbfgs to 1e-4"), the same accuracy as ours. max_iter is raised to
10,000 so that lbfgs stops on its tolerance, not on the iteration cap. Times:
fits repeated, interleaved, median.
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


#: The accuracy the issue asks for: max |coef - reference| and |intercept - reference|.
AGREEMENT = 1e-4


def _reference(name, X, y, C_):
    with C.quiet():
        if name == "cat":  # 12,288 features: no dense Hessian
            return LogisticRegression(C=C_, tol=1e-12, max_iter=100_000).fit(X, y)
        return LogisticRegression(C=C_, solver="newton-cholesky", tol=1e-12,
                                  max_iter=1000).fit(X, y)


def _difference(model, ref):
    return float(max(np.abs(model.coef_ - ref.coef_).max(),
                     np.abs(model.intercept_ - ref.intercept_).max()))


def _lbfgs_tol_for_agreement(X, y, C_, ref):
    """The largest lbfgs tol (1e-5, 1e-6, ...) whose fit is within AGREEMENT."""
    for tol in 10.0 ** -np.arange(5, 13):
        with C.quiet():
            model = LogisticRegression(C=C_, tol=tol, max_iter=10_000).fit(X, y)
        if _difference(model, ref) <= AGREEMENT:
            return float(tol)
    return 1e-12


def run(quick=False):
    rows, results = [], {}
    for name, X, y, C_ in _datasets():
        ref = _reference(name, X, y, C_)
        tol = _lbfgs_tol_for_agreement(X, y, C_, ref)
        repeats = 3 if name == "cat" else (5 if quick else 9)
        candidates = {
            "ours": lambda: ScratchLogisticRegression(C=C_, solver="newton").fit(X, y),
            "lbfgs": lambda: LogisticRegression(C=C_, max_iter=10_000).fit(X, y),
            "lbfgs_agreeing": lambda: LogisticRegression(
                C=C_, tol=tol, max_iter=10_000).fit(X, y),
        }
        times = {k: [] for k in candidates}
        fitted = {}
        for _ in range(repeats):
            for key, fit in candidates.items():
                with C.quiet():
                    t, fitted[key] = C.timed(fit)
                times[key].append(t)
        median = {k: float(np.median(v)) for k, v in times.items()}
        results[name] = {
            "C": C_, "shape": X.shape, "time_s": times, "median_s": median,
            "lbfgs_agreeing_tol": tol,
            "n_iter": {k: int(np.max(m.n_iter_)) for k, m in fitted.items()},
            "max_diff": {k: _difference(m, ref) for k, m in fitted.items()},
            "optimality": {**{k: optimality(X, y, m.coef_, m.intercept_, C_)
                              for k, m in fitted.items()},
                           "reference": optimality(X, y, ref.coef_, ref.intercept_, C_)}}
        entry = results[name]
        diff, n_iter = entry["max_diff"], entry["n_iter"]
        reference = "lbfgs tol=1e-12" if name == "cat" else "newton-cholesky tol=1e-12"
        rows.append(C.row(
            "c", f"LR {name} {X.shape[0]}x{X.shape[1]} C={C_:g}: max abs(coef - ref)",
            f"{diff['ours']:.1e}", f"lbfgs {diff['lbfgs']:.1e}",
            f"ref: {reference} (optimality {entry['optimality']['reference']:.0e}); "
            f"{n_iter['ours']} vs {n_iter['lbfgs']} iterations",
            f"<= {AGREEMENT:.0e}", diff["ours"] <= AGREEMENT))
        rows.append(C.row("c", f"LR {name}: fit time vs lbfgs at its default tol, s",
                          f"{median['ours']:.4f}", f"lbfgs {median['lbfgs']:.4f}",
                          f"{median['ours'] / median['lbfgs']:.2f}x (lbfgs "
                          f"{diff['lbfgs']:.0e} off)"))
        rows.append(C.row("c", f"LR {name}: fit time vs lbfgs to 1e-4, s",
                          f"{median['ours']:.4f}",
                          f"lbfgs {median['lbfgs_agreeing']:.4f}",
                          f"{median['ours'] / median['lbfgs_agreeing']:.2f}x (lbfgs "
                          f"tol={tol:.0e}, {n_iter['lbfgs_agreeing']} iterations)",
                          "<= 1.00x",
                          median["ours"] <= median["lbfgs_agreeing"]))
    return rows, results
