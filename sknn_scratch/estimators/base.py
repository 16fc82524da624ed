"""BaseScratchClassifier: the scikit-learn face shared by the three estimators.

The subclasses only say which network they want (``_architecture``), how strong
the L2 term is (``_alpha``) and which parameters they accept. Everything else —
validation, label encoding, weights, the training loop, prediction — is here,
once, on top of :mod:`sknn_scratch.core` and :mod:`sknn_scratch.training`.
"""

import copy
import dataclasses
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted, check_random_state

from .. import _callbacks
from .._callbacks import CallbackSupportMixin, with_callbacks
from .._compat import (Interval, IntervalNotBool, Options, StrOptions,
                       _fit_context, validate_params)
from ..core import losses, network, predict
from ..optim.schedules import SCHEDULES
from . import _data, _fitting, _snapshot
from ._atomic import keep_state_on_error as _keep_state_on_error
from ._weights import check_weight_shapes, dense_weights, row_ordered


#: Sizes and counts: positive ints, and not bools (``n_hidden=True`` is a mistake).
POSITIVE_INT = IntervalNotBool(Integral, 1, None, closed="left")


class BaseScratchClassifier(predict.PredictFromLogitsMixin, CallbackSupportMixin,
                            ClassifierMixin, BaseEstimator):
    """Common machinery; use one of the concrete classifiers."""

    _parameter_constraints = {
        "solver": [StrOptions({"gd", "momentum", "rmsprop", "adam"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), POSITIVE_INT, None],
        "max_iter": [POSITIVE_INT],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        # np.inf (never stop on the loss plateau) as MLPClassifier accepts it
        "n_iter_no_change": [POSITIVE_INT, Options(Real, {np.inf})],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "learning_rate_schedule": [StrOptions(set(SCHEDULES))],
        "decay_rate": [Interval(Real, 0, None, closed="left"), None],
        "decay_steps": [POSITIVE_INT, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- what subclasses provide -------------------------------------------------
    #: Whether a multilabel indicator ``y`` is fitted (one sigmoid output per label).
    _accepts_multilabel = True

    #: The parameter that sets the hidden layers (named when they change).
    _layers_parameter = None

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

    def _full_batch_solver(self, X, sw, n_outputs, incremental):
        """The full-batch solver that fits ``X`` ('newton', 'lbfgs'), or None for the
        first-order training loop (the nets)."""
        return None

    def _train_full_batch(self, solver, arch, coefs, intercepts, X, Y, sw, incremental,
                          dev=None, carried=None):  # pragma: no cover
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

        Notes
        -----
        With ``warm_start=True`` a fitted model continues from its weights and
        optimizer state when it can: the classes and the number of features must
        be the same (else ``ValueError``, as MLPClassifier). If the layer sizes
        changed since (``hidden_layer_sizes`` / ``n_hidden`` set to other
        values), the old weights cannot be reused: a ``UserWarning`` names the
        parameter and the fit starts afresh, as with ``warm_start=False``.
        ``n_iter_`` counts the epochs of this call, ``history_`` and
        ``loss_curve_`` all of them, ``t_`` the training samples seen since the
        model was initialised.
        """
        warm = self.warm_start and hasattr(self, "classes_")
        X, y = _data.validate_training_data(self, X, y, reset=not warm)
        classes = _data.fit_classes(self, y, warm)
        dev = _data.validate_dev_set(self, X_val, y_val, sample_weight_val, classes,
                                     multilabel=y.ndim == 2)
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

        Notes
        -----
        partial_fit continues the same model: the classes, the number of features
        and the layer sizes must stay as on the first call (a changed
        ``hidden_layer_sizes`` / ``n_hidden`` raises ``ValueError``; call ``fit``
        for a new network). ``class_weight='balanced'`` is refused, as in
        SGDClassifier: it would balance each batch on its own. ``n_iter_`` is 1
        (the epoch of this call), ``t_`` counts the samples seen so far.
        """
        first = not hasattr(self, "classes_")
        if not first:  # _fit_context skips this once fitted; a bad set_params must not
            validate_params(self)  # train silently (e.g. a negative learning_rate)
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: it lists "
                "every class that later batches may contain."
            )
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(  # SGDClassifier's wording
                "class_weight='balanced' is not supported for partial_fit: it would "
                "balance each batch on its own. In order to use 'balanced' weights, "
                "use compute_class_weight('balanced', classes=classes, y=y). In place "
                "of y you can use a large enough sample of the full training set "
                "target to properly estimate the class frequency distributions. Pass "
                "the resulting weights as the class_weight parameter."
            )
        X, y = _data.validate_training_data(self, X, y, reset=first)
        classes = _data.training_classes(self, y, classes, first)
        if len(classes) < 2:
            raise ValueError(
                "partial_fit needs at least 2 classes in `classes`, got only one "
                f"class: {classes.tolist()}."
            )
        return self._fit(X, y, sample_weight, classes, incremental=True,
                         resume=not first)

    def _fit(self, X, y, sample_weight, classes, *, incremental, resume, dev=None):
        codes, arch = self._targets_and_architecture(X, y, classes, incremental)
        if resume:
            resume = self._can_resume(arch, incremental)
        if resume:  # the model's dtype wins, as in MLPClassifier
            X = X.astype(self.coefs_[0].dtype, copy=False)
        sw = _data.combined_weights(sample_weight, X, codes, self.class_weight, classes)
        solver = self._full_batch_solver(X, sw, arch.layer_sizes[-1], incremental)
        if not resume:
            _fitting.warn_if_unscaled(self, X, solver or self.solver)

        if resume:
            rng = copy.deepcopy(self._rng)
            # not copied here: the training loop packs them into its own vector
            coefs, intercepts = dense_weights(self.coefs_), self.intercepts_
        else:
            rng = self._new_rng()
            coefs, intercepts = network.init_params(
                arch, self._init_name(), rng, X.dtype,
                sparse_input=not isinstance(X, np.ndarray))

        live = {}  # the stopping rule's running state, for per-epoch models
        with _callbacks.fit_task(self, X, y, sample_weight, classes, coefs, intercepts,
                                 max_subtasks=1 if incremental else self.max_iter,
                                 snapshot=_snapshot.builder(self, classes, arch, rng,
                                                            resume, live)):
            if solver is not None:
                Y = losses.one_hot(codes, len(classes), dtype=X.dtype)
                outcome = self._train_full_batch(
                    solver, arch, coefs, intercepts, X, Y, sw, incremental, dev=dev,
                    carried=getattr(self, "_solver_state", None) if resume else None)
            else:
                outcome = _fitting.train_first_order(
                    self, arch, coefs, intercepts, X, codes, sw, len(classes), rng,
                    incremental=incremental, resume=resume, dev=dev, live=live)
            stop = _fitting.explain_stop(self, outcome, incremental, solver)
            self._store(outcome, classes, arch, rng, resume, stop)
        if self.verbose:
            print(f"Training stopped ({stop[0]}): {stop[1]}")
        _fitting.warn_about(self, outcome, incremental, stop, (X, codes, sw))
        return self

    def _targets_and_architecture(self, X, y, classes, incremental):
        """The targets as the loop takes them (label codes, or the indicator
        matrix of a multilabel ``y``) and the network they need."""
        multilabel = y.ndim == 2
        codes = y if multilabel else _data.encode_labels(y, classes)
        if not (incremental or multilabel):  # classes: y's own (fit_classes)
            _data.check_two_classes(classes)
        arch = self._architecture(X.shape[1], losses.n_outputs(len(classes), multilabel))
        return codes, dataclasses.replace(arch, multilabel=multilabel)

    @property
    def _is_multilabel(self):  # MLPClassifier's sign: several 'logistic' outputs
        return getattr(self, "out_activation_", None) == "logistic" and self.n_outputs_ > 1

    def _architecture_change(self, arch):
        """How ``arch`` differs from the fitted network's layer sizes, or None."""
        fitted = (self.coefs_[0].shape[0], *(W.shape[1] for W in self.coefs_))
        wanted = tuple(arch.layer_sizes)
        if wanted == fitted:
            return None
        param = self._layers_parameter
        setting = f"{param}={getattr(self, param)!r}" if param else "This estimator"
        return (f"{setting} asks for layer sizes {wanted} (inputs, hidden layers, "
                f"outputs), but the fitted network has {fitted}")

    def _can_resume(self, arch, incremental):
        """Whether the fitted weights fit ``arch``: partial_fit must continue the
        same network (ValueError); a warm ``fit`` reuses what it can, so with other
        layer sizes it starts afresh, saying so."""
        change = self._architecture_change(arch)
        if change is None:
            return True
        if incremental:
            raise ValueError(
                f"partial_fit cannot continue the fitted network: {change}. partial_fit "
                "trains one model further: set the layer sizes back to the fitted "
                "ones, or call fit to train a new network."
            )
        warnings.warn(
            f"{type(self).__name__}: {change}, so warm_start cannot reuse its weights: "
            "this fit starts from a fresh initialisation, as with warm_start=False.",
            UserWarning, stacklevel=7)
        return False

    def _extra_monitors(self):
        """Loop monitors beyond the estimator's own: one callback subtask per epoch."""
        return _callbacks.epoch_subtasks(self)

    def _store(self, result, classes, arch, rng, resume, stop):
        """Set every fitted attribute at once, after training succeeded.

        A resumed fit (``warm_start``, ``partial_fit``) extends ``history_`` and
        the curves in place and updates the best values from the new epochs
        only, so that a call's work does not grow with the epochs already run.
        ``history_`` (and ``loss_curve_``) hold every epoch since the model was
        initialised, ``n_iter_`` those of this call (MLPClassifier's meaning),
        ``t_`` the training samples seen in all of them; ``stop``:
        :func:`_fitting.explain_stop`'s code and sentence.
        """
        records = _fitting.mark_stop(result.records, stop)
        if resume:
            history, curve = self.history_, self.loss_curve_
            val_scores, val_losses = self.validation_scores_, self.validation_loss_curve_
            best_loss, best_score = self.best_loss_, self.best_validation_score_
        else:
            history, curve, val_scores, val_losses = [], [], None, None
            best_loss, best_score = np.nan, None
        for i, record in enumerate(records):
            record["epoch"] = len(history) + i + 1
        history.extend(records)
        losses_now = [r["loss"] for r in records]
        curve.extend(losses_now)
        if losses_now:  # NaN (no epoch yet) is not a best loss
            best_loss = min(losses_now + ([] if np.isnan(best_loss) else [best_loss]))
        dev = [r for r in records if r["val_score"] is not None]
        if dev:
            if val_scores is None:
                val_scores, val_losses = [], []
            val_scores.extend(r["val_score"] for r in dev)
            val_losses.extend(r["val_loss"] for r in dev)
            best_score = max([r["val_score"] for r in dev]
                             + ([] if best_score is None else [best_score]))
        self.classes_ = classes
        # The loop stores wide layers column by column (core.flat); that layout
        # stays inside it: in row order predictions use the same products as a
        # model loaded from a file.
        coefs, intercepts = row_ordered(result.coefs, result.intercepts)
        opt_state = result.opt_state
        if opt_state is not None:
            rule, state = opt_state
            opt_state = (rule, {key: row_ordered(value)[0] if isinstance(value, list)
                                else value for key, value in state.items()})
        self.coefs_, self.intercepts_ = coefs, intercepts
        self.n_layers_ = arch.n_layers + 1
        self.n_outputs_ = arch.layer_sizes[-1]
        self.out_activation_ = "logistic" if arch.multilabel or self.n_outputs_ == 1 else "softmax"
        self.history_ = history
        self.loss_curve_ = curve
        self.loss_ = curve[-1] if history else np.nan
        self.best_loss_ = best_loss
        self.n_iter_ = len(records)
        seen = getattr(self, "t_", 0) if resume else 0  # files saved before t_ existed
        self.t_ = seen + result.n_samples * len(records)
        self.validation_scores_ = val_scores
        self.validation_loss_curve_ = val_losses
        self.best_validation_score_ = best_score
        self._optimizer_state = opt_state
        self._solver_state = result.solver_state  # only in memory, not in model files
        self._rng = rng
        self._stopping_state = None  # a finished fit: a warm start begins afresh
        self.stop_reason_, self.stop_message_ = stop
        self.dead_fraction_ = _fitting.last_dead_fraction(history, arch)

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
        classes = _data.training_classes(est, y, None, first=not fitted)
        # validates the layer-size parameters as fit would (InvalidParameterError)
        codes, arch = est._targets_and_architecture(X, y, classes, fitted)
        sw = _data.combined_weights(sample_weight, X, codes, self.class_weight, classes)
        # a copy of the estimator draws the generator, so that a RandomState passed
        # as random_state is not advanced (clone deep-copies it)
        rng = clone(self)._new_rng()
        if fitted:  # the fitted weights' own architecture, as predict uses
            coefs, intercepts = dense_weights(self.coefs_), self.intercepts_
            check_weight_shapes(coefs, intercepts, X.shape[1], arch.layer_sizes[-1])
            arch = self._arch()
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
        return predict.architecture(self.coefs_, getattr(self, "activation", "identity"),
                                    self._is_multilabel)

    def _logits(self, X):
        check_is_fitted(self)
        X = _data.validate_predict_data(self, X)
        return predict.logits(self._arch(), self.coefs_, self.intercepts_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.multi_label = self._accepts_multilabel
        return tags
