"""The two ways a command fails on purpose, each with its exit code (DESIGN section 6)."""

from __future__ import annotations


class UsageError(Exception):
    """The command line asks for something that cannot be done as asked: exit 2."""

    exit_code = 2


class DataError(Exception):
    """The data, a model or the tracking store is not what the job needs: exit 1."""

    exit_code = 1
