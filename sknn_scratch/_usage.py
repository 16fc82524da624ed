"""The command line's user-mistake error (its own module: the subcommands' modules
raise it without importing :mod:`sknn_scratch.cli`)."""


class UsageError(Exception):
    """A user mistake: reported in one line with exit code 2."""
