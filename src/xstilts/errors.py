"""The study's own errors: what a user can fix (a file, a param, the store, a learning rate).

A stage that raises one ends with its message alone, not a traceback (``stages.cli.run``).
Each also keeps the builtin base it would otherwise have had (``ValueError``, ...).
"""


class StageError(Exception):
    """Base of the errors a stage reports by message."""
