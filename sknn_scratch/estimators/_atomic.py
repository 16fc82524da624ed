"""A failed ``fit`` or ``partial_fit`` leaves no half-fitted state behind."""

import functools


def keep_state_on_error(method):
    """A failed ``fit``/``partial_fit`` leaves the estimator exactly as it was.

    A resumed fit extends ``history_`` and the curves in place (``_store``), so
    their lengths are remembered too and cut back on failure.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        lengths = {name: len(value) for name, value in before.items()
                   if isinstance(value, list)}
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            for name, length in lengths.items():
                del before[name][length:]
            raise

    return wrapper
