"""The one place that touches scikit-learn's private or experimental helpers.

scikit-learn >= 1.6 is required (``validate_data`` and the Tags API). Parameter
validation (``_param_validation``, ``_fit_context``) and ``_check_sample_weight``
live in private modules; they have been stable since 1.2 and are imported here
only, so a future move is a one-file fix.
"""

from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    Hidden,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight  # noqa: F401

try:  # experimental callback API (scikit-learn >= 1.9)
    from sklearn.callback import CallbackSupportMixin  # noqa: F401

    HAS_CALLBACKS = True
except ImportError:  # pragma: no cover - exercised on older scikit-learn only

    class CallbackSupportMixin:  # type: ignore[no-redef]
        """Stand-in when scikit-learn has no callback framework."""

    HAS_CALLBACKS = False
