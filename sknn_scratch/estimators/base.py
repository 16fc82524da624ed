"""BaseScratchClassifier: the scikit-learn face shared by the three estimators.

The subclasses only say which network they want (``_architecture``), how strong
the L2 term is (``_alpha``) and which parameters they accept. Everything else —
validation, label encoding, weights, the training loop, prediction — is here,
once, on top of :mod:`sknn_scratch.core` and :mod:`sknn_scratch.training`.
"""

import copy
import functools
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, check_random_state

from .. import _callbacks
from .._callbacks import CallbackSupportMixin, with_callbacks
from .._compat import Interval, StrOptions, _fit_context, validate_params
from ..core import losses, network, predict
from ..optim.schedules import SCHEDULES
from . import _data, _fitting


def dense_weights(weights):
    """``weights`` as ndarrays: a ``sparsify()``-ed matrix (scipy.sparse) becomes the
    C-ordered array it was made from; dense arrays are returned as they are."""
    return [np.asarray(W.toarray(order="C")) if sp.issparse(W) else W for W in weights]


def _keep_state_on_error(method):
    """A failed ``fit``/``partial_fit`` leaves the estimator exactly as it was."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    return wrapper


class BaseScratchClassifier(predict.PredictFromLogitsMixin, CallbackSupportMixin,
                            ClassifierMixin, BaseEstimator):
    """Common machinery; use one of the concrete classifiers."""

    _parameter_constraints = {
        "solver": [StrOptions({"gd", "momentum", "rmsprop", "adam"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left"),
                       None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES))],
        "decay_rate": [Interval(Real, 0, None, closed="left")],
        "decay_steps": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- what subclasses provide -------------------------------------------------
    def _architecture(self, n_features, n_outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _alpha(self):
        """L2 strength in the nets' scaling ``alpha 1/2 ||W||^2 / sum w``."""
        return self.alpha

    def _new_rng(self):
        """The one Generator of a fresh fit, drawn from ``random_state``."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng(seed)

    def _init_name(self):
        return self.init

    def _train_newton(self, arch, coefs, intercepts, X, Y, sw, incremental):  # pragma: no cover
        raise NotImplementedError

    # -- fitting ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    @_keep_state_on_error
    @with_callbacks  # innermost: teardown before _keep_state_on_error restores
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
        """Fit the model to data X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 input gives float32 weights.
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings), at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights act as row repetitions.
        X_val, y_val : array-like, default=None
            An explicit dev set (HistGradientBoosting's names): its loss and
            accuracy are recorded every epoch (``validation_loss_curve_``,
            ``validation_scores_``) and, with ``early_stopping=True``, it drives
            early stopping instead of a held-out ``validation_fraction``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the dev samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "classes_")
        X, y = _data.validate_training_data(self, X, y, reset=not warm)
        classes = unique_labels(y)
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start can only continue with the same classes: fitted on "
                f"{self.classes_.tolist()}, got {classes.tolist()}."
            )
        dev = _data.validate_dev_set(self, X_val, y_val, sample_weight_val, classes)
        return self._fit(X, y, sample_weight, classes, incremental=False, resume=warm,
                         dev=dev)

    @_fit_context(prefer_skip_nested_validation=True)
    @_keep_state_on_error
    @with_callbacks  # innermost: teardown before _keep_state_on_error restores
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over (X, y), continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever appear; required on the first call,
            optional later (it must then match ``classes_``).

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "classes_")
        if not first:  # _fit_context skips this once fitted; a bad set_params must not
            validate_params(self)  # train silently (e.g. a negative learning_rate)
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: it lists "
                "every class that later batches may contain."
            )
        X, y = _data.validate_training_data(self, X, y, reset=first)
        if classes is not None:
            classes = unique_labels(classes)
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"`classes={classes.tolist()}` is not the same as on the first "
                    f"call to partial_fit, {self.classes_.tolist()}."
                )
        else:
            classes = self.classes_
        if len(classes) < 2:
            raise ValueError(
                "partial_fit needs at least 2 classes in `classes`, got only one "
                f"class: {classes.tolist()}."
            )
        return self._fit(X, y, sample_weight, classes, incremental=True,
                         resume=not first)

    def _fit(self, X, y, sample_weight, classes, *, incremental, resume, dev=None):
        codes = _data.encode_labels(y, classes)
        sw = _data.combined_weights(sample_weight, X, y, self.class_weight, classes)
        if not incremental:
            _data.check_two_classes(codes, sw, classes)
        if not resume:
            _fitting.warn_if_unscaled(self, X)
        arch = self._architecture(X.shape[1], losses.n_outputs(len(classes)))

        if resume:
            rng = copy.deepcopy(self._rng)
            # not copied here: the training loop packs them into its own vector
            coefs = [W.astype(X.dtype, copy=False) for W in dense_weights(self.coefs_)]
            intercepts = [b.astype(X.dtype, copy=False) for b in self.intercepts_]
        else:
            rng = self._new_rng()
            coefs, intercepts = network.init_params(arch, self._init_name(), rng,
                                                    X.dtype)

        with _callbacks.fit_task(self, X, y, sample_weight, classes, coefs, intercepts,
                                 max_subtasks=1 if incremental else self.max_iter):
            if self.solver == "newton":
                Y = losses.one_hot(codes, len(classes), dtype=X.dtype)
                outcome = self._train_newton(arch, coefs, intercepts, X, Y, sw,
                                             incremental)
            else:
                outcome = _fitting.train_first_order(
                    self, arch, coefs, intercepts, X, codes, sw, len(classes), rng,
                    incremental=incremental, resume=resume, dev=dev)
            self._store(outcome, classes, arch, rng, resume)
        _fitting.warn_about(self, outcome, incremental)
        return self

    def _extra_monitors(self):
        """Loop monitors beyond the estimator's own: one callback subtask per epoch."""
        return _callbacks.epoch_subtasks(self)

    def _store(self, result, classes, arch, rng, resume):
        """Set every fitted attribute at once, after training succeeded."""
        previous = self.history_ if resume else []
        for i, record in enumerate(result.records):
            record["epoch"] = len(previous) + i + 1
        history = previous + result.records
        self.classes_ = classes
        coefs, intercepts = result.coefs, result.intercepts
        if not all(W.flags.c_contiguous for W in coefs):
            # The loop stores wide layers column by column (core.flat); in row order
            # predictions use the same products as a model loaded from a file. All
            # are copied, so that the training vector is not kept alive for the rest.
            coefs = [np.array(W, order="C") for W in coefs]
            intercepts = [b.copy() for b in intercepts]
        self.coefs_, self.intercepts_ = coefs, intercepts
        self.n_layers_ = arch.n_layers + 1
        self.n_outputs_ = arch.layer_sizes[-1]
        self.out_activation_ = "logistic" if self.n_outputs_ == 1 else "softmax"
        self.history_ = history
        self.loss_curve_ = [r["loss"] for r in history]
        self.loss_ = self.loss_curve_[-1] if history else np.nan
        self.best_loss_ = min(self.loss_curve_) if history else np.nan
        self.n_iter_ = len(history)
        dev = [r for r in history if r["val_score"] is not None]
        self.validation_scores_ = [r["val_score"] for r in dev] if dev else None
        self.validation_loss_curve_ = [r["val_loss"] for r in dev] if dev else None
        self.best_validation_score_ = max(self.validation_scores_) if dev else None
        self._optimizer_state = result.opt_state
        self._rng = rng

    def _objective_inputs(self, X, y, sample_weight=None):
        """Everything the training objective needs at the current point, in float64.

        A fitted estimator gives its weights; an unfitted one the weights its
        ``fit`` would start from (same ``random_state``). Nothing is written to
        ``self``. Used by :func:`sknn_scratch.check_gradients`.
        """
        fitted = hasattr(self, "classes_")
        est = self if fitted else clone(self)
        validate_params(self)  # as fit would: InvalidParameterError naming it
        X, y = _data.validate_training_data(est, X, y, reset=not fitted)
        classes = self.classes_ if fitted else unique_labels(y)
        codes = _data.encode_labels(y, classes)
        sw = _data.combined_weights(sample_weight, X, y, self.class_weight, classes)
        if not fitted:
            _data.check_two_classes(codes, sw, classes)
        arch = est._architecture(X.shape[1], losses.n_outputs(len(classes)))
        rng = self._new_rng()
        if fitted:
            coefs, intercepts = dense_weights(self.coefs_), self.intercepts_
        else:
            coefs, intercepts = network.init_params(arch, self._init_name(), rng)
        X = X.astype(np.float64)
        masks = network.draw_dropout_masks(arch, X.shape[0],
                                           getattr(self, "dropout", 0.0), rng)
        return dict(arch=arch, coefs=coefs, intercepts=intercepts, X=X,
                    Y=losses.one_hot(codes, len(classes)), sample_weight=sw.astype(
                        np.float64), alpha=self._alpha(), masks=masks)

    # -- prediction ---------------------------------------------------------------
    # The maths is in core.predict, shared with the NumPy-only sknn_scratch.runtime.
    def _arch(self):
        return predict.architecture(self.coefs_, getattr(self, "activation", "identity"))

    def _logits(self, X):
        check_is_fitted(self)
        X = _data.validate_predict_data(self, X)
        return predict.logits(self._arch(), self.coefs_, self.intercepts_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = True
        return tags
