"""Who uses the product apart from how much, by hand: the most active users gone and how long
they have been away, the weekly active users' trend, and events per user-day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.contract import Tables
from features.matrix import build_features

T = pd.Timestamp("2025-03-01")


def used(account: str, user: str, *ages: int) -> list[tuple[str, str, pd.Timestamp]]:
    """One event of ``user`` on each day ``age`` days before T (age 1 = the day before)."""
    return [(account, user, T - pd.Timedelta(days=a) + pd.Timedelta(hours=10)) for a in ages]


def tables() -> Tables:
    rows = (
        # A: of its four users of ages 31..180, u1 was the most active (5 days); u1 is gone
        used("A", "u1", 40, 41, 42, 43, 44)
        + used("A", "u2", 50, 60, 70, 5)
        + used("A", "u3", 100, 5)
        + used("A", "u4", 35, 36)
        # B: v1 and v2 tie as the most active (3 days each; v2's 31 days ago is still then);
        # v1 came back 30 days ago (the last 30 days), v2 did not
        + used("B", "v1", 60, 61, 62, 30)
        + used("B", "v2", 31, 90, 150)
        + used("B", "v3", 100)
        # C: nobody active on days 31..180 (181 days ago is before the window)
        + used("C", "x1", 181, 2)
        # D: for the trend: w1 in the oldest of the 12 weeks and the latest, w2 twice in the latest
        + used("D", "w1", 80, 1)
        + used("D", "w2", 3, 4)
    )
    events = pd.DataFrame(rows, columns=["account_id", "user_id", "timestamp"])
    events = events.assign(event_type="view", value=1.0)
    ids = ["A", "B", "C", "D"]
    return Tables(
        accounts=pd.DataFrame({"account_id": ids, "seats": [5.0] * 4}),
        subscriptions=pd.DataFrame(
            {"account_id": ids, "start_date": pd.Timestamp("2024-01-01"), "end_date": pd.NaT}
        ),
        events=events,
    )


def test_share_of_the_most_active_users_not_seen_in_the_last_30_days():
    f = build_features(tables(), [T]).set_index("account_id")
    # A: 4 users then, ceil(4/4) = 1: the top is u1 alone, who has not been back
    assert f.loc["A", "top_users_gone_share_30d"] == 1.0
    # B: 3 users then, ceil(3/4) = 1, but v1 and v2 tie at 3 days: both count; v2 is gone
    assert f.loc["B", "top_users_gone_share_30d"] == 0.5
    # C: no user then, nothing to lose
    assert np.isnan(f.loc["C", "top_users_gone_share_30d"])
    # D: w1 (80 days ago) is the only user then and was active yesterday
    assert f.loc["D", "top_users_gone_share_30d"] == 0.0

    # how long the most active users have been away, on average: u1 last 40 days ago; v1 30 and
    # v2 31 days ago; w1 yesterday; none for C
    assert f.loc["A", "days_since_top_users_active"] == 40.0
    assert f.loc["B", "days_since_top_users_active"] == (30 + 31) / 2
    assert f.loc["D", "days_since_top_users_active"] == 1.0
    assert np.isnan(f.loc["C", "days_since_top_users_active"])


def test_events_per_user_day():
    f = build_features(tables(), [T]).set_index("account_id")
    # one event of value 1 per user-day: B's last 30 days hold v1's day 30 ago only; D's hold
    # w1 yesterday and w2 on two days, so 3 events over 3 user-days
    assert f.loc["B", "events_per_user_day_30d"] == 1.0
    assert f.loc["D", "events_per_user_day_30d"] == 1.0


def test_weekly_active_users_trend_over_12_weeks():
    f = build_features(tables(), [T]).set_index("account_id")
    # D: 1 user in the oldest week (age 80), 2 in the latest (w2 twice counts once): the slope of
    # (week - 5.5) is (-5.5 * 1 + 5.5 * 2) / 143, over the mean of 3 / 12 users a week
    assert f.loc["D", "active_users_slope_12w"] == pytest.approx((5.5 / 143) / (3 / 12))
    # C: one user yesterday (181 days ago is outside the 12 weeks): all in the latest week
    assert f.loc["C", "active_users_slope_12w"] == pytest.approx((5.5 / 143) / (1 / 12))
