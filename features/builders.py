"""Feature builders: one pure function per family, each seeing only ``visible_tables`` output.

Every builder takes the visible tables, the as-of date and the active accounts, and returns one row
per account with the value that is true for it (0 events when there were none; NaN where a thing is
unknown, such as sentiment with no text). ``FEATURES`` documents every column in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import Tables
from features.pointintime import rows_between
from features.timeline import active_terms

DAY = pd.Timedelta(days=1)
NEGATIVE_TEXT = -0.3
HIGH_PRIORITIES = ("high", "urgent", "critical", "p1", "p0")


@dataclass(frozen=True)
class Feature:
    """What a feature column means: its family and a phrase a person understands."""

    family: str
    label: str


FEATURES: dict[str, Feature] = {
    # usage frequency (events table)
    "events_7d": Feature("usage", "product events in the last 7 days"),
    "events_30d": Feature("usage", "product events in the last 30 days"),
    "events_90d": Feature("usage", "product events in the last 90 days"),
    "events_prev_30d": Feature("usage", "product events 31-60 days ago"),
    "events_change_30d": Feature("usage", "change in events, last 30 days vs the 30 before"),
    "active_days_30d": Feature("usage", "days with any activity in the last 30 days"),
    "active_users_30d": Feature("usage", "active users in the last 30 days"),
    "active_users_prev_30d": Feature("usage", "active users 31-60 days ago"),
    "active_users_change_30d": Feature("usage", "change in active users vs the 30 days before"),
    "events_per_seat_30d": Feature("usage", "events per licensed seat in the last 30 days"),
    "usage_slope_12w": Feature(
        "usage", "weekly usage trend over 12 weeks (share of mean per week)"
    ),
    "days_since_last_event": Feature("usage", "days since the last product activity"),
    # adoption (events table)
    "features_used_30d": Feature("adoption", "distinct product features used in the last 30 days"),
    "features_used_90d": Feature("adoption", "distinct product features used in the last 90 days"),
    "catalogue_share_90d": Feature("adoption", "share of the feature catalogue used in 90 days"),
    "features_dropped_30d": Feature("adoption", "features used 31-60 days ago but not since"),
    "seat_utilisation_30d": Feature("adoption", "active users per licensed seat (30 days)"),
    "days_since_first_event": Feature("adoption", "days since the account first used the product"),
    # sentiment (ticket and survey text, NPS)
    "sentiment_mean_90d": Feature(
        "sentiment", "average sentiment of tickets and comments (90 days)"
    ),
    "sentiment_min_90d": Feature("sentiment", "most negative ticket or comment (90 days)"),
    "negative_texts_90d": Feature("sentiment", "negative tickets and comments in 90 days"),
    "latest_nps": Feature("sentiment", "latest NPS score"),
    "nps_change": Feature("sentiment", "change between the last two NPS scores"),
    "is_detractor": Feature("sentiment", "latest NPS is a detractor (0-6)"),
    "is_promoter": Feature("sentiment", "latest NPS is a promoter (9-10)"),
    # support tickets
    "tickets_30d": Feature("support", "support tickets in the last 30 days"),
    "tickets_90d": Feature("support", "support tickets in the last 90 days"),
    "tickets_prev_90d": Feature("support", "support tickets 91-180 days ago"),
    "open_tickets": Feature("support", "tickets still open"),
    "high_priority_share_90d": Feature("support", "share of high or urgent tickets (90 days)"),
    "mean_resolution_days_90d": Feature("support", "mean days to resolve a ticket (90 days)"),
    "escalations_90d": Feature("support", "escalated tickets in 90 days"),
    "days_since_last_ticket": Feature("support", "days since the last support ticket"),
    # contract and attributes
    "tenure_days": Feature("contract", "days as a customer"),
    "mrr": Feature("contract", "monthly recurring revenue"),
    "mrr_change_pct": Feature("contract", "price change of the current term vs the previous one"),
    "days_to_term_end": Feature("contract", "days until the current term ends"),
    "term_length_days": Feature("contract", "length of the current term in days"),
}

FAMILIES = ("usage", "adoption", "sentiment", "support", "contract")
STATIC_EXCLUDED = ("account_id", "name", "created_at")


def feature_family(name: str) -> str:
    """The family of a feature; static account attributes count as contract."""
    return FEATURES[name].family if name in FEATURES else "contract"


def _count(frame: pd.DataFrame, accounts: pd.Index, column: str | None = None) -> pd.Series:
    grouped = frame.groupby("account_id", sort=False)
    counts = grouped[column].sum() if column else grouped.size()
    return counts.reindex(accounts, fill_value=0).astype(float)


def _nunique(frame: pd.DataFrame, column: str, accounts: pd.Index) -> pd.Series:
    counts = frame.groupby("account_id", sort=False)[column].nunique()
    return counts.reindex(accounts, fill_value=0).astype(float)


def _relative_change(now: pd.Series, before: pd.Series) -> pd.Series:
    """(now - before) / before, NaN where there is no 'before' to compare with."""
    return (now - before) / before.where(before > 0)


def _days(delta: pd.Series) -> pd.Series:
    return delta / DAY


def _seats(tables: Tables, accounts: pd.Index) -> pd.Series:
    if "seats" not in tables.accounts:
        return pd.Series(np.nan, index=accounts)
    seats = tables.accounts.set_index("account_id")["seats"].astype(float)
    return seats.reindex(accounts).where(lambda s: s > 0)


def usage_frequency(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Events, active days and active users over recent windows, their trend and recency."""
    events = tables.events
    last = {d: rows_between(events, "timestamp", as_of - d * DAY, as_of) for d in (7, 30, 90)}
    prev_30 = rows_between(events, "timestamp", as_of - 60 * DAY, as_of - 30 * DAY)
    out = pd.DataFrame(index=accounts)
    for d, frame in last.items():
        out[f"events_{d}d"] = _count(frame, accounts, "value")
    out["events_prev_30d"] = _count(prev_30, accounts, "value")
    out["events_change_30d"] = _relative_change(out["events_30d"], out["events_prev_30d"])
    out["active_days_30d"] = _nunique(last[30], "day", accounts)
    if "user_id" in events:
        out["active_users_30d"] = _nunique(last[30], "user_id", accounts)
        out["active_users_prev_30d"] = _nunique(prev_30, "user_id", accounts)
        out["active_users_change_30d"] = _relative_change(
            out["active_users_30d"], out["active_users_prev_30d"]
        )
    out["events_per_seat_30d"] = out["events_30d"] / _seats(tables, accounts)
    out["usage_slope_12w"] = _weekly_slope(events, as_of, accounts)
    last_seen = events.groupby("account_id", sort=False)["timestamp"].max().reindex(accounts)
    out["days_since_last_event"] = _days(as_of - last_seen)
    return out


def _weekly_slope(events: pd.DataFrame, as_of: pd.Timestamp, accounts: pd.Index) -> pd.Series:
    """Least-squares slope of weekly event totals over 12 weeks, as a share of the weekly mean."""
    weeks = 12
    recent = rows_between(events, "timestamp", as_of - weeks * 7 * DAY, as_of)
    age = ((as_of - recent["timestamp"]) / DAY).to_numpy() // 7
    position = (weeks - 1 - age).astype(int)  # 0 = oldest week, 11 = the latest
    codes = pd.Index(accounts).get_indexer(recent["account_id"])
    keep = codes >= 0
    totals = np.zeros((len(accounts), weeks))
    np.add.at(totals, (codes[keep], position[keep]), recent["value"].to_numpy(dtype=float)[keep])
    x = np.arange(weeks) - (weeks - 1) / 2
    slope = totals @ x / (x @ x)
    mean = totals.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(mean > 0, slope / mean, np.nan)
    return pd.Series(relative, index=accounts)


def adoption(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Breadth of product use, seat utilisation and how long the account has used the product."""
    events = tables.events
    last_30 = rows_between(events, "timestamp", as_of - 30 * DAY, as_of)
    last_90 = rows_between(events, "timestamp", as_of - 90 * DAY, as_of)
    prev_30 = rows_between(events, "timestamp", as_of - 60 * DAY, as_of - 30 * DAY)
    catalogue = max(events["event_type"].nunique(), 1)
    out = pd.DataFrame(index=accounts)
    out["features_used_30d"] = _nunique(last_30, "event_type", accounts)
    out["features_used_90d"] = _nunique(last_90, "event_type", accounts)
    out["catalogue_share_90d"] = out["features_used_90d"] / catalogue
    recent_pairs = last_30[["account_id", "event_type"]].drop_duplicates()
    earlier_pairs = prev_30[["account_id", "event_type"]].drop_duplicates()
    dropped = earlier_pairs.merge(recent_pairs, how="left", indicator=True)
    dropped = dropped[dropped["_merge"] == "left_only"]
    out["features_dropped_30d"] = _count(dropped, accounts)
    if "user_id" in events:
        active_users = _nunique(last_30, "user_id", accounts)
        out["seat_utilisation_30d"] = active_users / _seats(tables, accounts)
    first_seen = events.groupby("account_id", sort=False)["timestamp"].min().reindex(accounts)
    out["days_since_first_event"] = _days(as_of - first_seen)
    return out


def _texts(tables: Tables) -> pd.DataFrame:
    """Scored texts from tickets and survey comments: ``account_id, at, sentiment``."""
    parts = []
    if tables.tickets is not None and "sentiment" in tables.tickets:
        t = tables.tickets
        parts.append(
            pd.DataFrame(
                {"account_id": t["account_id"], "at": t["created_at"], "sentiment": t["sentiment"]}
            )
        )
    if tables.surveys is not None and "sentiment" in tables.surveys:
        s = tables.surveys
        parts.append(
            pd.DataFrame(
                {
                    "account_id": s["account_id"],
                    "at": s["responded_at"],
                    "sentiment": s["sentiment"],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["account_id", "at", "sentiment"])
    return pd.concat(parts, ignore_index=True).dropna(subset=["sentiment"])


def sentiment(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Text sentiment over 90 days and the NPS story (latest, change, detractor or promoter)."""
    out = pd.DataFrame(index=accounts)
    texts = _texts(tables)
    if len(texts) or _has_text(tables):
        recent = texts[texts["at"] >= as_of - 90 * DAY]
        by_account = recent.groupby("account_id", sort=False)["sentiment"]
        out["sentiment_mean_90d"] = by_account.mean().reindex(accounts)
        out["sentiment_min_90d"] = by_account.min().reindex(accounts)
        negative = recent[recent["sentiment"] < NEGATIVE_TEXT]
        out["negative_texts_90d"] = _count(negative, accounts)
    surveys = tables.surveys
    if surveys is not None:
        nps = surveys[surveys["kind"].astype(str).str.lower() == "nps"]
        ordered = nps.groupby("account_id", sort=False)["score"]
        latest = ordered.nth(-1)
        latest = pd.Series(latest.to_numpy(), index=nps.loc[latest.index, "account_id"])
        before = ordered.nth(-2)
        before = pd.Series(before.to_numpy(), index=nps.loc[before.index, "account_id"])
        out["latest_nps"] = latest.reindex(accounts).astype(float)
        out["nps_change"] = out["latest_nps"] - before.reindex(accounts).astype(float)
        out["is_detractor"] = (
            (out["latest_nps"] <= 6).astype(float).where(out["latest_nps"].notna())
        )
        out["is_promoter"] = (out["latest_nps"] >= 9).astype(float).where(out["latest_nps"].notna())
    return out


def _has_text(tables: Tables) -> bool:
    return (tables.tickets is not None and "sentiment" in tables.tickets) or (
        tables.surveys is not None and "sentiment" in tables.surveys
    )


def support_tickets(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Ticket volume and its change, backlog, priority mix, resolution time, escalations, recency."""
    tickets = tables.tickets
    last_30 = rows_between(tickets, "created_at", as_of - 30 * DAY, as_of)
    last_90 = rows_between(tickets, "created_at", as_of - 90 * DAY, as_of)
    prev_90 = rows_between(tickets, "created_at", as_of - 180 * DAY, as_of - 90 * DAY)
    out = pd.DataFrame(index=accounts)
    out["tickets_30d"] = _count(last_30, accounts)
    out["tickets_90d"] = _count(last_90, accounts)
    out["tickets_prev_90d"] = _count(prev_90, accounts)
    if "resolved_at" in tickets:
        out["open_tickets"] = _count(tickets[tickets["resolved_at"].isna()], accounts)
        resolution = last_90.assign(days=_days(last_90["resolved_at"] - last_90["created_at"]))
        mean_days = resolution.groupby("account_id", sort=False)["days"].mean()
        out["mean_resolution_days_90d"] = mean_days.reindex(accounts)
    if "priority" in tickets:
        high = last_90[last_90["priority"].astype(str).str.lower().isin(HIGH_PRIORITIES)]
        out["high_priority_share_90d"] = _count(high, accounts) / out["tickets_90d"].where(
            out["tickets_90d"] > 0
        )
    if "escalated" in tickets:
        escalated = last_90[last_90["escalated"].astype("boolean").fillna(False).astype(bool)]
        out["escalations_90d"] = _count(escalated, accounts)
    last_ticket = tickets.groupby("account_id", sort=False)["created_at"].max().reindex(accounts)
    out["days_since_last_ticket"] = _days(as_of - last_ticket)
    return out


def contract(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Tenure, current price and its change, the current term, and static account attributes."""
    subs = tables.subscriptions
    terms = active_terms(subs, as_of).set_index("account_id").reindex(accounts)
    first_start = subs.groupby("account_id", sort=False)["start_date"].min().reindex(accounts)
    out = pd.DataFrame(index=accounts)
    out["tenure_days"] = _days(as_of - first_start)
    if "mrr" in subs:
        ordered = subs.sort_values(["account_id", "start_date"], kind="stable")
        by_account = ordered.groupby("account_id", sort=False)["mrr"]
        current = by_account.nth(-1)
        current = pd.Series(current.to_numpy(), index=ordered.loc[current.index, "account_id"])
        previous = by_account.nth(-2)
        previous = pd.Series(previous.to_numpy(), index=ordered.loc[previous.index, "account_id"])
        out["mrr"] = current.reindex(accounts).astype(float)
        out["mrr_change_pct"] = _relative_change(
            out["mrr"], previous.reindex(accounts).astype(float)
        )
    out["days_to_term_end"] = _days(terms["term_end"] - as_of)
    out["term_length_days"] = _days(terms["term_end"] - terms["term_start"])
    return out.join(static_attributes(tables.accounts, accounts))


def static_attributes(accounts_table: pd.DataFrame, accounts: pd.Index) -> pd.DataFrame:
    """The accounts table's own columns (plan, industry, seats, ...) as features."""
    columns = [c for c in accounts_table.columns if c not in STATIC_EXCLUDED]
    static = accounts_table.set_index("account_id")[columns].reindex(accounts)
    renamed = {c: f"account_{c}" for c in columns if c in FEATURES}
    return static.rename(columns=renamed)


Builder = Callable[[Tables, pd.Timestamp, pd.Index], pd.DataFrame]

# In order; a builder runs only when the tables it needs are present.
BUILDERS: list[tuple[str, Builder, tuple[str, ...]]] = [
    ("usage_frequency", usage_frequency, ("events",)),
    ("adoption", adoption, ("events",)),
    ("sentiment", sentiment, ()),
    ("support_tickets", support_tickets, ("tickets",)),
    ("contract", contract, ()),
]
