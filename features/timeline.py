"""Time: when the data starts and ends, the as-of grid, and which accounts are active at a date.

A subscription row is one contract term covering ``[start_date, end_date)``: ``end_date`` is the
first day without that term, so a renewal starts on the previous term's ``end_date``. A null
``end_date`` is a term still running. Terms are dated by ``start_date``: at as-of ``t`` only terms
with ``start_date < t`` are known, together with their end dates (a signed term's end is known when
it starts).
"""

from __future__ import annotations

import pandas as pd

from features.contract import TABLES, Tables
from features.pointintime import visible_subscriptions
from features.subscriptions import current_rows, main_rows


def observation_end(tables: Tables) -> pd.Timestamp:
    """The last moment the data has seen: the latest dated row of any table (future term ends excluded)."""
    candidates = [tables.subscriptions["start_date"].max()]
    for name in ("events", "tickets", "surveys"):
        frame = tables.get(name)
        if name == "events" and frame is not None and not isinstance(frame, pd.DataFrame):
            candidates.append(frame.time_range()[1])  # events left on disk (EventFiles)
        elif frame is not None and len(frame):
            candidates.append(frame[TABLES[name].time_column].max())
    return pd.Timestamp(max(c for c in candidates if pd.notna(c)))


def observation_start(tables: Tables) -> pd.Timestamp:
    """When the data starts describing accounts: the first product event, else the first term.

    Older terms may start long before usage was recorded; as-of dates before the first event would
    make every account look idle.
    """
    events = tables.events
    if events is not None and not isinstance(events, pd.DataFrame):
        first = events.time_range()[0]  # events left on disk (EventFiles)
        if pd.notna(first):
            return pd.Timestamp(first)
    elif events is not None and len(events):
        return pd.Timestamp(events["timestamp"].min())
    return pd.Timestamp(tables.subscriptions["start_date"].min())


def observed_until(tables: Tables) -> pd.Timestamp:
    """The date through which subscription changes are recorded: labels are known only up to it.

    The configured ``observed_until`` when set; otherwise the latest subscription start on or
    before the data's end (``observation_end``), and for rows whose end is recorded when it
    happens (``end_known_at``, auto-renewing billing exports) the latest such recorded end too.
    A signed term's end date is written when the term starts, so it says nothing about how far
    the feed runs: when renewals stop being recorded before the events end, only the starts show.
    """
    end = observation_end(tables)
    if tables.observed_until is not None:
        return min(pd.Timestamp(tables.observed_until), end)
    subs = tables.subscriptions
    dates = [subs["start_date"]]
    if "end_known_at" in subs:
        dates.append(subs["end_known_at"])
    recorded = pd.concat(dates, ignore_index=True)
    recorded = recorded[recorded <= end]
    return pd.Timestamp(recorded.max()) if len(recorded) else end


def as_of_grid(start: pd.Timestamp, end: pd.Timestamp, every_days: int = 30) -> list[pd.Timestamp]:
    """As-of dates every ``every_days`` from ``start`` up to ``end`` (both normalised to midnight)."""
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return list(pd.date_range(first, last, freq=f"{every_days}D"))


def active_terms(subscriptions: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Accounts active at ``as_of`` and when their current known term ends.

    Active means a known term (started before ``as_of``) reaches ``as_of``. Concurrent rows (a base
    plan and add-ons) are one contract: its term is the main row's (``subscriptions.main_rows``:
    the largest MRR). Returns one row per active account: ``account_id, term_start, term_end``
    (term_end NaT when running open-ended).
    """
    main = main_rows(current_rows(subscriptions, as_of)).sort_index()
    terms = pd.DataFrame(
        {"term_start": main["start_date"], "term_end": main["end_date"]}, index=main.index
    )
    return terms.rename_axis("account_id").reset_index()


def active_grid(subscriptions: pd.DataFrame, as_of_dates: list[pd.Timestamp]) -> pd.DataFrame:
    """``account_id, as_of, term_start, term_end`` for every active account at every as-of date,
    with the term ends known at that date (``visible_subscriptions``)."""
    columns = ["account_id", "as_of", "term_start", "term_end"]
    frames = [
        active_terms(visible_subscriptions(subscriptions, t), t).assign(as_of=t)
        for t in as_of_dates
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
