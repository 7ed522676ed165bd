"""Small hand-made timelines shared by the portfolio tests."""

from __future__ import annotations

import pandas as pd
import pytest

T = pd.Timestamp


def subscriptions(rows: list[tuple]) -> pd.DataFrame:
    """``(account_id, start, end or None, mrr)`` rows as a contract-typed subscriptions table."""
    frame = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date", "mrr"])
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    frame["mrr"] = frame["mrr"].astype(float)
    return frame


@pytest.fixture(name="subscriptions")
def subscriptions_fixture():
    """The ``subscriptions`` builder, for tests (conftest is not importable under importlib)."""
    return subscriptions


@pytest.fixture
def small_book() -> pd.DataFrame:
    """Seven accounts over the first half of 2025; the expected figures are in test_revenue.py.

    A: monthly from January, up in March, down in April, last term ends 1 May (churns in May).
    B: annual, renewed on 15 March at a higher price. C: joins and leaves in February.
    D: left in 2024, comes back in April (reactivation). E: its March row was deleted (churns in
    March). F: base plan since 2024 with an add-on 10 Feb - 10 Apr (cross-sell). G: a gap of 11
    days across 1 February (within the 14-day grace), then ends 5 March.
    """
    return subscriptions(
        [
            ("A", "2025-01-01", "2025-02-01", 100),
            ("A", "2025-02-01", "2025-03-01", 100),
            ("A", "2025-03-01", "2025-04-01", 150),
            ("A", "2025-04-01", "2025-05-01", 120),
            ("B", "2024-03-15", "2025-03-15", 100),
            ("B", "2025-03-15", "2026-03-15", 110),
            ("C", "2025-02-05", "2025-02-20", 50),
            ("D", "2024-06-01", "2024-12-01", 80),
            ("D", "2025-04-10", None, 90),
            ("E", "2025-01-01", "2025-02-01", 60),
            ("E", "2025-02-01", "2025-03-01", 60),
            ("F", "2024-01-01", None, 200),
            ("F", "2025-02-10", "2025-04-10", 30),
            ("G", "2025-01-01", "2025-01-25", 40),
            ("G", "2025-02-05", "2025-03-05", 40),
        ]
    )


@pytest.fixture
def half_year() -> pd.DatetimeIndex:
    return pd.date_range("2025-01-01", "2025-07-01", freq="MS")
