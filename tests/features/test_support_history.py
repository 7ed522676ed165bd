"""Support against the account's own history, by hand: the ticket rate against its usual one
(days 91-365), resolution time against the usual, the escalated share, negative tickets in 30
days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURES
from features.contract import Tables
from features.support import support_tickets

T = pd.Timestamp("2025-03-01")
NEW = ["tickets_vs_usual_90d", "resolution_days_change_90d", "escalated_share_90d",
       "negative_tickets_30d"]  # fmt: skip


def days_before(*days: float) -> pd.Series:
    return pd.Series([T - pd.Timedelta(days=d) for d in days])


def tables() -> Tables:
    """A: 3 tickets in the last 90 days (10, 40 and 80 days ago), 2 in days 91-365 (100 and 300
    days ago), one 400 days ago (outside both). B: one ticket 200 days ago. C: none."""
    created = days_before(400, 300, 100, 80, 40, 10, 200)
    tickets = pd.DataFrame(
        {
            "account_id": ["A"] * 6 + ["B"],
            "created_at": created,
            # days to resolve: 9 (400), 1 and 3 (300, 100), 2, 4, 6 (80, 40, 10), B's 5
            "resolved_at": created + pd.to_timedelta([9, 1, 3, 2, 4, 6, 5], unit="D"),
            "escalated": [True, False, True, True, False, False, True],
            "sentiment": [-0.9, -0.8, 0.0, -0.5, 0.1, -0.7, -0.6],
        }
    ).sort_values("created_at", ignore_index=True)  # as features.pointintime prepares them
    accounts = pd.DataFrame({"account_id": ["A", "B", "C"]})
    subscriptions = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "start_date": days_before(500, 500, 500),
            "end_date": pd.NaT,
        }
    )
    return Tables(accounts, subscriptions, tickets=tickets)


def test_support_against_the_accounts_own_history():
    f = support_tickets(tables(), T, pd.Index(["A", "B", "C"], name="account_id"))
    a, b, c = f.loc["A"], f.loc["B"], f.loc["C"]
    # A: (3 + 1) / (2 x 90 / 275 + 1); B: no ticket lately against 1 in the usual window;
    # C: none against none reads 1, not a rise
    assert a["tickets_vs_usual_90d"] == pytest.approx(4 / (2 * 90 / 275 + 1))
    assert b["tickets_vs_usual_90d"] == pytest.approx(1 / (90 / 275 + 1))
    assert c["tickets_vs_usual_90d"] == 1.0
    # A: resolved in (2 + 4 + 6) / 3 = 4 days lately against (1 + 3) / 2 = 2 before
    assert a["resolution_days_change_90d"] == pytest.approx(2.0)
    assert np.isnan(b["resolution_days_change_90d"])  # no ticket lately: nothing to compare
    # A: 1 of its 3 tickets of the last 90 days escalated (the one 80 days ago)
    assert a["escalated_share_90d"] == pytest.approx(1 / 3)
    assert np.isnan(b["escalated_share_90d"]) and np.isnan(c["escalated_share_90d"])
    # A: of the tickets of the last 30 days only the one 10 days ago (-0.7) reads negative
    assert a["negative_tickets_30d"] == 1.0
    assert b["negative_tickets_30d"] == 0.0 and c["negative_tickets_30d"] == 0.0
    assert {FEATURES[name].family for name in NEW} == {"support"}
    assert {FEATURES[name].direction for name in NEW} == {-1}
