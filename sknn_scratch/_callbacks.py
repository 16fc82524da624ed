"""scikit-learn's callback API (``sklearn.callback``, experimental), in one place.

One ``fit`` or ``partial_fit`` call is a callback *task*; each epoch of the
first-order loop (or each Newton iteration) is one of its *subtasks*. So
``est.set_callbacks(ScoringMonitor(scoring="accuracy"))`` logs a score per epoch,
``ProgressBar()`` draws one step per epoch (nested inside ``Pipeline`` or
``GridSearchCV`` too), and a callback whose ``on_fit_task_end`` returns True ends
training after that epoch, without raising.

A callback asking for ``fitted_estimator`` gets, at each epoch, a complete fitted
model as if ``fit`` had stopped there (``history_``, ``n_iter_``, ``t_``, the
optimizer's state and the generator after that epoch; see
``estimators/_snapshot.py``), holding no training data and nothing of the
running fit: a checkpoint callback can ``save_model`` it, and ``warm_start``
from the file continues exactly as the uninterrupted fit. The same holds for each
Newton iteration (``ScratchLogisticRegression(solver='newton')``).

The training loop knows nothing of scikit-learn: it only reports the end of each
epoch to its monitors. :class:`Subtasks` is such a monitor. Since there is no
"epoch begins" signal, it begins subtask ``k + 1`` as soon as subtask ``k`` ends,
as scikit-learn's own L-BFGS bridge does, and closes a subtask that was begun but
never ran as an empty task (no data, so nothing is scored for it).

On scikit-learn versions without ``sklearn.callback``, :data:`HAS_CALLBACKS` is
False, the mixin is empty (no ``set_callbacks``), :func:`with_callbacks` is a
plain pass-through and :func:`fit_task` yields None: the estimators work, without
callbacks.
"""

import functools
import uuid
from contextlib import contextmanager

#: Attributes that only exist while a fit runs: the running :class:`FitTask` and
#: scikit-learn's callback context (with its callbacks to tear down, and the
#: meta-estimator's context that the fit's task tree is merged into).
_TRANSIENT = ("_callback_fit_task", "_callback_fit_ctx", "_skl_callbacks_to_teardown",
              "_parent_callback_ctx")

try:  # experimental callback API (scikit-learn >= 1.9)
    from sklearn.callback import CallbackSupportMixin as _SklearnCallbackSupport
    from sklearn.callback import with_callbacks

    class CallbackSupportMixin(_SklearnCallbackSupport):
        """scikit-learn's callback support; a shallow copy drops the running fit.

        scikit-learn builds the ``fitted_estimator`` it hands to callbacks as
        ``copy.copy(estimator)`` plus the attributes we give it. Without this,
        that copy would keep the running task (the training data, the live
        estimator) and the callback contexts.
        """

        def __copy__(self):
            new = type(self).__new__(type(self))
            new.__dict__.update((key, value) for key, value in self.__dict__.items()
                                if key not in _TRANSIENT)
            return new

    HAS_CALLBACKS = True
except ImportError:  # older scikit-learn: no callbacks at all

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in when scikit-learn has no callback framework."""

    def with_callbacks(method):  # type: ignore[no-redef]
        """Stand-in decorator: nothing to tear down.

        Still a wrapper, so that warnings' ``stacklevel`` counts the same frames.
        """

        @functools.wraps(method)
        def callback_managed_method(estimator, *args, **kwargs):
            return method(estimator, *args, **kwargs)

        return callback_managed_method

    HAS_CALLBACKS = False

#: Attribute of the models handed to callbacks naming the fit call they come from.
_CALL_ID = "_fit_call_id"

#: Name of the estimator attribute holding the running :class:`FitTask`. It only
#: exists during ``fit``/``partial_fit`` (never on a fitted or pickled model).
_TASK_ATTRIBUTE = _TRANSIENT[0]


@contextmanager
def fit_task(est, X, y, sample_weight, classes, coefs, intercepts, *, max_subtasks,
             snapshot=None):
    """Run the body of one ``fit``/``partial_fit`` call as a callback task.

    The task begins on entry. Inside the block, :func:`epoch_subtasks` and
    :func:`iteration_subtasks` find it on ``est``; it ends on a normal exit (the
    body must have stored the fitted attributes by then), with ``est`` itself as
    the fitted estimator. The estimator's method must be wrapped by
    :func:`with_callbacks`, so that callbacks are torn down even on errors, and
    inside any wrapper that restores ``__dict__`` on error (restoring first would
    drop the callback context, and the teardown with it).

    Parameters
    ----------
    est : estimator
        The estimator being fitted.
    X, y : arrays
        Validated training data and labels, given to the callbacks.
    sample_weight : array-like or None
        Passed to the callbacks as ``metadata={"sample_weight": ...}``.
    classes : ndarray
        ``classes_`` of the fit, needed to predict from intermediate weights.
    coefs, intercepts : list of ndarray
        The weights training starts from (not modified).
    max_subtasks : int
        Largest number of epochs / iterations this call may run.
    snapshot : callable, optional
        ``snapshot(coefs, intercepts, run)`` -> the fitted attributes of the model
        at these weights, ``run`` being the training loop's running
        :class:`~sknn_scratch.training.loop.TrainingResult` (its epochs so far,
        the optimizer's state). Without it (or before the loop runs) the
        per-subtask model gets only ``classes_``, ``coefs_`` and ``intercepts_``.

    Yields
    ------
    task : FitTask or None
        None when scikit-learn has no callback framework.
    """
    if not HAS_CALLBACKS:
        yield None
        return
    task = FitTask(est, X, y, sample_weight, classes, coefs, intercepts, max_subtasks,
                   snapshot)
    setattr(est, _TASK_ATTRIBUTE, task)
    try:
        yield task
    finally:
        est.__dict__.pop(_TASK_ATTRIBUTE, None)
    task.end()


def fit_call_id(estimator, X=None, y=None):
    """The id of the fit call a model handed to callbacks comes from.

    Each ``fit``/``partial_fit`` call draws a new random id (a 32-digit hex
    string); every ``fitted_estimator`` that call hands to callbacks (each
    epoch's or Newton iteration's model, and the fitted model at its end)
    carries it. A fit rerun after a dask worker died mid-fit is a new call: its
    rows are told apart from the lost attempt's by this id. Its signature is a
    scorer's, so it can be a column of a ``ScoringMonitor``::

        ScoringMonitor(scoring={"accuracy": "accuracy", "fit_call": fit_call_id})

    Parameters
    ----------
    estimator : estimator
        A ``fitted_estimator`` given to a callback.
    X, y : ignored
        Present for the scorer signature.

    Returns
    -------
    fit_call : str or None
        The id; None for a model not handed over by an sknn_scratch fit (e.g. a
        meta-estimator's), whose rows belong to no attempt.
    """
    return getattr(estimator, _CALL_ID, None)


def epoch_subtasks(est):
    """Loop monitors for the running fit: ``[Subtasks]``, or ``[]`` without callbacks."""
    subtasks = iteration_subtasks(est, "epoch")
    return [] if subtasks is None else [subtasks]


def iteration_subtasks(est, task_name):
    """A :class:`Subtasks` named ``task_name`` for the running fit of ``est``.

    None when no fit task is running or no callback is set on ``est`` (then there
    is nobody to tell, and no subtask is created).
    """
    task = getattr(est, _TASK_ATTRIBUTE, None)
    if task is None or not getattr(est, "_skl_callbacks", None):
        return None
    return Subtasks(task, task_name)


class FitTask:
    """The root callback task of one fit call; see :func:`fit_task`.

    Attributes
    ----------
    context : sklearn.callback.CallbackContext
        The estimator's root context (merged into a meta-estimator's tree when
        the estimator is fitted inside a ``Pipeline``, ``GridSearchCV``...).
    start : tuple of (list, list)
        The weights training starts from.
    max_subtasks : int
        Largest number of epochs / iterations of this fit.
    """

    def __init__(self, est, X, y, sample_weight, classes, coefs, intercepts,
                 max_subtasks, snapshot=None):
        self.est = est
        # One id per fit call (os.urandom, not the training generator): the rows a
        # retried fit logs again carry its new id (see :func:`fit_call_id`).
        self.call_id = uuid.uuid4().hex
        self.snapshot = snapshot
        self.classes = classes
        self.start = (coefs, intercepts)
        self.max_subtasks = max_subtasks
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._data = dict(estimator=est, X=X, y=y, metadata=metadata)
        self.context = est._init_callback_context(max_subtasks=max_subtasks)
        self.context.call_on_fit_task_begin(**self._data)

    def hook_arguments(self, coefs, intercepts, run=None):
        """Keyword arguments of a subtask hook at the given weights.

        The estimator handed to callbacks that ask for ``fitted_estimator`` is
        built lazily, from copies (the loop keeps updating its arrays in place):
        with a ``snapshot`` and the loop's running result ``run``, a complete
        fitted model at this epoch, which ``save_model`` stores and ``warm_start``
        continues exactly as the uninterrupted fit would.
        """
        def attributes():
            if self.snapshot is not None and run is not None:
                return {**self.snapshot(coefs, intercepts, run), _CALL_ID: self.call_id}
            # out_activation_ / n_outputs_ say whether the outputs are per-label
            # sigmoids (a multilabel y, validated to 2-d) or a softmax
            n_outputs = coefs[-1].shape[1]
            multilabel = self._data["y"].ndim == 2
            return {"classes_": self.classes, "n_outputs_": n_outputs,
                    "out_activation_": ("logistic" if multilabel or n_outputs == 1
                                        else "softmax"),
                    "coefs_": [W.copy() for W in coefs],
                    "intercepts_": [b.copy() for b in intercepts],
                    _CALL_ID: self.call_id}

        return dict(self._data, reconstruction_attributes=attributes)

    def end(self):
        """End the root task; ``est`` is fitted, so it is the fitted estimator."""
        self.context.call_on_fit_task_end(
            **self._data, reconstruction_attributes={_CALL_ID: self.call_id})

    def __repr__(self):
        return f"FitTask({self.context!r}, max_subtasks={self.max_subtasks})"


class Subtasks:
    """One callback subtask per epoch or iteration, and a training-loop monitor.

    ``end(coefs, intercepts)`` ends the current subtask and begins the next one,
    unless a callback asked to stop (then it returns True) or ``max_subtasks`` is
    reached. ``close`` ends a subtask left open when training stopped for another
    reason.

    As a monitor of :func:`sknn_scratch.training.loop.run_training` it provides
    ``start`` (the loop's running result, for complete per-epoch models),
    ``on_epoch_end`` (True stops the loop, with ``stop_reason='callback'``) and
    ``finish``.
    """

    reason = "callback"

    def __init__(self, task, task_name):
        self.task = task
        self.task_name = task_name
        self.n_begun = 0
        self.n_ended = 0
        self.stopped = False
        self.run = None  # the training loop's running result, once it starts
        self._context = None
        self._begin(*task.start)

    def _begin(self, coefs, intercepts):
        if self.n_begun >= self.task.max_subtasks:
            return
        self.n_begun += 1
        self._context = self.task.context.subcontext(task_name=self.task_name)
        self._context.call_on_fit_task_begin(**self.task.hook_arguments(coefs,
                                                                        intercepts))

    def end(self, coefs, intercepts):
        """End the running subtask at these weights; True if a callback asks to stop."""
        context, self._context = self._context, None
        if context is None:  # more iterations than announced: nothing to report
            return False
        self.n_ended += 1
        self.stopped = bool(context.call_on_fit_task_end(
            **self.task.hook_arguments(coefs, intercepts, self.run)))
        if not self.stopped:
            self._begin(coefs, intercepts)
        return self.stopped

    def close(self, n_done=0, coefs=None, intercepts=None):
        """End the subtask left open, if any.

        It counts as run, at ``coefs``/``intercepts``, when ``n_done`` iterations
        were recorded but fewer subtasks ended (Newton records a last iteration
        without reporting it); otherwise it never ran and ends as an empty task.
        """
        context, self._context = self._context, None
        if context is None:
            return
        if n_done > self.n_ended and coefs is not None:
            self.n_ended += 1
            context.call_on_fit_task_end(**self.task.hook_arguments(coefs, intercepts,
                                                                    self.run))
        else:
            context.call_on_fit_task_end(estimator=self.task.est)

    # -- training-loop monitor protocol -------------------------------------------
    def start(self, result):
        """The loop's result, filled as it runs: epochs so far, optimizer state."""
        self.run = result

    def on_epoch_end(self, record, coefs, intercepts):
        """End this epoch's subtask; True stops the loop."""
        return self.end(coefs, intercepts)

    def finish(self, result):
        """An epoch begun but not run (another monitor stopped, or divergence)."""
        self.close()

    def __repr__(self):
        return (f"Subtasks({self.task_name!r}, ended={self.n_ended}, "
                f"stopped={self.stopped})")
