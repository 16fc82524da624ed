"""ScratchLogisticRegression's full-batch solvers: Newton-CG and L-BFGS, one objective.

Both minimise :class:`..core.linear.LinearObjective` (scikit-learn's objective
divided by ``C sum w``) over ``theta = (W row by row, b)`` and return the same
kind of result (``theta``, ``losses``, ``converged``, ``failure``,
``grad_max``, ``start_loss``), so the estimator records, reports and stores
them alike.

``solver='auto'`` (the default) picks one by the cost of a pass over the data,
as PCA's ``svd_solver='auto'`` trades exactness for speed above a size:

* **Newton** while one product with ``X`` costs at most
  :data:`AUTO_NEWTON_MAX_WORK` multiply-adds (``nnz(X)`` times the outputs), and
  whenever its step is exact and cheap (a few parameters, or few rows of many
  features with one output). A whole fit then takes tens of milliseconds, and
  its stopping rule (the gradient test confirmed by the Newton decrement) lands
  within about 1e-4 of the optimum's coefficients, where ``LogisticRegression()``
  stops up to 0.3 away (benchmarks, section c).
* **L-BFGS** above it (``partial_fit`` excepted: one Newton step per batch, as
  before; and dense features of very different scales, where L-BFGS crawls and
  Newton's preconditioned CG does not: see :func:`choose_solver`), with
  scikit-learn's lbfgs stopping rule. Each Newton step there costs
  tens of Hessian products, each as dear as a gradient, to reach a precision far
  below what ``tol=1e-4`` asks and what the data's own noise warrants; L-BFGS
  needs one gradient per step (benchmarks, section j: on 20,000 x 300 with 10
  classes, 11 gradients against Newton's 7 steps and about 50 products).
"""

import numpy as np
import scipy.sparse as sp

from ..core import hessian as linear_hessian
from ..core.block_jacobi import BlockJacobi, BuildPolicy, nonzero_fraction
from ..core.hessian import (LinearHessian, inverse_diagonal, inverse_diagonal_bound,
                            squared_entries)
from ..core.linear import LinearObjective
from ..optim.lbfgs import Memory, lbfgs
from ..optim.newton import ExactStep, exact_step, newton_cg

#: ScratchLogisticRegression's full-batch solvers (iterations, a gradient test).
SOLVERS = ("auto", "newton", "lbfgs")

#: solver='auto' uses Newton up to this many multiply-adds per product with X
#: (``nnz(X) * n_outputs``; digits' 1,797 x 64 x 10 is 1.15M): about 2 ms per
#: product here, a Newton fit well under a second.
AUTO_NEWTON_MAX_WORK = 2_000_000
#: L-BFGS shapes ``H_0`` by H's diagonal, and 'auto' keeps Newton on dense X, when
#: the diagonal's bounds span more than this factor (:func:`scales_differ`).
DIAGONAL_SPREAD = 10.0
#: Rows of a dense X's strided sample in :func:`scales_differ`.
SPREAD_SAMPLE_ROWS = 256


def direct_step(n_rows, n_in, n_out, alpha):
    """How Newton solves ``H p = -g``: ``'matrix'`` (H itself, a few parameters),
    ``'sample space'`` (one output, few rows of many features) or ``'cg'``.

    The exact ones need a penalty: without one, separable data can leave ``H``
    singular, which CG handles as it comes.
    """
    if alpha > 0 and (n_in + 1) * n_out <= linear_hessian.MATRIX_MAX_PARAMETERS:
        return "matrix"
    if (alpha > 0 and n_out == 1 and n_rows <= linear_hessian.SAMPLE_SPACE_MAX_ROWS
            and n_in >= linear_hessian.SAMPLE_SPACE_WIDTH * n_rows):
        return "sample space"
    return "cg"


def choose_solver(solver, X, sw, n_out, alpha, incremental):
    """The solver that runs: ``solver`` itself, or what ``'auto'`` means for ``X``
    (``sw``: the sample weights)."""
    if solver != "auto":
        return solver
    if incremental:
        return "newton"
    work = (X.nnz if sp.issparse(X) else X.size) * n_out
    if work <= AUTO_NEWTON_MAX_WORK or direct_step(*X.shape, n_out, alpha) != "cg":
        return "newton"
    # dense features of very different scales (unstandardised): L-BFGS crawls
    # even from the Hessian's diagonal, where Newton's preconditioned CG does not
    # (2,000 x 400, 3 classes, scales 1e-2 .. 1e2: L-BFGS at max_iter=100 in 0.21 s,
    # Newton converged in 11 iterations, 0.13 s; 5,000 x 500: 22 s for 3,000 L-BFGS
    # iterations against Newton's 2.3 s). Sparse data's spread is the words'
    # frequencies, where L-BFGS with the diagonal wins (benchmark j).
    if isinstance(X, np.ndarray) and scales_differ(X, sw, float(sw.sum()), alpha):
        return "newton"
    return "lbfgs"


def unpacker(n_in, n_out):
    """``theta -> (W, b)``: views of the flat vector's two parts."""
    def unpack(theta):
        return theta[: n_in * n_out].reshape(n_in, n_out), theta[n_in * n_out:]
    return unpack


def run_newton(X, Y, sw, weight_sum, alpha, theta0, *, tol, max_iter, carried,
               on_iteration):
    """Newton-CG (:func:`..optim.newton.newton_cg`) from ``theta0``.

    Returns ``(result, state, objective)``: ``state`` is the preconditioner's
    build policy after the run, for a warm start that continues a fit cut short
    (``carried``: that of the fit resumed, or None); ``objective`` the
    :class:`LinearObjective`, which holds the point it evaluated last and its
    probabilities (see :func:`final_predictions`).
    """
    n_in, n_out = X.shape[1], Y.shape[1]
    unpack = unpacker(n_in, n_out)
    # With a penalty, exact steps: from the Hessian itself for a few parameters,
    # in sample space for one output and few rows of many features; dense and
    # sparse X alike, so both give the same fit. Else CG preconditioned by a bound
    # on H's diagonal: Newton on raw features as on standardised ones.
    how = direct_step(X.shape[0], n_in, n_out, alpha)
    sample_space = (linear_hessian.SampleSpaceStep(X, sw, weight_sum, alpha)
                    if how == "sample space" else None)
    cg = how == "cg"
    inverse = inverse_diagonal_bound(X, sw, weight_sum, alpha, n_out) if cg else None
    # Multinomial CG: per-class blocks of H once a solve has cost more products
    # than building them (core.block_jacobi.BuildPolicy; shapes and counts
    # only), continued from the fit a warm start resumes
    # (a state carried from Newton's fit, not from L-BFGS's)
    carried = carried if cg and isinstance(carried, tuple) else None
    policy = BuildPolicy(X.shape[0], n_in, n_out, carried,
                         nonzero_fraction(X) if cg and n_out > 1 else 1.0)
    # The objective keeps the probabilities of the latest point evaluated:
    # Newton asks for the Hessian where the line search accepted its last
    # evaluation, so they cost no pass over X.
    fun_grad = LinearObjective(X, Y, sw, weight_sum, alpha)
    # the blocks in use (None: those of the fit resumed, not rebuilt yet)
    preconditioner = [None if policy.built_at is not None else inverse]

    def make_hvp(theta):
        # newton_cg asks for H at the point it evaluated last (theta0, then each
        # line search's accepted trial, the same sum theta + step p): its
        # probabilities are the objective's, no second pass over X
        P = fun_grad.probabilities
        if sample_space is not None:
            return ExactStep(lambda g: sample_space(P, g))
        hessian = LinearHessian(X, P, sw, weight_sum, alpha)
        if how == "matrix":
            H = hessian.matrix()
            return ExactStep(lambda g: exact_step(H, g))

        if policy.build_now(fun_grad.theta):
            preconditioner[0] = BlockJacobi(X, P, sw, weight_sum, alpha)
        elif preconditioner[0] is None:  # where the resumed fit built them
            then = LinearObjective(X, Y, sw, weight_sum, alpha)
            then(policy.built_at)
            preconditioner[0] = BlockJacobi(X, then.probabilities, sw, weight_sum,
                                            alpha)

        def hvp(v):
            policy.products += 1
            HW, hb = hessian.product(*unpack(v))
            return np.concatenate([HW.ravel(), hb])

        return hvp, preconditioner[0]

    res = newton_cg(fun_grad, make_hvp, theta0, tol=tol, max_iter=max_iter,
                    on_iteration=on_iteration)
    # a fit cut short (max_iter, partial_fit, a callback) hands its preconditioner
    # policy to the warm start that continues it; a finished one (converged,
    # stalled) begins afresh, as its stopping rules do
    cut_short = not res.converged and res.failure is None
    return res, (policy.state_at(res.theta) if cut_short else None), fun_grad


def scales_differ(X, sw, weight_sum, alpha):
    """Whether the bounds on H's diagonal (``mean_w x^2 / 4 + alpha / S`` per
    feature, ``1/4`` for the intercepts: every curvature ``p (1 - p)`` at 1/4)
    span more than :data:`DIAGONAL_SPREAD`: features of very different scales or
    frequencies. It decides 'auto''s solver on dense X and L-BFGS's ``H_0``.

    Features zero in every row are left out: their curvature is the penalty's
    alone and they do not slow either solver down (a constant pixel, a
    standardised constant column). Sparse X: the means over all rows (one
    product with its squared entries). Dense X: over a strided sample of about
    :data:`SPREAD_SAMPLE_ROWS` rows (a pass over X costs 37 ms of a 0.4 s fit on
    2,000 x 20,000), and over all rows for the features the sample sees only as
    zeros (a rare feature is kept, a feature zero everywhere left out).
    """
    w = sw / weight_sum
    if isinstance(X, np.ndarray):
        rows = slice(None, None, max(1, X.shape[0] // SPREAD_SAMPLE_ROWS))
        sample, share = X[rows], float(w[rows].sum())
        squares = (np.einsum("ij,ij,i->j", sample, sample, w[rows], dtype=np.float64)
                   / share if share > 0 else np.zeros(X.shape[1]))
        missed = np.flatnonzero(squares == 0)
        if missed.size:
            unseen = X[:, missed]
            squares[missed] = np.einsum("ij,ij,i->j", unseen, unseen, w,
                                        dtype=np.float64)
    else:
        squares = np.asarray(squared_entries(X).T @ w)
    bounds = np.append(squares[squares > 0] / 4 + alpha / weight_sum, 0.25)
    return bounds.max() > DIAGONAL_SPREAD * bounds.min()


def run_lbfgs(X, Y, sw, weight_sum, alpha, theta0, *, tol, max_iter, carried,
              on_iteration):
    """L-BFGS (:func:`..optim.lbfgs.lbfgs`) from ``theta0``; ``(result, state,
    objective)`` as :func:`run_newton`, ``state`` its memory of pairs when the
    run was cut short (max_iter, partial_fit, a callback), for a warm start that
    continues it (``carried``), step for step.

    ``H_0`` is shaped by the inverse of the Hessian's diagonal where the bound on
    it that preconditions Newton's CG (every curvature ``p (1 - p)`` at 1/4)
    spans more than :data:`DIAGONAL_SPREAD`: features of different scales or
    frequencies (text-like sparse data, raw pixels), whose first steps are then
    those of standardised features. The diagonal itself, at the point evaluated
    last, every :data:`..optim.lbfgs.REFRESH_EVERY` steps (one product of the
    squared X with the curvatures): on the sparse shapes of benchmark j it saved
    a quarter to a third of the iterations the bound needs. On
    standardised dense data the bound is the identity within sampling noise, and
    the identity is used: L-BFGS then takes
    scipy's steps, and ``LogisticRegression()``'s iterates (measured: the same
    objective to 1e-7 on 20,000 x 300 and 2,000 x 20,000 standard-normal data,
    where the noise in the diagonal alone moved the stopping point 6e-4). The
    pairs are kept in memory only, not in model files: resumed from a file,
    L-BFGS begins them afresh, as scikit-learn's warm start does.
    """
    fun_grad = LinearObjective(X, Y, sw, weight_sum, alpha)
    refresh = None
    if scales_differ(X, sw, weight_sum, alpha):
        squared = None if isinstance(X, np.ndarray) else squared_entries(X)

        def refresh():  # at the point evaluated last: the accepted one, as a rule
            return inverse_diagonal(X, fun_grad.probabilities, sw, weight_sum, alpha,
                                    squared)

    res = lbfgs(fun_grad, theta0, tol=tol, max_iter=max_iter, refresh=refresh,
                on_iteration=on_iteration,
                pairs=carried if isinstance(carried, Memory) else None)
    cut_short = not res.converged and res.failure is None
    return res, (res.pairs if cut_short else None), fun_grad


def final_predictions(objective, theta):
    """The class codes ``theta`` predicts on the training rows, if ``objective``
    evaluated ``theta`` last (the usual end: the accepted step), else None.

    From its probabilities: argmax of the softmax (that of the logits), or
    ``p > 1/2`` for one sigmoid output (``z > 0`` up to ``|z| < 1e-16``).
    """
    if objective.theta is None or not np.array_equal(objective.theta, theta):
        return None
    P = objective.probabilities
    return (P[:, 0] > 0.5).astype(np.intp) if P.shape[1] == 1 else P.argmax(axis=1)
