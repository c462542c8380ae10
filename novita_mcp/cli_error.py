"""``CLIError``: a one-line problem for the user, raised by the command line and the runtime it
starts (its own module so that ``runtime`` need not import ``cli``, which imports ``runtime``)."""

from __future__ import annotations

__all__ = ["CLIError"]


class CLIError(Exception):
    """A one-line problem for the user; printed to stderr with exit status 2."""
