"""What the command prints: steps with their own time, tables, copy-pasteable commands.

Library log lines (MLflow's INFO lines, its cloudpickle warning, "Successfully registered model")
are held back unless ``--verbose`` asks for them, so they never interleave with the progress.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console

LIBRARY_LOGGERS = ("mlflow", "alembic", "py4j", "urllib3", "git", "matplotlib", "shap")


def make_console() -> Console:
    """Plain text where the output is not a terminal; no guessing of colours for numbers."""
    return Console(highlight=False)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


@contextlib.contextmanager
def library_output(verbose: bool, mlflow: bool = True) -> Iterator[None]:
    """Hold back library log lines and warnings unless ``verbose``; restore everything after.

    ``mlflow``: the command uses MLflow (importing it only to quiet it costs seconds).
    """
    if verbose:
        yield
        return
    # MLflow first: importing it sets its loggers' levels, which would undo ours
    stream = _mlflow_stream() if mlflow else None
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    enabled = stream.enabled if stream else True
    if stream:
        stream.enabled = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if stream:
            stream.enabled = enabled
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _mlflow_stream() -> Any:
    """The stream MLflow's log lines and its ``eprint`` ("Successfully registered ...") go to.

    ``mlflow.pyfunc`` is imported first: its import turns the stream back on, and the commands
    import it only later, inside the silenced block.
    """
    import mlflow.pyfunc  # noqa: F401
    from mlflow.utils.logging_utils import MLFLOW_LOGGING_STREAM

    return MLFLOW_LOGGING_STREAM


def print_command(console: Console, command: str, indent: str = "  ") -> None:
    """A command to copy: one line, never wrapped, whatever the width or a pipe."""
    console.print(f"{indent}{command}", soft_wrap=True, markup=False, highlight=False)


def seconds(value: float) -> str:
    return f"{value:.1f}s" if value < 10 else f"{value:.0f}s"


class Steps:
    """Numbered steps, each drawn as running (spinner, elapsed time) and then with its own time."""

    def __init__(self, console: Console, total: int, started: float | None = None) -> None:
        self.console = console
        self.total = total
        self.started = time.perf_counter() if started is None else started
        self.number = 0

    @contextlib.contextmanager
    def step(self, running: str) -> Iterator[Step]:
        """Show ``running`` until the block ends, then print what the block reported as done."""
        self.number += 1
        prefix = f"[{self.number}/{self.total}] " if self.total > 1 else ""
        current = Step(f"{prefix}{running}")
        started = time.perf_counter()
        with current.live(self.console):
            yield current
        took = seconds(time.perf_counter() - started)
        self.console.print(f"{prefix}{current.done or running}  ({took})")

    def elapsed(self) -> str:
        """Time since the command started (``main``), to match the wall clock."""
        return seconds(time.perf_counter() - self.started)


class Step:
    """One running step: a spinner with elapsed time, a bar once it knows how many items."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.done: str | None = None
        self._bar: Any = None
        self._task: Any = None

    @contextlib.contextmanager
    def live(self, console: Console) -> Iterator[None]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        if not console.is_terminal:  # piped or captured: only the finished line is printed
            yield
            return
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task(self.description, total=None, detail="")
        with self._bar:
            yield

    def update(self, text: str) -> None:
        """Say what the step is doing now."""
        if self._bar is not None:
            self._bar.update(self._task, detail=text)

    def count(self, done: int, total: int, detail: str = "") -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, detail=detail)

    def as_of_progress(self) -> Callable[[int, int, Any], None]:
        """The ``progress(done, total, as_of)`` callback the feature builders take."""

        def update(done: int, total: int, as_of: Any) -> None:
            self.count(done, total, f"as of {str(as_of)[:10]}")

        return update


def print_error(message: str, hint: str | None = None) -> None:
    """One line saying what was wrong (and, if given, one saying what to do), on stderr."""
    console = error_console()
    console.print(f"[red]error:[/red] {_escape(message)}", soft_wrap=True)
    if hint:
        console.print(_escape(hint), soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
