"""The usage family: how much the account uses the product: events and active days in the last
7/30/90 days, events per user-day, their trend, recency (who uses it, active users and the
share of seats they fill, is adoption).

``usage_columns`` turns one as-of date's raw event aggregates (``features.events``) into the
columns; the builders hand them on, and the per-event-type columns (``features.usage_types``)
as a builder of their own.
"""

from __future__ import annotations

import pandas as pd

from features.catalogue import FEATURES
from features.contract import Tables
from features.per_account import ratio
from features.usage_types import parse as parse_type


def usage_columns(raw: pd.DataFrame, t: int, has_users: bool) -> pd.DataFrame:
    """Usage from raw aggregates at as-of day ``t`` (counts 0 where no events, days unknown;
    events per user-day only where the events name their users)."""
    out = pd.DataFrame(index=raw.index)
    for c in ("events_7d", "events_30d", "events_90d", "events_prev_30d"):
        out[c] = raw[c]
    out["events_change_30d"] = ratio(
        raw["events_30d"] - raw["events_prev_30d"], raw["events_prev_30d"]
    )
    for c in ("active_days_7d", "active_days_30d", "active_days_90d"):
        out[c] = raw[c]
    if has_users:
        # how much a user does on a day they use it: how much, apart from how many use it
        out["events_per_user_day_30d"] = ratio(raw["events_30d"], raw["user_days_30d"])
    # least-squares slope of 12 weekly totals over their mean: sum(v x) / 143 / (sum(v) / 12),
    # with x = week position - 5.5; the aggregates sum v * 2x to stay in integers.
    out["usage_slope_12w"] = ratio(raw["slope_numerator"] * 12 / (2 * 143), raw["slope_total"])
    out["days_since_last_event"] = (t - raw["last_day"]).astype(float)
    return out


def usage(
    tables: Tables, as_of: pd.Timestamp, accounts: pd.Index, events: pd.DataFrame
) -> pd.DataFrame:
    """The usage columns of the day's event features."""
    out = events[[c for c in events.columns if c in FEATURES and FEATURES[c].family == "usage"]]
    out = out.reindex(accounts)
    return out


def per_type_usage(
    tables: Tables, as_of: pd.Timestamp, accounts: pd.Index, events: pd.DataFrame
) -> pd.DataFrame:
    """The per-event-type columns of the day's event features (``features.usage_types``)."""
    return events[[c for c in events.columns if parse_type(c) is not None]].reindex(accounts)
