"""The one place that touches scikit-learn's private or experimental helpers.

scikit-learn >= 1.6 is required (``validate_data`` and the Tags API). Parameter
validation (``_param_validation``, ``_fit_context``, ``_get_param_names``) and
``_check_sample_weight`` live in private modules, as does ``SparseCoefMixin``
(LogisticRegression's ``sparsify``/``densify``); they have been stable since 1.2
and are used here only, so a future move is a one-file fix. Everything about
scikit-learn's experimental callback API (``sklearn.callback``) lives in
:mod:`._callbacks`.
"""

import weakref

from sklearn.base import _fit_context  # noqa: F401
from sklearn.linear_model._base import SparseCoefMixin  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight  # noqa: F401

# The experimental callback API has its own module; re-exported for older imports.
from ._callbacks import HAS_CALLBACKS, CallbackSupportMixin  # noqa: F401


class IntervalNotBool(Interval):
    """An ``Interval`` of ints that refuses ``True``/``False``.

    ``bool`` is a subclass of ``int``, so scikit-learn's ``Interval(Integral, ...)``
    takes ``n_hidden=True`` as 1 unit; for a size or a count that is a mistake,
    reported as ``InvalidParameterError`` ("must be an int in the range ...").
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


def validate_params(estimator):
    """Check ``estimator``'s parameters against its ``_parameter_constraints``
    (``InvalidParameterError`` naming the parameter), as ``fit`` does."""
    estimator._validate_params()


#: class -> (a weak reference to its ``__init__``, its parameter names), see
#: :class:`ParamNamesOnce` (weak: an ``__init__`` calling ``super()`` refers to its
#: class, which would then never leave the table).
_PARAM_NAMES = weakref.WeakKeyDictionary()


class ParamNamesOnce:
    """``BaseEstimator._get_param_names``, read once per class.

    scikit-learn reads the parameter names from ``inspect.signature(__init__)``
    on every ``get_params`` call, and ``fit`` calls it to validate the
    parameters: a tenth of a millisecond per fit, a few percent of a small
    one. The names only change with ``__init__``, so they are kept per class
    (and read again if ``__init__`` is replaced); the errors of a bad
    ``__init__`` (varargs) are raised as before, since nothing is kept then.
    Put it before ``BaseEstimator`` in the bases.
    """

    @classmethod
    def _get_param_names(cls):
        init, names = _PARAM_NAMES.get(cls, (lambda: None, ()))
        if init() is not cls.__init__:
            names = tuple(super()._get_param_names())
            _PARAM_NAMES[cls] = (weakref.ref(cls.__init__), names)
        return list(names)  # a new list, as scikit-learn's: the caller may change it
