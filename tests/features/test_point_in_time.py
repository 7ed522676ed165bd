"""Point-in-time correctness: rows dated on or after the as-of date change no feature."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from features.matrix import build_features

AS_OF = pd.Timestamp("2025-03-01")


def future_rows(tables, as_of: pd.Timestamp):
    """A copy of the tables with many extra rows on or after ``as_of``, and later facts changed."""
    rng = np.random.default_rng(0)
    accounts = tables.accounts["account_id"].to_numpy()

    def dates(n):
        return as_of + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h")

    n = 3000
    events = pd.concat(
        [
            tables.events,
            pd.DataFrame(
                {
                    "account_id": rng.choice(accounts, n),
                    "user_id": "intruder",
                    "timestamp": dates(n),
                    "event_type": "future_feature",
                    "value": 99.0,
                }
            ),
        ],
        ignore_index=True,
    )
    tickets = tables.tickets.copy()
    open_then = tickets["resolved_at"].isna() | (tickets["resolved_at"] >= as_of)
    tickets.loc[open_then, "resolved_at"] = as_of + pd.Timedelta(days=3)  # resolved later
    tickets.loc[open_then, "status"] = "resolved"
    tickets.loc[open_then, "first_response_at"] = as_of
    tickets = pd.concat(
        [
            tickets,
            pd.DataFrame(
                {
                    "ticket_id": [f"F{i}" for i in range(n)],
                    "account_id": rng.choice(accounts, n),
                    "created_at": dates(n),
                    "priority": "urgent",
                    "text": "outage, furious, cancelling",
                }
            ),
        ],
        ignore_index=True,
    )
    surveys = pd.concat(
        [
            tables.surveys,
            pd.DataFrame(
                {
                    "account_id": rng.choice(accounts, n),
                    "responded_at": dates(n),
                    "score": 0.0,
                    "kind": "nps",
                    "comment": "terrible",
                }
            ),
        ],
        ignore_index=True,
    )
    subscriptions = pd.concat(
        [
            tables.subscriptions,
            pd.DataFrame(
                {
                    "subscription_id": [f"FS{i}" for i in range(50)],
                    "account_id": rng.choice(accounts, 50),
                    "start_date": dates(50),
                    "end_date": as_of + pd.Timedelta(days=400),
                    "mrr": 1e6,
                }
            ),
        ],
        ignore_index=True,
    )
    return dataclasses.replace(
        tables, events=events, tickets=tickets, surveys=surveys, subscriptions=subscriptions
    )


@pytest.mark.parametrize("offset_days", [0, 45])
def test_rows_on_or_after_as_of_change_no_feature(demo_tables, offset_days):
    as_of = AS_OF + pd.Timedelta(days=offset_days)
    before = build_features(demo_tables, [as_of])
    after = build_features(future_rows(demo_tables, as_of), [as_of])
    assert len(before) > 100
    pd.testing.assert_frame_equal(before, after)


def test_rows_before_as_of_do_change_features(demo_tables):
    """The check above can fail: the same kind of rows one day earlier do move features."""
    as_of = AS_OF
    before = build_features(demo_tables, [as_of])
    shifted = future_rows(demo_tables, as_of - pd.Timedelta(days=1))
    after = build_features(shifted, [as_of])
    assert not before.equals(after)


def test_one_row_per_active_account_and_date(demo_tables):
    dates = [pd.Timestamp("2024-06-01"), pd.Timestamp("2025-06-01")]
    frame = build_features(demo_tables, dates)
    assert not frame.duplicated(["account_id", "as_of"]).any()
    assert set(frame["as_of"]) == set(dates)
    assert frame.columns.is_unique
