"""Checks at the command edge, before any work: paths, model URIs and the scoring date.

Each failure is one sentence saying what was wrong, what was expected and an example; a
:class:`UsageError` exits 2, a :class:`DataError` 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from health.errors import DataError, UsageError

# Scoring this long after the data's latest activity would see every account as idle.
STALE_DAYS = 31
ACTIVITY = (("events", "timestamp"), ("tickets", "created_at"), ("surveys", "responded_at"))


def data_source(value: str) -> Path:
    """DATA: an existing folder or config file."""
    path = Path(value)
    if not path.exists():
        raise UsageError(
            f"DATA {value!r} does not exist: expected a data folder or a config file, "
            "e.g. health-demo/data"
        )
    return path


def output_folder(value: str, option: str = "--out") -> Path:
    """A folder to write into (made if missing), never an existing file."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{option} {value!r} is a file: expected a folder (made if missing), e.g. scores"
        )
    return path


def output_file(value: str, example: str, option: str = "--out") -> Path:
    """A file to write (its folder made if missing), never an existing folder."""
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{option} {value!r} is a folder: expected a file name, e.g. {example}")
    return path


def existing_folder(value: str, option: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise UsageError(
            f"{option} {value!r} is not a folder: expected an earlier scoring output, "
            "e.g. health-demo/scores"
        )
    return path


def model_uri(value: str, option: str = "--model") -> str:
    """``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, ``runs:/ID/PATH`` or a model folder."""
    expected = (
        "expected models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN_ID/PATH or a local model "
        "folder, e.g. models:/health@champion"
    )
    if value.startswith(("models:/", "runs:/")):
        if not re.fullmatch(r"(models:/[^/@\s]+(@[^/@\s]+|/\d+))|(runs:/\w+/\S+)", value):
            raise UsageError(f"{option} {value!r} is not a model URI: {expected}")
        return value
    if re.match(r"^[a-zA-Z][\w+.-]*://", value) and not value.startswith("file://"):
        raise UsageError(f"{option} {value!r}: this kind of URI is not read here; {expected}")
    folder = Path(value.removeprefix("file://"))
    if not (folder / "MLmodel").is_file():
        raise UsageError(f"{option} {value!r} is not a model folder (no MLmodel file): {expected}")
    return value


@dataclass
class ScoringDate:
    """The date to score at, and what the user should hear about it."""

    as_of: pd.Timestamp
    activity_end: pd.Timestamp | None
    notes: list[str] = field(default_factory=list)


def activity_dates(tables) -> list[tuple[str, str, pd.Series]]:
    """Each activity table's dates (events left on disk give only their range)."""
    found = []
    for name, column in ACTIVITY:
        frame = tables.get(name)
        if frame is None:
            continue
        if isinstance(frame, pd.DataFrame):
            if len(frame) and column in frame:
                found.append((name, column, frame[column].dropna()))
        else:  # EventFiles: read in batches from disk
            first, last = frame.time_range()
            found.append((name, column, pd.Series([first, last]).dropna()))
    return found


def scoring_date(
    tables, as_of: str | None, today: pd.Timestamp, allow_stale: bool = False
) -> ScoringDate:
    """The day after the latest activity up to today, or ``as_of`` checked against the data.

    Rows dated after today are reported (count, an example) and do not move the default date.
    """
    notes = []
    latest, first = [], []
    for name, column, dates in activity_dates(tables):
        future = dates[dates > today]
        if len(future):
            notes.append(
                f"{name}: {len(future):,} row(s) dated after today ({today.date()}), e.g. "
                f"{column} {pd.Timestamp(future.iloc[0])}; the default as-of date ignores them"
            )
        kept = dates[dates <= today]
        if len(kept):
            latest.append(kept.max())
            first.append(kept.min())
    if not latest:  # no activity at all: the subscriptions say when the data was written
        starts = tables.subscriptions["start_date"].dropna()
        starts = starts[starts <= today]
        latest, first = [starts.max()], [starts.min()]
    end = pd.Timestamp(max(latest)) if latest and pd.notna(max(latest)) else None
    start = pd.Timestamp(min(first)) if first and pd.notna(min(first)) else None
    if as_of is None:
        if end is None:
            raise DataError("the data has no dated rows up to today: nothing to score")
        return ScoringDate(end.normalize() + pd.Timedelta(days=1), end, notes)
    date = pd.Timestamp(as_of)
    if start is not None and date <= start:
        raise DataError(
            f"--as-of {date.date()} is not after any activity: the data's activity runs from "
            f"{start.date()} to {end.date()}; expected a date after {start.date()}, "
            f"e.g. {(end.normalize() + pd.Timedelta(days=1)).date()}"
        )
    if end is not None and date > end + pd.Timedelta(days=STALE_DAYS) and not allow_stale:
        raise UsageError(
            f"--as-of {date.date()} is {(date - end).days:,} days after the data's latest activity "
            f"({end.date()}): every account would look idle. Expected a date up to "
            f"{(end + pd.Timedelta(days=STALE_DAYS)).date()}, e.g. "
            f"{(end.normalize() + pd.Timedelta(days=1)).date()}, or pass --allow-stale"
        )
    return ScoringDate(date, end, notes)
