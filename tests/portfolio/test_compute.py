"""``portfolio_metrics`` on the hand-made book alone (no events, tickets or surveys)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.contract import Tables
from portfolio.compute import MetricsConfig, NoPeriodsError, portfolio_metrics
from portfolio.segments import SegmentError


def book_tables(subs: pd.DataFrame) -> Tables:
    ids = sorted(subs["account_id"].unique())
    accounts = pd.DataFrame(
        {"account_id": ids, "plan": ["a", "b"] * (len(ids) // 2) + ["a"] * (len(ids) % 2)}
    )
    return Tables(accounts=accounts, subscriptions=subs)


def test_settled_periods_headline_and_missing_tables(small_book):
    got = portfolio_metrics(book_tables(small_book), MetricsConfig(by="plan"))
    # data from the first term (Jan 2024) to D's return on 10 April 2025, less 14 days of grace
    assert got.periods["period"].iloc[0] == pd.Timestamp("2024-01-01")
    assert got.periods["period"].iloc[-1] == pd.Timestamp("2025-02-01")
    assert set(got.tables) == {"revenue", "voice", "responses", "cohorts"}
    assert got.headline["latest_end_mrr"] == 530.0  # as in test_mrr_bridge_by_hand
    # a year before 1 March 2025 only F was a customer (200); it pays 230 with its add-on
    assert got.headline["latest_grr_ttm"] == 1.0
    assert got.headline["latest_nrr_ttm"] == pytest.approx(1.15)
    assert pd.isna(got.headline["latest_nps"])
    assert got.warnings == ["no NPS responses in the data"]
    assert set(got.tables["revenue"]["segment"]) == {"all", "a", "b"}


def test_unusable_requests_say_why(small_book):
    with pytest.raises(SegmentError, match="no column 'tier'"):
        portfolio_metrics(book_tables(small_book), MetricsConfig(by="tier"))
    short = small_book[small_book["start_date"] >= "2025-03-01"]
    with pytest.raises(NoPeriodsError, match="one complete month"):
        portfolio_metrics(book_tables(short), MetricsConfig())
    with pytest.raises(ValueError, match="period"):
        MetricsConfig(period="week")
