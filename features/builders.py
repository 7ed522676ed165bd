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
from features.flags import is_flag_column, truthy
from features.pointintime import rows_between
from features.subscriptions import contract_mrr, current_rows, main_rows
from features.timeline import active_terms
from features.usage_types import type_label

DAY = pd.Timedelta(days=1)
NEGATIVE_TEXT = -0.3
HIGH_PRIORITIES = ("high", "urgent", "critical", "p1", "p0")


@dataclass(frozen=True)
class Feature:
    """What a feature column means: its family and a phrase a person understands."""

    family: str
    label: str


FEATURES: dict[str, Feature] = {
    # usage frequency (events table). "Last N days" = the N days before the as-of date.
    "events_7d": Feature("usage", "product events in the last 7 days"),
    "events_30d": Feature("usage", "product events in the last 30 days"),
    "events_90d": Feature("usage", "product events in the last 90 days"),
    "events_prev_30d": Feature("usage", "product events 31-60 days ago"),
    "events_change_30d": Feature("usage", "change in events, last 30 days vs the 30 before"),
    "active_days_7d": Feature("usage", "days with any activity in the last 7 days"),
    "active_days_30d": Feature("usage", "days with any activity in the last 30 days"),
    "active_days_90d": Feature("usage", "days with any activity in the last 90 days"),
    "active_users_7d": Feature("usage", "active users in the last 7 days"),
    "active_users_30d": Feature("usage", "active users in the last 30 days"),
    "active_users_90d": Feature("usage", "active users in the last 90 days"),
    "active_users_prev_30d": Feature("usage", "active users 31-60 days ago"),
    "active_users_change_30d": Feature("usage", "change in active users vs the 30 days before"),
    "events_per_seat_30d": Feature("usage", "events per licensed seat in the last 30 days"),
    "usage_slope_12w": Feature(
        "usage", "weekly usage trend over 12 weeks (share of mean per week)"
    ),
    "days_since_last_event": Feature("usage", "days since the last product activity"),
    # adoption (events table). Catalogue = every event type any account used before the as-of
    # date; core = the event types used by at least half of the accounts active in the 90 days
    # before it (both relative to all accounts, so they move when the product's use does).
    "features_used_30d": Feature("adoption", "distinct product features used in the last 30 days"),
    "features_used_90d": Feature("adoption", "distinct product features used in the last 90 days"),
    "catalogue_share_90d": Feature("adoption", "share of the feature catalogue used in 90 days"),
    "features_new_30d": Feature("adoption", "features first used in the last 30 days"),
    "features_dropped_30d": Feature("adoption", "features used 31-60 days ago but not since"),
    "core_features_used_30d": Feature("adoption", "core features used in the last 30 days"),
    "core_depth_30d": Feature(
        "adoption", "share of the last 30 days on which core features were used (average)"
    ),
    "core_adoption_share": Feature("adoption", "share of the core features ever used"),
    "days_since_core_adoption": Feature(
        "adoption", "days since first use of the core features (average over those used)"
    ),
    "seat_utilisation_30d": Feature("adoption", "active users per licensed seat (30 days)"),
    "days_since_first_event": Feature("adoption", "days since the account first used the product"),
    # sentiment: text of tickets (subject + text) and survey comments scored in [-1, 1]; NPS and
    # CSAT surveys; ticket CSAT
    "sentiment_mean_90d": Feature(
        "sentiment", "average sentiment of tickets and comments (90 days)"
    ),
    "sentiment_min_90d": Feature("sentiment", "most negative ticket or comment (90 days)"),
    "negative_texts_90d": Feature("sentiment", "negative tickets and comments in 90 days"),
    "sentiment_change_90d": Feature(
        "sentiment", "change in average sentiment, last 90 days vs the 90 before"
    ),
    "latest_nps": Feature("sentiment", "latest NPS score"),
    "nps_change": Feature("sentiment", "change between the last two NPS scores"),
    "is_detractor": Feature("sentiment", "latest NPS is a detractor (0-6)"),
    "is_promoter": Feature("sentiment", "latest NPS is a promoter (9-10)"),
    "csat_mean_90d": Feature("sentiment", "average CSAT of tickets and surveys (90 days)"),
    # support tickets (dated by creation; resolution and first response as known at the as-of)
    "tickets_30d": Feature("support", "support tickets in the last 30 days"),
    "tickets_prev_30d": Feature("support", "support tickets 31-60 days ago"),
    "tickets_change_30d": Feature("support", "change in tickets, last 30 days vs the 30 before"),
    "tickets_90d": Feature("support", "support tickets in the last 90 days"),
    "tickets_prev_90d": Feature("support", "support tickets 91-180 days ago"),
    "open_tickets": Feature("support", "tickets still open"),
    "high_priority_share_90d": Feature("support", "share of high or urgent tickets (90 days)"),
    "mean_resolution_days_90d": Feature("support", "mean days to resolve a ticket (90 days)"),
    "mean_first_response_hours_90d": Feature(
        "support", "mean hours to the first response to a ticket (90 days)"
    ),
    "escalations_90d": Feature("support", "escalated tickets in 90 days"),
    "days_since_last_ticket": Feature("support", "days since the last support ticket"),
    # contract and attributes (plus the accounts table's own columns, see static_attributes)
    "tenure_days": Feature("contract", "days as a customer"),
    "mrr": Feature("contract", "monthly recurring revenue"),
    "mrr_change_pct": Feature("contract", "price change of the current term vs the previous one"),
    "days_to_term_end": Feature("contract", "days until the current term ends"),
    "term_length_days": Feature("contract", "length of the current term in days"),
    "current_plan": Feature("contract", "plan of the main subscription (largest MRR)"),
}

FAMILIES = ("usage", "adoption", "sentiment", "support", "contract")
STATIC_EXCLUDED = ("account_id", "name", "created_at")


def feature_family(name: str) -> str:
    """The family of a feature; per-type usage counts as usage, static attributes as contract."""
    if name in FEATURES:
        return FEATURES[name].family
    return "usage" if type_label(name) is not None else "contract"


def _count(frame: pd.DataFrame, accounts: pd.Index, column: str | None = None) -> pd.Series:
    grouped = frame.groupby("account_id", sort=False)
    counts = grouped[column].sum() if column else grouped.size()
    return counts.reindex(accounts, fill_value=0).astype(float)


def _relative_change(now: pd.Series, before: pd.Series) -> pd.Series:
    """(now - before) / before, NaN where there is no 'before' to compare with."""
    return (now - before) / before.where(before > 0)


def _days(delta: pd.Series) -> pd.Series:
    return delta / DAY


def _seats(tables: Tables, accounts: pd.Index, as_of: pd.Timestamp | None = None) -> pd.Series:
    """Licensed seats: the main subscription row's ``quantity`` where there is one (at
    ``as_of``), else the accounts table's ``seats``."""
    seats = pd.Series(np.nan, index=accounts)
    if "seats" in tables.accounts:
        seats = tables.accounts.set_index("account_id")["seats"].astype(float).reindex(accounts)
    subs = tables.subscriptions
    if as_of is not None and "quantity" in subs:
        quantity = main_rows(current_rows(subs, as_of))["quantity"].astype(float)
        seats = quantity.reindex(accounts).fillna(seats)
    return seats.where(lambda s: s > 0)


def usage_and_adoption(
    aggregates: pd.DataFrame,
    tables: Tables,
    accounts: pd.Index,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Usage and adoption at one as-of date: ``features.events`` output plus the per-seat ratios.

    The windowed event aggregates are computed for all dates at once in ``features.events`` (one
    SQL definition); here they meet the licensed seats from the accounts table.
    """
    out = aggregates.reindex(accounts)
    seats = _seats(tables, accounts, as_of)
    out.insert(
        out.columns.get_loc("usage_slope_12w"), "events_per_seat_30d", out["events_30d"] / seats
    )
    if "active_users_30d" in out:
        out.insert(
            out.columns.get_loc("days_since_first_event"),
            "seat_utilisation_30d",
            out["active_users_30d"] / seats,
        )
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


def _has_text(tables: Tables) -> bool:
    return (tables.tickets is not None and "sentiment" in tables.tickets) or (
        tables.surveys is not None and "sentiment" in tables.surveys
    )


def _latest_two(frame: pd.DataFrame, column: str, accounts: pd.Index):
    """The last and the one-before-last value per account of a time-sorted frame."""
    by_account = frame.groupby("account_id", sort=False)[column]
    latest, before = by_account.nth(-1), by_account.nth(-2)
    latest = pd.Series(latest.to_numpy(), index=frame.loc[latest.index, "account_id"])
    before = pd.Series(before.to_numpy(), index=frame.loc[before.index, "account_id"])
    return latest.reindex(accounts).astype(float), before.reindex(accounts).astype(float)


def _csat_scores(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """CSAT answers of the last 90 days: ticket CSAT (dated by resolution) and CSAT surveys."""
    parts = []
    tickets = tables.tickets
    if tickets is not None and "csat" in tickets:
        when = tickets["resolved_at"] if "resolved_at" in tickets else tickets["created_at"]
        parts.append(
            pd.DataFrame({"account_id": tickets["account_id"], "at": when, "csat": tickets["csat"]})
        )
    surveys = tables.surveys
    if surveys is not None:
        csat = surveys[surveys["kind"].astype(str).str.lower() == "csat"]
        parts.append(
            pd.DataFrame(
                {
                    "account_id": csat["account_id"],
                    "at": csat["responded_at"],
                    "csat": csat["score"],
                }
            )
        )
    scores = pd.concat(parts, ignore_index=True).dropna()
    return scores[(scores["at"] >= as_of - 90 * DAY) & (scores["at"] < as_of)]


def sentiment(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Text sentiment over 90 days and its change, the NPS story, and CSAT."""
    out = pd.DataFrame(index=accounts)
    if _has_text(tables):
        texts = _texts(tables)
        recent = texts[texts["at"] >= as_of - 90 * DAY]
        earlier = texts[(texts["at"] >= as_of - 180 * DAY) & (texts["at"] < as_of - 90 * DAY)]
        by_account = recent.groupby("account_id", sort=False)["sentiment"]
        out["sentiment_mean_90d"] = by_account.mean().reindex(accounts)
        out["sentiment_min_90d"] = by_account.min().reindex(accounts)
        negative = recent[recent["sentiment"] < NEGATIVE_TEXT]
        out["negative_texts_90d"] = _count(negative, accounts)
        before = earlier.groupby("account_id", sort=False)["sentiment"].mean()
        out["sentiment_change_90d"] = out["sentiment_mean_90d"] - before.reindex(accounts)
    surveys = tables.surveys
    if surveys is not None:
        nps = surveys[surveys["kind"].astype(str).str.lower() == "nps"]
        latest, before = _latest_two(nps, "score", accounts)
        out["latest_nps"] = latest
        out["nps_change"] = latest - before
        out["is_detractor"] = (latest <= 6).astype(float).where(latest.notna())
        out["is_promoter"] = (latest >= 9).astype(float).where(latest.notna())
    if surveys is not None or (tables.tickets is not None and "csat" in tables.tickets):
        csat = _csat_scores(tables, as_of)
        mean = csat.groupby("account_id", sort=False)["csat"].mean()
        out["csat_mean_90d"] = mean.reindex(accounts).astype(float)
    return out


def support_tickets(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Ticket volume and its change, backlog, priority mix, response and resolution times,
    escalations, recency."""
    tickets = tables.tickets
    last_30 = rows_between(tickets, "created_at", as_of - 30 * DAY, as_of)
    prev_30 = rows_between(tickets, "created_at", as_of - 60 * DAY, as_of - 30 * DAY)
    last_90 = rows_between(tickets, "created_at", as_of - 90 * DAY, as_of)
    prev_90 = rows_between(tickets, "created_at", as_of - 180 * DAY, as_of - 90 * DAY)
    out = pd.DataFrame(index=accounts)
    out["tickets_30d"] = _count(last_30, accounts)
    out["tickets_prev_30d"] = _count(prev_30, accounts)
    out["tickets_change_30d"] = _relative_change(out["tickets_30d"], out["tickets_prev_30d"])
    out["tickets_90d"] = _count(last_90, accounts)
    out["tickets_prev_90d"] = _count(prev_90, accounts)
    if "resolved_at" in tickets:
        out["open_tickets"] = _count(tickets[tickets["resolved_at"].isna()], accounts)
        resolution = last_90.assign(days=_days(last_90["resolved_at"] - last_90["created_at"]))
        mean_days = resolution.groupby("account_id", sort=False)["days"].mean()
        out["mean_resolution_days_90d"] = mean_days.reindex(accounts)
    if "first_response_at" in tickets:
        wait = last_90["first_response_at"] - last_90["created_at"]
        response = last_90.assign(hours=wait / pd.Timedelta(hours=1))
        mean_hours = response.groupby("account_id", sort=False)["hours"].mean()
        out["mean_first_response_hours_90d"] = mean_hours.reindex(accounts)
    if "priority" in tickets:
        high = last_90[last_90["priority"].astype(str).str.lower().isin(HIGH_PRIORITIES)]
        out["high_priority_share_90d"] = _count(high, accounts) / out["tickets_90d"].where(
            out["tickets_90d"] > 0
        )
    if "escalated" in tickets:
        escalated = last_90[truthy(last_90["escalated"])]
        out["escalations_90d"] = _count(escalated, accounts)
    last_ticket = tickets.groupby("account_id", sort=False)["created_at"].max().reindex(accounts)
    out["days_since_last_ticket"] = _days(as_of - last_ticket)
    return out


def contract(tables: Tables, as_of: pd.Timestamp, accounts: pd.Index) -> pd.DataFrame:
    """Tenure, current price and its change, the current term, and static account attributes.

    Concurrent rows are one contract (``features.subscriptions``): MRR is their sum, term and
    plan are the main row's (largest MRR), and an add-on bought or dropped changes the MRR.
    """
    subs = tables.subscriptions
    terms = active_terms(subs, as_of).set_index("account_id").reindex(accounts)
    first_start = subs.groupby("account_id", sort=False)["start_date"].min().reindex(accounts)
    out = pd.DataFrame(index=accounts)
    out["tenure_days"] = _days(as_of - first_start)
    if "mrr" in subs:
        current, previous = contract_mrr(subs, as_of, accounts)
        out["mrr"] = current
        out["mrr_change_pct"] = _relative_change(current, previous)
    out["days_to_term_end"] = _days(terms["term_end"] - as_of)
    out["term_length_days"] = _days(terms["term_end"] - terms["term_start"])
    if "plan" in subs:
        plan = main_rows(current_rows(subs, as_of))["plan"].reindex(accounts)
        levels = sorted(set(subs["plan"].dropna().astype(str)))
        out["current_plan"] = pd.Categorical(plan.astype("object"), categories=levels)
    return out.join(static_attributes(tables.accounts, accounts))


def static_attribute(column: pd.Series) -> pd.Series:
    """One accounts column typed for a model: flags and numbers as floats, the rest categorical.

    Categories are the column's sorted values over the whole accounts table, so every as-of date
    (and training and scoring) share one set of levels.
    """
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype(float)
    if is_flag_column(column):
        return pd.Series(truthy(column), index=column.index).astype(float).where(column.notna())
    as_text = (
        column.astype("object").where(column.notna()).map(lambda v: v if pd.isna(v) else str(v))
    )
    levels = sorted(set(as_text.dropna()))
    return pd.Series(pd.Categorical(as_text, categories=levels), index=column.index)


def static_attributes(accounts_table: pd.DataFrame, accounts: pd.Index) -> pd.DataFrame:
    """The accounts table's own columns (plan, industry, seats, ...) as features.

    Dates are left out (a calendar date is no attribute of health); names and ids too.
    """
    columns = [
        c
        for c in accounts_table.columns
        if c not in STATIC_EXCLUDED
        and not pd.api.types.is_datetime64_any_dtype(accounts_table[c].dtype)
    ]
    table = accounts_table.set_index("account_id")
    static = pd.DataFrame({c: static_attribute(table[c]) for c in columns}, index=table.index)
    static = static.reindex(accounts)
    renamed = {c: f"account_{c}" for c in columns if c in FEATURES}
    return static.rename(columns=renamed)


Builder = Callable[[Tables, pd.Timestamp, pd.Index], pd.DataFrame]

# In order, after usage and adoption (features.events); a builder runs only when the tables it
# needs are present.
BUILDERS: list[tuple[str, Builder, tuple[str, ...]]] = [
    ("sentiment", sentiment, ()),
    ("support_tickets", support_tickets, ("tickets",)),
    ("contract", contract, ()),
]
