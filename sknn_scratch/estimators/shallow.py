"""ShallowNNClassifier: one hidden layer of tanh units (the notes' planar net is
``ShallowNNClassifier(n_hidden=4)``)."""

from ..core import network
from ._params import NET_CONSTRAINTS, POSITIVE_INT
from ._docs import shared_docs
from .base import BaseScratchClassifier


@shared_docs
class ShallowNNClassifier(BaseScratchClassifier):
    """Neural network with one hidden layer, trained by backprop on the shared core.

    Parameters
    ----------
    n_hidden : int, default=128
        Units in the hidden layer. The notes' planar-data net is
        ``ShallowNNClassifier(n_hidden=4)``: 4 tanh units suit two classes in
        the plane, but are too few for 10 classes (86% on digits). 128 tanh
        units, with ``alpha=0.1``, ``batch_size=100`` and
        ``learning_rate=0.01``, were chosen by measurement against
        MLPClassifier at its defaults, see benchmarks/defaults.py: as accurate
        (5-fold CV, StandardScaler pipeline) on digits, iris, wine and
        breast_cancer and on the generated checks (five-class
        make_classification, noisy two-moons), in less fit time.
    activation : {'tanh', 'relu', 'leaky_relu', 'sigmoid', 'identity'}, default='tanh'
        tanh, the notes' shallow net's. With the L2 penalty below it was as
        accurate as 128 relu units on the four datasets and more accurate on
        make_classification (0.749 against 0.730, 5-fold CV, mean of three
        seeds; MLPClassifier's relu net 0.749). On unscaled inputs tanh units
        saturate: scikit-learn's class_weight check (blobs of std 20, class
        weights 1000 and 1e-4) then stops by ``tol`` with 30% of the test
        points in the weightless classes, as MLPClassifier(activation='tanh')
        does (14%); scale the inputs, or use ``tol=None`` or 'relu'.
    solver : {'gd', 'momentum', 'rmsprop', 'adam'}, default='adam'
    alpha : float, default=0.1
        L2 strength, scaled as MLPClassifier: ``alpha 1/2 sum ||W||^2 / sum w``.
        A thousand times MLPClassifier's 1e-4: with a weaker one (1e-2, 3e-2)
        the tanh net scored 0.71-0.73 on make_classification (chosen by
        measurement against MLPClassifier, see benchmarks/defaults.py).
    batch_size : int, 'auto' or None, default=100
        None full batch, 1 SGD, 'auto' is ``min(200, n_samples)``. 100: twice
        MLPClassifier's steps per epoch (chosen by measurement, as above).
    learning_rate : float, default=0.01
        Adam's step size: ten times MLPClassifier's 0.001, fewer epochs at the
        same accuracy (chosen by measurement against MLPClassifier, see
        benchmarks/defaults.py).
    max_iter : int, default=200
        Epochs.
    tol : float or None, default=1e-4
        Stop when the loss has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs; None runs all ``max_iter`` epochs (the notes' fixed
        iteration counts, as ``SGDClassifier(tol=None)``).
    n_iter_no_change : int or np.inf, default=10
        np.inf never stops on the loss plateau (as MLPClassifier accepts it).
    momentum, beta_1, beta_2, epsilon : float
        Hyperparameters of the 'momentum', 'rmsprop' and 'adam' solvers.
    init : {'auto', 'random', 'xavier', 'he'}, default='auto'
        'auto' is He for the relu family, Xavier for tanh/sigmoid.
    <<schedule_and_early_stopping>>
    <<net_regularisation>>
    <<class_weight_and_warm_start>>
    random_state, verbose :
        As in scikit-learn.

    Attributes
    ----------
    classes_, coefs_, intercepts_, n_iter_, t_, loss_curve_, best_loss_, history_ :
        As MLPClassifier: ``n_iter_`` counts the epochs of the last ``fit`` or
        ``partial_fit`` call, ``t_`` the training samples seen, ``loss_curve_``
        and ``history_`` (one dict per epoch) every epoch since initialisation.
    <<stop_attributes>>

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> # 200 rows are 2 mini-batches: 200 epochs are too few (a ConvergenceWarning)
    >>> clf = ShallowNNClassifier(max_iter=500, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _layers_parameter = "n_hidden"
    _parameter_constraints = {**NET_CONSTRAINTS, "n_hidden": [POSITIVE_INT]}

    def __init__(self, n_hidden=128, *, activation="tanh", solver="adam", alpha=0.1,
                 batch_size=100, learning_rate=0.01, max_iter=200, tol=1e-4,
                 n_iter_no_change=10, momentum=0.9, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, init="auto",
                 learning_rate_schedule="constant", decay_rate=None, decay_steps=None,
                 early_stopping=False, validation_fraction=0.1,
                 dropout=0.0, max_grad_norm=None, augmentation=None,
                 class_weight=None, warm_start=False, random_state=None, verbose=0):
        self.n_hidden = n_hidden
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
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
        self.dropout = dropout
        self.max_grad_norm = max_grad_norm
        self.augmentation = augmentation
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _architecture(self, n_features, n_outputs):
        return network.Architecture((n_features, self.n_hidden, n_outputs),
                                    self.activation)
