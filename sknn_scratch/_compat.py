"""The one place that touches scikit-learn's private or experimental helpers.

scikit-learn >= 1.6 is required (``validate_data`` and the Tags API). Parameter
validation (``_param_validation``, ``_fit_context``) and ``_check_sample_weight``
live in private modules, as does ``SparseCoefMixin`` (LogisticRegression's
``sparsify``/``densify``); they have been stable since 1.2 and are imported here
only, so a future move is a one-file fix. Everything about scikit-learn's
experimental callback API (``sklearn.callback``) lives in :mod:`._callbacks`.
"""

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
