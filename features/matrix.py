"""The feature matrix: one row per active account per as-of date, the same for training and scoring."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from features.builders import BUILDERS
from features.contract import Tables
from features.events import TypeCatalogue, event_features
from features.labels import LabelConfig, labels, stay_labels
from features.pointintime import prepare_tables, visible_subscriptions, visible_tables
from features.timeline import active_grid, active_terms, observed_until

KEYS = ["account_id", "as_of"]
LABELS = ["churned", "renewed", "stayed"]

Progress = Callable[[int, int, pd.Timestamp], None]


def as_of_days(as_of_dates: Iterable[pd.Timestamp]) -> list[pd.Timestamp]:
    """The as-of dates as Timestamps; each must be a midnight (features are built per day)."""
    dates = [pd.Timestamp(d) for d in as_of_dates]
    partial = [d for d in dates if d != d.normalize() or d.tz is not None]
    if partial:
        raise ValueError(
            f"as-of dates must be naive midnights (a day, not a moment): got {partial[0]}"
        )
    return dates


def features_at(
    prepared: Tables, as_of: pd.Timestamp, usage: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Features of every account active at ``as_of``, from ``prepare_tables`` output.

    ``usage`` holds the event features at ``as_of`` (``features.events``), for the accounts
    active then; None when there is no events table. Builders that need events are handed it.
    """
    visible = visible_tables(prepared, as_of)
    accounts = pd.Index(active_terms(visible.subscriptions, as_of)["account_id"], name="account_id")
    present = set(visible.present()) | ({"events"} if usage is not None else set())
    parts = [
        builder(visible, as_of, accounts, *([usage] if "events" in needs else []))
        for _, builder, needs in BUILDERS
        if set(needs) <= present
    ]
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=accounts)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame.insert(0, "as_of", as_of)
    return frame.reset_index()


def build_features(
    tables: Tables,
    as_of_dates: Iterable[pd.Timestamp],
    progress: Progress | None = None,
    types: TypeCatalogue | None = None,
    event_types: list[str] | None = None,
    top_types: int = 0,
) -> pd.DataFrame:
    """``account_id, as_of, features...`` for every active account at each as-of date.

    Event features for all dates come from one pass over the events (``features.events``);
    the other families are computed date by date from ``visible_tables``. ``types``: the
    event-type catalogue of all accounts when ``tables`` hold only some (a Spark partition).
    Per-type usage is built for ``event_types`` (a trained model's,
    ``usage_types.chosen_types``) or else for the ``top_types`` most used types (training).
    """
    dates = as_of_days(as_of_dates)
    prepared = prepare_tables(tables)
    grid = {
        as_of: pd.Index(
            active_terms(visible_subscriptions(prepared.subscriptions, as_of), as_of)["account_id"]
        )
        for as_of in dates
    }
    usage = (
        None
        if prepared.events is None
        else event_features(prepared.events, grid, types, event_types, top_types)
    )
    frames = []
    for i, as_of in enumerate(dates):
        frames.append(features_at(prepared, as_of, None if usage is None else usage[as_of]))
        if progress is not None:
            progress(i + 1, len(dates), as_of)
    matrix = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KEYS)
    return matrix


def build_feature_matrix(
    tables: Tables,
    as_of_dates: Iterable[pd.Timestamp],
    label_config: LabelConfig = LabelConfig(),
    progress: Progress | None = None,
    types: TypeCatalogue | None = None,
    data_end: pd.Timestamp | None = None,
    event_types: list[str] | None = None,
    top_types: int = 0,
) -> pd.DataFrame:
    """Features plus the ``churned``, ``renewed`` and ``stayed`` labels (NaN where censored or
    undefined; ``features.labels``).

    Labels are the only columns computed from data after ``as_of``; they are censored where
    their window runs past ``data_end``: by default ``observed_until`` (the date subscription
    changes are recorded to). ``types`` and ``data_end`` are those of all accounts when
    ``tables`` hold only some.
    """
    matrix = build_features(tables, as_of_dates, progress, types, event_types, top_types)
    if matrix.empty:  # no active account (a Spark partition may have none): same columns
        return matrix.assign(**{label: pd.Series(dtype=float) for label in LABELS})
    dates = [pd.Timestamp(t) for t in matrix["as_of"].unique()]
    grid = active_grid(tables.subscriptions, dates)
    data_end = observed_until(tables) if data_end is None else data_end
    target = labels(tables.subscriptions, grid, data_end, label_config).merge(
        stay_labels(tables.subscriptions, grid, data_end, label_config), on=KEYS, validate="1:1"
    )
    return matrix.merge(target, on=KEYS, how="left", validate="one_to_one")


def feature_columns(matrix: pd.DataFrame) -> list[str]:
    """The feature columns of a matrix (everything but keys and labels)."""
    return [c for c in matrix.columns if c not in KEYS and c not in LABELS]
