"""By hand on a tiny frame: survey comments' mood, the NPS story and CSAT (sentiment); the mood of
ticket text (support).

Texts come already scored (the ``sentiment`` column ``prepare_tables`` adds), so the numbers below
are worked out from the scores alone; VADER's own scoring is pinned in ``test_sentiment.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURES
from features.contract import Tables
from features.sentiment_features import sentiment
from features.support import support_tickets

T = pd.Timestamp("2025-03-01")


def days_before(*days: int) -> list[pd.Timestamp]:
    return [T - pd.Timedelta(days=d) for d in days]


def tables() -> Tables:
    """A: tickets and survey comments in both 90-day windows, two NPS answers, CSAT from tickets
    and a survey.
    B: one NPS answer of 10 and nothing else. C: no rows at all."""
    tickets = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "A"],
            "created_at": days_before(200, 100, 40, 10),
            "resolved_at": days_before(199, 95, 39, 8),
            "csat": [1.0, 5.0, 4.0, 2.0],
            "sentiment": [-1.0, 0.5, 0.2, -0.6],
        }
    )
    surveys = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "A", "A", "A", "A"],
            "responded_at": days_before(120, 20, 3, 5, 95, 30, 60),
            "score": [9.0, 3.0, 10.0, 4.0, 7.0, 2.0, 3.0],
            "kind": ["nps", "csat", "nps", "nps", "ces", "ces", "CES"],
            "sentiment": [0.5, -0.6, np.nan, 0.1, np.nan, np.nan, np.nan],
        }
    ).sort_values("responded_at", ignore_index=True)
    accounts = pd.DataFrame({"account_id": ["A", "B", "C"]})
    subscriptions = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "start_date": days_before(400, 400, 400),
            "end_date": pd.NaT,
        }
    )
    return Tables(accounts, subscriptions, tickets=tickets, surveys=surveys)


def test_survey_comments_mood_over_90_days_and_its_change():
    f = sentiment(tables(), T, pd.Index(["A", "B", "C"], name="account_id"))
    a = f.loc["A"]
    # last 90 days: the CSAT comment 20 days ago (-0.6) and the NPS comment 5 days ago (0.1);
    # the tickets are support's, not read here
    assert a["comment_sentiment_mean_90d"] == pytest.approx((-0.6 + 0.1) / 2)  # -0.25
    assert a["comment_sentiment_min_90d"] == -0.6
    assert a["negative_comments_90d"] == 1.0  # only -0.6 is below -0.3
    # the 90 before: the NPS comment 120 days ago (0.5)
    assert a["comment_sentiment_change_90d"] == pytest.approx(-0.25 - 0.5)
    for account in ("B", "C"):  # no comment: unknown sentiment, zero negative comments
        assert np.isnan(f.loc[account, "comment_sentiment_mean_90d"])
        assert np.isnan(f.loc[account, "comment_sentiment_change_90d"])
        assert f.loc[account, "negative_comments_90d"] == 0.0
    assert not [c for c in f if c.startswith("ticket_") or "tickets" in c]


def test_ticket_text_mood_and_customer_effort_are_support():
    f = support_tickets(tables(), T, pd.Index(["A", "B", "C"], name="account_id"))
    a = f.loc["A"]
    # last 90 days: tickets 40 and 10 days ago (0.2, -0.6); the survey comments are not read
    assert a["ticket_sentiment_mean_90d"] == pytest.approx((0.2 - 0.6) / 2)  # -0.2
    assert a["ticket_sentiment_min_90d"] == -0.6
    assert a["negative_tickets_90d"] == 1.0
    # the 90 before: the ticket 100 days ago (0.5); 200 days ago is outside both windows
    assert a["ticket_sentiment_change_90d"] == pytest.approx(-0.2 - 0.5)
    assert a["negative_ticket_share_90d"] == 1 / 2  # of the 2 tickets in 90 days
    assert np.isnan(f.loc["B", "ticket_sentiment_mean_90d"])
    assert f.loc["B", "negative_tickets_90d"] == 0.0
    assert np.isnan(f.loc["B", "negative_ticket_share_90d"])  # no ticket: no share
    # customer effort: A's answers 30 and 60 days ago (2, 3); 95 days ago is outside the window
    assert f.loc["A", "ces_mean_90d"] == 2.5
    assert np.isnan(f.loc["B", "ces_mean_90d"])
    assert {FEATURES[c].family for c in f} == {"support"}


def test_nps_latest_change_detractor_and_promoter():
    f = sentiment(tables(), T, pd.Index(["A", "B", "C"], name="account_id"))
    # A answered 9 (120 days ago) then 4 (5 days ago); the CSAT survey is not an NPS answer
    assert (f.loc["A", "latest_nps"], f.loc["A", "nps_change"]) == (4.0, -5.0)
    assert (f.loc["A", "is_detractor"], f.loc["A", "is_promoter"]) == (1.0, 0.0)
    # B answered once: a promoter with no change to report
    assert f.loc["B", "latest_nps"] == 10.0 and np.isnan(f.loc["B", "nps_change"])
    assert (f.loc["B", "is_detractor"], f.loc["B", "is_promoter"]) == (0.0, 1.0)
    # C never answered: every NPS feature unknown, not "not a detractor"
    assert f.loc["C", ["latest_nps", "nps_change", "is_detractor", "is_promoter"]].isna().all()


def test_csat_of_surveys_is_sentiment_and_of_tickets_support():
    accounts = pd.Index(["A", "B", "C"], name="account_id")
    f = sentiment(tables(), T, accounts)
    # the CSAT survey 20 days ago (3); the tickets' CSAT is not read here
    assert f.loc["A", "csat_mean_90d"] == 3.0
    assert np.isnan(f.loc["B", "csat_mean_90d"]) and np.isnan(f.loc["C", "csat_mean_90d"])
    s = support_tickets(tables(), T, accounts)
    # tickets resolved 39 and 8 days ago (4, 2); those resolved 95 and 199 days ago are older
    # than 90 days, and the CSAT survey is not a ticket's
    assert s.loc["A", "ticket_csat_mean_90d"] == pytest.approx((4 + 2) / 2)
    assert np.isnan(s.loc["B", "ticket_csat_mean_90d"])
    assert np.isnan(s.loc["C", "ticket_csat_mean_90d"])
    assert FEATURES["ticket_csat_mean_90d"].family == "support"
    assert FEATURES["csat_mean_90d"].family == "sentiment"
