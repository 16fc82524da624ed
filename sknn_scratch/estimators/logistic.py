"""ScratchLogisticRegression: a net with no hidden layer (the notes' one neuron)."""

import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from .. import _callbacks
from .._compat import Interval, SparseCoefMixin, StrOptions
from ..core import losses, network
from ..training import diagnostics, stops
from ..training.loop import TrainingResult, make_evaluator
from ._docs import shared_docs
from . import _data, _linear_solvers
from .base import BaseScratchClassifier


@shared_docs
class ScratchLogisticRegression(SparseCoefMixin, BaseScratchClassifier):
    """Logistic regression (sigmoid for two classes, multinomial softmax otherwise).

    It minimises scikit-learn's ``LogisticRegression`` objective with an L2 penalty,

        C * sum_i w_i l_i + 1/2 ||coef||^2        (intercept not penalised),

    so ``coef_`` compares directly with ``LogisticRegression(C=C)``. Internally the
    objective is divided by ``C sum w``, i.e. it is the nets' weighted mean loss
    with ``alpha = 1 / C`` (same minimiser).

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength; ``np.inf`` means no penalty (the notes'
        logistic regression).
    solver : {'auto', 'newton', 'lbfgs', 'gd', 'momentum', 'rmsprop', 'adam'}, \
            default='auto'
        'newton' is Newton's method with Hessian-vector products and conjugate
        gradient (needs no learning rate; stops within about 1e-4 of the
        optimum's coefficients at the default tol). 'lbfgs' is limited-memory
        BFGS with scikit-learn's lbfgs stopping rule: one gradient per step, no
        Hessian, as precise as ``LogisticRegression()``; ``partial_fit`` takes one
        iteration per call, keeping its curvature pairs from call to call. 'auto'
        is 'newton' while one pass over X costs at most 2M multiply-adds
        (``nnz(X)`` times the outputs: one for two classes, ``n_classes`` else;
        digits and the other small datasets) or its steps are exact and cheap, in
        ``partial_fit``, and on dense features of very different scales; 'lbfgs'
        above (see
        :mod:`sknn_scratch.estimators._linear_solvers`); the ``stop_message_`` says
        which ran. The others are the notes' first-order methods.
    learning_rate : float, default=0.01
        Step size of the first-order solvers.
    batch_size : int, 'auto' or None, default=None
        None is full-batch gradient descent, 1 is SGD, 'auto' is
        ``min(200, n_samples)``. Ignored by 'newton' and 'lbfgs'.
    max_iter : int, default=100
        Epochs (first-order), Newton or L-BFGS iterations.
    tol : float or None, default=1e-4
        First-order: stop when the loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. Newton and L-BFGS: stop when the largest
        entry of the gradient of the objective divided by ``C sum w`` is at most
        ``tol`` (scikit-learn's newton-cg and lbfgs rule, same scale); Newton
        confirms it by the Newton decrement (see
        :func:`sknn_scratch.optim.newton.newton_cg`), L-BFGS also stops when a
        step lowers the objective by round-off only (scikit-learn's ``ftol``); a
        ConvergenceWarning says why when they cannot get there. None runs all
        ``max_iter`` epochs (as ``SGDClassifier(tol=None)``; the notes' fixed
        iteration counts); Newton and L-BFGS then stop only when no step lowers
        the objective any more.
    n_iter_no_change : int or np.inf, default=10
        np.inf never stops on the loss plateau (as MLPClassifier accepts it).
    momentum, beta_1, beta_2, epsilon : float
        Hyperparameters of the 'momentum', 'rmsprop' and 'adam' solvers.
    init : {'zeros', 'random', 'xavier', 'he'}, default='zeros'
        Initial weights (zeros is fine without hidden layers).
    <<schedule_and_early_stopping>>
    <<class_weight_and_warm_start>>
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        A scipy.sparse CSR matrix after :meth:`sparsify` (:meth:`densify` undoes
        it); prediction works either way, and ``fit``, ``partial_fit``, model
        files and ONNX export use the dense weights.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    coefs_, intercepts_ : list of one ndarray
        The same weights in the nets' layout (``coef_ = coefs_[0].T``).
    n_iter_ : int
        Epochs / Newton or L-BFGS iterations of the last ``fit`` or ``partial_fit`` call.
    t_ : int
        Training samples seen (rows times epochs), as MLPClassifier's.
    loss_curve_ : list of float
        The (internally scaled) objective after each epoch / iteration, since
        initialisation.
    history_ : list of dict
    <<stop_attributes>>

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), ScratchLogisticRegression()).fit(X, y)
    >>> round(clf.score(X, y), 2)
    0.99
    """

    _accepts_multilabel = False  # as LogisticRegression: see _multilabel

    _parameter_constraints = {
        **BaseScratchClassifier._parameter_constraints,
        "solver": [StrOptions({"auto", "newton", "lbfgs", "gd", "momentum", "rmsprop",
                               "adam"})],
        "C": [Interval(Real, 0, None, closed="right")],
        "init": [StrOptions({"zeros", "random", "xavier", "he"})],
    }

    def __init__(self, C=1.0, *, solver="auto", learning_rate=0.01, batch_size=None,
                 max_iter=100, tol=1e-4, n_iter_no_change=10, momentum=0.9,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, init="zeros",
                 learning_rate_schedule="constant", decay_rate=None, decay_steps=None,
                 early_stopping=False, validation_fraction=0.1,
                 class_weight=None, warm_start=False, random_state=None, verbose=0):
        self.C = C
        self.solver = solver
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.init = init
        self.learning_rate_schedule = learning_rate_schedule
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @property
    def coef_(self):
        """Weights, shape (1, n_features) for two classes, (n_classes, n_features) else.

        An ndarray, or a scipy.sparse CSR matrix after :meth:`sparsify`.
        """
        return self.coefs_[0].T

    @coef_.setter
    def coef_(self, value):
        # sparsify()/densify() (scikit-learn's SparseCoefMixin) assign coef_; the
        # weights live in coefs_[0] = coef_.T (CSR.T is CSC, no copy; dense in C order
        # as fit stores them, so predictions use the same products)
        self.coefs_ = [value.T if sp.issparse(value)
                       else np.ascontiguousarray(np.asarray(value).T)]

    def _logits(self, X):
        check_is_fitted(self)
        if not sp.issparse(self.coefs_[0]):
            return super()._logits(X)
        X = _data.validate_predict_data(self, X)
        # sparsified: Z = X W + b with a sparse W (LinearClassifierMixin's product)
        Z = safe_sparse_dot(X, self.coefs_[0], dense_output=True)
        return np.asarray(Z) + self.intercepts_[0]

    @property
    def intercept_(self):
        return self.intercepts_[0]

    def _architecture(self, n_features, n_outputs):
        return network.Architecture((n_features, n_outputs), "identity")

    def _alpha(self):
        return 0.0 if np.isinf(self.C) else 1.0 / self.C

    def _full_batch_solver(self, X, sw, n_outputs, incremental):
        if self.solver not in _linear_solvers.SOLVERS:
            return None  # a first-order solver: the training loop
        return _linear_solvers.choose_solver(self.solver, X, sw, n_outputs,
                                             self._alpha(), incremental)

    def _train_full_batch(self, solver, arch, coefs, intercepts, X, Y, sw, incremental,
                          dev=None, carried=None):
        n_in, n_out = coefs[0].shape
        method = stops.METHODS[solver]
        if self.early_stopping and not incremental:
            raise ValueError(
                "early_stopping=True needs a first-order solver ('gd', 'momentum', "
                f"'rmsprop' or 'adam'); solver={self.solver!r} stops when the gradient "
                f"is below tol. To follow a dev set with {method}, pass X_val and "
                "y_val.")
        with np.errstate(over="ignore"):  # an overflowing sum is reported below
            alpha, weight_sum = self._alpha(), float(sw.sum())
        if not np.isfinite(weight_sum):  # the objective is not a number: no step
            return TrainingResult(
                coefs=coefs, intercepts=intercepts, opt_state=None, records=[],
                stop_reason="diverged", message=f"{method} did not start. "
                + diagnostics.weight_overflow_cause(weight_sum).replace(
                    "; the learning rate is not the cause", ""), n_samples=X.shape[0])
        Xc, Yc, swc = X, Y.astype(np.float64, copy=False), sw.astype(np.float64)
        unpack = _linear_solvers.unpacker(n_in, n_out)

        def params(theta):
            W, b = unpack(theta)
            return [W.astype(X.dtype)], [b.astype(X.dtype)]

        theta0 = np.concatenate([coefs[0].ravel(), intercepts[0]]).astype(np.float64)
        # One callback subtask per Newton or L-BFGS iteration (None without callbacks).
        tasks = _callbacks.iteration_subtasks(self, f"{solver}-iter")
        evaluate = None if dev is None else make_evaluator(
            arch, dev[0], losses.one_hot(dev[1], n_out if n_out > 1 else 2, dev[0].dtype),
            dev[2])
        # the records so far: each callback's per-iteration model is built from them
        run = TrainingResult(coefs=None, intercepts=None, opt_state=None,
                             n_samples=X.shape[0])
        if tasks is not None:
            tasks.start(run)

        def keep_record(iteration, loss, theta):
            record = {"epoch": iteration, "loss": loss, "val_loss": None,
                      "val_score": None, "learning_rate": None, "grad_norms": None,
                      "dead_fraction": []}  # no hidden layer
            if evaluate is not None:
                record["val_loss"], record["val_score"] = evaluate(*params(theta))
            run.records.append(record)

        def on_iteration(iteration, loss, theta):
            keep_record(iteration, loss, theta)
            return tasks is not None and tasks.end(*params(theta))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # exp overflow in search
            run_solver = (_linear_solvers.run_newton if solver == "newton"
                          else _linear_solvers.run_lbfgs)
            res, state, objective = run_solver(
                Xc, Yc, swc, weight_sum, alpha, theta0, tol=self.tol or 0.0,
                max_iter=1 if incremental else self.max_iter, carried=carried,
                on_iteration=on_iteration)
        if not run.records:  # no step taken: one record of the starting point
            keep_record(1, res.losses[0], res.theta)
        records = [dict(record) for record in run.records]
        if tasks is not None:
            tasks.close(len(records), *params(res.theta))
        stopped = tasks is not None and tasks.stopped
        stop_reason, message = None, None
        # L-BFGS also stops, as scikit-learn's does, where a step lowers the
        # objective by round-off only: converged for scikit-learn, but with the
        # gradient above tol it is a stall, and says why (ConvergenceWarning)
        failure = ("round-off" if res.converged and res.grad_max > (self.tol or 0.0)
                   else res.failure)
        if res.converged and failure is None:
            stop_reason = "converged"
        elif stopped:
            stop_reason = "callback"
        else:  # overflow: a DivergenceWarning; a failed line search, round-off or
            # max_iter: a ConvergenceWarning (see _fitting.warn_about)
            stop_reason = {"overflow": "diverged", "line search": "stalled",
                           "round-off": "stalled"}.get(failure)
            largest = abs(X).max() if X.size else 0.0
            message = diagnostics.newton_message(failure, res.losses, res.grad_max,
                                                 self.tol or 0.0, self.max_iter, largest,
                                                 res.start_loss, solver=solver)
        W, b = unpack(res.theta)
        if self.verbose:
            for r in records:
                print(f"{method} iteration {r['epoch']}, loss = {r['loss']:.8f}")
        result = TrainingResult(
            coefs=[W.astype(X.dtype)], intercepts=[b.astype(X.dtype)], opt_state=None,
            records=records, stop_reason=stop_reason, message=message,
            n_samples=X.shape[0],
            # L-BFGS's pairs are 2 x 10 vectors of the parameters' size (80 MB for
            # 10 classes of 50,000 features): kept only for a fit that may be
            # continued (warm_start, partial_fit); Newton's state is two numbers
            # and a point
            solver_state=(state if solver == "newton" or self.warm_start or incremental
                          else None),
            # float64 X: the stored weights are theta itself, so are its predictions
            predicted=(_linear_solvers.final_predictions(objective, res.theta)
                       if X.dtype == np.float64 else None))
        return result
