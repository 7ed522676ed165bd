"""Coverage: the first and last date of each table, and a warning when tables end apart.

Real exports often end on different days (a subscription feed cut on the first of the month, the
events running to its end). Labels are then known only up to the subscription feed's last recorded
change (``timeline.observed_until``), and the user should see that before training.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from features.contract import TABLES, Tables
from features.timeline import observed_until

APART_DAYS = 3  # dense tables (subscriptions, events) ending further apart than this are flagged


def coverage(tables: Tables) -> pd.DataFrame:
    """``table, first, last`` per dated table; subscriptions' last = the last recorded change."""
    rows = [
        {
            "table": "subscriptions",
            "first": tables.subscriptions["start_date"].min(),
            "last": observed_until(dataclasses.replace(tables, observed_until=None)),
        }
    ]
    for name in ("events", "tickets", "surveys"):
        frame = tables.get(name)
        if frame is None:
            continue
        if isinstance(frame, pd.DataFrame):
            column = frame[TABLES[name].time_column]
            first, last = column.min(), column.max()
        else:  # events left on disk
            first, last = frame.time_range()
        rows.append({"table": name, "first": first, "last": last})
    return pd.DataFrame(rows)


def coverage_warning(table: pd.DataFrame) -> str | None:
    """One sentence when the subscription feed and the events end more than a few days apart."""
    last = table.set_index("table")["last"].dropna()
    if "events" not in last or "subscriptions" not in last:
        return None
    subs, events = pd.Timestamp(last["subscriptions"]), pd.Timestamp(last["events"])
    if abs((events.normalize() - subs.normalize()).days) <= APART_DAYS:
        return None
    return (
        f"Tables end on different days: the last subscription change is on {subs.date()}, the "
        f"last event on {events.date()}. Labels are known only up to {subs.date()} (renewals "
        f"after it are not recorded), so rows whose label window passes it are censored; if "
        f"subscription changes are in fact recorded later, set observed_until (config key or "
        f"--observed-until)."
    )


def coverage_lines(table: pd.DataFrame) -> list[str]:
    """Coverage as text lines for the console."""

    def day(value) -> str:
        return "-" if pd.isna(value) else str(pd.Timestamp(value).date())

    return [
        f"  {r.table:<13} {day(r.first)} to {day(r.last)}"
        + ("  (last recorded change)" if r.table == "subscriptions" else "")
        for r in table.itertuples()
    ]
