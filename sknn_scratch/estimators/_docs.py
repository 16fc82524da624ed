"""Parameter descriptions shared by the estimators' docstrings, written once.

A class decorated with :func:`shared_docs` has each ``<<name>>`` line of its
docstring replaced by the fragment of that name (numpydoc text, indented as a
class docstring's parameters).
"""

FRAGMENTS = {
    "schedule_and_early_stopping": """\
    learning_rate_schedule : {'constant', 'inverse_time', 'exponential', 'step', \\
            'inverse_sqrt'}, default='constant'
        Learning-rate decay per epoch, for the epoch number ``t = 1, 2, ...``
        (numbered from 1 as in the notes and in ``history_``, so epoch 1 already
        runs decayed; see :mod:`sknn_scratch.optim.schedules`):
        ``lr0 / (1 + decay_rate * (t // decay_steps))``, ``lr0 * decay_rate ** t``,
        ``lr0 * decay_rate ** (t // decay_steps)``, ``lr0 / sqrt(t)``. The rate
        used is in ``history_``.
    decay_rate : float or None, default=None
        None is the schedule's own default: 1 for 'inverse_time' (the notes'),
        0.95 for 'exponential' (the notes' 0.95^epoch_num), 0.5 for 'step'. A
        value that leaves the schedule constant (>= 1 for 'exponential' and
        'step', 0 for 'inverse_time') raises ValueError at fit.
    decay_steps : int or None, default=None
        Epochs between decays of 'step' (None: 10) and 'inverse_time' (None: 1,
        every epoch; e.g. 1000 gives the notes' fixed-interval decay).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows that carry weight
        (stratified when every class has 2 rows or more, else at random; or use
        ``fit(..., X_val=, y_val=)``), stop when its accuracy has not improved by
        ``tol`` for ``n_iter_no_change`` epochs, and keep the best epoch's weights.
    validation_fraction : float, default=0.1
""",
    "class_weight_and_warm_start": """\
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplying ``sample_weight``, as scikit-learn's
        ``compute_class_weight``: a dict's missing classes weigh 1 and its labels
        that are not classes are ignored (unless a class is missing too);
        'balanced' is ``sum(w) / (n_classes * sum(w of the class))`` over the
        weighted counts, as LogisticRegression. Not with ``partial_fit``, which
        would balance each batch on its own (as SGDClassifier).
    warm_start : bool, default=False
        Continue ``fit`` from the fitted weights and optimizer state (same
        classes and features required). If the layer sizes were changed since,
        the fit warns and starts afresh. ``partial_fit`` always continues, and
        refuses changed layer sizes. The continued fit matches an uninterrupted
        one bit for bit, except on wide full-batch ``solver='gd'`` (see
        :mod:`sknn_scratch.training.sample_space`): there to round-off (~1e-12);
        and a fit cut short (``max_iter``) and resumed from a model file by
        a multiclass ``solver='newton'``, whose conjugate gradient's
        preconditioner state (:mod:`sknn_scratch.core.block_jacobi`) is not
        saved, or by ``solver='lbfgs'``, whose memory of curvature pairs is not
        saved (it begins afresh, as scikit-learn's warm start does): the same
        optimum to ``tol``, by possibly different steps. (``solver='auto'`` is
        whichever of the two ran.)
""",
    "stop_attributes": """\
    stop_reason_, stop_message_ : str
        Why the last ``fit``/``partial_fit`` call ended: a code ('max_iter',
        'partial_fit', 'tol', 'early_stopping', 'diverged', 'callback',
        'converged', 'line_search'; see :mod:`sknn_scratch.training.stops`) and
        a sentence. Each call's last ``history_`` record holds the code too.
    dead_fraction_ : list of float
        Per hidden layer, the fraction of units that output 0 for every training
        sample in the last epoch (each epoch's is ``history_[k]['dead_fraction']``).
""",
    "net_regularisation": """\
    dropout : float in [0, 1), default=0.0
        Inverted dropout: the fraction of hidden units dropped in each training
        mini-batch (kept units scaled by 1/keep_prob); never active at predict.
    max_grad_norm : float or None, default=None
        Clip the gradients by their global norm (against exploding gradients).
    augmentation : callable or None, default=None
        ``augmentation(X_batch, rng) -> X_batch`` applied to training mini-batches
        only, e.g. :class:`sknn_scratch.augment.ImageAugmenter`.
""",
}


def shared_docs(cls):
    """Fill the ``<<name>>`` placeholders of ``cls.__doc__`` (returns ``cls``)."""
    doc = cls.__doc__
    if doc is None:  # python -OO strips docstrings
        return cls
    for name, text in FRAGMENTS.items():
        doc = doc.replace(f"    <<{name}>>\n", text)
    if "<<" in doc:
        raise ValueError(f"{cls.__name__}: unknown docstring placeholder.")
    cls.__doc__ = doc
    return cls
