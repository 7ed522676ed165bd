"""The input data contract: which tables exist, their columns and their kinds (DESIGN section 1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    """Columns of one input table: required ones, typed optional ones, and its time column."""

    name: str
    required: tuple[str, ...]
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    time_column: str | None = None
    unique_id: str | None = None
    mandatory: bool = False
    defaults: dict[str, object] = field(default_factory=dict)


TABLES: dict[str, TableSpec] = {
    "accounts": TableSpec(
        name="accounts",
        required=("account_id",),
        dates=("created_at",),
        numbers=("seats",),
        unique_id="account_id",
        mandatory=True,
    ),
    "subscriptions": TableSpec(
        name="subscriptions",
        required=("account_id", "start_date", "end_date"),
        dates=("start_date", "end_date", "canceled_at", "current_period_end"),
        numbers=("mrr", "quantity"),
        time_column="start_date",
        unique_id="subscription_id",
        mandatory=True,
    ),
    "events": TableSpec(
        name="events",
        required=("account_id", "timestamp", "event_type"),
        dates=("timestamp",),
        numbers=("value",),
        time_column="timestamp",
        defaults={"value": 1.0},
    ),
    "tickets": TableSpec(
        name="tickets",
        required=("account_id", "created_at"),
        dates=("created_at", "resolved_at", "first_response_at"),
        numbers=("csat",),
        texts=("subject", "text"),
        time_column="created_at",
        unique_id="ticket_id",
    ),
    "surveys": TableSpec(
        name="surveys",
        required=("account_id", "responded_at", "score"),
        dates=("responded_at",),
        numbers=("score",),
        texts=("comment",),
        time_column="responded_at",
        defaults={"kind": "nps"},
    ),
}


class EventBatches(Protocol):
    """An events table left on disk, read in contract-typed batches (``features.loading.EventFiles``).

    Declared here so the contract names what ``Tables.events`` may be without importing the
    loader that implements it.
    """

    columns: tuple[str, ...]

    def __contains__(self, column: object) -> bool: ...

    def batches(self) -> Iterator[pd.DataFrame]: ...

    def time_range(self) -> tuple[pd.Timestamp, pd.Timestamp]: ...


@dataclass(frozen=True)
class Tables:
    """Validated input tables with contract column names; absent optional tables are None.

    Dates are naive UTC ``datetime64``; ``account_id`` is a string. ``events`` may instead be
    ``EventBatches`` (Parquet left on disk, for tables larger than memory).
    """

    accounts: pd.DataFrame
    subscriptions: pd.DataFrame
    events: pd.DataFrame | EventBatches | None = None
    tickets: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    observed_until: pd.Timestamp | None = None  # configured; None: ``timeline.observed_until``

    def get(self, name: str) -> pd.DataFrame | None:
        return getattr(self, name)

    def present(self) -> list[str]:
        """Names of the tables that were given."""
        return [name for name in TABLES if self.get(name) is not None]
