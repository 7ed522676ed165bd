"""Builders: hand-computed values on tiny inline tables, absent inputs, static columns, RavenStack."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.account import static_attributes
from features.catalogue import FAMILIES, FEATURES, feature_family
from features.contract import Tables
from features.matrix import build_feature_matrix, build_features, feature_columns

RAVENSTACK = Path(__file__).resolve().parents[3] / "shared/datasets/ravenstack"
REPO = Path(__file__).resolve().parents[2]
T = pd.Timestamp("2025-03-01")


def ts(*values: str) -> np.ndarray:
    return pd.to_datetime(list(values), format="mixed").astype("datetime64[ns]").to_numpy()


def tiny_tables() -> Tables:
    """Two accounts: A uses the product and raises tickets; B is active with no rows at all."""
    return Tables(
        accounts=pd.DataFrame({"account_id": ["A", "B"], "seats": [4.0, 2.0]}),
        subscriptions=pd.DataFrame(
            {
                "account_id": ["A", "B"],
                "start_date": ts("2024-01-01", "2025-01-01"),
                "end_date": ts("2025-12-31", "NaT"),
                "mrr": [100.0, 50.0],
            }
        ),
        events=pd.DataFrame(
            {
                "account_id": ["A", "A", "A", "A", "A"],
                "user_id": ["u1", "u2", "u1", "u1", "u1"],
                # yesterday (twice), 30 days ago, 31 days ago, and on the as-of date (invisible)
                "timestamp": ts(
                    "2025-02-28 09:00", "2025-02-28 18:00", "2025-01-30", "2025-01-29", "2025-03-01"
                ),
                "event_type": ["login", "report", "login", "export", "login"],
                "value": [1.0, 2.0, 3.0, 4.0, 100.0],
            }
        ),
        tickets=pd.DataFrame(
            {
                "ticket_id": ["T1", "T2"],
                "account_id": ["A", "A"],
                "created_at": ts("2025-02-20 10:00", "2025-02-25 10:00"),
                "resolved_at": ts("2025-02-22 10:00", "2025-03-02"),  # T2 resolved later
                "first_response_at": ts("2025-02-20 16:00", "NaT"),
                "priority": ["urgent", "low"],
                "csat": [4.0, 1.0],
            }
        ),
    )


def test_hand_computed_usage_adoption_and_support():
    f = build_features(tiny_tables(), [T]).set_index("account_id")
    a, b = f.loc["A"], f.loc["B"]
    assert (a["events_7d"], a["events_30d"], a["events_prev_30d"]) == (3.0, 6.0, 4.0)
    assert a["events_change_30d"] == pytest.approx(0.5)
    assert (a["active_days_7d"], a["active_days_30d"], a["active_days_90d"]) == (1.0, 2.0, 3.0)
    assert (a["active_users_7d"], a["active_users_30d"], a["active_users_prev_30d"]) == (2, 2, 1)
    assert a["seat_utilisation_30d"] == 2 / 4
    # user-days of the last 30 days: u1 and u2 yesterday, u1 30 days ago: 6 events over 3
    assert a["events_per_user_day_30d"] == 6.0 / 3
    assert a["days_since_last_event"] == 1.0 and a["days_since_first_event"] == 31.0
    assert (a["features_used_30d"], a["features_used_90d"], a["features_dropped_30d"]) == (2, 3, 1)
    assert a["catalogue_share_90d"] == 1.0 and a["features_new_30d"] == 2.0
    # B: active, no events -> zero counts, unknown recency and trend
    assert b["events_30d"] == 0 and b["active_users_30d"] == 0
    assert np.isnan(b["days_since_last_event"]) and np.isnan(b["events_change_30d"])
    # tickets: T2 is still open at T, so it has no resolution, response or CSAT yet
    assert (a["tickets_30d"], a["open_tickets"], a["high_priority_share_90d"]) == (2, 1, 0.5)
    assert a["tickets_per_seat_90d"] == 2 / 4 and b["tickets_per_seat_90d"] == 0.0
    assert a["mean_resolution_days_90d"] == 2.0 and a["mean_first_response_hours_90d"] == 6.0
    # ticket CSAT is support's; with no CSAT surveys there is no survey CSAT at all
    assert a["ticket_csat_mean_90d"] == 4.0 and np.isnan(b["ticket_csat_mean_90d"])
    assert "csat_mean_90d" not in f
    assert a["days_since_last_ticket"] == pytest.approx(3 + 14 / 24)
    assert b["tickets_30d"] == 0 and np.isnan(b["days_since_last_ticket"])
    assert a["days_to_term_end"] == (pd.Timestamp("2025-12-31") - T).days
    assert np.isnan(b["days_to_term_end"]) and b["tenure_days"] == 59


def test_absent_inputs_leave_features_out():
    tables = tiny_tables()
    no_tickets = build_features(dataclasses.replace(tables, tickets=None), [T])
    assert not any(FEATURES.get(c) and FEATURES[c].family == "support" for c in no_tickets)
    assert "csat_mean_90d" not in no_tickets and "negative_tickets_90d" not in no_tickets
    no_users = build_features(
        dataclasses.replace(tables, events=tables.events.drop(columns="user_id")), [T]
    )
    assert not [c for c in no_users if "users" in c or c == "seat_utilisation_30d"]
    assert "events_30d" in no_users
    no_events = build_features(dataclasses.replace(tables, events=None), [T])
    assert "events_30d" not in no_events and "tenure_days" in no_events


def test_every_feature_is_documented_with_a_family(demo_tables):
    matrix = build_feature_matrix(demo_tables, [pd.Timestamp("2025-03-01")])
    features = feature_columns(matrix)
    static = set(demo_tables.accounts.columns)
    assert set(features) - static <= set(FEATURES)
    assert {feature_family(c) for c in features} <= set(FAMILIES)
    assert 40 <= len(features) <= 80
    assert not matrix.duplicated(["account_id", "as_of"]).any()


def test_static_columns_typed_for_a_model():
    accounts = pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "plan": ["pro", None, "basic"],
            "is_trial": [True, False, True],
            "flag_text": ["TRUE", "false", None],
            "seats": [3, 5, 7],
            "created_at": pd.to_datetime(["2024-01-01"] * 3),
            "signed": pd.to_datetime(["2024-01-01"] * 3),
        }
    )
    static = static_attributes(accounts, pd.Index(["C", "A"]))
    assert list(static.columns) == ["plan", "is_trial", "flag_text", "seats"]
    assert isinstance(static["plan"].dtype, pd.CategoricalDtype)
    assert list(static["plan"].cat.categories) == ["basic", "pro"]
    assert static["is_trial"].tolist() == [1.0, 1.0]
    assert static["flag_text"].dtype == float and np.isnan(static["flag_text"].iloc[0])
    assert static["seats"].dtype == float


@pytest.mark.skipif(not RAVENSTACK.is_dir(), reason=f"RavenStack data not found at {RAVENSTACK}")
def test_ravenstack_builds_features_and_labels():
    from features.loading import load_tables
    from features.timeline import as_of_grid, observation_end, observation_start

    tables = load_tables(REPO / "examples/ravenstack.toml")
    start = observation_start(tables) + pd.Timedelta(days=90)
    matrix = build_feature_matrix(tables, as_of_grid(start, observation_end(tables)))
    features = feature_columns(matrix)
    assert len(matrix) > 1000 and matrix["churned"].notna().any()
    assert "churn_flag" not in features  # the label leak is dropped by the config
    assert {"events_30d", "core_depth_30d", "tickets_30d", "ticket_csat_mean_90d"} <= set(features)
    assert "escalations_90d" in features and "is_trial" in features
    # daily counts per subscription without users and ticket text: those features are left out
    assert not [c for c in features if "users" in c or "sentiment" in c]
    assert isinstance(matrix["industry"].dtype, pd.CategoricalDtype)


def test_previous_term_length_by_hand():
    """A: a year, then a second year (the previous term: 366 days, 2024 being a leap year).
    B: its first term (none before). C: a base row and a cheaper add-on ending at the renewal,
    so the main (larger) row's 31 days; D: a gap before the current term still counts."""
    from features.account import previous_term_days

    subs = pd.DataFrame(
        {
            "account_id": ["A", "A", "B", "C", "C", "C", "D", "D"],
            "start_date": pd.to_datetime(
                ["2024-01-01", "2025-01-01", "2025-02-01", "2025-01-01", "2025-01-15", "2025-02-01"]
                + ["2024-03-01", "2025-01-10"]
            ),
            "end_date": pd.to_datetime(
                ["2025-01-01", "2026-01-01", "2025-03-01", "2025-02-01", "2025-02-01", "2025-03-01"]
                + ["2024-04-01", "2025-02-10"]
            ),
            "mrr": [100.0, 110.0, 50.0, 80.0, 10.0, 80.0, 20.0, 20.0],
        }
    )
    starts = pd.Series(
        pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-01", "2025-01-10"]),
        index=["A", "B", "C", "D"],
    )
    got = previous_term_days(subs, starts)
    assert list(got.index) == ["A", "B", "C", "D"]
    assert got["A"] == 366 and np.isnan(got["B"]) and got["C"] == 31 and got["D"] == 31


def test_term_months_are_whole_months_of_the_current_term():
    from features.account import term_months

    # 28 and 31 days: 1; 45 days (1.48 months): 1; 3 days: at least 1; 351 days (11.53) and
    # 380 (12.48): 12; 730: 24; no term length (open-ended): none.
    days = pd.Series([28.0, 31.0, 45.0, 3.0, 351.0, 380.0, 730.0, np.nan])
    got = term_months(days)
    assert got.iloc[:7].tolist() == [1.0, 1.0, 1.0, 1.0, 12.0, 12.0, 24.0]
    assert np.isnan(got.iloc[7])


def test_price_against_a_year_before_sees_a_rise_renewals_back():
    """M pays 100 until December, then 130, renewed at 130 in February: the latest renewal
    changed nothing, but against 12 months before (2024-03-01, the first row) it pays 30% more.
    N was not a customer a year before."""
    subscriptions = pd.DataFrame(
        {
            "account_id": ["M", "M", "M", "M", "N"],
            "start_date": ts("2024-01-01", "2024-06-01", "2024-12-01", "2025-02-01", "2024-06-01"),
            "end_date": ts("2024-06-01", "2024-12-01", "2025-02-01", "2025-04-01", "NaT"),
            "mrr": [100.0, 100.0, 130.0, 130.0, 50.0],
        }
    )
    tables = Tables(pd.DataFrame({"account_id": ["M", "N"]}), subscriptions)
    f = build_features(tables, [T]).set_index("account_id")
    assert f.loc["M", "mrr_change_pct"] == 0.0
    assert f.loc["M", "mrr_change_12m"] == pytest.approx(0.3)
    assert np.isnan(f.loc["N", "mrr_change_12m"])
