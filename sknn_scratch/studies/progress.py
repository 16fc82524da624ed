"""Progress of a study on stderr, phase by phase, and the time of each phase.

Each phase (the model fits, the learning curve, the grid search, the figures)
prints a line when it starts, one line per completed unit (a fit, a training
size, a candidate) and one when it ends, with its time; the times are kept for
the report. With a terminal (and rich and scikit-learn's callbacks installed),
:meth:`StudyProgress.progress_bar` also gives a scikit-learn ``ProgressBar``
to attach to estimators that speak callbacks. ``quiet=True`` prints nothing
(the times are still kept).
"""

import sys
import time
from contextlib import contextmanager

__all__ = ["StudyProgress"]


class StudyProgress:
    """Phase lines, unit lines and phase times of one study run.

    Parameters
    ----------
    quiet : bool, default=False
        Print nothing.
    stream : file, default=None
        Where to print (default ``sys.stderr``, so that stdout holds the tables).

    Attributes
    ----------
    timings : dict of str to float
        Seconds per phase, in the order the phases ran.
    """

    def __init__(self, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.timings = {}

    def say(self, text):
        """Print one line (unless quiet)."""
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @property
    def terminal(self):
        """True when bars can be drawn: not quiet, a terminal, rich and callbacks."""
        if self.quiet or not getattr(self.stream, "isatty", lambda: False)():
            return False
        from .._callbacks import HAS_CALLBACKS

        try:
            import rich  # noqa: F401
        except ImportError:
            return False
        return HAS_CALLBACKS

    def progress_bar(self):
        """A scikit-learn ``ProgressBar`` drawing on this stream, or None
        without a terminal (see :attr:`terminal`)."""
        if not self.terminal:
            return None
        import rich
        from sklearn.callback import ProgressBar

        if self.stream is sys.stderr:
            rich.reconfigure(stderr=True)  # bars on stderr, the table alone on stdout
        else:
            rich.reconfigure(file=self.stream)
        return ProgressBar()

    @contextmanager
    def phase(self, name):
        """Time the block as phase ``name``; yields ``unit(i, n, text)``, which
        prints ``[name i/n] text`` for each completed unit."""
        self.say(f"{name} ...")

        def unit(i, n, text):
            self.say(f"[{name} {i}/{n}] {text}")

        start = time.perf_counter()
        try:
            yield unit
        finally:
            seconds = time.perf_counter() - start
            self.timings[name] = self.timings.get(name, 0.0) + seconds
            self.say(f"{name}: {seconds:.1f} s")

    def format_timings(self):
        """The phase times as a markdown section for report.md."""
        lines = ["## Time of each phase", "", "| phase | seconds |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.1f} |" for name, seconds in self.timings.items()]
        return "\n".join(lines)
