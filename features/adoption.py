"""The adoption family: who uses the product and how broadly: active users and seat utilisation,
distinct features used, the share of the catalogue, depth in the core features, time since first
use. Active users are adoption, not usage: losing a champion shows as fewer people using it
(``health.synthetic.CAUSE_FAMILY``).

Catalogue and core span all accounts (``features.events.TypeCatalogue``); ``adoption_columns``
turns one as-of date's raw event aggregates into the columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.account import licensed_seats
from features.catalogue import FEATURES
from features.contract import Tables
from features.per_account import ratio


def adoption_columns(
    raw: pd.DataFrame, t: int, catalogue: int, n_core: int, has_users: bool
) -> pd.DataFrame:
    """Adoption from raw aggregates at as-of day ``t``, with the catalogue and core sizes then
    (active users only where the events name their users)."""
    out = pd.DataFrame(index=raw.index)
    if has_users:
        for c in ("active_users_7d", "active_users_30d", "active_users_90d"):
            out[c] = raw[c]
        out["active_users_prev_30d"] = raw["active_users_prev_30d"]
        out["active_users_change_30d"] = ratio(
            raw["active_users_30d"] - raw["active_users_prev_30d"], raw["active_users_prev_30d"]
        )
        # as ``features.usage``'s slope of weekly events, of weekly active users
        out["active_users_slope_12w"] = ratio(
            raw["users_slope_numerator"] * 12 / (2 * 143), raw["users_slope_total"]
        )
        out["top_users_gone_share_30d"] = ratio(raw["top_users_gone"], raw["top_users_then"])
        out["days_since_top_users_active"] = ratio(raw["top_users_idle_sum"], raw["top_users_then"])
    out["features_used_30d"] = raw["features_used_30d"]
    out["features_used_90d"] = raw["features_used_90d"]
    out["catalogue_share_90d"] = ratio(raw["features_used_90d"], float(catalogue))
    out["features_new_30d"] = raw["features_new_30d"]
    out["features_dropped_30d"] = raw["features_dropped_30d"]
    out["core_features_used_30d"] = raw["core_features_used_30d"] if n_core else np.nan
    out["core_depth_30d"] = ratio(raw["core_feature_days_30d"], float(30 * n_core))
    out["core_adoption_share"] = ratio(raw["core_features_adopted"], float(n_core))
    out["days_since_core_adoption"] = ratio(
        raw["core_adoption_age_sum"].astype(float), raw["core_features_adopted"]
    )
    out["days_since_first_event"] = (t - raw["first_day"]).astype(float)
    return out


def adoption(
    tables: Tables, as_of: pd.Timestamp, accounts: pd.Index, events: pd.DataFrame
) -> pd.DataFrame:
    """The adoption columns of the day's event features, with active users per licensed seat."""
    family = [c for c in events.columns if c in FEATURES and FEATURES[c].family == "adoption"]
    out = events[family].reindex(accounts)
    if "active_users_30d" in events:
        out.insert(
            out.columns.get_loc("days_since_first_event"),
            "seat_utilisation_30d",
            events["active_users_30d"].reindex(accounts) / licensed_seats(tables, accounts, as_of),
        )
    return out
