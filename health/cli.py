"""``health``: one command, a subcommand per job (parser in ``health.parser``, jobs in
``health.commands`` and ``health.demo``).

``main`` is the edge: it parses, takes ``MLFLOW_RUN_ID`` from ``mlflow run`` so the jobs get it
explicitly, holds library log lines back unless ``--verbose``, and turns every failure into one
sentence and an exit code: 0 done, 1 bad data or a failed job, 2 bad usage.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; ``argv`` None means the process's own arguments."""
    started = time.perf_counter()  # "Done in" counts from here, imports included
    code = run(argv, started)
    if argv is None:
        # The process ends now: spare it the seconds of collecting every object it drops, so the
        # command's own "Done in" stays within a second of the wall clock.
        gc.freeze()
    return code


def run(argv: Sequence[str] | None, started: float) -> int:
    """Parse, run the job, turn failures into a sentence and an exit code."""
    from health.console import library_output, print_error
    from health.errors import DataError, UsageError
    from health.parser import build_parser, overview

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        sys.stdout.write(overview(parser))
        return 0
    args.started = started
    # Under ``mlflow run`` the project's run is the parent of ours; the jobs take it explicitly.
    # It leaves the environment here, or MLflow's start_run() with no run id would resume it
    # (a nested run would then be the parent itself, and its params would clash).
    args.parent_run_id = os.environ.pop("MLFLOW_RUN_ID", None) or None
    with library_output(args.verbose, mlflow=args.mlflow), signals_interrupt():
        try:
            return int(args.func(args) or 0)
        except (UsageError, DataError) as error:
            if args.verbose:
                raise
            print_error(str(error))
            return error.exit_code
        except Interrupted as signal_received:
            print_error(
                f"health {args.command} was interrupted ({signal_received}); earlier outputs are "
                "as they were and nothing half-written is left"
            )
            return 128 + signal_received.number
        except Exception as error:  # noqa: BLE001 - the edge turns any failure into a sentence
            if args.verbose:
                raise
            print_error(
                f"health {args.command} failed: {type(error).__name__}: {error}",
                "Run it again with --verbose for the full traceback.",
            )
            return 1


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: raised like Ctrl-C, so every ``with`` block cleans up."""

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(signal.Signals(number).name)


@contextlib.contextmanager
def signals_interrupt():
    """While a job runs, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number, _frame):
        raise Interrupted(number)

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


if __name__ == "__main__":
    sys.exit(main())
